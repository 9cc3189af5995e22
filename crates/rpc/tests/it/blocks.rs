//! Blocks, transactions and receipts in Ethereum's JSON shapes.

use alloy_primitives::{Address, TxKind};
use alloy_sol_types::{Revert, SolError};
use cairn_primitives::test_utils::signed_call;
use serde_json::{Value, json};

use crate::{address, harness, hex_bytes, key, selector, transfer};

fn quantity(value: &Value) -> u64 {
    u64::from_str_radix(value.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

#[tokio::test]
async fn a_mined_transfer_is_visible_in_its_block_transaction_and_receipt() {
    let h = harness().await;
    let to = Address::repeat_byte(0x77);
    let raw = transfer(0, to, 5);
    let hash = h.result("eth_sendRawTransaction", json!([raw])).await;

    let pending = h.result("eth_getTransactionByHash", json!([hash])).await;
    assert_eq!(pending["hash"], hash);
    assert_eq!(pending["blockHash"], Value::Null);
    assert_eq!(pending["blockNumber"], Value::Null);
    assert_eq!(h.result("eth_getTransactionReceipt", json!([hash])).await, Value::Null);

    h.node.produce_block().unwrap();
    let block = h.result("eth_getBlockByNumber", json!(["latest", false])).await;
    assert_eq!(block["number"], "0x1");
    assert_eq!(block["transactions"], json!([hash]));
    assert_eq!(block["gasUsed"], "0x5208");
    assert_eq!(block["uncles"], json!([]));
    for field in ["parentHash", "stateRoot", "transactionsRoot", "receiptsRoot", "logsBloom"] {
        assert!(block[field].is_string(), "{field} missing: {block}");
    }
    let genesis = h.result("eth_getBlockByNumber", json!(["earliest", false])).await;
    assert_eq!(block["parentHash"], genesis["hash"]);
    // The time in milliseconds, as BNB Chain's nodes name it; seconds are its whole part.
    let millis = quantity(&block["milliTimestamp"]);
    assert_eq!(quantity(&block["timestamp"]), millis / 1000);
    assert_eq!(genesis["milliTimestamp"], "0x0");

    let by_hash = h.result("eth_getBlockByHash", json!([block["hash"], true])).await;
    assert_eq!(by_hash["hash"], block["hash"]);
    let tx = &by_hash["transactions"][0];
    assert_eq!(tx["hash"], hash);
    assert_eq!(tx["from"].as_str().unwrap().parse::<Address>().unwrap(), address(0));
    assert_eq!(tx["to"].as_str().unwrap().parse::<Address>().unwrap(), to);
    assert_eq!(tx["blockNumber"], "0x1");
    assert_eq!(tx["transactionIndex"], "0x0");
    assert_eq!(tx["type"], "0x2");

    let count = h.result("eth_getBlockTransactionCountByNumber", json!(["0x1"])).await;
    assert_eq!(count, "0x1");
    let count = h.result("eth_getBlockTransactionCountByHash", json!([block["hash"]])).await;
    assert_eq!(count, "0x1");
    assert_eq!(h.result("eth_getUncleCountByBlockNumber", json!(["0x1"])).await, "0x0");

    let included = h.result("eth_getTransactionByHash", json!([hash])).await;
    assert_eq!(included["blockHash"], block["hash"]);
    assert_eq!(included["blockNumber"], "0x1");
    let at = h.result("eth_getTransactionByBlockNumberAndIndex", json!(["0x1", "0x0"])).await;
    assert_eq!(at, included);
    let at = h.result("eth_getTransactionByBlockHashAndIndex", json!([block["hash"], "0x0"])).await;
    assert_eq!(at, included);

    let receipt = h.result("eth_getTransactionReceipt", json!([hash])).await;
    assert_eq!(receipt["status"], "0x1");
    assert_eq!(receipt["gasUsed"], "0x5208");
    assert_eq!(receipt["cumulativeGasUsed"], "0x5208");
    assert_eq!(receipt["blockHash"], block["hash"]);
    assert_eq!(receipt["transactionHash"], hash);
    assert_eq!(receipt["contractAddress"], Value::Null);
    assert_eq!(receipt["type"], "0x2");
    assert!(receipt["effectiveGasPrice"].is_string());
    assert!(receipt.get("revertReason").is_none());
    let receipts = h.result("eth_getBlockReceipts", json!(["0x1"])).await;
    assert_eq!(receipts, json!([receipt]));
}

#[tokio::test]
async fn absent_blocks_and_transactions_are_null() {
    let h = harness().await;
    let missing = "0x1111111111111111111111111111111111111111111111111111111111111111";
    assert_eq!(h.result("eth_getBlockByNumber", json!(["0x5", false])).await, Value::Null);
    assert_eq!(h.result("eth_getBlockByHash", json!([missing, false])).await, Value::Null);
    assert_eq!(h.result("eth_getTransactionByHash", json!([missing])).await, Value::Null);
    assert_eq!(h.result("eth_getTransactionReceipt", json!([missing])).await, Value::Null);
    assert_eq!(h.result("eth_getBlockReceipts", json!(["0x5"])).await, Value::Null);
    let none = h.result("eth_getTransactionByBlockNumberAndIndex", json!(["0x0", "0x0"])).await;
    assert_eq!(none, Value::Null);
    assert_eq!(h.result("eth_getBlockTransactionCountByNumber", json!(["0x9"])).await, Value::Null);
}

#[tokio::test]
async fn a_contract_creation_receipt_names_the_contract() {
    let h = harness().await;
    let counter = h.deploy_counter(0, 7).await;
    assert_eq!(counter, address(0).create(0));
    let code = h.result("eth_getCode", json!([counter, "latest"])).await;
    assert!(code.as_str().unwrap().len() > 100);
    assert_eq!(h.result("eth_getCode", json!([counter, "0x0"])).await, "0x");
}

#[tokio::test]
async fn a_reverted_receipt_carries_its_revert_data() {
    let h = harness().await;
    let counter = h.deploy_counter(0, 7).await;
    let raw = signed_call(key(0), 31337, 1, TxKind::Call(counter), selector("fail()"), 100_000);
    let hash = h.send(raw.unwrap()).await;
    h.node.produce_block().unwrap();
    let receipt = h.result("eth_getTransactionReceipt", json!([hash])).await;
    assert_eq!(receipt["status"], "0x0");
    let expected = Revert::from("counter: failure requested").abi_encode();
    assert_eq!(receipt["revertReason"], hex_bytes(&expected));
}

#[tokio::test]
async fn txpool_shows_ready_and_queued_transactions() {
    let h = harness().await;
    let to = Address::repeat_byte(0x01);
    h.result("eth_sendRawTransaction", json!([transfer(0, to, 1)])).await;
    h.result("eth_sendRawTransaction", json!([transfer(2, to, 1)])).await;
    let status = h.result("txpool_status", json!([])).await;
    assert_eq!(status, json!({"pending": "0x1", "queued": "0x1"}));
    let content = h.result("txpool_content", json!([])).await;
    let sender = format!("{:?}", address(0));
    let pending = content["pending"].as_object().unwrap();
    let (who, txs) = pending.iter().next().unwrap();
    assert_eq!(who.to_lowercase(), sender.to_lowercase());
    assert_eq!(txs["0"]["nonce"], "0x0");
    let queued = content["queued"].as_object().unwrap().values().next().unwrap();
    assert_eq!(queued["2"]["nonce"], "0x2");
}

#[tokio::test]
async fn the_pending_block_is_the_next_one_as_geth_shows_it() {
    let h = harness().await;
    let head = h.node.produce_block().unwrap();
    let to = Address::repeat_byte(0x78);
    let hash = h.result("eth_sendRawTransaction", json!([transfer(0, to, 5)])).await;

    let pending = h.result("eth_getBlockByNumber", json!(["pending", false])).await;
    assert_eq!(quantity(&pending["number"]), head.number + 1, "{pending}");
    assert_eq!(pending["parentHash"], json!(head.hash()));
    for unsettled in ["hash", "nonce", "miner", "totalDifficulty"] {
        assert_eq!(pending[unsettled], Value::Null, "{unsettled}: {pending}");
    }
    assert!(quantity(&pending["timestamp"]) > head.timestamp, "{pending}");
    assert_eq!(quantity(&pending["timestamp"]), quantity(&pending["milliTimestamp"]) / 1000);
    let next_base_fee = cairn_primitives::next_base_fee(&head);
    assert_eq!(quantity(&pending["baseFeePerGas"]), next_base_fee);
    assert_eq!(pending["transactions"], json!([hash]));
    assert_eq!(pending["gasUsed"], "0x5208");

    let full = h.result("eth_getBlockByNumber", json!(["pending", true])).await;
    let tx = &full["transactions"][0];
    assert_eq!(tx["hash"], hash);
    assert_eq!(tx["blockHash"], Value::Null, "a pending block's transactions are pending");
    let count = h.result("eth_getBlockTransactionCountByNumber", json!(["pending"])).await;
    assert_eq!(count, "0x1");
    let at = h.result("eth_getTransactionByBlockNumberAndIndex", json!(["pending", "0x0"])).await;
    assert_eq!(at["hash"], hash);
    assert_eq!(h.result("eth_getUncleCountByBlockNumber", json!(["pending"])).await, "0x0");
    assert_eq!(h.result("eth_getBlockReceipts", json!(["pending"])).await, Value::Null);
    // Nothing was committed by looking.
    assert_eq!(h.node.head().unwrap(), head);
    assert_eq!(h.node.pending_count(), 1);
}
