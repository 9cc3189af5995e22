//! Reading positional parameters and resolving block parameters.

use alloy_eips::{BlockId, BlockNumberOrTag};
use cairn_reads::ChainView;
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

/// The height a tag names in `view` (resolved there, from the engine's finality); a number
/// names itself, even above the head, for callers that cap a range at the head. `pending`
/// reads the head where a method needs a committed block (state, logs, fee history); the
/// methods that show the pending block or simulate in it (blocks, `eth_call`,
/// `eth_estimateGas`, `eth_createAccessList`) and `eth_getTransactionCount` (which counts the
/// pool) handle it before asking.
pub(crate) fn tag_number(view: &dyn ChainView, tag: BlockNumberOrTag) -> RpcResult<u64> {
    if let BlockNumberOrTag::Number(number) = tag {
        return Ok(number);
    }
    view.resolve(tag.into()).map_err(node_error)?.ok_or_else(|| server_error("header not found"))
}

/// The height a block parameter names in `view`, which must exist (geth's "header not found"
/// otherwise, or "block … not found" for an unknown hash).
pub(crate) fn existing_block(view: &dyn ChainView, block: BlockId) -> RpcResult<u64> {
    match (view.resolve(block.into()).map_err(node_error)?, block) {
        (Some(number), _) => Ok(number),
        (None, BlockId::Hash(hash)) => {
            Err(server_error(format!("block {} not found", hash.block_hash)))
        }
        (None, BlockId::Number(_)) => Err(server_error("header not found")),
    }
}

/// Refuses a value over a limit with a message that names both.
pub(crate) fn at_most(what: &str, value: usize, limit: usize) -> RpcResult<()> {
    if value > limit {
        return Err(invalid_params(format!("{what} {value} exceeds the limit of {limit}")));
    }
    Ok(())
}
