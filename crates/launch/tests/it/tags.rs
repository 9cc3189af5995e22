//! JSON-RPC and the REST API of one node name the same block for every tag, because both
//! resolve tags through the one read interface.

use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::Address;
use cairn_api::ApiConfig;
use cairn_consensus::DevConsensus;
use cairn_launch::{EngineSetup, NodeBuilder};
use cairn_node::Node;
use cairn_primitives::ChainSpec;
use cairn_rpc::RpcConfig;
use cairn_storage::MemoryKv;
use serde_json::{Value, json};

use crate::support::rpc;

/// Blocks committed before the node starts, so `latest` and `earliest` differ.
const BLOCKS: u64 = 3;

/// A dev chain of [`BLOCKS`] empty blocks in memory.
fn chain() -> (ChainSpec, MemoryKv) {
    let spec = ChainSpec::dev().unwrap();
    let kv = MemoryKv::new();
    let node =
        Node::open(kv.clone(), spec.clone(), Arc::new(DevConsensus::new(Address::ZERO))).unwrap();
    for _ in 0..BLOCKS {
        node.produce_block().unwrap();
    }
    (spec, kv)
}

async fn rpc_block(http: &reqwest::Client, url: &str, tag: &str) -> Value {
    rpc(http, url, "eth_getBlockByNumber", json!([tag, false])).await["result"].clone()
}

async fn rest_block(http: &reqwest::Client, base: &str, tag: &str) -> (u16, Value) {
    let response = http.get(format!("{base}/v1/blocks/{tag}")).send().await.unwrap();
    let status = response.status().as_u16();
    (status, serde_json::from_str(&response.text().await.unwrap()).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_rpc_and_rest_name_the_same_block_for_every_tag() {
    let (spec, kv) = chain();
    // No empty block comes within the test: the tags stay where the chain is.
    let engine =
        EngineSetup::Dev { block_time: Duration::from_secs(3600), beneficiary: Address::ZERO };
    let loopback = "127.0.0.1:0".parse().unwrap();
    let node = NodeBuilder::new(spec, kv, engine)
        .with_rpc(RpcConfig { addr: loopback, ..RpcConfig::default() })
        .with_api(ApiConfig { addr: loopback, ..ApiConfig::default() })
        .start()
        .await
        .unwrap();
    let rpc = format!("http://{}", node.rpc_addr().unwrap());
    let api = format!("http://{}", node.api_addr().unwrap());
    let http = reqwest::Client::new();

    for (tag, number) in
        [("latest", BLOCKS), ("safe", BLOCKS), ("finalized", BLOCKS), ("earliest", 0)]
    {
        let from_rpc = rpc_block(&http, &rpc, tag).await;
        let (status, from_rest) = rest_block(&http, &api, tag).await;
        assert_eq!(status, 200, "{tag}: {from_rest}");
        assert_eq!(from_rpc["number"], json!(format!("{number:#x}")), "{tag}: {from_rpc}");
        assert_eq!(from_rest["number"], json!(number), "{tag}: {from_rest}");
        assert_eq!(from_rpc["hash"], from_rest["hash"], "{tag}");
        let stored = node.reads().view().unwrap().block(number).unwrap().unwrap().header.hash();
        assert_eq!(from_rest["hash"], json!(stored), "{tag}");
    }

    // `pending` is the block this node would make next: JSON-RPC shows it (no hash yet, as
    // geth), and the REST API, which serves only committed blocks, refuses the tag clearly.
    let pending = rpc_block(&http, &rpc, "pending").await;
    assert_eq!(pending["number"], json!(format!("{:#x}", BLOCKS + 1)), "{pending}");
    assert_eq!(pending["hash"], Value::Null, "{pending}");
    let (status, problem) = rest_block(&http, &api, "pending").await;
    assert_eq!(status, 400, "{problem}");

    node.stop(Duration::from_secs(1)).await;
}
