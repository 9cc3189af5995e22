//! Simulated calls at any retained block: the engine behind `eth_call`, `eth_estimateGas` and
//! `eth_createAccessList`.
//!
//! The head is read through the flat state tables; an older block through its state root's
//! tries, which are never rewritten. The call sees block `number` itself (its number, time,
//! base fee, ...) and the state after it, as geth does.

pub use alloy_rpc_types_eth::{
    AccessListResult, BlockOverrides, TransactionRequest, state::StateOverride,
};
use cairn_execution::{BlockContext, CallContext, CallError};
pub use cairn_execution::{CALL_GAS_CAP, CallOutcome};
use cairn_storage::{KvStore, StateView};

use crate::{Node, NodeError};

impl<K: KvStore> Node<K> {
    /// Runs `request` on the state after block `number` (must be ≤ head), without committing.
    pub fn call(
        &self,
        request: &TransactionRequest,
        number: u64,
        state: Option<&StateOverride>,
        block: Option<&BlockOverrides>,
    ) -> Result<CallOutcome, NodeError> {
        self.at_block(number, |view, context| {
            cairn_execution::call(view, context, request, state, block)
        })
    }

    /// Least gas that makes `request` succeed at block `number`;
    /// `Err(NodeError::CallFailed(outcome))` if it fails even at the cap.
    pub fn estimate_gas(
        &self,
        request: &TransactionRequest,
        number: u64,
        state: Option<&StateOverride>,
    ) -> Result<u64, NodeError> {
        self.at_block(number, |view, context| {
            cairn_execution::estimate_gas(view, context, request, state)
        })
    }

    /// The access list the call touches and the gas it uses with that list (geth semantics:
    /// sender, recipient and precompiles excluded).
    pub fn create_access_list(
        &self,
        request: &TransactionRequest,
        number: u64,
    ) -> Result<AccessListResult, NodeError> {
        self.at_block(number, |view, context| {
            cairn_execution::create_access_list(view, context, request)
        })
    }

    /// Runs `simulate` on the state after block `number` in that block's context.
    fn at_block<T>(
        &self,
        number: u64,
        simulate: impl FnOnce(&dyn StateView, CallContext) -> Result<T, CallError>,
    ) -> Result<T, NodeError> {
        let snapshot = self.store().snapshot()?;
        let header = snapshot.header(number)?.ok_or(NodeError::UnknownBlock(number))?;
        let context =
            CallContext { block: BlockContext::of(&header), chain_id: self.spec().chain_id };
        let result = if snapshot.head_number()? == Some(number) {
            simulate(&snapshot, context)
        } else {
            simulate(&snapshot.state_at(header.state_root), context)
        };
        result.map_err(NodeError::from)
    }
}
