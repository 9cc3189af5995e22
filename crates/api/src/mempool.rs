//! `GET /v1/mempool`: the transactions waiting for a block.

use alloy_primitives::Address;
use axum::extract::State;
use axum::response::Response;

use crate::blocking::blocking;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::model::{MempoolPage, MempoolTransaction, TransactionView, TxStatus};
use crate::page::{CursorKind, PageQuery, encode_text, paged};
use crate::state::AppState;

/// Where a pooled transaction sorts: ready before queued, then sender, then nonce. A cursor
/// names such a position, so a page continues after the last item shown even when the pool
/// changed in between.
type PoolKey = (bool, Address, u64);

fn encode_key((queued, sender, nonce): PoolKey) -> String {
    encode_text(CursorKind::Mempool, &format!("{}.{sender:x}.{nonce}", u8::from(queued)))
}

fn decode_key(text: &str) -> Result<PoolKey, ApiError> {
    let mut parts = text.split('.');
    let (Some(queued), Some(sender), Some(nonce), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ApiError::InvalidCursor);
    };
    let queued = match queued {
        "0" => false,
        "1" => true,
        _ => return Err(ApiError::InvalidCursor),
    };
    if sender.len() != 40 {
        return Err(ApiError::InvalidCursor);
    }
    let sender = sender.parse().map_err(|_| ApiError::InvalidCursor)?;
    let nonce = nonce.parse().map_err(|_| ApiError::InvalidCursor)?;
    Ok((queued, sender, nonce))
}

/// Pending transactions: those ready for the next block, then those queued behind a nonce
/// gap, each by sender and nonce, with the pool's counts.
#[utoipa::path(
    get,
    path = "/v1/mempool",
    tag = "transactions",
    params(PageQuery),
    responses(
        (status = 200, description = "Counts and a page of pooled transactions; a `Link: <…>; rel=\"next\"` header names the next page", body = MempoolPage,
            headers(("Link" = String, description = "RFC 8288 link to the next page"))),
        (status = 400, description = "Bad `limit` or `cursor`", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 500, description = "A worker failed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many concurrent requests (retry after `Retry-After` seconds)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn list_mempool(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Response, ApiError> {
    let limit = query.limit()?;
    let start = query.text(CursorKind::Mempool)?.map(|text| decode_key(&text)).transpose()?;
    let node = state.node.clone();
    let page = blocking(move || {
        let (ready, queued) = node.pool_content();
        let (ready_count, queued_count) = (ready.len() as u64, queued.len() as u64);
        let mut all: Vec<(PoolKey, _)> = ready
            .into_iter()
            .map(|tx| ((false, tx.sender, tx.nonce()), tx))
            .chain(queued.into_iter().map(|tx| ((true, tx.sender, tx.nonce()), tx)))
            .filter(|(key, _)| start.is_none_or(|start| *key >= start))
            .collect();
        all.sort_by_key(|(key, _)| *key);
        let next = all.get(limit as usize).map(|(key, _)| encode_key(*key));
        let items = all
            .into_iter()
            .take(limit as usize)
            .map(|((queued, ..), pooled)| MempoolTransaction {
                transaction: TransactionView::new(
                    &pooled.tx,
                    pooled.sender,
                    None,
                    TxStatus::Pending,
                ),
                queued,
            })
            .collect();
        Ok(MempoolPage { ready_count, queued_count, items, next })
    })
    .await?;
    let next = page.next.clone();
    Ok(paged("/v1/mempool", limit, next.as_deref(), page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_keys_round_trip_and_bad_ones_are_refused() {
        let key = (true, Address::repeat_byte(0xab), 7);
        let cursor = encode_key(key);
        let page = PageQuery::new(None, Some(cursor));
        let text = page.text(CursorKind::Mempool).ok().flatten();
        assert_eq!(text.as_deref().map(decode_key).and_then(Result::ok), Some(key));
        for bad in ["", "2.ab.1", "0.abab.1", "0.{}.x", "0.a.1.2"] {
            assert!(decode_key(bad).is_err(), "{bad}");
        }
    }
}
