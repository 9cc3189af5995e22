//! A simulated node's store: memory that outlives the node's crashes, fenced per life.

use std::sync::{Arc, Mutex, PoisonError};

use cairn_storage::{KvStore, MemoryKv, StoreError, WriteBatch};

/// A node's key-value store on the simulated network: one [`MemoryKv`] that survives the
/// node's crashes, as a disk would, seen through a fence per life of the node. A crash closes
/// the fence, so a block commit still running on the blocking pool for the dead life fails
/// instead of writing after the crash; a write in progress finishes first, as one that reached
/// the disk before the crash.
#[derive(Debug, Clone)]
pub struct SimKv {
    memory: MemoryKv,
    open: Arc<Mutex<bool>>,
}

impl SimKv {
    /// A new life's view of `memory`.
    pub(crate) fn new(memory: MemoryKv) -> Self {
        Self { memory, open: Arc::new(Mutex::new(true)) }
    }

    /// Refuses every write from now on.
    pub(crate) fn close(&self) {
        *self.open.lock().unwrap_or_else(PoisonError::into_inner) = false;
    }
}

impl KvStore for SimKv {
    type Read = <MemoryKv as KvStore>::Read;

    fn read(&self) -> Result<Self::Read, StoreError> {
        self.memory.read()
    }

    fn write(&self, batch: WriteBatch) -> Result<(), StoreError> {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if !*open {
            return Err(StoreError::Backend("the node crashed".into()));
        }
        self.memory.write(batch)
    }
}

#[cfg(test)]
mod tests {
    use cairn_storage::{KvRead, Table};

    use super::*;

    fn put(key: &[u8]) -> WriteBatch {
        let mut batch = WriteBatch::default();
        batch.put(Table::Meta, key.to_vec(), b"v".to_vec());
        batch
    }

    #[test]
    fn a_closed_life_cannot_write_and_the_next_life_sees_what_it_wrote() {
        let memory = MemoryKv::new();
        let first = SimKv::new(memory.clone());
        first.write(put(b"before")).expect("written while alive");
        first.close();
        assert!(matches!(first.write(put(b"after")), Err(StoreError::Backend(_))));

        let second = SimKv::new(memory);
        let read = second.read().expect("read");
        assert!(read.get(Table::Meta, b"before").expect("get").is_some());
        assert!(read.get(Table::Meta, b"after").expect("get").is_none());
        second.write(put(b"again")).expect("the new life writes");
    }
}
