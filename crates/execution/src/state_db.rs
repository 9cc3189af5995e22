use alloy_primitives::{Address, B256, U256};
use alloy_trie::KECCAK_EMPTY;
use cairn_storage::{StateView, StoreError};
use revm::database_interface::DatabaseRef;
use revm::state::{AccountInfo, Bytecode};

use crate::error::DbError;

/// A store state as revm's read-only database: the one place that turns stored accounts and
/// code into revm's types, shared by block execution and simulated calls.
pub(crate) struct StateDb<'a, S: ?Sized>(pub(crate) &'a S);

impl<S: StateView + ?Sized> DatabaseRef for StateDb<'_, S> {
    type Error = DbError;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, DbError> {
        Ok(self.0.account(address)?.map(|a| AccountInfo {
            balance: a.balance,
            nonce: a.nonce,
            code_hash: a.code_hash,
            code: None,
            ..Default::default()
        }))
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, DbError> {
        if code_hash == KECCAK_EMPTY {
            return Ok(Bytecode::default());
        }
        let bytes = self.0.code(code_hash)?.ok_or_else(|| {
            DbError(StoreError::Corrupt {
                what: "code",
                reason: format!("no code for hash {code_hash}"),
            })
        })?;
        Bytecode::new_raw_checked(bytes).map_err(|e| {
            DbError(StoreError::Corrupt { what: "code", reason: format!("code {code_hash}: {e}") })
        })
    }

    fn storage_ref(&self, address: Address, index: U256) -> Result<U256, DbError> {
        Ok(self.0.storage(address, index)?)
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, DbError> {
        Ok(self.0.block_hash(number)?.unwrap_or_default())
    }
}
