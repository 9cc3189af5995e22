//! `/metrics`, `/health/*` and request ids.

use std::time::Duration;

use alloy_primitives::Address;
use axum::http::Method;

use crate::{harness, transfer};

/// The value of the series `name` (with its labels, exactly as exposed), if present.
fn series(text: &str, name: &str) -> Option<f64> {
    text.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn metrics_count_requests_per_route_template_and_read_the_chain() {
    let h = harness().await;
    h.node.produce_block().unwrap();
    assert_eq!(h.submit(&transfer(0, Address::repeat_byte(2), 1)).await.status, 202);
    assert_eq!(h.get("/v1/blocks/1").await.status, 200);
    assert_eq!(h.get("/v1/blocks/0").await.status, 200);
    assert_eq!(h.get("/v1/blocks/7").await.status, 404);
    assert_eq!(h.get("/v1/no/such/path").await.status, 404);

    let reply = h.get("/metrics").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("text/plain; version=0.0.4; charset=utf-8"));
    let text = reply.body;
    let ok = r#"{method="GET",route="/v1/blocks/{id}",status="200"}"#;
    assert_eq!(series(&text, &format!("cairn_api_requests_total{ok}")), Some(2.0), "{text}");
    let missing = r#"{method="GET",route="/v1/blocks/{id}",status="404"}"#;
    assert_eq!(series(&text, &format!("cairn_api_requests_total{missing}")), Some(1.0));
    let unmatched = r#"{method="GET",route="unmatched",status="404"}"#;
    assert_eq!(series(&text, &format!("cairn_api_requests_total{unmatched}")), Some(1.0));
    let posted = r#"{method="POST",route="/v1/transactions",status="202"}"#;
    assert_eq!(series(&text, &format!("cairn_api_requests_total{posted}")), Some(1.0));
    assert!(!text.contains("/v1/blocks/1\""), "raw paths leak into labels:\n{text}");
    let count = r#"cairn_api_request_duration_seconds_count{method="GET",route="/v1/blocks/{id}",status="200"}"#;
    assert_eq!(series(&text, count), Some(2.0));
    let bucket = r#"cairn_api_request_duration_seconds_bucket{method="GET",route="/v1/blocks/{id}",status="200",le="+Inf"}"#;
    assert_eq!(series(&text, bucket), Some(2.0));
    assert_eq!(series(&text, "cairn_head_height"), Some(1.0));
    assert_eq!(series(&text, "cairn_finalized_height"), Some(1.0));
    assert_eq!(series(&text, "cairn_mempool_pending"), Some(1.0));
    assert_eq!(series(&text, "cairn_mempool_queued"), Some(0.0));
    assert_eq!(series(&text, "cairn_tx_recoveries_total"), Some(1.0));
    assert_eq!(series(&text, "cairn_api_rate_limited_total"), Some(0.0));

    // Block processing time is observed as blocks are announced.
    h.node.produce_block().unwrap();
    let mut observed = None;
    for _ in 0..200 {
        let text = h.get("/metrics").await.body;
        observed = series(&text, "cairn_block_processing_seconds_count").filter(|n| *n >= 1.0);
        if observed.is_some() {
            assert_eq!(series(&text, "cairn_head_height"), Some(2.0));
            assert_eq!(series(&text, "cairn_mempool_pending"), Some(0.0));
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(observed.is_some(), "no block processing time observed");
    h.stop().await;
}

#[tokio::test]
async fn health_checks() {
    let h = harness().await;
    let live = h.get("/health/live").await;
    assert_eq!(live.status, 200);
    assert_eq!(live.json(), serde_json::json!({ "status": "ok" }));
    h.node.produce_block().unwrap();
    let ready = h.get_json("/health/ready").await;
    assert_eq!(ready, serde_json::json!({ "status": "ok", "head": 1 }));
    let reply = h.send(Method::POST, "/health/live", &[]).await;
    reply.problem(405, "method_not_allowed");
    h.stop().await;
}

#[tokio::test]
async fn request_ids_are_echoed_or_made() {
    let h = harness().await;
    let reply = h.send(Method::GET, "/v1/status", &[("x-request-id", "client-42.a:b_c")]).await;
    assert_eq!(reply.header("x-request-id"), Some("client-42.a:b_c"));
    // Problems carry it too.
    let reply = h.send(Method::GET, "/v1/nothing", &[("x-request-id", "abc")]).await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.header("x-request-id"), Some("abc"));

    let made = h.get("/v1/status").await;
    let id = made.header("x-request-id").unwrap().to_string();
    assert_eq!(id.len(), 36, "{id}");
    let other = h.get("/v1/status").await.header("x-request-id").unwrap().to_string();
    assert_ne!(id, other);

    let long = "a".repeat(129);
    for bad in ["has space", "semi;colon", long.as_str()] {
        let reply = h.send(Method::GET, "/v1/status", &[("x-request-id", bad)]).await;
        let echoed = reply.header("x-request-id").unwrap();
        assert_ne!(echoed, bad);
        assert_eq!(echoed.len(), 36, "{echoed}");
    }
    h.stop().await;
}
