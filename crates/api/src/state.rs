//! What every handler can reach: the node, the server's shared services and its limits.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use cairn_http::Slots;
use cairn_network::NetworkHandle;
use cairn_reads::ServedNode;

use crate::audit_jobs::AuditJobs;
use crate::metrics::Metrics;
use crate::webhook_dispatch::Dispatcher;
use crate::webhook_store::WebhookStore;

/// Who a stream is counted against: its API key, or its client's address without one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum StreamHolder {
    /// An anonymous client, by address (IPv6 by /64).
    Address(IpAddr),
    /// A client with an API key, by key id: a key has its own share.
    Key(String),
}

/// How much a stream may queue for its client and how long it waits for room.
#[derive(Debug, Clone)]
pub(crate) struct StreamLimits {
    /// Messages queued per client.
    pub(crate) buffer: usize,
    /// How long a full queue may stay full before the client is dropped as too slow.
    pub(crate) stall: Duration,
    /// One slot per open stream, in all and per holder: requests only hold a concurrency
    /// permit until their response starts, so streams are counted on their own, and one
    /// client cannot take every slot.
    pub(crate) open: Arc<Slots<StreamHolder>>,
}

/// What every handler can reach.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) node: Arc<dyn ServedNode>,
    pub(crate) audits: Arc<AuditJobs>,
    pub(crate) stream: StreamLimits,
    pub(crate) max_body: usize,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) network: Option<NetworkHandle>,
    pub(crate) webhooks: Arc<WebhookStore>,
    pub(crate) dispatcher: Arc<Dispatcher>,
    pub(crate) max_webhooks: usize,
}
