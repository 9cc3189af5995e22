//! The state a simulation sees in the pending block: a committed state with some not yet
//! included transactions (the caller's own, waiting in the pool) already applied.

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_trie::EMPTY_ROOT_HASH;
use cairn_primitives::TxEnvelope;
use cairn_storage::{Account, StateChanges, StateView, StoreError};

use crate::{BlockContext, BlockExecutor, ExecError};

/// A committed state with the writes of a few transactions on top, read-only. A transaction
/// that cannot run there (its nonce already used, say, because its block was committed in the
/// meantime) is skipped, so no transaction is ever counted twice.
pub struct PendingState<'a, S> {
    base: &'a S,
    changes: StateChanges,
}

impl<'a, S: StateView> PendingState<'a, S> {
    /// Runs `txs` (each with its recovered sender) in order on `base` in `context`, keeping
    /// their writes.
    pub fn after<'t>(
        base: &'a S,
        chain_id: u64,
        context: BlockContext,
        txs: impl IntoIterator<Item = (&'t TxEnvelope, Address)>,
    ) -> Result<Self, ExecError> {
        let mut executor = BlockExecutor::new(base, chain_id, context);
        for (tx, sender) in txs {
            match executor.execute(tx, sender) {
                Ok(_) | Err(ExecError::InvalidTx { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Self { base, changes: executor.finish().changes })
    }
}

impl<S: StateView> StateView for PendingState<'_, S> {
    /// A changed account keeps its committed storage root (or the empty one): execution never
    /// reads it, and recomputing it would cost a trie update per call.
    fn account(&self, address: Address) -> Result<Option<Account>, StoreError> {
        let Some(change) = self.changes.accounts.get(&address) else {
            return self.base.account(address);
        };
        let Some(info) = change.info else { return Ok(None) };
        let storage_root = match self.base.account(address)? {
            Some(committed) if !change.wipe_storage => committed.storage_root,
            _ => EMPTY_ROOT_HASH,
        };
        Ok(Some(Account {
            nonce: info.nonce,
            balance: info.balance,
            storage_root,
            code_hash: info.code_hash,
        }))
    }

    fn storage(&self, address: Address, slot: U256) -> Result<U256, StoreError> {
        let Some(change) = self.changes.accounts.get(&address) else {
            return self.base.storage(address, slot);
        };
        match change.storage.get(&slot) {
            Some(value) => Ok(*value),
            None if change.wipe_storage || change.info.is_none() => Ok(U256::ZERO),
            None => self.base.storage(address, slot),
        }
    }

    fn code(&self, hash: B256) -> Result<Option<Bytes>, StoreError> {
        match self.changes.code.get(&hash) {
            Some(code) => Ok(Some(code.clone())),
            None => self.base.code(hash),
        }
    }

    fn block_hash(&self, number: u64) -> Result<Option<B256>, StoreError> {
        self.base.block_hash(number)
    }
}
