//! Each resource, read back against what the node holds.

use alloy_primitives::{Address, B256, Bytes, TxKind, keccak256};
use alloy_trie::{Nibbles, TrieAccount, proof::verify_proof};
use cairn_primitives::test_utils::signed_call;
use serde_json::Value;

use crate::{harness, key, transfer};
use cairn_reads::ChainReader as _;

fn parse<T: std::str::FromStr>(value: &Value) -> T
where
    T::Err: std::fmt::Debug,
{
    value.as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn status_names_the_chain_and_its_head() {
    let h = harness().await;
    h.node.produce_block().unwrap();
    let status = h.get_json("/v1/status").await;
    let head = h.node.head().unwrap();
    assert_eq!(status["chain_id"], 31337);
    assert_eq!(status["network"], serde_json::to_value(h.node.spec().network).unwrap());
    assert_eq!(status["network"], "private");
    assert_eq!(status["consensus"], "dev");
    assert_eq!(status["head"]["number"], 1);
    assert_eq!(parse::<B256>(&status["head"]["hash"]), head.hash());
    assert_eq!(status["head"]["timestamp"], head.timestamp);
    assert_eq!(status["finalized_height"], 1);
    assert_eq!(status["peers"], 0);
    assert_eq!(status["syncing"], false);
    h.stop().await;
}

#[tokio::test]
async fn fees_follow_the_base_fee_and_ignore_tips_of_a_wei() {
    let h = harness().await;
    let fees = h.get_json("/v1/fees").await;
    assert_eq!(fees["block_number"], 0);
    assert_eq!(fees["max_priority_fee_per_gas"], "1000000000", "1 gwei without samples: {fees}");

    // A block of 1-wei tips (what wallets' estimators send on a quiet chain) leaves the tip
    // where it was; the base fee falls in an empty-ish block, and the price covers both fees.
    let recipient = Address::repeat_byte(0x42);
    for nonce in 0..3 {
        let tx = cairn_primitives::test_utils::eip1559(
            31337,
            nonce,
            TxKind::Call(recipient),
            alloy_primitives::U256::from(1),
            Bytes::new(),
            21_000,
        );
        let tx = alloy_consensus::TxEip1559 { max_priority_fee_per_gas: 1, ..tx };
        let raw = cairn_primitives::test_utils::sign(&key(0).signer, tx).unwrap();
        h.node.submit_raw(&raw).unwrap();
    }
    let head = h.node.produce_block().unwrap();
    assert_eq!(h.node.block(1).unwrap().unwrap().transactions.len(), 3);
    let fees = h.get_json("/v1/fees").await;
    assert_eq!(fees["block_number"], 1);
    assert_eq!(fees["max_priority_fee_per_gas"], "1000000000", "{fees}");
    let base: u128 = parse(&fees["base_fee_per_gas"]);
    let next: u128 = parse(&fees["next_base_fee_per_gas"]);
    assert_eq!(base, u128::from(head.base_fee));
    assert_eq!(next, u128::from(cairn_primitives::next_base_fee(&head)));
    assert!(next < base, "a block below its gas target lowers the base fee: {fees}");
    assert_eq!(parse::<u128>(&fees["gas_price"]), base + 1_000_000_000, "{fees}");
    h.stop().await;
}

#[tokio::test]
async fn a_block_reads_the_same_by_height_hash_and_latest() {
    let h = harness().await;
    let recipient = Address::repeat_byte(0x42);
    h.node.submit_raw(&transfer(0, recipient, 5)).unwrap();
    h.node.submit_raw(&transfer(1, recipient, 6)).unwrap();
    let header = h.node.produce_block().unwrap();
    let by_number = h.get_json("/v1/blocks/1").await;
    let by_hash = h.get_json(&format!("/v1/blocks/{}", header.hash())).await;
    let latest = h.get_json("/v1/blocks/latest").await;
    assert_eq!(by_number, by_hash);
    assert_eq!(by_number, latest);
    assert_eq!(by_number["number"], 1);
    assert_eq!(parse::<B256>(&by_number["hash"]), header.hash());
    assert_eq!(parse::<B256>(&by_number["parent_hash"]), header.parent_hash);
    assert_eq!(parse::<B256>(&by_number["state_root"]), header.state_root);
    assert_eq!(by_number["gas_used"], 42_000);
    assert_eq!(by_number["timestamp"], header.timestamp);
    assert_eq!(by_number["timestamp_ms"], header.timestamp_ms);
    assert_eq!(header.timestamp, header.timestamp_ms / 1000);
    assert_eq!(by_number["base_fee_per_gas"], header.base_fee.to_string());
    assert_eq!(by_number["transaction_count"], 2);
    let block = h.node.block(1).unwrap().unwrap();
    let hashes: Vec<B256> = block.transactions.iter().map(|t| *t.tx_hash()).collect();
    let listed: Vec<B256> =
        by_number["transactions"].as_array().unwrap().iter().map(parse).collect();
    assert_eq!(listed, hashes);

    let genesis = h.get_json("/v1/blocks/0").await;
    assert_eq!(genesis["transaction_count"], 0);
    assert_eq!(genesis["transactions"], serde_json::json!([]));
    h.stop().await;
}

#[tokio::test]
async fn a_submitted_transaction_goes_from_pending_to_finalized_with_its_receipt() {
    let h = harness().await;
    let recipient = Address::repeat_byte(0x77);
    let reply = h.submit(&transfer(0, recipient, 1_000)).await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    let hash: B256 = parse(&reply.json()["hash"]);

    let pending = h.get_json(&format!("/v1/transactions/{hash}")).await;
    assert_eq!(pending["status"], "pending");
    assert_eq!(parse::<B256>(&pending["hash"]), hash);
    assert_eq!(parse::<Address>(&pending["from"]), key(0).address);
    assert_eq!(parse::<Address>(&pending["to"]), recipient);
    assert_eq!(pending["value"], "1000");
    assert_eq!(pending["nonce"], 0);
    assert_eq!(pending["type"], 2);
    assert_eq!(pending["max_fee_per_gas"], "10000000000");
    assert_eq!(pending["max_priority_fee_per_gas"], "1000000000");
    assert!(pending["position"].is_null());
    assert!(pending["receipt"].is_null());

    let header = h.node.produce_block().unwrap();
    let done = h.get_json(&format!("/v1/transactions/{hash}")).await;
    assert_eq!(done["status"], "finalized");
    assert_eq!(done["position"]["block_number"], 1);
    assert_eq!(parse::<B256>(&done["position"]["block_hash"]), header.hash());
    assert_eq!(done["position"]["index"], 0);
    let receipt = &done["receipt"];
    assert_eq!(receipt["success"], true);
    assert_eq!(receipt["gas_used"], 21_000);
    assert_eq!(receipt["cumulative_gas_used"], 21_000);
    let price = header.base_fee + 1_000_000_000;
    assert_eq!(receipt["effective_gas_price"], price.to_string());
    assert!(receipt["contract_address"].is_null());
    assert_eq!(receipt["logs"], serde_json::json!([]));
    assert!(receipt["revert_reason"].is_null());
    assert!(receipt["revert_data"].is_null());

    let page = h.get_json("/v1/blocks/1/transactions").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0], done);
    assert!(page["next"].is_null());
    h.stop().await;
}

#[tokio::test]
async fn a_reverted_transaction_shows_its_reason_and_data() {
    let h = harness().await;
    let counter = h.deploy_counter(0, 7);
    let fail = keccak256("fail()")[..4].to_vec();
    let raw = signed_call(&key(0).signer, 31337, 1, TxKind::Call(counter), fail.into(), 100_000);
    let hash = h.node.submit_raw(&raw.unwrap()).unwrap();
    h.node.produce_block().unwrap();

    let done = h.get_json(&format!("/v1/transactions/{hash}")).await;
    let receipt = &done["receipt"];
    assert_eq!(receipt["success"], false);
    assert_eq!(receipt["revert_reason"], "counter: failure requested");
    let data: Bytes = parse(&receipt["revert_data"]);
    assert_eq!(data[..4], keccak256("Error(string)")[..4]);
    h.stop().await;
}

#[tokio::test]
async fn accounts_show_balance_nonce_and_code() {
    let h = harness().await;
    let funded = h.get_json(&format!("/v1/accounts/{}", key(0).address)).await;
    let genesis_balance = h.node.account(key(0).address).unwrap().unwrap().balance;
    assert_eq!(funded["balance"], genesis_balance.to_string());
    assert_eq!(funded["nonce"], 0);
    assert_eq!(funded["is_contract"], false);
    assert_eq!(funded["code_size"], 0);

    let counter = h.deploy_counter(0, 7);
    let contract = h.get_json(&format!("/v1/accounts/{counter}")).await;
    assert_eq!(contract["is_contract"], true);
    assert_eq!(contract["nonce"], 1);
    assert_eq!(contract["balance"], "0");
    let code = h.node.code(counter).unwrap();
    assert!(!code.is_empty());
    assert_eq!(contract["code_size"], code.len());
    let sender = h.get_json(&format!("/v1/accounts/{}", key(0).address)).await;
    assert_eq!(sender["nonce"], 1);

    let nobody = h.get_json(&format!("/v1/accounts/{}", Address::repeat_byte(0x99))).await;
    assert_eq!(nobody["balance"], "0");
    assert_eq!(nobody["nonce"], 0);
    assert_eq!(nobody["is_contract"], false);
    assert_eq!(nobody["code_size"], 0);
    h.stop().await;
}

#[tokio::test]
async fn proofs_verify_against_the_chosen_blocks_state_root() {
    let h = harness().await;
    let recipient = Address::repeat_byte(0x55);
    h.node.submit_raw(&transfer(0, recipient, 12_345)).unwrap();
    h.node.produce_block().unwrap();

    for (block, expected) in [(0u64, None), (1, Some(12_345u64))] {
        let proof = h.get_json(&format!("/v1/accounts/{recipient}/proof?block={block}")).await;
        let header = h.node.view().unwrap().header(block).unwrap().unwrap();
        assert_eq!(proof["block_number"], block);
        assert_eq!(parse::<B256>(&proof["state_root"]), header.state_root);
        let nodes: Vec<Bytes> = proof["proof"].as_array().unwrap().iter().map(parse).collect();
        let key = Nibbles::unpack(keccak256(recipient));
        match expected {
            None => {
                assert_eq!(proof["exists"], false);
                verify_proof(header.state_root, key, None, &nodes).unwrap();
            }
            Some(balance) => {
                assert_eq!(proof["exists"], true);
                assert_eq!(proof["balance"], balance.to_string());
                let account = TrieAccount {
                    nonce: 0,
                    balance: alloy_primitives::U256::from(balance),
                    storage_root: parse(&proof["storage_root"]),
                    code_hash: parse(&proof["code_hash"]),
                };
                let encoded = alloy_rlp::encode(account);
                verify_proof(header.state_root, key, Some(encoded), &nodes).unwrap();
            }
        }
    }
    let head = h.get_json(&format!("/v1/accounts/{recipient}/proof")).await;
    assert_eq!(head["block_number"], 1);
    h.stop().await;
}

#[tokio::test]
async fn validators_show_who_signed_recent_blocks_and_a_lone_node_has_no_peers() {
    let h = harness().await;
    for _ in 0..3 {
        h.node.produce_block().unwrap();
    }
    let set = h.get_json("/v1/validators").await;
    assert_eq!(set["consensus"], "dev");
    assert_eq!(set["height"], 3);
    assert_eq!(set["window"], 3);
    assert_eq!(set["total_power"], 1);
    assert_eq!(set["evidence"], serde_json::json!([]));
    let validators = set["validators"].as_array().unwrap();
    assert_eq!(validators.len(), 1);
    assert_eq!(parse::<Address>(&validators[0]["address"]), Address::ZERO);
    assert_eq!(validators[0]["power"], 1);
    assert_eq!(validators[0]["last_signed_block"], 3);
    assert_eq!(validators[0]["missed_blocks"], 0);
    assert_eq!(h.get_json("/v1/validators?window=2").await["window"], 2);
    h.get("/v1/validators?window=0").await.problem(400, "invalid_query");
    h.get("/v1/validators?window=1001").await.problem(400, "invalid_query");

    let block = h.get_json("/v1/blocks/2").await;
    assert_eq!(block["signers"], serde_json::json!([Address::ZERO.to_string()]));

    let peers = h.get_json("/v1/peers").await;
    assert_eq!(peers, serde_json::json!({"count": 0, "peers": []}));
    h.stop().await;
}
