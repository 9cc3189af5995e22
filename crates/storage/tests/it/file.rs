//! The redb file itself: it is created only when asked, never for a missing or empty file; a
//! damaged page is an error naming it (redb's panics included), never a crash or a write; and
//! a read-only open leaves the file byte for byte as it was, even one whose writer crashed.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use cairn_storage::{
    ChainStore, KvRead as _, KvStore, RecordStore as _, RecordTable, RedbKv, StoreError, Table,
    WriteBatch,
};

use crate::backend::{Backend, Dump, Redb, dump};
use crate::fixtures::{dev_spec, main_script, transfers};
use crate::harness::Harness;

/// A store of a few blocks with transfers, closed.
fn chain() -> Redb {
    let mut harness = Harness::<Redb>::new();
    for (number, changes) in main_script().iter().enumerate() {
        harness.commit_unchecked(changes, transfers(number as u64 + 1, 5, 1), 1);
    }
    harness.with_store_closed(|_| ());
    let Harness { backend, .. } = harness;
    backend
}

fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).expect("read the store file")
}

/// Everything a read-only open of `path` can read, after checking it holds the dev chain.
fn read_everything(path: &Path) -> Result<Dump, StoreError> {
    let kv = RedbKv::open_read_only(path)?;
    let store = ChainStore::open_existing(kv, &dev_spec())?;
    store.head()?;
    let kv = store.into_kv();
    let read = kv.read()?;
    let mut all = Dump::new();
    for table in Table::CHAIN {
        read.for_each_prefix(table, &[], &mut |key, value| {
            all.insert((table, key.to_vec()), value.to_vec());
            Ok(())
        })?;
    }
    Ok(all)
}

#[test]
fn a_missing_file_is_an_error_and_nothing_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.redb");
    assert!(matches!(RedbKv::open(&path), Err(StoreError::Missing { .. })));
    let refused = RedbKv::open_read_only(&path).unwrap_err();
    assert!(matches!(refused, StoreError::Missing { .. }));
    assert!(refused.to_string().starts_with(&format!("{} does not exist", path.display())));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing was created");
}

#[test]
fn an_empty_file_is_an_error_and_stays_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.redb");
    std::fs::write(&path, b"").unwrap();
    assert!(matches!(RedbKv::open(&path), Err(StoreError::Empty { .. })));
    let refused = RedbKv::open_read_only(&path).unwrap_err();
    assert!(refused.to_string().contains("is empty (0 bytes)"), "{refused}");
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
}

#[test]
fn create_refuses_an_existing_file_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.redb");
    std::fs::write(&path, b"not a store").unwrap();
    assert!(matches!(RedbKv::create(&path), Err(StoreError::Exists { .. })));
    assert_eq!(bytes(&path), b"not a store");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left");

    let other = dir.path().join("new.redb");
    drop(RedbKv::create(&other).unwrap());
    assert!(RedbKv::open(&other).is_ok(), "a created store opens");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2, "no temporary file left");
}

#[test]
fn a_read_only_open_refuses_writes_and_changes_no_byte() {
    let store = chain();
    let path = store.path();
    let expected = store.dump();
    let before = bytes(&path);
    let kv = RedbKv::open_read_only(&path).unwrap();
    let mut batch = WriteBatch::default();
    batch.put(Table::Meta, b"x".to_vec(), b"y".to_vec());
    assert!(matches!(kv.write(batch), Err(StoreError::ReadOnly)));
    assert_eq!(dump(&kv.read().unwrap()), expected);
    drop(kv);
    assert_eq!(read_everything(&path).unwrap(), expected);
    assert!(bytes(&path) == before, "the file changed");
}

#[test]
fn a_crashed_file_is_read_with_recovery_in_memory_only() {
    let store = chain();
    let crashed = tempfile::tempdir().unwrap();
    let image = crashed.path().join("chain.redb");
    {
        // A copy taken while a writer holds the file is what a crash leaves: redb marks the
        // file as needing recovery until it closes it.
        let kv = RedbKv::open(&store.path()).unwrap();
        kv.read().unwrap();
        std::fs::copy(store.path(), &image).unwrap();
    }
    assert!(
        matches!(redb::ReadOnlyDatabase::open(&image), Err(redb::DatabaseError::RepairAborted)),
        "redb's own read-only open refuses a file that needs recovery"
    );
    let before = bytes(&image);
    assert_eq!(read_everything(&image).unwrap(), store.dump());
    assert!(bytes(&image) == before, "the audit wrote to the crashed file");
    // A writer recovers it for real and carries on.
    let kv = RedbKv::open(&image).unwrap();
    assert_eq!(dump(&kv.read().unwrap()), store.dump());
}

#[test]
fn a_file_in_use_by_a_writer_is_refused() {
    let store = chain();
    let path = store.path();
    let _writer = RedbKv::open(&path).unwrap();
    let refused = RedbKv::open_read_only(&path).unwrap_err();
    assert!(matches!(refused, StoreError::InUse { .. }), "{refused}");
    assert!(matches!(RedbKv::open(&path), Err(StoreError::InUse { .. })));
}

/// Flips 512 bytes at the start of each page in turn (the reproducer is page 1, at
/// offset 4096): whatever redb makes of it, no panic escapes, a page named is the flipped one,
/// and a read-only open never changes the file. Its check of every page finds the damage in
/// page 1, which no read of the tables reaches.
#[test]
fn a_corrupted_page_is_an_error_naming_it_and_never_a_panic() {
    let store = chain();
    let healthy = bytes(&store.path());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.redb");
    let mut found = 0;
    for page in 0..healthy.len() / 4096 {
        let mut damaged = healthy.clone();
        for byte in &mut damaged[page * 4096..page * 4096 + 512] {
            *byte ^= 0xff;
        }
        std::fs::write(&path, &damaged).unwrap();
        let read = std::panic::catch_unwind(|| read_everything(&path))
            .unwrap_or_else(|_| panic!("page {page}: a panic escaped the store"));
        let refused = read.is_err();
        match read {
            Err(StoreError::FileCorrupt { page: reported, .. }) => {
                assert!(reported.is_none_or(|p| p == page as u64), "page {page}: {reported:?}");
                found += 1;
            }
            Err(e) => panic!("page {page}: {e}"),
            Ok(_) => assert!(page != 1, "the damaged page 1 went unnoticed"),
        }
        assert!(bytes(&path) == damaged, "page {page}: the read-only open wrote");

        // Opening for writing refuses the same damage, before writing anything.
        match RedbKv::open(&path) {
            Err(e) => {
                assert!(matches!(e, StoreError::FileCorrupt { .. }), "page {page}: {e}");
                assert!(bytes(&path) == damaged, "page {page}: a refused open wrote");
            }
            Ok(_) => assert!(!refused, "page {page}: opened for writing what a read refused"),
        }
    }
    assert!(found > 0, "no damaged page was noticed");
}

#[test]
fn a_table_written_before_record_tables_reads_as_the_record_table_of_its_name() {
    // Stores from before record tables held the webhook tables as plain redb tables; the
    // record table of the same name must read them, so those stores keep their webhooks.
    let backend = chain();
    let path = backend.path();
    {
        let db = redb::Database::open(&path).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let definition = redb::TableDefinition::<&[u8], &[u8]>::new("webhooks");
            let mut table = txn.open_table(definition).unwrap();
            table.insert(b"hook".as_slice(), b"registration".as_slice()).unwrap();
        }
        txn.commit().unwrap();
    }
    let store = ChainStore::open(RedbKv::open(&path).unwrap(), &dev_spec()).unwrap();
    let webhooks = RecordTable::new("webhooks");
    assert_eq!(store.get(webhooks, b"hook").unwrap(), Some(b"registration".to_vec()));
}
