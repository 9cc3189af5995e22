//! Polled filters (`eth_newFilter` and friends): each remembers how far its client has read and
//! expires when the client stops polling.

use alloy_eips::BlockNumberOrTag;
use alloy_rpc_types_eth::{Filter, FilterBlockOption, FilterChanges, Log};
use cairn_reads::ChainView;
use serde_json::Value;

use crate::context::{Module, RpcContext, json, register, register_blocking};
use crate::error::{invalid_params, node_error};
use crate::filter_table::{Kind, Poll};
use crate::params::{Args, RpcResult, tag_number};
use crate::{convert, logs};

pub(crate) fn register_all(module: &mut Module) {
    register(module, "eth_newFilter", |params, ctx| {
        let filter: Filter = Args::new(&params).next()?;
        if let FilterBlockOption::AtBlockHash(_) = filter.block_option {
            return Err(invalid_params(
                "eth_newFilter takes a block range; use eth_getLogs for a single block hash",
            ));
        }
        let chain = ctx.node.subscribe_chain();
        let next = head(ctx)? + 1;
        json(ctx.filters.install(Kind::Logs { filter: Box::new(filter), next, chain })?)
    });
    register(module, "eth_newBlockFilter", |_, ctx| {
        let chain = ctx.node.subscribe_chain();
        let next = head(ctx)? + 1;
        json(ctx.filters.install(Kind::Blocks { next, chain })?)
    });
    register(module, "eth_newPendingTransactionFilter", |_, ctx| {
        json(ctx.filters.install(Kind::Pending { events: ctx.node.subscribe_pending() })?)
    });
    register(module, "eth_uninstallFilter", |params, ctx| {
        let id: String = Args::new(&params).next()?;
        json(ctx.filters.uninstall(&id))
    });
    register_blocking(module, "eth_getFilterChanges", |params, ctx| {
        let id: String = Args::new(&params).next()?;
        let head = head(ctx)?;
        match ctx.filters.poll(&id, head)? {
            Poll::Pending(hashes) => json(FilterChanges::<Value>::Hashes(hashes)),
            Poll::Blocks(next) => {
                let view = ctx.view()?;
                let mut hashes = Vec::new();
                for number in next..=head {
                    if let Some(header) = view.header(number).map_err(node_error)? {
                        hashes.push(header.hash());
                    }
                }
                json(FilterChanges::<Value>::Hashes(hashes))
            }
            Poll::Logs { filter, from: next, reorgs } => {
                let view = ctx.view()?;
                let (from, to) = bounds(view.as_ref(), &filter, head)?;
                // Logs the client was given from blocks a reorg abandoned come back removed
                // (as geth reports them), before the new branch's.
                let mut changes: Vec<Log> = reorgs
                    .iter()
                    .flat_map(|(reorg, reported_below)| {
                        reorg.removed_logs(&filter).into_iter().filter(move |log| {
                            log.block_number < *reported_below && log.block_number >= from
                        })
                    })
                    .map(convert::removed_log)
                    .collect();
                changes.extend(logs::collect(ctx, view.as_ref(), &filter, from.max(next), to)?);
                json(changes)
            }
        }
    });
    register_blocking(module, "eth_getFilterLogs", |params, ctx| {
        let id: String = Args::new(&params).next()?;
        let filter = ctx.filters.log_filter(&id)?;
        json(logs::query(ctx, &filter)?)
    });
}

fn head(ctx: &RpcContext) -> RpcResult<u64> {
    Ok(ctx.view()?.heads().map_err(node_error)?.latest.number)
}

/// The block range a log filter covers, capped at the head (block-hash filters are refused at
/// installation, so they cover nothing).
fn bounds(view: &dyn ChainView, filter: &Filter, head: u64) -> RpcResult<(u64, u64)> {
    match filter.block_option {
        FilterBlockOption::AtBlockHash(_) => Ok((1, 0)),
        FilterBlockOption::Range { from_block, to_block } => {
            let from = match from_block {
                Some(tag) => tag_number(view, tag)?,
                None => 0,
            };
            let to = tag_number(view, to_block.unwrap_or(BlockNumberOrTag::Latest))?;
            Ok((from, to.min(head)))
        }
    }
}
