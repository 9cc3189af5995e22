use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use cairn_http::{ServeConfig, TlsConfig};
use cairn_node::Node;
use cairn_storage::KvStore;
use jsonrpsee::server::middleware::rpc::RpcServiceBuilder;
use jsonrpsee::server::{BatchRequestConfig, Server, ServerConfig, ServerHandle, stop_channel};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::admission::Admission;
use crate::context::RpcContext;
use crate::filters::Filters;
use crate::front::{Front, refuse};
use crate::pubsub::HexIds;
use crate::screen::Screen;
use crate::{RpcError, blocks, calls, eth, fees, filters, logs, pubsub, txpool};

/// Address and limits of the JSON-RPC server. Every limit answers with a JSON-RPC error that
/// names it.
#[derive(Debug, Clone)]
pub struct RpcConfig {
    /// Where to listen; loopback unless the operator says otherwise.
    pub addr: SocketAddr,
    /// Largest request body in bytes, also the largest WebSocket message (a raw transaction is
    /// at most 128 KiB; hex doubles it).
    pub max_request_body: u32,
    /// Largest response body in bytes.
    pub max_response_body: u32,
    /// Most simultaneous connections.
    pub max_connections: u32,
    /// Most simultaneous connections from one client address (an IPv6 client by its /64), so
    /// one client cannot take every connection: an eighth of `max_connections` by default.
    pub max_connections_per_client: u32,
    /// How long a client may take to send a request's headers, or to start the next request
    /// on an idle keep-alive connection (and to finish a TLS handshake).
    pub header_timeout: Duration,
    /// How long a client may take to send a request's whole body.
    pub body_timeout: Duration,
    /// How long a WebSocket connection may stay open with no subscription and no call.
    pub ws_idle_timeout: Duration,
    /// Serve HTTPS and WSS with this certificate instead of plain HTTP.
    pub tls: Option<TlsConfig>,
    /// Most calls in one batch.
    pub max_batch_len: u32,
    /// Most requests being served at once, across all connections.
    pub max_concurrent_requests: usize,
    /// Most subscriptions one WebSocket connection may hold.
    pub max_subscriptions_per_connection: u32,
    /// Notifications queued per WebSocket connection before a subscriber counts as too slow.
    pub subscription_buffer: u32,
    /// Most blocks one `eth_getLogs` may scan.
    pub max_log_block_range: u64,
    /// Most logs one `eth_getLogs` may return.
    pub max_logs: usize,
    /// Most installed filters.
    pub max_filters: usize,
    /// How long a filter lives without being polled.
    pub filter_ttl: Duration,
}

impl Default for RpcConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8545)),
            max_request_body: 1024 * 1024,
            max_response_body: 16 * 1024 * 1024,
            max_connections: 256,
            max_connections_per_client: 32,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            ws_idle_timeout: Duration::from_secs(60),
            tls: None,
            max_batch_len: 1000,
            max_concurrent_requests: 512,
            max_subscriptions_per_connection: 64,
            subscription_buffer: 1024,
            max_log_block_range: 10_000,
            max_logs: 10_000,
            max_filters: 1024,
            filter_ttl: Duration::from_secs(300),
        }
    }
}

/// Starts serving `node` over HTTP and WebSocket (HTTPS and WSS with `config.tls`); the
/// handle stops the server. Returns the bound address (useful with port 0).
pub async fn start<K: KvStore>(
    node: Arc<Node<K>>,
    config: &RpcConfig,
) -> Result<(SocketAddr, ServerHandle), RpcError> {
    start_with(node, config, jsonrpsee::Methods::new()).await
}

/// Like [`start`], also serving `extra` methods: what the node's engine adds (a BFT network's
/// equivocation evidence) without the RPC crate depending on the engine.
pub async fn start_with<K: KvStore>(
    node: Arc<Node<K>>,
    config: &RpcConfig,
    extra: jsonrpsee::Methods,
) -> Result<(SocketAddr, ServerHandle), RpcError> {
    let limits = ServerConfig::builder()
        .max_request_body_size(config.max_request_body)
        .max_response_body_size(config.max_response_body)
        .max_connections(config.max_connections)
        .max_subscriptions_per_connection(config.max_subscriptions_per_connection)
        .set_batch_request_config(BatchRequestConfig::Limit(config.max_batch_len))
        .set_message_buffer_capacity(config.subscription_buffer.max(1))
        .set_id_provider(HexIds)
        .build();
    let permits = Arc::new(Semaphore::new(config.max_concurrent_requests));
    let admitting = node.clone();
    let middleware = RpcServiceBuilder::new()
        .layer_fn(move |service| Screen { service, permits: permits.clone() })
        .layer_fn(move |service| Admission { service, node: admitting.clone() });
    let listener = TcpListener::bind(config.addr)
        .await
        .map_err(|e| RpcError::Server(format!("cannot listen on {}: {e}", config.addr)))?;
    let addr = listener.local_addr().map_err(|e| RpcError::Server(e.to_string()))?;
    let mut methods: jsonrpsee::Methods = module(node, config).into();
    methods.merge(extra).map_err(|e| RpcError::Server(e.to_string()))?;
    let (stop, handle) = stop_channel();
    let front = Front {
        builder: Server::builder()
            .set_config(limits)
            .set_rpc_middleware(middleware)
            .to_service_builder(),
        methods,
        stop: stop.clone(),
        max_request_body: config.max_request_body,
        ws_idle_timeout: config.ws_idle_timeout,
    };
    let serving = ServeConfig {
        tls: config.tls.clone(),
        max_connections: config.max_connections as usize,
        max_connections_per_client: config.max_connections_per_client as usize,
        header_timeout: config.header_timeout,
        body_timeout: config.body_timeout,
    };
    tokio::spawn(cairn_http::serve(listener, serving, front, refuse, stop.shutdown()));
    Ok((addr, handle))
}

pub(crate) fn module<K: KvStore>(
    node: Arc<Node<K>>,
    config: &RpcConfig,
) -> jsonrpsee::RpcModule<RpcContext<K>> {
    let filters = Filters::new(config.filter_ttl, config.max_filters);
    let mut module =
        jsonrpsee::RpcModule::new(RpcContext { node, config: config.clone(), filters });
    eth::register_all(&mut module);
    blocks::register_all(&mut module);
    calls::register_all(&mut module);
    logs::register_all(&mut module);
    filters::register_all(&mut module);
    fees::register_all(&mut module);
    txpool::register_all(&mut module);
    pubsub::register_all(&mut module);
    module
}
