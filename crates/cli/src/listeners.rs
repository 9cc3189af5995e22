//! The JSON-RPC and REST listeners as the operator configured them: TLS from PEM files, and a
//! warning when a listener other machines can reach speaks plain HTTP.

use std::net::SocketAddr;
use std::path::Path;

use anyhow::Context;
use cairn_http::TlsConfig;

/// TLS for a listener from its certificate and key files (both, or neither).
pub(crate) fn tls(
    what: &str,
    cert: Option<&Path>,
    key: Option<&Path>,
) -> anyhow::Result<Option<TlsConfig>> {
    match (cert, key) {
        (None, None) => Ok(None),
        (Some(cert), Some(key)) => cairn_http::server_config(cert, key)
            .map(Some)
            .with_context(|| format!("loading the {what} TLS certificate")),
        _ => anyhow::bail!("{what} TLS needs both a certificate and its private key"),
    }
}

/// Warns when `addr` can be reached from other machines and is served without TLS: requests,
/// API keys and answers then cross the network in plain text.
pub(crate) fn warn_if_plaintext(what: &str, addr: SocketAddr, tls: bool, how: &str) {
    if !tls && !addr.ip().is_loopback() {
        tracing::warn!(
            "{what} listens on {addr} without TLS: other machines reach it in plain text; \
             serve it over TLS with {how}, or put a TLS proxy in front"
        );
    }
}

/// The URL scheme a listener serves.
pub(crate) fn scheme(tls: bool) -> &'static str {
    if tls { "https" } else { "http" }
}
