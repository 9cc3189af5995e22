use cairn_node::NodeError;
use jsonrpsee::types::ErrorObjectOwned;
use thiserror::Error;

/// Why the RPC server could not start.
#[derive(Debug, Error)]
pub enum RpcError {
    /// Binding or starting the server failed.
    #[error("rpc server: {0}")]
    Server(String),
}

/// Ethereum clients expect -32000 with the node's message for rejected transactions and
/// failed reads.
pub(crate) const SERVER_ERROR: i32 = -32000;
/// Bad parameters.
pub(crate) const INVALID_PARAMS: i32 = -32602;

pub(crate) fn node_error(e: NodeError) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(SERVER_ERROR, e.to_string(), None::<()>)
}

pub(crate) fn invalid_params(message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(INVALID_PARAMS, message.into(), None::<()>)
}
