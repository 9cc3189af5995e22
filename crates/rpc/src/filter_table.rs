//! The polled filters a server keeps (`eth_newFilter` and friends): what each has reported so
//! far, and their expiry when the client stops polling.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use alloy_primitives::B256;
use alloy_rpc_types_eth::Filter;
use cairn_reads::{ChainEvent, Reorg};
use tokio::sync::broadcast::{self, error::TryRecvError};

use crate::error::{limit_exceeded, server_error};
use crate::params::RpcResult;

/// The installed filters of one server.
pub(crate) struct Filters {
    table: Mutex<HashMap<String, Installed>>,
    ttl: Duration,
    max: usize,
}

pub(crate) struct Installed {
    kind: Kind,
    last_poll: Instant,
}

pub(crate) enum Kind {
    /// Reports the hashes of blocks from `next` on; a reorg below `next` (seen on `chain`)
    /// moves it back to the first adopted block.
    Blocks { next: u64, chain: broadcast::Receiver<ChainEvent> },
    /// Reports matching logs in blocks from `next` on, and after a reorg below `next` the
    /// logs of the abandoned blocks it reported, as removed.
    Logs { filter: Box<Filter>, next: u64, chain: broadcast::Receiver<ChainEvent> },
    /// Reports the hashes of transactions admitted since the last poll.
    Pending { events: broadcast::Receiver<B256> },
}

/// What a poll has to compute outside the lock.
pub(crate) enum Poll {
    Blocks(u64),
    Logs {
        filter: Box<Filter>,
        from: u64,
        /// Each reorg since the last poll, with the height below which the client had been
        /// given that reorg's abandoned blocks.
        reorgs: Vec<(Arc<Reorg>, u64)>,
    },
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

    pub(crate) fn install(&self, kind: Kind) -> RpcResult<String> {
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

    pub(crate) fn uninstall(&self, id: &str) -> bool {
        self.table().remove(id).is_some()
    }

    /// Takes what the filter has to report since its last poll and moves it on to `head + 1`.
    pub(crate) fn poll(&self, id: &str, head: u64) -> RpcResult<Poll> {
        let mut table = self.table();
        let installed = table.get_mut(id).ok_or_else(not_found)?;
        installed.last_poll = Instant::now();
        Ok(match &mut installed.kind {
            Kind::Blocks { next, chain } => {
                let (from, _) = rewind(*next, chain);
                *next = head + 1;
                Poll::Blocks(from)
            }
            Kind::Logs { filter, next, chain } => {
                let (from, reorgs) = rewind(*next, chain);
                *next = head + 1;
                Poll::Logs { filter: filter.clone(), from, reorgs }
            }
            Kind::Pending { events } => Poll::Pending(drain(events)),
        })
    }

    pub(crate) fn log_filter(&self, id: &str) -> RpcResult<Box<Filter>> {
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

/// Where a filter that had reported blocks below `next` resumes after the reorgs waiting in
/// `chain` (the first block each adopted, if lower), and each reorg with the height below
/// which the filter had reported the blocks it abandoned. A filter that fell behind the
/// channel misses the reorgs it lost.
fn rewind(next: u64, chain: &mut broadcast::Receiver<ChainEvent>) -> (u64, Vec<(Arc<Reorg>, u64)>) {
    let mut from = next;
    let mut reorgs = Vec::new();
    loop {
        match chain.try_recv() {
            Ok(ChainEvent::Reorg(reorg)) => {
                let reported_below = from;
                from = from.min(reorg.ancestor.number + 1);
                reorgs.push((reorg, reported_below));
            }
            Ok(ChainEvent::Head(_)) | Err(TryRecvError::Lagged(_)) => {}
            Err(TryRecvError::Empty | TryRecvError::Closed) => return (from, reorgs),
        }
    }
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
