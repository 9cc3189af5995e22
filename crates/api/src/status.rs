//! `GET /v1/status`.

use axum::Json;
use axum::extract::State;

use crate::ApiError;
use crate::model::{BlockRef, Status};
use crate::server::{AppState, blocking};

/// The node's chain and how far it is.
#[utoipa::path(
    get,
    path = "/v1/status",
    tag = "node",
    responses(
        (status = 200, description = "Chain identity and progress", body = Status),
        (status = 500, description = "The store failed", body = crate::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many concurrent requests (retry after `Retry-After` seconds), or for a submission a full mempool", body = crate::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn status(State(state): State<AppState>) -> Result<Json<Status>, ApiError> {
    let peers = crate::peers::peers(state.network.as_ref()).await?.len() as u32;
    let node = state.node.clone();
    let status = blocking(move || {
        let head = node.head()?;
        let spec = node.spec();
        Ok(Status {
            chain_id: spec.chain_id,
            network: spec.network,
            consensus: spec.consensus,
            head: BlockRef { number: head.number, hash: head.hash(), timestamp: head.timestamp },
            finalized_height: node.consensus().finality(head.number).finalized,
            peers,
            syncing: node.syncing(),
        })
    })
    .await?;
    Ok(Json(status))
}
