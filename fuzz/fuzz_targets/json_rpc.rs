//! JSON-RPC requests as hostile clients send them: raw request bodies (single calls and
//! batches, any method, any parameters) POSTed over HTTP on loopback to the node's
//! JSON-RPC server, with a chain of three blocks behind it. Every answer is JSON (a response,
//! an error object or a batch of them) and the server keeps serving.
//!
//! Input: the request body.

#![no_main]

use std::sync::{Mutex, OnceLock};

use alloy_primitives::hex;
use cairn_fuzz::chain::{keys, transfer};
use cairn_fuzz::http::Servers;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn servers() -> &'static Mutex<Servers> {
    static SERVERS: OnceLock<Mutex<Servers>> = OnceLock::new();
    SERVERS.get_or_init(|| Mutex::new(Servers::start()))
}

fuzz_target!(init: cairn_fuzz::seeds::offer("json_rpc", seeds), |data: &[u8]| {
    let mut servers = servers().lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let reply = servers.rpc(data);
    let what = || format!("{} {:?} for {:?}", reply.status, String::from_utf8_lossy(&reply.body), String::from_utf8_lossy(data));
    assert_ne!(reply.status, 500, "{}", what());
    if !reply.body.is_empty() {
        let answer: Value = serde_json::from_slice(&reply.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", what()));
        let _ = answer;
    }
});

fn call(method: &str, params: Value) -> Vec<u8> {
    serde_json::to_vec(
        &serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}),
    )
    .expect("JSON")
}

/// A call of every method with valid parameters, a batch and a notification.
fn seeds() -> Vec<Vec<u8>> {
    use serde_json::json;
    let servers = servers().lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let block = servers.node.block(2).expect("memory").expect("block 2");
    let hash = block.hash().to_string();
    let tx = block.transactions[0].tx_hash().to_string();
    let counter = servers.counter.to_string();
    let sender = keys()[0].address().to_string();
    let topic = alloy_primitives::keccak256("Incremented(address,uint256)").to_string();
    let increment = hex::encode_prefixed(&alloy_primitives::keccak256("increment()")[..4]);
    let call_object = json!({"from": sender, "to": counter, "data": increment, "gas": "0x30000"});
    let filter =
        json!({"fromBlock": "0x1", "toBlock": "latest", "address": counter, "topics": [topic]});
    let raw = hex::encode_prefixed(transfer(9, 0, 8, 1));
    let mut seeds = vec![
        call("eth_chainId", json!([])),
        call("eth_blockNumber", json!([])),
        call("eth_getBalance", json!([sender, "latest"])),
        call("eth_getTransactionCount", json!([sender, "pending"])),
        call("eth_getCode", json!([counter, "0x2"])),
        call("eth_getStorageAt", json!([counter, "0x0", {"blockHash": hash}])),
        call("eth_getProof", json!([counter, ["0x0"], "latest"])),
        call("eth_getBlockByNumber", json!(["0x2", true])),
        call("eth_getBlockByHash", json!([hash, false])),
        call("eth_getBlockReceipts", json!(["latest"])),
        call("eth_getBlockTransactionCountByNumber", json!(["earliest"])),
        call("eth_getTransactionByHash", json!([tx])),
        call("eth_getTransactionReceipt", json!([tx])),
        call("eth_getTransactionByBlockNumberAndIndex", json!(["0x2", "0x1"])),
        call("eth_getTransactionByBlockHashAndIndex", json!([hash, "0x0"])),
        call("eth_call", json!([call_object, "latest"])),
        call("eth_estimateGas", json!([call_object])),
        call("eth_createAccessList", json!([call_object, "pending"])),
        call("eth_getLogs", json!([filter])),
        call("eth_newFilter", json!([filter])),
        call("eth_newBlockFilter", json!([])),
        call("eth_getFilterChanges", json!(["0x1"])),
        call("eth_uninstallFilter", json!(["0x1"])),
        call("eth_feeHistory", json!(["0x3", "latest", [10, 50, 90]])),
        call("eth_gasPrice", json!([])),
        call("eth_maxPriorityFeePerGas", json!([])),
        call("eth_sendRawTransaction", json!([raw])),
        call("txpool_content", json!([])),
        call("txpool_status", json!([])),
        call("web3_sha3", json!(["0x68656c6c6f"])),
        call("net_version", json!([])),
        call("eth_syncing", json!([])),
    ];
    seeds.push(
        serde_json::to_vec(&json!([
            {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber"},
            {"jsonrpc": "2.0", "id": "two", "method": "eth_getBalance", "params": [counter]},
            {"jsonrpc": "2.0", "method": "eth_chainId"}
        ]))
        .expect("JSON"),
    );
    seeds
}
