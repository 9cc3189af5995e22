//! `GET /v1/events`: logs by contract address, topics and block range, read by the same scan
//! as `eth_getLogs` (`ChainView::logs`, over `cairn_node::logs`).

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::blocking::blocking;
use crate::chain;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::model::{EventPage, EventView};
use crate::page::{CursorKind, PageQuery, encode_pair, paged};
use crate::params::EventFilter;
use crate::state::AppState;

/// Most blocks one events query may span (the JSON-RPC `eth_getLogs` limit).
pub(crate) const MAX_EVENT_RANGE: u64 = 10_000;

/// `GET /v1/events` query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct EventsQuery {
    /// Only logs of this contract (0x + 40 hex digits).
    #[param(pattern = "^0x[0-9a-fA-F]{40}$")]
    address: Option<String>,
    /// Only logs whose first topic (the event signature's hash) is this (0x + 64 hex digits).
    #[param(pattern = "^0x[0-9a-fA-F]{64}$")]
    topic0: Option<String>,
    /// Only logs whose second topic is this.
    #[param(pattern = "^0x[0-9a-fA-F]{64}$")]
    topic1: Option<String>,
    /// Only logs whose third topic is this.
    #[param(pattern = "^0x[0-9a-fA-F]{64}$")]
    topic2: Option<String>,
    /// Only logs whose fourth topic is this.
    #[param(pattern = "^0x[0-9a-fA-F]{64}$")]
    topic3: Option<String>,
    /// First block to search (default: 9,999 blocks before `to_block`, or genesis).
    from_block: Option<u64>,
    /// Last block to search (default and at most: the head).
    to_block: Option<u64>,
    /// Items per page, 1 to 100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u64>,
    /// The `next` cursor of the previous page.
    #[param(max_length = 128, pattern = "^[A-Za-z0-9_-]+$")]
    cursor: Option<String>,
}

/// Logs matching a contract address and topics in a block range, in chain order. A range
/// spans at most 10,000 blocks.
#[utoipa::path(
    get,
    path = "/v1/events",
    tag = "events",
    params(EventsQuery),
    responses(
        (status = 200, description = "A page of matching events in chain order; a `Link: <…>; rel=\"next\"` header names the next page (with the range fixed)", body = EventPage,
            headers(("Link" = String, description = "RFC 8288 link to the next page"))),
        (status = 400, description = "Malformed address, topic, range, `limit` or `cursor`; `block_range_too_wide` for a range over 10,000 blocks", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The store failed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many concurrent requests (retry after `Retry-After` seconds)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn list_events(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<EventsQuery>,
) -> Result<Response, ApiError> {
    let filter = EventFilter::parse(
        query.address.as_deref(),
        [
            query.topic0.as_deref(),
            query.topic1.as_deref(),
            query.topic2.as_deref(),
            query.topic3.as_deref(),
        ],
    )?;
    // The document gives block numbers as int64, as every other height; hold the query to it.
    if [query.from_block, query.to_block].into_iter().flatten().any(|n| i64::try_from(n).is_err()) {
        return Err(ApiError::InvalidQuery(format!(
            "from_block and to_block are at most {}",
            i64::MAX
        )));
    }
    let page_query = PageQuery::new(query.limit, query.cursor.clone());
    let limit = page_query.limit()?;
    let cursor = page_query.pair(CursorKind::Events)?;
    let node = state.node.clone();
    let link_filter = filter.clone();
    let page = blocking(move || {
        let view = node.view()?;
        let head = view.heads()?.latest.number;
        let asked_to = query.to_block.unwrap_or(head);
        let from = query.from_block.unwrap_or_else(|| asked_to.saturating_sub(MAX_EVENT_RANGE - 1));
        if from > asked_to {
            return Err(ApiError::InvalidQuery(format!(
                "from_block {from} is after to_block {asked_to}"
            )));
        }
        if asked_to - from >= MAX_EVENT_RANGE {
            return Err(ApiError::RangeTooWide { from, to: asked_to, max: MAX_EVENT_RANGE });
        }
        // Blocks above the head do not exist yet; the range (and so every page) ends there.
        let to = asked_to.min(head);
        let (start, skip) = match cursor {
            Some((block, index)) if (from..=to).contains(&block) => (block, index),
            Some(_) => return Err(ApiError::InvalidCursor),
            None => (from, 0),
        };
        if start > to {
            return Ok(EventPage { items: Vec::new(), from_block: from, to_block: to, next: None });
        }
        let logs =
            chain::logs(view.as_ref(), &filter.to_filter(), start, to, skip, limit as usize)?;
        let next = logs.next.map(|(block, index)| encode_pair(CursorKind::Events, block, index));
        let items = logs.items.into_iter().map(EventView::new).collect();
        Ok(EventPage { items, from_block: from, to_block: to, next })
    })
    .await?;
    let next = page.next.clone();
    let path = format!(
        "/v1/events?from_block={}&to_block={}{}",
        page.from_block,
        page.to_block,
        link_filter.query()
    );
    Ok(paged(&path, limit, next.as_deref(), page))
}
