//! API keys, scopes and rate limits: 401, 403 and 429 with their headers.

use std::time::Duration;

use alloy_primitives::{Address, hex};
use axum::http::Method;
use cairn_api::{ApiConfig, AuthConfig, Scope};

use crate::{Harness, Reply, harness, harness_with, send, transfer};

/// POSTs a transfer with this `Authorization` header (none if `None`).
async fn submit_as(h: &Harness, nonce: u64, authorization: Option<&str>) -> Reply {
    let body = serde_json::json!({ "raw": format!("0x{}", hex::encode(transfer(nonce, Address::repeat_byte(2), 1))) });
    let mut headers = vec![("content-type", "application/json")];
    if let Some(authorization) = authorization {
        headers.push(("authorization", authorization));
    }
    send(h.addr, Method::POST, "/v1/transactions", &headers, body.to_string().into_bytes()).await
}

fn assert_rate_headers(reply: &Reply) {
    for name in ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"] {
        let value = reply.header(name).unwrap_or_else(|| panic!("no {name}: {reply:?}"));
        value.parse::<u64>().unwrap_or_else(|_| panic!("{name}: {value}"));
    }
}

/// Polls `check` every 50 ms until it holds (the node reloads keys every second).
async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what} never happened");
}

#[tokio::test]
async fn writes_need_a_key_with_the_scope() {
    let h = harness().await;
    let reply = submit_as(&h, 0, None).await;
    reply.problem(401, "missing_api_key");
    assert_eq!(reply.header("www-authenticate"), Some(r#"Bearer realm="cairn""#));
    assert_rate_headers(&reply);

    for bad in ["Bearer cairn_0000000000000000_00", "Bearer ", "Basic dXNlcjpwdw==", "garbage"] {
        let reply = submit_as(&h, 0, Some(bad)).await;
        reply.problem(401, "invalid_api_key");
        assert!(reply.header("www-authenticate").unwrap().contains(r#"error="invalid_token""#));
    }

    let (_, reader) =
        h.keys.create(&[Scope::WebhooksWrite], "10/s".parse().unwrap(), None).unwrap();
    let reader = format!("Bearer {reader}");
    eventually("the new key is loaded", async || {
        submit_as(&h, 0, Some(&reader)).await.status == 403
    })
    .await;
    let reply = submit_as(&h, 0, Some(&reader)).await;
    reply.problem(403, "insufficient_scope");
    assert!(reply.header("www-authenticate").unwrap().contains(r#"scope="tx:write""#));
    // A key without the scope still reads.
    let status = h.send(Method::GET, "/v1/status", &[("authorization", &reader)]).await;
    assert_eq!(status.status, 200);
    assert_eq!(status.header("ratelimit-limit"), Some("10"));

    let writer = format!("Bearer {}", h.writer);
    let reply = submit_as(&h, 0, Some(&writer)).await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    assert_rate_headers(&reply);

    // Revoked: refused from the next reload on.
    let id = h.writer.split('_').nth(1).unwrap().to_string();
    h.keys.revoke(&id).unwrap();
    eventually("the revoked key is refused", async || {
        submit_as(&h, 1, Some(&writer)).await.status == 401
    })
    .await;

    // The node records the last use in a file of its own, batched.
    eventually("the last use is recorded", async || h.keys.last_used().unwrap().contains_key(&id))
        .await;
    h.stop().await;
}

#[tokio::test]
async fn audits_need_audit_admin() {
    let h = harness().await;
    let post = |authorization: Option<String>| {
        let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
        headers.extend(authorization.map(|a| ("authorization".to_string(), a)));
        async move {
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
            send(h.addr, Method::POST, "/v1/audit", &headers, Vec::new()).await
        }
    };
    post(None).await.problem(401, "missing_api_key");
    let (_, submitter) = h.keys.create(&[Scope::TxWrite], "10/s".parse().unwrap(), None).unwrap();
    let submitter = format!("Bearer {submitter}");
    eventually("the new key is loaded", async || post(Some(submitter.clone())).await.status == 403)
        .await;
    let reply = post(Some(submitter)).await;
    reply.problem(403, "insufficient_scope");
    assert!(reply.header("www-authenticate").unwrap().contains(r#"scope="audit:admin""#));
    let (_, admin) = h.keys.create(&[Scope::AuditAdmin], "10/s".parse().unwrap(), None).unwrap();
    let admin = format!("Bearer {admin}");
    eventually("the admin key is accepted", async || post(Some(admin.clone())).await.status == 202)
        .await;
    h.stop().await;
}

#[tokio::test]
async fn reads_can_require_a_key() {
    let auth = AuthConfig { require_key: true, ..AuthConfig::default() };
    let h = harness_with(ApiConfig { auth, ..ApiConfig::default() }).await;
    let reply = h.get("/v1/status").await;
    reply.problem(401, "missing_api_key");
    assert_eq!(reply.header("www-authenticate"), Some(r#"Bearer realm="cairn""#));
    h.get("/v1/nothing").await.problem(401, "missing_api_key");
    let writer = format!("Bearer {}", h.writer);
    let reply = h.send(Method::GET, "/v1/status", &[("authorization", &writer)]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    // Probes and scrapers carry no key.
    assert_eq!(h.get("/health/live").await.status, 200);
    assert_eq!(h.get("/health/ready").await.status, 200);
    assert_eq!(h.get("/metrics").await.status, 200);
    h.stop().await;
}

#[tokio::test]
async fn anonymous_clients_are_limited_per_address() {
    let auth = AuthConfig {
        anonymous_rate: "2/min".parse().unwrap(),
        anonymous_burst: 2.try_into().unwrap(),
        ..AuthConfig::default()
    };
    let h = harness_with(ApiConfig { auth, ..ApiConfig::default() }).await;
    let first = h.get("/v1/status").await;
    assert_eq!(first.status, 200);
    assert_eq!(first.header("ratelimit-limit"), Some("2"));
    assert_eq!(first.header("ratelimit-remaining"), Some("1"));
    assert_eq!(first.header("ratelimit-reset"), Some("30"));
    let second = h.get("/v1/blocks").await;
    assert_eq!(second.status, 200);
    assert_eq!(second.header("ratelimit-remaining"), Some("0"));
    assert_eq!(second.header("ratelimit-reset"), Some("60"));

    let refused = h.get("/v1/status").await;
    refused.problem(429, "rate_limited");
    assert_eq!(refused.header("ratelimit-limit"), Some("2"));
    assert_eq!(refused.header("ratelimit-remaining"), Some("0"));
    let retry: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=30).contains(&retry), "Retry-After {retry}");
    let reset: u64 = refused.header("ratelimit-reset").unwrap().parse().unwrap();
    assert!(reset >= retry, "reset {reset} before retry {retry}");
    // Unknown paths and bad keys are charged to the address too.
    h.get("/v1/nothing").await.problem(429, "rate_limited");
    let reply = h.send(Method::GET, "/v1/status", &[("authorization", "Bearer nope")]).await;
    reply.problem(429, "rate_limited");
    // Probes and scrapers behind the same address are neither refused nor charged.
    for path in ["/health/live", "/health/ready", "/metrics"] {
        for _ in 0..5 {
            let reply = h.get(path).await;
            assert_eq!(reply.status, 200, "{path}: {}", reply.body);
            assert_eq!(reply.header("ratelimit-limit"), None, "{path} is not rate limited");
        }
    }

    // A key has its own bucket.
    let writer = format!("Bearer {}", h.writer);
    let reply = h.send(Method::GET, "/v1/status", &[("authorization", &writer)]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("ratelimit-limit"), Some("1000"));
    h.stop().await;
}

#[tokio::test]
async fn keys_are_limited_at_their_own_rate() {
    let h = harness().await;
    let (_, slow) = h.keys.create(&[Scope::TxWrite], "1/h".parse().unwrap(), None).unwrap();
    let slow = format!("Bearer {slow}");
    eventually("the new key is loaded", async || {
        h.send(Method::GET, "/v1/status", &[("authorization", &slow)]).await.status != 401
    })
    .await;
    let reply = submit_as(&h, 0, Some(&slow)).await;
    reply.problem(429, "rate_limited");
    let retry: u64 = reply.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=3600).contains(&retry), "Retry-After {retry}");
    assert_eq!(reply.header("ratelimit-limit"), Some("1"));
    // Other callers are not affected.
    assert_eq!(h.submit(&transfer(0, Address::repeat_byte(2), 1)).await.status, 202);
    let metrics = h.get("/metrics").await.body;
    let refused = metrics
        .lines()
        .find_map(|l| l.strip_prefix("cairn_api_rate_limited_total "))
        .unwrap_or_else(|| panic!("no rate-limit counter in\n{metrics}"));
    assert!(refused.parse::<u64>().unwrap() >= 1);
    h.stop().await;
}
