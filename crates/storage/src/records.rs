//! Tables other crates keep beside the chain in the same database (the REST API's webhooks),
//! named by the crate that owns them: the store knows nothing of what they hold, and a write to
//! them cannot reach the chain's tables.

use crate::kv::{KvRead as _, Scanner};
use crate::{ChainStore, KvStore, StoreError, Table, WriteBatch};

/// A table another crate keeps beside the chain, named by that crate. The name is the table's
/// name in the backend, so it must never change once data was written under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordTable(&'static str);

impl RecordTable {
    /// A record table called `name` in the backend.
    pub const fn new(name: &'static str) -> Self {
        Self(name)
    }

    /// The table's name in the backend.
    pub fn name(self) -> &'static str {
        self.0
    }

    /// Refuses a name a chain table already has, so records can never alias chain data.
    fn check(self) -> Result<Table, StoreError> {
        if Table::CHAIN.iter().any(|table| table.name() == self.0) {
            return Err(StoreError::RecordTableName { name: self.0 });
        }
        Ok(Table::Record(self))
    }
}

/// Puts and deletes in record tables only, applied together or not at all: by its type, a
/// record batch cannot touch the chain.
#[derive(Debug, Default)]
pub struct RecordBatch {
    ops: Vec<(RecordTable, Vec<u8>, Option<Vec<u8>>)>,
}

impl RecordBatch {
    /// Sets `key` to `value` in `table`.
    pub fn put(&mut self, table: RecordTable, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.ops.push((table, key.into(), Some(value.into())));
    }

    /// Removes `key` from `table`.
    pub fn delete(&mut self, table: RecordTable, key: impl Into<Vec<u8>>) {
        self.ops.push((table, key.into(), None));
    }

    fn into_write_batch(self) -> Result<WriteBatch, StoreError> {
        let mut batch = WriteBatch::default();
        for (table, key, value) in self.ops {
            let table = table.check()?;
            match value {
                Some(value) => batch.put(table, key, value),
                None => batch.delete(table, key),
            }
        }
        Ok(batch)
    }
}

/// Reads and atomic, durable writes of record tables: what a crate that keeps records beside
/// the chain needs of the node's store, and nothing of the chain.
pub trait RecordStore: Send + Sync {
    /// The value of `key` in `table`, if present; a table never written reads as empty.
    fn get(&self, table: RecordTable, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;

    /// Visits, in key order, the entries of `table` whose key starts with `prefix` and is at
    /// least `start`, until `scan` breaks.
    fn scan(
        &self,
        table: RecordTable,
        prefix: &[u8],
        start: &[u8],
        scan: &mut Scanner<'_>,
    ) -> Result<(), StoreError>;

    /// Applies the batch atomically and durably.
    fn write(&self, batch: RecordBatch) -> Result<(), StoreError>;
}

impl<K: KvStore> RecordStore for ChainStore<K> {
    fn get(&self, table: RecordTable, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let table = table.check()?;
        self.kv().read()?.get(table, key)
    }

    fn scan(
        &self,
        table: RecordTable,
        prefix: &[u8],
        start: &[u8],
        scan: &mut Scanner<'_>,
    ) -> Result<(), StoreError> {
        let table = table.check()?;
        self.kv().read()?.scan_prefix_from(table, prefix, start, scan)
    }

    fn write(&self, batch: RecordBatch) -> Result<(), StoreError> {
        self.kv().write(batch.into_write_batch()?)
    }
}
