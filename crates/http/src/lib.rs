//! Serving HTTP to clients the node does not trust: the accept loop JSON-RPC and the REST API
//! share, with TLS, fair connection limits and read deadlines, so no single client address
//! can lock the others out.
//!
//! ```text
//!  TcpListener ─► accept ─► Slots: global cap, cap per client address (IPv6 by /64)
//!                              │ over either: answered once (429 by the caller's refusal)
//!                              ▼
//!              TLS handshake (rustls, if configured; bounded by the header timeout)
//!                              ▼
//!              Watched socket: holds the slot until it is dropped (an upgraded WebSocket
//!              keeps it), and can be closed from outside (`Peer::close`)
//!                              ▼
//!              hyper HTTP/1.1: header read timeout (also the keep-alive idle limit),
//!              upgrades ─► each request gets a [`Peer`] and a body with a read deadline
//!                              ▼
//!              the caller's tower service (axum router, jsonrpsee)
//! ```

mod body;
mod error;
mod serve;
mod slots;
mod tls;
mod watched;

pub use body::{BodyTimeout, RequestBody};
pub use error::HttpError;
pub use serve::{Peer, ServeConfig, client_address, serve};
pub use slots::{Slot, SlotRefused, Slots};
pub use tls::server_config;

/// A TLS server configuration, as [`server_config`] makes it from PEM files.
pub type TlsConfig = std::sync::Arc<rustls::ServerConfig>;
