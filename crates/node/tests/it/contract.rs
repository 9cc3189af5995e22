use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use cairn_execution::{BlockContext, BlockExecutor};
use cairn_storage::StateView;

use crate::support::{Chain, eip1559, sign};

/// Creation code of contracts/Counter.sol, compiled by contracts/compile.js.
const COUNTER_BIN: &str = include_str!("contracts/Counter.bin");

pub(crate) fn selector(signature: &str) -> Vec<u8> {
    keccak256(signature)[..4].to_vec()
}

pub(crate) fn call_data(signature: &str, argument: Option<u64>) -> Bytes {
    let mut data = selector(signature);
    if let Some(value) = argument {
        data.extend_from_slice(&U256::from(value).to_be_bytes::<32>());
    }
    data.into()
}

/// Deploys Counter(start) from account 0 with `nonce` and returns its address.
pub(crate) fn deploy(chain: &Chain, start: u64) -> Address {
    let mut code = hex::decode(COUNTER_BIN.trim()).unwrap();
    code.extend_from_slice(&U256::from(start).to_be_bytes::<32>());
    let tx = eip1559(0, TxKind::Create, U256::ZERO, code.into(), 500_000);
    let hash = chain.submit(&sign(chain.key(0), tx)).unwrap();
    chain.mine();
    let receipt = chain.node.transaction(hash).unwrap().unwrap().receipt;
    assert!(receipt.success());
    assert_eq!(receipt.revert_output, None);
    let address = receipt.created().unwrap();
    assert_eq!(address, chain.address(0).create(0));
    address
}

fn call(chain: &Chain, nonce: u64, to: Address, data: Bytes) -> cairn_primitives::Receipt {
    let tx = eip1559(nonce, TxKind::Call(to), U256::ZERO, data, 200_000);
    let hash = chain.submit(&sign(chain.key(0), tx)).unwrap();
    chain.mine();
    chain.node.transaction(hash).unwrap().unwrap().receipt
}

#[test]
fn deploy_call_emit_and_clear_storage_with_refund() {
    let chain = Chain::new();
    let counter = deploy(&chain, 5);
    assert!(!chain.node.code(counter).unwrap().is_empty());
    assert_eq!(chain.node.storage(counter, U256::ZERO).unwrap(), U256::from(5));

    let receipt = call(&chain, 1, counter, call_data("increment()", None));
    assert!(receipt.success());
    assert_eq!(chain.node.storage(counter, U256::ZERO).unwrap(), U256::from(6));
    let log = &receipt.logs()[0];
    assert_eq!(log.address, counter);
    assert_eq!(log.topics()[0], keccak256("Incremented(address,uint256)"));
    assert_eq!(log.topics()[1], B256::left_padding_from(chain.address(0).as_slice()));
    assert_eq!(U256::from_be_slice(&log.data.data), U256::from(6));
    assert!(receipt.bloom().contains_input(alloy_primitives::BloomInput::Raw(counter.as_slice())));

    let nonzero = call(&chain, 2, counter, call_data("set(uint256)", Some(9)));
    let cleared = call(&chain, 3, counter, call_data("set(uint256)", Some(0)));
    assert!(nonzero.success() && cleared.success());
    assert_eq!(chain.node.storage(counter, U256::ZERO).unwrap(), U256::ZERO);
    assert!(
        cleared.gas_used < nonzero.gas_used,
        "clearing a slot is refunded: {} vs {}",
        cleared.gas_used,
        nonzero.gas_used
    );
}

#[test]
fn reverts_are_included_with_status_zero_and_carry_their_reason() {
    let chain = Chain::new();
    let counter = deploy(&chain, 1);
    let fail = call_data("fail()", None);

    let receipt = call(&chain, 1, counter, fail.clone());
    assert!(!receipt.success());
    assert!(receipt.gas_used > 21_000);
    assert_eq!(receipt.revert_reason().as_deref(), Some("counter: failure requested"));
    assert_eq!(chain.node.storage(counter, U256::ZERO).unwrap(), U256::from(1));
    assert_eq!(chain.nonce(chain.address(0)), 2);

    // Execute the same call on top of the head to read the revert data, as eth_call will.
    let snapshot = chain.store().snapshot().unwrap();
    let head = snapshot.head().unwrap();
    let context =
        BlockContext::child_of(&head, Address::ZERO, head.timestamp_ms + 1, head.gas_limit);
    let mut executor = BlockExecutor::new(&snapshot, 31337, context);
    let tx = sign(chain.key(0), eip1559(2, TxKind::Call(counter), U256::ZERO, fail, 100_000));
    let result = executor.execute(&tx, chain.address(0)).unwrap();
    assert!(!result.receipt.success());
    let output = result.output;
    assert_eq!(output[..4], selector("Error(string)")[..]);
    let length = U256::from_be_slice(&output[36..68]).to::<usize>();
    assert_eq!(
        std::str::from_utf8(&output[68..68 + length]).unwrap(),
        "counter: failure requested"
    );
    assert!(snapshot.code(keccak256(chain.node.code(counter).unwrap())).unwrap().is_some());
}
