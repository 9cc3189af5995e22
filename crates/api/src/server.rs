//! Starting and stopping the server, and the webhook deliveries and housekeeping beside it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use bytes::Bytes;
use cairn_http::{ServeConfig, SlotRefused};
use cairn_reads::ServedNode;
use cairn_storage::RecordStore;
use http_body_util::Full;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::auth::Guard;
use crate::config::ApiConfig;
use crate::error::{ApiError, PROBLEM_JSON};
use crate::metrics::Metrics;
use crate::routes::{Services, router};
use crate::webhook_dispatch::Dispatcher;
use crate::webhook_store::WebhookStore;

/// How often the server reloads changed API keys, trims the per-address rate limiter and
/// records key use.
const HOUSEKEEPING: Duration = Duration::from_secs(1);

/// The answer to a connection over a limit: 429 `too_many_connections`.
fn refuse(refused: &SlotRefused) -> hyper::Response<Full<Bytes>> {
    let problem = ApiError::TooManyConnections(refused.to_string()).problem();
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let mut answer = hyper::Response::new(Full::new(Bytes::from(body)));
    *answer.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    answer.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    answer
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
/// delivering the webhooks kept in `records` (the node's store, beside its chain).
pub async fn start(
    node: Arc<dyn ServedNode>,
    records: Arc<dyn RecordStore>,
    config: &ApiConfig,
) -> Result<ApiServer, ApiError> {
    let listener = TcpListener::bind(config.addr)
        .await
        .map_err(|source| ApiError::Bind { addr: config.addr, source })?;
    let addr =
        listener.local_addr().map_err(|source| ApiError::Bind { addr: config.addr, source })?;
    let metrics = Arc::new(Metrics::new()?);
    let guard = Arc::new(Guard::new(&config.auth, metrics.clone()));
    let blocks = node.subscribe_chain();
    let reads = node.clone();
    let webhooks = Arc::new(WebhookStore::new(records, config.webhooks.history));
    let (dispatcher, head_follower) = Dispatcher::new(
        reads.clone(),
        webhooks.clone(),
        config.webhooks.clone(),
        node.subscribe_chain(),
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
