//! Every error code the server answers with, each from a request that provokes it.

use std::sync::Arc;

use alloy_primitives::{Address, Bytes, TxKind, U256};
use cairn_consensus::test_utils::DenyList;
use cairn_consensus::{ConsensusRoles, DevConsensus};
use cairn_primitives::test_utils::{eip1559, sign};
use cairn_rpc::RpcConfig;
use serde_json::{Value, json};

use crate::{address, harness, harness_of, harness_with, hex_bytes, key, post, post_raw, transfer};

async fn rejection(h: &crate::Harness, raw: String) -> Value {
    let answer = h.call("eth_sendRawTransaction", json!([raw])).await;
    assert_eq!(answer["error"]["code"], -32000, "{answer}");
    answer["error"]["message"].clone()
}

fn signed(tx: alloy_consensus::TxEip1559) -> String {
    hex_bytes(&sign(key(0), tx).unwrap())
}

fn plain(nonce: u64) -> alloy_consensus::TxEip1559 {
    eip1559(31337, nonce, TxKind::Call(Address::ZERO), U256::from(1), Bytes::new(), 21_000)
}

#[tokio::test]
async fn protocol_errors() {
    let h = harness().await;
    let unknown = h.call("eth_noSuchMethod", json!([])).await;
    assert_eq!(unknown["error"]["code"], -32601);
    let malformed = post(h.addr, "{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": ").await;
    assert_eq!(malformed["error"]["code"], -32700);
    let not_a_request = post(h.addr, "{\"id\": 1}").await;
    assert_eq!(not_a_request["error"]["code"], -32600);
    let bad = h.call("eth_getBalance", json!(["not an address"])).await;
    assert_eq!(bad["error"]["code"], -32602);
    let message = bad["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("invalid argument 0: invalid string length"), "{message}");
    let missing = h.call("eth_getTransactionReceipt", json!([])).await;
    assert_eq!(missing["error"]["code"], -32602);
    let future = h.call("eth_getBalance", json!([Address::ZERO, "0x10"])).await;
    assert_eq!(future["error"]["code"], -32000);
    assert_eq!(future["error"]["message"], "header not found");
}

#[tokio::test]
async fn mempool_rejections_use_the_messages_clients_recognise() {
    let h = harness().await;
    h.result("eth_sendRawTransaction", json!([transfer(0, Address::ZERO, 1)])).await;
    h.node.produce_block().unwrap();
    let stale = rejection(&h, transfer(0, Address::ZERO, 1)).await;
    assert!(stale.as_str().unwrap().contains("nonce too low"), "{stale}");

    let rich = eip1559(31337, 1, TxKind::Call(Address::ZERO), U256::MAX >> 1, Bytes::new(), 21_000);
    let poor = rejection(&h, signed(rich)).await;
    assert!(
        poor.as_str().unwrap().contains("insufficient funds for gas * price + value"),
        "{poor}"
    );

    h.result("eth_sendRawTransaction", json!([signed(plain(1))])).await;
    let same_price = rejection(&h, signed(plain(1))).await;
    let message = same_price.as_str().unwrap();
    assert!(
        message.contains("replacement transaction underpriced")
            || message.contains("already known"),
        "{message}"
    );
    let mut replacement = plain(1);
    replacement.value = U256::from(2);
    let underpriced = rejection(&h, signed(replacement)).await;
    assert!(underpriced.as_str().unwrap().contains("replacement transaction underpriced"));

    let mut cheap = plain(2);
    cheap.max_priority_fee_per_gas = 0;
    let cheap = rejection(&h, signed(cheap)).await;
    assert!(cheap.as_str().unwrap().contains("transaction underpriced"), "{cheap}");

    let mut huge = plain(2);
    huge.gas_limit = 1_000_000_000;
    let huge = rejection(&h, signed(huge)).await;
    assert!(huge.as_str().unwrap().contains("exceeds block gas limit"), "{huge}");

    let mut foreign = plain(2);
    foreign.chain_id = 1;
    let foreign = rejection(&h, signed(foreign)).await;
    assert!(foreign.as_str().unwrap().contains("invalid chain id"), "{foreign}");

    let mut big = plain(2);
    big.gas_limit = 10_000_000;
    big.input = vec![1u8; 200 * 1024].into();
    let big = rejection(&h, signed(big)).await;
    assert!(big.as_str().unwrap().contains("oversized data"), "{big}");
}

#[tokio::test]
async fn limits_answer_with_their_own_errors() {
    let config = RpcConfig { max_batch_len: 2, max_request_body: 4096, ..RpcConfig::default() };
    let h = harness_with(config).await;
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []});
    let batch = post(h.addr, &json!([call, call, call]).to_string()).await;
    let batch = if batch.is_array() { batch[0].clone() } else { batch };
    assert!(batch["error"]["message"].as_str().unwrap().contains("atch"), "{batch}");
    assert_eq!(batch["error"]["code"], -32010);

    let big = json!({"jsonrpc": "2.0", "id": 1, "method": "web3_sha3", "params": [hex_bytes(&[7; 4096])]});
    let (status, body) = post_raw(h.addr, &big.to_string()).await;
    assert!(status.contains("413"), "{status}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["error"]["code"], -32007, "{body}");
}

#[tokio::test]
async fn concurrency_limit_answers_busy() {
    let config = RpcConfig { max_concurrent_requests: 0, ..RpcConfig::default() };
    let h = harness_with(config).await;
    let busy = h.call("eth_chainId", json!([])).await;
    assert_eq!(busy["error"]["code"], -32005);
    assert!(busy["error"]["message"].as_str().unwrap().contains("concurrent"), "{busy}");
}

#[tokio::test]
async fn a_sender_the_account_rules_refuse_is_told_so_with_its_address() {
    let list = Arc::new(DenyList::of([address(0)]));
    list.deny_deploy(address(1));
    let dev = ConsensusRoles::of(Arc::new(DevConsensus::new(Address::ZERO)));
    let h = harness_of(dev.with_transactions(list), RpcConfig::default()).await;
    let refused = rejection(&h, transfer(0, Address::ZERO, 1)).await;
    assert_eq!(refused, format!("account not permitted: {}", address(0)));
    assert!(refused.as_str().unwrap().contains("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"));

    let deploy = eip1559(31337, 0, TxKind::Create, U256::ZERO, Bytes::new(), 100_000);
    let raw = hex_bytes(&sign(key(1), deploy).unwrap());
    let refused = rejection(&h, raw).await;
    assert_eq!(refused, format!("account not permitted to deploy contracts: {}", address(1)));
    let call = eip1559(31337, 0, TxKind::Call(Address::ZERO), U256::from(1), Bytes::new(), 21_000);
    h.result("eth_sendRawTransaction", json!([hex_bytes(&sign(key(1), call).unwrap())])).await;
}
