//! Following the chain: when each load transaction was sent, refused, seen in a block and seen
//! final. New heads arrive over a WebSocket `eth_subscribe("newHeads")` (with a slow poll as a
//! safety net); each new block's transaction hashes and the `finalized` block come over HTTP.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use alloy_primitives::B256;
use anyhow::Context;
use jsonrpsee::core::client::{Subscription, SubscriptionClientT};
use jsonrpsee::rpc_params;
use jsonrpsee::ws_client::WsClientBuilder;
use serde_json::{Value, json};

use crate::jsonrpc::{Rpc, hex_quantity, quantity};

/// How often the head is polled in case a notification was missed.
const POLL: Duration = Duration::from_millis(100);
/// Most blocks fetched in one batch.
const BLOCKS_PER_BATCH: u64 = 100;

/// The moments in one load transaction's life.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Times {
    /// When its batch was sent.
    pub(crate) sent: Option<Instant>,
    /// Whether the node refused it.
    pub(crate) rejected: bool,
    /// When the block holding it was seen.
    pub(crate) included: Option<Instant>,
    /// When that block was seen final.
    pub(crate) finalized: Option<Instant>,
}

/// Everything known about the load's transactions, shared by the submitters and the follower.
#[derive(Debug, Default)]
pub(crate) struct Tracker {
    txs: HashMap<B256, Times>,
    /// Blocks seen but not yet final, oldest first, with the load's transactions in them.
    unfinal: VecDeque<(u64, Vec<B256>)>,
    /// When each block was seen.
    blocks: Vec<Instant>,
    reasons: HashMap<String, usize>,
    sent: usize,
    rejected: usize,
    included: usize,
    finalized: usize,
}

impl Tracker {
    /// Tracks the transactions named by `hashes`; blocks' other transactions are ignored.
    pub(crate) fn new(hashes: impl IntoIterator<Item = B256>) -> Self {
        let txs = hashes.into_iter().map(|hash| (hash, Times::default())).collect();
        Self { txs, ..Self::default() }
    }

    /// Notes that `hashes` leave now.
    pub(crate) fn sent(&mut self, hashes: impl IntoIterator<Item = B256>, at: Instant) {
        for hash in hashes {
            if let Some(times) = self.txs.get_mut(&hash) {
                times.sent = Some(at);
                self.sent += 1;
            }
        }
    }

    /// Notes that the node refused `hash`, and why.
    pub(crate) fn rejected(&mut self, hash: B256, reason: &str) {
        if let Some(times) = self.txs.get_mut(&hash).filter(|t| !t.rejected) {
            times.rejected = true;
            self.rejected += 1;
            *self.reasons.entry(reason.to_string()).or_default() += 1;
        }
    }

    /// Notes block `number`, seen `at`, holding `hashes`.
    pub(crate) fn block(&mut self, number: u64, hashes: Vec<B256>, at: Instant) {
        let mut ours = Vec::new();
        for hash in hashes {
            if let Some(times) = self.txs.get_mut(&hash).filter(|t| t.included.is_none()) {
                times.included = Some(at);
                ours.push(hash);
            }
        }
        self.included += ours.len();
        self.blocks.push(at);
        self.unfinal.push_back((number, ours));
    }

    /// Notes that every block up to `number` is final, as seen `at`.
    pub(crate) fn finalized_up_to(&mut self, number: u64, at: Instant) {
        while self.unfinal.front().is_some_and(|(n, _)| *n <= number) {
            let Some((_, hashes)) = self.unfinal.pop_front() else { break };
            for hash in hashes {
                if let Some(times) = self.txs.get_mut(&hash) {
                    times.finalized = Some(at);
                    self.finalized += 1;
                }
            }
        }
    }

    /// Sent and accepted but not yet seen in a block.
    pub(crate) fn outstanding(&self) -> usize {
        self.sent.saturating_sub(self.rejected + self.included)
    }

    /// Whether every accepted transaction is final.
    pub(crate) fn settled(&self) -> bool {
        self.finalized + self.rejected >= self.sent
    }

    /// How many transactions are final so far, to tell progress from a stall.
    pub(crate) fn finalized_count(&self) -> usize {
        self.finalized
    }

    /// Every transaction's moments.
    pub(crate) fn times(&self) -> impl Iterator<Item = &Times> {
        self.txs.values()
    }

    /// When each block was seen.
    pub(crate) fn blocks(&self) -> &[Instant] {
        &self.blocks
    }

    /// Why transactions were refused, with counts.
    pub(crate) fn reasons(&self) -> &HashMap<String, usize> {
        &self.reasons
    }
}

/// The tracker behind a lock the submitters and the follower share.
#[derive(Debug, Clone)]
pub(crate) struct Shared(Arc<Mutex<Tracker>>);

impl Shared {
    /// Shares `tracker`.
    pub(crate) fn new(tracker: Tracker) -> Self {
        Self(Arc::new(Mutex::new(tracker)))
    }

    /// The tracker, locked.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Tracker> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Follows the chain from the block after `from` until cancelled, recording every block and
/// finality in `tracker`. A node may end a subscription whose reader lags (Cairn does when
/// a flood of admitted transactions fills its event channel); the follower then polls and
/// subscribes again, so no block is missed, only seen up to one poll later.
pub(crate) async fn follow(
    ws_url: String,
    rpc: Rpc,
    tracker: Shared,
    from: u64,
) -> anyhow::Result<()> {
    let ws = WsClientBuilder::default()
        .build(&ws_url)
        .await
        .with_context(|| format!("cannot open a WebSocket to {ws_url}"))?;
    let subscribe = || ws.subscribe("eth_subscribe", rpc_params!["newHeads"], "eth_unsubscribe");
    let mut heads: Option<Subscription<Value>> = Some(
        subscribe().await.with_context(|| format!("{ws_url} refused eth_subscribe(newHeads)"))?,
    );
    let mut next = from + 1;
    let mut poll = tokio::time::interval(POLL);
    loop {
        // Some(notification or end) from the subscription, None from the poll.
        let event = match heads.as_mut() {
            Some(subscription) => tokio::select! {
                head = subscription.next() => Some(head),
                _ = poll.tick() => None,
            },
            None => {
                poll.tick().await;
                heads = subscribe().await.ok();
                None
            }
        };
        let latest = match event {
            Some(Some(Ok(head))) => quantity(&head["number"])?,
            Some(_) => {
                eprintln!(
                    "the node ended the newHeads subscription; polling and subscribing again"
                );
                heads = None;
                quantity(&rpc.call("eth_blockNumber", json!([])).await?)?
            }
            None => quantity(&rpc.call("eth_blockNumber", json!([])).await?)?,
        };
        let seen = Instant::now();
        while next <= latest {
            let last = latest.min(next + BLOCKS_PER_BATCH - 1);
            let calls =
                (next..=last).map(|n| ("eth_getBlockByNumber", json!([hex_quantity(n), false])));
            let blocks = rpc.batch(calls).await?;
            for (number, block) in (next..=last).zip(blocks) {
                let block = block.map_err(anyhow::Error::msg)?;
                tracker.lock().block(number, transaction_hashes(&block)?, seen);
            }
            next = last + 1;
        }
        let finalized = rpc.call("eth_getBlockByNumber", json!(["finalized", false])).await?;
        if !finalized.is_null() {
            tracker.lock().finalized_up_to(quantity(&finalized["number"])?, Instant::now());
        }
    }
}

/// The transaction hashes of a block fetched without full transactions.
fn transaction_hashes(block: &Value) -> anyhow::Result<Vec<B256>> {
    let list = block
        .get("transactions")
        .and_then(Value::as_array)
        .with_context(|| format!("a block without a transaction list: {block}"))?;
    list.iter()
        .map(|hash| {
            let text = hash.as_str().context("a transaction hash is not a string")?;
            text.parse().with_context(|| format!("not a transaction hash: {text}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracks_sending_inclusion_and_finality() {
        let [a, b, c, other] = [1u8, 2, 3, 4].map(B256::repeat_byte);
        let mut tracker = Tracker::new([a, b, c]);
        let start = Instant::now();
        tracker.sent([a, b, c], start);
        tracker.rejected(c, "nonce too low");
        tracker.rejected(c, "nonce too low");
        assert_eq!(tracker.outstanding(), 2);
        tracker.block(10, vec![a, other], start);
        tracker.block(11, vec![], start);
        tracker.block(12, vec![b], start);
        assert_eq!(tracker.outstanding(), 0);
        tracker.finalized_up_to(11, start);
        assert!(!tracker.settled());
        assert_eq!(tracker.finalized_count(), 1);
        tracker.finalized_up_to(12, start);
        assert!(tracker.settled());
        assert_eq!(tracker.reasons().get("nonce too low"), Some(&1));
        assert_eq!(tracker.blocks().len(), 3);
        assert_eq!(tracker.times().filter(|t| t.finalized.is_some()).count(), 2);
    }
}
