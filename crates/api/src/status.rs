//! `GET /v1/status`.

use axum::Json;
use axum::extract::State;

use crate::blocking::blocking;
use crate::error::ApiError;
use crate::model::{BlockRef, Status};
use crate::state::AppState;

/// The node's chain and how far it is.
#[utoipa::path(
    get,
    path = "/v1/status",
    tag = "node",
    responses(
        (status = 200, description = "Chain identity and progress", body = Status),
        (status = 500, description = "The store failed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many concurrent requests (retry after `Retry-After` seconds), or for a submission a full mempool", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn status(State(state): State<AppState>) -> Result<Json<Status>, ApiError> {
    let peers = crate::peers::peers(state.network.as_ref()).await?.len() as u32;
    let node = state.node.clone();
    let status = blocking(move || {
        let heads = node.view()?.heads()?;
        let head = &heads.latest;
        let spec = node.spec();
        Ok(Status {
            chain_id: spec.chain_id,
            network: spec.network,
            consensus: spec.consensus,
            head: BlockRef { number: head.number, hash: head.hash(), timestamp: head.timestamp },
            finalized_height: heads.finalized,
            peers,
            syncing: node.syncing(),
        })
    })
    .await?;
    Ok(Json(status))
}
