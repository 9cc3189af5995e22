//! The block explorer: the files of `explorer/dist` (built from `explorer/src`, committed),
//! embedded in the binary and served at `/` on the API port. The explorer is a client of the
//! public `/v1` API and its stream only; it routes with URL fragments (`/#/block/12`), so the
//! server has just these few files to serve and no fallback rule.

use axum::Router;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

/// What the explorer's pages may load: only their own scripts, styles and images, and only
/// the API of the same origin; no inline script or style, no framing, no plugins.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// One embedded file and the path it is served at.
struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! dist {
    ($file:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../explorer/dist/", $file))
    };
}

static ASSETS: [Asset; 5] = [
    Asset { path: "/", content_type: "text/html; charset=utf-8", body: dist!("index.html") },
    Asset {
        path: "/index.html",
        content_type: "text/html; charset=utf-8",
        body: dist!("index.html"),
    },
    Asset {
        path: "/app.js",
        content_type: "text/javascript; charset=utf-8",
        body: dist!("app.js"),
    },
    Asset { path: "/app.css", content_type: "text/css; charset=utf-8", body: dist!("app.css") },
    Asset { path: "/favicon.svg", content_type: "image/svg+xml", body: dist!("favicon.svg") },
];

/// The explorer's routes. File names carry no content hash, so browsers revalidate every
/// time (`no-cache`) and get `304 Not Modified` while the `ETag` (a hash of the file) holds.
pub(crate) fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    ASSETS.iter().fold(Router::new(), |router, asset| {
        let digest = Sha256::digest(asset.body);
        let etag = format!("\"{}\"", hex::encode(&digest[..16]));
        router.route(asset.path, get(move |headers: HeaderMap| serve(asset, etag, headers)))
    })
}

async fn serve(asset: &'static Asset, etag: String, request: HeaderMap) -> Response {
    let unchanged = request
        .get(IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.split(',').any(|tag| tag.trim() == etag || tag.trim() == "*"));
    let headers = [
        (CONTENT_TYPE, HeaderValue::from_static(asset.content_type)),
        (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (ETAG, HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"\""))),
        (
            HeaderName::from_static("content-security-policy"),
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
        (HeaderName::from_static("x-content-type-options"), HeaderValue::from_static("nosniff")),
        (HeaderName::from_static("referrer-policy"), HeaderValue::from_static("no-referrer")),
    ];
    if unchanged {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    (headers, asset.body).into_response()
}
