use alloy_primitives::B256;
use thiserror::Error;

/// Why the store could not read or write.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The backend (redb or the file system) failed.
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
    /// The state trie could not be read.
    #[error(transparent)]
    Trie(#[from] cairn_trie::TrieError),
}

impl StoreError {
    pub(crate) fn corrupt(what: &'static str, reason: impl ToString) -> Self {
        Self::Corrupt { what, reason: reason.to_string() }
    }
}

impl From<redb::Error> for StoreError {
    fn from(e: redb::Error) -> Self {
        Self::Backend(e.to_string())
    }
}

macro_rules! redb_errors {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                Self::Backend(e.to_string())
            }
        }
    )*};
}
redb_errors!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);
