//! The polled filters a server keeps (`eth_newFilter` and friends): what each has reported so
//! far, and their expiry when the client stops polling.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use alloy_primitives::B256;
use alloy_rpc_types_eth::Filter;
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
    /// Reports the hashes of blocks from `next` on.
    Blocks { next: u64 },
    /// Reports matching logs in blocks from `next` on.
    Logs { filter: Box<Filter>, next: u64 },
    /// Reports the hashes of transactions admitted since the last poll.
    Pending { events: broadcast::Receiver<B256> },
}

/// What a poll has to compute outside the lock.
pub(crate) enum Poll {
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
            Kind::Blocks { next } => Poll::Blocks(std::mem::replace(next, head + 1)),
            Kind::Logs { filter, next } => {
                Poll::Logs(filter.clone(), std::mem::replace(next, head + 1))
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
