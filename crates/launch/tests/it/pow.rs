//! A proof-of-work node started through the node library: its miner's blocks reach JSON-RPC,
//! whose `safe` and `finalized` trail the head by the spec's confirmations; a miner is refused
//! on a chain without work, and the dev engine on a chain with it.

use std::time::Duration;

use alloy_primitives::Address;
use cairn_launch::{EngineSetup, LaunchError, NodeBuilder};
use cairn_primitives::{ChainSpec, ConsensusKind, PowParams};
use cairn_rpc::RpcConfig;
use cairn_storage::MemoryKv;
use serde_json::json;
use tokio::time::Instant;

use crate::support::rpc;

/// A proof-of-work chain aiming at 10 ms blocks from a low floor, so a test mines dozens.
fn pow_spec() -> ChainSpec {
    ChainSpec {
        consensus: ConsensusKind::Pow,
        block_time_ms: 10,
        pow: Some(PowParams { min_difficulty: 16, ..PowParams::default() }),
        ..ChainSpec::dev().unwrap()
    }
}

fn miner() -> EngineSetup {
    EngineSetup::Pow { coinbase: Address::repeat_byte(0xc0), miner_threads: 1, network: None }
}

async fn block_number(http: &reqwest::Client, url: &str, tag: &str) -> u64 {
    let answer = rpc(http, url, "eth_getBlockByNumber", json!([tag, false])).await;
    let number = answer["result"]["number"].as_str().unwrap().trim_start_matches("0x");
    u64::from_str_radix(number, 16).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mining_node_serves_safe_and_final_blocks_behind_its_head() {
    let rpc = RpcConfig { addr: "127.0.0.1:0".parse().unwrap(), ..RpcConfig::default() };
    let node =
        NodeBuilder::new(pow_spec(), MemoryKv::new(), miner()).with_rpc(rpc).start().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while node.node().head().unwrap().number < 20 {
        assert!(Instant::now() < deadline, "mining stalled at {:?}", node.node().head());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let url = format!("http://{}", node.rpc_addr().unwrap());
    let http = reqwest::Client::new();
    let finalized = block_number(&http, &url, "finalized").await;
    let safe = block_number(&http, &url, "safe").await;
    let latest = block_number(&http, &url, "latest").await;
    assert!(finalized + 12 <= latest, "finalized {finalized}, latest {latest}");
    assert!(safe + 6 <= latest && safe >= finalized + 6, "safe {safe}, latest {latest}");
    node.stop(Duration::ZERO).await;
}

#[tokio::test]
async fn only_a_miner_runs_a_chain_with_work_and_a_miner_only_such_a_chain() {
    let dev = ChainSpec::dev().unwrap();
    let mined_dev = NodeBuilder::new(dev, MemoryKv::new(), miner()).start().await;
    assert!(matches!(
        mined_dev,
        Err(LaunchError::EngineMismatch { consensus: ConsensusKind::Dev })
    ));
    let producer =
        EngineSetup::Dev { block_time: Duration::from_secs(3600), beneficiary: Address::ZERO };
    let produced_pow = NodeBuilder::new(pow_spec(), MemoryKv::new(), producer).start().await;
    assert!(matches!(
        produced_pow,
        Err(LaunchError::EngineMismatch { consensus: ConsensusKind::Pow })
    ));
}
