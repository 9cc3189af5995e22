//! Where the chain lives: blocks, receipts, indexes and state, committed one block at a time.
//!
//! ```text
//!  ChainStore ── commit_block(block, receipts, StateUpdate) ──► one WriteBatch ──► KvStore
//!      │                                                          ├─ RedbKv   (disk)
//!      └── snapshot() ──► Snapshot: blocks, receipts, state,      └─ MemoryKv (tests)
//!                          proofs, prepare_state(changes)
//! ```
//!
//! All chain logic (encodings, indexes, change sets, unwinding) is written once in
//! [`ChainStore`]; a backend only has to get, scan and apply an ordered batch atomically, so
//! the shared test suite proves the same behaviour on disk and in memory.
//!
//! On a chain with work the store is a block tree: every block's total difficulty by hash,
//! competing blocks kept unexecuted as side blocks, and [`ChainStore::switch_branch`], which
//! unwinds to the common ancestor and executes the other branch on a [`Staged`] view, writing
//! the whole switch in one batch.
//!
//! Other crates keep their own records beside the chain in the same database (the REST API's
//! webhooks) in record tables they name ([`RecordTable`]), written through [`RecordStore`],
//! which cannot reach a chain table.

mod chain;
mod codec;
mod error;
mod kv;
mod memory;
mod records;
mod redb_file;
mod redb_kv;
mod snapshot;
mod staged;
mod state;

pub use alloy_trie::TrieAccount as Account;
pub use chain::{
    BlockExtras, BranchSwitch, CHANGESET_RETENTION, ChainStore, SIDE_BLOCKS_PER_HEIGHT, Unwound,
};
pub use error::StoreError;
pub use kv::{KvRead, KvStore, Scanner, Table, Visitor, WriteBatch};
pub use memory::MemoryKv;
pub use records::{RecordBatch, RecordStore, RecordTable};
pub use redb_kv::{RedbKv, panic_is_contained};
pub use snapshot::{AccountProof, AddressTx, HistoricalState, Snapshot, StorageProof, TxLocation};
pub use staged::Staged;
pub use state::{AccountChange, AccountInfo, StateChanges, StateUpdate, StateView};
