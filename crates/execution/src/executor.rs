use alloy_consensus::{Eip658Value, ReceiptEnvelope, Transaction};
use alloy_primitives::{Address, Bloom, Bytes, U256};
use cairn_primitives::{MAX_REVERT_OUTPUT, Receipt, TxEnvelope};
use cairn_storage::{StateChanges, StateView};
use revm::context::result::{EVMError, ExecutionResult};
use revm::context::{CfgEnv, Context};
use revm::database_interface::DatabaseCommit;
use revm::handler::{
    ExecuteCommitEvm, MainBuilder, MainContext, MainnetContext, MainnetEvm, SystemCallEvm,
};

use crate::env::tx_env;
use crate::overlay::Overlay;
use crate::system::{SYSTEM_ADDRESS, SystemCallOutcome, SystemCaller};
use crate::{BlockContext, ExecError, SPEC};

/// What a block's execution produced.
#[derive(Debug)]
pub struct ExecutionOutcome {
    /// One receipt per executed transaction, in order.
    pub receipts: Vec<Receipt>,
    /// Total gas used.
    pub gas_used: u64,
    /// Union of the receipts' blooms.
    pub logs_bloom: Bloom,
    /// Every account, slot and code the block changed.
    pub changes: StateChanges,
}

/// One executed transaction: its receipt and what it returned (the revert data when it
/// reverted, so callers can show the reason).
#[derive(Debug, Clone)]
pub struct TxResult<'a> {
    /// The receipt, as stored.
    pub receipt: &'a Receipt,
    /// Return data, revert data, or the created contract's code.
    pub output: Bytes,
}

/// Executes one block's transactions in order against a state, keeping their effects in an
/// overlay until [`BlockExecutor::finish`].
pub struct BlockExecutor<'a, S: StateView> {
    evm: MainnetEvm<MainnetContext<Overlay<'a, S>>>,
    context: BlockContext,
    gas_used: u64,
    receipts: Vec<Receipt>,
    logs_bloom: Bloom,
    priority_fees: U256,
}

impl<'a, S: StateView> BlockExecutor<'a, S> {
    /// Starts a block on top of `state` (the parent's state).
    pub fn new(state: &'a S, chain_id: u64, context: BlockContext) -> Self {
        let mut cfg = CfgEnv::new_with_spec(SPEC);
        cfg.chain_id = chain_id;
        let evm = Context::mainnet()
            .with_db(Overlay::new(state))
            .with_cfg(cfg)
            .with_block(context.block_env())
            .build_mainnet();
        Self {
            evm,
            context,
            gas_used: 0,
            receipts: Vec::new(),
            logs_bloom: Bloom::ZERO,
            priority_fees: U256::ZERO,
        }
    }

    /// Gas still available in the block.
    pub fn gas_left(&self) -> u64 {
        self.context.gas_limit - self.gas_used
    }

    /// Executes `tx` from `sender` (already recovered by the caller) and returns its result.
    /// On [`ExecError::InvalidTx`] the state is unchanged and the block can go on.
    pub fn execute(&mut self, tx: &TxEnvelope, sender: Address) -> Result<TxResult<'_>, ExecError> {
        if tx.gas_limit() > self.gas_left() {
            return Err(ExecError::InvalidTx {
                reason: format!(
                    "gas limit {} exceeds the {} gas left in the block",
                    tx.gas_limit(),
                    self.gas_left()
                ),
            });
        }
        let result = match self.evm.transact_commit(tx_env(tx, sender)) {
            Ok(result) => result,
            Err(EVMError::Transaction(e)) => {
                return Err(ExecError::InvalidTx { reason: e.to_string() });
            }
            Err(EVMError::Header(e)) => return Err(ExecError::Evm(e.to_string())),
            Err(EVMError::Database(e)) => return Err(ExecError::Store(e.0)),
            Err(e) => return Err(ExecError::Evm(e.to_string())),
        };
        let gas_used = result.tx_gas_used();
        self.gas_used += gas_used;
        let contract_address = match &result {
            ExecutionResult::Success { .. } => result.created_address().unwrap_or_default(),
            _ => Address::ZERO,
        };
        let output = result.output().cloned().unwrap_or_default();
        let revert_output = match &result {
            ExecutionResult::Revert { output, .. } if !output.is_empty() => {
                Some(output.slice(..output.len().min(MAX_REVERT_OUTPUT)))
            }
            _ => None,
        };
        let receipt = alloy_consensus::Receipt {
            status: Eip658Value::Eip658(result.is_success()),
            cumulative_gas_used: self.gas_used,
            logs: result.into_logs(),
        }
        .with_bloom();
        self.logs_bloom |= receipt.logs_bloom;
        let base_fee = self.context.base_fee;
        let effective_gas_price = tx.effective_gas_price(Some(base_fee));
        // What revm credited the beneficiary: the tip on every unit of gas used.
        let tip = effective_gas_price.saturating_sub(u128::from(base_fee));
        self.priority_fees += U256::from(tip) * U256::from(gas_used);
        let receipt = Receipt {
            envelope: ReceiptEnvelope::from_typed(tx.tx_type(), receipt),
            gas_used,
            effective_gas_price,
            contract_address,
            revert_output,
        };
        self.receipts.push(receipt);
        let receipt =
            self.receipts.last().ok_or_else(|| ExecError::Evm("receipt vanished".into()))?;
        Ok(TxResult { receipt, output })
    }

    /// Ends the block and hands over everything it produced.
    ///
    /// Protocol calls ([`SystemCaller`]) made before this are part of the changes.
    pub fn finish(self) -> ExecutionOutcome {
        let overlay = self.evm.ctx.journaled_state.database;
        ExecutionOutcome {
            receipts: self.receipts,
            gas_used: self.gas_used,
            logs_bloom: self.logs_bloom,
            changes: overlay.into_changes(),
        }
    }
}

impl<S: StateView> SystemCaller for BlockExecutor<'_, S> {
    fn block(&self) -> &BlockContext {
        &self.context
    }

    fn priority_fees(&self) -> U256 {
        self.priority_fees
    }

    fn mint(&mut self, to: Address, amount: U256) -> Result<(), ExecError> {
        self.evm.ctx.journaled_state.database.increment_balance(to, amount)
    }

    fn call(&mut self, to: Address, input: Bytes) -> Result<SystemCallOutcome, ExecError> {
        let outcome = match self.evm.system_call_with_caller(SYSTEM_ADDRESS, to, input) {
            Ok(outcome) => outcome,
            Err(EVMError::Database(e)) => return Err(ExecError::Store(e.0)),
            Err(e) => return Err(ExecError::Evm(e.to_string())),
        };
        let mut state = outcome.state;
        // The system address pays nothing and keeps no nonce; it is never recorded, so an
        // empty account can never be written (or deleted) for it.
        state.remove(&SYSTEM_ADDRESS);
        self.evm.ctx.journaled_state.database.commit(state);
        Ok(match outcome.result {
            ExecutionResult::Success { output, logs, gas, .. } => SystemCallOutcome::Success {
                output: output.into_data(),
                logs,
                gas_used: gas.tx_gas_used(),
            },
            ExecutionResult::Revert { output, .. } => {
                SystemCallOutcome::Failed { output, reason: "reverted".to_string() }
            }
            ExecutionResult::Halt { reason, .. } => {
                SystemCallOutcome::Failed { output: Bytes::new(), reason: format!("{reason:?}") }
            }
        })
    }
}
