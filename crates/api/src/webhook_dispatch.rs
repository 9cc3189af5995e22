//! Delivering webhooks: one task per webhook derives its events from the stored chain, in
//! block order, and POSTs them one at a time, signed, retrying each with capped exponential
//! backoff until the receiver answers 2xx; only then does its cursor move (see
//! [`crate::webhook_store`]). Nothing is queued in memory, so nothing is lost on a crash.
//!
//! ```text
//!  node.subscribe_chain() ─► head (watch) ─► dispatcher per webhook: events of block `next.height`
//!                                       ─► POST (X-Cairn-Signature) ─► 2xx: record + cursor,
//!                                          one atomic write; else backoff and retry
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use cairn_primitives::ConsensusKind;
use cairn_reads::{ChainEvent, ServedNode};
use hmac::{Hmac, Mac};
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use serde::Serialize;
use sha2::Sha256;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use crate::api_keys::unix_now;
use crate::blocking::blocking;
use crate::chain;
use crate::error::ApiError;
use crate::model::{BlockRef, BlockSummary, EventView, TransactionView, TxPosition, TxStatus};
use crate::params::EventFilter;
use crate::webhook_destination::Destinations;
use crate::webhook_store::{
    EventKind, Filter, Outcome, Position, Webhook, WebhookStore, delivery_id,
};

/// The header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
pub(crate) const SIGNATURE_HEADER: &str = "x-cairn-signature";
/// The header carrying the delivery id.
pub(crate) const DELIVERY_HEADER: &str = "x-cairn-delivery";
/// The header carrying the event kind.
pub(crate) const EVENT_HEADER: &str = "x-cairn-event";

/// How webhooks are delivered and how many may exist.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// Wait before the first retry of a failed delivery; each further retry waits twice as
    /// long, up to `retry_max`.
    pub retry_base: Duration,
    /// The longest wait between two attempts.
    pub retry_max: Duration,
    /// How long one POST (connecting included) may take.
    pub timeout: Duration,
    /// Most webhooks registered at once.
    pub max_webhooks: usize,
    /// Delivery records kept per webhook (the oldest are dropped).
    pub history: u64,
    /// Deliver to loopback, private, link-local and the node's own addresses too (local
    /// development); by default only public addresses receive webhooks.
    pub allow_private: bool,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            retry_base: Duration::from_secs(1),
            retry_max: Duration::from_secs(300),
            timeout: Duration::from_secs(10),
            max_webhooks: 100,
            history: 1000,
            allow_private: false,
        }
    }
}

/// One event as its receiver gets it: the JSON body of the POST.
#[derive(Debug, Serialize)]
pub(crate) struct Payload {
    id: String,
    webhook_id: String,
    r#type: EventKind,
    height: u64,
    position: u32,
    data: serde_json::Value,
}

fn payload(webhook: &Webhook, kind: EventKind, at: Position, data: serde_json::Value) -> Payload {
    Payload {
        id: delivery_id(&webhook.id, at),
        webhook_id: webhook.id.clone(),
        r#type: kind,
        height: at.height,
        position: at.position,
        data,
    }
}

/// The events block `height` yields for a filter, in delivery order: its transactions, its
/// matching logs, the block, its finality. `None` if the block is not stored.
pub(crate) fn block_events(
    node: &dyn ServedNode,
    filter: &Filter,
    height: u64,
) -> Result<Option<Vec<(EventKind, serde_json::Value)>>, ApiError> {
    // The block, its logs and the heads from one view.
    let view = node.view()?;
    let Some(full) = chain::full_block(view.as_ref(), height)? else { return Ok(None) };
    let wants = |kind| filter.events.contains(&kind);
    let mut events = Vec::new();
    let header = &full.block.header;
    if wants(EventKind::Transaction) {
        let status = if view.heads()?.finalized >= height {
            TxStatus::Finalized
        } else {
            TxStatus::Included
        };
        let rows = full.block.transactions.iter().zip(&full.senders).zip(&full.receipts);
        for (index, ((tx, sender), receipt)) in rows.enumerate() {
            let position =
                TxPosition { block_number: height, block_hash: header.hash(), index: index as u64 };
            let view = TransactionView::new(tx, *sender, Some((position, receipt)), status);
            events.push((EventKind::Transaction, json(&view)?));
        }
    }
    if wants(EventKind::Log) {
        let logs = EventFilter { address: filter.address, topics: filter.topics }.to_filter();
        for log in chain::logs(view.as_ref(), &logs, height, height, 0, usize::MAX)?.items {
            events.push((EventKind::Log, json(&EventView::new(log))?));
        }
    }
    if wants(EventKind::Block) {
        events.push((EventKind::Block, json(&BlockSummary::new(&full.block, node.consensus())?)?));
    }
    if wants(EventKind::Finalized) {
        let finalized =
            BlockRef { number: height, hash: header.hash(), timestamp: header.timestamp };
        events.push((EventKind::Finalized, json(&finalized)?));
    }
    Ok(Some(events))
}

fn json(view: &impl Serialize) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(view).map_err(|e| ApiError::Internal(e.to_string()))
}

/// The head and the finalized height, as the dispatcher follows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tip {
    latest: u64,
    finalized: u64,
}

impl Tip {
    /// The tip of the node's chain now.
    fn read(node: &dyn ServedNode) -> Result<Self, ApiError> {
        let heads = node.view()?.heads()?;
        Ok(Self { latest: heads.latest.number, finalized: heads.finalized })
    }
}

/// The highest block a webhook's events may come from: the head if it wants new blocks (and
/// not their finality) on a chain whose blocks are never reverted, else the finalized height
/// (on a proof-of-work chain, the head minus its confirmations). A block's events are so the
/// same whenever they are derived, and so are their positions and delivery ids, and a
/// receiver is not sent events of blocks a reorg may still abandon.
fn limit(filter: &Filter, tip: Tip, reversible: bool) -> u64 {
    let events = &filter.events;
    if !reversible && events.contains(&EventKind::Block) && !events.contains(&EventKind::Finalized)
    {
        tip.latest
    } else {
        tip.finalized
    }
}

/// `t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the secret>`.
pub(crate) fn signature(secret: &str, timestamp: u64, body: &[u8]) -> Result<String, ApiError> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .map_err(|e| ApiError::Internal(format!("HMAC key: {e}")))?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!("t={timestamp},v1={}", hex::encode(mac.finalize().into_bytes())))
}

/// Sends webhooks: the HTTP client, the head, and one task per webhook.
pub(crate) struct Dispatcher {
    node: Arc<dyn ServedNode>,
    store: Arc<WebhookStore>,
    client: reqwest::Client,
    destinations: Destinations,
    config: WebhookConfig,
    head: watch::Receiver<Tip>,
    tasks: Mutex<HashMap<String, JoinHandle<()>>>,
}

impl Dispatcher {
    /// A dispatcher following `events` (the node's), with no webhook tasks yet, and the task
    /// that keeps its view of the head current.
    pub(crate) fn new(
        node: Arc<dyn ServedNode>,
        store: Arc<WebhookStore>,
        config: WebhookConfig,
        blocks: broadcast::Receiver<ChainEvent>,
    ) -> Result<(Arc<Self>, JoinHandle<()>), ApiError> {
        let destinations = Destinations { allow_private: config.allow_private };
        // No proxy: the destination rule is checked on the addresses the client connects to,
        // which a proxy would hide.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(destinations))
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .user_agent(concat!("cairn-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ApiError::Internal(format!("webhook HTTP client: {e}")))?;
        let (publish, head) = watch::channel(Tip::read(node.as_ref())?);
        let follower = tokio::spawn(follow_head(node.clone(), blocks, publish));
        let dispatcher = Arc::new(Self {
            node,
            store,
            client,
            destinations,
            config,
            head,
            tasks: Mutex::default(),
        });
        Ok((dispatcher, follower))
    }

    /// Where webhooks may be delivered.
    pub(crate) fn destinations(&self) -> Destinations {
        self.destinations
    }

    fn tasks(&self) -> MutexGuard<'_, HashMap<String, JoinHandle<()>>> {
        self.tasks.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts delivering every stored webhook.
    pub(crate) async fn start_all(self: &Arc<Self>) -> Result<(), ApiError> {
        let store = self.store.clone();
        let ids = blocking(move || {
            let mut ids = Vec::new();
            let mut start = String::new();
            loop {
                let (page, next) = store.list(&start, 100)?;
                ids.extend(page.into_iter().map(|w| w.id));
                match next {
                    Some(next) => start = next,
                    None => return Ok(ids),
                }
            }
        })
        .await?;
        for id in ids {
            self.start(id);
        }
        Ok(())
    }

    /// Starts delivering one webhook.
    pub(crate) fn start(self: &Arc<Self>, id: String) {
        let task = tokio::spawn(self.clone().run(id.clone()));
        if let Some(old) = self.tasks().insert(id, task) {
            old.abort();
        }
    }

    /// Stops delivering one webhook (its cursor stays where the last write left it).
    pub(crate) fn stop(&self, id: &str) {
        if let Some(task) = self.tasks().remove(id) {
            task.abort();
        }
    }

    /// Stops every delivery task (at shutdown). A delivery cut short is sent again on the
    /// next start: its cursor only moves with an acknowledged delivery.
    pub(crate) fn stop_all(&self) {
        for (_, task) in self.tasks().drain() {
            task.abort();
        }
    }

    /// The events block `height` yields for `webhook`, derived from the stored chain; `None`
    /// if the block is not stored.
    async fn events(
        &self,
        webhook: &Webhook,
        height: u64,
    ) -> Result<Option<Vec<(EventKind, serde_json::Value)>>, ApiError> {
        let (node, filter) = (self.node.clone(), webhook.filter.clone());
        blocking(move || block_events(node.as_ref(), &filter, height)).await
    }

    /// Sends the event at `at` again now (a replay), whatever the webhook's cursor.
    pub(crate) async fn replay(&self, webhook: &Webhook, at: Position) -> Outcome {
        let event = self
            .events(webhook, at.height)
            .await
            .map(|events| events.and_then(|events| events.into_iter().nth(at.position as usize)));
        match event {
            Ok(Some((kind, data))) => self.send(webhook, &payload(webhook, kind, at, data)).await,
            Ok(None) => Outcome::Error("the event is no longer in the chain".into()),
            Err(e) => Outcome::Error(format!("reading the event: {e}")),
        }
    }

    /// POSTs one event, signed now; the receiver's status or why it gave none.
    async fn send(&self, webhook: &Webhook, payload: &Payload) -> Outcome {
        let body = match serde_json::to_vec(payload) {
            Ok(body) => body,
            Err(e) => return Outcome::Error(format!("encoding the event: {e}")),
        };
        let signed = match signature(&webhook.secret, unix_now(), &body) {
            Ok(signed) => signed,
            Err(e) => return Outcome::Error(e.to_string()),
        };
        // Stored webhooks are checked again: the rule may have changed since registration.
        // A name is checked by the client's resolver, after resolution.
        match url::Url::parse(&webhook.url) {
            Ok(url) => {
                if let Err(refused) = self.destinations.check_literal(&url) {
                    return Outcome::Error(format!("destination refused: {refused}"));
                }
            }
            Err(e) => return Outcome::Error(format!("the stored url is not a URL: {e}")),
        }
        let kind = serde_json::to_value(payload.r#type)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let request = self
            .client
            .post(&webhook.url)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(SIGNATURE_HEADER, signed)
            .header(DELIVERY_HEADER, &payload.id)
            .header(EVENT_HEADER, kind)
            .body(body);
        match request.send().await {
            Ok(response) => Outcome::Status(response.status().as_u16()),
            // Without the URL: it may carry a token in its query.
            Err(e) => Outcome::Error(with_causes(&e.without_url())),
        }
    }

    /// The wait before retry number `failures` (1 for the first retry).
    fn backoff(&self, failures: u32) -> Duration {
        let factor = 2u32.saturating_pow(failures.saturating_sub(1).min(30));
        self.config.retry_base.saturating_mul(factor).min(self.config.retry_max)
    }

    /// Delivers webhook `id`'s events in order until it is deleted or the task is stopped.
    async fn run(self: Arc<Self>, id: String) {
        let mut head = self.head.clone();
        let mut failures = 0u32;
        // Where the dispatcher is, which runs ahead of the stored cursor over blocks that
        // hold nothing for this webhook.
        let mut next: Option<Position> = None;
        // The events of the block being delivered, derived once for all its deliveries.
        let mut block: Option<(u64, Vec<(EventKind, serde_json::Value)>)> = None;
        loop {
            let store = self.store.clone();
            let lookup = id.clone();
            let webhook = match blocking(move || store.get(&lookup)).await {
                Ok(Some(webhook)) => webhook,
                Ok(None) => return,
                Err(e) => {
                    failures += 1;
                    tracing::warn!(webhook = %id, error = %e, "cannot read webhook");
                    tokio::time::sleep(self.backoff(failures)).await;
                    continue;
                }
            };
            let at = next.filter(|n| *n > webhook.next).unwrap_or(webhook.next);
            let newest = *head.borrow_and_update();
            let reversible = self.node.spec().consensus == ConsensusKind::Pow;
            if at.height > limit(&webhook.filter, newest, reversible) {
                if at > webhook.next {
                    let store = self.store.clone();
                    let (lookup, moved) = (id.clone(), at);
                    if let Err(e) = blocking(move || store.advance(&lookup, moved)).await {
                        tracing::warn!(webhook = %id, error = %e, "cannot store webhook cursor");
                    }
                }
                if head.changed().await.is_err() {
                    return;
                }
                continue;
            }
            if block.as_ref().is_none_or(|(height, _)| *height != at.height) {
                let stored = self.node.clone();
                let exists =
                    blocking(move || Ok(stored.view()?.header(at.height)?.is_some())).await;
                if matches!(exists, Ok(false)) {
                    // Not stored (yet): wait for the next block.
                    if head.changed().await.is_err() {
                        return;
                    }
                    continue;
                }
                match self.events(&webhook, at.height).await {
                    Ok(events) => block = Some((at.height, events.unwrap_or_default())),
                    Err(e) => {
                        failures += 1;
                        tracing::warn!(webhook = %id, error = %e, "cannot read webhook events");
                        tokio::time::sleep(self.backoff(failures)).await;
                        continue;
                    }
                }
            }
            let event = block.as_ref().and_then(|(_, events)| events.get(at.position as usize));
            let Some((kind, data)) = event.cloned() else {
                next = Some(Position { height: at.height + 1, position: 0 });
                continue;
            };
            let outcome = self.send(&webhook, &payload(&webhook, kind, at, data)).await;
            let delivered = outcome.is_success();
            let store = self.store.clone();
            let lookup = id.clone();
            let recorded =
                blocking(move || store.record_attempt(&lookup, kind, at, &outcome, true)).await;
            match recorded {
                Ok(Some(_)) if delivered => {
                    failures = 0;
                    next = Some(Position { height: at.height, position: at.position + 1 });
                }
                Ok(Some(_)) => {
                    failures += 1;
                    tokio::time::sleep(self.backoff(failures)).await;
                }
                Ok(None) => return,
                Err(e) => {
                    failures += 1;
                    tracing::warn!(webhook = %id, error = %e, "cannot record a webhook delivery");
                    tokio::time::sleep(self.backoff(failures)).await;
                }
            }
        }
    }
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher").field("webhooks", &self.tasks().len()).finish()
    }
}

/// An error and every cause under it (`error sending request: … : dns error: … resolves to
/// 10.0.0.5, a private address`), each said once: reqwest's own message names none of them.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(error) = cause {
        let said = error.to_string();
        if !said.is_empty() && !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        cause = error.source();
    }
    text
}

/// Publishes the tip after every block (read from the store, where finality is known), and
/// re-reads it if the feed fell behind.
async fn follow_head(
    node: Arc<dyn ServedNode>,
    mut blocks: broadcast::Receiver<ChainEvent>,
    publish: watch::Sender<Tip>,
) {
    loop {
        match blocks.recv().await {
            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {
                let reader = node.clone();
                if let Ok(tip) = blocking(move || Tip::read(reader.as_ref())).await {
                    publish.send_replace(tip);
                }
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
        // Computed independently with
        // `printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test`.
        let signed = signature("whsec_test", 1_700_000_000, br#"{"a":1}"#).unwrap_or_default();
        assert_eq!(
            signed,
            "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
    }
}
