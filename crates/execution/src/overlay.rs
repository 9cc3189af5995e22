use std::collections::HashMap;

use alloy_primitives::{Address, B256, U256};
use alloy_trie::KECCAK_EMPTY;
use cairn_storage::{AccountChange, AccountInfo, StateChanges, StateView};
use revm::database_interface::{Database, DatabaseCommit, DatabaseRef};
use revm::primitives::AddressMap;
use revm::state::{Account, AccountInfo as EvmAccountInfo, Bytecode};

use crate::error::DbError;
use crate::state_db::StateDb;
use crate::{ExecError, SPEC};

/// An account as this block has left it so far.
#[derive(Debug, Default)]
struct Pending {
    info: Option<AccountInfo>,
    wiped: bool,
    storage: HashMap<U256, U256>,
}

/// The block's writes layered over the committed state: revm reads through it and commits
/// each transaction's effects into it.
#[derive(Debug)]
pub(crate) struct Overlay<'a, S> {
    base: &'a S,
    accounts: HashMap<Address, Pending>,
    code: HashMap<B256, Bytecode>,
}

impl<'a, S: StateView> Overlay<'a, S> {
    pub(crate) fn new(base: &'a S) -> Self {
        Self { base, accounts: HashMap::new(), code: HashMap::new() }
    }

    /// Adds `amount` to `address`'s balance between transactions (revm's journal is empty
    /// then, so the next transaction or call loads the new balance from here).
    pub(crate) fn increment_balance(
        &mut self,
        address: Address,
        amount: U256,
    ) -> Result<(), ExecError> {
        let current = match self.accounts.get(&address) {
            Some(pending) => pending.info,
            None => self.base.account(address)?.map(|a| AccountInfo {
                nonce: a.nonce,
                balance: a.balance,
                code_hash: a.code_hash,
            }),
        };
        let mut info = current.unwrap_or(AccountInfo {
            nonce: 0,
            balance: U256::ZERO,
            code_hash: KECCAK_EMPTY,
        });
        info.balance = info.balance.checked_add(amount).ok_or_else(|| {
            ExecError::Evm(format!("minting {amount} overflows {address}'s balance"))
        })?;
        self.accounts.entry(address).or_default().info = Some(info);
        Ok(())
    }

    pub(crate) fn into_changes(self) -> StateChanges {
        let accounts = self
            .accounts
            .into_iter()
            .map(|(address, p)| {
                let change = AccountChange {
                    info: p.info,
                    wipe_storage: p.wiped,
                    storage: p.storage.into_iter().collect(),
                };
                (address, change)
            })
            .collect();
        let code = self.code.into_iter().map(|(h, c)| (h, c.original_bytes())).collect();
        StateChanges { accounts, code }
    }
}

impl<S: StateView> Database for Overlay<'_, S> {
    type Error = DbError;

    fn basic(&mut self, address: Address) -> Result<Option<EvmAccountInfo>, DbError> {
        let Some(pending) = self.accounts.get(&address) else {
            return StateDb(self.base).basic_ref(address);
        };
        Ok(pending.info.map(|i| EvmAccountInfo {
            balance: i.balance,
            nonce: i.nonce,
            code_hash: i.code_hash,
            code: None,
            ..Default::default()
        }))
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytecode, DbError> {
        match self.code.get(&code_hash) {
            Some(code) => Ok(code.clone()),
            None => StateDb(self.base).code_by_hash_ref(code_hash),
        }
    }

    fn storage(&mut self, address: Address, index: U256) -> Result<U256, DbError> {
        if let Some(p) = self.accounts.get(&address) {
            if let Some(value) = p.storage.get(&index) {
                return Ok(*value);
            }
            if p.wiped {
                return Ok(U256::ZERO);
            }
        }
        Ok(self.base.storage(address, index)?)
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, DbError> {
        Ok(self.base.block_hash(number)?.unwrap_or_default())
    }
}

impl<S: StateView> DatabaseCommit for Overlay<'_, S> {
    fn commit(&mut self, changes: AddressMap<Account>) {
        for (address, account) in changes {
            if !account.is_touched() {
                continue;
            }
            if account.is_selfdestructed() || account.state_clear_aware_is_empty(SPEC) {
                self.accounts
                    .insert(address, Pending { info: None, wiped: true, ..Default::default() });
                continue;
            }
            let pending = self.accounts.entry(address).or_default();
            if account.is_created() {
                pending.wiped = true;
                pending.storage.clear();
            }
            if let Some(code) = &account.info.code
                && account.info.code_hash != KECCAK_EMPTY
            {
                self.code.entry(account.info.code_hash).or_insert_with(|| code.clone());
            }
            pending.info = Some(AccountInfo {
                nonce: account.info.nonce,
                balance: account.info.balance,
                code_hash: account.info.code_hash,
            });
            for (slot, value) in account.changed_storage_slots() {
                pending.storage.insert(*slot, value.present_value());
            }
        }
    }
}
