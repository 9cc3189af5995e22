//! Cursor pagination: `limit` (default 25, at most 100) and an opaque `cursor` that encodes a
//! position in the chain (a block height, or an index within one block), never an offset
//! from the head, so pages stay put while new blocks arrive.

use axum::Json;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use crate::error::ApiError;

/// Items on a page when `limit` is not given.
pub(crate) const DEFAULT_LIMIT: u64 = 25;
/// Most items on one page.
pub(crate) const MAX_LIMIT: u64 = 100;
/// Longest cursor accepted; real ones are far shorter.
const MAX_CURSOR_LEN: usize = 128;

/// Which list a cursor belongs to, so one list's cursor is refused by another.
#[derive(Debug, Clone, Copy)]
pub(crate) enum CursorKind {
    /// `/v1/blocks`: the next height to return, going down.
    Blocks,
    /// `/v1/blocks/{id}/transactions`: the next index to return, going up.
    BlockTransactions,
    /// `/v1/accounts/{address}/transactions`: the block and index of the next transaction,
    /// going down.
    AccountTransactions,
    /// `/v1/events`: the block and log index of the next log, going up.
    Events,
    /// `/v1/mempool`: the section (0 ready, 1 queued), sender and nonce of the next
    /// transaction.
    Mempool,
    /// `/v1/webhooks`: the id of the next webhook.
    Webhooks,
    /// `/v1/webhooks/{id}/deliveries`: the height and position of the next delivery, going
    /// down.
    Deliveries,
    /// `/v1/governance/proposals`: the id of the next proposal, going down.
    Proposals,
}

impl CursorKind {
    fn prefix(self) -> &'static str {
        match self {
            Self::Blocks => "b",
            Self::BlockTransactions => "t",
            Self::AccountTransactions => "a",
            Self::Events => "e",
            Self::Mempool => "m",
            Self::Webhooks => "w",
            Self::Deliveries => "d",
            Self::Proposals => "p",
        }
    }
}

/// `?limit=&cursor=` of every list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct PageQuery {
    /// Items per page, 1 to 100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u64>,
    /// The `next` cursor of the previous page.
    #[param(max_length = 128, pattern = "^[A-Za-z0-9_-]+$")]
    cursor: Option<String>,
}

impl PageQuery {
    /// The paging part of a list's own query (lists with filters take both in one struct).
    pub(crate) fn new(limit: Option<u64>, cursor: Option<String>) -> Self {
        Self { limit, cursor }
    }

    /// The page size, refused outside 1..=100.
    pub(crate) fn limit(&self) -> Result<u64, ApiError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(limit) if (1..=MAX_LIMIT).contains(&limit) => Ok(limit),
            Some(limit) => Err(ApiError::InvalidQuery(format!(
                "limit must be between 1 and {MAX_LIMIT}, got {limit}"
            ))),
        }
    }

    /// The position the cursor encodes, if one was given.
    pub(crate) fn position(&self, kind: CursorKind) -> Result<Option<u64>, ApiError> {
        self.cursor.as_deref().map(|cursor| decode(kind, cursor)).transpose()
    }

    /// The two-part position (block and index) the cursor encodes, if one was given.
    pub(crate) fn pair(&self, kind: CursorKind) -> Result<Option<(u64, u64)>, ApiError> {
        self.cursor.as_deref().map(|cursor| decode_pair(kind, cursor)).transpose()
    }

    /// The position text the cursor encodes, for lists that parse their own.
    pub(crate) fn text(&self, kind: CursorKind) -> Result<Option<String>, ApiError> {
        self.cursor.as_deref().map(|cursor| decode_text(kind, cursor)).transpose()
    }
}

pub(crate) fn encode(kind: CursorKind, position: u64) -> String {
    encode_text(kind, &position.to_string())
}

/// A cursor naming a block and an index within it.
pub(crate) fn encode_pair(kind: CursorKind, block: u64, index: u64) -> String {
    encode_text(kind, &format!("{block}.{index}"))
}

/// A cursor carrying any position text (without `:`) of one list.
pub(crate) fn encode_text(kind: CursorKind, position: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{position}", kind.prefix()))
}

fn decode(kind: CursorKind, cursor: &str) -> Result<u64, ApiError> {
    decode_text(kind, cursor)?.parse().map_err(|_| ApiError::InvalidCursor)
}

fn decode_pair(kind: CursorKind, cursor: &str) -> Result<(u64, u64), ApiError> {
    let text = decode_text(kind, cursor)?;
    let (block, index) = text.split_once('.').ok_or(ApiError::InvalidCursor)?;
    let parse = |part: &str| part.parse::<u64>().map_err(|_| ApiError::InvalidCursor);
    Ok((parse(block)?, parse(index)?))
}

fn decode_text(kind: CursorKind, cursor: &str) -> Result<String, ApiError> {
    if cursor.len() > MAX_CURSOR_LEN {
        return Err(ApiError::InvalidCursor);
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| ApiError::InvalidCursor)?;
    let text = String::from_utf8(bytes).map_err(|_| ApiError::InvalidCursor)?;
    let (prefix, position) = text.split_once(':').ok_or(ApiError::InvalidCursor)?;
    if prefix != kind.prefix() {
        return Err(ApiError::InvalidCursor);
    }
    Ok(position.to_string())
}

/// A page as JSON (`path` may carry the list's filters as a query), with an RFC 8288 `Link: <…>; rel="next"` header when there is a next page.
pub(crate) fn paged<T: Serialize>(path: &str, limit: u64, next: Option<&str>, body: T) -> Response {
    let mut response = Json(body).into_response();
    if let Some(next) = next {
        let separator = if path.contains('?') { '&' } else { '?' };
        let link = format!("<{path}{separator}limit={limit}&cursor={next}>; rel=\"next\"");
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_belong_to_one_list() {
        let cursor = encode(CursorKind::Blocks, 42);
        assert_eq!(decode(CursorKind::Blocks, &cursor).ok(), Some(42));
        assert!(decode(CursorKind::BlockTransactions, &cursor).is_err());
        for bad in ["", "!!", "YjpY", &"A".repeat(129), &URL_SAFE_NO_PAD.encode("b:-1")] {
            assert!(decode(CursorKind::Blocks, bad).is_err(), "{bad}");
        }
        let pair = encode_pair(CursorKind::Events, 7, 3);
        assert_eq!(decode_pair(CursorKind::Events, &pair).ok(), Some((7, 3)));
        assert!(decode_pair(CursorKind::AccountTransactions, &pair).is_err());
        for bad in ["e:7", "e:7.", "e:.3", "e:7.3.1", "e:-7.3"] {
            assert!(
                decode_pair(CursorKind::Events, &URL_SAFE_NO_PAD.encode(bad)).is_err(),
                "{bad}"
            );
        }
    }
}
