//! WebSocket subscriptions (`eth_subscribe`): new heads, filtered logs and pending transactions,
//! pushed from the node's event stream. A subscriber that cannot keep up is dropped with a
//! notice instead of holding events back for everyone.

use std::ops::ControlFlow;
use std::sync::Arc;

use alloy_rpc_types_eth::pubsub::SubscriptionKind;
use alloy_rpc_types_eth::{Filter, Log};
use cairn_primitives::Header;
use cairn_reads::ChainEvent;
use jsonrpsee::core::SubscriptionError;
use jsonrpsee::core::server::SubscriptionMessage;
use jsonrpsee::core::traits::IdProvider;
use jsonrpsee::server::{PendingSubscriptionSink, SubscriptionSink};
use jsonrpsee::types::{Params, SubscriptionId};
use serde::Serialize;
use tokio::sync::broadcast::{self, error::RecvError};

use crate::context::{Module, RpcContext};
use crate::convert;
use crate::error::{invalid_params, node_error};
use crate::filter_table::new_id;
use crate::params::{Args, RpcResult};
use crate::transport::Transport;

/// Subscription ids in geth's format (`0x` and 32 hex digits), which some clients assume.
#[derive(Debug)]
pub(crate) struct HexIds;

impl IdProvider for HexIds {
    fn next_id(&self) -> SubscriptionId<'static> {
        SubscriptionId::Str(new_id().into())
    }
}

/// What one subscription sends.
enum Topic {
    NewHeads,
    Logs(Box<Filter>),
    PendingHashes,
    PendingTransactions,
}

const TOO_SLOW: &str = "subscriber too slow: events were dropped, subscription closed";

pub(crate) fn register_all(module: &mut Module) {
    let _ = module.register_subscription(
        "eth_subscribe",
        "eth_subscription",
        "eth_unsubscribe",
        |params, pending, ctx, extensions| async move {
            // Counted while served, so its connection is not closed as idle.
            let _subscribed = match extensions.get::<Transport>() {
                Some(Transport::WebSocket(activity)) => Some(activity.subscribed()),
                _ => None,
            };
            serve(params, pending, ctx).await
        },
    );
}

fn topic(params: &Params<'_>) -> RpcResult<Topic> {
    let mut args = Args::new(params);
    let kind: SubscriptionKind = args.next()?;
    Ok(match kind {
        SubscriptionKind::NewHeads => Topic::NewHeads,
        SubscriptionKind::Logs => Topic::Logs(Box::new(args.optional()?.unwrap_or_default())),
        SubscriptionKind::NewPendingTransactions => match args.optional::<bool>()? {
            Some(true) => Topic::PendingTransactions,
            _ => Topic::PendingHashes,
        },
        other => {
            return Err(invalid_params(format!("subscription {other:?} is not supported")));
        }
    })
}

async fn serve(
    params: Params<'static>,
    pending: PendingSubscriptionSink,
    ctx: Arc<RpcContext>,
) -> Result<(), SubscriptionError> {
    let topic = match topic(&params) {
        Ok(topic) => topic,
        Err(e) => {
            pending.reject(e).await;
            return Ok(());
        }
    };
    // Each receiver is created before the subscription is accepted, so no event between the two
    // is missed.
    match topic {
        Topic::NewHeads => {
            // After a reorg geth sends the new branch's heads; they follow as head events.
            forward(ctx.node.subscribe_chain(), pending, |event| match event {
                ChainEvent::Head(header) => {
                    let total_difficulty = match header.difficulty {
                        Some(_) => ctx
                            .view()
                            .and_then(|view| {
                                view.total_difficulty(header.hash()).map_err(node_error)
                            })
                            .map_err(|e| e.message().to_string())?,
                        None => None,
                    };
                    Ok(vec![json(&convert::header(&header, None, total_difficulty))?])
                }
                ChainEvent::Reorg(_) => Ok(Vec::new()),
            })
            .await
        }
        Topic::Logs(filter) => {
            // A reorg first takes back the abandoned blocks' logs (`removed: true`, oldest
            // first, as geth sends them); the new branch's logs follow with its heads.
            forward(ctx.node.subscribe_chain(), pending, |event| match event {
                ChainEvent::Head(header) => {
                    logs(&ctx, &filter, &header)?.iter().map(json).collect()
                }
                ChainEvent::Reorg(reorg) => reorg
                    .removed_logs(&filter)
                    .into_iter()
                    .map(|log| json(&convert::removed_log(log)))
                    .collect(),
            })
            .await
        }
        Topic::PendingHashes => {
            forward(ctx.node.subscribe_pending(), pending, |hash| Ok(vec![json(&hash)?])).await
        }
        Topic::PendingTransactions => {
            forward(ctx.node.subscribe_pending(), pending, |hash| {
                Ok(match ctx.node.pooled(hash) {
                    Some(pooled) => {
                        vec![json(&convert::transaction(pooled.tx, pooled.sender, None))?]
                    }
                    None => Vec::new(),
                })
            })
            .await
        }
    }
}

/// Accepts the subscription and sends the notifications `items` makes of each event, until the
/// client leaves or falls behind.
async fn forward<T: Clone>(
    mut events: broadcast::Receiver<T>,
    pending: PendingSubscriptionSink,
    items: impl Fn(T) -> Result<Vec<serde_json::Value>, SubscriptionError>,
) -> Result<(), SubscriptionError> {
    let mut sink = pending.accept().await?;
    loop {
        let event = tokio::select! {
            () = sink.closed() => return Ok(()),
            event = events.recv() => event,
        };
        let items = match event {
            Ok(event) => items(event)?,
            Err(RecvError::Lagged(_)) => return Err(TOO_SLOW.into()),
            Err(RecvError::Closed) => return Ok(()),
        };
        for item in items {
            let message =
                SubscriptionMessage::new(sink.method_name(), sink.subscription_id(), &item)?;
            if !deliver(&mut sink, message)? {
                return Ok(());
            }
        }
    }
}

/// Queues a notification; `false` once the client has gone.
fn deliver(
    sink: &mut SubscriptionSink,
    message: SubscriptionMessage,
) -> Result<bool, SubscriptionError> {
    match sink.try_send(message) {
        Ok(()) => Ok(true),
        Err(jsonrpsee::core::server::TrySendError::Closed(_)) => Ok(false),
        Err(jsonrpsee::core::server::TrySendError::Full(_)) => Err(TOO_SLOW.into()),
    }
}

fn json<T: Serialize>(value: &T) -> Result<serde_json::Value, SubscriptionError> {
    serde_json::to_value(value).map_err(SubscriptionError::from)
}

fn logs(ctx: &RpcContext, filter: &Filter, header: &Header) -> Result<Vec<Log>, SubscriptionError> {
    if !filter.matches_bloom(header.logs_bloom) {
        return Ok(Vec::new());
    }
    let view = ctx.view().map_err(|e| e.message().to_string())?;
    let mut found = Vec::new();
    view.logs(filter, header.number, header.number, 0, &mut |log| {
        // A block a reorg abandoned since it was announced has left the store: its number now
        // holds another block, whose logs its own head event brings.
        if log.block_hash == header.hash() {
            found.push(convert::log(log));
        }
        ControlFlow::Continue(())
    })
    .map_err(|e| e.to_string())?;
    Ok(found)
}
