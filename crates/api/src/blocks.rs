//! `GET /v1/blocks`, `GET /v1/blocks/{id}`, `GET /v1/blocks/{id}/transactions`.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use cairn_reads::{BlockSelector, BlockTag, ChainView};

use crate::blocking::blocking;
use crate::chain;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use crate::model::{
    BlockDetail, BlockPage, BlockSummary, TransactionPage, TransactionView, TxPosition, TxStatus,
};
use crate::page::{CursorKind, PageQuery, encode, paged};
use crate::state::AppState;

/// Blocks, newest first.
#[utoipa::path(
    get,
    path = "/v1/blocks",
    tag = "blocks",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of blocks, newest first; a `Link: <…>; rel=\"next\"` header names the next page", body = BlockPage,
            headers(("Link" = String, description = "RFC 8288 link to the next page"))),
        (status = 400, description = "Bad `limit` or `cursor`", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The store failed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many concurrent requests (retry after `Retry-After` seconds), or for a submission a full mempool", body = crate::error::Problem, content_type = "application/problem+json"),
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
        let view = node.view()?;
        let head = view.heads()?.latest.number;
        let from = start.map_or(head, |start| start.min(head));
        let to = from.saturating_sub(limit - 1);
        let items = chain::blocks_desc(view.as_ref(), from, to)?
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

/// One block, by height, hash or tag: `latest`, `safe`, `finalized` (as the engine's finality
/// has them, the same blocks JSON-RPC names) or `earliest`.
#[utoipa::path(
    get,
    path = "/v1/blocks/{id}",
    tag = "blocks",
    params(("id" = String, Path, description = "A height (decimal), a block hash (0x + 64 hex digits), `latest`, `safe`, `finalized` or `earliest`", pattern = "^(latest|safe|finalized|earliest|[0-9]{1,20}|0x[0-9a-fA-F]{64})$")),
    responses(
        (status = 200, description = "The block with its transaction hashes", body = BlockDetail),
        (status = 400, description = "Malformed id", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such block", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The store failed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many concurrent requests (retry after `Retry-After` seconds), or for a submission a full mempool", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn get_block(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<BlockDetail>, ApiError> {
    let id = BlockId::parse(&id)?;
    let node = state.node.clone();
    let detail = blocking(move || {
        let view = node.view()?;
        let number = id.resolve(view.as_ref())?;
        let full = chain::full_block(view.as_ref(), number)?.ok_or_else(|| id.not_found())?;
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
        ("id" = String, Path, description = "A height (decimal), a block hash (0x + 64 hex digits), `latest`, `safe`, `finalized` or `earliest`", pattern = "^(latest|safe|finalized|earliest|[0-9]{1,20}|0x[0-9a-fA-F]{64})$"),
        PageQuery,
    ),
    responses(
        (status = 200, description = "A page of the block's transactions; a `Link: <…>; rel=\"next\"` header names the next page", body = TransactionPage,
            headers(("Link" = String, description = "RFC 8288 link to the next page"))),
        (status = 400, description = "Malformed id, `limit` or `cursor`", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such block", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The store failed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many concurrent requests (retry after `Retry-After` seconds), or for a submission a full mempool", body = crate::error::Problem, content_type = "application/problem+json"),
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
        let view = node.view()?;
        let number = id.resolve(view.as_ref())?;
        let full = chain::full_block(view.as_ref(), number)?.ok_or_else(|| id.not_found())?;
        let finalized = view.heads()?.finalized;
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
    Tag(BlockTag),
}

/// The tags a path may name, as the URL spells them.
const TAGS: [(&str, BlockTag); 4] = [
    ("latest", BlockTag::Latest),
    ("safe", BlockTag::Safe),
    ("finalized", BlockTag::Finalized),
    ("earliest", BlockTag::Earliest),
];

impl BlockId {
    fn parse(id: &str) -> Result<Self, ApiError> {
        let invalid = || {
            ApiError::InvalidPath(format!(
                "block id must be a height, a 0x-prefixed 32-byte hash, `latest`, `safe`, \
                 `finalized` or `earliest`, got {:?}",
                id.chars().take(80).collect::<String>()
            ))
        };
        if let Some((_, tag)) = TAGS.iter().find(|(name, _)| *name == id) {
            return Ok(Self::Tag(*tag));
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

    /// The height this id names in `view`, where tags resolve as they do for JSON-RPC; a
    /// height above the head or a hash not in the canonical chain is a 404.
    fn resolve(self, view: &dyn ChainView) -> Result<u64, ApiError> {
        let selector = match self {
            Self::Number(number) => BlockSelector::Number(number),
            Self::Hash(hash) => BlockSelector::Hash(hash),
            Self::Tag(tag) => BlockSelector::Tag(tag),
        };
        view.resolve(selector)?.ok_or_else(|| self.not_found())
    }

    fn not_found(self) -> ApiError {
        match self {
            Self::Number(number) => ApiError::BlockNotFound(number.to_string()),
            Self::Hash(hash) => ApiError::BlockNotFound(hash.to_string()),
            Self::Tag(tag) => {
                let name = TAGS.iter().find(|(_, t)| *t == tag).map_or("latest", |(name, _)| name);
                ApiError::BlockNotFound(name.to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use cairn_reads::BlockTag;

    use super::BlockId;

    #[test]
    fn block_ids_parse_strictly() {
        assert!(matches!(BlockId::parse("0"), Ok(BlockId::Number(0))));
        assert!(matches!(BlockId::parse("latest"), Ok(BlockId::Tag(BlockTag::Latest))));
        assert!(matches!(BlockId::parse("safe"), Ok(BlockId::Tag(BlockTag::Safe))));
        assert!(matches!(BlockId::parse("finalized"), Ok(BlockId::Tag(BlockTag::Finalized))));
        assert!(matches!(BlockId::parse("earliest"), Ok(BlockId::Tag(BlockTag::Earliest))));
        let hash = format!("0x{}", "ab".repeat(32));
        assert!(matches!(BlockId::parse(&hash), Ok(BlockId::Hash(_))));
        for bad in [
            "",
            "-1",
            "+1",
            "1.0",
            "0x12",
            "99999999999999999999999",
            "0xzz",
            "abc",
            "pending",
            "Latest",
        ] {
            assert!(BlockId::parse(bad).is_err(), "{bad}");
        }
    }
}
