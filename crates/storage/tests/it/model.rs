//! A flat model of the state and an independent state root computed with
//! `alloy_trie::HashBuilder`, sharing no code with the store's own trie.

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_trie::{HashBuilder, Nibbles};
use cairn_storage::{Account, AccountInfo, KvRead, Snapshot, StateChanges};

/// One account of the flat state: its fields and its non-zero slots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FlatAccount {
    pub(crate) info: AccountInfo,
    pub(crate) storage: BTreeMap<U256, U256>,
}

/// The whole state, by address.
pub(crate) type FlatState = BTreeMap<Address, FlatAccount>;

/// Applies a block's changes to the model the way the store documents them.
pub(crate) fn apply(state: &mut FlatState, changes: &StateChanges) {
    for (address, change) in &changes.accounts {
        let Some(info) = change.info else {
            state.remove(address);
            continue;
        };
        let account =
            state.entry(*address).or_insert(FlatAccount { info, storage: BTreeMap::new() });
        account.info = info;
        if change.wipe_storage {
            account.storage.clear();
        }
        for (slot, value) in &change.storage {
            if value.is_zero() {
                account.storage.remove(slot);
            } else {
                account.storage.insert(*slot, *value);
            }
        }
    }
}

/// The state as the store holds it, read with `for_each_account` and `for_each_slot` (the
/// stored storage roots are dropped: [`trie_account`] recomputes them).
pub(crate) fn read_state<R: KvRead>(snapshot: &Snapshot<R>) -> FlatState {
    let mut state = FlatState::new();
    snapshot
        .for_each_account(&mut |address, account| {
            let info = AccountInfo {
                nonce: account.nonce,
                balance: account.balance,
                code_hash: account.code_hash,
            };
            state.insert(address, FlatAccount { info, storage: BTreeMap::new() });
            Ok(())
        })
        .expect("scan accounts");
    snapshot
        .for_each_slot(&mut |address, slot, value| {
            assert!(!value.is_zero(), "zero value stored for slot {slot} of {address}");
            let account = state
                .get_mut(&address)
                .unwrap_or_else(|| panic!("slot {slot} stored for missing account {address}"));
            account.storage.insert(slot, value);
            Ok(())
        })
        .expect("scan slots");
    state
}

/// Root of a trie with these (unhashed-order) leaves, built with `HashBuilder`.
fn trie_root(leaves: impl IntoIterator<Item = (B256, Vec<u8>)>) -> B256 {
    let sorted: BTreeMap<B256, Vec<u8>> = leaves.into_iter().collect();
    let mut builder = HashBuilder::default();
    for (key, value) in &sorted {
        builder.add_leaf(Nibbles::unpack(key), value);
    }
    builder.root()
}

/// Storage root of an account's slots.
pub(crate) fn storage_root(storage: &BTreeMap<U256, U256>) -> B256 {
    trie_root(
        storage
            .iter()
            .map(|(slot, value)| (keccak256(B256::from(*slot)), alloy_rlp::encode(value))),
    )
}

/// The trie account the model expects, with its storage root recomputed from the slots.
pub(crate) fn trie_account(account: &FlatAccount) -> Account {
    let AccountInfo { nonce, balance, code_hash } = account.info;
    Account::new(nonce, balance, storage_root(&account.storage), code_hash)
}

/// The state root of the whole flat state.
pub(crate) fn state_root(state: &FlatState) -> B256 {
    trie_root(
        state.iter().map(|(address, account)| {
            (keccak256(address), alloy_rlp::encode(trie_account(account)))
        }),
    )
}
