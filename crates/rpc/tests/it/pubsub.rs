//! WebSocket subscriptions on the same port as HTTP.

use std::time::Duration;

use alloy_primitives::Address;
use cairn_node::logs::system_logs_tx_hash;
use cairn_primitives::STAKING_ADDRESS;
use cairn_rpc::RpcConfig;
use jsonrpsee::core::client::{ClientT, Subscription, SubscriptionClientT};
use jsonrpsee::rpc_params;
use jsonrpsee::ws_client::{WsClient, WsClientBuilder};
use serde_json::{Value, json};
use tokio_util::compat::TokioAsyncReadCompatExt;

use crate::logs::staking_log;
use crate::{Harness, harness, harness_with, transfer};

async fn client(h: &Harness) -> WsClient {
    WsClientBuilder::default().build(format!("ws://{}", h.addr)).await.unwrap()
}

async fn next(subscription: &mut Subscription<Value>) -> Value {
    let item = tokio::time::timeout(Duration::from_secs(10), subscription.next()).await;
    item.expect("notification within 10 s").expect("subscription open").unwrap()
}

#[tokio::test]
async fn new_heads_arrive_as_blocks_are_committed() {
    let h = harness().await;
    let ws = client(&h).await;
    let chain_id: String = ws.request("eth_chainId", rpc_params![]).await.unwrap();
    assert_eq!(chain_id, "0x7a69");
    let mut heads: Subscription<Value> =
        ws.subscribe("eth_subscribe", rpc_params!["newHeads"], "eth_unsubscribe").await.unwrap();
    let id = match heads.kind() {
        jsonrpsee::core::client::SubscriptionKind::Subscription(id) => format!("{id:?}"),
        other => panic!("{other:?}"),
    };
    assert!(id.contains("0x"), "geth-style hex id: {id}");
    for expected in ["0x1", "0x2"] {
        let header = h.node.produce_block().unwrap();
        let head = next(&mut heads).await;
        assert_eq!(head["number"], expected);
        assert_eq!(head["hash"], json!(header.hash()));
        assert_eq!(head["milliTimestamp"], format!("{:#x}", header.timestamp_ms));
        assert!(head.get("transactions").is_none());
    }
    heads.unsubscribe().await.unwrap();
}

#[tokio::test]
async fn log_subscriptions_deliver_matching_logs_only() {
    let h = harness().await;
    let counter = h.deploy_counter(0, 0).await;
    let ws = client(&h).await;
    let filter = json!({"address": counter});
    let mut logs: Subscription<Value> = ws
        .subscribe("eth_subscribe", rpc_params!["logs", filter], "eth_unsubscribe")
        .await
        .unwrap();
    let mut elsewhere: Subscription<Value> = ws
        .subscribe(
            "eth_subscribe",
            rpc_params!["logs", json!({"address": Address::ZERO})],
            "eth_unsubscribe",
        )
        .await
        .unwrap();
    let sent = h.increment(counter, 1).await;
    h.node.produce_block().unwrap();
    let log = next(&mut logs).await;
    assert_eq!(log["transactionHash"], sent);
    assert_eq!(log["address"], json!(counter));
    let nothing = tokio::time::timeout(Duration::from_millis(300), elsewhere.next()).await;
    assert!(nothing.is_err(), "a non-matching subscription stays silent");
}

#[tokio::test]
async fn log_subscriptions_deliver_system_logs() {
    let h = harness().await;
    let ws = client(&h).await;
    let filter = json!({"address": STAKING_ADDRESS});
    let mut logs: Subscription<Value> = ws
        .subscribe("eth_subscribe", rpc_params!["logs", filter], "eth_unsubscribe")
        .await
        .unwrap();
    h.result("eth_sendRawTransaction", json!([transfer(0, Address::repeat_byte(7), 1)])).await;
    let header = h.produce_block_with_system_logs(vec![staking_log(5)]);
    let log = next(&mut logs).await;
    assert_eq!(log["address"], json!(STAKING_ADDRESS));
    assert_eq!(log["transactionHash"], json!(system_logs_tx_hash(header.hash())));
    assert_eq!(log["transactionIndex"], "0x1");
    assert_eq!(log["logIndex"], "0x0");
    assert_eq!(log["blockNumber"], "0x1");
}

#[tokio::test]
async fn pending_transactions_are_announced() {
    let h = harness().await;
    let ws = client(&h).await;
    let mut hashes: Subscription<Value> = ws
        .subscribe("eth_subscribe", rpc_params!["newPendingTransactions"], "eth_unsubscribe")
        .await
        .unwrap();
    let mut full: Subscription<Value> = ws
        .subscribe("eth_subscribe", rpc_params!["newPendingTransactions", true], "eth_unsubscribe")
        .await
        .unwrap();
    let sent = h.result("eth_sendRawTransaction", json!([transfer(0, Address::ZERO, 1)])).await;
    assert_eq!(next(&mut hashes).await, sent);
    let tx = next(&mut full).await;
    assert_eq!(tx["hash"], sent);
    assert_eq!(tx["blockNumber"], Value::Null);
}

#[tokio::test]
async fn subscriptions_per_connection_are_bounded_and_bad_kinds_refused() {
    let config = RpcConfig { max_subscriptions_per_connection: 1, ..RpcConfig::default() };
    let h = harness_with(config).await;
    let ws = client(&h).await;
    let _first: Subscription<Value> =
        ws.subscribe("eth_subscribe", rpc_params!["newHeads"], "eth_unsubscribe").await.unwrap();
    let second: Result<Subscription<Value>, _> =
        ws.subscribe("eth_subscribe", rpc_params!["newHeads"], "eth_unsubscribe").await;
    let error = second.unwrap_err().to_string();
    assert!(error.contains("subscription"), "{error}");

    let other = client(&h).await;
    let bad: Result<Subscription<Value>, _> =
        other.subscribe("eth_subscribe", rpc_params!["noSuchKind"], "eth_unsubscribe").await;
    let bad = bad.unwrap_err().to_string();
    assert!(bad.contains("invalid argument 0: unknown variant `noSuchKind`"), "{bad}");
}

#[tokio::test]
async fn oversized_websocket_messages_are_refused() {
    let config = RpcConfig { max_request_body: 4096, ..RpcConfig::default() };
    let h = harness_with(config).await;
    let socket = tokio::net::TcpStream::connect(h.addr).await.unwrap();
    let host = h.addr.to_string();
    let mut handshake = soketto::handshake::Client::new(socket.compat(), &host, "/");
    let accepted = handshake.handshake().await.unwrap();
    assert!(matches!(accepted, soketto::handshake::ServerResponse::Accepted { .. }));
    let (mut sender, mut receiver) = handshake.into_builder().finish();
    let big = crate::hex_bytes(&[7; 4096]);
    let request = json!({"jsonrpc": "2.0", "id": 1, "method": "web3_sha3", "params": [big]});
    sender.send_text(request.to_string()).await.unwrap();
    sender.flush().await.unwrap();
    let mut answer = Vec::new();
    receiver.receive_data(&mut answer).await.unwrap();
    let answer: Value = serde_json::from_slice(&answer).unwrap();
    assert_eq!(answer["error"]["code"], -32007, "{answer}");
}

#[tokio::test]
async fn a_subscriber_that_stops_reading_is_dropped_with_a_notice() {
    let config = RpcConfig { subscription_buffer: 4, ..RpcConfig::default() };
    let h = harness_with(config).await;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let socket = socket.connect(h.addr).await.unwrap();
    let host = h.addr.to_string();
    let mut handshake = soketto::handshake::Client::new(socket.compat(), &host, "/");
    handshake.handshake().await.unwrap();
    let (mut sender, mut receiver) = handshake.into_builder().finish();
    // 32 subscriptions to every head make each block about 20 KiB of notifications, so 400
    // blocks (8 MiB) overflow any socket buffer the kernel allows (4 MiB here at most).
    const SUBSCRIPTIONS: u64 = 32;
    const BLOCKS: u64 = 400;
    for id in 0..SUBSCRIPTIONS {
        let subscribe =
            json!({"jsonrpc": "2.0", "id": id, "method": "eth_subscribe", "params": ["newHeads"]});
        sender.send_text(subscribe.to_string()).await.unwrap();
    }
    sender.flush().await.unwrap();
    let mut frame = Vec::new();
    for _ in 0..SUBSCRIPTIONS {
        frame.clear();
        receiver.receive_data(&mut frame).await.unwrap();
    }

    // Blocks keep coming while the client reads nothing.
    let node = h.node.clone();
    tokio::task::spawn_blocking(move || {
        for _ in 0..BLOCKS {
            node.produce_block().unwrap();
        }
    })
    .await
    .unwrap();

    let mut heads = 0;
    loop {
        frame.clear();
        let read = receiver.receive_data(&mut frame);
        tokio::time::timeout(Duration::from_secs(10), read).await.unwrap().unwrap();
        let message: Value = serde_json::from_slice(&frame).unwrap();
        if let Some(error) = message["params"].get("error") {
            assert!(error.to_string().contains("too slow"), "{message}");
            break;
        }
        heads += 1;
        assert!(heads < SUBSCRIPTIONS * BLOCKS, "no subscription was dropped");
    }
}
