//! A reorg as JSON-RPC clients see it on a proof-of-work chain: the abandoned block's logs
//! come back with `removed: true` on a logs subscription and from a polled log filter,
//! `newHeads` brings the adopted heads, and the abandoned transaction is mined again.

use std::sync::Arc;

use alloy_primitives::{Address, TxKind, U256, hex};
use cairn_consensus::test_utils::solve_work;
use cairn_consensus::{ConsensusRoles, PowConsensus};
use cairn_node::{Imported, Node};
use cairn_primitives::Block;
use cairn_primitives::test_utils::{ManualClock, pow_dev_spec, signed_call};
use cairn_rpc::{RpcConfig, start};
use cairn_storage::MemoryKv;
use jsonrpsee::core::client::{Subscription, SubscriptionClientT};
use jsonrpsee::rpc_params;
use jsonrpsee::ws_client::WsClientBuilder;
use serde_json::{Value, json};

use crate::{COUNTER_BIN, Harness, key, selector};

/// Builds a block of `node`'s pool on its head a second after the last one (far later than
/// the block time, so at the floor difficulty), finds its work and imports it there.
fn mine(node: &Node<MemoryKv>, clock: &ManualClock) -> Block {
    clock.advance(1000);
    let mut block = node.build_candidate(Address::repeat_byte(0xc0)).unwrap().block;
    solve_work(&mut block.header);
    assert!(matches!(node.import_block(block.clone()), Ok(Imported::Extended(_))));
    block
}

async fn next(subscription: &mut Subscription<Value>) -> Value {
    let item = tokio::time::timeout(std::time::Duration::from_secs(10), subscription.next());
    item.await.expect("notification within 10 s").expect("subscription open").unwrap()
}

#[tokio::test]
async fn an_abandoned_blocks_logs_come_back_removed_and_its_transaction_is_mined_again() {
    let spec = pow_dev_spec(64).unwrap();
    let clock = Arc::new(ManualClock::at(spec.timestamp * 1000 + 1000));
    let open = || {
        let roles = ConsensusRoles::of(Arc::new(PowConsensus::new(&spec, Address::ZERO)));
        Arc::new(
            Node::open(MemoryKv::new(), spec.clone(), roles).unwrap().with_clock(clock.clone()),
        )
    };
    let (served, rival) = (open(), open());
    let config = RpcConfig { addr: "127.0.0.1:0".parse().unwrap(), ..RpcConfig::default() };
    let (addr, server) = start(served.clone(), &config).await.unwrap();
    let h = Harness { node: served.clone(), addr, _server: server };

    // Block 1, on both nodes: a Counter.
    let code = hex::decode(COUNTER_BIN.trim()).unwrap();
    let code = [code, U256::ZERO.to_be_bytes::<32>().to_vec()].concat();
    let deploy = signed_call(key(0), 31337, 0, TxKind::Create, code.into(), 1_000_000).unwrap();
    served.submit_raw(&deploy).unwrap();
    let first = mine(&served, &clock);
    assert!(matches!(rival.import_block(first), Ok(Imported::Extended(_))));
    let counter = key(0).address().create(0);

    let ws = WsClientBuilder::default().build(format!("ws://{addr}")).await.unwrap();
    let filter = json!({ "address": counter });
    let mut logs: Subscription<Value> = ws
        .subscribe("eth_subscribe", rpc_params!["logs", filter.clone()], "eth_unsubscribe")
        .await
        .unwrap();
    let mut heads: Subscription<Value> =
        ws.subscribe("eth_subscribe", rpc_params!["newHeads"], "eth_unsubscribe").await.unwrap();
    let polled = h.result("eth_newFilter", json!([filter])).await;

    // Block 2 on the served node only: an increment and its log.
    let increment =
        signed_call(key(0), 31337, 1, TxKind::Call(counter), selector("increment()"), 100_000);
    let tx = h.send(increment.unwrap()).await;
    let abandoned = mine(&served, &clock);
    let log = next(&mut logs).await;
    assert_eq!(
        (log["transactionHash"].as_str(), log["removed"].as_bool()),
        (Some(tx.as_str()), Some(false))
    );
    assert_eq!(next(&mut heads).await["hash"], json!(abandoned.hash()));
    let changes = h.result("eth_getFilterChanges", json!([polled])).await;
    assert_eq!(changes.as_array().unwrap().len(), 1);

    // The rival mines two empty blocks; the second makes its branch the heavier.
    let rival_blocks = [mine(&rival, &clock), mine(&rival, &clock)];
    assert!(matches!(served.import_block(rival_blocks[0].clone()), Ok(Imported::Side(_))));
    assert!(matches!(served.import_block(rival_blocks[1].clone()), Ok(Imported::Reorged(_))));

    let removed = next(&mut logs).await;
    assert_eq!(removed["removed"], json!(true), "{removed}");
    assert_eq!(removed["blockHash"], json!(abandoned.hash()));
    assert_eq!(removed["transactionHash"].as_str(), Some(tx.as_str()));
    // Each block's total difficulty is the floor's times the blocks up to it, genesis too.
    for (block, work) in rival_blocks.iter().zip([192u64, 256]) {
        let head = next(&mut heads).await;
        assert_eq!(head["hash"], json!(block.hash()), "adopted heads in order");
        assert_eq!(head["totalDifficulty"], json!(format!("{work:#x}")));
    }
    let latest = h.result("eth_getBlockByNumber", json!(["latest", false])).await;
    assert_eq!(
        (latest["hash"].clone(), latest["totalDifficulty"].clone()),
        (json!(rival_blocks[1].hash()), json!("0x100"))
    );
    let changes = h.result("eth_getFilterChanges", json!([polled])).await;
    let changes = changes.as_array().unwrap();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(
        (changes[0]["removed"].clone(), changes[0]["blockHash"].clone()),
        (json!(true), json!(abandoned.hash()))
    );
    let receipt = h.call("eth_getTransactionReceipt", json!([tx])).await;
    assert_eq!(receipt["result"], Value::Null, "the abandoned transaction is not in the chain");

    // It is back in the pool: the next block holds it again.
    let again = mine(&served, &clock);
    assert_eq!(again.transactions.len(), 1);
    let log = next(&mut logs).await;
    assert_eq!(
        (log["removed"].clone(), log["blockHash"].clone()),
        (json!(false), json!(again.hash()))
    );
}
