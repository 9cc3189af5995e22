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
mod state;

pub use alloy_trie::TrieAccount as Account;
pub use chain::{BlockExtras, CHANGESET_RETENTION, ChainStore};
pub use error::StoreError;
pub use kv::{KvRead, KvStore, Scanner, Table, Visitor, WriteBatch};
pub use memory::MemoryKv;
pub use records::{RecordBatch, RecordStore, RecordTable};
pub use redb_kv::{RedbKv, panic_is_contained};
pub use snapshot::{AccountProof, AddressTx, HistoricalState, Snapshot, StorageProof, TxLocation};
pub use state::{AccountChange, AccountInfo, StateChanges, StateUpdate, StateView};
