use std::path::Path;

use redb::{Database, ReadTransaction, ReadableDatabase, TableDefinition};

use crate::kv::Visitor;
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

/// A redb read transaction: a consistent snapshot.
#[derive(Debug)]
pub struct RedbRead(ReadTransaction);

impl KvRead for RedbRead {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let t = self.0.open_table(definition(table))?;
        Ok(t.get(key)?.map(|v| v.value().to_vec()))
    }

    fn for_each_prefix(
        &self,
        table: Table,
        prefix: &[u8],
        visit: &mut Visitor<'_>,
    ) -> Result<(), StoreError> {
        let t = self.0.open_table(definition(table))?;
        for entry in t.range::<&[u8]>(prefix..)? {
            let (k, v) = entry?;
            if !k.value().starts_with(prefix) {
                break;
            }
            visit(k.value(), v.value())?;
        }
        Ok(())
    }
}

impl KvStore for RedbKv {
    type Read = RedbRead;

    fn read(&self) -> Result<RedbRead, StoreError> {
        Ok(RedbRead(self.db.begin_read()?))
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
