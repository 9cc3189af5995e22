//! Cairn's REST API, `/v1`: the node's chain, transactions and accounts as plain JSON
//! resources for back-office systems, dashboards, auditors and the explorer.
//!
//! ```text
//!  client ─► request id, log span, metrics (per route template and status)
//!         ─► auth::guard: API key (Bearer), rate limit per key or client address (governor),
//!            RateLimit-* headers; handlers needing a scope take `Authorized<scope::…>`
//!         ─► axum router (concurrency and body limits; every rejection, unknown path, wrong
//!            method and refusal answered as application/problem+json with a `code`)
//!         ─► handlers: status, fees, blocks, transactions, accounts (and their history), events,
//!            mempool, validators, staking, governance, audit, webhooks
//!         ─► cairn-reads (ServedNode; one ChainView per answer, tags and finality resolved
//!            there, as for JSON-RPC), on the blocking pool
//!  browser ─► `/`: the block explorer's embedded files (explorer/dist), a client of `/v1`
//!          ─► `/docs`: the API reference (Scalar's UI, vendored in docs-ui), reading `/v1/openapi.json`
//!
//!  webhook dispatcher: one task per webhook ─► events derived from the stored chain ─►
//!         signed POSTs, retried; cursor and delivery records in the node's store
//! ```
//!
//! Amounts are decimal strings, hashes and addresses 0x hex. Lists page with opaque cursors
//! that encode a position in the chain, so pages stay stable while blocks arrive. The OpenAPI
//! 3.1 document is generated from the handlers (utoipa) and served at `/v1/openapi.json`.

mod accounts;
pub mod api_keys;
mod audit;
mod audit_jobs;
mod auth;
mod blocking;
mod blocks;
mod chain;
mod common_responses;
mod config;
mod contract_views;
mod docs;
mod embedded;
mod error;
mod events;
mod explorer;
mod extract;
mod fees;
mod governance;
mod health;
mod mempool;
mod metrics;
mod model;
mod page;
mod params;
mod peers;
mod request_id;
mod routes;
mod scope;
mod scrape;
mod server;
mod staking;
mod state;
mod status;
mod stream;
mod transactions;
mod validators;
mod webhook_destination;
mod webhook_dispatch;
mod webhook_store;
mod webhooks;

pub use api_keys::{ApiKeyFile, Rate};
pub use auth::AuthConfig;
pub use config::ApiConfig;
pub use error::{ApiError, Problem};
pub use routes::openapi;
pub use scope::Scope;
pub use server::{ApiServer, start};
pub use webhook_dispatch::WebhookConfig;
