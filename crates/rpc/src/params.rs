//! Reading positional parameters and resolving block parameters.

use alloy_eips::{BlockId, BlockNumberOrTag};
use cairn_node::Node;
use cairn_storage::{KvRead, KvStore, Snapshot, StoreError};
use jsonrpsee::types::{ErrorObjectOwned, Params};
use serde::de::DeserializeOwned;

use crate::error::{invalid_params, node_error, server_error};

/// The result every handler returns.
pub(crate) type RpcResult<T> = Result<T, ErrorObjectOwned>;

/// Positional parameters read one at a time, so trailing optional ones may be left out. Errors
/// say which argument was wrong and why, as geth's do.
pub(crate) struct Args<'a> {
    sequence: jsonrpsee::types::params::ParamsSequence<'a>,
    index: usize,
}

impl<'a> Args<'a> {
    pub(crate) fn new(params: &'a Params<'a>) -> Self {
        Self { sequence: params.sequence(), index: 0 }
    }

    pub(crate) fn next<T: DeserializeOwned>(&mut self) -> RpcResult<T> {
        let index = self.index;
        self.index += 1;
        self.sequence.next().map_err(|e| explain(index, e))
    }

    pub(crate) fn optional<T: DeserializeOwned>(&mut self) -> RpcResult<Option<T>> {
        let index = self.index;
        self.index += 1;
        self.sequence.optional_next().map_err(|e| explain(index, e))
    }

    /// A block parameter that defaults to `latest`.
    pub(crate) fn block(&mut self) -> RpcResult<BlockId> {
        Ok(self.optional::<BlockId>()?.unwrap_or(BlockId::Number(BlockNumberOrTag::Latest)))
    }
}

/// Moves the parser's detail (kept in `data` by jsonrpsee) into the message clients show.
fn explain(index: usize, error: ErrorObjectOwned) -> ErrorObjectOwned {
    let detail = match error.data() {
        Some(raw) => serde_json::from_str::<String>(raw.get()).unwrap_or_else(|_| raw.to_string()),
        None => error.message().to_string(),
    };
    invalid_params(format!("invalid argument {index}: {detail}"))
}

/// The height a tag names. A single-node or BFT chain finalises every block it commits, so
/// `safe` and `finalized` read the head. `pending` reads the head too where a method needs a
/// committed block (state, logs, fee history); the methods that show the pending block or
/// simulate in it (blocks, `eth_call`, `eth_estimateGas`, `eth_createAccessList`) and
/// `eth_getTransactionCount` (which counts the pool) handle it before asking.
pub(crate) fn tag_number<K: KvStore>(node: &Node<K>, tag: BlockNumberOrTag) -> RpcResult<u64> {
    match tag {
        BlockNumberOrTag::Number(n) => Ok(n),
        BlockNumberOrTag::Earliest => Ok(0),
        BlockNumberOrTag::Latest
        | BlockNumberOrTag::Pending
        | BlockNumberOrTag::Safe
        | BlockNumberOrTag::Finalized => Ok(node.head().map_err(node_error)?.number),
    }
}

/// The height a block parameter names in `snapshot`, which must exist (geth's "header not
/// found" otherwise). Tags resolve against the snapshot's own head, read once.
pub(crate) fn existing_block<R: KvRead>(snapshot: &Snapshot<R>, block: BlockId) -> RpcResult<u64> {
    let store = |e: StoreError| node_error(e.into());
    let head = snapshot.head().map_err(store)?.number;
    let number = match block {
        BlockId::Number(BlockNumberOrTag::Number(n)) => n,
        BlockId::Number(BlockNumberOrTag::Earliest) => 0,
        BlockId::Number(_) => head,
        BlockId::Hash(hash) => snapshot
            .block_number(hash.block_hash)
            .map_err(store)?
            .ok_or_else(|| server_error(format!("block {} not found", hash.block_hash)))?,
    };
    if number > head {
        return Err(server_error("header not found"));
    }
    Ok(number)
}

/// Refuses a value over a limit with a message that names both.
pub(crate) fn at_most(what: &str, value: usize, limit: usize) -> RpcResult<()> {
    if value > limit {
        return Err(invalid_params(format!("{what} {value} exceeds the limit of {limit}")));
    }
    Ok(())
}
