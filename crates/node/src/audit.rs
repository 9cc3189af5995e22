//! `cairn verify`: re-checks a whole stored chain from genesis without trusting any of it.
//!
//! Every stored block is decoded, its hash link, index entries, transactions root and
//! signatures are checked, the consensus rules are applied (the chain's account rules at each
//! block's parent state among them; time included: milliseconds
//! strictly increasing, and no block later than this machine's clock plus the spec's allowed
//! drift, which an honestly made block never is), and it is re-executed on a fresh
//! in-memory copy of the chain built from the chain spec, with the engine's block end;
//! receipts, gas, bloom, the state root and what the block end left (protocol-call logs, the
//! next epoch's validator set) must match. Every rule that depends on the validator set reads
//! it from the replay, never from the audited store, so a forged set record on disk is found
//! rather than trusted. At the end the stored account and storage tables must equal the replayed
//! ones, so an edit to any stored block, receipt or account is found.

use std::collections::BTreeMap;

use alloy_consensus::Transaction as _;
use alloy_consensus::transaction::SignerRecoverable;
use alloy_primitives::{Address, U256};
use cairn_consensus::ConsensusRoles;
use cairn_execution::execute_block;
use cairn_primitives::{Block, ChainSpec, Clock, Receipt, SystemClock};
pub use cairn_reads::{VerifyFailure, VerifyProgress, VerifyReport};
use cairn_storage::{
    Account, AddressTx, BlockExtras, ChainStore, KvStore, MemoryKv, Snapshot, StoreError,
    TxLocation,
};
use rayon::prelude::*;

use crate::sets::{StoreSets, genesis_set};

fn fail(height: u64, what: impl ToString) -> VerifyFailure {
    VerifyFailure { height, what: what.to_string() }
}

/// Walks the stored chain from genesis and re-checks everything it commits to, times against
/// this machine's clock.
pub fn verify_chain<K: KvStore>(
    store: &ChainStore<K>,
    spec: &ChainSpec,
    consensus: &ConsensusRoles,
) -> Result<VerifyReport, VerifyFailure> {
    verify_chain_with_progress(store, spec, consensus, &SystemClock, &mut |_| {})
}

/// [`verify_chain`] with times judged against `clock`, reporting progress after each block,
/// so a background job can show how far it is.
pub fn verify_chain_with_progress<K: KvStore>(
    store: &ChainStore<K>,
    spec: &ChainSpec,
    consensus: &ConsensusRoles,
    clock: &dyn Clock,
    progress: &mut dyn FnMut(VerifyProgress),
) -> Result<VerifyReport, VerifyFailure> {
    let stored = store.snapshot().map_err(|e| fail(0, e))?;
    let head =
        stored.head_number().map_err(|e| fail(0, e))?.ok_or_else(|| fail(0, "no genesis"))?;
    let replay = ChainStore::open(MemoryKv::new(), spec).map_err(|e| fail(0, e))?;
    let genesis_set = genesis_set(spec).map_err(|e| fail(0, e))?;
    let mut parent = replay.head().map_err(|e| fail(0, e))?;
    let genesis = stored.header(0).map_err(|e| fail(0, e))?.ok_or_else(|| fail(0, "no genesis"))?;
    if genesis != parent {
        return Err(fail(
            0,
            format!("genesis {} differs from the chain spec's {}", genesis.hash(), parent.hash()),
        ));
    }
    let mut transactions = 0u64;
    let now = clock.unix_millis();
    progress(VerifyProgress { checked: 0, total: head });
    for number in 1..=head {
        let block = stored
            .block(number)
            .map_err(|e| fail(number, e))?
            .ok_or_else(|| fail(number, "block missing"))?;
        let replayed = replay.snapshot().map_err(|e| fail(number, e))?;
        let sets = StoreSets { snapshot: &replayed, genesis: &genesis_set, spec };
        consensus
            .validator
            .validate_header(&sets, &parent, &block.header)
            .map_err(|e| fail(number, e))?;
        let end = consensus
            .block_end
            .import(&sets, &replayed, &parent, &block)
            .map_err(|e| fail(number, e))?;
        cairn_consensus::validate_clock(&block.header, now, spec.max_clock_drift_ms)
            .map_err(|e| fail(number, e))?;
        check_indexes(&stored, &block).map_err(|e| fail(number, e))?;
        let senders = recover_senders(&block).map_err(|e| fail(number, e))?;
        let stored_senders = stored.senders(number).map_err(|e| fail(number, e))?;
        if stored_senders.as_deref() != Some(senders.as_slice()) {
            return Err(fail(number, "stored senders differ from the signatures"));
        }
        let executed = cairn_consensus::check_transactions_beside(
            consensus.transactions.as_ref(),
            &replayed,
            &block,
            &senders,
            || execute_block(&replayed, spec, &parent, &block, &senders, end.as_ref()),
        )
        .map_err(|e| fail(number, e))?
        .map_err(|e| fail(number, e))?;
        let (receipts, state) = (executed.receipts, executed.state);
        let extras = executed.end.into_extras();
        check_extras(&stored, number, &extras).map_err(|e| fail(number, e))?;
        let stored_receipts = stored.receipts(number).map_err(|e| fail(number, e))?;
        if stored_receipts.as_ref() != Some(&receipts) {
            return Err(fail(number, "stored receipts differ from re-execution"));
        }
        check_history(&stored, &block, &senders, &receipts).map_err(|e| fail(number, e))?;
        replay
            .commit_block(&block, &senders, &receipts, state, &extras)
            .map_err(|e| fail(number, e))?;
        transactions += block.transactions.len() as u64;
        parent = block.header;
        progress(VerifyProgress { checked: number, total: head });
    }
    let replayed = replay.snapshot().map_err(|e| fail(head, e))?;
    compare_state(&stored, &replayed).map_err(|e| fail(head, e))?;
    Ok(VerifyReport { height: head, blocks: head, transactions, state_root: parent.state_root })
}

fn recover_senders(block: &Block) -> Result<Vec<Address>, String> {
    block
        .transactions
        .par_iter()
        .enumerate()
        .map(|(i, tx)| {
            tx.recover_signer().map_err(|e| format!("transaction {i}: bad signature: {e}"))
        })
        .collect()
}

fn check_indexes<R: cairn_storage::KvRead>(
    stored: &Snapshot<R>,
    block: &Block,
) -> Result<(), String> {
    let number = block.header.number;
    if stored.block_number(block.hash()).map_err(|e| e.to_string())? != Some(number) {
        return Err("block hash index does not point at this block".into());
    }
    for (index, tx) in block.transactions.iter().enumerate() {
        let location = stored.tx_location(*tx.tx_hash()).map_err(|e| e.to_string())?;
        if location.map(|l| (l.block, l.index as usize)) != Some((number, index)) {
            return Err(format!("transaction index for {} is wrong", tx.tx_hash()));
        }
    }
    Ok(())
}

/// What a block's protocol calls left in the store (their logs, the next epoch's validator
/// set) must be what re-executing them gives.
fn check_extras<R: cairn_storage::KvRead>(
    stored: &Snapshot<R>,
    number: u64,
    replayed: &BlockExtras,
) -> Result<(), String> {
    if stored.system_logs(number).map_err(|e| e.to_string())? != replayed.system_logs {
        return Err("stored protocol-call logs differ from re-execution".into());
    }
    let next = stored.validator_set_record(number + 1).map_err(|e| e.to_string())?;
    let recorded_here = next.filter(|set| set.first_height == number + 1);
    if recorded_here != replayed.next_validators {
        return Err("stored next validator set differs from re-execution".into());
    }
    Ok(())
}

/// Every transaction is in its sender's and its recipient's (or created contract's) history.
fn check_history<R: cairn_storage::KvRead>(
    stored: &Snapshot<R>,
    block: &Block,
    senders: &[Address],
    receipts: &[Receipt],
) -> Result<(), String> {
    let number = block.header.number;
    for (index, (tx, (sender, receipt))) in
        block.transactions.iter().zip(senders.iter().zip(receipts)).enumerate()
    {
        let location = TxLocation { block: number, index: index as u32 };
        let entry = |address: Address| -> Result<Option<AddressTx>, String> {
            let found = stored.address_transactions(address, Some(location), 1);
            Ok(found.map_err(|e| e.to_string())?.into_iter().find(|e| e.location == location))
        };
        if !entry(*sender)?.is_some_and(|e| e.sent) {
            return Err(format!("account history of {sender} lacks transaction {index}"));
        }
        if let Some(recipient) = tx.to().or(receipt.created())
            && !entry(recipient)?.is_some_and(|e| e.received)
        {
            return Err(format!("account history of {recipient} lacks transaction {index}"));
        }
    }
    Ok(())
}

type State = (BTreeMap<Address, Account>, BTreeMap<(Address, U256), U256>);

fn read_state<R: cairn_storage::KvRead>(snapshot: &Snapshot<R>) -> Result<State, StoreError> {
    let mut accounts = BTreeMap::new();
    snapshot.for_each_account(&mut |address, account| {
        accounts.insert(address, account);
        Ok(())
    })?;
    let mut slots = BTreeMap::new();
    snapshot.for_each_slot(&mut |address, slot, value| {
        slots.insert((address, slot), value);
        Ok(())
    })?;
    Ok((accounts, slots))
}

fn compare_state<A: cairn_storage::KvRead, B: cairn_storage::KvRead>(
    stored: &Snapshot<A>,
    replayed: &Snapshot<B>,
) -> Result<(), String> {
    let (stored_accounts, stored_slots) = read_state(stored).map_err(|e| e.to_string())?;
    let (accounts, slots) = read_state(replayed).map_err(|e| e.to_string())?;
    for (address, account) in &accounts {
        if stored_accounts.get(address) != Some(account) {
            return Err(format!("stored account {address} differs from re-execution"));
        }
    }
    if let Some(extra) = stored_accounts.keys().find(|a| !accounts.contains_key(*a)) {
        return Err(format!("stored account {extra} does not exist after re-execution"));
    }
    if stored_slots != slots {
        let differing = slots
            .iter()
            .find(|(k, v)| stored_slots.get(k) != Some(v))
            .map(|(k, _)| k)
            .or_else(|| stored_slots.keys().find(|k| !slots.contains_key(k)));
        return Err(format!("stored storage differs from re-execution at {differing:?}"));
    }
    Ok(())
}
