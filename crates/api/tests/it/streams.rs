//! `/v1/stream` over WebSocket and SSE: order, kinds, resuming from a cursor without gap or
//! repeat, and dropping a client that stops reading.

use std::net::SocketAddr;
use std::sync::Arc;

use alloy_primitives::{Address, B256, Bytes, TxKind, keccak256};
use cairn_api::ApiConfig;
use cairn_consensus::test_utils::solve_work;
use cairn_consensus::{ConsensusRoles, PowConsensus};
use cairn_node::logs::system_logs_tx_hash;
use cairn_node::{Imported, Node};
use cairn_primitives::Block;
use cairn_primitives::STAKING_ADDRESS;
use cairn_primitives::test_utils::{ManualClock, pow_dev_spec, signed_call};
use cairn_storage::MemoryKv;
use futures_util::StreamExt;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

use crate::{Harness, harness, harness_over, harness_with, key, staking_log, transfer};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn connect(addr: SocketAddr, query: &str) -> Socket {
    connect_async(format!("ws://{addr}/v1/stream{query}")).await.unwrap().0
}

/// The next JSON message (skipping pings).
async fn next(socket: &mut Socket) -> Value {
    loop {
        match socket.next().await.unwrap().unwrap() {
            Message::Text(text) => return serde_json::from_str(&text).unwrap(),
            Message::Close(frame) => panic!("closed: {frame:?}"),
            _ => {}
        }
    }
}

/// Messages up to and including the `block` message of `height`.
async fn until_block(socket: &mut Socket, height: u64) -> Vec<Value> {
    let mut messages = Vec::new();
    loop {
        let message = next(socket).await;
        let done = message["type"] == "block" && message["cursor"] == height;
        messages.push(message);
        if done {
            return messages;
        }
    }
}

fn blocks(messages: &[Value]) -> Vec<u64> {
    messages
        .iter()
        .filter(|m| m["type"] == "block")
        .map(|m| m["data"]["number"].as_u64().unwrap())
        .collect()
}

/// Calls `increment()` on `counter` from dev account 0 and mines it.
fn increment(h: &Harness, nonce: u64, counter: Address) {
    let input = Bytes::from(keccak256("increment()")[..4].to_vec());
    let raw = signed_call(&key(0).signer, 31337, nonce, TxKind::Call(counter), input, 200_000);
    h.node.submit_raw(&raw.unwrap()).unwrap();
    h.node.produce_block().unwrap();
}

#[tokio::test]
async fn a_stream_delivers_system_logs_as_events_before_their_block() {
    let h = harness().await;
    h.node.submit_raw(&transfer(0, Address::repeat_byte(7), 1)).unwrap();
    let header = h.produce_block_with_system_logs(vec![staking_log(3)]);
    let mut socket =
        connect(h.addr, &format!("?from=1&kinds=events&address={STAKING_ADDRESS}")).await;
    let messages = until_block(&mut socket, 1).await;
    assert_eq!(messages.len(), 2, "{messages:?}");
    let event = &messages[0];
    assert_eq!(event["type"], "event");
    assert_eq!(
        event["data"]["address"].as_str().unwrap().parse::<Address>().unwrap(),
        STAKING_ADDRESS
    );
    let hash = event["data"]["transaction_hash"].as_str().unwrap().parse::<B256>().unwrap();
    assert_eq!(hash, system_logs_tx_hash(header.hash()));
    assert_eq!(event["data"]["transaction_index"], 1);
    assert_eq!(event["data"]["log_index"], 0);
    socket.close(None).await.unwrap();
}

#[tokio::test]
async fn a_websocket_resumes_from_a_cursor_without_gap_or_repeat() {
    let h = harness().await;
    let counter = h.deploy_counter(0, 0);
    increment(&h, 1, counter);
    increment(&h, 2, counter);
    let query = format!("?from=1&kinds=events&address={counter}");

    let mut socket = connect(h.addr, &query).await;
    let mut seen = until_block(&mut socket, 3).await;
    increment(&h, 3, counter);
    seen.extend(until_block(&mut socket, 4).await);
    socket.close(None).await.unwrap();

    // Disconnected while blocks 5 and 6 arrive; resume after the last block message seen.
    increment(&h, 4, counter);
    increment(&h, 5, counter);
    let resume = seen.iter().rev().find(|m| m["type"] == "block").unwrap()["cursor"].as_u64();
    let query = format!("?from={}&kinds=events&address={counter}", resume.unwrap() + 1);
    let mut socket = connect(h.addr, &query).await;
    seen.extend(until_block(&mut socket, 6).await);
    increment(&h, 6, counter);
    seen.extend(until_block(&mut socket, 7).await);

    assert_eq!(blocks(&seen), (1..=7).collect::<Vec<_>>(), "every block once, in order");
    assert!(seen.iter().all(|m| m["type"] == "block" || m["type"] == "event"), "kinds");
    let events: Vec<(u64, u64)> = seen
        .iter()
        .filter(|m| m["type"] == "event")
        .map(|m| (m["cursor"].as_u64().unwrap(), m["data"]["block_number"].as_u64().unwrap()))
        .collect();
    assert_eq!(events, (2..=7).map(|n| (n, n)).collect::<Vec<_>>(), "one event per increment");
    for (i, message) in seen.iter().enumerate() {
        if message["type"] == "event" {
            let block = &seen[i + 1];
            assert_eq!(block["type"], "block", "a block's events come just before it");
            assert_eq!(block["cursor"], message["cursor"]);
        }
    }
    h.stop().await;
}

#[tokio::test]
async fn live_messages_carry_pending_transactions_blocks_and_finality() {
    let h = harness().await;
    h.node.produce_block().unwrap();
    let mut socket = connect(h.addr, "").await;
    // The stream starts after the current head: subscribe, then act.
    let hash = h.node.submit_raw(&transfer(0, key(1).address, 7)).unwrap();
    let pending = next(&mut socket).await;
    assert_eq!(pending["type"], "transaction");
    assert_eq!(pending["cursor"], 1);
    assert_eq!(pending["data"]["hash"], hash.to_string());
    assert_eq!(pending["data"]["status"], "pending");

    h.node.produce_block().unwrap();
    let block = next(&mut socket).await;
    assert_eq!((block["type"].as_str(), block["cursor"].as_u64()), (Some("block"), Some(2)));
    assert_eq!(block["data"]["transaction_count"], 1);
    let finalized = next(&mut socket).await;
    assert_eq!(finalized["type"], "finalized");
    assert_eq!(finalized["data"]["number"], 2);
    assert_eq!(finalized["data"]["hash"], block["data"]["hash"]);
    h.stop().await;
}

/// Opens an SSE stream and returns its body.
async fn sse(addr: SocketAddr, path: &str, last_event_id: Option<&str>) -> (u16, Incoming) {
    let stream = TcpStream::connect(addr).await.unwrap();
    sse_on(stream, addr, path, &[("last-event-id", last_event_id)]).await
}

/// Opens an SSE stream on `stream` with these headers (`None` values left out).
async fn sse_on(
    stream: TcpStream,
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, Option<&str>)],
) -> (u16, Incoming) {
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await.unwrap();
    tokio::spawn(connection);
    let mut request = axum::http::Request::builder()
        .uri(path)
        .header("host", addr.to_string())
        .header("accept", "text/event-stream");
    for (name, value) in headers {
        if let Some(value) = value {
            request = request.header(*name, *value);
        }
    }
    let request = request.body(http_body_util::Empty::<hyper::body::Bytes>::new()).unwrap();
    let response = sender.send_request(request).await.unwrap();
    (response.status().as_u16(), response.into_body())
}

/// An SSE stream from loopback address `from` (127.0.0.x), with an API key if given: the
/// status, and the body (a problem, or the open stream to hold).
async fn sse_from(from: &str, addr: SocketAddr, key: Option<&str>) -> (u16, Incoming) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    let stream = socket.connect(addr).await.unwrap();
    let authorization = key.map(|key| format!("Bearer {key}"));
    sse_on(stream, addr, "/v1/stream", &[("authorization", authorization.as_deref())]).await
}

/// The problem document of a refused stream.
async fn problem(body: Incoming) -> Value {
    serde_json::from_slice(&body.collect().await.unwrap().to_bytes()).unwrap()
}

/// Everything logged on this thread (a current-thread runtime runs the server here too).
#[derive(Clone, Default)]
struct Logged(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Logged {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Reads SSE events (`event`, `id`, parsed `data`) until `stop` accepts one.
async fn read_events(
    body: &mut Incoming,
    buffer: &mut String,
    stop: impl Fn(&str, &Value) -> bool,
) -> Vec<(String, Option<String>, Value)> {
    let mut events = Vec::new();
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let (mut name, mut id, mut data) = (String::new(), None, None);
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event: ").or(line.strip_prefix("event:")) {
                    name = v.to_string();
                } else if let Some(v) = line.strip_prefix("id: ").or(line.strip_prefix("id:")) {
                    id = Some(v.to_string());
                } else if let Some(v) = line.strip_prefix("data: ").or(line.strip_prefix("data:")) {
                    data = Some(serde_json::from_str::<Value>(v).unwrap());
                }
            }
            let Some(data) = data else { continue };
            let done = stop(&name, &data);
            events.push((name, id, data));
            if done {
                return events;
            }
        }
        let frame = body.frame().await.unwrap().unwrap();
        if let Ok(bytes) = frame.into_data() {
            buffer.push_str(std::str::from_utf8(&bytes).unwrap());
        }
    }
}

#[tokio::test]
async fn server_sent_events_carry_the_same_messages_and_resume_with_last_event_id() {
    let h = harness().await;
    for _ in 0..3 {
        h.node.produce_block().unwrap();
    }
    let (status, mut body) = sse(h.addr, "/v1/stream?from=2&kinds=finalized", None).await;
    assert_eq!(status, 200);
    let mut buffer = String::new();
    let events = read_events(&mut body, &mut buffer, |name, data| {
        name == "finalized" && data["cursor"] == 3
    })
    .await;
    let names: Vec<&str> = events.iter().map(|(name, ..)| name.as_str()).collect();
    assert_eq!(names, ["block", "finalized", "block", "finalized"]);
    let (_, id, block) = &events[2];
    assert_eq!(block["type"], "block");
    assert_eq!(block["cursor"], 3);
    assert_eq!(id.as_deref(), Some("4"), "the id is where to resume");
    drop(body);

    h.node.produce_block().unwrap();
    let (_, mut body) = sse(h.addr, "/v1/stream?kinds=", Some("4")).await;
    let mut buffer = String::new();
    let events = read_events(&mut body, &mut buffer, |name, _| name == "block").await;
    assert_eq!(events[0].2["cursor"], 4, "resumed at Last-Event-ID");
    h.stop().await;
}

#[tokio::test]
async fn a_client_that_stops_reading_is_closed_with_where_to_resume() {
    let config = ApiConfig {
        stream_buffer: 2,
        stream_stall: std::time::Duration::from_millis(100),
        ..ApiConfig::default()
    };
    let h = harness_with(config).await;
    let mut socket = connect(h.addr, "?kinds=transactions").await;
    // Pending transactions with 100 KB of call data each: far more than the socket buffers
    // hold while the client is not reading.
    for (signer, nonce) in (0..2).flat_map(|s| (0..50).map(move |n| (s, n))) {
        let input = Bytes::from(vec![0u8; 100_000]);
        let to = TxKind::Call(Address::repeat_byte(1));
        let raw = signed_call(&key(signer).signer, 31337, nonce, to, input, 1_000_000).unwrap();
        h.node.submit_raw(&raw).unwrap();
    }
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let mut received = 0;
    let frame = loop {
        match socket.next().await.unwrap().unwrap() {
            Message::Text(_) => received += 1,
            Message::Close(frame) => break frame.unwrap(),
            _ => {}
        }
    };
    assert!(received < 100, "dropped before every transaction was sent");
    assert_eq!(u16::from(frame.code), 1008);
    assert!(frame.reason.contains("too slow") && frame.reason.contains("?from=1"), "{frame:?}");
    h.stop().await;
}

#[tokio::test]
async fn a_stream_needs_a_websocket_or_sse_and_a_valid_query() {
    let h = harness().await;
    h.get("/v1/stream").await.problem(406, "not_acceptable");
    let (status, _) = sse(h.addr, "/v1/stream?kinds=blocks,gossip", None).await;
    assert_eq!(status, 400);
    let (status, _) = sse(h.addr, "/v1/stream?topic0=0x12", None).await;
    assert_eq!(status, 400);
    let (status, _) = sse(h.addr, "/v1/stream", Some("later")).await;
    assert_eq!(status, 400);
    h.stop().await;
}

#[tokio::test]
async fn one_client_holding_its_stream_share_leaves_others_served() {
    let logged = Logged::default();
    let writer = logged.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _logging = tracing::subscriber::set_default(subscriber);
    let config = ApiConfig { max_streams: 4, max_streams_per_client: 2, ..ApiConfig::default() };
    let h = harness_with(config).await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let (status, body) = sse_from("127.0.0.2", h.addr, None).await;
        assert_eq!(status, 200);
        held.push(body);
    }
    let (status, body) = sse_from("127.0.0.2", h.addr, None).await;
    assert_eq!(status, 429, "127.0.0.2 holds its share");
    let refused = problem(body).await;
    assert_eq!(refused["code"], "too_many_streams");
    let detail = refused["detail"].as_str().unwrap();
    assert!(detail.contains("holds 2 open streams, the most one client"), "{detail}");
    // Another address, and a key from the same address (a key has its own share), are served.
    let (status, body) = sse_from("127.0.0.3", h.addr, None).await;
    assert_eq!(status, 200, "another address is served");
    held.push(body);
    let (status, body) = sse_from("127.0.0.2", h.addr, Some(&h.writer)).await;
    assert_eq!(status, 200, "a key is counted apart from its address");
    held.push(body);
    // Every slot is taken now: the global limit answers busy.
    let (status, body) = sse_from("127.0.0.4", h.addr, None).await;
    assert_eq!(status, 503);
    assert_eq!(problem(body).await["code"], "busy");

    let logged = String::from_utf8(logged.0.lock().unwrap().clone()).unwrap();
    assert!(logged.contains("status=429") && logged.contains("status=503"), "{logged}");
    assert!(!logged.contains("ERROR"), "a refused stream is not an error:\n{logged}");
    drop(held);
    h.stop().await;
}

#[tokio::test]
async fn streams_beyond_the_limit_are_refused_until_one_ends() {
    let h = harness_with(ApiConfig { max_streams: 1, ..ApiConfig::default() }).await;
    let first = connect(h.addr, "").await;
    let (status, _) = sse_from("127.0.0.5", h.addr, None).await;
    assert_eq!(status, 503, "one stream is open");
    drop(first);
    // The first stream's permit returns once its feed notices the client left.
    loop {
        let (status, body) = sse_from("127.0.0.5", h.addr, None).await;
        if status == 200 {
            drop(body);
            break;
        }
        assert_eq!(status, 503);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    h.stop().await;
}

/// A block of `node`'s pool on its head, mined a second after the last one (at the floor
/// difficulty) and imported there.
fn mine_pow(node: &Node<MemoryKv>, clock: &ManualClock) -> Block {
    clock.advance(1000);
    let mut block = node.build_candidate(Address::repeat_byte(0xc0)).unwrap().block;
    solve_work(&mut block.header);
    assert!(matches!(node.import_block(block.clone()), Ok(Imported::Extended(_))));
    block
}

fn block_ref(block: &Block) -> Value {
    serde_json::json!({
        "number": block.header.number,
        "hash": block.hash(),
        "timestamp": block.header.timestamp,
    })
}

#[tokio::test]
async fn a_reorg_is_announced_and_a_stream_resumed_on_an_abandoned_block_is_told() {
    let spec = pow_dev_spec(64).unwrap();
    let clock = Arc::new(ManualClock::at(spec.timestamp * 1000 + 1000));
    let open = || {
        let roles = ConsensusRoles::of(Arc::new(PowConsensus::new(&spec, Address::ZERO)));
        Node::open(MemoryKv::new(), spec.clone(), roles).unwrap().with_clock(clock.clone())
    };
    let h = harness_over(open()).await;
    let rival = open();
    let first = mine_pow(&h.node, &clock);
    assert!(matches!(rival.import_block(first.clone()), Ok(Imported::Extended(_))));
    let mut socket = connect(h.addr, "?from=1&kinds=blocks").await;
    assert_eq!(next(&mut socket).await["data"]["hash"], serde_json::json!(first.hash()));
    let abandoned = mine_pow(&h.node, &clock);
    assert_eq!(next(&mut socket).await["data"]["hash"], serde_json::json!(abandoned.hash()));

    let branch = [mine_pow(&rival, &clock), mine_pow(&rival, &clock)];
    for block in &branch {
        h.node.import_block(block.clone()).unwrap();
    }
    let reorg = next(&mut socket).await;
    assert_eq!(reorg["type"], "reorg", "{reorg}");
    assert_eq!(reorg["cursor"], 1);
    assert_eq!(reorg["data"]["ancestor"], block_ref(&first));
    assert_eq!(reorg["data"]["abandoned"], serde_json::json!([block_ref(&abandoned)]));
    for block in &branch {
        let message = next(&mut socket).await;
        assert_eq!(
            (message["type"].clone(), message["data"]["hash"].clone()),
            ("block".into(), serde_json::json!(block.hash()))
        );
    }

    // A client that saw the abandoned block and resumes after it is told, then served the
    // new branch from where the branches part.
    let mut resumed =
        connect(h.addr, &format!("?from=3&hash={}&kinds=blocks", abandoned.hash())).await;
    let reorg = next(&mut resumed).await;
    assert_eq!(
        (reorg["type"].clone(), reorg["data"]["abandoned"].clone()),
        ("reorg".into(), serde_json::json!([block_ref(&abandoned)]))
    );
    assert_eq!(blocks(&until_block(&mut resumed, 3).await), [2, 3]);
    // One that saw the canonical block resumes without one.
    let mut current =
        connect(h.addr, &format!("?from=3&hash={}&kinds=blocks", branch[0].hash())).await;
    assert_eq!(blocks(&until_block(&mut current, 3).await), [3]);
}
