//! Simulated calls, gas estimates and access lists.

use alloy_primitives::Address;
use serde_json::{Value, json};

use crate::{address, harness, selector};

fn word(n: u64) -> String {
    format!("0x{n:064x}")
}

#[tokio::test]
async fn calls_read_any_block_and_honour_state_overrides() {
    let h = harness().await;
    let counter = h.deploy_counter(0, 7).await;
    h.increment(counter, 1).await;
    h.node.produce_block().unwrap();
    let count = json!({"to": counter, "data": selector("count()")});
    assert_eq!(h.result("eth_call", json!([count, "latest"])).await, word(8));
    assert_eq!(h.result("eth_call", json!([count, "0x1"])).await, word(7));
    assert_eq!(h.result("eth_call", json!([count])).await, word(8));
    let overrides = json!({ counter.to_string(): {"stateDiff": {word(0): word(42)}} });
    assert_eq!(h.result("eth_call", json!([count, "latest", overrides])).await, word(42));
    let input = json!({"to": counter, "input": selector("count()")});
    assert_eq!(h.result("eth_call", json!([input, "latest"])).await, word(8));
    let missing = h.call("eth_call", json!([count, "0x99"])).await;
    assert_eq!(missing["error"]["message"], "header not found");
}

#[tokio::test]
async fn reverts_come_back_as_error_3_with_the_reason_and_data() {
    let h = harness().await;
    let counter = h.deploy_counter(0, 0).await;
    let fail = json!({"from": address(0), "to": counter, "data": selector("fail()")});
    for method in ["eth_call", "eth_estimateGas"] {
        let answer = h.call(method, json!([fail, "latest"])).await;
        assert_eq!(answer["error"]["code"], 3, "{method}: {answer}");
        assert_eq!(answer["error"]["message"], "execution reverted: counter: failure requested");
        let data = answer["error"]["data"].as_str().unwrap();
        assert!(data.starts_with("0x08c379a0"), "Error(string) selector: {data}");
    }
}

#[tokio::test]
async fn estimates_are_exact_and_access_lists_name_touched_slots() {
    let h = harness().await;
    let counter = h.deploy_counter(0, 0).await;
    let transfer = json!({"from": address(0), "to": Address::repeat_byte(3), "value": "0x1"});
    assert_eq!(h.result("eth_estimateGas", json!([transfer])).await, "0x5208");

    let increment = json!({"from": address(0), "to": counter, "data": selector("increment()")});
    let estimate = h.result("eth_estimateGas", json!([increment, "latest"])).await;
    let estimate = u64::from_str_radix(estimate.as_str().unwrap().trim_start_matches("0x"), 16);
    assert!(estimate.unwrap() > 21_000);

    let list = h.result("eth_createAccessList", json!([increment, "latest"])).await;
    let entries = list["accessList"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{list}");
    assert_eq!(entries[0]["address"], json!(counter));
    assert_eq!(entries[0]["storageKeys"], json!([word(0)]));
    assert!(list["gasUsed"].is_string());

    let poor = json!({"from": Address::repeat_byte(9), "to": counter, "value": "0x1", "gasPrice": "0x3b9aca00"});
    let answer = h.call("eth_estimateGas", json!([poor])).await;
    assert_eq!(answer["error"]["code"], -32000, "{answer}");
    assert!(
        answer["error"]["message"].as_str().unwrap().contains("insufficient funds"),
        "{answer}"
    );
}

#[tokio::test]
async fn pending_simulations_run_in_the_next_block() {
    let h = harness().await;
    let head = h.node.produce_block().unwrap();
    // NUMBER PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN
    let number = "0x4360005260206000f3";
    let probe = Address::repeat_byte(0x52);
    let overrides = json!({ probe.to_string(): {"code": number} });
    let call = json!({"to": probe});
    let at = |block: &str| json!([call, block, overrides]);
    assert_eq!(h.result("eth_call", at("latest")).await, word(head.number));
    assert_eq!(h.result("eth_call", at("pending")).await, word(head.number + 1));

    // Reverts unless TIMESTAMP > the head's (TIMESTAMP PUSH8 t LT PUSH1 18 JUMPI PUSH1 0 DUP1
    // REVERT JUMPDEST STOP): an estimate without a block is made in the pending block.
    let code = format!("0x4267{:016x}10601257600080fd5b00", head.timestamp);
    let overrides = json!({ probe.to_string(): {"code": code} });
    let request = json!({"from": address(0), "to": probe});
    let latest = h.call("eth_estimateGas", json!([request, "latest", overrides])).await;
    assert_eq!(latest["error"]["code"], 3, "{latest}");
    let pending = h.result("eth_estimateGas", json!([request, "pending", overrides])).await;
    let default = h.result("eth_estimateGas", json!([request, Value::Null, overrides])).await;
    assert_eq!(pending, default);
    let list = h.result("eth_createAccessList", json!([request, "pending"])).await;
    assert!(list["error"].is_null() || list["error"] == "execution reverted", "{list}");
}
