//! `GET /metrics`: the Prometheus scrape.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::blocking::blocking;
use crate::error::ApiError;
use crate::state::AppState;

/// Metrics in the Prometheus text format: request counts and latency per route and status,
/// rate-limit refusals, mempool size, head and finalized height, peers, block processing time,
/// signature recoveries.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses(
        (status = 200, description = "Prometheus text exposition format 0.0.4", body = String, content_type = "text/plain"),
        (status = 500, description = "The store failed", body = crate::error::Problem, content_type = "application/problem+json"),
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
