//! The two backends the suite runs against, behind one small factory trait.

use std::collections::BTreeMap;

use cairn_storage::{
    ChainStore, KvRead, KvStore, MemoryKv, RecordTable, RedbKv, Table, WriteBatch,
};
use tempfile::TempDir;

use crate::fixtures::dev_spec;

/// Every entry of every table, for "nothing was written" checks.
pub(crate) type Dump = BTreeMap<(Table, Vec<u8>), Vec<u8>>;

/// Where one test's data lives. `kv` opens a handle on it; with redb only one handle may be
/// open at a time, so callers drop the store before opening the raw backend again.
pub(crate) trait Backend {
    /// The key-value store this backend opens.
    type Kv: KvStore;

    /// Fresh, empty storage.
    fn create() -> Self;

    /// A handle on the storage (reopening the file for redb, sharing the map for memory).
    fn kv(&self) -> Self::Kv;

    /// The chain store on this storage, opened with the dev spec.
    fn open_store(&self) -> ChainStore<Self::Kv> {
        ChainStore::open(self.kv(), &dev_spec()).expect("open chain store")
    }

    /// Applies `batch` directly to the backend.
    fn write_raw(&self, batch: WriteBatch) {
        self.kv().write(batch).expect("raw write");
    }

    /// Everything the backend holds.
    fn dump(&self) -> Dump {
        dump(&self.kv().read().expect("read view"))
    }
}

/// Record tables the suite writes, as another crate would own them.
pub(crate) const NOTES: RecordTable = RecordTable::new("test_notes");
/// A second record table, to check a batch spans tables atomically.
pub(crate) const NOTE_LOG: RecordTable = RecordTable::new("test_note_log");

/// Every entry of every table of a read view (the chain's and the suite's record tables).
pub(crate) fn dump<R: KvRead>(read: &R) -> Dump {
    let mut all = Dump::new();
    let records = [Table::Record(NOTES), Table::Record(NOTE_LOG)];
    for table in Table::CHAIN.into_iter().chain(records) {
        read.for_each_prefix(table, &[], &mut |key, value| {
            all.insert((table, key.to_vec()), value.to_vec());
            Ok(())
        })
        .expect("scan table");
    }
    all
}

/// The in-memory backend; clones share one map, so a clone acts as a "reopened" store.
pub(crate) struct Memory(MemoryKv);

impl Backend for Memory {
    type Kv = MemoryKv;

    fn create() -> Self {
        Self(MemoryKv::new())
    }

    fn kv(&self) -> MemoryKv {
        self.0.clone()
    }
}

/// The redb backend on `chain.redb` in a temporary directory.
pub(crate) struct Redb(TempDir);

impl Backend for Redb {
    type Kv = RedbKv;

    fn create() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        RedbKv::create(&dir.path().join("chain.redb")).expect("create redb file");
        Self(dir)
    }

    fn kv(&self) -> RedbKv {
        RedbKv::open(&self.0.path().join("chain.redb")).expect("open redb file")
    }
}

impl Redb {
    /// The store file.
    pub(crate) fn path(&self) -> std::path::PathBuf {
        self.0.path().join("chain.redb")
    }
}
