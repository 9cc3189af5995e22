//! The spec's genesis state held in memory for view calls, and the comparison of a system
//! contract's answers with the spec: what the staking and governance genesis checks share.

use std::fmt::Debug;

use alloy_primitives::{Address, Bytes};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_sol_types::SolCall;
use cairn_execution::{BlockContext, CallContext, CallOutcome};
use cairn_primitives::ChainSpec;
use cairn_storage::{ChainStore, MemoryKv};

use crate::NodeError;

/// The spec's genesis state, held in memory for view calls.
pub(crate) struct Genesis {
    store: ChainStore<MemoryKv>,
    context: CallContext,
}

impl Genesis {
    pub(crate) fn of(spec: &ChainSpec) -> Result<Self, NodeError> {
        let store = ChainStore::open(MemoryKv::default(), spec)?;
        let header = store.snapshot()?.header(0)?.ok_or(NodeError::UnknownBlock(0))?;
        let context = CallContext { block: BlockContext::of(&header), chain_id: spec.chain_id };
        Ok(Self { store, context })
    }

    /// Runs the view `call` on the contract at `to` in the genesis state: its decoded answer,
    /// or what came back instead (a revert, a halt, undecodable bytes).
    pub(crate) fn call<C: SolCall>(
        &self,
        to: Address,
        call: C,
    ) -> Result<Result<C::Return, String>, NodeError> {
        let request =
            TransactionRequest::default().to(to).input(Bytes::from(call.abi_encode()).into());
        let outcome =
            cairn_execution::call(&self.store.snapshot()?, self.context, &request, None, None)?;
        let output = match outcome {
            CallOutcome::Success { output, .. } => output,
            other => return Ok(Err(format!("{other:?}"))),
        };
        Ok(C::abi_decode_returns(&output).map_err(|e| format!("an undecodable answer ({e})")))
    }
}

/// Where a system contract's genesis state and the spec disagree: the field, the contract's
/// value and the spec's.
pub(crate) struct Mismatch {
    pub(crate) field: String,
    pub(crate) contract: String,
    pub(crate) spec: String,
}

/// One contract's comparison with the spec, naming its disagreements with that contract's
/// error (so both checks compare alike and each says which contract it found wrong).
pub(crate) struct Comparison {
    pub(crate) error: fn(Mismatch) -> NodeError,
}

impl Comparison {
    /// `Ok` when the contract's `got` is the spec's `want`.
    pub(crate) fn differ<T: PartialEq + Debug>(
        &self,
        field: &str,
        got: T,
        want: T,
    ) -> Result<(), NodeError> {
        if got == want {
            return Ok(());
        }
        Err(self.mismatch(field, format!("{got:?}"), format!("{want:?}")))
    }

    pub(crate) fn mismatch(
        &self,
        field: impl Into<String>,
        contract: impl Into<String>,
        spec: impl Into<String>,
    ) -> NodeError {
        (self.error)(Mismatch { field: field.into(), contract: contract.into(), spec: spec.into() })
    }

    /// Runs the view `call` on the contract at `to` in `genesis`; no answer is a mismatch.
    pub(crate) fn view<C: SolCall>(
        &self,
        genesis: &Genesis,
        to: Address,
        call: C,
    ) -> Result<C::Return, NodeError> {
        genesis.call(to, call)?.map_err(|got| self.mismatch(C::SIGNATURE, got, "an answer"))
    }
}
