//! The shared suite: every function runs once per backend (see `main.rs`).

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_trie::proof::verify_proof;
use alloy_trie::{EMPTY_ROOT_HASH, HashBuilder, KECCAK_EMPTY, Nibbles};
use cairn_primitives::ChainSpec;
use cairn_storage::{
    Account, AccountInfo, CHANGESET_RETENTION, ChainStore, KvRead, KvStore, RecordBatch,
    RecordStore as _, RecordTable, Snapshot, StateChanges, StateView, StoreError, Table,
    WriteBatch,
};

use crate::backend::{Backend, NOTE_LOG, NOTES, dump};
use crate::fixtures::{
    BOB, CAROL, CONTRACT, Changes, DAVE, NOBODY, Payload, alice, branch_script, dev_balance,
    dev_signers, dev_spec, info, main_script, transfers, word,
};
use crate::harness::{Committed, Harness, assert_corrupt};
use crate::model::{read_state, trie_account};

/// Transactions in blocks 1 to 5 of the main chain (block 3 is empty).
const MAIN_TX_COUNTS: [usize; 5] = [2, 1, 0, 3, 2];

/// Commits the first `count` blocks of the main script, checking the store after each.
fn commit_main_chain<B: Backend>(harness: &mut Harness<B>, count: usize) {
    for (index, changes) in main_script().iter().take(count).enumerate() {
        let number = index as u64 + 1;
        harness.commit(changes, transfers(number, MAIN_TX_COUNTS[index], b'A'), b'A');
    }
}

/// Opens the backend's store with `spec`, closing it again.
fn open_with<B: Backend>(backend: &B, spec: &ChainSpec) -> Result<(), StoreError> {
    ChainStore::open(backend.kv(), spec).map(drop)
}

/// The genesis state root computed straight from the spec with `HashBuilder`.
fn genesis_root(spec: &ChainSpec) -> B256 {
    let mut leaves: Vec<(B256, Vec<u8>)> = spec
        .alloc
        .iter()
        .map(|(address, account)| {
            assert!(account.code.is_empty() && account.storage.is_empty(), "plain accounts only");
            let trie_account =
                Account::new(account.nonce, account.balance, EMPTY_ROOT_HASH, KECCAK_EMPTY);
            (keccak256(address), alloy_rlp::encode(trie_account))
        })
        .collect();
    leaves.sort();
    let mut builder = HashBuilder::default();
    for (key, value) in &leaves {
        builder.add_leaf(Nibbles::unpack(key), value);
    }
    builder.root()
}

/// Opening an empty store writes the genesis the dev spec describes.
pub(crate) fn genesis_matches_the_spec<B: Backend>() {
    let spec = dev_spec();
    let harness = Harness::<B>::new();
    harness.check();
    let snapshot = harness.snapshot();
    assert_eq!(snapshot.head_number().expect("head number"), Some(0));
    let genesis = snapshot.head().expect("head");
    assert_eq!(genesis.number, 0);
    assert_eq!(genesis.parent_hash, B256::ZERO);
    assert_eq!(
        (genesis.gas_limit, genesis.base_fee, genesis.timestamp),
        (spec.gas_limit, spec.base_fee, spec.timestamp)
    );
    assert_eq!(genesis.state_root, genesis_root(&spec));
    assert_eq!(snapshot.block(0).expect("block").expect("genesis").transactions, vec![]);

    assert_eq!(spec.alloc.len(), 10);
    assert_eq!(read_state(&snapshot).len(), 10);
    let funded = Account::new(0, dev_balance(), EMPTY_ROOT_HASH, KECCAK_EMPTY);
    for account in dev_signers() {
        assert_eq!(snapshot.account(account.address).expect("account"), Some(funded));
    }
    assert_eq!(snapshot.account(NOBODY).expect("account"), None);
}

/// Reopening with the same spec keeps the chain; a spec with other allocations is refused
/// and the refusal writes nothing.
pub(crate) fn reopen_accepts_only_the_same_genesis<B: Backend>() {
    let backend = B::create();
    let genesis = backend.open_store().head().expect("head");
    assert_eq!(backend.open_store().head().expect("head after reopen"), genesis);

    let before = backend.dump();
    let mut other = dev_spec();
    other.alloc.pop_first();
    assert_genesis_mismatch(open_with(&backend, &other), genesis.hash());
    let other = ChainSpec { gas_limit: dev_spec().gas_limit + 1, ..dev_spec() };
    assert_genesis_mismatch(open_with(&backend, &other), genesis.hash());
    assert_eq!(backend.dump(), before);
}

/// A spec for another chain (only the chain id differs) must not open this chain's data.
pub(crate) fn reopen_with_another_chain_id_is_refused<B: Backend>() {
    let backend = B::create();
    let genesis = backend.open_store().head().expect("head");
    let before = backend.dump();
    let other = ChainSpec { chain_id: dev_spec().chain_id + 1, ..dev_spec() };
    match open_with(&backend, &other) {
        Err(StoreError::ChainIdMismatch { stored, expected }) => {
            assert_eq!((stored, expected), (dev_spec().chain_id, other.chain_id));
        }
        other => panic!("expected a chain id mismatch, got {other:?}"),
    }
    assert_eq!(backend.dump(), before);
    assert_eq!(backend.open_store().head().expect("head"), genesis);
}

fn assert_genesis_mismatch(result: Result<(), StoreError>, stored_genesis: B256) {
    match result {
        Err(StoreError::GenesisMismatch { stored, expected }) => {
            assert_eq!(stored, stored_genesis);
            assert_ne!(expected, stored_genesis);
        }
        other => panic!("expected a genesis mismatch, got {other:?}"),
    }
}

/// Blocks with transactions and every kind of state change read back exactly, and every
/// header's state root equals the independently computed one (checked by the harness).
pub(crate) fn committed_blocks_read_back<B: Backend>() {
    let mut harness = Harness::<B>::new();
    commit_main_chain(&mut harness, 5);
    let state = harness.state();
    assert!(!state.contains_key(&CAROL), "deleted in block 5");
    assert_eq!(state[&BOB].storage, BTreeMap::from([(word(8), word(80))]), "wiped in block 4");
    assert_eq!(
        state[&CONTRACT].storage,
        BTreeMap::from([(word(1), word(12)), (word(9), word(91))]),
        "wiped in block 4"
    );
    assert_eq!(harness.blocks[2].state[&CAROL].storage, BTreeMap::from([(word(5), word(50))]));
    assert_eq!(trie_account(&harness.blocks[3].state[&CAROL]).storage_root, EMPTY_ROOT_HASH);
}

/// A block whose parent is not the head is refused and nothing is written.
pub(crate) fn commit_refuses_blocks_off_the_head<B: Backend>() {
    let mut harness = Harness::<B>::new();
    commit_main_chain(&mut harness, 1);
    let before = harness.with_store_closed(Backend::dump);
    let head = harness.head().block.header.clone();
    let genesis = harness.blocks[0].block.hash();
    let payload = transfers(2, 1, b'X');
    let changes = &main_script()[1];

    let offers = [
        (B256::repeat_byte(7), 2), // unknown parent
        (genesis, 1),              // a sibling of the head
        (genesis, 2),              // right number, wrong parent
        (head.hash(), 3),          // right parent, skips a number
    ];
    for (parent_hash, number) in offers {
        let (mut block, update) = harness.next_block(changes, &payload, b'X');
        block.header.parent_hash = parent_hash;
        block.header.number = number;
        let result = harness.store().commit_block(
            &block,
            &payload.senders,
            &payload.receipts,
            update,
            &Default::default(),
        );
        match result {
            Err(StoreError::NotOnHead { number: n, parent, head: found }) => {
                assert_eq!((n, parent, found), (number, parent_hash, head.hash()));
            }
            other => panic!("expected NotOnHead for {parent_hash}/{number}, got {other:?}"),
        }
    }
    assert_eq!(harness.with_store_closed(Backend::dump), before);
    harness.check();
}

/// Unwinding restores the recorded state and removes the blocks with their indexes; a
/// different branch then commits on top, and a second unwind returns to genesis.
pub(crate) fn unwind_restores_state_and_accepts_a_new_branch<B: Backend>() {
    let mut harness = Harness::<B>::new();
    commit_main_chain(&mut harness, 5);
    let removed = harness.unwind_to(2);
    assert_eq!(removed.iter().map(|c| c.block.header.number).collect::<Vec<_>>(), [3, 4, 5]);

    for (index, changes) in branch_script().iter().enumerate() {
        harness.commit(changes, transfers(index as u64 + 3, 2, b'B'), b'B');
    }
    assert_ne!(harness.blocks[3].block.hash(), removed[0].block.hash());
    let snapshot = harness.snapshot();
    for old in &removed {
        assert_eq!(snapshot.block_number(old.block.hash()).expect("block number"), None);
        for tx in &old.block.transactions {
            assert_eq!(snapshot.tx_location(*tx.tx_hash()).expect("tx index"), None);
        }
    }
    drop(snapshot);

    harness.unwind_to(0);
    harness.commit(&main_script()[0], transfers(1, 1, b'C'), b'C');
}

/// A branch switch leaves byte for byte the store that unwinding and then committing the other
/// branch block by block leaves (the abandoned blocks kept as side blocks), and writes nothing
/// until it finishes.
pub(crate) fn branch_switch_writes_the_other_branch_at_once<B: Backend>() {
    let mut expected = Harness::<B>::new();
    commit_main_chain(&mut expected, 5);
    let abandoned = expected.unwind_to(2);
    for (index, changes) in branch_script().iter().enumerate() {
        expected.commit(changes, transfers(index as u64 + 3, 2, b'B'), b'B');
    }
    let branch = expected.blocks[3..].to_vec();
    let mut harness = Harness::<B>::new();
    commit_main_chain(&mut harness, 5);
    let before = harness.with_store_closed(Backend::dump);

    let switch_to_branch = |harness: &Harness<B>, finish: bool| {
        let (mut switch, unwound) = harness.store().switch_branch(2).expect("start the switch");
        let taken_off: Vec<_> = abandoned
            .iter()
            .map(|old| (&old.block, &old.payload.receipts, &old.payload.senders))
            .collect();
        let unwound: Vec<_> = unwound.iter().map(|u| (&u.block, &u.receipts, &u.senders)).collect();
        assert_eq!(unwound, taken_off, "the blocks taken off, as served, oldest first");
        for (committed, changes) in branch.iter().zip(branch_script()) {
            let parent = switch.snapshot().head().expect("staged head");
            let update = switch
                .snapshot()
                .prepare_state(parent.state_root, &changes)
                .expect("prepare state on the staged chain");
            let Committed { block, payload, .. } = committed;
            switch
                .commit_block(
                    block,
                    &payload.senders,
                    &payload.receipts,
                    update,
                    &Default::default(),
                )
                .expect("stage the block");
        }
        if finish {
            switch.finish().expect("write the switch");
        }
    };
    switch_to_branch(&harness, false);
    assert_eq!(harness.with_store_closed(Backend::dump), before, "an unfinished switch wrote");

    switch_to_branch(&harness, true);
    assert_eq!(harness.with_store_closed(Backend::dump), expected.with_store_closed(Backend::dump));
    let snapshot = harness.snapshot();
    for old in &abandoned {
        let header = &old.block.header;
        let kept = snapshot.side_block(header.number, header.hash()).expect("read side block");
        assert_eq!(kept.as_ref(), Some(&old.block));
        let senders = snapshot.side_senders(header.number, header.hash()).expect("read senders");
        assert_eq!(senders.as_ref(), Some(&old.payload.senders));
    }
}

/// Side blocks need work, read back by number and hash, and are capped per height.
pub(crate) fn side_blocks_are_kept_with_their_work_and_capped<B: Backend>() {
    let backend = B::create();
    let mut spec = dev_spec();
    spec.consensus = cairn_primitives::ConsensusKind::Pow;
    let store = ChainStore::open(backend.kv(), &spec).expect("open a proof-of-work store");
    let genesis = store.head().expect("genesis");
    let floor = genesis.difficulty.expect("a proof-of-work genesis carries its difficulty");
    let snapshot = store.snapshot().expect("snapshot");
    assert_eq!(snapshot.total_difficulty(genesis.hash()).expect("read work"), Some(floor));
    drop(snapshot);

    let child = |tag: u8, difficulty: Option<U256>| cairn_primitives::Block {
        consensus: None,
        header: cairn_primitives::Header {
            parent_hash: genesis.hash(),
            number: 1,
            difficulty,
            extra_data: vec![tag].into(),
            ..genesis.clone()
        },
        transactions: Vec::new(),
    };
    match store.add_side_block(&child(0, None), &[]) {
        Err(StoreError::Inconsistent { number: 1, .. }) => {}
        other => panic!("a side block without work was kept: {other:?}"),
    }
    match store.add_side_block(&child(0, Some(U256::from(5))), &[Address::ZERO]) {
        Err(StoreError::Inconsistent { number: 1, .. }) => {}
        other => panic!("a side block with more senders than transactions was kept: {other:?}"),
    }
    for tag in 0..cairn_storage::SIDE_BLOCKS_PER_HEIGHT as u8 {
        let block = child(tag, Some(U256::from(5)));
        let total = store.add_side_block(&block, &[]).expect("keep a side block");
        assert_eq!(total, floor + U256::from(5));
        let snapshot = store.snapshot().expect("snapshot");
        assert_eq!(snapshot.side_block(1, block.hash()).expect("read"), Some(block.clone()));
        assert_eq!(snapshot.total_difficulty(block.hash()).expect("read"), Some(total));
        assert_eq!(snapshot.side_senders(1, block.hash()).expect("read"), Some(Vec::new()));
    }
    match store.add_side_block(&child(0xff, Some(U256::from(5))), &[]) {
        Err(StoreError::SideBlocksFull { number: 1 }) => {}
        other => panic!("a side block over the cap was kept: {other:?}"),
    }
    let snapshot = store.snapshot().expect("snapshot");
    assert_eq!(
        snapshot.side_block_hashes(1).expect("list").len(),
        cairn_storage::SIDE_BLOCKS_PER_HEIGHT
    );
}

/// Unwinding to the head or above changes nothing.
pub(crate) fn unwind_to_the_head_is_a_no_op<B: Backend>() {
    let mut harness = Harness::<B>::new();
    commit_main_chain(&mut harness, 2);
    let before = harness.with_store_closed(Backend::dump);
    harness.store().unwind_to(2).expect("unwind to head");
    harness.store().unwind_to(7).expect("unwind above head");
    assert_eq!(harness.with_store_closed(Backend::dump), before);
    harness.check();
}

/// A block whose change set row is gone cannot be unwound; the failed unwind writes nothing
/// and later blocks can still be unwound.
pub(crate) fn unwind_without_change_set_fails_cleanly<B: Backend>() {
    let mut harness = Harness::<B>::new();
    commit_main_chain(&mut harness, 4);
    let before = harness.with_store_closed(|backend| {
        let key = (Table::ChangeSets, 3u64.to_be_bytes().to_vec());
        assert!(backend.dump().contains_key(&key), "block 3 has a change set");
        let mut batch = WriteBatch::default();
        batch.delete(key.0, key.1);
        backend.write_raw(batch);
        backend.dump()
    });
    match harness.store().unwind_to(1) {
        Err(StoreError::Unwind { number: 3, reason }) => assert!(reason.contains("change set")),
        other => panic!("expected an unwind error at block 3, got {other:?}"),
    }
    assert_eq!(harness.with_store_closed(Backend::dump), before);
    harness.check();
    harness.unwind_to(3);
}

/// Change sets older than the retention window are pruned: the unwind that needs one fails,
/// the deepest one still allowed succeeds.
pub(crate) fn change_sets_expire_after_the_retention_window<B: Backend>() {
    let mut harness = Harness::<B>::new();
    let changes = Changes::default().set(NOBODY, info(1, word(1))).build();
    harness.commit_unchecked(&changes, Payload::default(), 0);
    for _ in 1..=CHANGESET_RETENTION {
        harness.commit_unchecked(&StateChanges::default(), Payload::default(), 0);
    }
    harness.check();
    match harness.store().unwind_to(0) {
        Err(StoreError::Unwind { number: 1, reason }) => assert!(reason.contains("retained")),
        other => panic!("expected block 1 to be past retention, got {other:?}"),
    }
    harness.unwind_to(1);
}

/// Account and slot proofs, for present and absent keys, at the latest and at older roots,
/// verify with `alloy_trie`'s verifier against the header roots.
pub(crate) fn proofs_verify_against_header_roots<B: Backend>() {
    let mut harness = Harness::<B>::new();
    commit_main_chain(&mut harness, 5);
    let snapshot = harness.snapshot();
    for number in [5, 4, 2, 0] {
        for address in [alice(), CONTRACT, BOB, CAROL, NOBODY] {
            check_proof(&snapshot, &harness.blocks[number], address);
        }
    }
}

/// Reads through an older block's state root see exactly that block's state (accounts
/// deleted, re-created and wiped included), also after unwinding onto another branch.
pub(crate) fn historical_state_matches_every_retained_block<B: Backend>() {
    let mut harness = Harness::<B>::new();
    commit_main_chain(&mut harness, 5);
    let snapshot = harness.snapshot();
    for committed in &harness.blocks {
        check_historical_state(&snapshot, committed);
    }
    drop(snapshot);
    let removed = harness.unwind_to(2);
    for (index, changes) in branch_script().iter().enumerate() {
        harness.commit(changes, transfers(index as u64 + 3, 2, b'B'), b'B');
    }
    let snapshot = harness.snapshot();
    for committed in harness.blocks.iter().chain(&removed) {
        check_historical_state(&snapshot, committed);
    }
}

/// Compares point reads at `committed`'s state root with the model of its state.
fn check_historical_state<R: KvRead>(snapshot: &Snapshot<R>, committed: &Committed) {
    let number = committed.block.header.number;
    let state = snapshot.state_at(committed.block.header.state_root);
    for address in [alice(), CONTRACT, BOB, CAROL, DAVE, NOBODY] {
        let expected = committed.state.get(&address);
        let account = state.account(address).expect("historical account");
        assert_eq!(account, expected.map(trie_account), "account {address} at block {number}");
        for slot in [1, 2, 3, 4, 5, 7, 8, 9, 1000].map(word) {
            let value = expected.and_then(|a| a.storage.get(&slot)).copied().unwrap_or_default();
            let read = state.storage(address, slot).expect("historical slot");
            assert_eq!(read, value, "slot {slot} of {address} at block {number}");
        }
        if let Some(expected) = expected {
            let code = state.code(expected.info.code_hash).expect("code").expect("code stored");
            assert_eq!(keccak256(&code), expected.info.code_hash, "code of {address}");
        }
    }
    assert_eq!(state.block_hash(0).expect("block hash"), snapshot.block_hash(0).expect("hash"));
}

/// Checks the proof of `address` and a few slots at `committed`'s state root.
fn check_proof<R: KvRead>(snapshot: &Snapshot<R>, committed: &Committed, address: Address) {
    let root = committed.block.header.state_root;
    let slots: Vec<B256> = [1, 2, 3, 4, 7, 8, 9, 1000].map(|s| B256::from(word(s))).to_vec();
    let proof = snapshot.proof(root, address, &slots).expect("proof");
    let expected = committed.state.get(&address);
    let account = expected.map(trie_account);
    assert_eq!(proof.account, account, "account {address} at {root}");
    let account_key = keccak256(address);
    verify_proof(root, Nibbles::unpack(account_key), account.map(alloy_rlp::encode), &proof.proof)
        .expect("account proof verifies");
    let forged = Account::new(99, U256::MAX, EMPTY_ROOT_HASH, KECCAK_EMPTY);
    let forged = Some(alloy_rlp::encode(forged));
    assert!(verify_proof(root, Nibbles::unpack(account_key), forged, &proof.proof).is_err());

    let storage_root = account.map_or(EMPTY_ROOT_HASH, |a| a.storage_root);
    assert_eq!(proof.storage.len(), slots.len());
    for (slot_proof, slot) in proof.storage.iter().zip(&slots) {
        let stored = expected.and_then(|a| a.storage.get(&U256::from_be_bytes(slot.0)));
        let value = stored.copied().unwrap_or_default();
        assert_eq!((slot_proof.slot, slot_proof.value), (*slot, value));
        let leaf = (!value.is_zero()).then(|| alloy_rlp::encode(value));
        verify_proof(storage_root, Nibbles::unpack(keccak256(slot)), leaf, &slot_proof.proof)
            .expect("slot proof verifies");
    }
}

/// A batch is applied all together: a view taken before sees none of it, a view after sees
/// all of it, and so does the backend opened again.
pub(crate) fn write_batch_is_all_or_nothing<B: Backend>() {
    let backend = B::create();
    let kv = backend.kv();
    let mut first = WriteBatch::default();
    first.put(Table::Meta, b"a".as_slice(), b"1".as_slice());
    first.put(Table::Code, b"x".as_slice(), b"old".as_slice());
    first.put(Table::Storage, b"gone".as_slice(), b"soon".as_slice());
    kv.write(first).expect("first write");
    let old_view = kv.read().expect("read view");
    let old = dump(&old_view);

    let mut second = WriteBatch::default();
    second.put(Table::Meta, b"a".as_slice(), b"2".as_slice());
    second.put(Table::Meta, b"a".as_slice(), b"3".as_slice());
    second.delete(Table::Storage, b"gone".as_slice());
    second.put(Table::Code, b"y".as_slice(), b"new".as_slice());
    second.put(Table::Accounts, b"k".as_slice(), b"v".as_slice());
    second.delete(Table::Code, b"never there".as_slice());
    second.put(Table::TrieNodes, b"t".as_slice(), b"1".as_slice());
    second.delete(Table::TrieNodes, b"t".as_slice());
    kv.write(second).expect("second write");

    let mut expected = old.clone();
    expected.insert((Table::Meta, b"a".to_vec()), b"3".to_vec());
    expected.remove(&(Table::Storage, b"gone".to_vec()));
    expected.insert((Table::Code, b"y".to_vec()), b"new".to_vec());
    expected.insert((Table::Accounts, b"k".to_vec()), b"v".to_vec());
    assert_eq!(dump(&old_view), old, "a view never sees a later write");
    assert_eq!(dump(&kv.read().expect("read view")), expected);
    drop(old_view);
    drop(kv);
    assert_eq!(backend.dump(), expected, "reopened backend");
}

/// While batches keep rewriting two keys in two tables, concurrent views always see both
/// from the same batch.
pub(crate) fn concurrent_views_never_see_half_a_batch<B: Backend>() {
    const WRITES: u64 = 40;
    let backend = B::create();
    let kv = backend.kv();
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            loop {
                let finished = done.load(std::sync::atomic::Ordering::Acquire);
                let view = kv.read().expect("read view");
                let left = view.get(Table::Meta, b"left").expect("left");
                let right = view.get(Table::Storage, b"right").expect("right");
                assert_eq!(left, right, "a view saw half a batch");
                if finished {
                    return left;
                }
            }
        });
        for round in 1..=WRITES {
            let mut batch = WriteBatch::default();
            batch.put(Table::Meta, b"left".as_slice(), round.to_be_bytes());
            for filler in 0..16u8 {
                batch.put(Table::Code, [filler], round.to_be_bytes());
            }
            batch.put(Table::Storage, b"right".as_slice(), round.to_be_bytes());
            kv.write(batch).expect("write");
        }
        done.store(true, std::sync::atomic::Ordering::Release);
        let last = reader.join().expect("reader thread");
        assert_eq!(last, Some(WRITES.to_be_bytes().to_vec()));
    });
}

/// A snapshot taken before commits keeps seeing the old chain; a reopened store sees every
/// committed block and the whole state.
pub(crate) fn snapshots_are_stable_and_commits_durable<B: Backend>() {
    let mut harness = Harness::<B>::new();
    let genesis_state = harness.state().clone();
    let old = harness.snapshot();
    commit_main_chain(&mut harness, 3);
    assert_eq!(old.head_number().expect("head number"), Some(0));
    assert_eq!(old.header(1).expect("header"), None);
    assert_eq!(read_state(&old), genesis_state);
    drop(old);
    harness.with_store_closed(|_| ());
    harness.check();
}

/// A read of one record of the store, expected to fail.
type Read<K> = fn(&ChainStore<K>) -> Result<(), StoreError>;

/// A record to overwrite with garbage, and the reads that must then report it corrupt.
struct Corruption<K> {
    table: Table,
    key: Vec<u8>,
    what: &'static str,
    reads: Vec<Read<K>>,
}

impl<K> Corruption<K> {
    fn new(table: Table, key: impl Into<Vec<u8>>, what: &'static str, reads: Vec<Read<K>>) -> Self {
        Self { table, key: key.into(), what, reads }
    }
}

/// Garbage in a record makes every read of it fail with `Corrupt`, without a panic.
pub(crate) fn corrupt_records_are_reported<B: Backend>() {
    let mut harness = Harness::<B>::new();
    commit_main_chain(&mut harness, 1);
    let block = 1u64.to_be_bytes();
    let slot_key = [CONTRACT.as_slice(), &word(1).to_be_bytes::<32>()].concat();
    let tx_hash = *harness.head().block.transactions[0].tx_hash();
    let cases: Vec<Corruption<B::Kv>> = vec![
        Corruption::new(
            Table::Headers,
            block,
            "header",
            vec![
                |s| s.snapshot()?.header(1).map(drop),
                |s| s.snapshot()?.block(1).map(drop),
                |s| s.snapshot()?.block_hash(1).map(drop),
                |s| s.head().map(drop),
                |s| s.unwind_to(0),
            ],
        ),
        Corruption::new(Table::Bodies, block, "body", vec![|s| s.snapshot()?.block(1).map(drop)]),
        Corruption::new(
            Table::Receipts,
            block,
            "receipts",
            vec![|s| s.snapshot()?.receipts(1).map(drop)],
        ),
        Corruption::new(
            Table::Senders,
            block,
            "senders",
            vec![|s| s.snapshot()?.senders(1).map(drop)],
        ),
        Corruption::new(Table::ChangeSets, block, "change set", vec![|s| s.unwind_to(0)]),
        Corruption::new(Table::Meta, b"head", "block number", vec![|s| s.head().map(drop)]),
        Corruption::new(
            Table::Accounts,
            CONTRACT.as_slice(),
            "account",
            vec![
                |s| s.snapshot()?.account(CONTRACT).map(drop),
                |s| s.snapshot()?.for_each_account(&mut |_, _| Ok(())),
                |s| {
                    let changes = Changes::default().set(CONTRACT, info(0, word(0))).build();
                    let snapshot = s.snapshot()?;
                    snapshot.prepare_state(snapshot.head()?.state_root, &changes).map(drop)
                },
            ],
        ),
        Corruption::new(
            Table::Storage,
            slot_key,
            "storage value",
            vec![|s| s.snapshot()?.storage(CONTRACT, word(1)).map(drop), |s| {
                s.snapshot()?.for_each_slot(&mut |_, _, _| Ok(()))
            }],
        ),
        Corruption::new(
            Table::TxIndex,
            tx_hash.as_slice(),
            "transaction index",
            vec![|s| s.snapshot()?.tx_location(tx_hash_of_block_1(s)?).map(drop)],
        ),
    ];

    let original = harness.with_store_closed(Backend::dump);
    for Corruption { table, key, what, reads } in cases {
        let good = original.get(&(table, key.clone())).expect("record exists").clone();
        for garbage in [vec![0xde, 0xad, 0xbe, 0xef, 0x01], [good.as_slice(), &[0]].concat()] {
            put_raw(&mut harness, table, &key, garbage);
            for read in &reads {
                assert_corrupt(read(harness.store()), what);
            }
        }
        put_raw(&mut harness, table, &key, good);
    }
    harness.check();
}

/// The first transaction hash of block 1, read from its body.
fn tx_hash_of_block_1<K: KvStore>(store: &ChainStore<K>) -> Result<B256, StoreError> {
    let block = store.snapshot()?.block(1)?.expect("block 1");
    Ok(*block.transactions[0].tx_hash())
}

/// Writes one record directly to the backend, with the store closed.
fn put_raw<B: Backend>(harness: &mut Harness<B>, table: Table, key: &[u8], value: Vec<u8>) {
    harness.with_store_closed(|backend| {
        let mut batch = WriteBatch::default();
        batch.put(table, key, value);
        backend.write_raw(batch);
    });
}

/// Genesis is derived from the spec alone: a chain whose genesis contract storage changed
/// since still reopens (it once recomputed genesis over the current state and refused).
pub(crate) fn reopen_after_genesis_storage_changed<B: Backend>() {
    let contract = Address::repeat_byte(0xc0);
    let mut spec = dev_spec();
    spec.alloc.insert(
        contract,
        cairn_primitives::GenesisAccount {
            balance: U256::ZERO,
            nonce: 1,
            code: vec![0x60, 0x00].into(),
            storage: [(B256::with_last_byte(1), word(7))].into_iter().collect(),
        },
    );
    let backend = B::create();
    let store = ChainStore::open(backend.kv(), &spec).expect("genesis");
    let head = store.head().expect("head");
    let code_hash = keccak256([0x60, 0x00]);
    let changes = Changes::default()
        .set(contract, AccountInfo { nonce: 1, balance: U256::ZERO, code_hash })
        .slots(contract, &[(1, 9)])
        .build();
    let update = store
        .snapshot()
        .expect("snapshot")
        .prepare_state(head.state_root, &changes)
        .expect("prepare");
    let header = cairn_primitives::Header {
        parent_hash: head.hash(),
        number: 1,
        state_root: update.root,
        ..head.clone()
    };
    let block = cairn_primitives::Block { consensus: None, header, transactions: vec![] };
    store.commit_block(&block, &[], &[], update, &Default::default()).expect("commit");
    drop(store);
    let reopened = ChainStore::open(backend.kv(), &spec).expect("reopen");
    assert_eq!(reopened.head().expect("head"), block.header);
}

/// An address's history lists every transaction it sent or received, newest first; a page
/// started at any position continues exactly where the previous one stopped.
pub(crate) fn address_history_pages_newest_first<B: Backend>() {
    let mut harness = Harness::<B>::new();
    commit_main_chain(&mut harness, 5);
    let snapshot = harness.snapshot();
    let recipient = Address::repeat_byte(b'A');
    let mut expected = Vec::new();
    for committed in harness.blocks.iter().rev() {
        for (index, _) in committed.block.transactions.iter().enumerate().rev() {
            let location = cairn_storage::TxLocation {
                block: committed.block.header.number,
                index: index as u32,
            };
            expected.push(location);
        }
    }
    assert_eq!(expected.len(), MAIN_TX_COUNTS.iter().sum::<usize>());
    let all = snapshot.address_transactions(recipient, None, 100).expect("history");
    assert_eq!(all.iter().map(|e| e.location).collect::<Vec<_>>(), expected);
    assert!(all.iter().all(|e| e.received && !e.sent));

    let mut paged = Vec::new();
    let mut start = None;
    loop {
        // A page of three and the first entry of the next, as the REST API reads them.
        let page = snapshot.address_transactions(recipient, start, 4).expect("page");
        paged.extend(page.iter().take(3).map(|e| e.location));
        start = page.get(3).map(|e| e.location);
        if start.is_none() {
            break;
        }
    }
    assert_eq!(paged, expected);

    let sender = dev_signers()[0].address;
    let sent = snapshot.address_transactions(sender, None, 100).expect("sender history");
    assert!(!sent.is_empty() && sent.iter().all(|e| e.sent));
    assert!(snapshot.address_transactions(NOBODY, None, 10).expect("empty").is_empty());
    assert!(snapshot.address_transactions(recipient, None, 0).expect("none").is_empty());
}

/// Record tables another crate keeps beside the chain are written atomically, read back after
/// a reopen, read as empty before their first write, and may not take a chain table's name.
pub(crate) fn record_tables_live_beside_the_chain<B: Backend>() {
    let backend = B::create();
    let store = backend.open_store();
    assert_eq!(store.get(NOTES, b"hook").expect("unwritten table"), None);
    let mut seen = 0;
    store
        .scan(NOTE_LOG, b"", b"", &mut |_, _| {
            seen += 1;
            Ok(ControlFlow::Continue(()))
        })
        .expect("scan of an unwritten table");
    assert_eq!(seen, 0);

    let mut batch = RecordBatch::default();
    batch.put(NOTES, b"hook".to_vec(), b"cursor 7".to_vec());
    batch.put(NOTE_LOG, b"hook-1".to_vec(), b"delivered".to_vec());
    batch.put(NOTE_LOG, b"hook-2".to_vec(), b"retrying".to_vec());
    batch.put(NOTE_LOG, b"other-1".to_vec(), b"delivered".to_vec());
    batch.delete(NOTE_LOG, b"hook-2".to_vec());
    store.write(batch).expect("records written");
    drop(store);
    let before = backend.dump();

    let store = backend.open_store();
    assert_eq!(store.get(NOTES, b"hook").expect("read"), Some(b"cursor 7".to_vec()));
    let mut keys = Vec::new();
    store
        .scan(NOTE_LOG, b"hook-", b"", &mut |key, _| {
            keys.push(key.to_vec());
            Ok(ControlFlow::Continue(()))
        })
        .expect("scan");
    assert_eq!(keys, vec![b"hook-1".to_vec()]);

    let headers = RecordTable::new("headers");
    let mut forged = RecordBatch::default();
    forged.put(NOTES, b"other".to_vec(), b"x".to_vec());
    forged.put(headers, 0u64.to_be_bytes().to_vec(), b"forged".to_vec());
    assert!(matches!(store.write(forged), Err(StoreError::RecordTableName { name: "headers" })));
    assert!(matches!(store.get(headers, &[0; 8]), Err(StoreError::RecordTableName { .. })));
    drop(store);
    assert_eq!(backend.dump(), before, "a refused batch writes nothing");
}

/// What a block's protocol calls leave (its consensus data, their logs, the next epoch's
/// validator set) is written with the block, read back, found by height, and unwound with it.
pub(crate) fn protocol_call_outcomes_commit_and_unwind_with_their_block<B: Backend>() {
    use cairn_primitives::{BlockConsensusData, Log, SetMember, ValidatorSetRecord};
    use cairn_storage::BlockExtras;

    let harness = Harness::<B>::new();
    let set = |epoch: u64, first_height: u64, power: u64| ValidatorSetRecord {
        epoch,
        first_height,
        members: vec![SetMember {
            address: Address::repeat_byte(1),
            public_key: vec![2u8; 33].into(),
            power,
        }],
    };
    let log =
        Log::new_unchecked(Address::repeat_byte(0x10), vec![B256::repeat_byte(3)], vec![].into());
    let empty = Changes::default().build();
    // An empty child of the store's head.
    let child = || {
        let head = harness.store().head().expect("head");
        let snapshot = harness.store().snapshot().expect("snapshot");
        let update = snapshot.prepare_state(head.state_root, &empty).expect("prepare");
        let header = cairn_primitives::Header {
            parent_hash: head.hash(),
            number: head.number + 1,
            state_root: update.root,
            ..head
        };
        (cairn_primitives::Block { consensus: None, header, transactions: vec![] }, update)
    };
    let mut committed = Vec::new();
    for number in 1..=4u64 {
        let (mut block, update) = child();
        let mut extras = BlockExtras::default();
        if number == 1 {
            block.consensus =
                Some(BlockConsensusData { last_commit: vec![9u8; 5].into(), evidence: vec![] });
            extras.system_logs = vec![log.clone()];
        }
        if number % 2 == 0 {
            extras.next_validators = Some(set(number / 2, number + 1, number));
        }
        harness.store().commit_block(&block, &[], &[], update, &extras).expect("commit");
        committed.push(block);
    }
    let snapshot = harness.store().snapshot().expect("snapshot");
    assert_eq!(snapshot.block(1).expect("read"), Some(committed[0].clone()));
    assert_eq!(snapshot.block(2).expect("read").expect("block").consensus, None);
    assert_eq!(snapshot.system_logs(1).expect("logs"), vec![log]);
    assert!(snapshot.system_logs(2).expect("logs").is_empty());
    let power_at = |height| {
        snapshot.validator_set_record(height).expect("read").map(|set| set.members[0].power)
    };
    assert_eq!(
        [1, 2, 3, 4, 5, 6, 100].map(power_at),
        [None, None, Some(2), Some(2), Some(4), Some(4), Some(4)]
    );

    harness.store().unwind_to(2).expect("unwind");
    let snapshot = harness.store().snapshot().expect("snapshot");
    assert_eq!(snapshot.validator_set_record(100).expect("read"), Some(set(1, 3, 2)));
    harness.store().unwind_to(0).expect("unwind");
    let snapshot = harness.store().snapshot().expect("snapshot");
    assert_eq!(snapshot.validator_set_record(100).expect("read"), None);
    assert!(snapshot.system_logs(1).expect("logs").is_empty());

    let (block, update) = child();
    let misplaced = BlockExtras { next_validators: Some(set(1, 5, 1)), ..Default::default() };
    let refused = harness.store().commit_block(&block, &[], &[], update, &misplaced);
    assert!(matches!(refused, Err(StoreError::Inconsistent { number: 1, .. })), "{refused:?}");
}
