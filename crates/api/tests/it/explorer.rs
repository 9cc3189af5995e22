//! The block explorer's embedded files at `/`: content types, revalidation and the
//! Content-Security-Policy, beside an API whose unknown paths still answer problem+json.

use axum::http::Method;

use crate::harness;

#[tokio::test]
async fn the_explorer_is_served_at_the_root_with_its_headers() {
    let h = harness().await;
    let page = h.get("/").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(page.header("cache-control"), Some("no-cache"));
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    // Every file the page names is served with its own content type.
    for (path, content_type) in [
        ("/app.js", "text/javascript; charset=utf-8"),
        ("/app.css", "text/css; charset=utf-8"),
        ("/favicon.svg", "image/svg+xml"),
    ] {
        assert!(page.body.contains(&format!("\"{path}\"")), "index.html names {path}");
        let file = h.get(path).await;
        assert_eq!(file.status, 200, "{path}");
        assert_eq!(file.header("content-type"), Some(content_type), "{path}");
        assert!(!file.body.is_empty(), "{path}");
    }
    assert_eq!(h.get("/index.html").await.body, page.body);
    h.stop().await;
}

#[tokio::test]
async fn an_unchanged_file_is_not_sent_again() {
    let h = harness().await;
    let first = h.get("/app.js").await;
    let etag = first.header("etag").unwrap().to_string();
    let again = h.send(Method::GET, "/app.js", &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    let other = h.send(Method::GET, "/app.js", &[("if-none-match", "\"stale\"")]).await;
    assert_eq!(other.status, 200);
    assert_eq!(other.body, first.body);
    h.stop().await;
}

#[tokio::test]
async fn the_api_keeps_its_own_answers_beside_the_explorer() {
    let h = harness().await;
    h.get("/v1/nothing").await.problem(404, "not_found");
    h.get("/app.js/more").await.problem(404, "not_found");
    let reply = h.post("/", "application/json", "{}").await;
    reply.problem(405, "method_not_allowed");
    assert_eq!(h.get_json("/v1/status").await["head"]["number"], 0);
    h.stop().await;
}
