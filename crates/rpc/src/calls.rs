//! `eth_call`, `eth_estimateGas` and `eth_createAccessList`: simulations on any retained block's
//! state, never committed.

use alloy_primitives::{Bytes, U64};
use alloy_rpc_types_eth::{BlockOverrides, TransactionRequest, state::StateOverride};
use cairn_node::{CallOutcome, NodeError};
use cairn_storage::KvStore;
use jsonrpsee::types::ErrorObjectOwned;

use crate::blocks::snapshot;
use crate::context::{Module, json, register_blocking};
use crate::error::{EXECUTION_REVERTED, node_error, server_error};
use crate::params::{Args, existing_block};

pub(crate) fn register_all<K: KvStore>(module: &mut Module<K>) {
    register_blocking(module, "eth_call", |params, ctx| {
        let mut args = Args::new(&params);
        let request: TransactionRequest = args.next()?;
        let number = existing_block(&snapshot(ctx)?, args.block()?)?;
        let state: Option<StateOverride> = args.optional()?;
        let block: Option<Box<BlockOverrides>> = args.optional()?;
        let outcome = ctx
            .node
            .call(&request, number, state.as_ref(), block.as_deref())
            .map_err(call_error)?;
        match outcome {
            CallOutcome::Success { output, .. } => json(output),
            failed => Err(failure(&failed)),
        }
    });
    register_blocking(module, "eth_estimateGas", |params, ctx| {
        let mut args = Args::new(&params);
        let request: TransactionRequest = args.next()?;
        let number = existing_block(&snapshot(ctx)?, args.block()?)?;
        let state: Option<StateOverride> = args.optional()?;
        let gas = ctx.node.estimate_gas(&request, number, state.as_ref()).map_err(call_error)?;
        json(U64::from(gas))
    });
    register_blocking(module, "eth_createAccessList", |params, ctx| {
        let mut args = Args::new(&params);
        let request: TransactionRequest = args.next()?;
        let number = existing_block(&snapshot(ctx)?, args.block()?)?;
        json(ctx.node.create_access_list(&request, number).map_err(call_error)?)
    });
}

fn call_error(error: NodeError) -> ErrorObjectOwned {
    match error {
        NodeError::CallFailed(outcome) => failure(&outcome),
        other => node_error(other),
    }
}

/// A revert is error 3 with the revert data, which clients decode into the reason; a halt is
/// -32000 with its reason, as geth answers.
fn failure(outcome: &CallOutcome) -> ErrorObjectOwned {
    match outcome {
        CallOutcome::Revert { output, .. } => ErrorObjectOwned::owned(
            EXECUTION_REVERTED,
            outcome.to_string(),
            Some(Bytes::clone(output)),
        ),
        _ => server_error(outcome.to_string()),
    }
}
