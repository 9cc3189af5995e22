//! Where the REST server listens and the limits it keeps.

use std::net::SocketAddr;
use std::time::Duration;

use cairn_http::TlsConfig;
use cairn_network::NetworkHandle;

use crate::auth::AuthConfig;
use crate::webhook_dispatch::WebhookConfig;

/// Address and limits of the REST server.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Where to listen; loopback unless the operator says otherwise.
    pub addr: SocketAddr,
    /// Largest request body in bytes (a raw transaction is at most 128 KiB; hex doubles it).
    pub max_body: usize,
    /// Most requests being served at once; beyond it a request is refused at once with 503
    /// and `Retry-After` rather than queued behind slow ones.
    pub max_concurrent_requests: usize,
    /// Streams served at once; beyond it a stream is refused with 503 `busy`.
    pub max_streams: usize,
    /// Streams one client (an API key, or an address without one) may hold at once; beyond
    /// it a stream is refused with 429 `too_many_streams`. An eighth of `max_streams` by
    /// default.
    pub max_streams_per_client: usize,
    /// Most connections open at once.
    pub max_connections: usize,
    /// Most connections one client address (an IPv6 client by its /64) may hold at once; an
    /// eighth of `max_connections` by default.
    pub max_connections_per_client: usize,
    /// How long a client may take to send a request's headers, or to start the next request
    /// on an idle keep-alive connection (and to finish a TLS handshake).
    pub header_timeout: Duration,
    /// How long a client may take to send a request's whole body.
    pub body_timeout: Duration,
    /// Serve HTTPS with this certificate (and `Strict-Transport-Security` on every answer)
    /// instead of plain HTTP.
    pub tls: Option<TlsConfig>,
    /// Messages a stream queues for its client.
    pub stream_buffer: usize,
    /// How long a stream's queue may stay full before its client is dropped as too slow.
    pub stream_stall: Duration,
    /// API keys, whether reads need one, and the anonymous rate limit.
    pub auth: AuthConfig,
    /// The transaction network whose peers `/v1/peers` and `/v1/status` report; `None` for a
    /// node running alone.
    pub network: Option<NetworkHandle>,
    /// Webhook retries, timeouts and limits.
    pub webhooks: WebhookConfig,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            max_body: 512 * 1024,
            max_concurrent_requests: 256,
            max_streams: 256,
            max_streams_per_client: 32,
            max_connections: 1024,
            max_connections_per_client: 128,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            tls: None,
            stream_buffer: 1024,
            stream_stall: Duration::from_secs(10),
            auth: AuthConfig::default(),
            network: None,
            webhooks: WebhookConfig::default(),
        }
    }
}
