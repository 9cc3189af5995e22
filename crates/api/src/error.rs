//! The crate's one error type, and its RFC 9457 problem document.

use std::net::SocketAddr;
use std::path::PathBuf;

use alloy_primitives::B256;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cairn_consensus::ConsensusError;
use cairn_mempool::PoolError;
use cairn_reads::NodeError;
use cairn_storage::StoreError;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use utoipa::ToSchema;

use crate::scope::Scope;

/// Media type of every error answer (RFC 9457).
pub(crate) const PROBLEM_JSON: &str = "application/problem+json";

/// The challenge of every 401 and 403 (RFC 6750).
const BEARER: &str = r#"Bearer realm="cairn""#;

/// Everything the API can answer with instead of a resource, and why it could not start.
#[derive(Debug, Error)]
pub enum ApiError {
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why binding failed.
        source: std::io::Error,
    },
    /// No route has this path.
    #[error("no resource at {path}")]
    NoRoute {
        /// The path asked for.
        path: String,
    },
    /// The route exists but not with this method.
    #[error("method {method} is not allowed on {path}")]
    MethodNotAllowed {
        /// The method used.
        method: String,
        /// The path asked for.
        path: String,
    },
    /// The chain's consensus (named) is not proof of stake, so it has no staking contract.
    #[error("this chain's consensus is {0}; it has no staking")]
    StakingUnavailable(&'static str),
    /// The chain has no `[governance]`, so no governance contract.
    #[error("this network is not governed on chain")]
    GovernanceUnavailable,
    /// The governance contract has no proposal with this id.
    #[error("proposal {0} not found")]
    ProposalNotFound(u64),
    /// No block with this number or hash.
    #[error("block {0} not found")]
    BlockNotFound(String),
    /// No transaction with this hash, in the pool or the chain.
    #[error("transaction {0} not found")]
    TransactionNotFound(B256),
    /// No audit job with this id is kept.
    #[error("audit job {0} not found")]
    AuditNotFound(String),
    /// No webhook with this id is registered.
    #[error("webhook {0} not found")]
    WebhookNotFound(String),
    /// The webhook has no delivery record with this id (or it was dropped as too old).
    #[error("delivery {0} not found")]
    DeliveryNotFound(String),
    /// A webhook registration is not one the node accepts.
    #[error("{0}")]
    InvalidWebhook(String),
    /// A webhook URL's host is, or resolves to, an address webhooks are not delivered to.
    #[error("{0}")]
    WebhookDestinationRefused(String),
    /// As many webhooks as allowed are registered.
    #[error("{max} webhooks are registered, the most this node allows; delete one first")]
    TooManyWebhooks {
        /// The limit.
        max: usize,
    },
    /// An audit is running; only one runs at a time.
    #[error("audit job {0} is still running; poll it, or start another once it finishes")]
    AuditRunning(String),
    /// A WebSocket handshake is malformed.
    #[error("bad WebSocket handshake: {0}")]
    InvalidUpgrade(String),
    /// The client accepts no representation the route serves.
    #[error("{0}")]
    NotAcceptable(String),
    /// A path parameter is malformed.
    #[error("{0}")]
    InvalidPath(String),
    /// A query parameter is malformed or out of range.
    #[error("{0}")]
    InvalidQuery(String),
    /// A block range spans more blocks than one query may.
    #[error(
        "block range {from}..={to} spans {} blocks, over the limit of {max}; query a smaller range",
        to - from + 1
    )]
    RangeTooWide {
        /// First block asked for.
        from: u64,
        /// Last block asked for.
        to: u64,
        /// Most blocks allowed.
        max: u64,
    },
    /// A pagination cursor was not issued by this API for this list.
    #[error("the cursor is not one this list issued")]
    InvalidCursor,
    /// The request body is not the JSON the route expects.
    #[error("{0}")]
    InvalidBody(String),
    /// The request body is larger than the configured limit.
    #[error("the request body is larger than {limit} bytes")]
    BodyTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The client did not send the whole body within the body deadline.
    #[error("the request body was not received within {seconds} s")]
    BodyTimeout {
        /// The deadline.
        seconds: f64,
    },
    /// The request body is not `application/json`.
    #[error("expected a body of type application/json")]
    UnsupportedMediaType,
    /// The mempool refused a transaction; the message is the mempool's reason.
    #[error(transparent)]
    Rejected(PoolError),
    /// The client (its API key, or its address without one) holds as many streams as one
    /// client may; the rest are kept for other clients.
    #[error(
        "this client holds {max} open streams, the most one client (an API key, or an address \
         without one) may hold; close one first"
    )]
    TooManyStreams {
        /// Streams one client may hold.
        max: usize,
    },
    /// The client's connection was refused over a connection limit.
    #[error("too many connections: {0}; close one or retry later")]
    TooManyConnections(String),
    /// The server is serving as many requests as it allows; retry shortly.
    #[error("too many concurrent requests; retry shortly")]
    Busy,
    /// The route (or this node, for every route) needs an API key and none was sent.
    #[error("this request needs an API key: send `Authorization: Bearer <key>`")]
    MissingApiKey,
    /// The `Authorization` header is malformed, or names a key that is unknown or revoked.
    #[error("the API key is malformed, unknown or revoked")]
    InvalidApiKey,
    /// The key is valid but lacks the scope the route needs.
    #[error("this request needs an API key with the scope {scope}")]
    InsufficientScope {
        /// The scope the route needs.
        scope: Scope,
    },
    /// The caller (a key, or an anonymous client's address) used up its rate limit.
    #[error("rate limit exceeded; retry after {retry_after} s")]
    RateLimited {
        /// Whole seconds until a request will be admitted again.
        retry_after: u64,
    },
    /// The store failed and the node has stopped taking writes until it restarts.
    #[error("{0}")]
    StorageUnavailable(String),
    /// The node cannot serve yet (store unreadable, or not in sync).
    #[error("not ready: {0}")]
    NotReady(String),
    /// An API key's scopes or rate, as given to `cairn api-keys`, are malformed.
    #[error("{0}")]
    InvalidKeySpec(String),
    /// No key has this id.
    #[error("no API key with id {0}")]
    UnknownKeyId(String),
    /// The API key file (or its usage file) could not be read or written.
    #[error("API key file {path}: {detail}")]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// The node failed while answering (store error, a lost worker).
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<ConsensusError> for ApiError {
    fn from(e: ConsensusError) -> Self {
        Self::Internal(e.to_string())
    }
}

impl From<NodeError> for ApiError {
    fn from(e: NodeError) -> Self {
        match e {
            NodeError::Pool(e) => Self::Rejected(e),
            NodeError::UnknownBlock(number) => Self::BlockNotFound(number.to_string()),
            e @ (NodeError::NotAcceptingTransactions(_)
            | NodeError::StorageFailed(_)
            | NodeError::Store(StoreError::Failed(_))) => Self::StorageUnavailable(e.to_string()),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        NodeError::Store(e).into()
    }
}

impl ApiError {
    /// The HTTP status and the machine-readable code clients branch on.
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::Bind { .. }
            | Self::Internal(_)
            | Self::InvalidKeySpec(_)
            | Self::UnknownKeyId(_)
            | Self::KeyFile { .. } => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            Self::NoRoute { .. } => (StatusCode::NOT_FOUND, "not_found"),
            Self::MethodNotAllowed { .. } => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            Self::BlockNotFound(_) => (StatusCode::NOT_FOUND, "block_not_found"),
            Self::GovernanceUnavailable => (StatusCode::NOT_FOUND, "governance_unavailable"),
            Self::ProposalNotFound(_) => (StatusCode::NOT_FOUND, "proposal_not_found"),
            Self::StakingUnavailable(_) => (StatusCode::NOT_FOUND, "staking_unavailable"),
            Self::TransactionNotFound(_) => (StatusCode::NOT_FOUND, "transaction_not_found"),
            Self::AuditNotFound(_) => (StatusCode::NOT_FOUND, "audit_not_found"),
            Self::AuditRunning(_) => (StatusCode::CONFLICT, "audit_running"),
            Self::WebhookNotFound(_) => (StatusCode::NOT_FOUND, "webhook_not_found"),
            Self::DeliveryNotFound(_) => (StatusCode::NOT_FOUND, "delivery_not_found"),
            Self::InvalidWebhook(_) => (StatusCode::BAD_REQUEST, "invalid_webhook"),
            Self::WebhookDestinationRefused(_) => {
                (StatusCode::BAD_REQUEST, "webhook_destination_refused")
            }
            Self::TooManyWebhooks { .. } => (StatusCode::CONFLICT, "too_many_webhooks"),
            Self::InvalidUpgrade(_) => (StatusCode::BAD_REQUEST, "invalid_upgrade"),
            Self::NotAcceptable(_) => (StatusCode::NOT_ACCEPTABLE, "not_acceptable"),
            Self::InvalidPath(_) => (StatusCode::BAD_REQUEST, "invalid_path"),
            Self::InvalidQuery(_) => (StatusCode::BAD_REQUEST, "invalid_query"),
            Self::InvalidCursor => (StatusCode::BAD_REQUEST, "invalid_cursor"),
            Self::RangeTooWide { .. } => (StatusCode::BAD_REQUEST, "block_range_too_wide"),
            Self::InvalidBody(_) => (StatusCode::BAD_REQUEST, "invalid_body"),
            Self::BodyTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"),
            Self::BodyTimeout { .. } => (StatusCode::REQUEST_TIMEOUT, "body_timeout"),
            Self::UnsupportedMediaType => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            Self::Rejected(e) => rejection_status(e),
            Self::Busy => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            Self::TooManyStreams { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_streams"),
            Self::TooManyConnections(_) => (StatusCode::TOO_MANY_REQUESTS, "too_many_connections"),
            Self::MissingApiKey => (StatusCode::UNAUTHORIZED, "missing_api_key"),
            Self::InvalidApiKey => (StatusCode::UNAUTHORIZED, "invalid_api_key"),
            Self::InsufficientScope { .. } => (StatusCode::FORBIDDEN, "insufficient_scope"),
            Self::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            Self::NotReady(_) => (StatusCode::SERVICE_UNAVAILABLE, "not_ready"),
            Self::StorageUnavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable"),
        }
    }

    /// The problem document this error is answered with.
    pub fn problem(&self) -> Problem {
        let (status, code) = self.status_and_code();
        Problem {
            r#type: format!("urn:cairn:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: self.to_string(),
            code: code.to_string(),
        }
    }
}

/// Transactions that can never be valid are bad requests; a full pool is temporary; a
/// duplicate conflicts; a sender the chain's account rules refuse is forbidden (`detail` names
/// the account); every other refusal is a well-formed transaction the chain's rules refuse
/// now.
fn rejection_status(e: &PoolError) -> (StatusCode, &'static str) {
    match e {
        PoolError::AccountNotPermitted { .. } | PoolError::DeployNotPermitted { .. } => {
            (StatusCode::FORBIDDEN, "account_not_permitted")
        }
        PoolError::Decode(_)
        | PoolError::InvalidSignature
        | PoolError::UnsupportedType(_)
        | PoolError::OversizedData { .. } => (StatusCode::BAD_REQUEST, "invalid_transaction"),
        PoolError::AlreadyKnown => (StatusCode::CONFLICT, "already_known"),
        PoolError::PoolFull { .. } => (StatusCode::SERVICE_UNAVAILABLE, "txpool_full"),
        _ => (StatusCode::UNPROCESSABLE_ENTITY, "transaction_rejected"),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = self.problem();
        if problem.status == 500 {
            tracing::error!(error = %self, "REST API request failed");
        }
        let status =
            StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(problem)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        match &self {
            Self::Busy => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            Self::RateLimited { retry_after } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
            }
            Self::MissingApiKey => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(BEARER));
            }
            Self::InvalidApiKey => {
                let challenge = format!(r#"{BEARER}, error="invalid_token""#);
                if let Ok(value) = HeaderValue::from_str(&challenge) {
                    headers.insert(header::WWW_AUTHENTICATE, value);
                }
            }
            Self::InsufficientScope { scope } => {
                let challenge = format!(r#"{BEARER}, error="insufficient_scope", scope="{scope}""#);
                if let Ok(value) = HeaderValue::from_str(&challenge) {
                    headers.insert(header::WWW_AUTHENTICATE, value);
                }
            }
            _ => {}
        }
        response
    }
}

/// An RFC 9457 problem: every 4xx and 5xx answer of the API has this body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem (`urn:cairn:problem:<code>`).
    #[schema(example = "urn:cairn:problem:block_not_found")]
    pub r#type: String,
    /// The HTTP status's reason phrase.
    #[schema(example = "Not Found")]
    pub title: String,
    /// The HTTP status code.
    #[schema(example = 404)]
    pub status: u16,
    /// What went wrong with this request, for people.
    #[schema(example = "block 99 not found")]
    pub detail: String,
    /// What went wrong, for programs: a stable snake_case code.
    #[schema(example = "block_not_found")]
    pub code: String,
}
