//! `/v1/webhooks`: registering URLs that receive chain events as signed POSTs, listing and
//! removing them, and listing and replaying their deliveries. Every route needs the
//! `webhooks:write` scope (a webhook's URL and deliveries are its owner's business).
//!
//! Deliveries are at least once and in block order per webhook, each with a stable id; see
//! [`crate::webhook_dispatch`] for how they are sent and [`crate::webhook_store`] for how they
//! survive a crash.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api_keys::unix_now;
use crate::auth::{Authorized, scope};
use crate::blocking::blocking;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::page::{CursorKind, PageQuery, encode_pair, encode_text, paged};
use crate::params::EventFilter;
use crate::state::AppState;
use crate::webhook_destination::ALLOW_HINT;
use crate::webhook_store::{
    Delivery, EventKind, Filter, Outcome, Position, Webhook, parse_delivery_id,
};

/// Longest webhook URL accepted.
pub(crate) const MAX_URL_LEN: usize = 2048;
/// Every signing secret starts with this, so a leaked one is easy to recognise.
const SECRET_PREFIX: &str = "whsec_";
/// The pattern of a webhook id (in paths).
const ID_PATTERN: &str = "^[0-9a-f]{16}$";

/// `POST /v1/webhooks` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewWebhook {
    /// Where events are POSTed: an `http` or `https` URL without credentials, at most 2048
    /// characters, whose host is a public address (loopback, private, link-local and the
    /// node's own addresses are refused unless the node runs with `--webhook-allow-private`).
    /// Redirects are not followed.
    #[schema(max_length = 2048, example = "https://example.com/cairn-events")]
    url: String,
    /// The kinds of events wanted: `block` (new blocks), `finalized` (finalized blocks),
    /// `transaction` (each included transaction), `log` (logs, filtered by `address` and
    /// topics). Without `block`, or with `finalized`, only finalized blocks are delivered.
    #[schema(min_items = 1, max_items = 4)]
    events: Vec<EventKind>,
    /// Only logs of this contract (0x + 40 hex digits); needs `log` in `events`.
    #[schema(pattern = "^0x[0-9a-fA-F]{40}$")]
    address: Option<String>,
    /// Only logs whose first topic is this (0x + 64 hex digits); needs `log`.
    #[schema(pattern = "^0x[0-9a-fA-F]{64}$")]
    topic0: Option<String>,
    /// Only logs whose second topic is this; needs `log`.
    #[schema(pattern = "^0x[0-9a-fA-F]{64}$")]
    topic1: Option<String>,
    /// Only logs whose third topic is this; needs `log`.
    #[schema(pattern = "^0x[0-9a-fA-F]{64}$")]
    topic2: Option<String>,
    /// Only logs whose fourth topic is this; needs `log`.
    #[schema(pattern = "^0x[0-9a-fA-F]{64}$")]
    topic3: Option<String>,
    /// The first block whose events are delivered, at most the head plus one (default: the
    /// block after the head). Earlier blocks are delivered from the store.
    from_height: Option<u64>,
}

/// A registered webhook (its secret is only shown when it is created).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct WebhookView {
    /// Its id (16 hex digits).
    id: String,
    /// Where events are POSTed.
    url: String,
    /// The kinds of events it receives.
    events: Vec<EventKind>,
    /// Logs only of this contract; null for any.
    #[schema(value_type = Option<String>)]
    address: Option<alloy_primitives::Address>,
    /// Logs only with these topics by position; null entries match any.
    #[schema(value_type = Vec<Option<String>>)]
    topics: [Option<alloy_primitives::B256>; 4],
    /// When it was registered (seconds since the Unix epoch).
    created_at: u64,
    /// Height of the block of the next event to deliver.
    next_height: u64,
    /// Position of the next event to deliver among its block's events.
    next_position: u32,
}

impl WebhookView {
    fn new(webhook: &Webhook) -> Self {
        Self {
            id: webhook.id.clone(),
            url: webhook.url.clone(),
            events: webhook.filter.events.clone(),
            address: webhook.filter.address,
            topics: webhook.filter.topics,
            created_at: webhook.created_at,
            next_height: webhook.next.height,
            next_position: webhook.next.position,
        }
    }
}

/// A webhook just registered, with its signing secret: shown this once only.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct CreatedWebhook {
    /// The webhook.
    webhook: WebhookView,
    /// The HMAC-SHA256 key of its `X-Cairn-Signature` headers. Store it now: it is never
    /// shown again.
    secret: String,
}

/// A page of webhooks, by id.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct WebhookPage {
    /// The webhooks.
    items: Vec<WebhookView>,
    /// Cursor of the next page; null on the last.
    next: Option<String>,
}

/// A page of a webhook's deliveries, newest event first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct DeliveryPage {
    /// The deliveries.
    items: Vec<Delivery>,
    /// Cursor of the next page; null on the last.
    next: Option<String>,
}

/// `{id}` of the webhook routes.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct WebhookPath {
    /// The webhook's id.
    #[param(pattern = "^[0-9a-f]{16}$")]
    id: String,
}

/// `{id}` and `{delivery}` of the replay route.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct DeliveryPath {
    /// The webhook's id.
    #[param(pattern = "^[0-9a-f]{16}$")]
    id: String,
    /// The delivery's id (`<webhook>-<height>-<position>`).
    #[param(pattern = "^[0-9a-f]{16}-[0-9]{1,20}-[0-9]{1,10}$")]
    delivery: String,
}

fn checked_id(id: &str) -> Result<&str, ApiError> {
    let ok = id.len() == 16 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if ok {
        Ok(id)
    } else {
        Err(ApiError::InvalidPath(format!(
            "a webhook id is 16 lowercase hex digits ({ID_PATTERN}), got {:?}",
            id.chars().take(40).collect::<String>()
        )))
    }
}

/// The URL, if it is one a webhook may have (its destination is checked apart).
fn checked_url(url: &str) -> Result<url::Url, ApiError> {
    let bad = |why: &str| ApiError::InvalidWebhook(format!("url {why}"));
    if url.len() > MAX_URL_LEN {
        return Err(bad(&format!("is longer than {MAX_URL_LEN} characters")));
    }
    let parsed = url::Url::parse(url).map_err(|e| bad(&format!("is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad("must use http or https"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad("has no host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad("must not carry credentials; verify the signature instead"));
    }
    Ok(parsed)
}

fn checked_filter(body: &NewWebhook) -> Result<Filter, ApiError> {
    let mut events = body.events.clone();
    events.sort();
    events.dedup();
    if events.is_empty() {
        return Err(ApiError::InvalidWebhook("events must name at least one kind".into()));
    }
    let topics = [
        body.topic0.as_deref(),
        body.topic1.as_deref(),
        body.topic2.as_deref(),
        body.topic3.as_deref(),
    ];
    let logs = EventFilter::parse(body.address.as_deref(), topics)
        .map_err(|e| ApiError::InvalidWebhook(e.to_string()))?;
    let filtered = logs.address.is_some() || logs.topics.iter().any(Option::is_some);
    if filtered && !events.contains(&EventKind::Log) {
        return Err(ApiError::InvalidWebhook(
            "address and topics filter logs: add \"log\" to events".into(),
        ));
    }
    Ok(Filter { events, address: logs.address, topics: logs.topics })
}

fn random_hex<const N: usize>() -> String {
    let mut bytes = [0u8; N];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Registers a webhook: events matching its filter are POSTed to its URL, in block order,
/// signed with the secret returned here (once).
///
/// Each delivery is a JSON body `{id, webhook_id, type, height, position, data}` with the
/// headers `X-Cairn-Delivery` (the id, stable across retries and replays: drop duplicates by
/// it), `X-Cairn-Event` (the type) and `X-Cairn-Signature: t=<unix seconds>,v1=<hex>`, where
/// `<hex>` is the HMAC-SHA256, keyed with the secret's UTF-8 bytes, of `"<t>.<body>"`. A
/// delivery is retried with exponential backoff until the receiver answers 2xx; later events
/// wait for it.
#[utoipa::path(
    post,
    path = "/v1/webhooks",
    tag = "webhooks",
    security(("bearer" = ["webhooks:write"])),
    request_body(content = NewWebhook, content_type = "application/json"),
    responses(
        (status = 201, description = "Registered; the body holds the signing secret, shown only now", body = CreatedWebhook,
            headers(("Location" = String, description = "The webhook's URL"))),
        (status = 400, description = "Malformed body, URL, event kinds or filter (`invalid_body`, `invalid_webhook`), or a URL whose host is or resolves to a loopback, private, link-local or the node's own address (`webhook_destination_refused`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "As many webhooks as the node allows exist (`too_many_webhooks`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over the size limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body not application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The store failed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many concurrent requests (retry after `Retry-After` seconds)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn create_webhook(
    State(state): State<AppState>,
    writer: Authorized<scope::WebhooksWrite>,
    ApiJson(body): ApiJson<NewWebhook>,
) -> Result<Response, ApiError> {
    let url = checked_url(&body.url)?;
    let filter = checked_filter(&body)?;
    if let Err(refused) = state.dispatcher.destinations().check_registration(&url).await {
        return Err(ApiError::WebhookDestinationRefused(format!("url {refused}; {ALLOW_HINT}")));
    }
    let url = url.to_string();
    let node = state.node.clone();
    let head = blocking(move || Ok(node.view()?.heads()?.latest.number)).await?;
    let from = body.from_height.unwrap_or(head + 1);
    if from > head + 1 {
        return Err(ApiError::InvalidWebhook(format!(
            "from_height {from} is beyond the next block ({})",
            head + 1
        )));
    }
    let webhook = Webhook {
        id: random_hex::<8>(),
        url,
        filter,
        secret: format!("{SECRET_PREFIX}{}", random_hex::<32>()),
        created_at: unix_now(),
        next: Position { height: from, position: 0 },
        history: 0,
    };
    let (store, max, stored) = (state.webhooks.clone(), state.max_webhooks, webhook.clone());
    blocking(move || store.create(&stored, max)).await?;
    tracing::info!(key = %writer.key_id, webhook = %webhook.id, "webhook registered");
    state.dispatcher.start(webhook.id.clone());
    let created = CreatedWebhook { webhook: WebhookView::new(&webhook), secret: webhook.secret };
    let mut response = (StatusCode::CREATED, Json(created)).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/v1/webhooks/{}", webhook.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// The registered webhooks, by id.
#[utoipa::path(
    get,
    path = "/v1/webhooks",
    tag = "webhooks",
    security(("bearer" = ["webhooks:write"])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of webhooks; a `Link: <…>; rel=\"next\"` header names the next page", body = WebhookPage,
            headers(("Link" = String, description = "RFC 8288 link to the next page"))),
        (status = 400, description = "Malformed `limit` or `cursor`", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The store failed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many concurrent requests (retry after `Retry-After` seconds)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn list_webhooks(
    State(state): State<AppState>,
    _writer: Authorized<scope::WebhooksWrite>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Response, ApiError> {
    let limit = query.limit()?;
    let start = query.text(CursorKind::Webhooks)?.unwrap_or_default();
    let store = state.webhooks.clone();
    let (items, next) = blocking(move || store.list(&start, limit as usize)).await?;
    let next = next.map(|id| encode_text(CursorKind::Webhooks, &id));
    let page = WebhookPage { items: items.iter().map(WebhookView::new).collect(), next };
    let next = page.next.clone();
    Ok(paged("/v1/webhooks", limit, next.as_deref(), page))
}

async fn load(state: &AppState, id: &str) -> Result<Webhook, ApiError> {
    let id = checked_id(id)?.to_string();
    let store = state.webhooks.clone();
    let lookup = id.clone();
    blocking(move || store.get(&lookup)).await?.ok_or(ApiError::WebhookNotFound(id))
}

/// One webhook, with where its deliveries are.
#[utoipa::path(
    get,
    path = "/v1/webhooks/{id}",
    tag = "webhooks",
    security(("bearer" = ["webhooks:write"])),
    params(WebhookPath),
    responses(
        (status = 200, description = "The webhook (without its secret)", body = WebhookView),
        (status = 400, description = "Malformed id", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The store failed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many concurrent requests (retry after `Retry-After` seconds)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn get_webhook(
    State(state): State<AppState>,
    _writer: Authorized<scope::WebhooksWrite>,
    ApiPath(path): ApiPath<WebhookPath>,
) -> Result<Json<WebhookView>, ApiError> {
    Ok(Json(WebhookView::new(&load(&state, &path.id).await?)))
}

/// Removes a webhook and its delivery records; nothing more is sent to it.
#[utoipa::path(
    delete,
    path = "/v1/webhooks/{id}",
    tag = "webhooks",
    security(("bearer" = ["webhooks:write"])),
    params(WebhookPath),
    responses(
        (status = 200, description = "Removed; the body is the webhook as it was", body = WebhookView),
        (status = 400, description = "Malformed id", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The store failed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many concurrent requests (retry after `Retry-After` seconds)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn delete_webhook(
    State(state): State<AppState>,
    writer: Authorized<scope::WebhooksWrite>,
    ApiPath(path): ApiPath<WebhookPath>,
) -> Result<Json<WebhookView>, ApiError> {
    let id = checked_id(&path.id)?.to_string();
    state.dispatcher.stop(&id);
    let store = state.webhooks.clone();
    let lookup = id.clone();
    let removed = blocking(move || store.delete(&lookup)).await?;
    let removed = removed.ok_or_else(|| ApiError::WebhookNotFound(id.clone()))?;
    tracing::info!(key = %writer.key_id, webhook = %id, "webhook removed");
    Ok(Json(WebhookView::new(&removed)))
}

/// A webhook's deliveries, newest event first: each event's attempts and outcome (the newest
/// 1,000 per webhook are kept).
#[utoipa::path(
    get,
    path = "/v1/webhooks/{id}/deliveries",
    tag = "webhooks",
    security(("bearer" = ["webhooks:write"])),
    params(WebhookPath, PageQuery),
    responses(
        (status = 200, description = "A page of deliveries; a `Link: <…>; rel=\"next\"` header names the next page", body = DeliveryPage,
            headers(("Link" = String, description = "RFC 8288 link to the next page"))),
        (status = 400, description = "Malformed id, `limit` or `cursor`", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The store failed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many concurrent requests (retry after `Retry-After` seconds)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn list_deliveries(
    State(state): State<AppState>,
    _writer: Authorized<scope::WebhooksWrite>,
    ApiPath(path): ApiPath<WebhookPath>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Response, ApiError> {
    let limit = query.limit()?;
    let start = query
        .pair(CursorKind::Deliveries)?
        .map(|(height, position)| {
            u32::try_from(position)
                .map(|position| Position { height, position })
                .map_err(|_| ApiError::InvalidCursor)
        })
        .transpose()?;
    let webhook = load(&state, &path.id).await?;
    let store = state.webhooks.clone();
    let id = webhook.id.clone();
    let (items, next) = blocking(move || store.deliveries(&id, start, limit as usize)).await?;
    let next = next.map(|at| encode_pair(CursorKind::Deliveries, at.height, at.position.into()));
    let page = DeliveryPage { items, next };
    let next = page.next.clone();
    let path = format!("/v1/webhooks/{}/deliveries", webhook.id);
    Ok(paged(&path, limit, next.as_deref(), page))
}

/// Sends a delivery again now, signed anew, whatever its state; the answer is its record
/// with this attempt's outcome. It does not move the webhook's cursor.
#[utoipa::path(
    post,
    path = "/v1/webhooks/{id}/deliveries/{delivery}/replay",
    tag = "webhooks",
    security(("bearer" = ["webhooks:write"])),
    params(DeliveryPath),
    responses(
        (status = 200, description = "Sent; `last_status` or `last_error` tells how the receiver answered", body = Delivery),
        (status = 400, description = "Malformed id or delivery id", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook, or no such delivery kept", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The store failed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many concurrent requests (retry after `Retry-After` seconds)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn replay_delivery(
    State(state): State<AppState>,
    writer: Authorized<scope::WebhooksWrite>,
    ApiPath(path): ApiPath<DeliveryPath>,
) -> Result<Json<Delivery>, ApiError> {
    let webhook = load(&state, &path.id).await?;
    let missing = || ApiError::DeliveryNotFound(path.delivery.chars().take(64).collect());
    let at = parse_delivery_id(&webhook.id, &path.delivery).ok_or_else(missing)?;
    let store = state.webhooks.clone();
    let id = webhook.id.clone();
    let kept = blocking(move || store.delivery(&id, at)).await?.ok_or_else(missing)?;
    let outcome: Outcome = state.dispatcher.replay(&webhook, at).await;
    tracing::info!(key = %writer.key_id, delivery = %kept.id, ?outcome, "webhook delivery replayed");
    let store = state.webhooks.clone();
    let id = webhook.id.clone();
    let recorded =
        blocking(move || store.record_attempt(&id, kept.r#type, at, &outcome, false)).await?;
    recorded.map(Json).ok_or(ApiError::WebhookNotFound(webhook.id))
}
