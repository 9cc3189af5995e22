//! The API reference page at `/docs`: Scalar's API reference UI rendering `/v1/openapi.json`.
//! The UI is vendored from its npm package at a pinned version (`crates/api/docs-ui`, which
//! `scripts/test` checks against the package) and embedded in the binary, so the page loads
//! nothing from anywhere but the node: it works on a machine without internet or behind a
//! private network's firewall, under a same-origin Content-Security-Policy like the explorer's.

use axum::Router;

use crate::embedded::{self, Asset};

/// What the page may load: scripts, the document and images from this origin only, no fonts,
/// frames, plugins or forms; the explorer's policy except that styles may also be inline,
/// since Scalar injects its stylesheet as `<style>` elements and sets `style` attributes.
/// Scripts stay same-origin only, so no injected markup can run code.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The page: the UI's script and its start, both from this origin.
const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cairn REST API</title>
<link rel="icon" href="/favicon.svg">
</head>
<body>
<div id="app"></div>
<script src="/docs/scalar-api-reference.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
"#;

/// Starts the UI on the served document without what would call Scalar's servers: web fonts
/// (from its CDN), telemetry, the AI agent and the developer toolbar (sharing, SDK generation
/// and deployment on scalar.com).
const INIT: &str = r##"// Renders the node's OpenAPI document with Scalar's API reference, loaded just before.
Scalar.createApiReference("#app", {
  url: "/v1/openapi.json",
  withDefaultFonts: false,
  telemetry: false,
  agent: { disabled: true },
  showDeveloperTools: "never",
});
"##;

static ASSETS: [Asset; 3] = [
    Asset { path: "/docs", content_type: "text/html; charset=utf-8", body: PAGE.as_bytes() },
    Asset {
        path: "/docs/scalar-api-reference.js",
        content_type: "text/javascript; charset=utf-8",
        // `dist/browser/standalone.js` of `@scalar/api-reference`, as crates/api/docs-ui/PINNED says.
        body: include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/docs-ui/scalar-api-reference.js"
        )),
    },
    Asset {
        path: "/docs/init.js",
        content_type: "text/javascript; charset=utf-8",
        body: INIT.as_bytes(),
    },
];

/// The docs routes: the page and its two scripts.
pub(crate) fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    embedded::routes(&ASSETS, CONTENT_SECURITY_POLICY)
}
