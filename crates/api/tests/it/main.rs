//! The REST API over real HTTP on loopback, against a node in memory.
#![allow(clippy::unwrap_used, missing_docs)]

mod audit;
mod auth;
mod data;
mod docs;
mod errors;
mod explorer;
mod governance;
mod openapi;
mod operations;
mod pagination;
mod resources;
mod staking;
mod streams;
mod tags;
mod tls;
mod webhooks;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use alloy_primitives::{Address, B256, Log, TxKind, hex};
use axum::http::{HeaderMap, Method, Request};
use cairn_api::{ApiConfig, ApiKeyFile, ApiServer, AuthConfig, Scope, start};
use cairn_consensus::DevConsensus;
use cairn_node::Node;
use cairn_primitives::test_utils::{signed_call, signed_transfer};
use cairn_primitives::{ChainSpec, DevAccount, Header, STAKING_ADDRESS, dev_accounts};
use cairn_storage::MemoryKv;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;

/// Counter.sol (see crates/node/tests/it/contracts), constructor argument appended.
const COUNTER_BIN: &str = include_str!("../../../node/tests/it/contracts/Counter.bin");

pub struct Harness {
    pub node: Arc<Node<MemoryKv>>,
    pub addr: SocketAddr,
    /// The data directory's API keys.
    pub keys: ApiKeyFile,
    /// A key with every scope (1,000/s), which `post` and `submit` send.
    pub writer: String,
    server: Option<ApiServer>,
    _dir: tempfile::TempDir,
}

/// A server whose anonymous rate limit no test reaches by accident.
pub async fn harness() -> Harness {
    let auth = AuthConfig {
        anonymous_rate: "100000/s".parse().unwrap(),
        anonymous_burst: 100_000.try_into().unwrap(),
        ..AuthConfig::default()
    };
    harness_with(ApiConfig { auth, ..ApiConfig::default() }).await
}

/// A server with `config`, its keys in a fresh data directory holding one key with every scope.
pub async fn harness_with(config: ApiConfig) -> Harness {
    let spec = ChainSpec::dev().unwrap();
    let node =
        Node::open(MemoryKv::new(), spec, Arc::new(DevConsensus::new(Address::ZERO))).unwrap();
    serve(node, config).await
}

/// A server as [`harness`] gives, over `node`.
pub async fn harness_over(node: Node<MemoryKv>) -> Harness {
    let auth = AuthConfig {
        anonymous_rate: "100000/s".parse().unwrap(),
        anonymous_burst: 100_000.try_into().unwrap(),
        ..AuthConfig::default()
    };
    serve(node, ApiConfig { auth, ..ApiConfig::default() }).await
}

async fn serve(node: Node<MemoryKv>, config: ApiConfig) -> Harness {
    let node = Arc::new(node);
    let dir = tempfile::tempdir().unwrap();
    let keys = ApiKeyFile::in_dir(dir.path());
    let (_, writer) = keys.create(&Scope::ALL, "1000/s".parse().unwrap(), None).unwrap();
    let auth = AuthConfig { keys_dir: Some(dir.path().to_path_buf()), ..config.auth.clone() };
    let config = ApiConfig { addr: "127.0.0.1:0".parse().unwrap(), auth, ..config };
    let server = start(node.clone(), node.clone(), &config).await.unwrap();
    Harness { node, addr: server.addr(), keys, writer, server: Some(server), _dir: dir }
}

/// An answer: status, headers and the body as text.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// Asserts this is an RFC 9457 problem with `status` and `code`, and returns its body.
    pub fn problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.header("content-type"), Some("application/problem+json"));
        let problem = self.json();
        assert_eq!(problem["status"], status);
        assert_eq!(problem["code"], code);
        assert_eq!(problem["type"], format!("urn:cairn:problem:{code}"));
        assert!(!problem["title"].as_str().unwrap().is_empty());
        assert!(!problem["detail"].as_str().unwrap().is_empty());
        problem
    }
}

impl Harness {
    pub async fn get(&self, path: &str) -> Reply {
        request(self.addr, Method::GET, path, None, Vec::new()).await
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let reply = self.get(path).await;
        assert_eq!(reply.status, 200, "GET {path}: {}", reply.body);
        assert_eq!(reply.header("content-type"), Some("application/json"));
        reply.json()
    }

    /// POSTs with the harness's key.
    pub async fn post(&self, path: &str, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        let auth = format!("Bearer {}", self.writer);
        let headers = [("content-type", content_type), ("authorization", auth.as_str())];
        send(self.addr, Method::POST, path, &headers, body.into()).await
    }

    /// A request with these headers and no body.
    pub async fn send(&self, method: Method, path: &str, headers: &[(&str, &str)]) -> Reply {
        send(self.addr, method, path, headers, Vec::new()).await
    }

    /// Submits raw transaction bytes through `POST /v1/transactions`.
    pub async fn submit(&self, raw: &[u8]) -> Reply {
        let body = serde_json::json!({ "raw": format!("0x{}", hex::encode(raw)) });
        self.post("/v1/transactions", "application/json", body.to_string()).await
    }

    /// Deploys Counter(start) from dev account 0 at `nonce`, mines it and returns its address.
    pub fn deploy_counter(&self, nonce: u64, start: u64) -> Address {
        let mut code = hex::decode(COUNTER_BIN.trim()).unwrap();
        code.extend_from_slice(&alloy_primitives::U256::from(start).to_be_bytes::<32>());
        let raw = signed_call(&key(0).signer, 31337, nonce, TxKind::Create, code.into(), 1_000_000);
        let hash = self.node.submit_raw(&raw.unwrap()).unwrap();
        self.node.produce_block().unwrap();
        self.node.transaction(hash).unwrap().unwrap().receipt.created().unwrap()
    }

    /// Commits the next block from the pool carrying `logs` as its protocol calls' logs, in
    /// the store and in its bloom, as a proof-of-stake block's end-of-block calls leave them
    /// (no engine makes protocol calls yet).
    pub fn produce_block_with_system_logs(&self, logs: Vec<Log>) -> Header {
        let mut candidate = self.node.build_candidate(Address::ZERO).unwrap();
        for log in &logs {
            candidate.block.header.logs_bloom.accrue_log(log);
        }
        candidate.extras.system_logs = logs;
        self.node.commit_candidate(candidate).unwrap()
    }

    /// Stops the server and starts another on the same node and keys, with `config`.
    pub async fn restart_with(mut self, config: ApiConfig) -> Harness {
        if let Some(server) = self.server.take() {
            server.stop(Duration::from_secs(5)).await;
        }
        let auth = AuthConfig { keys_dir: Some(self._dir.path().to_path_buf()), ..config.auth };
        let config = ApiConfig { addr: "127.0.0.1:0".parse().unwrap(), auth, ..config };
        let server = start(self.node.clone(), self.node.clone(), &config).await.unwrap();
        Harness { addr: server.addr(), server: Some(server), ..self }
    }

    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.stop(Duration::from_secs(5)).await;
        }
    }
}

pub fn key(index: usize) -> &'static DevAccount {
    static ACCOUNTS: OnceLock<Vec<DevAccount>> = OnceLock::new();
    &ACCOUNTS.get_or_init(|| dev_accounts(10).unwrap())[index]
}

/// A log as the staking contract's protocol calls emit it.
pub fn staking_log(topic: u8) -> Log {
    Log::new_unchecked(STAKING_ADDRESS, vec![B256::repeat_byte(topic)], vec![topic].into())
}

/// A signed transfer from dev account 0.
pub fn transfer(nonce: u64, to: Address, value: u64) -> Vec<u8> {
    signed_transfer(&key(0).signer, 31337, nonce, to, value).unwrap()
}

/// One HTTP/1.1 request on a fresh connection.
pub async fn request(
    addr: SocketAddr,
    method: Method,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Reply {
    let headers: Vec<(&str, &str)> =
        content_type.map(|c| ("content-type", c)).into_iter().collect();
    send(addr, method, path, &headers, body).await
}

/// One HTTP/1.1 request with these headers on a fresh connection.
pub async fn send(
    addr: SocketAddr,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Reply {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(connection);
    let mut builder = Request::builder().method(method).uri(path).header("host", addr.to_string());
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let response = sender.send_request(builder.body(Full::new(Bytes::from(body))).unwrap()).await;
    let response = response.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Reply { status, headers, body: String::from_utf8(body.to_vec()).unwrap() }
}
