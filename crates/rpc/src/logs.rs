//! `eth_getLogs`: a bloom-guided scan over a bounded block range.

use alloy_eips::BlockNumberOrTag;
use alloy_rpc_types_eth::{Filter, FilterBlockOption, Log};
use cairn_storage::{KvRead, KvStore, Snapshot};

use std::ops::ControlFlow;

use cairn_node::logs::scan_logs;

use crate::blocks::{snapshot, store};
use crate::context::{Module, RpcContext, json, register_blocking};
use crate::convert;
use crate::error::{limit_exceeded, server_error};
use crate::params::{Args, RpcResult, tag_number};

pub(crate) fn register_all<K: KvStore>(module: &mut Module<K>) {
    register_blocking(module, "eth_getLogs", |params, ctx| {
        let filter: Filter = Args::new(&params).next()?;
        json(query(ctx, &filter)?)
    });
}

/// The logs `filter` selects, over its own block range or block hash.
pub(crate) fn query<K: KvStore>(ctx: &RpcContext<K>, filter: &Filter) -> RpcResult<Vec<Log>> {
    let snapshot = snapshot(ctx)?;
    match filter.block_option {
        FilterBlockOption::AtBlockHash(hash) => {
            let number = snapshot
                .block_number(hash)
                .map_err(store)?
                .ok_or_else(|| server_error(format!("unknown block {hash}")))?;
            collect(ctx, &snapshot, filter, number, number)
        }
        FilterBlockOption::Range { from_block, to_block } => {
            let latest = BlockNumberOrTag::Latest;
            let from = tag_number(&ctx.node, from_block.unwrap_or(latest))?;
            let to = tag_number(&ctx.node, to_block.unwrap_or(latest))?;
            let head = snapshot.head().map_err(store)?.number;
            collect(ctx, &snapshot, filter, from, to.min(head))
        }
    }
}

/// Matching logs in blocks `from..=to`, refusing ranges and results over the configured caps
/// with a message that says how to narrow the query.
pub(crate) fn collect<K: KvStore, R: KvRead>(
    ctx: &RpcContext<K>,
    snapshot: &Snapshot<R>,
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
    scan_logs(snapshot, filter, from, to, 0, &mut |log| {
        if found.len() == max_logs {
            over_at = Some(log.block_number);
            return ControlFlow::Break(());
        }
        found.push(convert::log(log));
        ControlFlow::Continue(())
    })
    .map_err(store)?;
    if let Some(number) = over_at {
        return Err(limit_exceeded(format!(
            "query returned more than {max_logs} results; retry with a range ending before \
             block {number}"
        )));
    }
    Ok(found)
}
