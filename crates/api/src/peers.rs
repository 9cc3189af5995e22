//! `GET /v1/peers`: the nodes this one exchanges transactions with.

use axum::Json;
use axum::extract::State;
use cairn_network::NetworkHandle;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::state::AppState;

/// The connected peers.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct PeersView {
    /// How many.
    pub(crate) count: u64,
    /// Each one.
    pub(crate) peers: Vec<PeerView>,
}

/// A connected peer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct PeerView {
    /// Its libp2p peer id.
    #[schema(example = "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA")]
    pub(crate) id: String,
    /// The address of the first connection to it (an inbound peer's source address).
    #[schema(example = "/ip4/127.0.0.1/tcp/27657")]
    pub(crate) address: String,
    /// The software it announced; null until it has.
    pub(crate) agent: Option<String>,
    /// When it connected, seconds since the Unix epoch.
    pub(crate) connected_since: u64,
    /// Whether transactions flow to and from it (it joined the transaction topic).
    pub(crate) subscribed: bool,
}

/// This node's peers, as the transaction network sees them. A node running alone (`cairn dev`
/// without `--validators`) has none.
pub(crate) async fn peers(network: Option<&NetworkHandle>) -> Result<Vec<PeerView>, ApiError> {
    let Some(network) = network else { return Ok(Vec::new()) };
    let peers = network.peers().await.map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(peers
        .into_iter()
        .map(|p| PeerView {
            id: p.peer_id.to_string(),
            address: p.address.to_string(),
            agent: p.agent,
            connected_since: p.connected_since_unix,
            subscribed: p.subscribed,
        })
        .collect())
}

/// The peers this node is connected to.
#[utoipa::path(
    get,
    path = "/v1/peers",
    tag = "node",
    responses(
        (status = 200, description = "The connected peers", body = PeersView),
        (status = 500, description = "The network task is gone", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many concurrent requests (retry after `Retry-After` seconds)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn list_peers(State(state): State<AppState>) -> Result<Json<PeersView>, ApiError> {
    let peers = peers(state.network.as_ref()).await?;
    Ok(Json(PeersView { count: peers.len() as u64, peers }))
}
