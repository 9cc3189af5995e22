use cairn_reads::NodeError;
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
/// A call reverted; the error's data is the revert data (geth's code).
pub(crate) const EXECUTION_REVERTED: i32 = 3;
/// A request over one of the node's limits (EIP-1474's "limit exceeded").
pub(crate) const LIMIT_EXCEEDED: i32 = -32005;

pub(crate) fn node_error(e: NodeError) -> ErrorObjectOwned {
    server_error(e.to_string())
}

pub(crate) fn server_error(message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(SERVER_ERROR, message.into(), None::<()>)
}

pub(crate) fn invalid_params(message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(INVALID_PARAMS, message.into(), None::<()>)
}

pub(crate) fn limit_exceeded(message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(LIMIT_EXCEEDED, message.into(), None::<()>)
}
