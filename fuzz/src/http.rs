//! The REST and JSON-RPC servers of a node with history, on loopback, and a keep-alive
//! HTTP/1.1 client for each, all on one current-thread Tokio runtime that runs only while a
//! request is in flight (so an input's effects happen within its own execution).
//!
//! Webhook registration makes the node POST to whatever URL an input names, so these targets
//! refuse to start unless the process has no network but loopback (`scripts/fuzz` runs every
//! target in a network namespace of its own).

use std::net::SocketAddr;
use std::sync::Arc;

use alloy_primitives::Address;
use bytes::Bytes;
use cairn_api::{ApiConfig, ApiKeyFile, ApiServer, AuthConfig, Scope};
use cairn_node::Node;
use cairn_rpc::RpcConfig;
use cairn_storage::MemoryKv;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::HeaderMap;
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::runtime::Runtime;

use crate::chain::node_with_history;

/// An answer: status, headers and the whole body.
#[derive(Debug)]
pub struct Reply {
    /// The HTTP status code.
    pub status: u16,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body, read to its end.
    pub body: Bytes,
}

impl Reply {
    /// The media type, without parameters.
    pub fn content_type(&self) -> &str {
        let value = self.headers.get(hyper::header::CONTENT_TYPE);
        let text = value.and_then(|v| v.to_str().ok()).unwrap_or("");
        text.split(';').next().unwrap_or("").trim()
    }
}

/// A request to send: method, path with query, extra headers, body.
pub struct Call<'a> {
    /// The method.
    pub method: Method,
    /// Path and query, already percent-encoded.
    pub target: &'a str,
    /// `Authorization: Bearer` with this token, if any.
    pub bearer: Option<&'a str>,
    /// `Content-Type`, if any.
    pub content_type: Option<&'a str>,
    /// The body.
    pub body: &'a [u8],
}

/// One keep-alive connection to a server, reopened when the server closes it.
struct Client {
    addr: SocketAddr,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Client {
    fn new(addr: SocketAddr) -> Self {
        Self { addr, sender: None }
    }

    async fn connected(&mut self) -> &mut SendRequest<Full<Bytes>> {
        if self.sender.as_ref().is_none_or(SendRequest::is_closed) {
            let stream = TcpStream::connect(self.addr).await.expect("connecting on loopback");
            let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .expect("HTTP/1.1 handshake");
            tokio::spawn(connection);
            self.sender = Some(sender);
        }
        self.sender.as_mut().expect("just connected")
    }

    /// Sends `call` and reads the whole answer; with `head_only`, reads the status and
    /// headers and drops the connection (for streams, whose bodies never end).
    async fn send(&mut self, call: &Call<'_>, head_only: bool) -> Reply {
        // A server may close a keep-alive connection between two requests; one retry on a
        // fresh connection tells that apart from a server that stopped answering.
        let addr = self.addr;
        for _ in 0..2 {
            let sender = self.connected().await;
            if sender.ready().await.is_err() {
                self.sender = None;
                continue;
            }
            let response = match sender.send_request(request(addr, call)).await {
                Ok(response) => response,
                Err(e) if e.is_canceled() || e.is_closed() => {
                    self.sender = None;
                    continue;
                }
                Err(e) => panic!("{} {} failed: {e}", call.method, call.target),
            };
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            if head_only {
                self.sender = None;
                return Reply { status, headers, body: Bytes::new() };
            }
            let body = match response.into_body().collect().await {
                Ok(body) => body.to_bytes(),
                Err(e) => panic!("{} {}: body cut off: {e}", call.method, call.target),
            };
            return Reply { status, headers, body };
        }
        panic!("{} {}: the server closed the connection twice", call.method, call.target)
    }
}

fn request(addr: SocketAddr, call: &Call<'_>) -> Request<Full<Bytes>> {
    let mut builder = Request::builder()
        .method(call.method.clone())
        .uri(call.target)
        .header(hyper::header::HOST, addr.to_string());
    if let Some(token) = call.bearer {
        builder = builder.header(hyper::header::AUTHORIZATION, format!("Bearer {token}"));
    }
    if let Some(content_type) = call.content_type {
        builder = builder.header(hyper::header::CONTENT_TYPE, content_type);
    }
    builder.body(Full::new(Bytes::copy_from_slice(call.body))).expect("a well-formed request")
}

/// A node with history behind both servers.
pub struct Servers {
    runtime: Runtime,
    rest: Client,
    rpc: Client,
    /// A key with every scope.
    pub writer: String,
    /// The node both servers serve.
    pub node: Arc<Node<MemoryKv>>,
    /// The Counter contract deployed in block 1.
    pub counter: Address,
    _api: ApiServer,
    _rpc: jsonrpsee::server::ServerHandle,
    _keys: tempfile::TempDir,
}

impl Servers {
    /// Starts both servers for a fresh node with history (exits when not isolated).
    pub fn start() -> Self {
        require_isolation();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a Tokio runtime");
        let (node, counter) = node_with_history();
        let keys = tempfile::tempdir().expect("a key directory");
        let (_, writer) = ApiKeyFile::in_dir(keys.path())
            .create(&Scope::ALL, "1000000/s".parse().expect("a rate"), None)
            .expect("an API key");
        let (api, rpc, rpc_handle) = runtime.block_on(async {
            let auth = AuthConfig {
                keys_dir: Some(keys.path().to_path_buf()),
                anonymous_rate: "1000000/s".parse().expect("a rate"),
                anonymous_burst: 1_000_000.try_into().expect("non-zero"),
                ..AuthConfig::default()
            };
            let config = ApiConfig { addr: loopback(), auth, ..ApiConfig::default() };
            let api = cairn_api::start(node.clone(), node.clone(), &config)
                .await
                .expect("the REST API");
            let config = RpcConfig { addr: loopback(), ..RpcConfig::default() };
            let (rpc, handle) = cairn_rpc::start(node.clone(), &config).await.expect("JSON-RPC");
            (api, rpc, handle)
        });
        let rest = Client::new(api.addr());
        Self {
            runtime,
            rest,
            rpc: Client::new(rpc),
            writer,
            node,
            counter,
            _api: api,
            _rpc: rpc_handle,
            _keys: keys,
        }
    }

    /// Sends `call` to the REST API.
    pub fn rest(&mut self, call: &Call<'_>) -> Reply {
        let Self { runtime, rest, .. } = self;
        runtime.block_on(rest.send(call, false))
    }

    /// Sends `call` to the REST API and reads only the status and headers.
    pub fn rest_head(&mut self, call: &Call<'_>) -> Reply {
        let Self { runtime, rest, .. } = self;
        runtime.block_on(rest.send(call, true))
    }

    /// POSTs `body` to the JSON-RPC server as `application/json`.
    pub fn rpc(&mut self, body: &[u8]) -> Reply {
        let call = Call {
            method: Method::POST,
            target: "/",
            bearer: None,
            content_type: Some("application/json"),
            body,
        };
        let Self { runtime, rpc, .. } = self;
        runtime.block_on(rpc.send(&call, false))
    }
}

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// Exits unless loopback is the only network interface of this process's network namespace
/// (`/proc/self/net/dev` lists them; `/sys/class/net` shows the namespace sysfs was mounted in).
fn require_isolation() {
    let table = std::fs::read_to_string("/proc/self/net/dev").unwrap_or_default();
    let interfaces: Vec<&str> =
        table.lines().skip(2).filter_map(|line| line.split(':').next()).map(str::trim).collect();
    if interfaces.is_empty() || interfaces.iter().any(|name| *name != "lo") {
        eprintln!(
            "this target makes the node POST to URLs an input names: run it with no network \
             but loopback (scripts/fuzz does, in a network namespace); interfaces: {interfaces:?}"
        );
        std::process::exit(2);
    }
}

/// Percent-encodes every byte outside RFC 3986's unreserved set and `keep`.
pub fn percent_encode(bytes: &[u8], keep: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for &byte in bytes {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) || keep.contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
