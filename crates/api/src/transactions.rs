//! `GET /v1/transactions/{hash}` and `POST /v1/transactions`.

use alloy_primitives::B256;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::ApiError;
use crate::auth::{Authorized, scope};
use crate::extract::{ApiJson, ApiPath};
use crate::model::{SubmitTransaction, Submitted, TransactionView, TxPosition, TxStatus};
use crate::server::{AppState, blocking};

/// A transaction from the mempool or the chain.
#[utoipa::path(
    get,
    path = "/v1/transactions/{hash}",
    tag = "transactions",
    params(("hash" = String, Path, description = "Transaction hash, 0x + 64 hex digits", pattern = "^0x[0-9a-fA-F]{64}$")),
    responses(
        (status = 200, description = "The transaction, its status and (once included) its receipt", body = TransactionView),
        (status = 400, description = "Malformed hash", body = crate::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Neither pending nor included", body = crate::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The store failed", body = crate::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many concurrent requests (retry after `Retry-After` seconds), a full mempool, or a failed store (`storage_unavailable`: the node has stopped)", body = crate::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn get_transaction(
    State(state): State<AppState>,
    ApiPath(hash): ApiPath<String>,
) -> Result<Json<TransactionView>, ApiError> {
    let hash = parse_hash(&hash)?;
    let node = state.node.clone();
    let view = blocking(move || {
        if let Some(pooled) = node.pooled(hash) {
            return Ok(TransactionView::new(&pooled.tx, pooled.sender, None, TxStatus::Pending));
        }
        let found = node.transaction(hash)?.ok_or(ApiError::TransactionNotFound(hash))?;
        let finalized = node.consensus().finality(node.head()?.number).finalized;
        let status =
            if found.block_number <= finalized { TxStatus::Finalized } else { TxStatus::Included };
        let position = TxPosition {
            block_number: found.block_number,
            block_hash: found.block_hash,
            index: u64::from(found.index),
        };
        Ok(TransactionView::new(&found.tx, found.sender, Some((position, &found.receipt)), status))
    })
    .await?;
    Ok(Json(view))
}

/// Admits a raw signed transaction to the mempool.
#[utoipa::path(
    post,
    path = "/v1/transactions",
    tag = "transactions",
    request_body(content = SubmitTransaction, content_type = "application/json"),
    security(("bearer" = ["tx:write"])),
    responses(
        (status = 202, description = "Admitted to the mempool; poll its hash for inclusion", body = Submitted),
        (status = 400, description = "Malformed body or undecodable transaction", body = crate::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already in the mempool", body = crate::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over the size limit", body = crate::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not application/json", body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Refused by the mempool (nonce, funds, fees, gas); `detail` is its reason", body = crate::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The store failed", body = crate::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many concurrent requests (retry after `Retry-After` seconds), a full mempool, or a failed store (`storage_unavailable`: the node has stopped)", body = crate::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn submit_transaction(
    State(state): State<AppState>,
    caller: Authorized<scope::TxWrite>,
    ApiJson(body): ApiJson<SubmitTransaction>,
) -> Result<(StatusCode, Json<Submitted>), ApiError> {
    let node = state.node.clone();
    let hash = blocking(move || Ok(node.submit_raw(&body.raw)?)).await?;
    tracing::info!(key = %caller.key_id, tx = %hash, "transaction submitted");
    Ok((StatusCode::ACCEPTED, Json(Submitted { hash })))
}

fn parse_hash(hash: &str) -> Result<B256, ApiError> {
    if hash.len() == 66
        && hash.starts_with("0x")
        && let Ok(hash) = hash.parse()
    {
        return Ok(hash);
    }
    Err(ApiError::InvalidPath(format!(
        "transaction hash must be 0x followed by 64 hex digits, got {:?}",
        hash.chars().take(80).collect::<String>()
    )))
}
