//! JSON-RPC and the REST API name the same block for `latest`, `safe`, `finalized` and
//! `earliest` on one node: both resolve tags in the node's one reader (`cairn-reads`), on an
//! instantly final dev chain and under an engine whose finality lags the head.

use std::net::SocketAddr;
use std::sync::Arc;

use alloy_primitives::Address;
use axum::http::Method;
use cairn_api::{ApiConfig, AuthConfig, start};
use cairn_consensus::{ConsensusRoles, DevConsensus};
use cairn_node::Node;
use cairn_primitives::ChainSpec;
use cairn_rpc::RpcConfig;
use cairn_storage::MemoryKv;
use serde_json::{Value, json};

use crate::{request, transfer};

/// Both servers of one node; they stop with the test's runtime.
struct Served {
    rpc: SocketAddr,
    rest: SocketAddr,
    _rpc_server: jsonrpsee::server::ServerHandle,
    _api_server: cairn_api::ApiServer,
}

/// A node of `engine` with five blocks (each with a transfer), serving both APIs.
async fn serve(engine: ConsensusRoles) -> Served {
    let node = Arc::new(Node::open(MemoryKv::new(), ChainSpec::dev().unwrap(), engine).unwrap());
    for nonce in 0..5 {
        node.submit_raw(&transfer(nonce, Address::repeat_byte(7), 1)).unwrap();
        node.produce_block().unwrap();
    }
    let rpc = RpcConfig { addr: "127.0.0.1:0".parse().unwrap(), ..RpcConfig::default() };
    let (rpc_addr, rpc_server) = cairn_rpc::start(node.clone(), &rpc).await.unwrap();
    let auth = AuthConfig {
        anonymous_rate: "100000/s".parse().unwrap(),
        anonymous_burst: 100_000.try_into().unwrap(),
        ..AuthConfig::default()
    };
    let api = ApiConfig { addr: "127.0.0.1:0".parse().unwrap(), auth, ..ApiConfig::default() };
    let api_server = start(node.clone(), node, &api).await.unwrap();
    Served {
        rpc: rpc_addr,
        rest: api_server.addr(),
        _rpc_server: rpc_server,
        _api_server: api_server,
    }
}

/// `eth_getBlockByNumber(tag)`'s number and hash.
async fn rpc_block(addr: SocketAddr, tag: &str) -> (u64, String) {
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": "eth_getBlockByNumber", "params": [tag, false] });
    let reply =
        request(addr, Method::POST, "/", Some("application/json"), body.to_string().into()).await;
    let block = &reply.json()["result"];
    let number =
        u64::from_str_radix(block["number"].as_str().unwrap().trim_start_matches("0x"), 16);
    (number.unwrap(), block["hash"].as_str().unwrap().to_string())
}

/// `GET /v1/blocks/{tag}`'s number and hash.
async fn rest_block(addr: SocketAddr, tag: &str) -> (u64, String) {
    let reply = request(addr, Method::GET, &format!("/v1/blocks/{tag}"), None, Vec::new()).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let block: Value = reply.json();
    (block["number"].as_u64().unwrap(), block["hash"].as_str().unwrap().to_string())
}

/// Asks both APIs for each tag and expects the same block, at the heights given.
async fn both_name(engine: ConsensusRoles, expected: [(&str, u64); 4]) {
    let served = serve(engine).await;
    let (rpc, rest) = (served.rpc, served.rest);
    for (tag, number) in expected {
        let from_rpc = rpc_block(rpc, tag).await;
        let from_rest = rest_block(rest, tag).await;
        assert_eq!(from_rpc, from_rest, "{tag}: JSON-RPC and REST disagree");
        assert_eq!(from_rpc.0, number, "{tag}");
    }
    let status: Value = request(rest, Method::GET, "/v1/status", None, Vec::new()).await.json();
    assert_eq!(status["finalized_height"].as_u64(), Some(expected[2].1));
}

#[tokio::test]
async fn both_apis_name_the_same_blocks_on_a_dev_chain() {
    let engine = ConsensusRoles::of(Arc::new(DevConsensus::new(Address::ZERO)));
    both_name(engine, [("latest", 5), ("safe", 5), ("finalized", 5), ("earliest", 0)]).await;
}

#[tokio::test]
async fn both_apis_name_the_same_blocks_when_finality_lags_the_head() {
    let engine = cairn_consensus::test_utils::lagging_roles(Address::ZERO);
    both_name(engine, [("latest", 5), ("safe", 4), ("finalized", 3), ("earliest", 0)]).await;
}
