//! Fair limits and strict requests: connection shares per client address (clients bound to
//! different loopback addresses), body deadlines, idle WebSockets, subscriptions over HTTP,
//! ids no answer could carry, and extra positional parameters.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use alloy_primitives::Address;
use cairn_rpc::RpcConfig;
use jsonrpsee::core::client::{ClientT, Subscription, SubscriptionClientT};
use jsonrpsee::rpc_params;
use jsonrpsee::ws_client::WsClientBuilder;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::{harness, harness_with, post, post_raw, transfer};

/// A TCP connection from loopback address `from` (127.0.0.x).
async fn connect_from(from: &str, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    socket.connect(to).await.unwrap()
}

/// One POST on `stream` (closing it after); the status line and the body.
async fn post_on(mut stream: TcpStream, body: &str) -> (String, String) {
    let request = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_string(&mut response));
    read.await.expect("an answer within 10 s").unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_string(), body.to_string())
}

/// A WebSocket (upgraded, then left idle) from loopback address `from`.
async fn websocket_from(from: &str, to: SocketAddr) -> TcpStream {
    let mut stream = connect_from(from, to).await;
    let upgrade = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    stream.write_all(upgrade.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    stream
}

const CHAIN_ID: &str = r#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}"#;

#[tokio::test]
async fn one_address_holding_its_connection_share_leaves_another_served() {
    let config =
        RpcConfig { max_connections: 16, max_connections_per_client: 3, ..RpcConfig::default() };
    let h = harness_with(config).await;
    // 127.0.0.2 holds its share with idle WebSockets, as the issue's client did with 256.
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(websocket_from("127.0.0.2", h.addr).await);
    }
    let (status, body) = post_on(connect_from("127.0.0.2", h.addr).await, CHAIN_ID).await;
    assert!(status.contains("429"), "{status}: {body}");
    let refused: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(refused["error"]["code"], -32005);
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(message.contains("you hold 3, the most one client may hold"), "{message}");

    // Another address is served meanwhile, over HTTP and WebSocket.
    let (status, body) = post_on(connect_from("127.0.0.3", h.addr).await, CHAIN_ID).await;
    assert!(status.contains("200"), "{status}: {body}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["result"], "0x7a69");
    let (status, _) = post_on(connect_from("127.0.0.3", h.addr).await, CHAIN_ID).await;
    assert!(status.contains("200"), "{status}");
}

#[tokio::test]
async fn idle_websockets_are_closed_and_subscribed_ones_kept() {
    let config = RpcConfig { ws_idle_timeout: Duration::from_millis(500), ..RpcConfig::default() };
    let h = harness_with(config).await;
    let url = format!("ws://{}", h.addr);
    let idle = WsClientBuilder::default().build(&url).await.unwrap();
    let subscribed = WsClientBuilder::default().build(&url).await.unwrap();
    let mut heads: Subscription<Value> = subscribed
        .subscribe("eth_subscribe", rpc_params!["newHeads"], "eth_unsubscribe")
        .await
        .unwrap();
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(10), idle.on_disconnect())
        .await
        .expect("the idle connection is closed");
    assert!(started.elapsed() >= Duration::from_millis(400), "{:?}", started.elapsed());
    // Well past the idle limit, the subscribed connection still answers and notifies.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(subscribed.is_connected());
    let chain: String = subscribed.request("eth_chainId", rpc_params![]).await.unwrap();
    assert_eq!(chain, "0x7a69");
    h.node.produce_block().unwrap();
    let head = tokio::time::timeout(Duration::from_secs(10), heads.next()).await.unwrap();
    assert_eq!(head.unwrap().unwrap()["number"], "0x1");
    // Once it unsubscribes and falls silent, it is idle too.
    heads.unsubscribe().await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), subscribed.on_disconnect())
        .await
        .expect("closed once idle");
}

#[tokio::test]
async fn a_trickled_body_is_cut_at_the_body_deadline() {
    let config = RpcConfig { body_timeout: Duration::from_millis(500), ..RpcConfig::default() };
    let h = harness_with(config).await;
    let mut stream = TcpStream::connect(h.addr).await.unwrap();
    let head = "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while started.elapsed() < Duration::from_secs(10) {
        // A byte every 100 ms: a timer per chunk would never fire.
        let _ = stream.write_all(b" ").await;
        match tokio::time::timeout(Duration::from_millis(100), stream.read(&mut buf)).await {
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
    assert!(answer.contains("the request body was not received within 0.5 s"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}

#[tokio::test]
async fn subscriptions_over_http_are_refused_by_name() {
    let h = harness().await;
    let refused = h.call("eth_subscribe", json!(["newHeads"])).await;
    assert_eq!(refused["error"]["code"], -32601, "{refused}");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("notifications not supported"), "{message}");
    assert!(message.contains("WebSocket"), "{message}");
    let refused = h.call("eth_unsubscribe", json!(["0x1"])).await;
    assert_eq!(refused["error"]["code"], -32601, "{refused}");
    let batch = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe", "params": ["newHeads"]},
        {"jsonrpc": "2.0", "id": 2, "method": "eth_chainId", "params": []},
    ]);
    let answers = post(h.addr, &batch.to_string()).await;
    assert_eq!(answers[0]["error"]["code"], -32601, "{answers}");
    assert_eq!(answers[1]["result"], "0x7a69", "{answers}");
}

#[tokio::test]
async fn ids_no_answer_could_carry_are_refused_not_ignored() {
    let h = harness().await;
    for id in ["{}", "{\"a\":1}", "[1]", "1e999999", "-1", "1.5", "true"] {
        let body = format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"eth_chainId","params":[]}}"#);
        let (status, answer) = post_raw(h.addr, &body).await;
        assert!(status.contains("200"), "{id}: {status}");
        let answer: Value = serde_json::from_str(&answer).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(answer["error"]["code"], -32600, "{id}: {answer}");
        assert_eq!(answer["id"], Value::Null);
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains("id must be a string, an unsigned integer or null"), "{message}");
    }
    let batch = format!(r#"[{CHAIN_ID},{{"jsonrpc":"2.0","id":{{}},"method":"eth_chainId"}}]"#);
    let refused = post(h.addr, &batch).await;
    assert_eq!(refused["error"]["code"], -32600, "{refused}");
    assert!(refused["error"]["message"].as_str().unwrap().contains("batch entry 1"));
    // Ids a response can echo still work, and so do notifications (no id, no answer).
    let string_id = post(h.addr, r#"{"jsonrpc":"2.0","id":"x","method":"eth_chainId"}"#).await;
    assert_eq!(string_id["id"], "x");
    let (status, body) = post_raw(h.addr, r#"{"jsonrpc":"2.0","method":"eth_chainId"}"#).await;
    assert!(status.contains("200") && !body.contains("error"), "{status}: {body}");
}

#[tokio::test]
async fn extra_positional_parameters_are_refused_as_geth_does() {
    let h = harness().await;
    let extra = h.call("eth_chainId", json!([1])).await;
    assert_eq!(extra["error"]["code"], -32602, "{extra}");
    assert_eq!(extra["error"]["message"], "too many arguments, want at most 0");
    let extra = h.call("eth_getBalance", json!([Address::ZERO, "latest", "latest"])).await;
    assert_eq!(extra["error"]["message"], "too many arguments, want at most 2");
    let fine = h.call("eth_getBalance", json!([Address::ZERO, "latest"])).await;
    assert_eq!(fine["result"], "0x0", "{fine}");
    let fine = h.call("eth_getBalance", json!([Address::ZERO])).await;
    assert_eq!(fine["result"], "0x0", "a trailing optional may be left out: {fine}");

    // A transaction sent with an extra parameter is refused before it is admitted.
    let sent = h.call("eth_sendRawTransaction", json!([transfer(0, Address::ZERO, 1), 1])).await;
    assert_eq!(sent["error"]["message"], "too many arguments, want at most 1", "{sent}");
    assert_eq!(h.node.pending_count() + h.node.queued_count(), 0, "nothing was admitted");

    let batch = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": ["latest"]},
        {"jsonrpc": "2.0", "id": 2, "method": "eth_blockNumber", "params": []},
    ]);
    let answers = post(h.addr, &batch.to_string()).await;
    assert_eq!(answers[0]["error"]["code"], -32602, "{answers}");
    assert_eq!(answers[1]["result"], "0x0", "{answers}");
}
