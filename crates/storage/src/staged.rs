//! A read view of a backend with writes laid over it that are not written yet: what a branch
//! switch executes the blocks of the new branch on, one after the other, before the whole
//! switch is written at once. Only the tables executing and committing a block read are laid
//! over the view; the bodies, receipts and indexes a switch writes (most of its writes) are
//! kept in order for the final batch, and reading them from the view is an error rather than
//! a stale answer.

use std::collections::BTreeMap;
use std::ops::{Bound, ControlFlow};
use std::sync::Arc;

use crate::kv::{Op, Scanner, Visitor};
use crate::{KvRead, StoreError, Table, WriteBatch};

/// The staged writes by table, each key's last one (`None`: deleted).
type Changes = BTreeMap<Table, BTreeMap<Vec<u8>, Option<Vec<u8>>>>;

/// A backend's view as it will read once the staged writes are applied.
#[derive(Debug)]
pub struct Staged<R> {
    base: Arc<R>,
    changes: Arc<Changes>,
    /// The writes to tables the view does not answer for, in order.
    unread: Arc<Vec<Op>>,
}

impl<R> Clone for Staged<R> {
    fn clone(&self) -> Self {
        Self { base: self.base.clone(), changes: self.changes.clone(), unread: self.unread.clone() }
    }
}

/// Whether a branch switch reads `table` while it executes and commits the branch's blocks:
/// the tables written but never read then are not laid over the view.
fn read_while_staged(table: Table) -> bool {
    !matches!(
        table,
        Table::Bodies
            | Table::TxIndex
            | Table::Receipts
            | Table::Senders
            | Table::AddressTxs
            | Table::ChangeSets
            | Table::SystemLogs
            | Table::BlockConsensus
    )
}

/// The error for a read of a table the view does not answer for.
fn not_staged(table: Table) -> StoreError {
    StoreError::NotStaged { table: table.name() }
}

impl<R: KvRead> Staged<R> {
    /// `base` with nothing staged yet.
    pub(crate) fn new(base: R) -> Self {
        Self { base: Arc::new(base), changes: Arc::default(), unread: Arc::default() }
    }

    /// Lays `batch`'s writes over the view, in order. Clones the staged map only while
    /// another copy of this view is alive.
    pub(crate) fn stage(&mut self, batch: WriteBatch) {
        let changes = Arc::make_mut(&mut self.changes);
        let unread = Arc::make_mut(&mut self.unread);
        for (table, key, value) in batch.ops {
            if read_while_staged(table) {
                changes.entry(table).or_default().insert(key, value);
            } else {
                unread.push((table, key, value));
            }
        }
    }

    /// The staged writes as one batch (of the tables the view reads, each key's last write
    /// once): applied to the backend, it leaves what applying every staged batch in turn
    /// leaves. The view's hold on the backend ends here, before the batch is written.
    pub(crate) fn into_batch(self) -> WriteBatch {
        let mut ops = Arc::unwrap_or_clone(self.unread);
        for (table, keys) in Arc::unwrap_or_clone(self.changes) {
            ops.extend(keys.into_iter().map(|(key, value)| (table, key, value)));
        }
        WriteBatch { ops }
    }
}

impl<R: KvRead> KvRead for Staged<R> {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        if !read_while_staged(table) {
            return Err(not_staged(table));
        }
        match self.changes.get(&table).and_then(|keys| keys.get(key)) {
            Some(staged) => Ok(staged.clone()),
            None => self.base.get(table, key),
        }
    }

    fn for_each_prefix(
        &self,
        table: Table,
        prefix: &[u8],
        visit: &mut Visitor<'_>,
    ) -> Result<(), StoreError> {
        self.scan_prefix_from(table, prefix, prefix, &mut |key, value| {
            visit(key, value)?;
            Ok(ControlFlow::Continue(()))
        })
    }

    fn scan_prefix_from(
        &self,
        table: Table,
        prefix: &[u8],
        start: &[u8],
        scan: &mut Scanner<'_>,
    ) -> Result<(), StoreError> {
        if !read_while_staged(table) {
            return Err(not_staged(table));
        }
        let from = if start > prefix { start } else { prefix };
        let mut staged = self
            .changes
            .get(&table)
            .into_iter()
            .flat_map(|keys| keys.range::<[u8], _>((Bound::Included(from), Bound::Unbounded)))
            .take_while(|(key, _)| key.starts_with(prefix))
            .map(|(key, value)| (key.as_slice(), value.as_deref()))
            .peekable();
        let mut stopped = false;
        self.base.scan_prefix_from(table, prefix, start, &mut |key, value| {
            // Staged keys before this one come first; a staged write of this key replaces it.
            while let Some((staged_key, staged_value)) = staged.next_if(|(k, _)| *k <= key) {
                let replaces = staged_key == key;
                if let Some(staged_value) = staged_value
                    && scan(staged_key, staged_value)?.is_break()
                {
                    stopped = true;
                    return Ok(ControlFlow::Break(()));
                }
                if replaces {
                    return Ok(ControlFlow::Continue(()));
                }
            }
            let flow = scan(key, value)?;
            stopped = flow.is_break();
            Ok(flow)
        })?;
        if !stopped {
            for (key, value) in staged {
                if let Some(value) = value
                    && scan(key, value)?.is_break()
                {
                    break;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{KvStore, MemoryKv};

    type Entries = Vec<(Vec<u8>, Vec<u8>)>;

    fn entries(view: &impl KvRead, prefix: &[u8], start: &[u8]) -> Result<Entries, StoreError> {
        let mut out = Vec::new();
        view.scan_prefix_from(Table::Meta, prefix, start, &mut |k, v| {
            out.push((k.to_vec(), v.to_vec()));
            Ok(ControlFlow::Continue(()))
        })?;
        Ok(out)
    }

    fn base() -> WriteBatch {
        let mut base = WriteBatch::default();
        for key in [b"a1", b"a3", b"a5", b"b1"] {
            base.put(Table::Meta, key.to_vec(), key.to_vec());
        }
        base.put(Table::TxIndex, b"t".to_vec(), b"0".to_vec());
        base
    }

    fn changes() -> WriteBatch {
        let mut batch = WriteBatch::default();
        batch.put(Table::Meta, b"a0".to_vec(), b"new".to_vec());
        batch.put(Table::Meta, b"a3".to_vec(), b"changed".to_vec());
        batch.delete(Table::Meta, b"a5".to_vec());
        batch.put(Table::Meta, b"a6".to_vec(), b"new".to_vec());
        batch.put(Table::Meta, b"a6".to_vec(), b"newer".to_vec());
        batch.put(Table::Headers, b"a2".to_vec(), b"other table".to_vec());
        // A table the view does not answer for: kept in order, the last write wins.
        batch.put(Table::TxIndex, b"t".to_vec(), b"1".to_vec());
        batch.delete(Table::TxIndex, b"t".to_vec());
        batch.put(Table::TxIndex, b"u".to_vec(), b"2".to_vec());
        batch
    }

    #[test]
    fn reads_and_scans_as_the_backend_would_after_the_batch() -> Result<(), StoreError> {
        let (kv, again) = (MemoryKv::new(), MemoryKv::new());
        kv.write(base())?;
        again.write(base())?;
        let mut staged = Staged::new(kv.read()?);
        staged.stage(changes());
        kv.write(changes())?;
        let applied = kv.read()?;
        // The staged writes, written as one batch, leave what the batch itself left.
        again.write(staged.clone().into_batch())?;
        let again = again.read()?;

        for (prefix, start) in [(&b"a"[..], &b""[..]), (b"a", b"a2"), (b"a", b"a5"), (b"", b"")] {
            assert_eq!(entries(&staged, prefix, start)?, entries(&applied, prefix, start)?);
            assert_eq!(entries(&again, prefix, start)?, entries(&applied, prefix, start)?);
        }
        for key in [&b"a0"[..], b"a3", b"a5", b"a6", b"b1", b"zz"] {
            assert_eq!(staged.get(Table::Meta, key)?, applied.get(Table::Meta, key)?);
        }
        for key in [&b"t"[..], b"u"] {
            assert_eq!(again.get(Table::TxIndex, key)?, applied.get(Table::TxIndex, key)?);
            assert!(matches!(
                staged.get(Table::TxIndex, key),
                Err(StoreError::NotStaged { table: "tx_index" })
            ));
        }
        Ok(())
    }

    #[test]
    fn a_scan_stops_where_the_scanner_breaks() -> Result<(), StoreError> {
        let mut staged = Staged::new(MemoryKv::new().read()?);
        let mut batch = WriteBatch::default();
        batch.put(Table::Meta, b"k1".to_vec(), b"1".to_vec());
        batch.put(Table::Meta, b"k2".to_vec(), b"2".to_vec());
        staged.stage(batch);
        let mut seen = 0;
        staged.scan_prefix_from(Table::Meta, b"k", b"", &mut |_, _| {
            seen += 1;
            Ok(ControlFlow::Break(()))
        })?;
        assert_eq!(seen, 1);
        Ok(())
    }
}
