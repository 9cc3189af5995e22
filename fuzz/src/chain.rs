//! A development chain in memory with something to read: blocks of transfers, a contract that
//! emits logs and stores a value, a reverted call, and ready and queued pool entries.

use std::sync::{Arc, OnceLock};

use alloy_primitives::{Address, Bytes, TxKind, U256, keccak256};
use alloy_signer_local::PrivateKeySigner;
use cairn_consensus::DevConsensus;
use cairn_node::Node;
use cairn_primitives::test_utils::{signed_call, signed_transfer};
use cairn_primitives::{ChainSpec, dev_accounts};
use cairn_storage::MemoryKv;

/// The development chain's id (as anvil's).
pub const CHAIN_ID: u64 = 31337;

/// Counter.sol (see crates/node/tests/it/contracts): emits `Incremented` and can revert.
const COUNTER_BIN: &str = include_str!("../../crates/node/tests/it/contracts/Counter.bin");

/// The development spec, derived once (the mnemonic's key derivation is slow).
pub fn dev_spec() -> ChainSpec {
    static SPEC: OnceLock<ChainSpec> = OnceLock::new();
    SPEC.get_or_init(|| ChainSpec::dev().expect("the development spec")).clone()
}

/// The first ten development keys.
pub fn keys() -> &'static [PrivateKeySigner] {
    static KEYS: OnceLock<Vec<PrivateKeySigner>> = OnceLock::new();
    KEYS.get_or_init(|| {
        dev_accounts(10).expect("development keys").into_iter().map(|a| a.signer).collect()
    })
}

/// A node holding only genesis.
pub fn genesis_node() -> Arc<Node<MemoryKv>> {
    genesis_node_in(MemoryKv::new())
}

/// A node holding only genesis, on `kv` (a clone of which keeps reaching its records).
pub fn genesis_node_in(kv: MemoryKv) -> Arc<Node<MemoryKv>> {
    let consensus = Arc::new(DevConsensus::new(Address::ZERO));
    Arc::new(Node::open(kv, dev_spec(), consensus).expect("a node in memory"))
}

/// A transfer of `value` wei from development key `from` to key `to`.
pub fn transfer(from: usize, nonce: u64, to: usize, value: u64) -> Vec<u8> {
    signed_transfer(&keys()[from], CHAIN_ID, nonce, keys()[to].address(), value)
        .expect("signing with a local key")
}

/// A call of `signature` (a function without arguments) on `to` from key `from`.
pub fn call(from: usize, nonce: u64, to: Address, signature: &str) -> Vec<u8> {
    let input = Bytes::copy_from_slice(&keccak256(signature)[..4]);
    signed_call(&keys()[from], CHAIN_ID, nonce, TxKind::Call(to), input, 200_000)
        .expect("signing with a local key")
}

/// The creation of a Counter starting at `start`, from key `from`.
pub fn deploy_counter(from: usize, nonce: u64, start: u64) -> Vec<u8> {
    let mut code = alloy_primitives::hex::decode(COUNTER_BIN.trim()).expect("Counter.bin is hex");
    code.extend_from_slice(&U256::from(start).to_be_bytes::<32>());
    signed_call(&keys()[from], CHAIN_ID, nonce, TxKind::Create, code.into(), 1_000_000)
        .expect("signing with a local key")
}

/// The node the HTTP targets read: three blocks (a contract creation, transfers, calls that
/// emit logs, a reverted call) and, in the pool, one ready and one queued transaction.
pub fn node_with_history() -> (Arc<Node<MemoryKv>>, Address) {
    node_with_history_in(MemoryKv::new())
}

/// [`node_with_history`] on `kv`.
pub fn node_with_history_in(kv: MemoryKv) -> (Arc<Node<MemoryKv>>, Address) {
    let node = genesis_node_in(kv);
    let counter = keys()[0].address().create(0);
    let blocks = [
        vec![deploy_counter(0, 0, 7), transfer(1, 0, 2, 1_000), transfer(2, 0, 1, 5)],
        vec![call(0, 1, counter, "increment()"), call(3, 0, counter, "increment()")],
        vec![call(0, 2, counter, "fail()"), transfer(1, 1, 4, 1)],
    ];
    for txs in blocks {
        for raw in txs {
            node.submit_raw(&raw).expect("a valid development transaction");
        }
        node.produce_block().expect("a block from the pool");
    }
    node.submit_raw(&transfer(5, 0, 6, 1)).expect("a ready transaction");
    node.submit_raw(&transfer(6, 3, 5, 1)).expect("a queued transaction");
    (node, counter)
}
