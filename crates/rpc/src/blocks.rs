//! Blocks (the pending one too), included and pending transactions, and receipts.

use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, B256, U64};
use cairn_primitives::{Block, Receipt};
use cairn_reads::ChainView;
use serde_json::Value;

use crate::context::{Module, RpcContext, json, register, register_blocking};
use crate::convert::{self, Position};
use crate::error::node_error;
use crate::params::{Args, RpcResult};

pub(crate) fn register_all(module: &mut Module) {
    register_blocking(module, "eth_getBlockByNumber", |params, ctx| {
        let mut args = Args::new(&params);
        let tag: BlockNumberOrTag = args.next()?;
        let full: bool = args.optional()?.unwrap_or(false);
        block_json(ctx, BlockId::Number(tag), full)
    });
    register(module, "eth_getBlockByHash", |params, ctx| {
        let mut args = Args::new(&params);
        let hash: B256 = args.next()?;
        let full: bool = args.optional()?.unwrap_or(false);
        block_json(ctx, BlockId::from(hash), full)
    });
    register_blocking(module, "eth_getBlockTransactionCountByNumber", |params, ctx| {
        let tag: BlockNumberOrTag = Args::new(&params).next()?;
        transaction_count(ctx, BlockId::Number(tag))
    });
    register(module, "eth_getBlockTransactionCountByHash", |params, ctx| {
        let hash: B256 = Args::new(&params).next()?;
        transaction_count(ctx, BlockId::from(hash))
    });
    register(module, "eth_getUncleCountByBlockNumber", |params, ctx| {
        let tag: BlockNumberOrTag = Args::new(&params).next()?;
        uncle_count(ctx, BlockId::Number(tag))
    });
    register(module, "eth_getUncleCountByBlockHash", |params, ctx| {
        let hash: B256 = Args::new(&params).next()?;
        uncle_count(ctx, BlockId::from(hash))
    });
    register(module, "eth_getBlockReceipts", |params, ctx| {
        let block: BlockId = Args::new(&params).next()?;
        if is_pending(block) {
            // Receipts exist only for committed blocks.
            return Ok(Value::Null);
        }
        let view = ctx.view()?;
        let Some(number) = number_of(view.as_ref(), block)? else { return Ok(Value::Null) };
        let Some(FullBlock { block, senders, receipts }) =
            load_with_receipts(view.as_ref(), number)?
        else {
            return Ok(Value::Null);
        };
        json(convert::block_receipts(&block, &senders, &receipts))
    });
    register(module, "eth_getTransactionByHash", |params, ctx| {
        let hash: B256 = Args::new(&params).next()?;
        if let Some(pooled) = ctx.node.pooled(hash) {
            return json(convert::transaction(pooled.tx, pooled.sender, None));
        }
        let view = ctx.view()?;
        let Some(found) = view.transaction(hash).map_err(node_error)? else {
            return Ok(Value::Null);
        };
        let header = view.header(found.block_number).map_err(node_error)?;
        let Some(header) = header else { return Ok(Value::Null) };
        let position = Position::in_block(&header, found.block_hash, found.index as usize);
        json(convert::transaction(found.tx, found.sender, Some(position)))
    });
    register(module, "eth_getTransactionByBlockHashAndIndex", |params, ctx| {
        let mut args = Args::new(&params);
        let hash: B256 = args.next()?;
        let index: U64 = args.next()?;
        transaction_at(ctx, BlockId::from(hash), index.to::<u64>())
    });
    register_blocking(module, "eth_getTransactionByBlockNumberAndIndex", |params, ctx| {
        let mut args = Args::new(&params);
        let tag: BlockNumberOrTag = args.next()?;
        let index: U64 = args.next()?;
        transaction_at(ctx, BlockId::Number(tag), index.to::<u64>())
    });
    register(module, "eth_getTransactionReceipt", |params, ctx| {
        let hash: B256 = Args::new(&params).next()?;
        let view = ctx.view()?;
        let Some(location) = view.tx_location(hash).map_err(node_error)? else {
            return Ok(Value::Null);
        };
        let Some(FullBlock { block, senders, receipts }) =
            load_with_receipts(view.as_ref(), location.block)?
        else {
            return Ok(Value::Null);
        };
        let receipt = convert::block_receipts(&block, &senders, &receipts)
            .into_iter()
            .nth(location.index as usize);
        json(receipt)
    });
}

/// The height a block parameter names in `view`, or `None` if no such block is stored.
fn number_of(view: &dyn ChainView, block: BlockId) -> RpcResult<Option<u64>> {
    view.resolve(block.into()).map_err(node_error)
}

/// A block with its senders, read from one view.
fn load(view: &dyn ChainView, number: u64) -> RpcResult<Option<(Block, Vec<Address>)>> {
    let Some(block) = view.block(number).map_err(node_error)? else { return Ok(None) };
    let senders = view.senders(number).map_err(node_error)?.unwrap_or_default();
    Ok(Some((block, senders)))
}

/// A block with everything its transactions' answers need.
pub(crate) struct FullBlock {
    pub(crate) block: Block,
    pub(crate) senders: Vec<Address>,
    pub(crate) receipts: Vec<Receipt>,
}

/// A block with its senders and receipts, read from one view.
pub(crate) fn load_with_receipts(
    view: &dyn ChainView,
    number: u64,
) -> RpcResult<Option<FullBlock>> {
    let Some((block, senders)) = load(view, number)? else { return Ok(None) };
    let receipts = view.receipts(number).map_err(node_error)?.unwrap_or_default();
    Ok(Some(FullBlock { block, senders, receipts }))
}

/// Whether a block parameter names the pending block: the one this node would add next
/// ([`cairn_reads::PoolReader::pending_block`]).
fn is_pending(id: BlockId) -> bool {
    matches!(id, BlockId::Number(BlockNumberOrTag::Pending))
}

/// Fields geth answers as null for the pending block: it has no hash yet (its time and seal
/// are not final, so no committed block will ever carry the hash it would have now), and its
/// proposer and total difficulty are not settled.
const UNSETTLED_IN_PENDING: [&str; 4] = ["hash", "nonce", "miner", "totalDifficulty"];

fn block_json(ctx: &RpcContext, id: BlockId, full: bool) -> RpcResult<Value> {
    if is_pending(id) {
        let (block, senders) = ctx.node.pending_block().map_err(node_error)?;
        let mut value = json(convert::block(&block, &senders, full, false, None))?;
        for field in UNSETTLED_IN_PENDING {
            value[field] = Value::Null;
        }
        return Ok(value);
    }
    let view = ctx.view()?;
    let Some(number) = number_of(view.as_ref(), id)? else { return Ok(Value::Null) };
    let Some((block, senders)) = load(view.as_ref(), number)? else { return Ok(Value::Null) };
    let total_difficulty = view.total_difficulty(block.hash()).map_err(node_error)?;
    json(convert::block(&block, &senders, full, true, total_difficulty))
}

fn transaction_count(ctx: &RpcContext, id: BlockId) -> RpcResult<Value> {
    if is_pending(id) {
        let (block, _) = ctx.node.pending_block().map_err(node_error)?;
        return json(U64::from(block.transactions.len()));
    }
    let view = ctx.view()?;
    let Some(number) = number_of(view.as_ref(), id)? else { return Ok(Value::Null) };
    let Some(block) = view.block(number).map_err(node_error)? else { return Ok(Value::Null) };
    json(U64::from(block.transactions.len()))
}

fn uncle_count(ctx: &RpcContext, id: BlockId) -> RpcResult<Value> {
    if is_pending(id) {
        return json(U64::ZERO);
    }
    let view = ctx.view()?;
    let Some(number) = number_of(view.as_ref(), id)? else { return Ok(Value::Null) };
    match view.header(number).map_err(node_error)? {
        Some(_) => json(U64::ZERO),
        None => Ok(Value::Null),
    }
}

fn transaction_at(ctx: &RpcContext, id: BlockId, index: u64) -> RpcResult<Value> {
    if is_pending(id) {
        let (block, senders) = ctx.node.pending_block().map_err(node_error)?;
        let i = index as usize;
        return match (block.transactions.get(i), senders.get(i)) {
            (Some(tx), Some(sender)) => json(convert::transaction(tx.clone(), *sender, None)),
            _ => Ok(Value::Null),
        };
    }
    let view = ctx.view()?;
    let Some(number) = number_of(view.as_ref(), id)? else { return Ok(Value::Null) };
    let Some((block, senders)) = load(view.as_ref(), number)? else { return Ok(Value::Null) };
    let i = index as usize;
    let (Some(tx), Some(sender)) = (block.transactions.get(i), senders.get(i)) else {
        return Ok(Value::Null);
    };
    let position = Position::in_block(&block.header, block.hash(), i);
    json(convert::transaction(tx.clone(), *sender, Some(position)))
}
