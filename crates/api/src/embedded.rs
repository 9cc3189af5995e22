//! Files embedded in the binary and served as they are: the explorer's and the API docs' UI.
//! Their names carry no content hash, so browsers revalidate every time (`no-cache`) and get
//! `304 Not Modified` while the `ETag` (a hash of the file, computed once) holds.

use axum::Router;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

/// One embedded file and the path it is served at.
pub(crate) struct Asset {
    pub(crate) path: &'static str,
    pub(crate) content_type: &'static str,
    pub(crate) body: &'static [u8],
}

/// Routes serving `assets`, each with `policy` as its Content-Security-Policy.
pub(crate) fn routes<S: Clone + Send + Sync + 'static>(
    assets: &'static [Asset],
    policy: &'static str,
) -> Router<S> {
    assets.iter().fold(Router::new(), |router, asset| {
        let digest = Sha256::digest(asset.body);
        let etag = format!("\"{}\"", hex::encode(&digest[..16]));
        router.route(asset.path, get(move |headers: HeaderMap| serve(asset, policy, etag, headers)))
    })
}

async fn serve(
    asset: &'static Asset,
    policy: &'static str,
    etag: String,
    request: HeaderMap,
) -> Response {
    let unchanged = request
        .get(IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.split(',').any(|tag| tag.trim() == etag || tag.trim() == "*"));
    let headers = [
        (CONTENT_TYPE, HeaderValue::from_static(asset.content_type)),
        (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (ETAG, HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"\""))),
        (HeaderName::from_static("content-security-policy"), HeaderValue::from_static(policy)),
        (HeaderName::from_static("x-content-type-options"), HeaderValue::from_static("nosniff")),
        (HeaderName::from_static("referrer-policy"), HeaderValue::from_static("no-referrer")),
    ];
    if unchanged {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    (headers, asset.body).into_response()
}
