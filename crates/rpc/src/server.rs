use std::net::SocketAddr;
use std::sync::Arc;

use cairn_node::Node;
use cairn_storage::KvStore;
use jsonrpsee::server::{Server, ServerConfig, ServerHandle};

use crate::{RpcError, module};

/// Limits and address of the JSON-RPC server.
#[derive(Debug, Clone)]
pub struct RpcConfig {
    /// Where to listen; loopback unless the operator says otherwise.
    pub addr: SocketAddr,
    /// Largest request body in bytes (a raw transaction is at most 128 KiB; hex doubles it).
    pub max_request_body: u32,
    /// Largest response body in bytes.
    pub max_response_body: u32,
    /// Most simultaneous connections.
    pub max_connections: u32,
}

impl Default for RpcConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8545)),
            max_request_body: 1024 * 1024,
            max_response_body: 16 * 1024 * 1024,
            max_connections: 256,
        }
    }
}

/// Starts serving `node`; the handle stops the server. Returns the bound address (useful with
/// port 0).
pub async fn start<K: KvStore>(
    node: Arc<Node<K>>,
    config: &RpcConfig,
) -> Result<(SocketAddr, ServerHandle), RpcError> {
    let limits = ServerConfig::builder()
        .max_request_body_size(config.max_request_body)
        .max_response_body_size(config.max_response_body)
        .max_connections(config.max_connections)
        .build();
    let server = Server::builder()
        .set_config(limits)
        .build(config.addr)
        .await
        .map_err(|e| RpcError::Server(format!("cannot listen on {}: {e}", config.addr)))?;
    let addr = server.local_addr().map_err(|e| RpcError::Server(e.to_string()))?;
    Ok((addr, server.start(module(node))))
}
