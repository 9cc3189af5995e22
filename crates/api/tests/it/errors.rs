//! Every kind of failure answers with an RFC 9457 problem and a stable code.

use std::sync::Arc;

use alloy_primitives::Address;
use axum::http::Method;
use cairn_api::ApiConfig;
use cairn_consensus::test_utils::DenyList;
use cairn_consensus::{ConsensusRoles, DevConsensus};
use cairn_node::Node;
use cairn_primitives::ChainSpec;
use cairn_storage::MemoryKv;

use crate::{harness, harness_over, harness_with, key, request, transfer};

#[tokio::test]
async fn unknown_paths_and_methods() {
    let h = harness().await;
    h.get("/v1/nothing").await.problem(404, "not_found");
    h.get("/nothing").await.problem(404, "not_found");
    let reply = request(h.addr, Method::DELETE, "/v1/blocks", None, Vec::new()).await;
    reply.problem(405, "method_not_allowed");
    assert_eq!(reply.header("allow"), Some("GET,HEAD"));
    h.post("/v1/status", "application/json", "{}").await.problem(405, "method_not_allowed");
    // Submission lives at /v1/transactions only, not under a transaction's path.
    let hash = format!("0x{}", "ab".repeat(32));
    let reply = h.post(&format!("/v1/transactions/{hash}"), "application/json", "{}").await;
    reply.problem(405, "method_not_allowed");
    assert_eq!(reply.header("allow"), Some("GET,HEAD"));
    let reply = request(h.addr, Method::GET, "/v1/transactions", None, Vec::new()).await;
    reply.problem(405, "method_not_allowed");
    assert_eq!(reply.header("allow"), Some("POST"));
    h.stop().await;
}

#[tokio::test]
async fn missing_resources() {
    let h = harness().await;
    let problem = h.get("/v1/blocks/5").await.problem(404, "block_not_found");
    assert_eq!(problem["detail"], "block 5 not found");
    let unknown = format!("0x{}", "ab".repeat(32));
    h.get(&format!("/v1/blocks/{unknown}")).await.problem(404, "block_not_found");
    h.get("/v1/blocks/5/transactions").await.problem(404, "block_not_found");
    h.get(&format!("/v1/transactions/{unknown}")).await.problem(404, "transaction_not_found");
    let nobody = Address::repeat_byte(1);
    h.get(&format!("/v1/accounts/{nobody}/proof?block=9")).await.problem(404, "block_not_found");
    h.stop().await;
}

#[tokio::test]
async fn bad_path_and_query_parameters() {
    let h = harness().await;
    for path in [
        "/v1/blocks/-1",
        "/v1/blocks/abc",
        "/v1/blocks/0x1234",
        "/v1/blocks/99999999999999999999999",
        "/v1/transactions/0x12",
        "/v1/transactions/latest",
        "/v1/accounts/0xnothex",
        "/v1/accounts/0x01",
        "/v1/accounts/0x01/proof",
    ] {
        h.get(path).await.problem(400, "invalid_path");
    }
    for query in ["limit=0", "limit=101", "limit=abc", "limit=-1", "bogus=1"] {
        h.get(&format!("/v1/blocks?{query}")).await.problem(400, "invalid_query");
    }
    let nobody = Address::repeat_byte(1);
    h.get(&format!("/v1/accounts/{nobody}/proof?block=x")).await.problem(400, "invalid_query");
    for cursor in ["garbage!", "YjpY", &"A".repeat(100)] {
        h.get(&format!("/v1/blocks?cursor={cursor}")).await.problem(400, "invalid_cursor");
    }
    // A cursor from one list is refused by another.
    h.node.produce_block().unwrap();
    let page = h.get_json("/v1/blocks?limit=1").await;
    let cursor = page["next"].as_str().unwrap();
    h.get(&format!("/v1/blocks/0/transactions?cursor={cursor}"))
        .await
        .problem(400, "invalid_cursor");
    h.stop().await;
}

#[tokio::test]
async fn bad_bodies_media_types_and_sizes() {
    let h = harness_with(ApiConfig { max_body: 1024, ..ApiConfig::default() }).await;
    let path = "/v1/transactions";
    h.post(path, "text/plain", r#"{"raw":"0x00"}"#).await.problem(415, "unsupported_media_type");
    h.post(path, "application/json", "{").await.problem(400, "invalid_body");
    h.post(path, "application/json", r#"{"raw":"zz"}"#).await.problem(400, "invalid_body");
    h.post(path, "application/json", r#"{"raw":"0x00","x":1}"#).await.problem(400, "invalid_body");
    let big = format!(r#"{{"raw":"0x{}"}}"#, "00".repeat(1024));
    let problem = h.post(path, "application/json", big).await.problem(413, "body_too_large");
    assert_eq!(problem["detail"], "the request body is larger than 1024 bytes");
    h.stop().await;
}

#[tokio::test]
async fn mempool_refusals_carry_its_reason() {
    let h = harness().await;
    let to = Address::repeat_byte(2);
    let not_a_tx = serde_json::json!({ "raw": "0x0102" }).to_string();
    h.post("/v1/transactions", "application/json", not_a_tx)
        .await
        .problem(400, "invalid_transaction");

    assert_eq!(h.submit(&transfer(0, to, 1)).await.status, 202);
    h.submit(&transfer(0, to, 1)).await.problem(409, "already_known");
    h.node.produce_block().unwrap();
    let problem = h.submit(&transfer(0, to, 2)).await.problem(422, "transaction_rejected");
    assert_eq!(problem["detail"], "nonce too low: next nonce 1, tx nonce 0");
    h.stop().await;
}

#[tokio::test]
async fn requests_beyond_the_concurrency_limit_are_refused_with_retry_after() {
    let h = harness_with(ApiConfig { max_concurrent_requests: 0, ..ApiConfig::default() }).await;
    let reply = h.get("/v1/status").await;
    reply.problem(503, "busy");
    assert_eq!(reply.header("retry-after"), Some("1"));
    h.stop().await;
}

#[tokio::test]
async fn a_body_trickled_past_its_deadline_is_refused_with_408() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let config =
        ApiConfig { body_timeout: std::time::Duration::from_millis(500), ..ApiConfig::default() };
    let h = harness_with(config).await;
    let mut stream = tokio::net::TcpStream::connect(h.addr).await.unwrap();
    let head = format!(
        "POST /v1/transactions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Authorization: Bearer {}\r\nContent-Length: 100000\r\n\r\n",
        h.writer
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = std::time::Instant::now();
    let mut answer = Vec::new();
    let mut buf = [0u8; 2048];
    while started.elapsed() < std::time::Duration::from_secs(10) {
        // A byte every 100 ms: a timer per chunk would never fire.
        let _ = stream.write_all(b" ").await;
        let read =
            tokio::time::timeout(std::time::Duration::from_millis(100), stream.read(&mut buf));
        match read.await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => answer.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
        if answer.ends_with(b"}") {
            break;
        }
    }
    let answer = String::from_utf8(answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains(r#""code":"body_timeout""#), "{answer}");
    assert!(answer.contains("not received within 0.5 s"), "{answer}");
    h.stop().await;
}

#[tokio::test]
async fn a_sender_the_account_rules_refuse_is_forbidden_with_its_address() {
    let sender = key(0).address;
    let dev = ConsensusRoles::of(Arc::new(DevConsensus::new(Address::ZERO)));
    let roles = dev.with_transactions(Arc::new(DenyList::of([sender])));
    let node = Node::open(MemoryKv::new(), ChainSpec::dev().unwrap(), roles).unwrap();
    let h = harness_over(node).await;
    let problem =
        h.submit(&transfer(0, Address::ZERO, 1)).await.problem(403, "account_not_permitted");
    assert_eq!(problem["detail"], format!("account not permitted: {sender}"));
    h.stop().await;
}
