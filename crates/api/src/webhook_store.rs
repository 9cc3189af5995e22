//! Webhooks and their delivery records in the node's own store (record tables this crate owns,
//! `webhooks` and `webhook_deliveries`), so a restart, even after `kill -9`, loses neither a
//! registration nor its place in the chain.
//!
//! A webhook's record holds its cursor: the height and position of the next event to deliver.
//! A successful delivery's record and the advanced cursor are written in one atomic batch, so
//! after a crash the dispatcher resumes at the first event not acknowledged (at least once).

use std::ops::ControlFlow;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use alloy_primitives::{Address, B256};
use cairn_storage::{RecordBatch, RecordStore, RecordTable, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api_keys::unix_now;
use crate::error::ApiError;

/// The longest failure reason kept per delivery: enough for an error and its causes (a DNS,
/// connection or TLS failure names its cause at the end).
const MAX_ERROR_CHARS: usize = 300;

/// Webhook id to its registration and delivery cursor. The name is the table's name in data
/// directories written since webhooks exist: it never changes.
const WEBHOOKS: RecordTable = RecordTable::new("webhooks");

/// Webhook id, then the inverted height and position of an event (newest first), to the record
/// of its delivery. The name never changes, as for [`WEBHOOKS`].
const DELIVERIES: RecordTable = RecordTable::new("webhook_deliveries");

/// What a webhook can be sent, one kind per event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum EventKind {
    /// Each new block (`data`: the block summary), delivered once committed, before finality.
    Block,
    /// Each finalized block (`data`: number, hash, timestamp).
    Finalized,
    /// Each transaction included in a block (`data`: the transaction with its receipt).
    Transaction,
    /// Each log matching the webhook's `address` and topics (`data`: the event).
    Log,
}

/// Which events a webhook receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Filter {
    /// The kinds wanted, sorted and without repeats.
    pub(crate) events: Vec<EventKind>,
    /// Logs only of this contract.
    pub(crate) address: Option<Address>,
    /// Logs only with these topics (by position).
    pub(crate) topics: [Option<B256>; 4],
}

/// The place of an event in the chain: its block and its position among the block's events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
pub(crate) struct Position {
    /// Block height.
    pub(crate) height: u64,
    /// Index among the events the block yields for this webhook.
    pub(crate) position: u32,
}

/// A registered webhook, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Webhook {
    pub(crate) id: String,
    pub(crate) url: String,
    pub(crate) filter: Filter,
    /// The HMAC key of `X-Cairn-Signature`; it has to be kept to sign.
    pub(crate) secret: String,
    pub(crate) created_at: u64,
    /// The next event to deliver.
    pub(crate) next: Position,
    /// Delivery records kept for it.
    pub(crate) history: u64,
}

/// Whether a delivery reached its receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum DeliveryState {
    /// Not acknowledged yet; the dispatcher keeps retrying it (later events wait).
    Retrying,
    /// The receiver answered 2xx.
    Delivered,
}

/// One event's delivery to one webhook, with its attempts.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct Delivery {
    /// Stable id (`<webhook>-<height>-<position>`), the same on every retry and replay, sent
    /// in the body and the `X-Cairn-Delivery` header so receivers can drop duplicates.
    pub(crate) id: String,
    /// The webhook it belongs to.
    pub(crate) webhook_id: String,
    /// What the event is.
    pub(crate) r#type: EventKind,
    /// Height of the event's block.
    pub(crate) height: u64,
    /// Position among the block's events for this webhook.
    pub(crate) position: u32,
    /// `retrying` or `delivered`.
    pub(crate) state: DeliveryState,
    /// Attempts so far, replays included.
    pub(crate) attempts: u32,
    /// HTTP status of the last attempt; null if it got no answer.
    pub(crate) last_status: Option<u16>,
    /// Why the last attempt failed, with its causes (DNS, connection, TLS, timeout, or a
    /// refused destination); null if it got an answer.
    pub(crate) last_error: Option<String>,
    /// First attempt (seconds since the Unix epoch).
    pub(crate) first_attempt_at: u64,
    /// Last attempt (seconds since the Unix epoch).
    pub(crate) last_attempt_at: u64,
    /// When the receiver first acknowledged it; null until then.
    pub(crate) delivered_at: Option<u64>,
}

/// The outcome of one POST to a receiver.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    /// The receiver answered with this status.
    Status(u16),
    /// No answer: connection refused, timeout, TLS failure.
    Error(String),
}

impl Outcome {
    pub(crate) fn is_success(&self) -> bool {
        matches!(self, Self::Status(status) if (200..300).contains(status))
    }
}

/// The delivery id of the event at `at` for webhook `webhook`.
pub(crate) fn delivery_id(webhook: &str, at: Position) -> String {
    format!("{webhook}-{}-{}", at.height, at.position)
}

/// Parses a delivery id of `webhook` into the event's place.
pub(crate) fn parse_delivery_id(webhook: &str, id: &str) -> Option<Position> {
    let rest = id.strip_prefix(webhook)?.strip_prefix('-')?;
    let (height, position) = rest.split_once('-')?;
    Some(Position { height: height.parse().ok()?, position: position.parse().ok()? })
}

/// Newest first: the inverted height and position sort the latest event first.
fn delivery_key(webhook: &str, at: Position) -> Vec<u8> {
    let mut key = webhook.as_bytes().to_vec();
    key.extend_from_slice(&(!at.height).to_be_bytes());
    key.extend_from_slice(&(!at.position).to_be_bytes());
    key
}

fn position_of_key(webhook: &str, key: &[u8]) -> Option<Position> {
    let rest = key.strip_prefix(webhook.as_bytes())?;
    let height = u64::from_be_bytes(rest.get(..8)?.try_into().ok()?);
    let position = u32::from_be_bytes(rest.get(8..12)?.try_into().ok()?);
    Some(Position { height: !height, position: !position })
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(value).map_err(|e| ApiError::Internal(format!("encoding a record: {e}")))
}

fn decode<T: serde::de::DeserializeOwned>(what: &str, bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::Internal(format!("corrupt {what}: {e}")))
}

fn store_error(e: StoreError) -> ApiError {
    e.into()
}

/// Webhooks and deliveries in the store. Every change is a read, then one atomic write,
/// under one lock, so the dispatchers and the API never lose each other's changes.
pub(crate) struct WebhookStore {
    kv: Arc<dyn RecordStore>,
    lock: Mutex<()>,
    /// Delivery records kept per webhook; the oldest is dropped beyond it.
    history: u64,
}

impl WebhookStore {
    pub(crate) fn new(kv: Arc<dyn RecordStore>, history: u64) -> Self {
        Self { kv, lock: Mutex::new(()), history: history.max(1) }
    }

    fn lock(&self) -> MutexGuard<'_, ()> {
        self.lock.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn get(&self, id: &str) -> Result<Option<Webhook>, ApiError> {
        let bytes = self.kv.get(WEBHOOKS, id.as_bytes()).map_err(store_error)?;
        bytes.map(|bytes| decode("webhook", &bytes)).transpose()
    }

    /// Up to `limit` webhooks by id, from `start` on, and the id that follows them.
    pub(crate) fn list(
        &self,
        start: &str,
        limit: usize,
    ) -> Result<(Vec<Webhook>, Option<String>), ApiError> {
        let (items, next) = self.page(WEBHOOKS, b"", start.as_bytes(), limit, "webhook")?;
        Ok((items, next.map(|key| String::from_utf8_lossy(&key).into_owned())))
    }

    /// Up to `limit` records of `table` under `prefix` from key `start` on, decoded, and the
    /// key of the record that follows them.
    fn page<T: serde::de::DeserializeOwned>(
        &self,
        table: RecordTable,
        prefix: &[u8],
        start: &[u8],
        limit: usize,
        what: &str,
    ) -> Result<(Vec<T>, Option<Vec<u8>>), ApiError> {
        let mut items = Vec::new();
        let mut next = None;
        let mut failure = None;
        self.kv
            .scan(table, prefix, start, &mut |key, value| {
                if items.len() == limit {
                    next = Some(key.to_vec());
                    return Ok(ControlFlow::Break(()));
                }
                match decode::<T>(what, value) {
                    Ok(item) => items.push(item),
                    Err(e) => {
                        failure = Some(e);
                        return Ok(ControlFlow::Break(()));
                    }
                }
                Ok(ControlFlow::Continue(()))
            })
            .map_err(store_error)?;
        match failure {
            Some(e) => Err(e),
            None => Ok((items, next)),
        }
    }

    fn count(&self) -> Result<usize, ApiError> {
        let mut count = 0;
        self.kv
            .scan(WEBHOOKS, b"", b"", &mut |_, _| {
                count += 1;
                Ok(ControlFlow::Continue(()))
            })
            .map_err(store_error)?;
        Ok(count)
    }

    /// Stores a new webhook unless `max` exist already.
    pub(crate) fn create(&self, webhook: &Webhook, max: usize) -> Result<(), ApiError> {
        let _lock = self.lock();
        if self.count()? >= max {
            return Err(ApiError::TooManyWebhooks { max });
        }
        let mut batch = RecordBatch::default();
        batch.put(WEBHOOKS, webhook.id.as_bytes(), encode(webhook)?);
        self.kv.write(batch).map_err(store_error)
    }

    /// Removes a webhook and its delivery records; `None` if there was none.
    pub(crate) fn delete(&self, id: &str) -> Result<Option<Webhook>, ApiError> {
        let _lock = self.lock();
        let Some(webhook) = self.get(id)? else { return Ok(None) };
        let mut batch = RecordBatch::default();
        batch.delete(WEBHOOKS, id.as_bytes());
        self.kv
            .scan(DELIVERIES, id.as_bytes(), b"", &mut |key, _| {
                batch.delete(DELIVERIES, key);
                Ok(ControlFlow::Continue(()))
            })
            .map_err(store_error)?;
        self.kv.write(batch).map_err(store_error)?;
        Ok(Some(webhook))
    }

    /// Moves the cursor past events that needed no delivery (blocks with nothing for it).
    pub(crate) fn advance(&self, id: &str, next: Position) -> Result<(), ApiError> {
        let _lock = self.lock();
        let Some(mut webhook) = self.get(id)? else { return Ok(()) };
        if webhook.next >= next {
            return Ok(());
        }
        webhook.next = next;
        let mut batch = RecordBatch::default();
        batch.put(WEBHOOKS, id.as_bytes(), encode(&webhook)?);
        self.kv.write(batch).map_err(store_error)
    }

    pub(crate) fn delivery(
        &self,
        webhook: &str,
        at: Position,
    ) -> Result<Option<Delivery>, ApiError> {
        let key = delivery_key(webhook, at);
        let bytes = self.kv.get(DELIVERIES, &key).map_err(store_error)?;
        bytes.map(|bytes| decode("delivery", &bytes)).transpose()
    }

    /// Up to `limit` delivery records of `webhook`, newest first from `start`, and the place
    /// of the one that follows them.
    pub(crate) fn deliveries(
        &self,
        webhook: &str,
        start: Option<Position>,
        limit: usize,
    ) -> Result<(Vec<Delivery>, Option<Position>), ApiError> {
        let from = start.map(|at| delivery_key(webhook, at)).unwrap_or_default();
        let (items, next) = self.page(DELIVERIES, webhook.as_bytes(), &from, limit, "delivery")?;
        Ok((items, next.and_then(|key| position_of_key(webhook, &key))))
    }

    /// Records one attempt at delivering the event at `at`. If the dispatcher's attempt
    /// succeeded (`advance`), the same write marks it delivered and moves the webhook's
    /// cursor past it. Returns the updated record, or `None` if the webhook is gone.
    pub(crate) fn record_attempt(
        &self,
        webhook_id: &str,
        kind: EventKind,
        at: Position,
        outcome: &Outcome,
        advance: bool,
    ) -> Result<Option<Delivery>, ApiError> {
        let _lock = self.lock();
        let Some(mut webhook) = self.get(webhook_id)? else { return Ok(None) };
        let now = unix_now();
        let mut batch = RecordBatch::default();
        let mut delivery = match self.delivery(webhook_id, at)? {
            Some(delivery) => delivery,
            None => {
                if webhook.history >= self.history {
                    self.drop_oldest(&mut webhook, &mut batch)?;
                }
                webhook.history += 1;
                Delivery {
                    id: delivery_id(webhook_id, at),
                    webhook_id: webhook_id.to_string(),
                    r#type: kind,
                    height: at.height,
                    position: at.position,
                    state: DeliveryState::Retrying,
                    attempts: 0,
                    last_status: None,
                    last_error: None,
                    first_attempt_at: now,
                    last_attempt_at: now,
                    delivered_at: None,
                }
            }
        };
        delivery.attempts = delivery.attempts.saturating_add(1);
        delivery.last_attempt_at = now;
        match outcome {
            Outcome::Status(status) => {
                delivery.last_status = Some(*status);
                delivery.last_error = None;
            }
            Outcome::Error(error) => {
                delivery.last_status = None;
                delivery.last_error = Some(error.chars().take(MAX_ERROR_CHARS).collect());
            }
        }
        if outcome.is_success() && delivery.delivered_at.is_none() {
            delivery.delivered_at = Some(now);
        }
        if advance && outcome.is_success() {
            delivery.state = DeliveryState::Delivered;
            let next = Position { height: at.height, position: at.position + 1 };
            webhook.next = webhook.next.max(next);
        }
        batch.put(DELIVERIES, delivery_key(webhook_id, at), encode(&delivery)?);
        batch.put(WEBHOOKS, webhook_id.as_bytes(), encode(&webhook)?);
        self.kv.write(batch).map_err(store_error)?;
        Ok(Some(delivery))
    }

    /// Adds the deletion of the webhook's oldest delivery record to `batch`.
    fn drop_oldest(&self, webhook: &mut Webhook, batch: &mut RecordBatch) -> Result<(), ApiError> {
        // Keys sort newest first, so the oldest is the last one under the webhook's prefix.
        let mut oldest = None;
        self.kv
            .scan(DELIVERIES, webhook.id.as_bytes(), b"", &mut |key, _| {
                oldest = Some(key.to_vec());
                Ok(ControlFlow::Continue(()))
            })
            .map_err(store_error)?;
        if let Some(key) = oldest {
            batch.delete(DELIVERIES, key);
            webhook.history = webhook.history.saturating_sub(1);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivery_ids_and_keys_round_trip_newest_first() {
        let at = Position { height: 12, position: 3 };
        let id = delivery_id("00ff", at);
        assert_eq!(id, "00ff-12-3");
        assert_eq!(parse_delivery_id("00ff", &id), Some(at));
        assert_eq!(parse_delivery_id("00fe", &id), None);
        assert_eq!(parse_delivery_id("00ff", "00ff-12"), None);
        assert_eq!(position_of_key("00ff", &delivery_key("00ff", at)), Some(at));
        let later = Position { height: 13, position: 0 };
        assert!(delivery_key("00ff", later) < delivery_key("00ff", at), "newest sorts first");
    }

    #[test]
    fn table_names_are_those_existing_data_directories_hold() {
        // Renaming either would hide every webhook of a data directory written before.
        assert_eq!(WEBHOOKS.name(), "webhooks");
        assert_eq!(DELIVERIES.name(), "webhook_deliveries");
    }
}
