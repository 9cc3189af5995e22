//! A governance account in memory for unit tests: any storage root and slots, and a count of
//! the slots read, so tests can see what the cache spared.

use std::cell::Cell;
use std::collections::HashMap;

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use cairn_storage::{Account, StateView, StoreError};

use crate::GOVERNANCE_ADDRESS;
use crate::layout;

/// The governance account with the given storage root and slots; counts storage reads.
pub(crate) struct MapState {
    pub(crate) account: Option<Account>,
    pub(crate) slots: HashMap<U256, U256>,
    reads: Cell<usize>,
}

impl MapState {
    pub(crate) fn new(root: u8) -> Self {
        Self {
            account: Some(Account {
                storage_root: B256::repeat_byte(root),
                code_hash: keccak256([0x60, 0x00]),
                ..Account::default()
            }),
            slots: HashMap::new(),
            reads: Cell::new(0),
        }
    }

    /// Switches: accounts, nodes, deployers.
    pub(crate) fn switches(mut self, accounts: bool, deployers: bool) -> Self {
        let word = U256::from(u8::from(accounts)) | (U256::from(u8::from(deployers)) << 16);
        self.slots.insert(layout::SWITCHES, word);
        self
    }

    /// Node permissioning on, the account switches off.
    pub(crate) fn nodes_switch(mut self) -> Self {
        self.slots.insert(layout::SWITCHES, U256::from(1) << 8);
        self
    }

    /// `orgIds`, eight to a word.
    pub(crate) fn org_ids(mut self, ids: &[u32]) -> Self {
        self.slots.insert(layout::ORG_IDS, U256::from(ids.len()));
        let first = layout::data_slot(layout::ORG_IDS);
        for (i, id) in ids.iter().enumerate() {
            let slot = first + U256::from(i / 8);
            let word = self.slots.get(&slot).copied().unwrap_or_default();
            self.slots.insert(slot, word | (U256::from(*id) << ((i % 8) * 32)));
        }
        self
    }

    /// Appends `peer_id` to `orgs[org].nodes` (as Solidity stores `bytes`) with its record.
    pub(crate) fn node(mut self, org: u32, peer_id: &[u8], consensus: Option<Address>) -> Self {
        let list = layout::org_nodes_slot(org);
        let index = self.slots.get(&list).copied().unwrap_or_default();
        self.slots.insert(list, index + U256::from(1));
        let slot = layout::data_slot(list) + index;
        let padded = |chunk: &[u8]| {
            let mut word = [0u8; 32];
            word[..chunk.len()].copy_from_slice(chunk);
            U256::from_be_bytes(word)
        };
        if peer_id.len() < 32 {
            self.slots.insert(slot, padded(peer_id) | U256::from(peer_id.len() * 2));
        } else {
            self.slots.insert(slot, U256::from(peer_id.len() * 2 + 1));
            for (i, chunk) in peer_id.chunks(32).enumerate() {
                self.slots.insert(layout::data_slot(slot) + U256::from(i), padded(chunk));
            }
        }
        let address = U256::from_be_slice(consensus.unwrap_or_default().as_slice());
        let record = U256::from(org) | (index << 32) | (address << 64);
        self.slots.insert(layout::node_record_slot(peer_id), record);
        self
    }

    pub(crate) fn org(mut self, org: u32, exists: bool) -> Self {
        self.slots.insert(layout::org_exists_slot(org), U256::from(u8::from(exists)));
        self
    }

    pub(crate) fn account(mut self, who: Address, org: u32, role: u8, deployer: bool) -> Self {
        let word =
            U256::from(org) | (U256::from(role) << 32) | (U256::from(u8::from(deployer)) << 40);
        self.slots.insert(layout::account_slot(who), word);
        self
    }

    pub(crate) fn take_reads(&self) -> usize {
        self.reads.replace(0)
    }
}

impl StateView for MapState {
    fn account(&self, address: Address) -> Result<Option<Account>, StoreError> {
        Ok(if address == GOVERNANCE_ADDRESS { self.account } else { None })
    }

    fn storage(&self, address: Address, slot: U256) -> Result<U256, StoreError> {
        assert_eq!(address, GOVERNANCE_ADDRESS);
        self.reads.set(self.reads.get() + 1);
        Ok(self.slots.get(&slot).copied().unwrap_or_default())
    }

    fn code(&self, _: B256) -> Result<Option<Bytes>, StoreError> {
        Ok(None)
    }

    fn block_hash(&self, _: u64) -> Result<Option<B256>, StoreError> {
        Ok(None)
    }
}
