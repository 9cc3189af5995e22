use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, Bytes, U256};

use crate::codec::ChangeSet;
use crate::{Account, StoreError, WriteBatch};

/// The non-storage part of an account after a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AccountInfo {
    /// Transactions sent (or contracts created) so far.
    pub nonce: u64,
    /// Balance in wei.
    pub balance: U256,
    /// Hash of the account's code (keccak of empty for none).
    pub code_hash: B256,
}

/// How one account changed in a block.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccountChange {
    /// The account afterwards; `None` deletes it together with its storage.
    pub info: Option<AccountInfo>,
    /// Drop all storage the account had before (it was re-created).
    pub wipe_storage: bool,
    /// Slots written; a zero value removes the slot.
    pub storage: BTreeMap<U256, U256>,
}

/// Everything a block changed in the state, as execution reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StateChanges {
    /// Changed accounts.
    pub accounts: BTreeMap<Address, AccountChange>,
    /// Code deployed in the block, by hash.
    pub code: BTreeMap<B256, Bytes>,
}

/// State changes turned into store writes, with the new state root; produced by
/// [`crate::Snapshot::prepare_state`] and consumed by [`crate::ChainStore::commit_block`].
#[derive(Debug)]
pub struct StateUpdate {
    /// The state root after the changes.
    pub root: B256,
    pub(crate) batch: WriteBatch,
    pub(crate) changeset: ChangeSet,
}

/// Reads of the current state that execution needs.
pub trait StateView {
    /// The account at `address`, if it exists.
    fn account(&self, address: Address) -> Result<Option<Account>, StoreError>;
    /// A storage slot's value (zero if unset).
    fn storage(&self, address: Address, slot: U256) -> Result<U256, StoreError>;
    /// Code by its hash.
    fn code(&self, hash: B256) -> Result<Option<Bytes>, StoreError>;
    /// Hash of canonical block `number`, if known.
    fn block_hash(&self, number: u64) -> Result<Option<B256>, StoreError>;
}

/// A borrowed state reads as the state itself, so a view can lend out the state it holds.
impl<T: StateView + ?Sized> StateView for &T {
    fn account(&self, address: Address) -> Result<Option<Account>, StoreError> {
        (**self).account(address)
    }

    fn storage(&self, address: Address, slot: U256) -> Result<U256, StoreError> {
        (**self).storage(address, slot)
    }

    fn code(&self, hash: B256) -> Result<Option<Bytes>, StoreError> {
        (**self).code(hash)
    }

    fn block_hash(&self, number: u64) -> Result<Option<B256>, StoreError> {
        (**self).block_hash(number)
    }
}
