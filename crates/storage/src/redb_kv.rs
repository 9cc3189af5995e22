use std::cell::Cell;
use std::fs::{File, OpenOptions};
use std::io;
use std::ops::ControlFlow;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use redb::{
    Builder, Database, ReadOnlyTable, ReadTransaction, ReadableDatabase, TableDefinition,
    TableError,
};

use crate::error::PAGE_SIZE;
use crate::kv::{Scanner, Visitor};
use crate::redb_file::{ChainFile, last_read, reset_last_read};
use crate::{KvRead, KvStore, StoreError, Table, WriteBatch};

fn definition(table: Table) -> TableDefinition<'static, &'static [u8], &'static [u8]> {
    TableDefinition::new(table.name())
}

/// The first failure of a store's backend, shared by the store and its read views: once the
/// file failed a write or a read, nothing more is written to it (fail-stop).
type Failure = Arc<OnceLock<Arc<StoreError>>>;

thread_local! {
    /// Whether this thread runs redb code inside [`contain`].
    static CONTAINING: Cell<bool> = const { Cell::new(false) };
}

/// Whether a panic on this thread happens inside redb code whose panics the store turns into
/// [`StoreError::FileCorrupt`]: a binary's panic hook can leave such a panic unprinted, since
/// the error that follows reports it.
pub fn panic_is_contained() -> bool {
    CONTAINING.with(Cell::get)
}

/// What came out of redb code run at the store's boundary.
enum Contained {
    /// redb returned an error.
    Redb(redb::Error),
    /// redb panicked (as it may on a file altered outside it), with this message.
    Panic(String),
}

/// Runs redb code so that a panic in it becomes an error instead of unwinding through the
/// node. Only redb's own calls run inside, never Cairn's callbacks, so a panic caught here is
/// redb's. `start` is the file offset of the page the code starts from if redb holds it in
/// memory already, to blame if it reads nothing else before it fails.
fn contain<T>(
    start: Option<u64>,
    op: impl FnOnce() -> Result<T, redb::Error>,
) -> Result<T, Contained> {
    reset_last_read(start);
    CONTAINING.with(|containing| containing.set(true));
    let result = catch_unwind(AssertUnwindSafe(op));
    CONTAINING.with(|containing| containing.set(false));
    match result {
        Ok(result) => result.map_err(Contained::Redb),
        Err(panic) => {
            let panic = panic.as_ref();
            let message = match (panic.downcast_ref::<&str>(), panic.downcast_ref::<String>()) {
                (Some(message), _) => (*message).to_string(),
                (_, Some(message)) => message.clone(),
                _ => "no message".to_string(),
            };
            Err(Contained::Panic(message))
        }
    }
}

impl Contained {
    fn into_store_error(self) -> StoreError {
        match self {
            Contained::Panic(message) => corrupt(format!("panicked: {message}")),
            Contained::Redb(redb::Error::Corrupted(detail)) => corrupt(detail),
            // redb reports a file that is not a database (a bad magic number) as invalid data.
            Contained::Redb(redb::Error::Io(e)) if e.kind() == io::ErrorKind::InvalidData => {
                corrupt(e.to_string())
            }
            Contained::Redb(redb::Error::Io(e)) => StoreError::Io(e),
            Contained::Redb(other) => StoreError::Backend(other.to_string()),
        }
    }
}

/// [`contain`] for a working store: the error is typed, and the first one is kept in
/// `failure`; redb's "previous I/O error" answers after it are reported as that first error.
fn guard<T>(
    failure: &Failure,
    start: Option<u64>,
    op: impl FnOnce() -> Result<T, redb::Error>,
) -> Result<T, StoreError> {
    contain(start, op).map_err(|contained| {
        if let (Contained::Redb(redb::Error::PreviousIo), Some(first)) = (&contained, failure.get())
        {
            return StoreError::Failed(first.clone());
        }
        let error = contained.into_store_error();
        failure.get_or_init(|| Arc::new(duplicate(&error)));
        error
    })
}

/// A copy of a backend error to keep as the store's failure (`io::Error` is not `Clone`).
fn duplicate(error: &StoreError) -> StoreError {
    match error {
        StoreError::Io(e) => StoreError::Io(io::Error::new(e.kind(), e.to_string())),
        StoreError::FileCorrupt { page, detail } => {
            StoreError::FileCorrupt { page: *page, detail: detail.clone() }
        }
        other => StoreError::Backend(other.to_string()),
    }
}

/// A damaged file, at the page this thread read last.
fn corrupt(detail: String) -> StoreError {
    StoreError::FileCorrupt { page: last_read().map(|offset| offset / PAGE_SIZE), detail }
}

/// Refuses a missing or empty file before redb sees it, so neither is ever initialised as a
/// new store.
fn existing(path: &Path) -> Result<(), StoreError> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.len() == 0 => Err(StoreError::Empty { path: path.to_path_buf() }),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            Err(StoreError::Missing { path: path.to_path_buf() })
        }
        Err(e) => Err(StoreError::Io(e)),
    }
}

/// The error of a failed open, naming the file where the failure is about the file as a whole.
fn open_error(path: &Path, contained: Contained) -> StoreError {
    match contained {
        Contained::Redb(redb::Error::DatabaseAlreadyOpen) => {
            StoreError::InUse { path: path.to_path_buf() }
        }
        other => other.into_store_error(),
    }
}

/// The on-disk backend: one redb file, every batch one fully durable transaction. Opening
/// never creates a file and never initialises an empty one; only [`RedbKv::create`] makes a
/// store.
#[derive(Debug)]
pub struct RedbKv {
    db: Database,
    /// Whether this handle may write (a read-only one may not, although redb holds it
    /// writable over the in-memory overlay).
    writable: bool,
    failure: Failure,
}

impl RedbKv {
    /// Creates a new, empty store at `path`, which must not exist. The database is initialised
    /// under a temporary name beside it and then linked into place, so `path` never names a
    /// half-initialised file even if the process dies part way.
    pub fn create(path: &Path) -> Result<Self, StoreError> {
        let mut temp = path.as_os_str().to_owned();
        temp.push(format!(".new-{}", std::process::id()));
        let temp = PathBuf::from(temp);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(StoreError::Io)?;
        let made = contain(None, || Ok(Builder::new().create_with_backend(ChainFile::new(file)?)?))
            .map_err(|e| open_error(path, e))
            .and_then(|db| publish(&temp, path).map(|()| db));
        let _ = std::fs::remove_file(&temp);
        Ok(Self::new(made?, true))
    }

    /// Opens an existing store for reading and writing. A missing or empty file is an error,
    /// and so is a damaged one: the file is first opened as [`Self::open_read_only`] does,
    /// which checks every page, so damage is reported before anything is written (opening for
    /// writing marks the file in use at once). That costs one read of the whole file per start
    /// (about 2-3 s per GB here). redb then recovers a file whose last writer crashed.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        drop(Self::open_read_only(path)?);
        let db = contain(None, || {
            let file = OpenOptions::new().read(true).write(true).open(path)?;
            Ok(Builder::new().create_with_backend(ChainFile::new(file)?)?)
        })
        .map_err(|e| open_error(path, e))?;
        Ok(Self::new(db, true))
    }

    /// Opens an existing store for reading only, leaving the file byte for byte as it is: it
    /// works on a read-only file or file system (a backup) and refuses every write. The file
    /// is opened read-only under an overlay that keeps redb's own writes in memory, so redb's
    /// crash recovery (which its `ReadOnlyDatabase` refuses to run) and its integrity check
    /// work without touching the disk. The check verifies the checksum of every page of every
    /// committed tree, so damage anywhere in the file is found, not only in the pages read
    /// later. The handle reads without redb's page cache.
    pub fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        existing(path)?;
        let (db, clean) = contain(None, || {
            let file = File::open(path)?;
            let mut db = uncached().create_with_backend(ChainFile::overlay(file)?)?;
            let clean = db.check_integrity()?;
            Ok((db, clean))
        })
        .map_err(|e| open_error(path, e))?;
        if !clean {
            // redb repaired the file in memory: its newest commit holds a damaged page, and
            // only an older one checks out.
            return Err(StoreError::FileCorrupt {
                page: None,
                detail: "redb's integrity check found a damaged page in the newest commit".into(),
            });
        }
        Ok(Self::new(db, false))
    }

    fn new(db: Database, writable: bool) -> Self {
        Self { db, writable, failure: Failure::default() }
    }
}

/// A builder for handles that read without redb's page cache: every page read then goes to
/// the file, so the page a failure names is the one redb was reading. An audit reads each page
/// about once, so the cache would buy little.
fn uncached() -> Builder {
    let mut builder = Builder::new();
    builder.set_cache_size(0);
    builder
}

/// Links the initialised file at `temp` to `path` unless something is there already.
fn publish(temp: &Path, path: &Path) -> Result<(), StoreError> {
    match std::fs::hard_link(temp, path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            return Err(StoreError::Exists { path: path.to_path_buf() });
        }
        // A file system without hard links: a rename, after checking nothing is in the way.
        Err(_) if !path.exists() => std::fs::rename(temp, path).map_err(StoreError::Io)?,
        Err(_) => return Err(StoreError::Exists { path: path.to_path_buf() }),
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        File::open(dir).and_then(|d| d.sync_all()).map_err(StoreError::Io)?;
    }
    Ok(())
}

/// A redb read transaction (a consistent snapshot) with every chain table opened once, since
/// reads such as trie node lookups come by the thousand per block; record tables are opened
/// when read. A table the file does not have yet (a new store, one written before the table
/// existed, a record table never written) reads as empty.
pub struct RedbRead {
    /// The transaction, to open record tables in.
    txn: ReadTransaction,
    /// Each chain table, with the file offset of its root page as read when it was opened.
    tables: Vec<Option<(RedbTable, Option<u64>)>>,
    failure: Failure,
}

impl std::fmt::Debug for RedbRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbRead").field("tables", &self.tables.len()).finish()
    }
}

type RedbTable = ReadOnlyTable<&'static [u8], &'static [u8]>;

/// A table as a read reaches it: opened with the view, or opened for this read.
enum Opened<'a> {
    Chain(&'a RedbTable),
    Record(RedbTable),
}

impl Opened<'_> {
    fn table(&self) -> &RedbTable {
        match self {
            Opened::Chain(table) => table,
            Opened::Record(table) => table,
        }
    }
}

impl RedbRead {
    fn table(&self, table: Table) -> Result<Option<(Opened<'_>, Option<u64>)>, StoreError> {
        if let Table::Record(_) = table {
            let opened =
                guard(&self.failure, None, || match self.txn.open_table(definition(table)) {
                    Ok(t) => Ok(Some((Opened::Record(t), last_read()))),
                    Err(TableError::TableDoesNotExist(_)) => Ok(None),
                    Err(e) => Err(e.into()),
                })?;
            return Ok(opened);
        }
        let Some(index) = Table::CHAIN.iter().position(|t| *t == table) else { return Ok(None) };
        Ok(self
            .tables
            .get(index)
            .and_then(Option::as_ref)
            .map(|(table, root)| (Opened::Chain(table), *root)))
    }

    /// Visits entries of `table` from `from` on, in key order, until `visit` breaks;
    /// only redb's own calls run inside the panic boundary, never the visitor.
    fn walk(&self, table: Table, from: &[u8], visit: &mut Scanner<'_>) -> Result<(), StoreError> {
        let Some((opened, root)) = self.table(table)? else { return Ok(()) };
        let table = opened.table();
        let mut range = guard(&self.failure, root, || Ok(table.range::<&[u8]>(from..)?))?;
        loop {
            let next = guard(&self.failure, root, || {
                Ok(match range.next() {
                    Some(entry) => {
                        let (k, v) = entry?;
                        Some((k.value().to_vec(), v.value().to_vec()))
                    }
                    None => None,
                })
            })?;
            let Some((key, value)) = next else { return Ok(()) };
            if visit(&key, &value)?.is_break() {
                return Ok(());
            }
        }
    }
}

impl KvRead for RedbRead {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let Some((opened, root)) = self.table(table)? else { return Ok(None) };
        let table = opened.table();
        guard(&self.failure, root, || Ok(table.get(key)?.map(|v| v.value().to_vec())))
    }

    fn for_each_prefix(
        &self,
        table: Table,
        prefix: &[u8],
        visit: &mut Visitor<'_>,
    ) -> Result<(), StoreError> {
        self.walk(table, prefix, &mut |k, v| {
            if !k.starts_with(prefix) {
                return Ok(ControlFlow::Break(()));
            }
            visit(k, v)?;
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
        let from = if start > prefix { start } else { prefix };
        self.walk(table, from, &mut |k, v| {
            if !k.starts_with(prefix) {
                return Ok(ControlFlow::Break(()));
            }
            scan(k, v)
        })
    }
}

impl KvStore for RedbKv {
    type Read = RedbRead;

    fn read(&self) -> Result<RedbRead, StoreError> {
        let (txn, tables) = guard(&self.failure, None, || {
            let txn = self.db.begin_read()?;
            // The page listing the tables, which the transaction holds from here on.
            let listing = last_read();
            let mut tables = Vec::with_capacity(Table::CHAIN.len());
            for table in Table::CHAIN {
                reset_last_read(listing);
                match txn.open_table(definition(table)) {
                    Ok(t) => tables.push(Some((t, last_read()))),
                    Err(TableError::TableDoesNotExist(_)) => tables.push(None),
                    Err(e) => return Err(e.into()),
                }
            }
            Ok((txn, tables))
        })?;
        Ok(RedbRead { txn, tables, failure: self.failure.clone() })
    }

    fn write(&self, batch: WriteBatch) -> Result<(), StoreError> {
        if let Some(failure) = self.failure.get() {
            return Err(StoreError::Failed(failure.clone()));
        }
        if !self.writable {
            return Err(StoreError::ReadOnly);
        }
        let db = &self.db;
        guard(&self.failure, None, || {
            let txn = db.begin_write()?;
            {
                let mut tables = Vec::with_capacity(Table::CHAIN.len());
                for table in Table::CHAIN {
                    tables.push((table, txn.open_table(definition(table))?));
                }
                for (table, key, value) in &batch.ops {
                    // A record table is created by the first write that reaches it.
                    if !tables.iter().any(|(name, _)| name == table) {
                        tables.push((*table, txn.open_table(definition(*table))?));
                    }
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
        })
    }

    fn failure(&self) -> Option<Arc<StoreError>> {
        self.failure.get().cloned()
    }
}
