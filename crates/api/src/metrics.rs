//! `GET /metrics`: Prometheus text exposition of the API's traffic and the node's progress.
//!
//! Requests are counted and timed per route template (`/v1/blocks/{id}`, never the raw path,
//! so the series stay few), method and status. Chain gauges are read when scraped; block
//! production time is observed as each block is announced.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use cairn_reads::{ChainEvent, ServedNode};
use prometheus::{
    Encoder as _, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    Opts, Registry, TextEncoder,
};
use tokio::sync::broadcast;

use crate::error::ApiError;

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
    reorgs: IntCounter,
    reorgs_refused: IntCounter,
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
        let reorgs = IntCounter::new(
            "cairn_reorgs_total",
            "Switches of the canonical chain to a heavier branch (proof of work)",
        )
        .map_err(bad)?;
        let reorgs_refused = IntCounter::new(
            "cairn_reorgs_refused_total",
            "Heavier branches refused because they fork deeper than the store can unwind",
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
        registry.register(Box::new(reorgs.clone())).map_err(bad)?;
        registry.register(Box::new(reorgs_refused.clone())).map_err(bad)?;
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
            reorgs,
            reorgs_refused,
        })
    }

    pub(crate) fn rate_limited(&self) {
        self.rate_limited.inc();
    }

    /// Reads the node's gauges and renders every metric as Prometheus text.
    pub(crate) fn render(&self, node: &dyn ServedNode, peers: usize) -> Result<String, ApiError> {
        self.peers.set(gauge(peers as u64));
        let heads = node.view()?.heads()?;
        self.head.set(gauge(heads.latest.number));
        self.finalized.set(gauge(heads.finalized));
        let (pending, queued) = node.pool_counts();
        self.mempool_pending.set(gauge(pending as u64));
        self.mempool_queued.set(gauge(queued as u64));
        // The node counts; the counter catches up with it when scraped.
        self.recoveries.inc_by(node.tx_recoveries().saturating_sub(self.recoveries.get()));
        let (reorgs, refused) = node.reorg_counts();
        self.reorgs.inc_by(reorgs.saturating_sub(self.reorgs.get()));
        self.reorgs_refused.inc_by(refused.saturating_sub(self.reorgs_refused.get()));
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
        node: Arc<dyn ServedNode>,
        mut blocks: broadcast::Receiver<ChainEvent>,
    ) {
        loop {
            match blocks.recv().await {
                Ok(ChainEvent::Reorg(_)) => {}
                Ok(ChainEvent::Head(header)) => {
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
