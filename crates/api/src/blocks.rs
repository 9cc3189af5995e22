//! `GET /v1/blocks`, `GET /v1/blocks/{id}`, `GET /v1/blocks/{id}/transactions`.

use axum::Json;
use axum::extract::State;
use axum::response::Response;

use crate::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use crate::model::{
    BlockDetail, BlockPage, BlockSummary, TransactionPage, TransactionView, TxPosition, TxStatus,
};
use crate::page::{CursorKind, PageQuery, encode, paged};
use crate::reads::NodeReads;
use crate::server::{AppState, blocking};

/// Blocks, newest first.
#[utoipa::path(
    get,
    path = "/v1/blocks",
    tag = "blocks",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of blocks, newest first; a `Link: <…>; rel=\"next\"` header names the next page", body = BlockPage,
            headers(("Link" = String, description = "RFC 8288 link to the next page"))),
        (status = 400, description = "Bad `limit` or `cursor`", body = crate::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The store failed", body = crate::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many concurrent requests (retry after `Retry-After` seconds), or for a submission a full mempool", body = crate::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn list_blocks(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Response, ApiError> {
    let limit = query.limit()?;
    let start = query.position(CursorKind::Blocks)?;
    let node = state.node.clone();
    let page = blocking(move || {
        let head = node.head()?.number;
        let from = start.map_or(head, |start| start.min(head));
        let to = from.saturating_sub(limit - 1);
        let items = node
            .blocks_desc(from, to)?
            .iter()
            .map(|block| BlockSummary::new(block, node.consensus()))
            .collect::<Result<_, _>>()?;
        let next = (to > 0).then(|| encode(CursorKind::Blocks, to - 1));
        Ok(BlockPage { items, next })
    })
    .await?;
    let next = page.next.clone();
    Ok(paged("/v1/blocks", limit, next.as_deref(), page))
}

/// One block, by height, hash or `latest`.
#[utoipa::path(
    get,
    path = "/v1/blocks/{id}",
    tag = "blocks",
    params(("id" = String, Path, description = "A height (decimal), a block hash (0x + 64 hex digits) or `latest`", pattern = "^(latest|[0-9]{1,20}|0x[0-9a-fA-F]{64})$")),
    responses(
        (status = 200, description = "The block with its transaction hashes", body = BlockDetail),
        (status = 400, description = "Malformed id", body = crate::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such block", body = crate::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The store failed", body = crate::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many concurrent requests (retry after `Retry-After` seconds), or for a submission a full mempool", body = crate::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn get_block(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<BlockDetail>, ApiError> {
    let id = BlockId::parse(&id)?;
    let node = state.node.clone();
    let detail = blocking(move || {
        let number = id.resolve(node.as_ref())?;
        let full = node.full_block(number)?.ok_or_else(|| id.not_found())?;
        Ok(BlockDetail {
            summary: BlockSummary::new(&full.block, node.consensus())?,
            transactions: full.block.transactions.iter().map(|tx| *tx.tx_hash()).collect(),
        })
    })
    .await?;
    Ok(Json(detail))
}

/// A block's transactions with their receipts, in block order.
#[utoipa::path(
    get,
    path = "/v1/blocks/{id}/transactions",
    tag = "blocks",
    params(
        ("id" = String, Path, description = "A height (decimal), a block hash (0x + 64 hex digits) or `latest`", pattern = "^(latest|[0-9]{1,20}|0x[0-9a-fA-F]{64})$"),
        PageQuery,
    ),
    responses(
        (status = 200, description = "A page of the block's transactions; a `Link: <…>; rel=\"next\"` header names the next page", body = TransactionPage,
            headers(("Link" = String, description = "RFC 8288 link to the next page"))),
        (status = 400, description = "Malformed id, `limit` or `cursor`", body = crate::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such block", body = crate::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The store failed", body = crate::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many concurrent requests (retry after `Retry-After` seconds), or for a submission a full mempool", body = crate::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn list_block_transactions(
    State(state): State<AppState>,
    ApiPath(raw_id): ApiPath<String>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Response, ApiError> {
    let id = BlockId::parse(&raw_id)?;
    let limit = query.limit()?;
    let start = query.position(CursorKind::BlockTransactions)?.unwrap_or(0);
    let node = state.node.clone();
    let page = blocking(move || {
        let number = id.resolve(node.as_ref())?;
        let full = node.full_block(number)?.ok_or_else(|| id.not_found())?;
        let finalized = node.consensus().finality(node.head()?.number).finalized;
        let status = if number <= finalized { TxStatus::Finalized } else { TxStatus::Included };
        let hash = full.block.hash();
        let count = full.block.transactions.len() as u64;
        let end = start.saturating_add(limit).min(count);
        let mut items = Vec::new();
        for index in start..end {
            let i = index as usize;
            let (Some(tx), Some(sender), Some(receipt)) =
                (full.block.transactions.get(i), full.senders.get(i), full.receipts.get(i))
            else {
                return Err(ApiError::Internal(format!(
                    "block {number} is missing the sender or receipt of transaction {i}"
                )));
            };
            let position = TxPosition { block_number: number, block_hash: hash, index };
            items.push(TransactionView::new(tx, *sender, Some((position, receipt)), status));
        }
        let next = (end < count).then(|| encode(CursorKind::BlockTransactions, end));
        Ok(TransactionPage { items, next })
    })
    .await?;
    let next = page.next.clone();
    let path = format!("/v1/blocks/{raw_id}/transactions");
    Ok(paged(&path, limit, next.as_deref(), page))
}

/// A block named in a path.
#[derive(Debug, Clone, Copy)]
enum BlockId {
    Number(u64),
    Hash(alloy_primitives::B256),
    Latest,
}

impl BlockId {
    fn parse(id: &str) -> Result<Self, ApiError> {
        let invalid = || {
            ApiError::InvalidPath(format!(
                "block id must be a height, a 0x-prefixed 32-byte hash or `latest`, got {:?}",
                id.chars().take(80).collect::<String>()
            ))
        };
        if id == "latest" {
            return Ok(Self::Latest);
        }
        if id.starts_with("0x") {
            return if id.len() == 66 {
                id.parse().map(Self::Hash).map_err(|_| invalid())
            } else {
                Err(invalid())
            };
        }
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        id.parse().map(Self::Number).map_err(|_| invalid())
    }

    /// The height this id names; a hash not in the canonical chain is a 404.
    fn resolve(self, node: &dyn NodeReads) -> Result<u64, ApiError> {
        match self {
            Self::Number(number) => Ok(number),
            Self::Latest => Ok(node.head()?.number),
            Self::Hash(hash) => node.block_number(hash)?.ok_or_else(|| self.not_found()),
        }
    }

    fn not_found(self) -> ApiError {
        match self {
            Self::Number(number) => ApiError::BlockNotFound(number.to_string()),
            Self::Hash(hash) => ApiError::BlockNotFound(hash.to_string()),
            Self::Latest => ApiError::BlockNotFound("latest".to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::BlockId;

    #[test]
    fn block_ids_parse_strictly() {
        assert!(matches!(BlockId::parse("0"), Ok(BlockId::Number(0))));
        assert!(matches!(BlockId::parse("latest"), Ok(BlockId::Latest)));
        let hash = format!("0x{}", "ab".repeat(32));
        assert!(matches!(BlockId::parse(&hash), Ok(BlockId::Hash(_))));
        for bad in ["", "-1", "+1", "1.0", "0x12", "99999999999999999999999", "0xzz", "abc"] {
            assert!(BlockId::parse(bad).is_err(), "{bad}");
        }
    }
}
