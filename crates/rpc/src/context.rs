//! What every handler can reach, and how handlers are registered.

use std::sync::Arc;

use cairn_reads::{ChainView, ServedNode};
use jsonrpsee::RpcModule;
use jsonrpsee::types::Params;
use serde_json::Value;

use crate::config::RpcConfig;
use crate::error::node_error;
use crate::filter_table::Filters;
use crate::params::RpcResult;

/// The node and the server-side state of its RPC: limits and installed filters.
pub(crate) struct RpcContext {
    pub(crate) node: Arc<dyn ServedNode>,
    pub(crate) config: RpcConfig,
    pub(crate) filters: Filters,
}

impl RpcContext {
    /// A consistent view of the chain: every part of one answer is read from it.
    pub(crate) fn view(&self) -> RpcResult<Box<dyn ChainView + '_>> {
        self.node.view().map_err(node_error)
    }
}

/// A method: its parameters and the context in, a JSON answer or a JSON-RPC error out.
pub(crate) type Handler = fn(Params<'_>, &RpcContext) -> RpcResult<Value>;

pub(crate) type Module = RpcModule<RpcContext>;

/// Registers a cheap method that answers on the server's own task.
pub(crate) fn register(module: &mut Module, name: &'static str, f: Handler) {
    // Every name is a distinct literal, so registration cannot collide.
    let _ = module.register_method(name, move |params, ctx, _| f(params, ctx));
}

/// Registers a method that may run long (block scans, EVM execution) on the blocking pool, so
/// it never stalls the connections served alongside it.
pub(crate) fn register_blocking(module: &mut Module, name: &'static str, f: Handler) {
    let _ = module.register_blocking_method(name, move |params, ctx, _| f(params, &ctx));
}

/// Registers a method whose answer never changes.
pub(crate) fn register_value(module: &mut Module, name: &'static str, value: Value) {
    let _ = module.register_method(name, move |_, _, _| -> RpcResult<Value> { Ok(value.clone()) });
}

/// Serialises an answer; the types are alloy's, whose serialisation cannot fail.
pub(crate) fn json<T: serde::Serialize>(value: T) -> RpcResult<Value> {
    serde_json::to_value(value).map_err(|e| crate::error::server_error(e.to_string()))
}
