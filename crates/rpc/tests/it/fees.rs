//! Fee suggestions and history.

use alloy_consensus::{SignableTransaction, TxEnvelope, TxLegacy};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, Bytes, TxKind, U256};
use alloy_signer::SignerSync;
use cairn_primitives::test_utils::{eip1559, sign};
use serde_json::json;

use crate::{address, harness, key, transfer};

fn quantity(value: &serde_json::Value) -> u128 {
    u128::from_str_radix(value.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

#[tokio::test]
async fn suggestions_cover_the_latest_and_the_next_base_fee() {
    let h = harness().await;
    let tip = quantity(&h.result("eth_maxPriorityFeePerGas", json!([])).await);
    assert_eq!(tip, 1_000_000_000, "no transactions yet: the default tip");
    let price = quantity(&h.result("eth_gasPrice", json!([])).await);
    let head = h.node.head().unwrap();
    let next_base_fee = cairn_primitives::next_base_fee(&head);
    assert!(next_base_fee < head.base_fee, "an empty genesis lowers the next base fee");
    assert_eq!(price, u128::from(head.base_fee) + tip, "geth's rule: the latest base fee");
}

/// Foundry's fee estimator sends 1-wei tips on a quiet chain; blocks of them neither drag the
/// suggested tip to 1 wei nor leave the gas price under the latest base fee, and a legacy
/// transaction at the suggested price estimates and lands.
#[tokio::test]
async fn a_legacy_price_after_blocks_of_one_wei_tips_estimates_and_lands() {
    let h = harness().await;
    for nonce in 0..6 {
        let mut tx =
            eip1559(31337, nonce, TxKind::Call(Address::ZERO), U256::from(1), Bytes::new(), 21_000);
        tx.max_priority_fee_per_gas = 1;
        h.send(sign(key(0), tx).unwrap()).await;
        if nonce % 2 == 1 {
            h.node.produce_block().unwrap();
        }
    }
    let tip = quantity(&h.result("eth_maxPriorityFeePerGas", json!([])).await);
    assert_eq!(tip, 1_000_000_000, "tips of 1 wei are not samples");
    let latest = h.result("eth_getBlockByNumber", json!(["latest", false])).await;
    let latest_base_fee = quantity(&latest["baseFeePerGas"]);
    let price = quantity(&h.result("eth_gasPrice", json!([])).await);
    assert!(price >= latest_base_fee + tip, "{price} < {latest_base_fee} + {tip}");

    let price_hex = format!("{price:#x}");
    let request = json!({"from": address(1), "to": Address::repeat_byte(5), "value": "0x1", "gasPrice": price_hex});
    assert_eq!(h.result("eth_estimateGas", json!([request])).await, "0x5208");
    let legacy = TxLegacy {
        chain_id: Some(31337),
        nonce: 0,
        gas_price: price,
        gas_limit: 21_000,
        to: TxKind::Call(Address::repeat_byte(5)),
        value: U256::from(1),
        input: Bytes::new(),
    };
    let signature = key(1).sign_hash_sync(&legacy.signature_hash()).unwrap();
    let raw = TxEnvelope::Legacy(legacy.into_signed(signature)).encoded_2718();
    let hash = h.send(raw).await;
    h.node.produce_block().unwrap();
    let receipt = h.result("eth_getTransactionReceipt", json!([hash])).await;
    assert_eq!(receipt["status"], "0x1", "{receipt}");

    // Tips above the floor are samples again.
    let mut tx =
        eip1559(31337, 6, TxKind::Call(Address::ZERO), U256::from(1), Bytes::new(), 21_000);
    tx.max_priority_fee_per_gas = 3;
    h.send(sign(key(0), tx).unwrap()).await;
    h.node.produce_block().unwrap();
    let tip = quantity(&h.result("eth_maxPriorityFeePerGas", json!([])).await);
    assert_eq!(tip, 3);
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
