//! Request ids: a client's `X-Request-Id` is kept if it is short and plain, otherwise replaced
//! by a fresh UUID (tower-http's layers set and echo it); every request's log span carries it.

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderName;
use axum::middleware::Next;
use axum::response::Response;
use tower_http::request_id::RequestId;
use tracing::Span;

/// The header carrying the id, in and out.
pub(crate) const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest client-chosen id kept.
const MAX_LEN: usize = 128;

/// Whether a client's id may be kept: 1 to 128 letters, digits, `-`, `_`, `.` or `:`.
fn acceptable(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= MAX_LEN
        && id.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Removes an unacceptable `X-Request-Id`, so the next layer generates one instead.
pub(crate) async fn drop_unacceptable(mut request: Request, next: Next) -> Response {
    let headers = request.headers_mut();
    let ids = headers.get_all(&X_REQUEST_ID).iter().count();
    if ids > 1 || headers.get(&X_REQUEST_ID).is_some_and(|id| !acceptable(id.as_bytes())) {
        headers.remove(&X_REQUEST_ID);
    }
    next.run(request).await
}

/// The log span of one request: method, route template, path and request id; the status and
/// latency are logged when the answer leaves.
pub(crate) fn span(request: &Request) -> Span {
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str());
    let id = request
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or("");
    tracing::info_span!(
        "request",
        method = %request.method(),
        route,
        path = %request.uri().path(),
        request_id = id,
    )
}

#[cfg(test)]
mod tests {
    use super::acceptable;

    #[test]
    fn plain_short_ids_are_kept() {
        assert!(acceptable(b"abc-123_x.y:z"));
        assert!(acceptable("a".repeat(128).as_bytes()));
        assert!(!acceptable(b""));
        assert!(!acceptable("a".repeat(129).as_bytes()));
        assert!(!acceptable(b"has space"));
        assert!(!acceptable(b"new\nline"));
        assert!(!acceptable("é".as_bytes()));
    }
}
