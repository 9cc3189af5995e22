//! `eth_call`, `eth_estimateGas` and `eth_createAccessList`: simulations on any retained block's
//! state or in the pending block, never committed.

use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Bytes, U64};
use alloy_rpc_types_eth::{BlockOverrides, TransactionRequest, state::StateOverride};
use cairn_reads::{CallBlock, CallOutcome, NodeError};
use jsonrpsee::types::ErrorObjectOwned;

use crate::context::{Module, RpcContext, json, register_blocking};
use crate::error::{EXECUTION_REVERTED, node_error, server_error};
use crate::params::{Args, RpcResult, existing_block};

pub(crate) fn register_all(module: &mut Module) {
    register_blocking(module, "eth_call", |params, ctx| {
        let mut args = Args::new(&params);
        let request: TransactionRequest = args.next()?;
        let block = call_block(ctx, args.block()?)?;
        let state: Option<StateOverride> = args.optional()?;
        let overrides: Option<Box<BlockOverrides>> = args.optional()?;
        let outcome = ctx
            .node
            .call(&request, block, state.as_ref(), overrides.as_deref())
            .map_err(call_error)?;
        match outcome {
            CallOutcome::Success { output, .. } => json(output),
            failed => Err(failure(&failed)),
        }
    });
    register_blocking(module, "eth_estimateGas", |params, ctx| {
        let mut args = Args::new(&params);
        let request: TransactionRequest = args.next()?;
        // Without a block, the transaction is estimated in the block it would land in, as
        // anvil does (ethers and cast send none).
        let block = args.optional::<BlockId>()?.unwrap_or(BlockId::pending());
        let block = call_block(ctx, block)?;
        let state: Option<StateOverride> = args.optional()?;
        let gas = ctx.node.estimate_gas(&request, block, state.as_ref()).map_err(call_error)?;
        json(U64::from(gas))
    });
    register_blocking(module, "eth_createAccessList", |params, ctx| {
        let mut args = Args::new(&params);
        let request: TransactionRequest = args.next()?;
        let block = call_block(ctx, args.block()?)?;
        json(ctx.node.create_access_list(&request, block).map_err(call_error)?)
    });
}

/// The block a simulation runs in: the pending one for `pending`, else a stored block, which
/// must exist.
fn call_block(ctx: &RpcContext, block: BlockId) -> RpcResult<CallBlock> {
    match block {
        BlockId::Number(BlockNumberOrTag::Pending) => Ok(CallBlock::Pending),
        stored => Ok(CallBlock::Stored(existing_block(ctx.view()?.as_ref(), stored)?)),
    }
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
