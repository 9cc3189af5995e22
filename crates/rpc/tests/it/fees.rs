//! Fee suggestions and history.

use alloy_primitives::Address;
use serde_json::json;

use crate::{harness, transfer};

fn quantity(value: &serde_json::Value) -> u128 {
    u128::from_str_radix(value.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

#[tokio::test]
async fn suggestions_cover_the_next_base_fee() {
    let h = harness().await;
    let tip = quantity(&h.result("eth_maxPriorityFeePerGas", json!([])).await);
    assert_eq!(tip, 1_000_000_000, "no transactions yet: the default tip");
    let price = quantity(&h.result("eth_gasPrice", json!([])).await);
    let next_base_fee = cairn_primitives::next_base_fee(&h.node.head().unwrap());
    assert_eq!(price, u128::from(next_base_fee) + tip);
}

#[tokio::test]
async fn history_reports_base_fees_ratios_and_rewards() {
    let h = harness().await;
    for nonce in 0..3 {
        h.result("eth_sendRawTransaction", json!([transfer(nonce, Address::ZERO, 1)])).await;
        h.node.produce_block().unwrap();
    }
    let history = h.result("eth_feeHistory", json!(["0x2", "latest", [25.0, 75.0]])).await;
    assert_eq!(history["oldestBlock"], "0x2");
    assert_eq!(history["baseFeePerGas"].as_array().unwrap().len(), 3);
    assert_eq!(history["gasUsedRatio"].as_array().unwrap().len(), 2);
    let rewards = history["reward"].as_array().unwrap();
    assert_eq!(rewards.len(), 2);
    // Every transfer pays a 1 gwei tip.
    assert_eq!(rewards[0], json!(["0x3b9aca00", "0x3b9aca00"]));
    let tip = quantity(&h.result("eth_maxPriorityFeePerGas", json!([])).await);
    assert_eq!(tip, 1_000_000_000);

    let everything = h.result("eth_feeHistory", json!(["0x400", "latest"])).await;
    assert_eq!(everything["oldestBlock"], "0x0");
    assert_eq!(everything["gasUsedRatio"].as_array().unwrap().len(), 4);

    let bad = h.call("eth_feeHistory", json!(["0x2", "latest", [75.0, 25.0]])).await;
    assert_eq!(bad["error"]["code"], -32602);
    let too_many = h.call("eth_feeHistory", json!(["0x401", "latest"])).await;
    assert_eq!(too_many["error"]["code"], -32602);

    // The head is block 3: a range ending past it is refused as geth does, not clamped.
    let future = h.call("eth_feeHistory", json!(["0x2", "0xf4240"])).await;
    assert_eq!(future["error"]["code"], -32000, "{future}");
    assert_eq!(future["error"]["message"], "request beyond head block: requested 1000000, head 3");
    let at_head = h.result("eth_feeHistory", json!(["0x1", "0x3"])).await;
    assert_eq!(at_head["oldestBlock"], "0x3");
}
