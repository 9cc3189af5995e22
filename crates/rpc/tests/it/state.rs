//! Storage, code and proofs at the head and at earlier blocks.

use alloy_primitives::{B256, Bytes, U256, keccak256};
use alloy_trie::{Nibbles, TrieAccount, proof::verify_proof};
use serde_json::{Value, json};

use crate::harness;

fn parse<T: std::str::FromStr>(value: &Value) -> T
where
    T::Err: std::fmt::Debug,
{
    value.as_str().unwrap().parse().unwrap()
}

fn nodes(value: &Value) -> Vec<Bytes> {
    value.as_array().unwrap().iter().map(parse).collect()
}

#[tokio::test]
async fn storage_reads_follow_history() {
    let h = harness().await;
    let counter = h.deploy_counter(0, 7).await;
    h.increment(counter, 1).await;
    h.node.produce_block().unwrap();
    let seven = format!("0x{}", "0".repeat(63) + "7");
    let eight = format!("0x{}", "0".repeat(63) + "8");
    assert_eq!(h.result("eth_getStorageAt", json!([counter, "0x0", "latest"])).await, eight);
    assert_eq!(h.result("eth_getStorageAt", json!([counter, "0x0", "0x1"])).await, seven);
    let zero = format!("0x{}", "0".repeat(64));
    assert_eq!(h.result("eth_getStorageAt", json!([counter, "0x0", "0x0"])).await, zero);
    assert_eq!(h.result("eth_getStorageAt", json!([counter, "0x5"])).await, zero);
}

#[tokio::test]
async fn proofs_verify_against_the_block_state_root() {
    let h = harness().await;
    let counter = h.deploy_counter(0, 7).await;
    h.increment(counter, 1).await;
    h.node.produce_block().unwrap();

    for block in ["0x1", "latest"] {
        let header = h.result("eth_getBlockByNumber", json!([block, false])).await;
        let root: B256 = parse(&header["stateRoot"]);
        let proof = h.result("eth_getProof", json!([counter, ["0x0"], block])).await;
        let account = TrieAccount {
            nonce: u64::from_str_radix(
                proof["nonce"].as_str().unwrap().trim_start_matches("0x"),
                16,
            )
            .unwrap(),
            balance: parse(&proof["balance"]),
            storage_root: parse(&proof["storageHash"]),
            code_hash: parse(&proof["codeHash"]),
        };
        let key = Nibbles::unpack(keccak256(counter));
        let encoded = alloy_rlp::encode(account);
        verify_proof(root, key, Some(encoded), &nodes(&proof["accountProof"])).unwrap();

        let slot = &proof["storageProof"][0];
        let value: U256 = parse(&slot["value"]);
        assert_eq!(value, U256::from(if block == "0x1" { 7 } else { 8 }));
        let slot_key = Nibbles::unpack(keccak256(B256::ZERO));
        let encoded = alloy_rlp::encode(value);
        verify_proof(account.storage_root, slot_key, Some(encoded), &nodes(&slot["proof"]))
            .unwrap();
    }
}

#[tokio::test]
async fn an_absent_account_is_proven_absent() {
    let h = harness().await;
    let nobody = alloy_primitives::Address::repeat_byte(0x99);
    let proof = h.result("eth_getProof", json!([nobody, [], "latest"])).await;
    assert_eq!(proof["balance"], "0x0");
    let header = h.result("eth_getBlockByNumber", json!(["latest", false])).await;
    let root: B256 = parse(&header["stateRoot"]);
    let key = Nibbles::unpack(keccak256(nobody));
    verify_proof(root, key, None, &nodes(&proof["accountProof"])).unwrap();
}
