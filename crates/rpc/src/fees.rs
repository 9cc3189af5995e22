//! Fee suggestions (the node's rules, [`cairn_reads::FeeSuggestion`]) and fee history.

use alloy_consensus::Transaction as _;
use alloy_eips::BlockNumberOrTag;
use alloy_primitives::{U64, U128};
use alloy_rpc_types_eth::FeeHistory;
use cairn_primitives::{Block, Receipt, next_base_fee};
use cairn_reads::ChainView;

use crate::blocks::{FullBlock, load_with_receipts};
use crate::context::{Module, RpcContext, json, register};
use crate::error::{invalid_params, node_error, server_error};
use crate::params::{Args, RpcResult, at_most, tag_number};

/// Most blocks one `eth_feeHistory` may cover (geth's limit).
const MAX_HISTORY: usize = 1024;
/// Most percentiles one `eth_feeHistory` may ask for.
const MAX_PERCENTILES: usize = 100;

pub(crate) fn register_all(module: &mut Module) {
    register(module, "eth_maxPriorityFeePerGas", |_, ctx| {
        json(U128::from(ctx.node.fee_suggestion().map_err(node_error)?.tip))
    });
    register(module, "eth_gasPrice", |_, ctx| {
        json(U128::from(ctx.node.fee_suggestion().map_err(node_error)?.gas_price))
    });
    register(module, "eth_feeHistory", |params, ctx| {
        let mut args = Args::new(&params);
        let count: U64 = args.next()?;
        let newest: BlockNumberOrTag = args.next()?;
        let percentiles: Option<Vec<f64>> = args.optional()?;
        json(fee_history(ctx, count.to::<u64>(), newest, percentiles)?)
    });
}

fn fee_history(
    ctx: &RpcContext,
    count: u64,
    newest: BlockNumberOrTag,
    percentiles: Option<Vec<f64>>,
) -> RpcResult<FeeHistory> {
    at_most("block count", count as usize, MAX_HISTORY)?;
    if let Some(p) = &percentiles {
        at_most("reward percentiles", p.len(), MAX_PERCENTILES)?;
        let in_range = p.iter().all(|v| (0.0..=100.0).contains(v));
        if !in_range || p.windows(2).any(|w| w[0] > w[1]) {
            return Err(invalid_params("reward percentiles must be ascending values in 0..=100"));
        }
    }
    let view = ctx.view()?;
    let head = view.heads().map_err(node_error)?.latest.number;
    // geth refuses a range ending past the head instead of answering a shorter one.
    let newest = match newest {
        BlockNumberOrTag::Number(n) if n > head => {
            return Err(server_error(format!(
                "request beyond head block: requested {n}, head {head}"
            )));
        }
        tag => tag_number(view.as_ref(), tag)?.min(head),
    };
    let mut history = FeeHistory::default();
    if count == 0 {
        return Ok(history);
    }
    let oldest = (newest + 1).saturating_sub(count);
    history.oldest_block = oldest;
    let mut rewards = Vec::new();
    for number in oldest..=newest {
        let Some(FullBlock { block, receipts, .. }) = load_with_receipts(view.as_ref(), number)?
        else {
            break;
        };
        let header = &block.header;
        history.base_fee_per_gas.push(u128::from(header.base_fee));
        history.gas_used_ratio.push(header.gas_used as f64 / header.gas_limit.max(1) as f64);
        if let Some(p) = &percentiles {
            rewards.push(block_rewards(&block, &receipts, p));
        }
    }
    let next = next_header_base_fee(view.as_ref(), newest)?;
    history.base_fee_per_gas.push(next);
    history.reward = percentiles.map(|_| rewards);
    Ok(history)
}

fn next_header_base_fee(view: &dyn ChainView, number: u64) -> RpcResult<u128> {
    let header = view.header(number).map_err(node_error)?.unwrap_or_default();
    Ok(u128::from(next_base_fee(&header)))
}

/// The tip at each gas-weighted percentile of a block's transactions (geth's definition).
fn block_rewards(block: &Block, receipts: &[Receipt], percentiles: &[f64]) -> Vec<u128> {
    let base_fee = block.header.base_fee;
    let mut txs: Vec<(u128, u64)> = block
        .transactions
        .iter()
        .zip(receipts)
        .map(|(tx, r)| (tx.effective_tip_per_gas(base_fee).unwrap_or(0), r.gas_used))
        .collect();
    if txs.is_empty() {
        return vec![0; percentiles.len()];
    }
    txs.sort_unstable();
    let gas_used = block.header.gas_used as f64;
    let mut rewards = Vec::with_capacity(percentiles.len());
    let (mut index, mut cumulative) = (0, txs[0].1);
    for p in percentiles {
        let threshold = gas_used * p / 100.0;
        while (cumulative as f64) < threshold && index < txs.len() - 1 {
            index += 1;
            cumulative += txs[index].1;
        }
        rewards.push(txs[index].0);
    }
    rewards
}
