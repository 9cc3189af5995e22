use std::net::SocketAddr;
use std::sync::Arc;

use cairn_http::ServeConfig;
use cairn_reads::ServedNode;
use jsonrpsee::server::middleware::rpc::RpcServiceBuilder;
use jsonrpsee::server::{BatchRequestConfig, Server, ServerConfig, ServerHandle, stop_channel};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::admission::Admission;
use crate::config::RpcConfig;
use crate::context::RpcContext;
use crate::error::RpcError;
use crate::filter_table::Filters;
use crate::front::{Front, refuse};
use crate::pubsub::HexIds;
use crate::screen::Screen;
use crate::{blocks, calls, eth, fees, filters, logs, pubsub, txpool};

/// Starts serving `node` over HTTP and WebSocket (HTTPS and WSS with `config.tls`); the
/// handle stops the server. Returns the bound address (useful with port 0).
pub async fn start(
    node: Arc<dyn ServedNode>,
    config: &RpcConfig,
) -> Result<(SocketAddr, ServerHandle), RpcError> {
    start_with(node, config, jsonrpsee::Methods::new()).await
}

/// Like [`start`], also serving `extra` methods: what the node's engine adds (a BFT network's
/// equivocation evidence) without the RPC crate depending on the engine.
pub async fn start_with(
    node: Arc<dyn ServedNode>,
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

pub(crate) fn module(
    node: Arc<dyn ServedNode>,
    config: &RpcConfig,
) -> jsonrpsee::RpcModule<RpcContext> {
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
