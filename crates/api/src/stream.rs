//! `GET /v1/stream`: new blocks, finalized blocks, pending transactions and filtered events
//! as they happen, over a WebSocket or Server-Sent Events at the same path.
//!
//! ```text
//!  node.subscribe_chain() ─► feed task ─► bounded queue ─► WebSocket text frames / SSE events
//!  (+ subscribe_pending()     │ replays blocks from the store from `?from=`, then follows live
//!   if transactions wanted;   │ blocks by reading each from the store in order (no gap, no repeat)
//!   both first)               └ a client that leaves the queue full too long is dropped
//! ```
//!
//! The node's broadcast never waits for a client: a feed that falls behind it, or a client
//! that stops reading, ends with a close reason naming the height to resume from.

use std::collections::{HashSet, VecDeque};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::B256;
use alloy_rpc_types_eth::Filter;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderMap, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use cairn_http::SlotRefused;
use cairn_primitives::Header;
use cairn_reads::{ChainEvent, Reorg, ServedNode};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;
use tokio::time::timeout;
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Caller, client_address};
use crate::blocking::blocking;
use crate::chain;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::model::{BlockRef, BlockSummary, EventView, TransactionView, TxStatus};
use crate::params::EventFilter;
use crate::state::{AppState, StreamHolder};

/// How long one WebSocket frame may take to reach a client; longer than any stall, so a
/// client that resumes reading gets the frames queued before its close frame.
const SOCKET_SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// `GET /v1/stream` query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct StreamQuery {
    /// Replay stored blocks (and their events) from this height before following live ones;
    /// to resume, pass the `cursor` of the last `block` message received plus one. Without
    /// it the stream starts after the current head (SSE clients may send `Last-Event-ID`
    /// instead).
    from: Option<u64>,
    /// Comma-separated extras besides `block` messages (always sent): `finalized`,
    /// `transactions` (pending, live only), `events`. Default: all three.
    #[param(
        max_length = 64,
        pattern = "^,*((block|blocks|finalized|transactions|events)(,+(block|blocks|finalized|transactions|events))*)?,*$"
    )]
    kinds: Option<String>,
    /// The hash of block `from - 1` as this client received it (ignored without `from` of 1
    /// or more). If that block is no longer canonical (a reorg abandoned it while the client
    /// was away), the stream starts with a `reorg` message and resumes from where the branches
    /// part; a hash this node does not know closes the stream.
    #[param(pattern = "^0x[0-9a-fA-F]{64}$")]
    hash: Option<String>,
    /// Only events of this contract (0x + 40 hex digits).
    #[param(pattern = "^0x[0-9a-fA-F]{40}$")]
    address: Option<String>,
    /// Only events whose first topic is this (0x + 64 hex digits).
    #[param(pattern = "^0x[0-9a-fA-F]{64}$")]
    topic0: Option<String>,
    /// Only events whose second topic is this.
    #[param(pattern = "^0x[0-9a-fA-F]{64}$")]
    topic1: Option<String>,
    /// Only events whose third topic is this.
    #[param(pattern = "^0x[0-9a-fA-F]{64}$")]
    topic2: Option<String>,
    /// Only events whose fourth topic is this.
    #[param(pattern = "^0x[0-9a-fA-F]{64}$")]
    topic3: Option<String>,
}

/// What a stream message carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum MessageType {
    /// A new block (`data`: the block summary); its events came just before it, so it ends
    /// the block.
    Block,
    /// A block became final (`data`: number, hash, timestamp).
    Finalized,
    /// A transaction was admitted to the mempool (`data`: the pending transaction).
    Transaction,
    /// A log matching the stream's filter (`data`: the event).
    Event,
    /// The chain switched to a heavier branch (proof of work): the blocks in `data.abandoned`
    /// this stream had sent, and their events, are no longer part of the chain; the new
    /// branch's blocks follow from `data.ancestor.number + 1` (the cursor is the ancestor's).
    Reorg,
    /// The stream ends (`data`: `reason` and `resume_from`); SSE only, a WebSocket gets a
    /// close frame with the same reason.
    Close,
}

/// What a `reorg` message carries.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ReorgView {
    /// The newest block both branches share.
    pub(crate) ancestor: BlockRef,
    /// The blocks this stream had sent that the chain no longer holds, oldest first.
    pub(crate) abandoned: Vec<BlockRef>,
}

/// How many delivered blocks a stream remembers by hash, to tell which of them a reorg
/// abandoned: as many as a reorg may reach.
const REMEMBERED_BLOCKS: usize = 1024;

/// One message of a stream, the same JSON over WebSocket and SSE.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct StreamMessage {
    /// What it carries.
    pub(crate) r#type: MessageType,
    /// The block height it belongs to (for a pending transaction, the head it arrived on).
    pub(crate) cursor: u64,
    /// The block, finalized block, transaction, event or close reason.
    #[schema(value_type = Object)]
    pub(crate) data: serde_json::Value,
}

/// What one stream sends.
#[derive(Debug, Clone)]
struct Options {
    finalized: bool,
    transactions: bool,
    events: Option<Filter>,
}

impl Options {
    fn parse(query: &StreamQuery) -> Result<Self, ApiError> {
        let filter = EventFilter::parse(
            query.address.as_deref(),
            [
                query.topic0.as_deref(),
                query.topic1.as_deref(),
                query.topic2.as_deref(),
                query.topic3.as_deref(),
            ],
        )?;
        let mut options = Self { finalized: true, transactions: true, events: None };
        let mut events = true;
        if let Some(kinds) = &query.kinds {
            options.finalized = false;
            options.transactions = false;
            events = false;
            for kind in kinds.split(',').filter(|k| !k.is_empty()) {
                match kind {
                    "block" | "blocks" => {}
                    "finalized" => options.finalized = true,
                    "transactions" => options.transactions = true,
                    "events" => events = true,
                    other => {
                        return Err(ApiError::InvalidQuery(format!(
                            "unknown kind {:?}; use finalized, transactions or events",
                            other.chars().take(40).collect::<String>()
                        )));
                    }
                }
            }
        }
        options.events = events.then(|| filter.to_filter());
        Ok(options)
    }
}

/// Why a stream ended.
#[derive(Debug)]
enum End {
    /// The client left.
    ClientGone,
    /// The client (or the feed) fell behind.
    TooSlow { resume_from: u64 },
    /// The node is shutting down.
    NodeStopped { resume_from: u64 },
    /// A read failed.
    Failed { resume_from: u64, reason: String },
}

impl End {
    /// Close code, reason and where to resume.
    fn describe(&self) -> (u16, String, u64) {
        match self {
            Self::ClientGone => (close_code::NORMAL, "client closed".into(), 0),
            Self::TooSlow { resume_from } => (
                close_code::POLICY,
                format!(
                    "client too slow, messages were not read in time; resume with ?from={resume_from}"
                ),
                *resume_from,
            ),
            Self::NodeStopped { resume_from } => (
                close_code::AWAY,
                format!("node shutting down; resume with ?from={resume_from}"),
                *resume_from,
            ),
            Self::Failed { resume_from, reason } => {
                let reason: String = reason.chars().take(60).collect();
                (
                    close_code::ERROR,
                    format!("{reason}; resume with ?from={resume_from}"),
                    *resume_from,
                )
            }
        }
    }
}

fn message(
    r#type: MessageType,
    cursor: u64,
    data: impl Serialize,
) -> Result<StreamMessage, ApiError> {
    let data = serde_json::to_value(data).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(StreamMessage { r#type, cursor, data })
}

/// Block `number`'s messages: its events, the block, and (if wanted and the engine has
/// finalised it) its finality, all read from one view; and which block that was.
fn block_messages(
    node: &dyn ServedNode,
    options: &Options,
    number: u64,
) -> Result<(Vec<StreamMessage>, BlockRef), ApiError> {
    let view = node.view()?;
    let full = chain::full_block(view.as_ref(), number)?
        .ok_or_else(|| ApiError::BlockNotFound(number.to_string()))?;
    let mut messages = Vec::new();
    if let Some(filter) = &options.events {
        for log in chain::logs(view.as_ref(), filter, number, number, 0, usize::MAX)?.items {
            messages.push(message(MessageType::Event, number, EventView::new(log))?);
        }
    }
    messages.push(message(
        MessageType::Block,
        number,
        BlockSummary::new(&full.block, node.consensus())?,
    )?);
    if options.finalized && view.heads()?.finalized >= number {
        let header = &full.block.header;
        messages.push(message(MessageType::Finalized, number, BlockRef::of(header))?);
    }
    Ok((messages, BlockRef::of(&full.block.header)))
}

/// Queues `messages` all together (a block is delivered whole or not at all), waiting at
/// most `stall` for room.
async fn deliver(
    out: &mpsc::Sender<StreamMessage>,
    messages: Vec<StreamMessage>,
    stall: Duration,
    resume_from: u64,
) -> Result<(), End> {
    let too_slow = || End::TooSlow { resume_from };
    if messages.len() <= out.max_capacity() {
        let permits = timeout(stall, out.reserve_many(messages.len())).await;
        let permits = permits.map_err(|_| too_slow())?.map_err(|_| End::ClientGone)?;
        for (permit, message) in permits.zip(messages) {
            permit.send(message);
        }
        return Ok(());
    }
    for message in messages {
        let sent = timeout(stall, out.send(message)).await.map_err(|_| too_slow())?;
        sent.map_err(|_| End::ClientGone)?;
    }
    Ok(())
}

/// Sends blocks `*next..=to` from the store, advancing `*next` past each one delivered and
/// remembering it in `sent`.
async fn send_blocks(
    node: &Arc<dyn ServedNode>,
    options: &Arc<Options>,
    next: &mut u64,
    to: u64,
    out: &mpsc::Sender<StreamMessage>,
    stall: Duration,
    sent: &mut Sent,
) -> Result<(), End> {
    while *next <= to {
        let number = *next;
        let (reader, wanted) = (node.clone(), options.clone());
        let (messages, block) =
            match blocking(move || block_messages(reader.as_ref(), &wanted, number)).await {
                Ok(built) => built,
                // A switch to a shorter (heavier) branch left no block at this height yet;
                // the next head brings it.
                Err(ApiError::BlockNotFound(_)) => return Ok(()),
                Err(e) => return Err(End::Failed { resume_from: number, reason: e.to_string() }),
            };
        deliver(out, messages, stall, number).await?;
        sent.push(block);
        *next = number + 1;
    }
    Ok(())
}

/// Sends a `reorg` message: `abandoned` left the chain, which goes on after `ancestor`.
async fn send_reorg(
    out: &mpsc::Sender<StreamMessage>,
    ancestor: &Header,
    abandoned: Vec<BlockRef>,
    stall: Duration,
    resume_from: u64,
) -> Result<(), End> {
    let view = ReorgView { ancestor: BlockRef::of(ancestor), abandoned };
    let reorg = message(MessageType::Reorg, ancestor.number, view)
        .map_err(|e| End::Failed { resume_from, reason: e.to_string() })?;
    deliver(out, vec![reorg], stall, resume_from).await
}

/// The blocks a stream delivered most recently, oldest first.
#[derive(Default)]
struct Sent(VecDeque<BlockRef>);

impl Sent {
    fn push(&mut self, block: BlockRef) {
        if self.0.len() == REMEMBERED_BLOCKS {
            self.0.pop_front();
        }
        self.0.push_back(block);
    }

    /// The delivered blocks `reorg` abandoned, oldest first; if there are any, they and every
    /// block delivered above the ancestor are forgotten (the new branch's are delivered again
    /// from there).
    fn abandoned_by(&mut self, reorg: &Reorg) -> Vec<BlockRef> {
        let gone: HashSet<B256> = reorg.abandoned.iter().map(|(block, _)| block.hash()).collect();
        if !self.0.iter().any(|b| gone.contains(&b.hash)) {
            return Vec::new();
        }
        let above = self.0.iter().position(|b| b.number > reorg.ancestor.number);
        let dropped: Vec<BlockRef> = match above {
            Some(index) => self.0.drain(index..).collect(),
            None => Vec::new(),
        };
        dropped.into_iter().filter(|b| gone.contains(&b.hash)).collect()
    }
}

/// Produces a stream's messages until the client leaves or falls behind.
async fn feed(
    node: Arc<dyn ServedNode>,
    options: Arc<Options>,
    (from, hash): (Option<u64>, Option<B256>),
    mut live: Live,
    out: mpsc::Sender<StreamMessage>,
    stall: Duration,
) -> End {
    let head =
        |node: Arc<dyn ServedNode>| blocking(move || Ok(node.view()?.heads()?.latest.number));
    let start = match from {
        Some(from) => from,
        None => match head(node.clone()).await {
            Ok(head) => head + 1,
            Err(e) => return End::Failed { resume_from: 0, reason: e.to_string() },
        },
    };
    let mut next = start;
    let mut sent = Sent::default();
    if let (Some(from @ 1..), Some(hash)) = (from, hash) {
        let reader = node.clone();
        let moved = blocking(move || {
            let view = reader.view()?;
            let number = from.saturating_sub(1);
            if view.header(number)?.is_some_and(|h| h.hash() == hash) {
                return Ok(None);
            }
            match view.branch_of(number, hash)? {
                Some((ancestor, branch)) => Ok(Some((ancestor, branch))),
                None => Err(ApiError::InvalidQuery(format!(
                    "block {hash} at height {number} is not known to this node; resume from an \
                     earlier height"
                ))),
            }
        })
        .await;
        match moved {
            Ok(None) => {}
            Ok(Some((ancestor, branch))) => {
                let abandoned = branch.iter().map(BlockRef::of).collect();
                if let Err(end) = send_reorg(&out, &ancestor, abandoned, stall, next).await {
                    return end;
                }
                next = ancestor.number + 1;
            }
            Err(e) => return End::Failed { resume_from: from, reason: e.to_string() },
        }
    }
    // Replay: catch up with the store's head until it stops moving; live blocks that arrive
    // meanwhile wait in `live` and are skipped below once replayed.
    loop {
        let head = match head(node.clone()).await {
            Ok(head) => head,
            Err(e) => return End::Failed { resume_from: next, reason: e.to_string() },
        };
        if next > head {
            break;
        }
        let before = next;
        if let Err(end) =
            send_blocks(&node, &options, &mut next, head, &out, stall, &mut sent).await
        {
            return end;
        }
        if next == before {
            // The head moved below `next` under a reorg: follow live blocks from here.
            break;
        }
    }
    loop {
        // A transaction admitted before a block was committed is reported before that block.
        let sent = tokio::select! {
            biased;
            () = out.closed() => return End::ClientGone,
            admitted = next_pending(&mut live.pending) => match admitted {
                Ok(hash) => {
                    let Some(pooled) = node.pooled(hash) else { continue };
                    let view =
                        TransactionView::new(&pooled.tx, pooled.sender, None, TxStatus::Pending);
                    match message(MessageType::Transaction, next.saturating_sub(1), view) {
                        Ok(message) => deliver(&out, vec![message], stall, next).await,
                        Err(e) => Err(End::Failed { resume_from: next, reason: e.to_string() }),
                    }
                }
                Err(e) => Err(lagged_or_stopped(e, next)),
            },
            block = live.blocks.recv() => match block {
                Ok(ChainEvent::Head(header)) => {
                    send_blocks(&node, &options, &mut next, header.number, &out, stall, &mut sent)
                        .await
                }
                Ok(ChainEvent::Reorg(reorg)) => {
                    let abandoned = sent.abandoned_by(&reorg);
                    if abandoned.is_empty() {
                        Ok(())
                    } else {
                        next = next.min(reorg.ancestor.number + 1);
                        send_reorg(&out, &reorg.ancestor, abandoned, stall, next).await
                    }
                }
                Err(e) => Err(lagged_or_stopped(e, next)),
            },
        };
        if let Err(end) = sent {
            return end;
        }
    }
}

/// What a feed follows once it has caught up: committed blocks, and admitted transactions if
/// the client wants them.
struct Live {
    blocks: broadcast::Receiver<ChainEvent>,
    pending: Option<broadcast::Receiver<B256>>,
}

/// The next admitted transaction, or never if the client did not ask for them.
async fn next_pending(pending: &mut Option<broadcast::Receiver<B256>>) -> Result<B256, RecvError> {
    match pending {
        Some(pending) => pending.recv().await,
        None => std::future::pending().await,
    }
}

/// How a feed ends when one of the node's channels fails it.
fn lagged_or_stopped(error: RecvError, next: u64) -> End {
    match error {
        RecvError::Lagged(_) => End::TooSlow { resume_from: next },
        RecvError::Closed => End::NodeStopped { resume_from: next },
    }
}

/// Why the feed ended, once it has.
async fn ended(feed: JoinHandle<End>) -> End {
    feed.await.unwrap_or_else(|e| End::Failed { resume_from: 0, reason: e.to_string() })
}

async fn serve_websocket(
    mut socket: WebSocket,
    mut queue: mpsc::Receiver<StreamMessage>,
    feed: JoinHandle<End>,
) {
    loop {
        tokio::select! {
            queued = queue.recv() => {
                let Some(queued) = queued else { break };
                let Ok(text) = serde_json::to_string(&queued) else { break };
                match timeout(SOCKET_SEND_TIMEOUT, socket.send(Message::Text(text.into()))).await {
                    Ok(Ok(())) => {}
                    // A client that takes no bytes at all cannot be told why; just hang up.
                    _ => return,
                }
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                Some(Ok(_)) => {}
            },
        }
    }
    let (code, reason, _) = ended(feed).await.describe();
    let close = Message::Close(Some(CloseFrame { code, reason: reason.into() }));
    let _ = timeout(SOCKET_SEND_TIMEOUT, socket.send(close)).await;
}

fn sse_event(message: &StreamMessage) -> Event {
    let event = Event::default().event(match message.r#type {
        MessageType::Block => "block",
        MessageType::Finalized => "finalized",
        MessageType::Transaction => "transaction",
        MessageType::Event => "event",
        MessageType::Reorg => "reorg",
        MessageType::Close => "close",
    });
    let event = match message.r#type {
        // The id is where to resume after this block, so EventSource's Last-Event-ID works.
        MessageType::Block | MessageType::Reorg => event.id((message.cursor + 1).to_string()),
        _ => event,
    };
    event.json_data(message).unwrap_or_else(|_| Event::default().comment("unencodable message"))
}

fn serve_sse(queue: mpsc::Receiver<StreamMessage>, feed: JoinHandle<End>) -> Response {
    let stream = futures_util::stream::unfold(Some((queue, feed)), |state| async move {
        let (mut queue, feed) = state?;
        match queue.recv().await {
            Some(message) => Some((Ok::<_, Infallible>(sse_event(&message)), Some((queue, feed)))),
            None => {
                let (_, reason, resume_from) = ended(feed).await.describe();
                let data = serde_json::json!({ "reason": reason, "resume_from": resume_from });
                let close = StreamMessage {
                    r#type: MessageType::Close,
                    cursor: resume_from.saturating_sub(1),
                    data,
                };
                Some((Ok(sse_event(&close)), None))
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
}

fn header_has(headers: &HeaderMap, name: header::HeaderName, needle: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .any(|value| value.to_str().is_ok_and(|v| v.to_ascii_lowercase().contains(needle)))
}

/// Live blocks, finality, pending transactions and events, resumable from a height. A
/// WebSocket upgrade gets JSON text frames; `Accept: text/event-stream` gets SSE with the
/// same JSON in each event's data.
#[utoipa::path(
    get,
    path = "/v1/stream",
    tag = "streams",
    params(StreamQuery),
    responses(
        (status = 101, description = "WebSocket: one JSON `StreamMessage` per text frame; the server closes with code 1008 (too slow), 1001 (shutting down) or 1011 (error) and a reason naming `?from=` to resume with"),
        (status = 200, description = "Server-Sent Events: event name = message type, data = the `StreamMessage`, `id` on block messages = the height to resume from; a final `close` event says why it ended", body = StreamMessage, content_type = "text/event-stream"),
        (status = 400, description = "Malformed query or WebSocket handshake", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 406, description = "Neither a WebSocket upgrade nor `Accept: text/event-stream`", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "This client (its API key, or its address without one) holds as many open streams as one client may (`too_many_streams`), or used up its rate limit (`rate_limited`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many concurrent requests or open streams in all (retry after `Retry-After` seconds)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn stream(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<StreamQuery>,
    request: Request,
) -> Result<Response, ApiError> {
    let options = Arc::new(Options::parse(&query)?);
    let headers = request.headers().clone();
    let websocket = header_has(&headers, header::UPGRADE, "websocket");
    let sse = header_has(&headers, header::ACCEPT, "text/event-stream");
    let from = match query.from {
        Some(from) => Some(from),
        None if sse && !websocket => match headers.get("last-event-id") {
            Some(id) => Some(id.to_str().ok().and_then(|id| id.parse().ok()).ok_or_else(|| {
                ApiError::InvalidQuery("Last-Event-ID must be a block height".into())
            })?),
            None => None,
        },
        None => None,
    };
    let hash = query
        .hash
        .as_deref()
        .map(|hash| {
            hash.parse::<B256>()
                .map_err(|_| ApiError::InvalidQuery("hash must be 0x and 64 hex digits".into()))
        })
        .transpose()?;
    let limits = state.stream.clone();
    let holder = match request.extensions().get::<Caller>().and_then(Caller::key_id) {
        Some(key) => StreamHolder::Key(key.to_string()),
        None => StreamHolder::Address(client_address(&request)),
    };
    let permit = limits.open.try_take(holder).map_err(|refused| match refused {
        SlotRefused::Full { .. } => ApiError::Busy,
        SlotRefused::HolderFull { max_per_holder } => {
            ApiError::TooManyStreams { max: max_per_holder }
        }
    })?;
    let start = |node: Arc<dyn ServedNode>| {
        // Subscribe before anything is read, so no block between the two is missed.
        let live = Live {
            blocks: node.subscribe_chain(),
            pending: options.transactions.then(|| node.subscribe_pending()),
        };
        let (out, queue) = mpsc::channel(limits.buffer.max(1));
        let feed = tokio::spawn(async move {
            let end = feed(node, options, (from, hash), live, out, limits.stall).await;
            drop(permit);
            end
        });
        (queue, feed)
    };
    if websocket {
        let (mut parts, _body) = request.into_parts();
        let upgrade = WebSocketUpgrade::from_request_parts(&mut parts, &state)
            .await
            .map_err(|e| ApiError::InvalidUpgrade(e.body_text()))?;
        let (queue, feed) = start(state.node.clone());
        return Ok(upgrade
            .on_upgrade(move |socket| serve_websocket(socket, queue, feed))
            .into_response());
    }
    if sse {
        let (queue, feed) = start(state.node.clone());
        return Ok(serve_sse(queue, feed));
    }
    Err(ApiError::NotAcceptable(
        "/v1/stream serves a WebSocket upgrade or Accept: text/event-stream".into(),
    ))
}
