//! `GET /health/live` and `GET /health/ready`, for process supervisors and load balancers.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::blocking::blocking;
use crate::error::ApiError;
use crate::state::AppState;

/// A health check's answer.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Health {
    /// Always `ok` (failures are problem documents).
    #[schema(example = "ok")]
    status: &'static str,
    /// The head height, for readiness.
    #[serde(skip_serializing_if = "Option::is_none")]
    head: Option<u64>,
}

/// Liveness: 200 while the process serves requests.
#[utoipa::path(
    get,
    path = "/health/live",
    tag = "operations",
    responses((status = 200, description = "The process is serving", body = Health))
)]
pub(crate) async fn live() -> Json<Health> {
    Json(Health { status: "ok", head: None })
}

/// Readiness: 200 when the store answers a read and the node follows its chain's head; 503
/// (`not_ready`) otherwise, and for good once the store has failed (the node is stopping).
#[utoipa::path(
    get,
    path = "/health/ready",
    tag = "operations",
    responses(
        (status = 200, description = "The store is readable and the node is in sync", body = Health),
        (status = 503, description = "Not ready: the store cannot be read or has failed, or the node is syncing", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn ready(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    let node = state.node.clone();
    let head = blocking(move || {
        if let Some(failure) = node.storage_failure() {
            return Err(ApiError::NotReady(format!("storage error: {failure}")));
        }
        let heads = node.view().and_then(|view| view.heads());
        let head = heads.map_err(|e| ApiError::NotReady(format!("store unreadable: {e}")))?;
        if node.syncing() {
            return Err(ApiError::NotReady("the node is syncing".into()));
        }
        Ok(head.latest.number)
    })
    .await?;
    Ok(Json(Health { status: "ok", head: Some(head) }))
}
