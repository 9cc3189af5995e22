//! The node's store as other crates' record tables see it (the REST API's webhooks): they reach
//! their own tables through the node, never the chain's.

use cairn_storage::{KvStore, RecordBatch, RecordStore, RecordTable, Scanner, StoreError};

use crate::Node;

impl<K: KvStore> RecordStore for Node<K> {
    fn get(&self, table: RecordTable, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.store.get(table, key)
    }

    fn scan(
        &self,
        table: RecordTable,
        prefix: &[u8],
        start: &[u8],
        scan: &mut Scanner<'_>,
    ) -> Result<(), StoreError> {
        self.store.scan(table, prefix, start, scan)
    }

    fn write(&self, batch: RecordBatch) -> Result<(), StoreError> {
        self.store.write(batch)
    }
}
