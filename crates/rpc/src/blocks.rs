//! Blocks (the pending one too), included and pending transactions, and receipts.

use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, B256, U64};
use cairn_primitives::{Block, Receipt};
use cairn_storage::{KvRead, KvStore, Snapshot, StoreError};
use serde_json::Value;

use crate::context::{Module, RpcContext, json, register, register_blocking};
use crate::convert::{self, Position};
use crate::error::node_error;
use crate::params::{Args, RpcResult, tag_number};

pub(crate) fn register_all<K: KvStore>(module: &mut Module<K>) {
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
        let snapshot = snapshot(ctx)?;
        let Some(number) = number_of(ctx, &snapshot, block)? else { return Ok(Value::Null) };
        let Some(FullBlock { block, senders, receipts }) = load_with_receipts(&snapshot, number)?
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
        let Some(found) = ctx.node.transaction(hash).map_err(node_error)? else {
            return Ok(Value::Null);
        };
        let snapshot = snapshot(ctx)?;
        let header = snapshot.header(found.block_number).map_err(store)?;
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
        let snapshot = snapshot(ctx)?;
        let Some(location) = snapshot.tx_location(hash).map_err(store)? else {
            return Ok(Value::Null);
        };
        let Some(FullBlock { block, senders, receipts }) =
            load_with_receipts(&snapshot, location.block)?
        else {
            return Ok(Value::Null);
        };
        let receipt = convert::block_receipts(&block, &senders, &receipts)
            .into_iter()
            .nth(location.index as usize);
        json(receipt)
    });
}

pub(crate) fn snapshot<K: KvStore>(ctx: &RpcContext<K>) -> RpcResult<Snapshot<K::Read>> {
    ctx.node.store().snapshot().map_err(store)
}

pub(crate) fn store(e: StoreError) -> jsonrpsee::types::ErrorObjectOwned {
    node_error(e.into())
}

/// The height a block parameter names in `snapshot`, or `None` if no such block exists yet.
fn number_of<K: KvStore, R: KvRead>(
    ctx: &RpcContext<K>,
    snapshot: &Snapshot<R>,
    block: BlockId,
) -> RpcResult<Option<u64>> {
    match block {
        BlockId::Hash(hash) => snapshot.block_number(hash.block_hash).map_err(store),
        BlockId::Number(tag) => Ok(Some(tag_number(&ctx.node, tag)?)),
    }
}

/// A block with its senders, read from one snapshot.
fn load<R: KvRead>(
    snapshot: &Snapshot<R>,
    number: u64,
) -> RpcResult<Option<(Block, Vec<Address>)>> {
    let Some(block) = snapshot.block(number).map_err(store)? else { return Ok(None) };
    let senders = snapshot.senders(number).map_err(store)?.unwrap_or_default();
    Ok(Some((block, senders)))
}

/// A block with everything its transactions' answers need.
pub(crate) struct FullBlock {
    pub(crate) block: Block,
    pub(crate) senders: Vec<Address>,
    pub(crate) receipts: Vec<Receipt>,
}

/// A block with its senders and receipts, read from one snapshot.
pub(crate) fn load_with_receipts<R: KvRead>(
    snapshot: &Snapshot<R>,
    number: u64,
) -> RpcResult<Option<FullBlock>> {
    let Some((block, senders)) = load(snapshot, number)? else { return Ok(None) };
    let receipts = snapshot.receipts(number).map_err(store)?.unwrap_or_default();
    Ok(Some(FullBlock { block, senders, receipts }))
}

/// Whether a block parameter names the pending block: the one this node would add next
/// ([`cairn_node::Node::pending_block`]).
fn is_pending(id: BlockId) -> bool {
    matches!(id, BlockId::Number(BlockNumberOrTag::Pending))
}

/// Fields geth answers as null for the pending block: it has no hash yet (its time and seal
/// are not final, so no committed block will ever carry the hash it would have now), and its
/// proposer and total difficulty are not settled.
const UNSETTLED_IN_PENDING: [&str; 4] = ["hash", "nonce", "miner", "totalDifficulty"];

fn block_json<K: KvStore>(ctx: &RpcContext<K>, id: BlockId, full: bool) -> RpcResult<Value> {
    if is_pending(id) {
        let (block, senders) = ctx.node.pending_block().map_err(node_error)?;
        let mut value = json(convert::block(&block, &senders, full, false))?;
        for field in UNSETTLED_IN_PENDING {
            value[field] = Value::Null;
        }
        return Ok(value);
    }
    let snapshot = snapshot(ctx)?;
    let Some(number) = number_of(ctx, &snapshot, id)? else { return Ok(Value::Null) };
    let Some((block, senders)) = load(&snapshot, number)? else { return Ok(Value::Null) };
    json(convert::block(&block, &senders, full, true))
}

fn transaction_count<K: KvStore>(ctx: &RpcContext<K>, id: BlockId) -> RpcResult<Value> {
    if is_pending(id) {
        let (block, _) = ctx.node.pending_block().map_err(node_error)?;
        return json(U64::from(block.transactions.len()));
    }
    let snapshot = snapshot(ctx)?;
    let Some(number) = number_of(ctx, &snapshot, id)? else { return Ok(Value::Null) };
    let Some(block) = snapshot.block(number).map_err(store)? else { return Ok(Value::Null) };
    json(U64::from(block.transactions.len()))
}

fn uncle_count<K: KvStore>(ctx: &RpcContext<K>, id: BlockId) -> RpcResult<Value> {
    if is_pending(id) {
        return json(U64::ZERO);
    }
    let snapshot = snapshot(ctx)?;
    let Some(number) = number_of(ctx, &snapshot, id)? else { return Ok(Value::Null) };
    match snapshot.header(number).map_err(store)? {
        Some(_) => json(U64::ZERO),
        None => Ok(Value::Null),
    }
}

fn transaction_at<K: KvStore>(ctx: &RpcContext<K>, id: BlockId, index: u64) -> RpcResult<Value> {
    if is_pending(id) {
        let (block, senders) = ctx.node.pending_block().map_err(node_error)?;
        let i = index as usize;
        return match (block.transactions.get(i), senders.get(i)) {
            (Some(tx), Some(sender)) => json(convert::transaction(tx.clone(), *sender, None)),
            _ => Ok(Value::Null),
        };
    }
    let snapshot = snapshot(ctx)?;
    let Some(number) = number_of(ctx, &snapshot, id)? else { return Ok(Value::Null) };
    let Some((block, senders)) = load(&snapshot, number)? else { return Ok(Value::Null) };
    let i = index as usize;
    let (Some(tx), Some(sender)) = (block.transactions.get(i), senders.get(i)) else {
        return Ok(Value::Null);
    };
    let position = Position::in_block(&block.header, block.hash(), i);
    json(convert::transaction(tx.clone(), *sender, Some(position)))
}
