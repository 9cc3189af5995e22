//! `eth_getLogs` and polled filters.

use std::time::Duration;

use alloy_primitives::{Address, B256, Bytes, Log, keccak256};
use cairn_node::logs::system_logs_tx_hash;
use cairn_primitives::STAKING_ADDRESS;
use cairn_rpc::RpcConfig;
use serde_json::{Value, json};

use crate::{Harness, address, harness, harness_with, transfer};

fn incremented() -> B256 {
    keccak256("Incremented(address,uint256)")
}

fn topic_of(who: Address) -> B256 {
    who.into_word()
}

/// A Counter at block 1, incremented once in each of blocks 2 and 3.
async fn counter_with_two_events(h: &Harness) -> Address {
    let counter = h.deploy_counter(0, 0).await;
    for nonce in 1..3 {
        h.increment(counter, nonce).await;
        h.node.produce_block().unwrap();
    }
    counter
}

#[tokio::test]
async fn logs_are_selected_by_address_topics_and_range() {
    let h = harness().await;
    let counter = counter_with_two_events(&h).await;
    let all = h.result("eth_getLogs", json!([{"fromBlock": "0x0", "address": counter}])).await;
    let all = all.as_array().unwrap().clone();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["blockNumber"], "0x2");
    assert_eq!(all[1]["blockNumber"], "0x3");
    assert_eq!(all[0]["topics"][0], json!(incremented()));
    assert_eq!(all[0]["topics"][1], json!(topic_of(address(0))));
    assert_eq!(all[0]["logIndex"], "0x0");
    assert_eq!(all[0]["removed"], false);

    let one_block = json!([{"fromBlock": "0x3", "toBlock": "0x3"}]);
    assert_eq!(h.result("eth_getLogs", one_block).await.as_array().unwrap().len(), 1);
    let by_hash = json!([{"blockHash": all[0]["blockHash"]}]);
    assert_eq!(h.result("eth_getLogs", by_hash).await, json!([all[0]]));

    let either_sender = json!([{
        "fromBlock": "earliest",
        "topics": [incremented(), [topic_of(Address::ZERO), topic_of(address(0))]],
    }]);
    assert_eq!(h.result("eth_getLogs", either_sender).await.as_array().unwrap().len(), 2);
    let other_sender = json!([{"fromBlock": "0x0", "topics": [Value::Null, topic_of(address(1))]}]);
    assert_eq!(h.result("eth_getLogs", other_sender).await, json!([]));
    let other_address = json!([{"fromBlock": "0x0", "address": [Address::ZERO]}]);
    assert_eq!(h.result("eth_getLogs", other_address).await, json!([]));
}

#[tokio::test]
async fn oversized_log_queries_are_refused_with_advice() {
    let config = RpcConfig { max_log_block_range: 2, max_logs: 1, ..RpcConfig::default() };
    let h = harness_with(config).await;
    counter_with_two_events(&h).await;
    let wide = h.call("eth_getLogs", json!([{"fromBlock": "0x0", "toBlock": "0x3"}])).await;
    assert_eq!(wide["error"]["code"], -32005);
    assert!(wide["error"]["message"].as_str().unwrap().contains("smaller range"), "{wide}");
    let many = h.call("eth_getLogs", json!([{"fromBlock": "0x2", "toBlock": "0x3"}])).await;
    assert_eq!(many["error"]["code"], -32005);
    assert!(many["error"]["message"].as_str().unwrap().contains("more than 1"), "{many}");
}

#[tokio::test]
async fn filters_report_what_happened_since_the_last_poll() {
    let h = harness().await;
    let counter = h.deploy_counter(0, 0).await;
    let logs = h.result("eth_newFilter", json!([{"address": counter}])).await;
    let blocks = h.result("eth_newBlockFilter", json!([])).await;
    let pending = h.result("eth_newPendingTransactionFilter", json!([])).await;
    assert!(logs.as_str().unwrap().starts_with("0x"));

    let sent = h.increment(counter, 1).await;
    assert_eq!(h.result("eth_getFilterChanges", json!([pending])).await, json!([sent]));
    assert_eq!(h.result("eth_getFilterChanges", json!([pending])).await, json!([]));
    let header = h.node.produce_block().unwrap();

    let new_blocks = h.result("eth_getFilterChanges", json!([blocks])).await;
    assert_eq!(new_blocks, json!([header.hash()]));
    assert_eq!(h.result("eth_getFilterChanges", json!([blocks])).await, json!([]));
    let new_logs = h.result("eth_getFilterChanges", json!([logs])).await;
    assert_eq!(new_logs.as_array().unwrap().len(), 1);
    assert_eq!(new_logs[0]["transactionHash"], sent);
    assert_eq!(h.result("eth_getFilterChanges", json!([logs])).await, json!([]));
    let everything = h.result("eth_getFilterLogs", json!([logs])).await;
    assert_eq!(everything.as_array().unwrap().len(), 1);

    assert_eq!(h.result("eth_uninstallFilter", json!([logs])).await, true);
    assert_eq!(h.result("eth_uninstallFilter", json!([logs])).await, false);
    let gone = h.call("eth_getFilterChanges", json!([logs])).await;
    assert_eq!(gone["error"]["code"], -32000);
    assert_eq!(gone["error"]["message"], "filter not found");
}

#[tokio::test]
async fn idle_filters_expire() {
    let config = RpcConfig { filter_ttl: Duration::from_secs(1), ..RpcConfig::default() };
    let h = harness_with(config).await;
    let filter = h.result("eth_newBlockFilter", json!([])).await;
    h.result("eth_sendRawTransaction", json!([transfer(0, Address::ZERO, 1)])).await;
    assert_eq!(h.result("eth_getFilterChanges", json!([filter])).await, json!([]));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let expired = h.call("eth_getFilterChanges", json!([filter])).await;
    assert_eq!(expired["error"]["message"], "filter not found");
}

#[tokio::test]
async fn filter_count_is_bounded() {
    let config = RpcConfig { max_filters: 2, ..RpcConfig::default() };
    let h = harness_with(config).await;
    h.result("eth_newBlockFilter", json!([])).await;
    h.result("eth_newBlockFilter", json!([])).await;
    let third = h.call("eth_newBlockFilter", json!([])).await;
    assert_eq!(third["error"]["code"], -32005);
}

/// A log as the staking contract's protocol calls emit it.
pub(crate) fn staking_log(topic: u8) -> Log {
    Log::new_unchecked(STAKING_ADDRESS, vec![B256::repeat_byte(topic)], Bytes::from(vec![topic]))
}

#[tokio::test]
async fn system_logs_are_served_after_the_blocks_transaction_logs() {
    let h = harness().await;
    let counter = h.deploy_counter(0, 0).await;
    let filter = h.result("eth_newFilter", json!([{"address": STAKING_ADDRESS}])).await;
    let sent = h.increment(counter, 1).await;
    let header = h.produce_block_with_system_logs(vec![staking_log(1), staking_log(2)]);
    let synthetic = json!(system_logs_tx_hash(header.hash()));

    let all = h.result("eth_getLogs", json!([{"blockHash": header.hash()}])).await;
    let all = all.as_array().unwrap().clone();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0]["transactionHash"], sent);
    for (i, log) in all[1..].iter().enumerate() {
        assert_eq!(log["address"], json!(STAKING_ADDRESS));
        assert_eq!(log["topics"], json!([B256::repeat_byte(i as u8 + 1)]));
        assert_eq!(log["transactionHash"], synthetic);
        assert_eq!(log["transactionIndex"], "0x1");
        assert_eq!(log["logIndex"], format!("{:#x}", i + 1));
        assert_eq!(log["blockHash"], json!(header.hash()));
        assert_eq!(log["removed"], false);
    }
    let by_address = json!([{"fromBlock": "0x0", "address": STAKING_ADDRESS}]);
    assert_eq!(h.result("eth_getLogs", by_address).await, json!(all[1..]));
    let by_topic = json!([{"fromBlock": "earliest", "topics": [B256::repeat_byte(2)]}]);
    assert_eq!(h.result("eth_getLogs", by_topic).await, json!([all[2]]));
    assert_eq!(h.result("eth_getFilterChanges", json!([filter])).await, json!(all[1..]));

    // No transaction has the synthetic hash.
    assert_eq!(h.result("eth_getTransactionReceipt", json!([synthetic])).await, Value::Null);
    assert_eq!(h.result("eth_getTransactionByHash", json!([synthetic])).await, Value::Null);
}
