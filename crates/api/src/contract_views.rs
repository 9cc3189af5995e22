//! Reading a system contract through its own views: one `eth_call` into it, in the state after
//! the block an answer reads, decoded with the contract's ABI. Staking and governance answer
//! this way, so every figure is what `cast call` on that block would show.

use alloy_primitives::{Address, Bytes};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_sol_types::SolCall;
use cairn_reads::{CallBlock, CallOutcome, ServedNode};

use crate::error::ApiError;

/// A system contract the API reads: where it lives and how its refusals read.
pub(crate) struct SystemContract {
    /// Its name in error messages (`staking`, `governance`).
    pub(crate) name: &'static str,
    /// Its address.
    pub(crate) address: Address,
    /// Its revert data as text (its custom errors by name).
    pub(crate) describe_revert: fn(Bytes) -> String,
}

impl SystemContract {
    /// Runs one view in the state after block `height`, as `eth_call` would, and decodes its
    /// answer. A view of a system contract does not fail on a healthy chain, so any failure is
    /// an internal error that names the view and the contract's reason.
    pub(crate) fn view<C: SolCall>(
        &self,
        node: &dyn ServedNode,
        height: u64,
        call: C,
    ) -> Result<C::Return, ApiError> {
        let request =
            TransactionRequest::default().to(self.address).input(call.abi_encode().into());
        let failed =
            |why: String| ApiError::Internal(format!("{} view {}: {why}", self.name, C::SIGNATURE));
        match node.call(&request, CallBlock::Stored(height), None, None)? {
            CallOutcome::Success { output, .. } => C::abi_decode_returns(&output)
                .map_err(|e| failed(format!("its answer does not decode: {e}"))),
            CallOutcome::Revert { output, .. } => Err(failed((self.describe_revert)(output))),
            CallOutcome::Halt { reason, .. } => Err(failed(reason)),
        }
    }
}
