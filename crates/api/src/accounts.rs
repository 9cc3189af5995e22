//! `GET /v1/accounts/{address}`, its `/transactions` (history) and its `/proof`.

use alloy_primitives::{Address, KECCAK256_EMPTY};
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use cairn_storage::TxLocation;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use crate::model::{
    AccountProofView, AccountTransactionPage, AccountView, TransactionView, TxPosition, TxStatus,
};
use crate::page::{CursorKind, PageQuery, encode_pair, paged};
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
    let (account, code_size) =
        blocking(move || Ok(node.account(address)?)).await?.unwrap_or_default();
    Ok(Json(AccountView {
        address,
        balance: account.balance.to_string(),
        nonce: account.nonce,
        is_contract: account.code_hash != KECCAK256_EMPTY,
        code_hash: account.code_hash,
        code_size,
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

/// Transactions the account sent or received, newest first. A contract creation counts as
/// received by the contract it made.
#[utoipa::path(
    get,
    path = "/v1/accounts/{address}/transactions",
    tag = "accounts",
    params(("address" = String, Path, description = "0x + 40 hex digits", pattern = "^0x[0-9a-fA-F]{40}$"), PageQuery),
    responses(
        (status = 200, description = "A page of the account's transactions with receipts, newest first; a `Link: <…>; rel=\"next\"` header names the next page", body = AccountTransactionPage,
            headers(("Link" = String, description = "RFC 8288 link to the next page"))),
        (status = 400, description = "Malformed address, `limit` or `cursor`", body = crate::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The store failed", body = crate::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many concurrent requests (retry after `Retry-After` seconds)", body = crate::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn list_account_transactions(
    State(state): State<AppState>,
    ApiPath(raw_address): ApiPath<String>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Response, ApiError> {
    let address = parse_address(&raw_address)?;
    let limit = query.limit()?;
    let start = match query.pair(CursorKind::AccountTransactions)? {
        Some((block, index)) => {
            let index = u32::try_from(index).map_err(|_| ApiError::InvalidCursor)?;
            Some(TxLocation { block, index })
        }
        None => None,
    };
    let node = state.node.clone();
    let page = blocking(move || {
        let history = node.account_transactions(address, start, limit as usize)?;
        let finalized = node.consensus().finality(history.head).finalized;
        let items = history
            .items
            .iter()
            .map(|found| {
                let status = if found.block_number <= finalized {
                    TxStatus::Finalized
                } else {
                    TxStatus::Included
                };
                let position = TxPosition {
                    block_number: found.block_number,
                    block_hash: found.block_hash,
                    index: u64::from(found.index),
                };
                TransactionView::new(
                    &found.tx,
                    found.sender,
                    Some((position, &found.receipt)),
                    status,
                )
            })
            .collect();
        let next = history
            .next
            .map(|at| encode_pair(CursorKind::AccountTransactions, at.block, u64::from(at.index)));
        Ok(AccountTransactionPage { items, next })
    })
    .await?;
    let next = page.next.clone();
    let path = format!("/v1/accounts/{address}/transactions");
    Ok(paged(&path, limit, next.as_deref(), page))
}

pub(crate) fn parse_address(address: &str) -> Result<Address, ApiError> {
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
