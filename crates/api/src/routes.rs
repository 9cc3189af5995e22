//! Every route in one place: the OpenAPI document, the router and its layers.

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, Method, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use cairn_http::Slots;
use cairn_reads::ServedNode;
use tokio::sync::Semaphore;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{self, Guard};
use crate::config::ApiConfig;
use crate::error::{ApiError, Problem};
use crate::metrics::{self, Metrics};
use crate::request_id::{self, X_REQUEST_ID};
use crate::state::{AppState, StreamLimits};
use crate::webhook_dispatch::Dispatcher;
use crate::webhook_store::WebhookStore;
use crate::{
    accounts, audit, blocks, common_responses, docs, events, explorer, fees, governance, health,
    mempool, peers, scrape, staking, status, stream, transactions, validators, webhooks,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Cairn REST API",
        version = "1",
        description = "Blocks, transactions and accounts of a Cairn node. Amounts are decimal \
                       strings, hashes and addresses 0x hex. Lists page with opaque cursors \
                       (`next` in the body, `Link: <…>; rel=\"next\"` in the headers). Every 4xx \
                       and 5xx is an RFC 9457 problem (`application/problem+json`) with a \
                       machine-readable `code`."
    ),
    components(schemas(Problem)),
    tags(
        (name = "node", description = "The node and its chain"),
        (name = "blocks", description = "Blocks and their transactions"),
        (name = "transactions", description = "Single transactions and submission"),
        (name = "accounts", description = "Account state, history and proofs"),
        (name = "events", description = "Logs emitted by contracts"),
        (name = "staking", description = "Proof of stake: delegations, read from the staking contract"),
        (name = "governance", description = "Private and consortium networks: organisations, proposals and account permissions, read from the governance contract"),
        (name = "streams", description = "Blocks, finality, pending transactions and events as they happen"),
        (name = "audit", description = "Re-verifying the stored chain in the background"),
        (name = "webhooks", description = "Signed POSTs of chain events to registered URLs, at least once, in block order"),
        (name = "operations", description = "Metrics and health checks, outside /v1"),
    )
)]
struct ApiDoc;

/// Every documented route, with its OpenAPI operations.
fn documented() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(status::status))
        .routes(routes!(fees::fees))
        .routes(routes!(blocks::list_blocks))
        .routes(routes!(blocks::get_block))
        .routes(routes!(blocks::list_block_transactions))
        .routes(routes!(transactions::get_transaction))
        .routes(routes!(transactions::submit_transaction))
        .routes(routes!(accounts::get_account))
        .routes(routes!(accounts::get_account_proof))
        .routes(routes!(accounts::list_account_transactions))
        .routes(routes!(events::list_events))
        .routes(routes!(mempool::list_mempool))
        .routes(routes!(validators::list_validators))
        .routes(routes!(staking::get_delegations))
        .routes(routes!(governance::list_organisations))
        .routes(routes!(governance::list_proposals))
        .routes(routes!(governance::get_proposal))
        .routes(routes!(governance::get_permissions))
        .routes(routes!(peers::list_peers))
        .routes(routes!(audit::start_audit))
        .routes(routes!(audit::get_audit))
        .routes(routes!(stream::stream))
        .routes(routes!(webhooks::create_webhook, webhooks::list_webhooks))
        .routes(routes!(webhooks::get_webhook, webhooks::delete_webhook))
        .routes(routes!(webhooks::list_deliveries))
        .routes(routes!(webhooks::replay_delivery))
        .routes(routes!(scrape::metrics))
        .routes(routes!(health::live))
        .routes(routes!(health::ready))
}

/// The OpenAPI 3.1 document of the API, as served at `/v1/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut api = documented().into_openapi();
    common_responses::document(&mut api);
    api
}

/// What the router serves beside the node's reads.
pub(crate) struct Services {
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) guard: Arc<Guard>,
    pub(crate) webhooks: Arc<WebhookStore>,
    pub(crate) dispatcher: Arc<Dispatcher>,
}

/// The app: every route, the explorer and docs, with the layers every request passes.
pub(crate) fn router(node: Arc<dyn ServedNode>, config: &ApiConfig, services: Services) -> Router {
    let Services { metrics, guard, webhooks, dispatcher } = services;
    let (routes, mut api) = documented().split_for_parts();
    common_responses::document(&mut api);
    let spec = Arc::new(api);
    let stream = StreamLimits {
        buffer: config.stream_buffer,
        stall: config.stream_stall,
        open: Slots::new(config.max_streams, config.max_streams_per_client),
    };
    let state = AppState {
        node,
        audits: Arc::default(),
        stream,
        max_body: config.max_body,
        metrics: metrics.clone(),
        network: config.network.clone(),
        webhooks,
        dispatcher,
        max_webhooks: config.webhooks.max_webhooks,
    };
    let permits = Arc::new(Semaphore::new(config.max_concurrent_requests));
    // Layers run outermost last: request id, log span, metrics, keys and rate limits,
    // concurrency, body limit, then the handler.
    let app = routes
        .route("/v1/openapi.json", get(move || async move { axum::Json(spec.as_ref().clone()) }))
        .merge(explorer::routes())
        .merge(docs::routes())
        .fallback(|uri: Uri| async move { ApiError::NoRoute { path: uri.path().to_string() } })
        .method_not_allowed_fallback(|method: Method, uri: Uri| async move {
            ApiError::MethodNotAllowed { method: method.to_string(), path: uri.path().to_string() }
        })
        .with_state(state)
        .layer(DefaultBodyLimit::max(config.max_body))
        .layer(middleware::from_fn_with_state(permits, limit_concurrency))
        .layer(middleware::from_fn_with_state(guard, auth::guard))
        .layer(middleware::from_fn_with_state(metrics, metrics::observe))
        .layer(
            // Every answer is logged once, at INFO, with its status; a 5xx is not logged again
            // as a failure: refusals (busy, not ready, a full pool) are the node working as
            // designed, and internal errors log themselves at ERROR with their cause.
            TraceLayer::new_for_http()
                .make_span_with(request_id::span)
                .on_response(DefaultOnResponse::new().level(Level::INFO))
                .on_failure(()),
        )
        .layer(PropagateRequestIdLayer::new(X_REQUEST_ID))
        .layer(SetRequestIdLayer::new(X_REQUEST_ID, MakeRequestUuid))
        .layer(middleware::from_fn(request_id::drop_unacceptable));
    match config.tls {
        // Browsers that reached the API over TLS once keep to it for a year.
        Some(_) => app.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        )),
        None => app,
    }
}

/// The `Strict-Transport-Security` of every answer over TLS.
const HSTS: &str = "max-age=31536000";

/// Serves the request if a permit is free, else answers 503 `busy` at once.
async fn limit_concurrency(
    State(permits): State<Arc<Semaphore>>,
    request: Request,
    next: Next,
) -> Response {
    match permits.try_acquire() {
        Ok(_permit) => next.run(request).await,
        Err(_) => ApiError::Busy.into_response(),
    }
}
