//! Audit jobs: started in the background, polled to the same result as `cairn verify`.

use axum::http::Method;
use cairn_api::Scope;
use serde_json::Value;

use crate::{Harness, Reply, harness, key, transfer};

/// Sends with `Authorization: Bearer <token>`.
async fn as_key(h: &Harness, token: &str, method: Method, path: &str) -> Reply {
    let authorization = format!("Bearer {token}");
    h.send(method, path, &[("authorization", &authorization)]).await
}

/// Polls the job until it is no longer running.
async fn finished(h: &Harness, token: &str, location: &str) -> Value {
    loop {
        let reply = as_key(h, token, Method::GET, location).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let job = reply.json();
        if job["state"] != "running" {
            return job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn an_audit_runs_in_the_background_and_reports_what_verify_reports() {
    let h = harness().await;
    for nonce in 0..4 {
        h.node.submit_raw(&transfer(nonce, key(1).address, 1)).unwrap();
        h.node.produce_block().unwrap();
    }
    h.node.produce_block().unwrap();

    // The harness's key holds every scope, audit:admin included.
    let token = h.writer.clone();

    let started = as_key(&h, &token, Method::POST, "/v1/audit").await;
    assert_eq!(started.status, 202, "{}", started.body);
    let job = started.json();
    let location = started.header("location").unwrap().to_string();
    assert_eq!(location, format!("/v1/audit/{}", job["id"].as_str().unwrap()));
    assert!(["running", "passed"].contains(&job["state"].as_str().unwrap()));

    let done = finished(&h, &token, &location).await;
    let expected = h.node.verify(&mut |_| {}).unwrap();
    assert_eq!(done["state"], "passed", "{done}");
    assert_eq!(done["checked_blocks"], 5);
    assert_eq!(done["total_blocks"], 5);
    assert_eq!(done["report"]["height"], expected.height);
    assert_eq!(done["report"]["blocks"], expected.blocks);
    assert_eq!(done["report"]["transactions"], 4);
    assert_eq!(done["report"]["state_root"], expected.state_root.to_string());
    assert!(done["failure"].is_null());
    assert!(done["finished_at"].as_u64().unwrap() >= done["started_at"].as_u64().unwrap());

    let again = as_key(&h, &token, Method::POST, "/v1/audit").await;
    assert_eq!(again.status, 202, "a finished audit does not block the next");
    as_key(&h, &token, Method::GET, "/v1/audit/999").await.problem(404, "audit_not_found");
    let missing = as_key(&h, &token, Method::GET, "/v1/audit/not-a-job").await;
    missing.problem(404, "audit_not_found");

    // Jobs are admin resources too: no key is a 401, a key without audit:admin a 403.
    h.send(Method::GET, &location, &[]).await.problem(401, "missing_api_key");
    let (_, submitter) = h.keys.create(&[Scope::TxWrite], "10/s".parse().unwrap(), None).unwrap();
    let reply = loop {
        let reply = as_key(&h, &submitter, Method::GET, &location).await;
        if reply.status != 401 {
            break reply;
        }
        // The server re-reads the key file every second.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    reply.problem(403, "insufficient_scope");
    h.stop().await;
}
