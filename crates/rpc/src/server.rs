use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use cairn_http::ServeConfig;
use cairn_reads::ServedNode;
use jsonrpsee::MethodResponse;
use jsonrpsee::server::middleware::rpc::{
    Batch, Notification, Request, RpcServiceBuilder, RpcServiceT,
};
use jsonrpsee::server::{BatchRequestConfig, Server, ServerConfig, ServerHandle, stop_channel};
use jsonrpsee::types::Id;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::admission::Admission;
use crate::config::RpcConfig;
use crate::context::RpcContext;
use crate::error::{RpcError, limit_exceeded};
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
        .layer_fn(|service| Screen { service })
        .layer_fn(move |service| Concurrency { service, permits: permits.clone() })
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

/// Refuses requests beyond the concurrency limit at once, with a JSON-RPC error, instead of
/// queueing them behind slow ones.
#[derive(Clone)]
struct Concurrency<S> {
    service: S,
    permits: Arc<Semaphore>,
}

const BUSY: &str = "too many concurrent requests; retry shortly";

impl<S> RpcServiceT for Concurrency<S>
where
    S: RpcServiceT<MethodResponse = MethodResponse, BatchResponse = MethodResponse>
        + Clone
        + Send
        + Sync
        + 'static,
{
    type MethodResponse = S::MethodResponse;
    type NotificationResponse = S::NotificationResponse;
    type BatchResponse = S::BatchResponse;

    fn call<'a>(
        &self,
        request: Request<'a>,
    ) -> impl Future<Output = Self::MethodResponse> + Send + 'a {
        let service = self.service.clone();
        let permit = self.permits.clone().try_acquire_owned();
        async move {
            match permit {
                Ok(_permit) => service.call(request).await,
                Err(_) => MethodResponse::error(request.id, limit_exceeded(BUSY)),
            }
        }
    }

    fn batch<'a>(&self, batch: Batch<'a>) -> impl Future<Output = Self::BatchResponse> + Send + 'a {
        let service = self.service.clone();
        let permit = self.permits.clone().try_acquire_owned();
        async move {
            match permit {
                Ok(_permit) => service.batch(batch).await,
                Err(_) => MethodResponse::error(Id::Null, limit_exceeded(BUSY)),
            }
        }
    }

    fn notification<'a>(
        &self,
        notification: Notification<'a>,
    ) -> impl Future<Output = Self::NotificationResponse> + Send + 'a {
        self.service.notification(notification)
    }
}
