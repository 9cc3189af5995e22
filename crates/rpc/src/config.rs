//! Where the JSON-RPC server listens and the limits it keeps.

use std::net::SocketAddr;
use std::time::Duration;

use cairn_http::TlsConfig;

/// Address and limits of the JSON-RPC server. Every limit answers with a JSON-RPC error that
/// names it.
#[derive(Debug, Clone)]
pub struct RpcConfig {
    /// Where to listen; loopback unless the operator says otherwise.
    pub addr: SocketAddr,
    /// Largest request body in bytes, also the largest WebSocket message (a raw transaction is
    /// at most 128 KiB; hex doubles it).
    pub max_request_body: u32,
    /// Largest response body in bytes.
    pub max_response_body: u32,
    /// Most simultaneous connections.
    pub max_connections: u32,
    /// Most simultaneous connections from one client address (an IPv6 client by its /64), so
    /// one client cannot take every connection: an eighth of `max_connections` by default.
    pub max_connections_per_client: u32,
    /// How long a client may take to send a request's headers, or to start the next request
    /// on an idle keep-alive connection (and to finish a TLS handshake).
    pub header_timeout: Duration,
    /// How long a client may take to send a request's whole body.
    pub body_timeout: Duration,
    /// How long a WebSocket connection may stay open with no subscription and no call.
    pub ws_idle_timeout: Duration,
    /// Serve HTTPS and WSS with this certificate instead of plain HTTP.
    pub tls: Option<TlsConfig>,
    /// Most calls in one batch.
    pub max_batch_len: u32,
    /// Most requests being served at once, across all connections.
    pub max_concurrent_requests: usize,
    /// Most subscriptions one WebSocket connection may hold.
    pub max_subscriptions_per_connection: u32,
    /// Notifications queued per WebSocket connection before a subscriber counts as too slow.
    pub subscription_buffer: u32,
    /// Most blocks one `eth_getLogs` may scan.
    pub max_log_block_range: u64,
    /// Most logs one `eth_getLogs` may return.
    pub max_logs: usize,
    /// Most installed filters.
    pub max_filters: usize,
    /// How long a filter lives without being polled.
    pub filter_ttl: Duration,
}

impl Default for RpcConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8545)),
            max_request_body: 1024 * 1024,
            max_response_body: 16 * 1024 * 1024,
            max_connections: 256,
            max_connections_per_client: 32,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            ws_idle_timeout: Duration::from_secs(60),
            tls: None,
            max_batch_len: 1000,
            max_concurrent_requests: 512,
            max_subscriptions_per_connection: 64,
            subscription_buffer: 1024,
            max_log_block_range: 10_000,
            max_logs: 10_000,
            max_filters: 1024,
            filter_ttl: Duration::from_secs(300),
        }
    }
}
