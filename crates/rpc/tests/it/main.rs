//! The JSON-RPC server over real HTTP on loopback, against a node in memory.
#![allow(clippy::unwrap_used, missing_docs)]

use std::net::SocketAddr;
use std::sync::Arc;

use alloy_primitives::Address;
use cairn_consensus::DevConsensus;
use cairn_node::Node;
use cairn_primitives::test_utils::signed_transfer;
use cairn_primitives::{ChainSpec, dev_accounts};
use cairn_rpc::{RpcConfig, start};
use cairn_storage::MemoryKv;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Harness {
    node: Arc<Node<MemoryKv>>,
    addr: SocketAddr,
    _server: jsonrpsee::server::ServerHandle,
}

async fn harness() -> Harness {
    let spec = ChainSpec::dev().unwrap();
    let node = Arc::new(
        Node::open(MemoryKv::new(), spec, Arc::new(DevConsensus::new(Address::ZERO))).unwrap(),
    );
    let config = RpcConfig { addr: "127.0.0.1:0".parse().unwrap(), ..RpcConfig::default() };
    let (addr, server) = start(node.clone(), &config).await.unwrap();
    Harness { node, addr, _server: server }
}

/// Posts a raw body over HTTP/1.1 and returns the parsed JSON response body.
async fn post(addr: SocketAddr, body: &str) -> Value {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let (_, body) = response.split_once("\r\n\r\n").unwrap();
    serde_json::from_str(body).unwrap()
}

async fn call(addr: SocketAddr, method: &str, params: Value) -> Value {
    let request = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    post(addr, &request.to_string()).await
}

fn transfer(nonce: u64, to: Address, value: u64) -> String {
    let key = &dev_accounts(1).unwrap()[0].signer;
    let raw = signed_transfer(key, 31337, nonce, to, value).unwrap();
    format!("0x{}", alloy_primitives::hex::encode(raw))
}

#[tokio::test]
async fn identifies_the_chain() {
    let h = harness().await;
    assert_eq!(call(h.addr, "eth_chainId", json!([])).await["result"], "0x7a69");
    assert_eq!(call(h.addr, "net_version", json!([])).await["result"], "31337");
    assert_eq!(call(h.addr, "eth_blockNumber", json!([])).await["result"], "0x0");
    let version = call(h.addr, "web3_clientVersion", json!([])).await;
    assert!(version["result"].as_str().unwrap().starts_with("cairn/v"));
    assert_eq!(call(h.addr, "eth_accounts", json!([])).await["result"], json!([]));
}

#[tokio::test]
async fn sends_a_transaction_and_reads_balances_now_and_at_earlier_blocks() {
    let h = harness().await;
    let to = Address::repeat_byte(0x55);
    let sent = call(h.addr, "eth_sendRawTransaction", json!([transfer(0, to, 1234)])).await;
    let hash = sent["result"].as_str().unwrap().to_string();
    assert_eq!(hash.len(), 66);
    let sender = dev_accounts(1).unwrap()[0].address;
    let pending = call(h.addr, "eth_getTransactionCount", json!([sender, "pending"])).await;
    assert_eq!(pending["result"], "0x1");
    assert_eq!(
        call(h.addr, "eth_getTransactionCount", json!([sender, "latest"])).await["result"],
        "0x0"
    );

    h.node.produce_block().unwrap();
    assert_eq!(call(h.addr, "eth_blockNumber", json!([])).await["result"], "0x1");
    assert_eq!(call(h.addr, "eth_getBalance", json!([to, "latest"])).await["result"], "0x4d2");
    assert_eq!(call(h.addr, "eth_getBalance", json!([to, "0x0"])).await["result"], "0x0");
    assert_eq!(call(h.addr, "eth_getBalance", json!([to, "earliest"])).await["result"], "0x0");
    assert_eq!(call(h.addr, "eth_getTransactionCount", json!([sender])).await["result"], "0x1");
    assert_eq!(call(h.addr, "eth_getCode", json!([to, "latest"])).await["result"], "0x");
}

#[tokio::test]
async fn errors_carry_the_codes_clients_expect() {
    let h = harness().await;
    let unknown = call(h.addr, "eth_noSuchMethod", json!([])).await;
    assert_eq!(unknown["error"]["code"], -32601);
    let malformed = post(h.addr, "{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": ").await;
    assert_eq!(malformed["error"]["code"], -32700);
    let bad = call(h.addr, "eth_getBalance", json!(["not an address"])).await;
    assert_eq!(bad["error"]["code"], -32602);
    let future = call(h.addr, "eth_getBalance", json!([Address::ZERO, "0x10"])).await;
    assert_eq!(future["error"]["code"], -32602);

    call(h.addr, "eth_sendRawTransaction", json!([transfer(0, Address::ZERO, 1)])).await;
    h.node.produce_block().unwrap();
    let stale =
        call(h.addr, "eth_sendRawTransaction", json!([transfer(0, Address::ZERO, 1)])).await;
    assert_eq!(stale["error"]["code"], -32000);
    assert!(stale["error"]["message"].as_str().unwrap().contains("nonce too low"), "{stale}");
}

#[tokio::test]
async fn batches_answer_every_request() {
    let h = harness().await;
    let batch = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
        {"jsonrpc": "2.0", "id": 2, "method": "eth_blockNumber", "params": []},
    ]);
    let answers = post(h.addr, &batch.to_string()).await;
    let answers = answers.as_array().unwrap();
    assert_eq!(answers.len(), 2);
    assert!(answers.iter().any(|a| a["id"] == 1 && a["result"] == "0x7a69"));
    assert!(answers.iter().any(|a| a["id"] == 2 && a["result"] == "0x0"));
}
