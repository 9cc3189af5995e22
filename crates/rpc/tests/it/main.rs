//! The JSON-RPC server over real HTTP and WebSocket on loopback, against a node in memory.
#![allow(clippy::unwrap_used, missing_docs)]

mod blocks;
mod calls;
mod chain;
mod errors;
mod fees;
mod limits;
mod logs;
mod pubsub;
mod reorg;
mod state;

use std::net::SocketAddr;
use std::sync::Arc;

use alloy_primitives::{Address, Bytes, TxKind, hex};
use cairn_consensus::{ConsensusRoles, DevConsensus};
use cairn_node::Node;
use cairn_primitives::test_utils::{signed_call, signed_transfer};
use cairn_primitives::{ChainSpec, Header, dev_accounts};
use cairn_rpc::{RpcConfig, start};
use cairn_storage::MemoryKv;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Counter.sol (see crates/node/tests/it/contracts), constructor argument appended.
const COUNTER_BIN: &str = include_str!("../../../node/tests/it/contracts/Counter.bin");

pub struct Harness {
    pub node: Arc<Node<MemoryKv>>,
    pub addr: SocketAddr,
    _server: jsonrpsee::server::ServerHandle,
}

pub async fn harness() -> Harness {
    harness_with(RpcConfig::default()).await
}

pub async fn harness_with(config: RpcConfig) -> Harness {
    harness_of(ConsensusRoles::of(Arc::new(DevConsensus::new(Address::ZERO))), config).await
}

/// A server over a dev chain decided by `roles` (a test's account rules).
pub async fn harness_of(roles: ConsensusRoles, config: RpcConfig) -> Harness {
    let spec = ChainSpec::dev().unwrap();
    let node = Arc::new(Node::open(MemoryKv::new(), spec, roles).unwrap());
    let config = RpcConfig { addr: "127.0.0.1:0".parse().unwrap(), ..config };
    let (addr, server) = start(node.clone(), &config).await.unwrap();
    Harness { node, addr, _server: server }
}

impl Harness {
    /// The whole JSON-RPC response.
    pub async fn call(&self, method: &str, params: Value) -> Value {
        let request = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        post(self.addr, &request.to_string()).await
    }

    /// The `result` of a call that must succeed.
    pub async fn result(&self, method: &str, params: Value) -> Value {
        let response = self.call(method, params).await;
        assert!(response.get("error").is_none(), "{method} failed: {response}");
        response["result"].clone()
    }

    /// Sends raw transaction bytes and returns the hash.
    pub async fn send(&self, raw: Vec<u8>) -> String {
        let sent = self.result("eth_sendRawTransaction", json!([hex_bytes(&raw)])).await;
        sent.as_str().unwrap().to_string()
    }

    /// Deploys Counter(start) from dev account 0 at `nonce`, mines it and returns its address.
    pub async fn deploy_counter(&self, nonce: u64, start: u64) -> Address {
        let mut code = hex::decode(COUNTER_BIN.trim()).unwrap();
        code.extend_from_slice(&alloy_primitives::U256::from(start).to_be_bytes::<32>());
        let raw = signed_call(key(0), 31337, nonce, TxKind::Create, code.into(), 1_000_000);
        let hash = self.send(raw.unwrap()).await;
        self.node.produce_block().unwrap();
        let receipt = self.result("eth_getTransactionReceipt", json!([hash])).await;
        assert_eq!(receipt["status"], "0x1");
        receipt["contractAddress"].as_str().unwrap().parse().unwrap()
    }

    /// Commits the next block from the pool carrying `logs` as its protocol calls' logs, in
    /// the store and in its bloom, as a proof-of-stake block's end-of-block calls leave them
    /// (no engine makes protocol calls yet).
    pub fn produce_block_with_system_logs(&self, logs: Vec<alloy_primitives::Log>) -> Header {
        let mut candidate = self.node.build_candidate(Address::ZERO).unwrap();
        for log in &logs {
            candidate.block.header.logs_bloom.accrue_log(log);
        }
        candidate.extras.system_logs = logs;
        self.node.commit_candidate(candidate).unwrap()
    }

    /// Calls `increment()` on a Counter from dev account 0 at `nonce` (not mined).
    pub async fn increment(&self, counter: Address, nonce: u64) -> String {
        let data = selector("increment()");
        let raw = signed_call(key(0), 31337, nonce, TxKind::Call(counter), data, 100_000);
        self.send(raw.unwrap()).await
    }
}

pub fn key(index: usize) -> &'static alloy_signer_local::PrivateKeySigner {
    static ACCOUNTS: std::sync::OnceLock<Vec<cairn_primitives::DevAccount>> =
        std::sync::OnceLock::new();
    &ACCOUNTS.get_or_init(|| dev_accounts(10).unwrap())[index].signer
}

pub fn address(index: usize) -> Address {
    key(index).address()
}

pub fn selector(signature: &str) -> Bytes {
    Bytes::copy_from_slice(&alloy_primitives::keccak256(signature)[..4])
}

pub fn hex_bytes(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// A signed transfer from dev account 0, hex-encoded for `eth_sendRawTransaction`.
pub fn transfer(nonce: u64, to: Address, value: u64) -> String {
    hex_bytes(&signed_transfer(key(0), 31337, nonce, to, value).unwrap())
}

/// Posts a raw body over HTTP/1.1 and returns the parsed JSON response body.
pub async fn post(addr: SocketAddr, body: &str) -> Value {
    let (_, body) = post_raw(addr, body).await;
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// Posts a raw body and returns the status line and the body.
pub async fn post_raw(addr: SocketAddr, body: &str) -> (String, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_string(), body.to_string())
}
