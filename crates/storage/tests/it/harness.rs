//! A chain store driven block by block next to a model of what it must hold, with the checks
//! that compare the two.

use std::collections::{BTreeMap, BTreeSet};

use alloy_consensus::Transaction as _;
use alloy_primitives::{Address, B256, Bloom, Bytes, U256};
use alloy_trie::KECCAK_EMPTY;
use cairn_primitives::{Block, Header, Receipt, next_base_fee};
use cairn_storage::{
    ChainStore, KvRead, Snapshot, StateChanges, StateUpdate, StateView, StoreError, TxLocation,
};

use crate::backend::Backend;
use crate::fixtures::Payload;
use crate::model::{FlatState, apply, read_state, state_root, trie_account};

/// A committed block with what it carried and the state after it.
#[derive(Debug, Clone)]
pub(crate) struct Committed {
    pub(crate) block: Block,
    pub(crate) payload: Payload,
    pub(crate) state: FlatState,
}

/// A store on backend `B` and the model it must match.
pub(crate) struct Harness<B: Backend> {
    // Declared before `backend` so it is dropped first (the backend may own its directory).
    store: Option<ChainStore<B::Kv>>,
    pub(crate) backend: B,
    /// Committed blocks by number, genesis first.
    pub(crate) blocks: Vec<Committed>,
    /// Every code ever deployed, by hash (the store never deletes code).
    code: BTreeMap<B256, Bytes>,
    /// Every account and slot ever touched, to check that absent ones read as absent.
    touched: BTreeMap<Address, BTreeSet<U256>>,
}

impl<B: Backend> Harness<B> {
    /// A new store holding the dev genesis.
    pub(crate) fn new() -> Self {
        let backend = B::create();
        let store = backend.open_store();
        let snapshot = store.snapshot().expect("snapshot");
        let genesis = snapshot.block(0).expect("read genesis").expect("genesis stored");
        let state = read_state(&snapshot);
        let touched = state
            .iter()
            .map(|(address, account)| (*address, account.storage.keys().copied().collect()))
            .collect();
        drop(snapshot);
        let genesis = Committed { block: genesis, payload: Payload::default(), state };
        Self { store: Some(store), backend, blocks: vec![genesis], code: BTreeMap::new(), touched }
    }

    /// The open chain store.
    pub(crate) fn store(&self) -> &ChainStore<B::Kv> {
        self.store.as_ref().expect("store is open")
    }

    /// A read view of the store.
    pub(crate) fn snapshot(&self) -> Snapshot<<B::Kv as cairn_storage::KvStore>::Read> {
        self.store().snapshot().expect("snapshot")
    }

    /// The newest committed block.
    pub(crate) fn head(&self) -> &Committed {
        self.blocks.last().expect("genesis is always there")
    }

    /// The model's current state.
    pub(crate) fn state(&self) -> &FlatState {
        &self.head().state
    }

    /// Closes the store, runs `f` on the backend alone, and opens the store again.
    pub(crate) fn with_store_closed<T>(&mut self, f: impl FnOnce(&B) -> T) -> T {
        self.store = None;
        let out = f(&self.backend);
        self.store = Some(self.backend.open_store());
        out
    }

    /// Builds the child of the head with `changes`, without committing it.
    pub(crate) fn next_block(
        &self,
        changes: &StateChanges,
        payload: &Payload,
        tag: u8,
    ) -> (Block, StateUpdate) {
        let parent = &self.head().block.header;
        let update =
            self.snapshot().prepare_state(parent.state_root, changes).expect("prepare state");
        let header = child_header(parent, update.root, payload, tag);
        (Block { consensus: None, header, transactions: payload.transactions.clone() }, update)
    }

    /// Commits the child of the head, updates the model and checks the whole store.
    pub(crate) fn commit(&mut self, changes: &StateChanges, payload: Payload, tag: u8) -> &Block {
        self.commit_unchecked(changes, payload, tag);
        self.check();
        &self.head().block
    }

    /// Commits the child of the head and updates the model, without checking the store.
    pub(crate) fn commit_unchecked(&mut self, changes: &StateChanges, payload: Payload, tag: u8) {
        let (block, update) = self.next_block(changes, &payload, tag);
        self.store()
            .commit_block(&block, &payload.senders, &payload.receipts, update, &Default::default())
            .expect("commit block");
        let mut state = self.state().clone();
        apply(&mut state, changes);
        self.code.extend(changes.code.clone());
        for (address, change) in &changes.accounts {
            self.touched.entry(*address).or_default().extend(change.storage.keys().copied());
        }
        self.blocks.push(Committed { block, payload, state });
    }

    /// Unwinds to `target`, checks that the later blocks are gone and the earlier state is
    /// back, and returns the removed blocks.
    pub(crate) fn unwind_to(&mut self, target: u64) -> Vec<Committed> {
        self.store().unwind_to(target).expect("unwind");
        let removed = self.blocks.split_off(target as usize + 1);
        let snapshot = self.snapshot();
        for committed in &removed {
            assert_block_gone(&snapshot, committed);
        }
        self.check();
        removed
    }

    /// Checks every committed block and the whole state against the model.
    pub(crate) fn check(&self) {
        let snapshot = self.snapshot();
        let head = &self.head().block.header;
        assert_eq!(snapshot.head_number().expect("head number"), Some(head.number));
        assert_eq!(&snapshot.head().expect("head"), head);
        assert_eq!(&self.store().head().expect("store head"), head);
        for committed in &self.blocks {
            assert_block_stored(&snapshot, committed);
        }
        let stored = read_state(&snapshot);
        assert_eq!(&stored, self.state(), "flat state after block {}", head.number);
        assert_eq!(head.state_root, state_root(&stored), "state root of block {}", head.number);
        self.check_state_view(&snapshot);
    }

    /// Point reads of every account, slot and code ever touched.
    fn check_state_view<R: KvRead>(&self, snapshot: &Snapshot<R>) {
        for (address, slots) in &self.touched {
            let expected = self.state().get(address);
            let account = snapshot.account(*address).expect("read account");
            assert_eq!(account, expected.map(trie_account), "account {address}");
            for slot in slots {
                let value = expected.and_then(|a| a.storage.get(slot)).copied().unwrap_or_default();
                assert_eq!(snapshot.storage(*address, *slot).expect("read slot"), value);
            }
            if let Some(account) = expected {
                let hash = account.info.code_hash;
                let code =
                    if hash == KECCAK_EMPTY { Bytes::new() } else { self.code[&hash].clone() };
                assert_eq!(snapshot.code(hash).expect("read code"), Some(code));
            }
        }
    }
}

/// A child header of `parent` committing to `state_root` and the payload.
fn child_header(parent: &Header, state_root: B256, payload: &Payload, tag: u8) -> Header {
    let mut logs_bloom = Bloom::ZERO;
    for receipt in &payload.receipts {
        logs_bloom.accrue_bloom(&receipt.bloom());
    }
    Header {
        commitments: None,
        difficulty: None,
        parent_hash: parent.hash(),
        number: parent.number + 1,
        timestamp: parent.timestamp + 1,
        timestamp_ms: parent.timestamp_ms + 1000,
        beneficiary: Address::repeat_byte(tag),
        transactions_root: Block::compute_transactions_root(&payload.transactions),
        receipts_root: Receipt::compute_root(&payload.receipts),
        state_root,
        logs_bloom,
        gas_limit: parent.gas_limit,
        gas_used: payload.receipts.last().map_or(0, |r| r.envelope.cumulative_gas_used()),
        base_fee: next_base_fee(parent),
        extra_data: Bytes::from(vec![tag]),
        seal: Bytes::new(),
    }
}

/// Every read of a committed block returns what was committed.
fn assert_block_stored<R: KvRead>(snapshot: &Snapshot<R>, committed: &Committed) {
    let Committed { block, payload, .. } = committed;
    let number = block.header.number;
    let hash = block.hash();
    assert_eq!(snapshot.header(number).expect("header").as_ref(), Some(&block.header));
    assert_eq!(snapshot.block(number).expect("block").as_ref(), Some(block));
    assert_eq!(snapshot.block_number(hash).expect("block number"), Some(number));
    assert_eq!(snapshot.block_hash(number).expect("block hash"), Some(hash));
    assert_eq!(snapshot.receipts(number).expect("receipts").as_ref(), Some(&payload.receipts));
    assert_eq!(snapshot.senders(number).expect("senders").as_ref(), Some(&payload.senders));
    for (index, tx) in block.transactions.iter().enumerate() {
        let location = TxLocation { block: number, index: index as u32 };
        assert_eq!(snapshot.tx_location(*tx.tx_hash()).expect("tx index"), Some(location));
        let sent = snapshot.address_transactions(payload.senders[index], Some(location), 1);
        let sent = sent.expect("sender history");
        assert_eq!(sent.first().map(|e| (e.location, e.sent)), Some((location, true)));
        let to = tx.to().expect("fixtures are calls");
        let received = snapshot.address_transactions(to, Some(location), 1);
        let received = received.expect("recipient history");
        assert_eq!(received.first().map(|e| (e.location, e.received)), Some((location, true)));
    }
}

/// No read finds an unwound block any more.
pub(crate) fn assert_block_gone<R: KvRead>(snapshot: &Snapshot<R>, committed: &Committed) {
    let block = &committed.block;
    let number = block.header.number;
    assert_eq!(snapshot.header(number).expect("header"), None, "header {number}");
    assert_eq!(snapshot.block(number).expect("block"), None, "block {number}");
    assert_eq!(snapshot.block_number(block.hash()).expect("block number"), None);
    assert_eq!(snapshot.receipts(number).expect("receipts"), None, "receipts {number}");
    assert_eq!(snapshot.senders(number).expect("senders"), None, "senders {number}");
    for (index, tx) in block.transactions.iter().enumerate() {
        assert_eq!(snapshot.tx_location(*tx.tx_hash()).expect("tx index"), None);
        let location = TxLocation { block: number, index: index as u32 };
        for address in [committed.payload.senders[index], tx.to().expect("fixtures are calls")] {
            let history = snapshot.address_transactions(address, Some(location), 1);
            let newest = history.expect("history").first().map(|e| e.location);
            assert!(newest.is_none_or(|at| at.block < number), "{address} keeps block {number}");
        }
    }
}

/// Fails unless `result` is [`StoreError::Corrupt`] about `what`.
pub(crate) fn assert_corrupt<T: std::fmt::Debug>(result: Result<T, StoreError>, what: &str) {
    match result {
        Err(StoreError::Corrupt { what: found, .. }) => assert_eq!(found, what),
        other => panic!("expected corrupt {what}, got {other:?}"),
    }
}
