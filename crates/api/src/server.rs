//! The router, its OpenAPI document, and starting and stopping the server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use cairn_http::{ServeConfig, SlotRefused, Slots, TlsConfig};
use cairn_network::NetworkHandle;
use cairn_node::Node;
use cairn_storage::{KvStore, RecordStore};
use http_body_util::Full;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, oneshot};
use tokio::task::JoinHandle;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::AuditJobs;
use crate::auth::{AuthConfig, Guard};
use crate::error::PROBLEM_JSON;
use crate::metrics::Metrics;
use crate::reads::NodeReads;
use crate::request_id::X_REQUEST_ID;
use crate::stream::StreamLimits;
use crate::webhook_dispatch::{Dispatcher, WebhookConfig};
use crate::webhook_store::WebhookStore;
use crate::{
    ApiError, Problem, accounts, audit, auth, blocks, common_responses, docs, events, explorer,
    fees, health, mempool, metrics, peers, request_id, status, stream, transactions, validators,
    webhooks,
};

/// How often the server reloads changed API keys, trims the per-address rate limiter and
/// records key use.
const HOUSEKEEPING: Duration = Duration::from_secs(1);

/// Address and limits of the REST server.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Where to listen; loopback unless the operator says otherwise.
    pub addr: SocketAddr,
    /// Largest request body in bytes (a raw transaction is at most 128 KiB; hex doubles it).
    pub max_body: usize,
    /// Most requests being served at once; beyond it a request is refused at once with 503
    /// and `Retry-After` rather than queued behind slow ones.
    pub max_concurrent_requests: usize,
    /// Streams served at once; beyond it a stream is refused with 503 `busy`.
    pub max_streams: usize,
    /// Streams one client (an API key, or an address without one) may hold at once; beyond
    /// it a stream is refused with 429 `too_many_streams`. An eighth of `max_streams` by
    /// default.
    pub max_streams_per_client: usize,
    /// Most connections open at once.
    pub max_connections: usize,
    /// Most connections one client address (an IPv6 client by its /64) may hold at once; an
    /// eighth of `max_connections` by default.
    pub max_connections_per_client: usize,
    /// How long a client may take to send a request's headers, or to start the next request
    /// on an idle keep-alive connection (and to finish a TLS handshake).
    pub header_timeout: Duration,
    /// How long a client may take to send a request's whole body.
    pub body_timeout: Duration,
    /// Serve HTTPS with this certificate (and `Strict-Transport-Security` on every answer)
    /// instead of plain HTTP.
    pub tls: Option<TlsConfig>,
    /// Messages a stream queues for its client.
    pub stream_buffer: usize,
    /// How long a stream's queue may stay full before its client is dropped as too slow.
    pub stream_stall: Duration,
    /// API keys, whether reads need one, and the anonymous rate limit.
    pub auth: AuthConfig,
    /// The transaction network whose peers `/v1/peers` and `/v1/status` report; `None` for a
    /// node running alone.
    pub network: Option<NetworkHandle>,
    /// Webhook retries, timeouts and limits.
    pub webhooks: WebhookConfig,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            max_body: 512 * 1024,
            max_concurrent_requests: 256,
            max_streams: 256,
            max_streams_per_client: 32,
            max_connections: 1024,
            max_connections_per_client: 128,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            tls: None,
            stream_buffer: 1024,
            stream_stall: Duration::from_secs(10),
            auth: AuthConfig::default(),
            network: None,
            webhooks: WebhookConfig::default(),
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) node: Arc<dyn NodeReads>,
    pub(crate) audits: Arc<AuditJobs>,
    pub(crate) stream: StreamLimits,
    pub(crate) max_body: usize,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) network: Option<NetworkHandle>,
    pub(crate) webhooks: Arc<WebhookStore>,
    pub(crate) dispatcher: Arc<Dispatcher>,
    pub(crate) max_webhooks: usize,
}

/// Runs a store read on the blocking pool, so a slow one never stalls the connections served
/// beside it.
pub(crate) async fn blocking<T: Send + 'static>(
    read: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(read)
        .await
        .map_err(|e| ApiError::Internal(format!("read task failed: {e}")))?
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Cairn REST API",
        version = "1",
        description = "Blocks, transactions and accounts of a Cairn node. Amounts are decimal \
                       strings, hashes and addresses 0x hex. Lists page with opaque cursors \
                       (`next` in the body, `Link: <…>; rel=\"next\"` in the headers). Every 4xx \
                       and 5xx is an RFC 9457 problem (`application/problem+json`) with a \
                       machine-readable `code`."
    ),
    components(schemas(Problem)),
    tags(
        (name = "node", description = "The node and its chain"),
        (name = "blocks", description = "Blocks and their transactions"),
        (name = "transactions", description = "Single transactions and submission"),
        (name = "accounts", description = "Account state, history and proofs"),
        (name = "events", description = "Logs emitted by contracts"),
        (name = "streams", description = "Blocks, finality, pending transactions and events as they happen"),
        (name = "audit", description = "Re-verifying the stored chain in the background"),
        (name = "webhooks", description = "Signed POSTs of chain events to registered URLs, at least once, in block order"),
        (name = "operations", description = "Metrics and health checks, outside /v1"),
    )
)]
struct ApiDoc;

/// Every documented route, with its OpenAPI operations.
fn documented() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(status::status))
        .routes(routes!(fees::fees))
        .routes(routes!(blocks::list_blocks))
        .routes(routes!(blocks::get_block))
        .routes(routes!(blocks::list_block_transactions))
        .routes(routes!(transactions::get_transaction))
        .routes(routes!(transactions::submit_transaction))
        .routes(routes!(accounts::get_account))
        .routes(routes!(accounts::get_account_proof))
        .routes(routes!(accounts::list_account_transactions))
        .routes(routes!(events::list_events))
        .routes(routes!(mempool::list_mempool))
        .routes(routes!(validators::list_validators))
        .routes(routes!(peers::list_peers))
        .routes(routes!(audit::start_audit))
        .routes(routes!(audit::get_audit))
        .routes(routes!(stream::stream))
        .routes(routes!(webhooks::create_webhook, webhooks::list_webhooks))
        .routes(routes!(webhooks::get_webhook, webhooks::delete_webhook))
        .routes(routes!(webhooks::list_deliveries))
        .routes(routes!(webhooks::replay_delivery))
        .routes(routes!(metrics::metrics))
        .routes(routes!(health::live))
        .routes(routes!(health::ready))
}

/// The OpenAPI 3.1 document of the API, as served at `/v1/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut api = documented().into_openapi();
    common_responses::document(&mut api);
    api
}

/// What the router serves beside the node's reads.
struct Services {
    metrics: Arc<Metrics>,
    guard: Arc<Guard>,
    webhooks: Arc<WebhookStore>,
    dispatcher: Arc<Dispatcher>,
}

fn router(node: Arc<dyn NodeReads>, config: &ApiConfig, services: Services) -> Router {
    let Services { metrics, guard, webhooks, dispatcher } = services;
    let (routes, mut api) = documented().split_for_parts();
    common_responses::document(&mut api);
    let spec = Arc::new(api);
    let stream = StreamLimits {
        buffer: config.stream_buffer,
        stall: config.stream_stall,
        open: Slots::new(config.max_streams, config.max_streams_per_client),
    };
    let state = AppState {
        node,
        audits: Arc::default(),
        stream,
        max_body: config.max_body,
        metrics: metrics.clone(),
        network: config.network.clone(),
        webhooks,
        dispatcher,
        max_webhooks: config.webhooks.max_webhooks,
    };
    let permits = Arc::new(Semaphore::new(config.max_concurrent_requests));
    // Layers run outermost last: request id, log span, metrics, keys and rate limits,
    // concurrency, body limit, then the handler.
    let app = routes
        .route("/v1/openapi.json", get(move || async move { axum::Json(spec.as_ref().clone()) }))
        .merge(explorer::routes())
        .merge(docs::routes())
        .fallback(|uri: Uri| async move { ApiError::NoRoute { path: uri.path().to_string() } })
        .method_not_allowed_fallback(|method: Method, uri: Uri| async move {
            ApiError::MethodNotAllowed { method: method.to_string(), path: uri.path().to_string() }
        })
        .with_state(state)
        .layer(DefaultBodyLimit::max(config.max_body))
        .layer(middleware::from_fn_with_state(permits, limit_concurrency))
        .layer(middleware::from_fn_with_state(guard, auth::guard))
        .layer(middleware::from_fn_with_state(metrics, metrics::observe))
        .layer(
            // Every answer is logged once, at INFO, with its status; a 5xx is not logged again
            // as a failure: refusals (busy, not ready, a full pool) are the node working as
            // designed, and internal errors log themselves at ERROR with their cause.
            TraceLayer::new_for_http()
                .make_span_with(request_id::span)
                .on_response(DefaultOnResponse::new().level(Level::INFO))
                .on_failure(()),
        )
        .layer(PropagateRequestIdLayer::new(X_REQUEST_ID))
        .layer(SetRequestIdLayer::new(X_REQUEST_ID, MakeRequestUuid))
        .layer(middleware::from_fn(request_id::drop_unacceptable));
    match config.tls {
        // Browsers that reached the API over TLS once keep to it for a year.
        Some(_) => app.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        )),
        None => app,
    }
}

/// The `Strict-Transport-Security` of every answer over TLS.
const HSTS: &str = "max-age=31536000";

/// The answer to a connection over a limit: 429 `too_many_connections`.
fn refuse(refused: &SlotRefused) -> hyper::Response<Full<Bytes>> {
    let problem = ApiError::TooManyConnections(refused.to_string()).problem();
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let mut answer = hyper::Response::new(Full::new(Bytes::from(body)));
    *answer.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    answer.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    answer
}

/// Serves the request if a permit is free, else answers 503 `busy` at once.
async fn limit_concurrency(
    State(permits): State<Arc<Semaphore>>,
    request: Request,
    next: Next,
) -> Response {
    match permits.try_acquire() {
        Ok(_permit) => next.run(request).await,
        Err(_) => ApiError::Busy.into_response(),
    }
}

/// A running REST server; [`ApiServer::stop`] ends it gracefully.
#[derive(Debug)]
pub struct ApiServer {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
    background: Vec<JoinHandle<()>>,
    guard: Arc<Guard>,
    dispatcher: Arc<Dispatcher>,
}

impl ApiServer {
    /// The bound address (useful with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting connections, waits (at most `grace`) for requests in flight, stops
    /// the webhook deliveries (each resumes from its stored cursor), and records the API keys'
    /// last use.
    pub async fn stop(self, grace: Duration) {
        let _ = self.stop.send(());
        let abort = self.task.abort_handle();
        if tokio::time::timeout(grace, self.task).await.is_err() {
            abort.abort();
        }
        self.dispatcher.stop_all();
        self.background.iter().for_each(JoinHandle::abort);
        let guard = self.guard;
        let _ = tokio::task::spawn_blocking(move || guard.flush()).await;
    }
}

/// Binds `config.addr`, serves the API for `node` on the current Tokio runtime, and starts
/// delivering the webhooks stored in the node's store.
pub async fn start<K: KvStore>(
    node: Arc<Node<K>>,
    config: &ApiConfig,
) -> Result<ApiServer, ApiError> {
    let listener = TcpListener::bind(config.addr)
        .await
        .map_err(|source| ApiError::Bind { addr: config.addr, source })?;
    let addr =
        listener.local_addr().map_err(|source| ApiError::Bind { addr: config.addr, source })?;
    let metrics = Arc::new(Metrics::new()?);
    let guard = Arc::new(Guard::new(&config.auth, metrics.clone()));
    let blocks = node.subscribe_blocks();
    let records: Arc<dyn RecordStore> = node.clone();
    let reads: Arc<dyn NodeReads> = node.clone();
    let webhooks = Arc::new(WebhookStore::new(records, config.webhooks.history));
    let (dispatcher, head_follower) = Dispatcher::new(
        reads.clone(),
        webhooks.clone(),
        config.webhooks.clone(),
        node.subscribe_blocks(),
    )?;
    dispatcher.start_all().await?;
    let services = Services {
        metrics: metrics.clone(),
        guard: guard.clone(),
        webhooks,
        dispatcher: dispatcher.clone(),
    };
    let app = router(reads.clone(), config, services);
    let housekeeper = guard.clone();
    let background = vec![
        head_follower,
        tokio::spawn(metrics.watch_blocks(reads, blocks)),
        tokio::spawn(async move {
            let mut every = tokio::time::interval(HOUSEKEEPING);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                let guard = housekeeper.clone();
                let _ = tokio::task::spawn_blocking(move || guard.housekeep()).await;
            }
        }),
    ];
    let (stop, stopped) = oneshot::channel::<()>();
    let serving = ServeConfig {
        tls: config.tls.clone(),
        max_connections: config.max_connections,
        max_connections_per_client: config.max_connections_per_client,
        header_timeout: config.header_timeout,
        body_timeout: config.body_timeout,
    };
    let task = tokio::spawn(cairn_http::serve(listener, serving, app, refuse, async move {
        let _ = stopped.await;
    }));
    Ok(ApiServer { addr, stop, task, background, guard, dispatcher })
}
