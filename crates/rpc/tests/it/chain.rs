//! Identity, balances and nonces, and batches.

use alloy_primitives::Address;
use serde_json::json;

use crate::{address, harness, post, transfer};

#[tokio::test]
async fn identifies_the_chain() {
    let h = harness().await;
    assert_eq!(h.result("eth_chainId", json!([])).await, "0x7a69");
    assert_eq!(h.result("net_version", json!([])).await, "31337");
    assert_eq!(h.result("eth_blockNumber", json!([])).await, "0x0");
    let version = h.result("web3_clientVersion", json!([])).await;
    assert!(version.as_str().unwrap().starts_with("cairn/v"));
    assert_eq!(h.result("eth_accounts", json!([])).await, json!([]));
    assert_eq!(h.result("eth_syncing", json!([])).await, false);
    assert_eq!(h.result("net_listening", json!([])).await, true);
    assert_eq!(h.result("net_peerCount", json!([])).await, "0x0");
    assert_eq!(
        h.result("web3_sha3", json!(["0x68656c6c6f20776f726c64"])).await,
        "0x47173285a8d7341e5e972fc677286384f802f8ef42a5ec5f03bbfa254cb01fad"
    );
}

#[tokio::test]
async fn sends_a_transaction_and_reads_balances_now_and_at_earlier_blocks() {
    let h = harness().await;
    let to = Address::repeat_byte(0x55);
    let hash = h.send(alloy_primitives::hex::decode(transfer(0, to, 1234)).unwrap()).await;
    assert_eq!(hash.len(), 66);
    let sender = address(0);
    assert_eq!(h.result("eth_getTransactionCount", json!([sender, "pending"])).await, "0x1");
    assert_eq!(h.result("eth_getTransactionCount", json!([sender, "latest"])).await, "0x0");

    h.node.produce_block().unwrap();
    assert_eq!(h.result("eth_blockNumber", json!([])).await, "0x1");
    assert_eq!(h.result("eth_getBalance", json!([to, "latest"])).await, "0x4d2");
    assert_eq!(h.result("eth_getBalance", json!([to, "0x0"])).await, "0x0");
    assert_eq!(h.result("eth_getBalance", json!([to, "earliest"])).await, "0x0");
    assert_eq!(h.result("eth_getBalance", json!([to, "finalized"])).await, "0x4d2");
    assert_eq!(h.result("eth_getBalance", json!([to, "safe"])).await, "0x4d2");
    assert_eq!(h.result("eth_getTransactionCount", json!([sender])).await, "0x1");
    let genesis = h.result("eth_getBlockByNumber", json!(["0x0", false])).await;
    let at_genesis = json!([to, {"blockHash": genesis["hash"]}]);
    assert_eq!(h.result("eth_getBalance", at_genesis).await, "0x0");
}

#[tokio::test]
async fn batches_answer_every_request() {
    let h = harness().await;
    let batch = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
        {"jsonrpc": "2.0", "id": 2, "method": "eth_blockNumber", "params": []},
        {"jsonrpc": "2.0", "id": 3, "method": "eth_noSuchMethod", "params": []},
    ]);
    let answers = post(h.addr, &batch.to_string()).await;
    let answers = answers.as_array().unwrap();
    assert_eq!(answers.len(), 3);
    assert!(answers.iter().any(|a| a["id"] == 1 && a["result"] == "0x7a69"));
    assert!(answers.iter().any(|a| a["id"] == 2 && a["result"] == "0x0"));
    assert!(answers.iter().any(|a| a["id"] == 3 && a["error"]["code"] == -32601));
}

#[tokio::test]
async fn a_batch_of_sends_answers_each_in_place_and_admits_nonces_in_order() {
    let h = harness().await;
    let to = Address::repeat_byte(0x66);
    let send = |id: u64, raw: String| json!({"jsonrpc": "2.0", "id": id, "method": "eth_sendRawTransaction", "params": [raw]});
    let mut batch: Vec<_> = (0..20).map(|nonce| send(nonce, transfer(nonce, to, 1))).collect();
    batch.push(send(20, transfer(3, to, 1)));
    batch.push(send(21, "0x02c001".into()));
    batch.push(
        json!({"jsonrpc": "2.0", "id": 22, "method": "eth_sendRawTransaction", "params": []}),
    );
    batch.push(json!({"jsonrpc": "2.0", "id": 23, "method": "eth_blockNumber", "params": []}));
    let answers = post(h.addr, &json!(batch).to_string()).await;
    let answers = answers.as_array().unwrap();
    assert_eq!(answers.len(), 24);
    let answer = |id: u64| answers.iter().find(|a| a["id"] == id).unwrap();
    for nonce in 0..20 {
        assert_eq!(answer(nonce)["result"].as_str().unwrap().len(), 66, "{}", answer(nonce));
    }
    assert!(answer(20)["error"]["message"].as_str().unwrap().contains("already known"));
    assert!(answer(21)["error"]["message"].as_str().unwrap().contains("invalid transaction"));
    assert_eq!(answer(22)["error"]["code"], -32602);
    assert_eq!(answer(23)["result"], "0x0");
    assert_eq!(h.node.pending_count(), 20);
    assert_eq!(h.node.tx_recoveries(), 20);
}
