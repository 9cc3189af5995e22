//! Simulated calls at any retained block or in the pending one: the engine behind `eth_call`,
//! `eth_estimateGas` and `eth_createAccessList`.
//!
//! The head is read through the flat state tables; an older block through its state root's
//! tries, which are never rewritten. At a stored block the call sees that block itself (its
//! number, time, base fee, ...) and the state after it, as geth does. In the pending block it
//! sees the next block's context ([`Node::pending_context`]) and the head's state with the
//! caller's own pool transactions applied, so an estimate counts the work a transaction does
//! when it lands, not the work it would have done in the block before.

pub use alloy_rpc_types_eth::{
    AccessListResult, BlockOverrides, TransactionRequest, state::StateOverride,
};
use cairn_consensus::ValidatorSets as _;
use cairn_execution::{BlockContext, CallContext, CallError, PendingState};
pub use cairn_execution::{CALL_GAS_CAP, CallOutcome};
use cairn_primitives::Header;
use cairn_storage::{KvStore, StateView};

use crate::{CallBlock, Node, NodeError};

impl<K: KvStore> Node<K> {
    /// Runs `request` in `block`, without committing.
    pub fn call(
        &self,
        request: &TransactionRequest,
        block: impl Into<CallBlock>,
        state: Option<&StateOverride>,
        overrides: Option<&BlockOverrides>,
    ) -> Result<CallOutcome, NodeError> {
        self.simulate(request, block.into(), |view, context| {
            cairn_execution::call(view, context, request, state, overrides)
        })
    }

    /// Least gas that makes `request` succeed in `block`;
    /// `Err(NodeError::CallFailed(outcome))` if it fails even at the cap.
    pub fn estimate_gas(
        &self,
        request: &TransactionRequest,
        block: impl Into<CallBlock>,
        state: Option<&StateOverride>,
    ) -> Result<u64, NodeError> {
        self.simulate(request, block.into(), |view, context| {
            cairn_execution::estimate_gas(view, context, request, state)
        })
    }

    /// The access list the call touches and the gas it uses with that list (geth semantics:
    /// sender, recipient and precompiles excluded).
    pub fn create_access_list(
        &self,
        request: &TransactionRequest,
        block: impl Into<CallBlock>,
    ) -> Result<AccessListResult, NodeError> {
        self.simulate(request, block.into(), |view, context| {
            cairn_execution::create_access_list(view, context, request)
        })
    }

    /// The context of the block after `head` as simulations see it: the next height, the next
    /// EIP-1559 base fee, `gas_limit` (the one the chain decided for the head's child:
    /// [`cairn_consensus::ValidatorSets::gas_limit_after`]), this node's beneficiary, and a
    /// time no earlier than one second after the head's. A transaction sent now lands in that
    /// second or a later one (or, at several blocks a second, in the head's own second), so its
    /// estimate counts the work that only runs once time has moved on, and never less.
    pub fn pending_context(&self, head: &Header, gas_limit: u64) -> BlockContext {
        let earliest = head.timestamp.saturating_add(1).saturating_mul(1000);
        BlockContext::child_of(head, self.beneficiary(), self.now_ms().max(earliest), gas_limit)
    }

    /// Runs `simulate` in `block`: on the state after a stored block in its own context, or in
    /// the pending block on the head's state after the sender's ready pool transactions.
    fn simulate<T>(
        &self,
        request: &TransactionRequest,
        block: CallBlock,
        simulate: impl FnOnce(&dyn StateView, CallContext) -> Result<T, CallError>,
    ) -> Result<T, NodeError> {
        let chain_id = self.spec().chain_id;
        let result = match block {
            CallBlock::Pending => {
                // The pool is read before the snapshot: a transaction committed in between is
                // then in both, and its second run is skipped for its used nonce, where the
                // other order would miss it altogether.
                let pooled = self.ready_from(request.from.unwrap_or_default());
                let snapshot = self.store.snapshot()?;
                let head = snapshot.head()?;
                let gas_limit = self.sets(&snapshot).gas_limit_after(&head)?;
                let context = self.pending_context(&head, gas_limit);
                let txs = pooled.iter().map(|p| (&p.tx, p.sender));
                let state = PendingState::after(&snapshot, chain_id, context, txs)?;
                simulate(&state, CallContext { block: context, chain_id })
            }
            CallBlock::Stored(number) => {
                let snapshot = self.store.snapshot()?;
                let header = snapshot.header(number)?.ok_or(NodeError::UnknownBlock(number))?;
                let context = CallContext { block: BlockContext::of(&header), chain_id };
                if snapshot.head_number()? == Some(number) {
                    simulate(&snapshot, context)
                } else {
                    simulate(&snapshot.state_at(header.state_root), context)
                }
            }
        };
        result.map_err(NodeError::from)
    }
}
