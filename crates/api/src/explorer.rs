//! The block explorer: the files of `explorer/dist` (built from `explorer/src`, committed),
//! embedded in the binary and served at `/` on the API port. The explorer is a client of the
//! public `/v1` API and its stream only; it routes with URL fragments (`/#/block/12`), so the
//! server has just these few files to serve and no fallback rule.

use axum::Router;

use crate::embedded::{self, Asset};

/// What the explorer's pages may load: only their own scripts, styles and images, and only
/// the API of the same origin; no inline script or style, no framing, no plugins.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

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

/// The explorer's routes.
pub(crate) fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    embedded::routes(&ASSETS, CONTENT_SECURITY_POLICY)
}
