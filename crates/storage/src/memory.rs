use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::kv::{Scanner, Visitor};
use crate::{KvRead, KvStore, StoreError, Table, WriteBatch};

type Map = BTreeMap<(Table, Vec<u8>), Vec<u8>>;

/// An in-memory backend for tests and for re-executing a chain during audit. Snapshots share
/// the map until the next write, which copies it only while a snapshot is alive.
#[derive(Debug, Default, Clone)]
pub struct MemoryKv {
    map: Arc<Mutex<Arc<Map>>>,
}

impl MemoryKv {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

/// A frozen view of a [`MemoryKv`].
#[derive(Debug)]
pub struct MemoryRead(Arc<Map>);

impl KvRead for MemoryRead {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.0.get(&(table, key.to_vec())).cloned())
    }

    fn for_each_prefix(
        &self,
        table: Table,
        prefix: &[u8],
        visit: &mut Visitor<'_>,
    ) -> Result<(), StoreError> {
        for ((t, k), v) in self.0.range((table, prefix.to_vec())..) {
            if *t != table || !k.starts_with(prefix) {
                break;
            }
            visit(k, v)?;
        }
        Ok(())
    }

    fn scan_prefix_from(
        &self,
        table: Table,
        prefix: &[u8],
        start: &[u8],
        scan: &mut Scanner<'_>,
    ) -> Result<(), StoreError> {
        let from = if start > prefix { start } else { prefix };
        for ((t, k), v) in self.0.range((table, from.to_vec())..) {
            if *t != table || !k.starts_with(prefix) {
                break;
            }
            if scan(k, v)?.is_break() {
                break;
            }
        }
        Ok(())
    }
}

impl KvStore for MemoryKv {
    type Read = MemoryRead;

    fn read(&self) -> Result<MemoryRead, StoreError> {
        Ok(MemoryRead(self.map.lock().unwrap_or_else(PoisonError::into_inner).clone()))
    }

    fn write(&self, batch: WriteBatch) -> Result<(), StoreError> {
        let mut guard = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        let map = Arc::make_mut(&mut guard);
        for (table, key, value) in batch.ops {
            match value {
                Some(v) => map.insert((table, key), v),
                None => map.remove(&(table, key)),
            };
        }
        Ok(())
    }
}
