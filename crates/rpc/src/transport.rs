//! Which transport a call came on, and what depends on it: subscriptions need a WebSocket
//! (over HTTP they are refused by name, as geth does, not with an internal error), and a
//! WebSocket that holds no subscription and sends nothing for a while is closed, so idle
//! connections cannot hold the server's connection slots.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use cairn_http::Peer;
use jsonrpsee::types::ErrorObjectOwned;

/// The subscription methods, which only a WebSocket can serve.
const SUBSCRIPTION_METHODS: [&str; 2] = ["eth_subscribe", "eth_unsubscribe"];

/// geth's code and phrase for a subscription asked over HTTP.
const NOTIFICATIONS_UNSUPPORTED: i32 = -32601;

/// The transport of a request, in its extensions (and so in every call's).
#[derive(Debug, Clone)]
pub(crate) enum Transport {
    /// One request, one answer.
    Http,
    /// A WebSocket connection and what it is doing.
    WebSocket(Arc<Activity>),
}

/// When a WebSocket connection last sent a call, and how many subscriptions it holds.
#[derive(Debug)]
pub(crate) struct Activity {
    last_call: Mutex<Instant>,
    subscriptions: AtomicUsize,
}

impl Activity {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self { last_call: Mutex::new(Instant::now()), subscriptions: AtomicUsize::new(0) })
    }

    fn touch(&self) {
        *self.last_call.lock().unwrap_or_else(PoisonError::into_inner) = Instant::now();
    }

    /// Counts a subscription until the guard is dropped (when the subscription ends, however
    /// it ends).
    pub(crate) fn subscribed(self: &Arc<Self>) -> Subscribed {
        self.subscriptions.fetch_add(1, Ordering::SeqCst);
        Subscribed(self.clone())
    }

    /// How long the connection has been idle: `None` while it holds a subscription.
    fn idle_for(&self) -> Option<Duration> {
        if self.subscriptions.load(Ordering::SeqCst) > 0 {
            return None;
        }
        Some(self.last_call.lock().unwrap_or_else(PoisonError::into_inner).elapsed())
    }
}

/// A subscription being served; see [`Activity::subscribed`].
#[derive(Debug)]
pub(crate) struct Subscribed(Arc<Activity>);

impl Drop for Subscribed {
    fn drop(&mut self) {
        self.0.subscriptions.fetch_sub(1, Ordering::SeqCst);
        self.0.touch();
    }
}

/// Closes `peer`'s connection once it has been idle (no subscription, no call) for `limit`.
pub(crate) async fn close_when_idle(peer: Peer, activity: Arc<Activity>, limit: Duration) {
    loop {
        let wait = match activity.idle_for() {
            Some(idle) if idle >= limit => {
                tracing::debug!(peer = %peer.addr, "closing an idle WebSocket connection");
                peer.close();
                return;
            }
            Some(idle) => limit - idle,
            None => limit,
        };
        tokio::select! {
            () = peer.closed() => return,
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// Why a call is refused on its transport, if it is.
pub(crate) fn refusal(method: &str, transport: Option<&Transport>) -> Option<ErrorObjectOwned> {
    let over_http = matches!(transport, Some(Transport::Http));
    (over_http && SUBSCRIPTION_METHODS.contains(&method)).then(|| {
        ErrorObjectOwned::owned(
            NOTIFICATIONS_UNSUPPORTED,
            format!(
                "notifications not supported: {method} needs a WebSocket connection \
                 (ws:// or wss:// on this port)"
            ),
            None::<()>,
        )
    })
}

/// Counts a call on a WebSocket as activity.
pub(crate) fn touch(transport: Option<&Transport>) {
    if let Some(Transport::WebSocket(activity)) = transport {
        activity.touch();
    }
}
