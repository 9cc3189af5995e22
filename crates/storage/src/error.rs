use std::path::PathBuf;
use std::sync::Arc;

use alloy_primitives::B256;
use thiserror::Error;

/// Why the store could not be opened, read or written.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The store file a data directory needs is not there; it is never silently recreated.
    #[error(
        "{} does not exist; restore it from a backup or resync, or use a new data directory",
        path.display()
    )]
    Missing {
        /// The file looked for.
        path: PathBuf,
    },
    /// The store file is there but holds nothing (zero bytes): a chain was lost, not a new one
    /// started.
    #[error(
        "{} is empty (0 bytes) and holds no chain; restore it from a backup or resync, or use a new data directory",
        path.display()
    )]
    Empty {
        /// The empty file.
        path: PathBuf,
    },
    /// A new store was asked for where a file already exists.
    #[error("{} already exists; a new store is only created where there is none", path.display())]
    Exists {
        /// The existing file.
        path: PathBuf,
    },
    /// Another process (a running node) holds the store open.
    #[error(
        "{} is in use by another process (a running node?); stop it first, or work on a copy",
        path.display()
    )]
    InUse {
        /// The locked file.
        path: PathBuf,
    },
    /// The file system failed under the store: a full disk, an I/O error, a permission.
    #[error("I/O error: {0}")]
    Io(#[source] std::io::Error),
    /// The store file is damaged: redb found a bad page, or failed on one. `page` is the page
    /// redb read last before it failed (4 KiB pages from the start of the file), when known.
    #[error("store is corrupt at {}; restore from a backup or resync", corrupt_at(*.page, .detail))]
    FileCorrupt {
        /// The page redb read last before it failed.
        page: Option<u64>,
        /// What redb reported.
        detail: String,
    },
    /// A write was offered to a store opened read-only (an audit).
    #[error("the store is open read-only")]
    ReadOnly,
    /// The store failed before (the cause is kept) and refuses writes until the process
    /// restarts and reopens it.
    #[error("storage failed: {0}")]
    Failed(Arc<StoreError>),
    /// The backend (redb) failed in a way none of the variants above describes.
    #[error("storage backend: {0}")]
    Backend(String),
    /// Stored bytes do not decode: the data directory is damaged or was altered.
    #[error("corrupt {what} in the store: {reason}")]
    Corrupt {
        /// Which kind of record.
        what: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// An existing store holds no chain: it was never initialised.
    #[error("the store holds no chain (no genesis block)")]
    NoChain,
    /// A block was offered whose parent is not the current head.
    #[error("block {number} does not extend the head (parent {parent}, head {head})")]
    NotOnHead {
        /// The offered block's number.
        number: u64,
        /// The offered block's parent hash.
        parent: B256,
        /// The current head hash.
        head: B256,
    },
    /// The data directory holds a different chain than the spec describes.
    #[error("data directory holds genesis {stored}, but the chain spec gives {expected}")]
    GenesisMismatch {
        /// Genesis hash in the store.
        stored: B256,
        /// Genesis hash the spec produces.
        expected: B256,
    },
    /// The data directory holds a chain with another chain id than the spec's.
    #[error("data directory holds chain id {stored}, but the chain spec gives {expected}")]
    ChainIdMismatch {
        /// Chain id in the store.
        stored: u64,
        /// Chain id of the spec.
        expected: u64,
    },
    /// A block offered for commit disagrees with the data that comes with it.
    #[error("block {number} is inconsistent: {reason}")]
    Inconsistent {
        /// The block's number.
        number: u64,
        /// What disagrees.
        reason: String,
    },
    /// An unwind asked for more than the retained change sets allow.
    #[error("cannot unwind block {number}: {reason}")]
    Unwind {
        /// The block that could not be unwound.
        number: u64,
        /// Why.
        reason: String,
    },
    /// The store already keeps as many blocks off the canonical chain at this height as it
    /// may.
    #[error("already {} side blocks at height {number}", crate::SIDE_BLOCKS_PER_HEIGHT)]
    SideBlocksFull {
        /// The height.
        number: u64,
    },
    /// A branch switch's staged view was asked for a table it writes but does not answer for
    /// (bodies, receipts, indexes) until the switch is written.
    #[error("table {table} is written, not read, while a branch switch is staged")]
    NotStaged {
        /// The table's name.
        table: &'static str,
    },
    /// A record table was named like a chain table, whose data it would alias.
    #[error("record table name {name:?} is taken by a chain table")]
    RecordTableName {
        /// The refused name.
        name: &'static str,
    },
    /// The state trie could not be read.
    #[error(transparent)]
    Trie(#[from] cairn_trie::TrieError),
}

/// redb's pages are 4 KiB (fixed by redb, not configurable).
pub(crate) const PAGE_SIZE: u64 = 4096;

fn corrupt_at(page: Option<u64>, detail: &str) -> String {
    match page {
        Some(page) => format!(
            "page {page} (byte offset {}, the last page read before redb failed: {detail})",
            page * PAGE_SIZE
        ),
        None => format!("an unknown page (redb: {detail})"),
    }
}

impl StoreError {
    pub(crate) fn corrupt(what: &'static str, reason: impl ToString) -> Self {
        Self::Corrupt { what, reason: reason.to_string() }
    }
}
