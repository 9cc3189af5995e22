//! A client's socket that holds its connection slot for as long as it lives (through a
//! WebSocket upgrade too) and that the server can close from outside: reads and writes fail
//! once it is closed, which ends whatever task owns it.

use std::future::Future as _;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_util::sync::{CancellationToken, DropGuard, WaitForCancellationFutureOwned};

use crate::Slot;

/// See the module documentation.
pub(crate) struct Watched<T> {
    io: T,
    /// Polled by reads and by writes apart: a split socket is read by one task and written by
    /// another, and each must be woken when the socket is closed (a future wakes only the
    /// task that polled it last).
    closed_for_reads: Pin<Box<WaitForCancellationFutureOwned>>,
    closed_for_writes: Pin<Box<WaitForCancellationFutureOwned>>,
    /// Cancels the connection's `gone` token when the socket is dropped.
    _gone: DropGuard,
    /// `None` for a connection refused over a limit, which is answered once and closed.
    _slot: Option<Slot<IpAddr>>,
}

impl<T> Watched<T> {
    pub(crate) fn new(
        io: T,
        close: CancellationToken,
        gone: DropGuard,
        slot: Option<Slot<IpAddr>>,
    ) -> Self {
        Self {
            io,
            closed_for_reads: Box::pin(close.clone().cancelled_owned()),
            closed_for_writes: Box::pin(close.cancelled_owned()),
            _gone: gone,
            _slot: slot,
        }
    }
}

/// An error once `closed` has resolved, registering the caller to be woken when it does.
fn check_open(
    closed: &mut Pin<Box<WaitForCancellationFutureOwned>>,
    cx: &mut Context<'_>,
) -> io::Result<()> {
    match closed.as_mut().poll(cx) {
        Poll::Ready(()) => {
            Err(io::Error::new(io::ErrorKind::ConnectionAborted, "connection closed by the server"))
        }
        Poll::Pending => Ok(()),
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        check_open(&mut self.closed_for_reads, cx)?;
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        check_open(&mut self.closed_for_writes, cx)?;
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        check_open(&mut self.closed_for_writes, cx)?;
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        check_open(&mut self.closed_for_writes, cx)?;
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}
