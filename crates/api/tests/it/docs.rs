//! The API reference page at `/docs`: everything it loads comes from the node, under a
//! same-origin Content-Security-Policy.

use crate::harness;

#[tokio::test]
async fn the_docs_page_loads_only_the_nodes_own_files() {
    let h = harness().await;
    let page = h.get("/docs").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(!page.body.contains("http://") && !page.body.contains("https://"), "{}", page.body);
    let csp = page.header("content-security-policy").unwrap().to_string();
    for directive in ["default-src 'none'", "script-src 'self';", "connect-src 'self';"] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert!(!csp.contains("unsafe-eval") && !csp.contains("font-src"), "{csp}");

    let vendored = include_str!("../../docs-ui/scalar-api-reference.js");
    for (path, must_hold) in [
        ("/docs/scalar-api-reference.js", "createApiReference"),
        ("/docs/init.js", "/v1/openapi.json"),
    ] {
        assert!(page.body.contains(&format!("<script src=\"{path}\"></script>")), "{path}");
        let script = h.get(path).await;
        assert_eq!(script.status, 200, "{path}");
        assert_eq!(script.header("content-type"), Some("text/javascript; charset=utf-8"));
        assert!(script.body.contains(must_hold), "{path}");
        assert!(script.header("etag").is_some(), "{path}");
    }
    assert_eq!(h.get("/docs/scalar-api-reference.js").await.body, vendored);
    let init = h.get("/docs/init.js").await.body;
    for off in ["withDefaultFonts: false", "telemetry: false", "showDeveloperTools: \"never\""] {
        assert!(init.contains(off), "{off}: {init}");
    }
    h.stop().await;
}
