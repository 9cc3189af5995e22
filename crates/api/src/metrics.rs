//! `GET /metrics`: Prometheus text exposition of the API's traffic and the node's progress.
//!
//! Requests are counted and timed per route template (`/v1/blocks/{id}`, never the raw path,
//! so the series stay few), method and status. Chain gauges are read when scraped; block
//! production time is observed as each block is announced.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cairn_primitives::Header;
use prometheus::{
    Encoder as _, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    Opts, Registry, TextEncoder,
};
use tokio::sync::broadcast;

use crate::ApiError;
use crate::reads::NodeReads;
use crate::server::{AppState, blocking};

/// The route label of requests no route matched (unknown paths), so they cannot add series.
const UNMATCHED: &str = "unmatched";

/// Latency buckets in seconds: 1 ms to 10 s.
const LATENCY_BUCKETS: [f64; 14] =
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 7.5, 10.0];

/// The API's and the node's metrics, in one registry.
#[derive(Debug)]
pub(crate) struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    rate_limited: IntCounter,
    mempool_pending: IntGauge,
    mempool_queued: IntGauge,
    head: IntGauge,
    finalized: IntGauge,
    peers: IntGauge,
    block_time: Histogram,
    recoveries: IntCounter,
}

impl Metrics {
    pub(crate) fn new() -> Result<Self, ApiError> {
        let bad = |e: prometheus::Error| ApiError::Internal(format!("metrics: {e}"));
        let labels = ["method", "route", "status"];
        let requests = IntCounterVec::new(
            Opts::new("cairn_api_requests_total", "REST requests answered"),
            &labels,
        )
        .map_err(bad)?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "cairn_api_request_duration_seconds",
                "Time from a REST request's arrival to its answer",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &labels,
        )
        .map_err(bad)?;
        let rate_limited = IntCounter::new(
            "cairn_api_rate_limited_total",
            "REST requests refused with 429 because their key or address used up its rate",
        )
        .map_err(bad)?;
        let mempool_pending = IntGauge::new(
            "cairn_mempool_pending",
            "Transactions in the mempool ready for the next block",
        )
        .map_err(bad)?;
        let mempool_queued = IntGauge::new(
            "cairn_mempool_queued",
            "Transactions in the mempool waiting behind a nonce gap",
        )
        .map_err(bad)?;
        let head = IntGauge::new("cairn_head_height", "Height of the newest block").map_err(bad)?;
        let finalized = IntGauge::new("cairn_finalized_height", "Height of the newest final block")
            .map_err(bad)?;
        let peers = IntGauge::new("cairn_peers", "Peers connected on the transaction network")
            .map_err(bad)?;
        let block_time = Histogram::with_opts(
            HistogramOpts::new(
                "cairn_block_processing_seconds",
                "Time to build, execute and commit a block this node produced",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
        )
        .map_err(bad)?;
        let recoveries = IntCounter::new(
            "cairn_tx_recoveries_total",
            "Transaction senders recovered from signatures (at most one per transaction)",
        )
        .map_err(bad)?;
        let registry = Registry::new();
        registry.register(Box::new(requests.clone())).map_err(bad)?;
        registry.register(Box::new(latency.clone())).map_err(bad)?;
        registry.register(Box::new(rate_limited.clone())).map_err(bad)?;
        registry.register(Box::new(mempool_pending.clone())).map_err(bad)?;
        registry.register(Box::new(mempool_queued.clone())).map_err(bad)?;
        registry.register(Box::new(head.clone())).map_err(bad)?;
        registry.register(Box::new(finalized.clone())).map_err(bad)?;
        registry.register(Box::new(peers.clone())).map_err(bad)?;
        registry.register(Box::new(block_time.clone())).map_err(bad)?;
        registry.register(Box::new(recoveries.clone())).map_err(bad)?;
        Ok(Self {
            registry,
            requests,
            latency,
            rate_limited,
            mempool_pending,
            mempool_queued,
            head,
            finalized,
            peers,
            block_time,
            recoveries,
        })
    }

    pub(crate) fn rate_limited(&self) {
        self.rate_limited.inc();
    }

    /// Reads the node's gauges and renders every metric as Prometheus text.
    fn render(&self, node: &dyn NodeReads, peers: usize) -> Result<String, ApiError> {
        self.peers.set(gauge(peers as u64));
        let head = node.head()?.number;
        self.head.set(gauge(head));
        self.finalized.set(gauge(node.consensus().finality(head).finalized));
        let (pending, queued) = node.pool_counts();
        self.mempool_pending.set(gauge(pending as u64));
        self.mempool_queued.set(gauge(queued as u64));
        // The node counts; the counter catches up with it when scraped.
        self.recoveries.inc_by(node.tx_recoveries().saturating_sub(self.recoveries.get()));
        let mut text = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut text)
            .map_err(|e| ApiError::Internal(format!("metrics: {e}")))?;
        String::from_utf8(text).map_err(|e| ApiError::Internal(format!("metrics: {e}")))
    }

    /// Observes each announced block's production time until the node's block channel
    /// closes; a lagging receiver skips the blocks it missed.
    pub(crate) async fn watch_blocks(
        self: Arc<Self>,
        node: Arc<dyn NodeReads>,
        mut blocks: broadcast::Receiver<Arc<Header>>,
    ) {
        loop {
            match blocks.recv().await {
                Ok(header) => {
                    if let Some(took) = node.production_time(header.number) {
                        self.block_time.observe(took.as_secs_f64());
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }
}

fn gauge(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Counts and times every request by route template, method and status.
pub(crate) async fn observe(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let route = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string());
    let method = request.method().as_str().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [method.as_str(), route.as_deref().unwrap_or(UNMATCHED), status.as_str()];
    metrics.requests.with_label_values(&labels).inc();
    metrics.latency.with_label_values(&labels).observe(started.elapsed().as_secs_f64());
    response
}

/// Metrics in the Prometheus text format: request counts and latency per route and status,
/// rate-limit refusals, mempool size, head and finalized height, peers, block processing time,
/// signature recoveries.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses(
        (status = 200, description = "Prometheus text exposition format 0.0.4", body = String, content_type = "text/plain"),
        (status = 500, description = "The store failed", body = crate::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    let peers = crate::peers::peers(state.network.as_ref()).await?.len();
    let node = state.node.clone();
    let metrics = state.metrics.clone();
    let text = blocking(move || metrics.render(node.as_ref(), peers)).await?;
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(response)
}
