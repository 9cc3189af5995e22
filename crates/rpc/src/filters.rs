//! Polled filters (`eth_newFilter` and friends): each remembers how far its client has read and
//! expires when the client stops polling.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use alloy_eips::BlockNumberOrTag;
use alloy_primitives::B256;
use alloy_rpc_types_eth::{Filter, FilterBlockOption, FilterChanges};
use cairn_storage::KvStore;
use serde_json::Value;
use tokio::sync::broadcast::{self, error::TryRecvError};

use crate::blocks::{snapshot, store};
use crate::context::{Module, RpcContext, json, register, register_blocking};
use crate::error::{invalid_params, limit_exceeded, node_error, server_error};
use crate::logs;
use crate::params::{Args, RpcResult, tag_number};

/// The installed filters of one server.
pub(crate) struct Filters {
    table: Mutex<HashMap<String, Installed>>,
    ttl: Duration,
    max: usize,
}

struct Installed {
    kind: Kind,
    last_poll: Instant,
}

enum Kind {
    /// Reports the hashes of blocks from `next` on.
    Blocks { next: u64 },
    /// Reports matching logs in blocks from `next` on.
    Logs { filter: Box<Filter>, next: u64 },
    /// Reports the hashes of transactions admitted since the last poll.
    Pending { events: broadcast::Receiver<B256> },
}

/// What a poll has to compute outside the lock.
enum Poll {
    Blocks(u64),
    Logs(Box<Filter>, u64),
    Pending(Vec<B256>),
}

impl Filters {
    pub(crate) fn new(ttl: Duration, max: usize) -> Self {
        Self { table: Mutex::new(HashMap::new()), ttl, max }
    }

    fn table(&self) -> MutexGuard<'_, HashMap<String, Installed>> {
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        let ttl = self.ttl;
        table.retain(|_, f| f.last_poll.elapsed() < ttl);
        table
    }

    fn install(&self, kind: Kind) -> RpcResult<String> {
        let mut table = self.table();
        if table.len() >= self.max {
            return Err(limit_exceeded(format!(
                "{} filters are installed, the most this node keeps; uninstall unused filters",
                self.max
            )));
        }
        let id = new_id();
        table.insert(id.clone(), Installed { kind, last_poll: Instant::now() });
        Ok(id)
    }

    fn uninstall(&self, id: &str) -> bool {
        self.table().remove(id).is_some()
    }

    /// Takes what the filter has to report since its last poll and moves it on to `head + 1`.
    fn poll(&self, id: &str, head: u64) -> RpcResult<Poll> {
        let mut table = self.table();
        let installed = table.get_mut(id).ok_or_else(not_found)?;
        installed.last_poll = Instant::now();
        Ok(match &mut installed.kind {
            Kind::Blocks { next } => Poll::Blocks(std::mem::replace(next, head + 1)),
            Kind::Logs { filter, next } => {
                Poll::Logs(filter.clone(), std::mem::replace(next, head + 1))
            }
            Kind::Pending { events } => Poll::Pending(drain(events)),
        })
    }

    fn log_filter(&self, id: &str) -> RpcResult<Box<Filter>> {
        let mut table = self.table();
        let installed = table.get_mut(id).ok_or_else(not_found)?;
        installed.last_poll = Instant::now();
        match &installed.kind {
            Kind::Logs { filter, .. } => Ok(filter.clone()),
            _ => Err(server_error("filter is not a log filter")),
        }
    }
}

/// An id as geth formats them: 128 random bits in hex.
pub(crate) fn new_id() -> String {
    format!("0x{:032x}", rand::random::<u128>())
}

fn not_found() -> jsonrpsee::types::ErrorObjectOwned {
    server_error("filter not found")
}

/// Pending hashes waiting in a receiver; if the filter fell behind, the oldest are gone.
fn drain(events: &mut broadcast::Receiver<B256>) -> Vec<B256> {
    let mut hashes = Vec::new();
    loop {
        match events.try_recv() {
            Ok(hash) => hashes.push(hash),
            Err(TryRecvError::Lagged(_)) => {}
            Err(TryRecvError::Empty | TryRecvError::Closed) => return hashes,
        }
    }
}

pub(crate) fn register_all<K: KvStore>(module: &mut Module<K>) {
    register(module, "eth_newFilter", |params, ctx| {
        let filter: Filter = Args::new(&params).next()?;
        if let FilterBlockOption::AtBlockHash(_) = filter.block_option {
            return Err(invalid_params(
                "eth_newFilter takes a block range; use eth_getLogs for a single block hash",
            ));
        }
        let next = head(ctx)? + 1;
        json(ctx.filters.install(Kind::Logs { filter: Box::new(filter), next })?)
    });
    register(module, "eth_newBlockFilter", |_, ctx| {
        let next = head(ctx)? + 1;
        json(ctx.filters.install(Kind::Blocks { next })?)
    });
    register(module, "eth_newPendingTransactionFilter", |_, ctx| {
        json(ctx.filters.install(Kind::Pending { events: ctx.node.subscribe_pending() })?)
    });
    register(module, "eth_uninstallFilter", |params, ctx| {
        let id: String = Args::new(&params).next()?;
        json(ctx.filters.uninstall(&id))
    });
    register_blocking(module, "eth_getFilterChanges", |params, ctx| {
        let id: String = Args::new(&params).next()?;
        let head = head(ctx)?;
        match ctx.filters.poll(&id, head)? {
            Poll::Pending(hashes) => json(FilterChanges::<Value>::Hashes(hashes)),
            Poll::Blocks(next) => {
                let snapshot = snapshot(ctx)?;
                let mut hashes = Vec::new();
                for number in next..=head {
                    if let Some(header) = snapshot.header(number).map_err(store)? {
                        hashes.push(header.hash());
                    }
                }
                json(FilterChanges::<Value>::Hashes(hashes))
            }
            Poll::Logs(filter, next) => {
                let (from, to) = bounds(ctx, &filter, head)?;
                let snapshot = snapshot(ctx)?;
                json(logs::collect(ctx, &snapshot, &filter, from.max(next), to)?)
            }
        }
    });
    register_blocking(module, "eth_getFilterLogs", |params, ctx| {
        let id: String = Args::new(&params).next()?;
        let filter = ctx.filters.log_filter(&id)?;
        json(logs::query(ctx, &filter)?)
    });
}

fn head<K: KvStore>(ctx: &RpcContext<K>) -> RpcResult<u64> {
    Ok(ctx.node.head().map_err(node_error)?.number)
}

/// The block range a log filter covers, capped at the head (block-hash filters are refused at
/// installation, so they cover nothing).
fn bounds<K: KvStore>(ctx: &RpcContext<K>, filter: &Filter, head: u64) -> RpcResult<(u64, u64)> {
    match filter.block_option {
        FilterBlockOption::AtBlockHash(_) => Ok((1, 0)),
        FilterBlockOption::Range { from_block, to_block } => {
            let from = match from_block {
                Some(tag) => tag_number(&ctx.node, tag)?,
                None => 0,
            };
            let to = tag_number(&ctx.node, to_block.unwrap_or(BlockNumberOrTag::Latest))?;
            Ok((from, to.min(head)))
        }
    }
}
