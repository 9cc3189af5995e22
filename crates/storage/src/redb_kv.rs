use std::path::Path;

use redb::{Database, ReadOnlyTable, ReadTransaction, ReadableDatabase, TableDefinition};

use crate::kv::{Scanner, Visitor};
use crate::{KvRead, KvStore, StoreError, Table, WriteBatch};

fn definition(table: Table) -> TableDefinition<'static, &'static [u8], &'static [u8]> {
    TableDefinition::new(table.name())
}

/// The on-disk backend: one redb file, every batch one fully durable transaction.
#[derive(Debug)]
pub struct RedbKv {
    db: Database,
}

impl RedbKv {
    /// Opens (or creates) the database file and makes sure every table exists.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let db = Database::create(path)?;
        let txn = db.begin_write()?;
        for table in Table::ALL {
            txn.open_table(definition(table))?;
        }
        txn.commit()?;
        Ok(Self { db })
    }
}

/// A redb read transaction (a consistent snapshot) with every table opened once, since reads
/// such as trie node lookups come by the thousand per block.
pub struct RedbRead {
    tables: Vec<ReadOnlyTable<&'static [u8], &'static [u8]>>,
}

impl std::fmt::Debug for RedbRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbRead").field("tables", &self.tables.len()).finish()
    }
}

impl RedbRead {
    fn open(txn: &ReadTransaction) -> Result<Self, StoreError> {
        let tables =
            Table::ALL.iter().map(|t| txn.open_table(definition(*t))).collect::<Result<_, _>>()?;
        Ok(Self { tables })
    }

    fn table(
        &self,
        table: Table,
    ) -> Result<&ReadOnlyTable<&'static [u8], &'static [u8]>, StoreError> {
        let index = Table::ALL.iter().position(|t| *t == table);
        index
            .and_then(|i| self.tables.get(i))
            .ok_or_else(|| StoreError::Backend(format!("table {} not open", table.name())))
    }
}

impl KvRead for RedbRead {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.table(table)?.get(key)?.map(|v| v.value().to_vec()))
    }

    fn for_each_prefix(
        &self,
        table: Table,
        prefix: &[u8],
        visit: &mut Visitor<'_>,
    ) -> Result<(), StoreError> {
        for entry in self.table(table)?.range::<&[u8]>(prefix..)? {
            let (k, v) = entry?;
            if !k.value().starts_with(prefix) {
                break;
            }
            visit(k.value(), v.value())?;
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
        for entry in self.table(table)?.range::<&[u8]>(from..)? {
            let (k, v) = entry?;
            if !k.value().starts_with(prefix) {
                break;
            }
            if scan(k.value(), v.value())?.is_break() {
                break;
            }
        }
        Ok(())
    }
}

impl KvStore for RedbKv {
    type Read = RedbRead;

    fn read(&self) -> Result<RedbRead, StoreError> {
        RedbRead::open(&self.db.begin_read()?)
    }

    fn write(&self, batch: WriteBatch) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        {
            let mut tables = Vec::with_capacity(Table::ALL.len());
            for table in Table::ALL {
                tables.push((table, txn.open_table(definition(table))?));
            }
            for (table, key, value) in &batch.ops {
                let Some((_, t)) = tables.iter_mut().find(|(name, _)| name == table) else {
                    continue;
                };
                match value {
                    Some(v) => {
                        t.insert(key.as_slice(), v.as_slice())?;
                    }
                    None => {
                        t.remove(key.as_slice())?;
                    }
                }
            }
        }
        txn.commit()?;
        Ok(())
    }
}
