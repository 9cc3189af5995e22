//! Webhooks survive `kill -9`: a real `cairn dev` delivers every block and finality event to a
//! receiver on loopback that fails some deliveries and checks each signature; the node is
//! killed mid-stream and restarted on the same data directory, and the receiver still gets
//! every event, in block order, with none missing (re-sends of an event share its id).

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::harness::{Node, http, run_ok};

/// How long the test waits for deliveries before giving up (never asserted as a duration).
const PATIENCE: Duration = Duration::from_secs(120);

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    id: String,
    answered: u16,
}

#[derive(Clone, Default)]
struct Receiver {
    secret: Arc<Mutex<String>>,
    seen: Arc<Mutex<Vec<Received>>>,
}

/// Checks `t=<t>,v1=<hex>` against the HMAC-SHA256 of `"<t>.<body>"` keyed with the secret.
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

/// Refuses unsigned or badly signed requests (401), fails the first three signed ones and
/// every seventh after (500), and acknowledges the rest.
async fn receive(
    State(receiver): State<Receiver>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    let secret = receiver.secret.lock().unwrap().clone();
    let signature = headers.get("x-cairn-signature").and_then(|v| v.to_str().ok());
    let id = headers.get("x-cairn-delivery").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let mut seen = receiver.seen.lock().unwrap();
    let answered = if secret.is_empty() || !signature.is_some_and(|s| verify(&secret, s, &body)) {
        401
    } else {
        let signed = seen.iter().filter(|r| r.answered != 401).count();
        if signed < 3 || signed % 7 == 6 { 500 } else { 200 }
    };
    seen.push(Received { id: id.to_string(), answered });
    StatusCode::from_u16(answered).unwrap()
}

impl Receiver {
    fn seen(&self) -> Vec<Received> {
        self.seen.lock().unwrap().clone()
    }

    /// Distinct acknowledged ids, in the order first acknowledged.
    fn acknowledged(&self) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for r in self.seen().into_iter().filter(|r| r.answered == 200) {
            if !ids.contains(&r.id) {
                ids.push(r.id);
            }
        }
        ids
    }

    /// Waits until the acknowledged events reach block `height`.
    fn wait_for_height(&self, webhook: &str, height: u64) {
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            if self.acknowledged().iter().any(|id| place(webhook, id).0 >= height) {
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
        panic!("deliveries never reached block {height}: {:?}", self.seen());
    }
}

/// The height and position a delivery id names.
fn place(webhook: &str, id: &str) -> (u64, u32) {
    let rest = id.strip_prefix(webhook).and_then(|r| r.strip_prefix('-')).expect(id);
    let (height, position) = rest.split_once('-').expect(id);
    (height.parse().unwrap(), position.parse().unwrap())
}

fn api_key(datadir: &Path) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cairn"));
    command.arg("api-keys").arg("--datadir").arg(datadir);
    command.args(["create", "--scopes", "webhooks:write", "--rate", "50/s"]);
    run_ok(&mut command)
}

#[test]
fn every_webhook_event_arrives_once_by_id_across_a_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let datadir = dir.path().join("dev");
    let key = api_key(&datadir);
    // The receiver runs on loopback, which webhooks only reach when the node allows it.
    let fast =
        ["--webhook-retry-base", "20ms", "--webhook-retry-max", "200ms", "--webhook-allow-private"];

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let receiver = Receiver::default();
    let url = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(receiver.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}/hook")
    });

    let mut node = Node::start_cairn_in(&datadir, &fast);
    let body = format!(r#"{{"url":"{url}","events":["block","finalized"],"from_height":1}}"#);
    let bearer = format!("Bearer {key}");
    let headers = [("content-type", "application/json"), ("authorization", bearer.as_str())];
    let (status, answer) = http(&node.api_http(), "POST", "/v1/webhooks", &headers, &body);
    assert_eq!(status, 201, "{answer}");
    let json: serde_json::Value =
        serde_json::from_str(&answer[answer.find("\r\n\r\n").unwrap() + 4..]).unwrap();
    let webhook = json["webhook"]["id"].as_str().unwrap().to_string();
    *receiver.secret.lock().unwrap() = json["secret"].as_str().unwrap().to_string();

    receiver.wait_for_height(&webhook, 4);
    node.kill9();
    let before = receiver.acknowledged();
    let reached = before.iter().map(|id| place(&webhook, id).0).max().unwrap();

    let node = Node::start_cairn_in(&datadir, &fast);
    receiver.wait_for_height(&webhook, reached + 3);
    drop(node);

    let seen = receiver.seen();
    assert!(seen.iter().any(|r| r.answered == 500), "no delivery was retried: {seen:?}");
    let acknowledged = receiver.acknowledged();
    let last = place(&webhook, acknowledged.last().unwrap());
    let expected: Vec<String> = (1..=last.0)
        .flat_map(|height| [(height, 0), (height, 1)])
        .filter(|at| *at <= last)
        .map(|(height, position)| format!("{webhook}-{height}-{position}"))
        .collect();
    assert_eq!(acknowledged, expected, "every event, once each by id, in block order");
    for failed in seen.iter().filter(|r| r.answered != 200) {
        assert!(acknowledged.contains(&failed.id), "{} failed and was never re-sent", failed.id);
    }
}

#[test]
fn private_destinations_need_webhook_allow_private() {
    let dir = tempfile::tempdir().unwrap();
    let datadir = dir.path().join("dev");
    let key = api_key(&datadir);
    let bearer = format!("Bearer {key}");
    let headers = [("content-type", "application/json"), ("authorization", bearer.as_str())];
    let body = r#"{"url":"http://169.254.169.254/latest/meta-data/","events":["block"]}"#;

    let node = Node::start_cairn_in(&datadir, &[]);
    let (status, answer) = http(&node.api_http(), "POST", "/v1/webhooks", &headers, body);
    assert_eq!(status, 400, "{answer}");
    assert!(answer.contains("\"code\":\"webhook_destination_refused\""), "{answer}");
    assert!(answer.contains("169.254.169.254 is a link-local address"), "{answer}");
    assert!(answer.contains("--webhook-allow-private"), "{answer}");
    drop(node);

    let node = Node::start_cairn_in(&datadir, &["--webhook-allow-private"]);
    let (status, answer) = http(&node.api_http(), "POST", "/v1/webhooks", &headers, body);
    assert_eq!(status, 201, "{answer}");
}
