//! `eth_getLogs`: a bloom-guided scan over a bounded block range.

use alloy_eips::BlockNumberOrTag;
use alloy_rpc_types_eth::{Filter, FilterBlockOption, Log};
use std::ops::ControlFlow;

use cairn_reads::ChainView;

use crate::context::{Module, RpcContext, json, register_blocking};
use crate::convert;
use crate::error::{limit_exceeded, node_error, server_error};
use crate::params::{Args, RpcResult, tag_number};

pub(crate) fn register_all(module: &mut Module) {
    register_blocking(module, "eth_getLogs", |params, ctx| {
        let filter: Filter = Args::new(&params).next()?;
        json(query(ctx, &filter)?)
    });
}

/// The logs `filter` selects, over its own block range or block hash.
pub(crate) fn query(ctx: &RpcContext, filter: &Filter) -> RpcResult<Vec<Log>> {
    let view = ctx.view()?;
    let view = view.as_ref();
    match filter.block_option {
        FilterBlockOption::AtBlockHash(hash) => {
            let number = view
                .block_number(hash)
                .map_err(node_error)?
                .ok_or_else(|| server_error(format!("unknown block {hash}")))?;
            collect(ctx, view, filter, number, number)
        }
        FilterBlockOption::Range { from_block, to_block } => {
            let latest = BlockNumberOrTag::Latest;
            let from = tag_number(view, from_block.unwrap_or(latest))?;
            let to = tag_number(view, to_block.unwrap_or(latest))?;
            let head = view.heads().map_err(node_error)?.latest.number;
            collect(ctx, view, filter, from, to.min(head))
        }
    }
}

/// Matching logs in blocks `from..=to`, refusing ranges and results over the configured caps
/// with a message that says how to narrow the query.
pub(crate) fn collect(
    ctx: &RpcContext,
    view: &dyn ChainView,
    filter: &Filter,
    from: u64,
    to: u64,
) -> RpcResult<Vec<Log>> {
    if from > to {
        return Ok(Vec::new());
    }
    let (max_range, max_logs) = (ctx.config.max_log_block_range, ctx.config.max_logs);
    if to - from >= max_range {
        return Err(limit_exceeded(format!(
            "block range {from}..={to} spans {} blocks, over the limit of {max_range}; \
             query a smaller range",
            to - from + 1
        )));
    }
    let mut found = Vec::new();
    let mut over_at = None;
    view.logs(filter, from, to, 0, &mut |log| {
        if found.len() == max_logs {
            over_at = Some(log.block_number);
            return ControlFlow::Break(());
        }
        found.push(convert::log(log));
        ControlFlow::Continue(())
    })
    .map_err(node_error)?;
    if let Some(number) = over_at {
        return Err(limit_exceeded(format!(
            "query returned more than {max_logs} results; retry with a range ending before \
             block {number}"
        )));
    }
    Ok(found)
}
