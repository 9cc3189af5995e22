//! Webhooks: registration and its validation, scopes, listing, removal, and signed deliveries
//! that are retried until acknowledged, recorded, and replayable, against a receiver on
//! loopback.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use cairn_api::{ApiConfig, AuthConfig, Scope, WebhookConfig};
use cairn_node::logs::system_logs_tx_hash;
use cairn_primitives::STAKING_ADDRESS;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::{Harness, Reply, harness, harness_with, key, staking_log, transfer};

/// What the receiver saw: each request's delivery id, status answered, and whether its
/// signature checked out.
#[derive(Debug, Clone)]
struct Received {
    id: String,
    body: Value,
    answered: u16,
    signed: bool,
}

#[derive(Clone, Default)]
struct Receiver {
    /// Requests to fail (500) before accepting.
    fail_first: usize,
    secret: Arc<Mutex<String>>,
    seen: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    fn seen(&self) -> Vec<Received> {
        self.seen.lock().unwrap().clone()
    }

    /// The ids acknowledged, in the order first acknowledged.
    fn acknowledged(&self) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for r in self.seen().into_iter().filter(|r| r.answered == 200) {
            if !ids.contains(&r.id) {
                ids.push(r.id);
            }
        }
        ids
    }
}

/// Checks `t=<t>,v1=<hex>` against the HMAC-SHA256 of `"<t>.<body>"`.
fn verify(secret: &str, header: &str, body: &[u8]) -> bool {
    let Some((t, v1)) = header.split_once(',') else { return false };
    let (Some(t), Some(v1)) = (t.strip_prefix("t="), v1.strip_prefix("v1=")) else {
        return false;
    };
    let Ok(expected) = hex::decode(v1) else { return false };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

async fn receive(
    State(receiver): State<Receiver>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    let secret = receiver.secret.lock().unwrap().clone();
    let signature = headers.get("x-cairn-signature").and_then(|v| v.to_str().ok());
    let signed = signature.is_some_and(|s| verify(&secret, s, &body));
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let id = headers.get("x-cairn-delivery").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert_eq!(json["id"], id, "the header and the body name the same delivery");
    let mut seen = receiver.seen.lock().unwrap();
    let answered = if seen.len() < receiver.fail_first { 500 } else { 200 };
    seen.push(Received { id: id.to_string(), body: json, answered, signed });
    StatusCode::from_u16(answered).unwrap()
}

/// Serves `receiver` on a free loopback port; returns its URL.
async fn serve(receiver: Receiver) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().route("/hook", axum::routing::post(receive)).with_state(receiver);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/hook")
}

async fn as_key(
    h: &Harness,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Reply {
    let authorization = format!("Bearer {token}");
    let mut headers = vec![("authorization", authorization.as_str())];
    let body = match body {
        Some(body) => {
            headers.push(("content-type", "application/json"));
            body.to_string().into_bytes()
        }
        None => Vec::new(),
    };
    crate::send(h.addr, method, path, &headers, body).await
}

async fn register(h: &Harness, body: Value) -> Reply {
    as_key(h, &h.writer, Method::POST, "/v1/webhooks", Some(body)).await
}

/// Polls `check` every 20 ms, for at most a minute.
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..3000 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{what} never happened");
}

fn fast_retries() -> ApiConfig {
    let auth = AuthConfig {
        anonymous_rate: "100000/s".parse().unwrap(),
        anonymous_burst: 100_000.try_into().unwrap(),
        ..AuthConfig::default()
    };
    // The receivers run on loopback, which webhooks only reach when the node allows it.
    let webhooks = WebhookConfig {
        retry_base: Duration::from_millis(5),
        retry_max: Duration::from_millis(50),
        max_webhooks: 3,
        allow_private: true,
        ..WebhookConfig::default()
    };
    ApiConfig { auth, webhooks, ..ApiConfig::default() }
}

#[tokio::test]
async fn webhook_routes_need_the_webhooks_write_scope() {
    let h = harness().await;
    let body = json!({ "url": "http://127.0.0.1:9/hook", "events": ["block"] });
    for (method, path) in [
        (Method::POST, "/v1/webhooks"),
        (Method::GET, "/v1/webhooks"),
        (Method::GET, "/v1/webhooks/00112233445566ff"),
        (Method::DELETE, "/v1/webhooks/00112233445566ff"),
        (Method::GET, "/v1/webhooks/00112233445566ff/deliveries"),
        (Method::POST, "/v1/webhooks/00112233445566ff/deliveries/00112233445566ff-1-0/replay"),
    ] {
        let headers = [("content-type", "application/json")];
        let reply =
            crate::send(h.addr, method.clone(), path, &headers, body.to_string().into()).await;
        reply.problem(401, "missing_api_key");
    }
    let (_, submitter) = h.keys.create(&[Scope::TxWrite], "100/s".parse().unwrap(), None).unwrap();
    let mut forbidden = None;
    for _ in 0..200 {
        let reply = as_key(&h, &submitter, Method::GET, "/v1/webhooks", None).await;
        if reply.status == 403 {
            forbidden = Some(reply);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let reply = forbidden.expect("the new key is loaded");
    reply.problem(403, "insufficient_scope");
    assert!(reply.header("www-authenticate").unwrap().contains(r#"scope="webhooks:write""#));
    let reply = as_key(&h, &submitter, Method::POST, "/v1/webhooks", Some(body)).await;
    reply.problem(403, "insufficient_scope");
    h.stop().await;
}

#[tokio::test]
async fn registrations_are_validated_and_change_nothing_when_refused() {
    let h = harness().await;
    let long = format!("http://example.com/{}", "a".repeat(2100));
    let topic = format!("0x{}", "11".repeat(32));
    for (body, code) in [
        (json!({ "url": "ftp://example.com/x", "events": ["block"] }), "invalid_webhook"),
        (json!({ "url": "not a url", "events": ["block"] }), "invalid_webhook"),
        (json!({ "url": long, "events": ["block"] }), "invalid_webhook"),
        (json!({ "url": "http://user:pw@example.com/", "events": ["block"] }), "invalid_webhook"),
        (json!({ "url": "http://example.com/", "events": [] }), "invalid_webhook"),
        (json!({ "url": "http://example.com/", "events": ["blocks"] }), "invalid_body"),
        (
            json!({ "url": "http://example.com/", "events": ["block"], "topic0": topic }),
            "invalid_webhook",
        ),
        (
            json!({ "url": "http://example.com/", "events": ["log"], "address": "0x12" }),
            "invalid_webhook",
        ),
        (
            json!({ "url": "http://example.com/", "events": ["block"], "from_height": 99 }),
            "invalid_webhook",
        ),
        (
            json!({ "url": "http://example.com/", "events": ["block"], "secret": "x" }),
            "invalid_body",
        ),
        (json!({ "events": ["block"] }), "invalid_body"),
    ] {
        let reply = register(&h, body.clone()).await;
        let problem = reply.problem(400, code);
        assert!(!problem["detail"].as_str().unwrap().is_empty(), "{body}");
    }
    let auth = format!("Bearer {}", h.writer);
    let reply = h
        .send(
            Method::POST,
            "/v1/webhooks",
            &[("authorization", &auth), ("content-type", "text/plain")],
        )
        .await;
    reply.problem(415, "unsupported_media_type");
    let listed = as_key(&h, &h.writer, Method::GET, "/v1/webhooks", None).await;
    assert_eq!(listed.json()["items"], json!([]), "nothing was registered");

    let reply = as_key(&h, &h.writer, Method::GET, "/v1/webhooks/XYZ", None).await;
    reply.problem(400, "invalid_path");
    let reply = as_key(&h, &h.writer, Method::GET, "/v1/webhooks/00112233445566ff", None).await;
    reply.problem(404, "webhook_not_found");
    let reply = as_key(&h, &h.writer, Method::DELETE, "/v1/webhooks/00112233445566ff", None).await;
    reply.problem(404, "webhook_not_found");
    h.stop().await;
}

#[tokio::test]
async fn webhooks_are_listed_by_page_bounded_and_removed() {
    let h = harness_with(fast_retries()).await;
    let mut ids = Vec::new();
    for n in 0..3 {
        let reply = register(
            &h,
            json!({ "url": format!("https://example.com/{n}"), "events": ["finalized"] }),
        )
        .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        let created = reply.json();
        let id = created["webhook"]["id"].as_str().unwrap().to_string();
        assert_eq!(reply.header("location"), Some(format!("/v1/webhooks/{id}").as_str()));
        assert!(created["secret"].as_str().unwrap().starts_with("whsec_"));
        assert_eq!(created["webhook"]["next_height"], 1);
        ids.push(id);
    }
    let reply = register(&h, json!({ "url": "https://example.com/4", "events": ["block"] })).await;
    reply.problem(409, "too_many_webhooks");

    let first = as_key(&h, &h.writer, Method::GET, "/v1/webhooks?limit=2", None).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let page = first.json();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert!(first.header("link").unwrap().contains("rel=\"next\""));
    let cursor = page["next"].as_str().unwrap();
    let second =
        as_key(&h, &h.writer, Method::GET, &format!("/v1/webhooks?limit=2&cursor={cursor}"), None)
            .await;
    let rest = second.json();
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["next"], Value::Null);
    let mut listed: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(rest["items"].as_array().unwrap())
        .map(|w| w["id"].as_str().unwrap().to_string())
        .collect();
    assert!(!first.body.contains("whsec_") && !second.body.contains("whsec_"), "secret shown");
    let path = format!("/v1/webhooks/{}", ids[0]);
    listed.sort();
    ids.sort();
    assert_eq!(listed, ids);

    let one = as_key(&h, &h.writer, Method::GET, &path, None).await;
    assert_eq!(one.json()["url"], "https://example.com/0");
    let removed = as_key(&h, &h.writer, Method::DELETE, &path, None).await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    as_key(&h, &h.writer, Method::GET, &path, None).await.problem(404, "webhook_not_found");
    let reply = register(&h, json!({ "url": "https://example.com/5", "events": ["block"] })).await;
    assert_eq!(reply.status, 201, "room again after a removal: {}", reply.body);
    h.stop().await;
}

#[tokio::test]
async fn deliveries_are_signed_retried_in_order_recorded_and_replayable() {
    let h = harness_with(fast_retries()).await;
    let receiver = Receiver { fail_first: 3, ..Receiver::default() };
    let url = serve(receiver.clone()).await;
    let reply =
        register(&h, json!({ "url": url, "events": ["transaction", "block"], "from_height": 1 }))
            .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let created = reply.json();
    *receiver.secret.lock().unwrap() = created["secret"].as_str().unwrap().to_string();
    let id = created["webhook"]["id"].as_str().unwrap().to_string();

    h.node.produce_block().unwrap();
    h.node.submit_raw(&transfer(0, key(1).address, 5)).unwrap();
    h.node.produce_block().unwrap();
    h.node.produce_block().unwrap();

    // Block 1: its block event; block 2: the transfer, then the block; block 3: the block.
    let expected: Vec<String> =
        ["1-0", "2-0", "2-1", "3-0"].iter().map(|at| format!("{id}-{at}")).collect();
    eventually("every event is acknowledged", || receiver.acknowledged().len() == 4).await;
    assert_eq!(receiver.acknowledged(), expected, "in block order");
    let seen = receiver.seen();
    assert!(seen.iter().all(|r| r.signed), "every signature verifies: {seen:?}");
    let failed: Vec<&Received> = seen.iter().filter(|r| r.answered == 500).collect();
    assert_eq!(failed.len(), 3);
    assert!(failed.iter().all(|r| r.id == expected[0]), "the first event was retried");
    let transfer_event = seen.iter().find(|r| r.id == expected[1]).unwrap();
    assert_eq!(transfer_event.body["type"], "transaction");
    assert_eq!(transfer_event.body["webhook_id"], id.as_str());
    assert_eq!(transfer_event.body["data"]["value"], "5");
    assert_eq!(seen.iter().find(|r| r.id == expected[3]).unwrap().body["data"]["number"], 3);

    let deliveries_path = format!("/v1/webhooks/{id}/deliveries");
    let mut listed = Vec::new();
    let mut path = format!("{deliveries_path}?limit=3");
    loop {
        let reply = as_key(&h, &h.writer, Method::GET, &path, None).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let page = reply.json();
        listed.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next"].as_str() {
            Some(next) => path = format!("{deliveries_path}?limit=3&cursor={next}"),
            None => break,
        }
    }
    let listed_ids: Vec<&str> = listed.iter().map(|d| d["id"].as_str().unwrap()).collect();
    let newest_first: Vec<&str> = expected.iter().rev().map(String::as_str).collect();
    assert_eq!(listed_ids, newest_first);
    assert!(listed.iter().all(|d| d["state"] == "delivered" && d["last_status"] == 200));
    assert_eq!(listed[3]["attempts"], 4, "three failures, then success");

    let replay = format!("{deliveries_path}/{}/replay", expected[0]);
    let reply = as_key(&h, &h.writer, Method::POST, &replay, None).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["attempts"], 5);
    assert_eq!(reply.json()["last_status"], 200);
    let again = receiver.seen();
    assert_eq!(again.last().unwrap().id, expected[0], "the replay carries the same id");
    assert!(again.last().unwrap().signed);

    let unknown = format!("{deliveries_path}/{id}-9-0/replay");
    as_key(&h, &h.writer, Method::POST, &unknown, None).await.problem(404, "delivery_not_found");
    h.stop().await;
}

#[tokio::test]
async fn log_webhooks_receive_system_logs() {
    let h = harness_with(fast_retries()).await;
    let receiver = Receiver::default();
    let url = serve(receiver.clone()).await;
    let body =
        json!({ "url": url, "events": ["log"], "address": STAKING_ADDRESS, "from_height": 1 });
    let reply = register(&h, body).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let id = reply.json()["webhook"]["id"].as_str().unwrap().to_string();

    h.node.submit_raw(&transfer(0, key(1).address, 5)).unwrap();
    let header = h.produce_block_with_system_logs(vec![staking_log(4)]);
    eventually("the system log is delivered", || receiver.acknowledged().len() == 1).await;
    let delivered = &receiver.seen()[0];
    assert_eq!(delivered.id, format!("{id}-1-0"));
    assert_eq!(delivered.body["type"], "log");
    let event = &delivered.body["data"];
    assert_eq!(event["address"], json!(STAKING_ADDRESS));
    assert_eq!(event["transaction_hash"], json!(system_logs_tx_hash(header.hash())));
    assert_eq!(event["transaction_index"], 1);
    h.stop().await;
}

fn strict() -> ApiConfig {
    let webhooks = WebhookConfig { allow_private: false, ..fast_retries().webhooks };
    ApiConfig { webhooks, ..fast_retries() }
}

#[tokio::test]
async fn destinations_inside_the_network_are_refused_unless_allowed() {
    let h = harness_with(ApiConfig {
        webhooks: WebhookConfig { max_webhooks: 100, ..strict().webhooks },
        ..strict()
    })
    .await;
    let own_api = format!("http://{}/v1/status", h.addr);
    for url in [
        "http://127.0.0.1:8080/hook",
        "http://localhost:8080/hook",
        "http://[::1]/hook",
        "http://0.0.0.0/hook",
        "http://2130706433/hook",
        "http://0x7f000001/hook",
        "http://0177.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/",
        "https://10.0.0.8/hook",
        "https://172.16.5.4/hook",
        "https://192.168.1.20/hook",
        "https://100.64.0.1/hook",
        "https://[fd00::1]/hook",
        "https://[fe80::1]/hook",
        own_api.as_str(),
    ] {
        let reply = register(&h, json!({ "url": url, "events": ["block"] })).await;
        let problem = reply.problem(400, "webhook_destination_refused");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains("--webhook-allow-private"), "{url}: {detail}");
        assert!(detail.contains("webhook_allow_private = true"), "{url}: {detail}");
    }
    let reply = register(&h, json!({ "url": "http://2130706433/", "events": ["block"] })).await;
    let detail = reply.json()["detail"].as_str().unwrap().to_string();
    assert!(detail.starts_with("url 127.0.0.1 is a loopback address; "), "{detail}");
    let listed = as_key(&h, &h.writer, Method::GET, "/v1/webhooks", None).await;
    assert_eq!(listed.json()["items"], json!([]), "nothing was registered");
    // A public address is accepted.
    let reply = register(&h, json!({ "url": "https://1.1.1.1/hook", "events": ["block"] })).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    h.stop().await;

    let h = harness_with(fast_retries()).await;
    for url in ["http://127.0.0.1:9/hook", "http://localhost:9/", "http://169.254.169.254/"] {
        let reply = register(&h, json!({ "url": url, "events": ["block"] })).await;
        assert_eq!(reply.status, 201, "{url}: {}", reply.body);
    }
    h.stop().await;
}

/// The deliveries recorded for webhook `id`, once one has failed.
async fn failed_delivery(h: &Harness, id: &str) -> Value {
    let path = format!("/v1/webhooks/{id}/deliveries");
    for _ in 0..500 {
        let reply = as_key(h, &h.writer, Method::GET, &path, None).await;
        let items = reply.json()["items"].clone();
        if items[0]["last_error"].is_string() {
            return items[0].clone();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no failed delivery recorded for {id}");
}

async fn registered(h: &Harness, url: &str) -> String {
    let reply = register(h, json!({ "url": url, "events": ["block"], "from_height": 0 })).await;
    assert_eq!(reply.status, 201, "{url}: {}", reply.body);
    reply.json()["webhook"]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn stored_webhooks_are_checked_again_at_delivery() {
    // Registered while the node allowed private destinations...
    let h = harness_with(fast_retries()).await;
    let receiver = Receiver::default();
    let url = serve(receiver.clone()).await;
    let id = registered(&h, &url).await;
    eventually("the receiver gets block 0", || !receiver.seen().is_empty()).await;
    // ...and delivered by a node that does not: refused, recorded, nothing sent.
    let seen = receiver.seen().len();
    let h = h.restart_with(strict()).await;
    h.node.produce_block().unwrap();
    let delivery = failed_delivery(&h, &id).await;
    let error = delivery["last_error"].as_str().unwrap();
    assert!(error.starts_with("destination refused: 127.0.0.1 is a loopback address"), "{error}");
    assert_eq!(receiver.seen().len(), seen, "nothing reached the receiver");
    h.stop().await;
}

#[tokio::test]
async fn dns_connect_and_tls_failures_are_recorded_with_their_cause() {
    let h = harness_with(fast_retries()).await;
    // `.invalid` never resolves (RFC 2606): accepted, then the lookup failure is recorded.
    let id = registered(&h, "http://cairn-webhook-test.invalid/hook").await;
    let error = failed_delivery(&h, &id).await["last_error"].as_str().unwrap().to_string();
    assert!(error.starts_with("error sending request: "), "{error}");
    assert!(error.contains("dns error") || error.contains("lookup"), "{error}");
    assert!(error.len() > "error sending request".len() + 20, "a cause is named: {error}");

    // Nothing listens on the port.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let id = registered(&h, &format!("http://127.0.0.1:{port}/hook")).await;
    let error = failed_delivery(&h, &id).await["last_error"].as_str().unwrap().to_string();
    assert!(error.contains("Connection refused"), "{error}");

    // A TLS receiver whose certificate no public root signed.
    let url = serve_tls().await;
    let id = registered(&h, &url).await;
    let error = failed_delivery(&h, &id).await["last_error"].as_str().unwrap().to_string();
    assert!(error.contains("certificate"), "{error}");
    assert!(error.contains("UnknownIssuer"), "{error}");
    h.stop().await;
}

/// A TLS receiver on loopback with a self-signed certificate; returns its URL.
async fn serve_tls() -> String {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::try_from(made.key_pair.serialize_der()).unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![made.cert.der().clone()], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move { acceptor.accept(socket).await });
        }
    });
    format!("https://localhost:{}/hook", addr.port())
}
