//! `GET /v1/accounts/{address}` and `GET /v1/accounts/{address}/proof`.

use alloy_primitives::{Address, KECCAK256_EMPTY};
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use crate::model::{AccountProofView, AccountView};
use crate::server::{AppState, blocking};

/// An account in the head state; one never touched reads as empty.
#[utoipa::path(
    get,
    path = "/v1/accounts/{address}",
    tag = "accounts",
    params(("address" = String, Path, description = "0x + 40 hex digits", pattern = "^0x[0-9a-fA-F]{40}$")),
    responses(
        (status = 200, description = "Balance, nonce and whether it holds code", body = AccountView),
        (status = 400, description = "Malformed address", body = crate::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The store failed", body = crate::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many concurrent requests (retry after `Retry-After` seconds), or for a submission a full mempool", body = crate::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn get_account(
    State(state): State<AppState>,
    ApiPath(address): ApiPath<String>,
) -> Result<Json<AccountView>, ApiError> {
    let address = parse_address(&address)?;
    let node = state.node.clone();
    let account = blocking(move || Ok(node.account(address)?)).await?.unwrap_or_default();
    Ok(Json(AccountView {
        address,
        balance: account.balance.to_string(),
        nonce: account.nonce,
        is_contract: account.code_hash != KECCAK256_EMPTY,
        code_hash: account.code_hash,
    }))
}

/// `?block=` of the proof route.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProofQuery {
    /// Height whose state root the proof is against (default: the head).
    block: Option<u64>,
}

/// The account and its Merkle proof against a block's state root, to check without trusting
/// the node.
#[utoipa::path(
    get,
    path = "/v1/accounts/{address}/proof",
    tag = "accounts",
    params(("address" = String, Path, description = "0x + 40 hex digits", pattern = "^0x[0-9a-fA-F]{40}$"), ProofQuery),
    responses(
        (status = 200, description = "The account (or its absence) proven against the block's state root", body = AccountProofView),
        (status = 400, description = "Malformed address or block", body = crate::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such block", body = crate::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The store failed", body = crate::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many concurrent requests (retry after `Retry-After` seconds), or for a submission a full mempool", body = crate::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn get_account_proof(
    State(state): State<AppState>,
    ApiPath(address): ApiPath<String>,
    ApiQuery(query): ApiQuery<ProofQuery>,
) -> Result<Json<AccountProofView>, ApiError> {
    let address = parse_address(&address)?;
    let node = state.node.clone();
    let view = blocking(move || {
        let number = match query.block {
            Some(number) => number,
            None => node.head()?.number,
        };
        let not_found = || ApiError::BlockNotFound(number.to_string());
        let state_root = node.header(number)?.ok_or_else(not_found)?.state_root;
        let proof = node.proof(number, address)?.ok_or_else(not_found)?;
        let exists = proof.account.is_some();
        let account = proof.account.unwrap_or_default();
        Ok(AccountProofView {
            address,
            block_number: number,
            state_root,
            exists,
            balance: account.balance.to_string(),
            nonce: account.nonce,
            code_hash: account.code_hash,
            storage_root: account.storage_root,
            proof: proof.proof,
        })
    })
    .await?;
    Ok(Json(view))
}

fn parse_address(address: &str) -> Result<Address, ApiError> {
    if address.len() == 42
        && address.starts_with("0x")
        && let Ok(address) = address.parse()
    {
        return Ok(address);
    }
    Err(ApiError::InvalidPath(format!(
        "address must be 0x followed by 40 hex digits, got {:?}",
        address.chars().take(80).collect::<String>()
    )))
}
