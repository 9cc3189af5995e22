//! The JSON-RPC and REST listeners as the operator configured them: TLS from PEM files, and a
//! warning when a listener other machines can reach speaks plain HTTP.

use std::net::SocketAddr;
use std::path::Path;

use cairn_http::TlsConfig;

use crate::LaunchError;

/// How an operator turns on TLS for JSON-RPC, named in the plain-text warning.
pub(crate) const RPC_TLS_HINT: &str =
    "rpc_tls_cert and rpc_tls_key in the node config (cairn dev: --rpc-tls-cert and --rpc-tls-key)";

/// How an operator turns on TLS for the REST API, named in the plain-text warning.
pub(crate) const API_TLS_HINT: &str =
    "api_tls_cert and api_tls_key in the node config (cairn dev: --api-tls-cert and --api-tls-key)";

/// TLS for a listener from its certificate and key files (both, or neither).
pub fn tls(
    what: &'static str,
    cert: Option<&Path>,
    key: Option<&Path>,
) -> Result<Option<TlsConfig>, LaunchError> {
    match (cert, key) {
        (None, None) => Ok(None),
        (Some(cert), Some(key)) => cairn_http::server_config(cert, key)
            .map(Some)
            .map_err(|source| LaunchError::Tls { what, source }),
        _ => Err(LaunchError::TlsIncomplete { what }),
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
