//! The router, its OpenAPI document, and starting and stopping the server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{Method, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use cairn_node::Node;
use cairn_storage::KvStore;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, oneshot};
use tokio::task::JoinHandle;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_scalar::{Scalar, Servable as _};

use crate::audit::AuditJobs;
use crate::reads::NodeReads;
use crate::stream::StreamLimits;
use crate::{
    ApiError, Problem, accounts, audit, blocks, events, mempool, status, stream, transactions,
};

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
    /// Messages a stream queues for its client.
    pub stream_buffer: usize,
    /// How long a stream's queue may stay full before its client is dropped as too slow.
    pub stream_stall: Duration,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            max_body: 512 * 1024,
            max_concurrent_requests: 256,
            max_streams: 256,
            stream_buffer: 1024,
            stream_stall: Duration::from_secs(10),
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
    )
)]
struct ApiDoc;

/// Every documented route, with its OpenAPI operations.
fn documented() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(status::status))
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
        .routes(routes!(audit::start_audit))
        .routes(routes!(audit::get_audit))
        .routes(routes!(stream::stream))
}

/// The OpenAPI 3.1 document of the API, as served at `/v1/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    documented().into_openapi()
}

fn router(node: Arc<dyn NodeReads>, config: &ApiConfig) -> Router {
    let (routes, api) = documented().split_for_parts();
    let spec = Arc::new(api.clone());
    let stream = StreamLimits {
        buffer: config.stream_buffer,
        stall: config.stream_stall,
        open: Arc::new(Semaphore::new(config.max_streams)),
    };
    let state = AppState { node, audits: Arc::default(), stream, max_body: config.max_body };
    let permits = Arc::new(Semaphore::new(config.max_concurrent_requests));
    routes
        .route("/v1/openapi.json", get(move || async move { axum::Json(spec.as_ref().clone()) }))
        .fallback(|uri: Uri| async move { ApiError::NoRoute { path: uri.path().to_string() } })
        .method_not_allowed_fallback(|method: Method, uri: Uri| async move {
            ApiError::MethodNotAllowed { method: method.to_string(), path: uri.path().to_string() }
        })
        .layer(DefaultBodyLimit::max(config.max_body))
        .layer(middleware::from_fn_with_state(permits, limit_concurrency))
        .with_state(state)
        .merge(Scalar::with_url("/docs", api).title("Cairn REST API"))
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
}

impl ApiServer {
    /// The bound address (useful with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting connections and waits (at most `grace`) for requests in flight.
    pub async fn stop(self, grace: Duration) {
        let _ = self.stop.send(());
        let abort = self.task.abort_handle();
        if tokio::time::timeout(grace, self.task).await.is_err() {
            abort.abort();
        }
    }
}

/// Binds `config.addr` and serves the API for `node` on the current Tokio runtime.
pub async fn start<K: KvStore>(
    node: Arc<Node<K>>,
    config: &ApiConfig,
) -> Result<ApiServer, ApiError> {
    let listener = TcpListener::bind(config.addr)
        .await
        .map_err(|source| ApiError::Bind { addr: config.addr, source })?;
    let addr =
        listener.local_addr().map_err(|source| ApiError::Bind { addr: config.addr, source })?;
    let app = router(node, config);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let shutdown = async move {
            let _ = stopped.await;
        };
        if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
            tracing::error!(error = %e, "REST API server failed");
        }
    });
    Ok(ApiServer { addr, stop, task })
}
