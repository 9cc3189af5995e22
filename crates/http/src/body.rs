//! Request bodies with a deadline for the whole body, so a client that declares a large body
//! and trickles it a byte at a time cannot hold a connection (and a request slot) for as long
//! as it likes. A deadline per chunk would not stop it: each byte resets such a timer.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use tokio::time::{Instant, Sleep};

/// The error a body gives once its deadline has passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyTimeout {
    /// The deadline, from the moment the request's headers were read.
    pub limit: Duration,
}

impl fmt::Display for BodyTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the request body was not received within {} s", self.limit.as_secs_f64())
    }
}

impl std::error::Error for BodyTimeout {}

/// An incoming request body that must arrive whole within its deadline.
#[derive(Debug)]
pub struct RequestBody {
    inner: Incoming,
    limit: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl RequestBody {
    /// `inner`, due in full within `limit` from now.
    pub(crate) fn new(inner: Incoming, limit: Duration) -> Self {
        let deadline = Box::pin(tokio::time::sleep_until(Instant::now() + limit));
        Self { inner, limit, deadline }
    }
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|frame| frame.map_err(Into::into)));
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            let timeout = BodyTimeout { limit: self.limit };
            return Poll::Ready(Some(Err(Box::new(timeout))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
