use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use alloy_consensus::Transaction as _;
use alloy_primitives::{Address, B256, Bloom, Bytes, U256, keccak256};
use alloy_rlp::Encodable;
use alloy_trie::{EMPTY_ROOT_HASH, KECCAK_EMPTY};
use cairn_primitives::{Block, ChainSpec, ConsensusKind, Header, Log, Receipt, ValidatorSetRecord};

use crate::codec::{
    ADDRESS_RECEIVED, ADDRESS_SENT, CHAIN_ID_KEY, HEAD_KEY, address_tx_key, number_key,
    side_block_key, storage_key, tx_location, validator_set_key,
};
use crate::staged::Staged;
use crate::{
    AccountChange, AccountInfo, KvRead, KvStore, MemoryKv, Snapshot, StateChanges, StateUpdate,
    StoreError, Table, WriteBatch,
};

/// What a block leaves in the store beyond itself, its receipts and its state: the outcome
/// of its protocol calls.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BlockExtras {
    /// The validator set of the next epoch, when this block ended one (it decides heights
    /// from this block's number + 1 on).
    pub next_validators: Option<ValidatorSetRecord>,
    /// Logs its protocol calls emitted, in call order.
    pub system_logs: Vec<Log>,
}

/// How many recent blocks keep the change set that lets them be unwound.
pub const CHANGESET_RETENTION: u64 = 1024;

/// The chain store: the one place that knows how a block, its receipts, its indexes and its
/// state changes are laid out, and that writes them together.
#[derive(Debug)]
pub struct ChainStore<K> {
    kv: K,
    write_lock: Mutex<()>,
}

impl<K: KvStore> ChainStore<K> {
    /// Opens the store, writing genesis from `spec` if it is empty, and refusing a store that
    /// holds another chain.
    pub fn open(kv: K, spec: &ChainSpec) -> Result<Self, StoreError> {
        let store = Self { kv, write_lock: Mutex::new(()) };
        let (genesis, update) = genesis(spec)?;
        if !store.check_chain(&genesis, spec)? {
            let mut batch = update.batch;
            batch.extend(block_batch(&genesis, &[], &[]));
            if let Some(difficulty) = genesis.header.difficulty {
                batch.put(
                    Table::TotalWork,
                    genesis.hash().as_slice(),
                    difficulty.to_be_bytes::<32>(),
                );
            }
            batch.put(Table::Meta, HEAD_KEY, number_key(0));
            batch.put(Table::Meta, CHAIN_ID_KEY, spec.chain_id.to_be_bytes());
            store.kv.write(batch)?;
        }
        Ok(store)
    }

    /// Opens a store that must already hold the chain of `spec`, writing nothing: how an audit
    /// opens a store it may only read.
    pub fn open_existing(kv: K, spec: &ChainSpec) -> Result<Self, StoreError> {
        let store = Self { kv, write_lock: Mutex::new(()) };
        let (genesis, _) = genesis(spec)?;
        if !store.check_chain(&genesis, spec)? {
            return Err(StoreError::NoChain);
        }
        Ok(store)
    }

    /// Whether the store holds a chain, which must be the one starting at `genesis` with the
    /// spec's chain id.
    fn check_chain(&self, genesis: &Block, spec: &ChainSpec) -> Result<bool, StoreError> {
        let snapshot = self.snapshot()?;
        match snapshot.header(0)? {
            Some(stored) if stored.hash() == genesis.hash() => {
                let stored = snapshot.chain_id()?;
                if stored != Some(spec.chain_id) {
                    return Err(StoreError::ChainIdMismatch {
                        stored: stored.unwrap_or_default(),
                        expected: spec.chain_id,
                    });
                }
                Ok(true)
            }
            Some(stored) => {
                Err(StoreError::GenesisMismatch { stored: stored.hash(), expected: genesis.hash() })
            }
            None => Ok(false),
        }
    }

    /// The backend, for a caller that initialised the chain and now hands the backend on.
    pub fn into_kv(self) -> K {
        self.kv
    }

    /// The backend's first failure (I/O error, damaged file), after which it takes no writes:
    /// the node stops producing, voting and admitting transactions.
    pub fn failure(&self) -> Option<std::sync::Arc<StoreError>> {
        self.kv.failure()
    }

    /// A consistent read view as of now.
    pub fn snapshot(&self) -> Result<Snapshot<K::Read>, StoreError> {
        Ok(Snapshot::new(self.kv.read()?))
    }

    /// The backend, for the record tables kept beside the chain (see [`crate::RecordStore`]).
    pub(crate) fn kv(&self) -> &K {
        &self.kv
    }

    /// The newest committed header.
    pub fn head(&self) -> Result<Header, StoreError> {
        self.snapshot()?.head()
    }

    /// Commits a block on top of the head with its senders, receipts, state update and what
    /// its protocol calls produced, in one atomic, durable write.
    pub fn commit_block(
        &self,
        block: &Block,
        senders: &[Address],
        receipts: &[Receipt],
        state: StateUpdate,
        extras: &BlockExtras,
    ) -> Result<(), StoreError> {
        let _guard = self.write_lock.lock().unwrap_or_else(PoisonError::into_inner);
        let batch = commit_batch(&self.snapshot()?, block, senders, receipts, state, extras)?;
        self.kv.write(batch)
    }

    /// Rolls the chain back so that `target` is the head again: state, receipts and indexes
    /// return to what they were after `target`, in one atomic write. The blocks taken off stay
    /// known as side blocks.
    pub fn unwind_to(&self, target: u64) -> Result<(), StoreError> {
        let _guard = self.write_lock.lock().unwrap_or_else(PoisonError::into_inner);
        self.kv.write(unwind_batch(&self.snapshot()?, target)?.0)
    }

    /// Starts switching the canonical chain to another branch: unwinds to `ancestor`, then
    /// takes the new branch's blocks one at a time ([`BranchSwitch::commit_block`]), each
    /// executed on the state the previous one left, and writes nothing until
    /// [`BranchSwitch::finish`] writes the whole switch at once: a crash at any point leaves
    /// one branch or the other, never a mix. Other writers wait until the switch ends.
    /// Returns the switch and the blocks it takes off the chain, oldest first.
    pub fn switch_branch(
        &self,
        ancestor: u64,
    ) -> Result<(BranchSwitch<'_, K>, Vec<Unwound>), StoreError> {
        let guard = self.write_lock.lock().unwrap_or_else(PoisonError::into_inner);
        // The write lock keeps both reads on the same state.
        let (unwind, mut unwound) = unwind_batch(&self.snapshot()?, ancestor)?;
        unwound.reverse();
        let mut view = Staged::new(self.kv.read()?);
        view.stage(unwind);
        Ok((BranchSwitch { store: self, _guard: guard, view }, unwound))
    }

    /// Keeps a valid block that does not extend the canonical chain (a competing branch), with
    /// the total difficulty of the chain ending in it and its transactions' senders, unexecuted
    /// until its branch becomes the heaviest. At most [`SIDE_BLOCKS_PER_HEIGHT`] are kept per
    /// height, so a flood of cheap forks has a bound; the side blocks of a height are dropped
    /// once the head is [`CHANGESET_RETENTION`] blocks past it (no reorg can reach them then).
    pub fn add_side_block(&self, block: &Block, senders: &[Address]) -> Result<U256, StoreError> {
        let _guard = self.write_lock.lock().unwrap_or_else(PoisonError::into_inner);
        let snapshot = self.snapshot()?;
        let number = block.header.number;
        if senders.len() != block.transactions.len() {
            return Err(StoreError::Inconsistent {
                number,
                reason: "senders and transactions differ in count".into(),
            });
        }
        if snapshot.side_block_hashes(number)?.len() >= SIDE_BLOCKS_PER_HEIGHT {
            return Err(StoreError::SideBlocksFull { number });
        }
        let total = total_work(&snapshot, &block.header)?.ok_or(StoreError::Inconsistent {
            number,
            reason: "a side block must carry work".into(),
        })?;
        let mut batch = WriteBatch::default();
        let key = side_block_key(number, block.hash());
        batch.put(Table::SideBlocks, key, alloy_rlp::encode(block));
        batch.put(Table::SideSenders, key, encode_senders(senders));
        batch.put(Table::TotalWork, block.hash().as_slice(), total.to_be_bytes::<32>());
        self.kv.write(batch)?;
        Ok(total)
    }
}

/// A block an unwind takes off the canonical chain, with what it had as a canonical block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unwound {
    /// The block.
    pub block: Block,
    /// Its receipts, in transaction order.
    pub receipts: Vec<Receipt>,
    /// Its transactions' senders, in order.
    pub senders: Vec<Address>,
}

/// How many blocks off the canonical chain the store keeps per height.
pub const SIDE_BLOCKS_PER_HEIGHT: usize = 8;

/// A switch of the canonical chain to another branch, staged in memory until
/// [`BranchSwitch::finish`] writes it in one batch (see [`ChainStore::switch_branch`]).
/// Dropped unfinished, it writes nothing.
pub struct BranchSwitch<'a, K: KvStore> {
    store: &'a ChainStore<K>,
    _guard: MutexGuard<'a, ()>,
    view: Staged<K::Read>,
}

impl<K: KvStore> BranchSwitch<'_, K> {
    /// The chain as the switch leaves it so far: the ancestor, then the blocks taken so far.
    /// What the next block of the branch is executed on.
    pub fn snapshot(&self) -> Snapshot<Staged<K::Read>> {
        Snapshot::new(self.view.clone())
    }

    /// Takes the next block of the branch, executed on [`BranchSwitch::snapshot`], as
    /// [`ChainStore::commit_block`] would commit it.
    pub fn commit_block(
        &mut self,
        block: &Block,
        senders: &[Address],
        receipts: &[Receipt],
        state: StateUpdate,
        extras: &BlockExtras,
    ) -> Result<(), StoreError> {
        let batch = commit_batch(&self.snapshot(), block, senders, receipts, state, extras)?;
        self.view.stage(batch);
        Ok(())
    }

    /// Writes the whole switch in one atomic, durable write (as [`Staged`] gathers it: a key
    /// the branch's blocks wrote over and over is written once).
    pub fn finish(self) -> Result<(), StoreError> {
        self.store.kv.write(self.view.into_batch())
    }
}

impl<K: KvStore> std::fmt::Debug for BranchSwitch<'_, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BranchSwitch").finish_non_exhaustive()
    }
}

/// The total difficulty of the chain ending in `header`: its parent's plus its own, or `None`
/// for a header without work.
fn total_work<R: KvRead>(
    snapshot: &Snapshot<R>,
    header: &Header,
) -> Result<Option<U256>, StoreError> {
    let Some(difficulty) = header.difficulty else { return Ok(None) };
    let parent =
        snapshot.total_difficulty(header.parent_hash)?.ok_or_else(|| StoreError::Inconsistent {
            number: header.number,
            reason: "the parent's total difficulty is not known".into(),
        })?;
    Ok(Some(parent.saturating_add(difficulty)))
}

/// The writes that commit a block on top of `snapshot`'s head (see [`ChainStore::commit_block`]).
fn commit_batch<R: KvRead>(
    snapshot: &Snapshot<R>,
    block: &Block,
    senders: &[Address],
    receipts: &[Receipt],
    state: StateUpdate,
    extras: &BlockExtras,
) -> Result<WriteBatch, StoreError> {
    let head = snapshot.head()?;
    let number = block.header.number;
    if block.header.parent_hash != head.hash() || number != head.number + 1 {
        return Err(StoreError::NotOnHead {
            number,
            parent: block.header.parent_hash,
            head: head.hash(),
        });
    }
    let inconsistent = |reason: &str| StoreError::Inconsistent { number, reason: reason.into() };
    if block.header.state_root != state.root {
        return Err(inconsistent("header state root differs from the state update's"));
    }
    if senders.len() != block.transactions.len() || receipts.len() != block.transactions.len() {
        return Err(inconsistent("senders, receipts and transactions differ in count"));
    }
    if extras.next_validators.as_ref().is_some_and(|set| set.first_height != number + 1) {
        return Err(inconsistent("a block's next validator set must start at the next height"));
    }
    let mut batch = state.batch;
    batch.extend(block_batch(block, senders, receipts));
    let key = number_key(number);
    if let Some(consensus) = &block.consensus {
        batch.put(Table::BlockConsensus, key, alloy_rlp::encode(consensus));
    }
    if !extras.system_logs.is_empty() {
        batch.put(Table::SystemLogs, key, alloy_rlp::encode(&extras.system_logs));
    }
    if let Some(set) = &extras.next_validators {
        batch.put(Table::ValidatorSets, validator_set_key(number + 1), alloy_rlp::encode(set));
    }
    batch.put(Table::ChangeSets, number_key(number), alloy_rlp::encode(&state.changeset));
    if let Some(total) = total_work(snapshot, &block.header)? {
        batch.put(Table::TotalWork, block.hash().as_slice(), total.to_be_bytes::<32>());
    }
    batch.delete(Table::SideBlocks, side_block_key(number, block.hash()));
    batch.delete(Table::SideSenders, side_block_key(number, block.hash()));
    if let Some(old) = number.checked_sub(CHANGESET_RETENTION) {
        batch.delete(Table::ChangeSets, number_key(old));
        for hash in snapshot.side_block_hashes(old)? {
            batch.delete(Table::SideBlocks, side_block_key(old, hash));
            batch.delete(Table::SideSenders, side_block_key(old, hash));
            batch.delete(Table::TotalWork, hash.as_slice());
        }
    }
    batch.put(Table::Meta, HEAD_KEY, number_key(number));
    Ok(batch)
}

/// The writes that roll `snapshot`'s chain back to `target` (see [`ChainStore::unwind_to`]),
/// and the blocks they take off, newest first.
fn unwind_batch<R: KvRead>(
    snapshot: &Snapshot<R>,
    target: u64,
) -> Result<(WriteBatch, Vec<Unwound>), StoreError> {
    let head = snapshot.head()?.number;
    let mut batch = WriteBatch::default();
    let mut unwound = Vec::with_capacity(head.saturating_sub(target) as usize);
    for number in (target + 1..=head).rev() {
        let unwind_err = |reason: &str| StoreError::Unwind { number, reason: reason.into() };
        let block = snapshot.block(number)?.ok_or_else(|| unwind_err("block missing"))?;
        let changes = snapshot
            .changeset(number)?
            .ok_or_else(|| unwind_err("change set no longer retained"))?;
        for account in changes.accounts {
            if account.prev.is_empty() {
                batch.delete(Table::Accounts, account.address.as_slice());
            } else {
                batch.put(Table::Accounts, account.address.as_slice(), account.prev.to_vec());
            }
        }
        for slot in changes.storage {
            let key = storage_key(slot.address, slot.slot.into());
            if slot.prev.is_zero() {
                batch.delete(Table::Storage, key);
            } else {
                batch.put(Table::Storage, key, slot.prev.to_be_bytes::<32>());
            }
        }
        for tx in &block.transactions {
            batch.delete(Table::TxIndex, tx.tx_hash().as_slice());
        }
        let senders = snapshot.senders(number)?.unwrap_or_default();
        let receipts = snapshot.receipts(number)?.unwrap_or_default();
        for key in address_entries(&block, &senders, &receipts).into_keys() {
            batch.delete(Table::AddressTxs, key);
        }
        let key = number_key(number);
        for table in [
            Table::Headers,
            Table::Bodies,
            Table::Receipts,
            Table::Senders,
            Table::ChangeSets,
            Table::BlockConsensus,
            Table::SystemLogs,
        ] {
            batch.delete(table, key);
        }
        batch.delete(Table::ValidatorSets, validator_set_key(number + 1));
        batch.delete(Table::BlockNumbers, block.hash().as_slice());
        let side_key = side_block_key(number, block.hash());
        batch.put(Table::SideBlocks, side_key, alloy_rlp::encode(&block));
        batch.put(Table::SideSenders, side_key, encode_senders(&senders));
        unwound.push(Unwound { block, receipts, senders });
    }
    if head > target {
        batch.put(Table::Meta, HEAD_KEY, number_key(target));
    }
    Ok((batch, unwound))
}

/// The writes that record a block and its indexes (not its state).
fn block_batch(block: &Block, senders: &[Address], receipts: &[Receipt]) -> WriteBatch {
    let mut batch = WriteBatch::default();
    let number = block.header.number;
    let key = number_key(number);
    batch.put(Table::Headers, key, alloy_rlp::encode(&block.header));
    let mut body = Vec::new();
    block.transactions.encode(&mut body);
    batch.put(Table::Bodies, key, body);
    batch.put(Table::BlockNumbers, block.hash().as_slice(), key);
    for (index, tx) in block.transactions.iter().enumerate() {
        batch.put(Table::TxIndex, tx.tx_hash().as_slice(), tx_location(number, index as u32));
    }
    batch.put(Table::Receipts, key, Receipt::encode_list(receipts));
    batch.put(Table::Senders, key, encode_senders(senders));
    for (key, role) in address_entries(block, senders, receipts) {
        batch.put(Table::AddressTxs, key, [role]);
    }
    batch
}

/// The account history entries of a block: for each transaction, its sender and its
/// recipient (or the contract a creation made), with how each took part.
fn address_entries(
    block: &Block,
    senders: &[Address],
    receipts: &[Receipt],
) -> BTreeMap<[u8; 32], u8> {
    let number = block.header.number;
    let mut entries = BTreeMap::new();
    for (index, tx) in block.transactions.iter().enumerate() {
        let index = index as u32;
        if let Some(sender) = senders.get(index as usize) {
            *entries.entry(address_tx_key(*sender, number, index)).or_default() |= ADDRESS_SENT;
        }
        let created = receipts.get(index as usize).and_then(Receipt::created);
        if let Some(recipient) = tx.to().or(created) {
            *entries.entry(address_tx_key(recipient, number, index)).or_default() |=
                ADDRESS_RECEIVED;
        }
    }
    entries
}

/// The genesis block the spec describes and the state writes that create its allocations,
/// derived from the spec alone, never from what a store holds.
fn genesis(spec: &ChainSpec) -> Result<(Block, StateUpdate), StoreError> {
    let snapshot = Snapshot::new(MemoryKv::new().read()?);
    let mut changes = StateChanges::default();
    for (address, account) in &spec.alloc {
        let code_hash = if account.code.is_empty() {
            KECCAK_EMPTY
        } else {
            let hash = keccak256(&account.code);
            changes.code.insert(hash, account.code.clone());
            hash
        };
        changes.accounts.insert(
            *address,
            AccountChange {
                info: Some(AccountInfo {
                    nonce: account.nonce,
                    balance: account.balance,
                    code_hash,
                }),
                wipe_storage: false,
                storage: account
                    .storage
                    .iter()
                    .map(|(k, v)| (U256::from_be_bytes(k.0), *v))
                    .collect(),
            },
        );
    }
    let update = snapshot.prepare_state(EMPTY_ROOT_HASH, &changes)?;
    // A proof-of-work chain's work starts from its floor.
    let difficulty = (spec.consensus == ConsensusKind::Pow)
        .then(|| U256::from(spec.pow_params().min_difficulty));
    let header = Header {
        commitments: None,
        difficulty,
        parent_hash: B256::ZERO,
        number: 0,
        timestamp: spec.timestamp,
        timestamp_ms: spec.timestamp.saturating_mul(1000),
        beneficiary: Address::ZERO,
        transactions_root: EMPTY_ROOT_HASH,
        receipts_root: EMPTY_ROOT_HASH,
        state_root: update.root,
        logs_bloom: Bloom::ZERO,
        gas_limit: spec.gas_limit,
        gas_used: 0,
        base_fee: spec.base_fee,
        extra_data: spec.extra_data.clone(),
        seal: Bytes::new(),
    };
    Ok((Block { consensus: None, header, transactions: vec![] }, update))
}

/// Senders as stored: 20 bytes each, in transaction order.
fn encode_senders(senders: &[Address]) -> Vec<u8> {
    senders.iter().flat_map(|s| s.0).collect()
}
