//! Simulated calls through the node: `Node::call`, `Node::estimate_gas` and
//! `Node::create_access_list` against the Counter contract.

use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use alloy_rpc_types_eth::state::AccountOverride;
use cairn_node::{
    BlockOverrides, CallBlock, CallOutcome, NodeError, StateOverride, TransactionRequest,
};
use cairn_primitives::next_base_fee;

use crate::contract::{call_data, deploy, selector};
use crate::support::{Chain, GWEI, PROPOSER, eip1559, sign};

fn request(from: Address, to: Address, data: Bytes) -> TransactionRequest {
    TransactionRequest::default().from(from).to(to).input(data.into())
}

fn word(outcome: CallOutcome) -> U256 {
    match outcome {
        CallOutcome::Success { output, .. } => U256::from_be_slice(&output),
        other => panic!("expected success, got {other:?}"),
    }
}

/// Sends `data` to `to` from account 0 with `gas`, mines it and returns its receipt.
fn send(
    chain: &Chain,
    nonce: u64,
    to: Address,
    data: Bytes,
    gas: u64,
) -> cairn_primitives::Receipt {
    let tx = eip1559(nonce, TxKind::Call(to), U256::ZERO, data, gas);
    let hash = chain.submit(&sign(chain.key(0), tx)).unwrap();
    chain.mine();
    chain.node.transaction(hash).unwrap().unwrap().receipt
}

#[test]
fn view_calls_read_the_head_and_older_blocks() {
    let chain = Chain::new();
    let counter = deploy(&chain, 5);
    let at_deploy = chain.node.head().unwrap().number;
    assert!(send(&chain, 1, counter, call_data("increment()", None), 100_000).success());
    assert!(send(&chain, 2, counter, call_data("set(uint256)", Some(40)), 100_000).success());
    let head = chain.node.head().unwrap().number;

    let count = request(chain.address(1), counter, call_data("count()", None));
    assert_eq!(word(chain.node.call(&count, head, None, None).unwrap()), U256::from(40));
    assert_eq!(word(chain.node.call(&count, head - 1, None, None).unwrap()), U256::from(6));
    assert_eq!(word(chain.node.call(&count, at_deploy, None, None).unwrap()), U256::from(5));
    // Before the deployment the address has no code: the call succeeds and returns nothing.
    let before = chain.node.call(&count, at_deploy - 1, None, None).unwrap();
    assert_eq!(before, CallOutcome::Success { output: Bytes::new(), gas_used: 21_000 + 64 });

    let err = chain.node.call(&count, head + 1, None, None).unwrap_err();
    assert!(matches!(err, NodeError::UnknownBlock(n) if n == head + 1));
    assert_eq!(err.to_string(), "header not found");
}

#[test]
fn a_require_failure_reverts_with_its_error_string() {
    let chain = Chain::new();
    let counter = deploy(&chain, 1);
    let head = chain.node.head().unwrap().number;
    let fail = request(chain.address(0), counter, call_data("fail()", None));
    let CallOutcome::Revert { output, gas_used } =
        chain.node.call(&fail, head, None, None).unwrap()
    else {
        panic!("fail() must revert");
    };
    assert!(gas_used > 21_000);
    assert_eq!(output[..4], selector("Error(string)")[..]);
    let length = U256::from_be_slice(&output[36..68]).to::<usize>();
    assert_eq!(&output[68..68 + length], b"counter: failure requested");

    let err = chain.node.estimate_gas(&fail, head, None).unwrap_err();
    assert_eq!(err.to_string(), "execution reverted: counter: failure requested");
    let NodeError::CallFailed(CallOutcome::Revert { output: data, .. }) = err else {
        panic!("estimate must fail with the revert: {err:?}");
    };
    assert_eq!(data, output);
}

#[test]
fn state_overrides_change_balance_code_and_storage() {
    let chain = Chain::new();
    let counter = deploy(&chain, 5);
    let head = chain.node.head().unwrap().number;
    let count = request(chain.address(0), counter, call_data("count()", None));
    let slot = |n: u64| B256::from(U256::from(n));

    let storage = AccountOverride {
        state_diff: Some([(slot(0), slot(77))].into_iter().collect()),
        ..Default::default()
    };
    let overrides: StateOverride = [(counter, storage)].into_iter().collect();
    let outcome = chain.node.call(&count, head, Some(&overrides), None).unwrap();
    assert_eq!(word(outcome), U256::from(77));
    // The override was never written.
    assert_eq!(word(chain.node.call(&count, head, None, None).unwrap()), U256::from(5));

    // SELFBALANCE PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN, with a balance of 1234.
    let code = Bytes::from_static(&[0x47, 0x60, 0, 0x52, 0x60, 32, 0x60, 0, 0xf3]);
    let replaced =
        AccountOverride { code: Some(code), balance: Some(U256::from(1234)), ..Default::default() };
    let overrides: StateOverride = [(counter, replaced)].into_iter().collect();
    let outcome = chain.node.call(&count, head, Some(&overrides), None).unwrap();
    assert_eq!(word(outcome), U256::from(1234));

    // A sender with no funds cannot pay the fees and value it offers, until it gets some.
    let poor = Address::repeat_byte(0x42);
    let paying = TransactionRequest::default()
        .from(poor)
        .to(Address::repeat_byte(0x43))
        .value(U256::from(1))
        .max_fee_per_gas(10 * GWEI);
    let err = chain.node.call(&paying, head, None, None).unwrap_err();
    assert!(matches!(err, NodeError::InvalidCall(_)));
    assert!(err.to_string().starts_with("insufficient funds for gas * price + value"), "{err}");
    let funded =
        AccountOverride { balance: Some(U256::from(10u128.pow(18))), ..Default::default() };
    let overrides: StateOverride = [(poor, funded)].into_iter().collect();
    assert!(chain.node.call(&paying, head, Some(&overrides), None).unwrap().is_success());
}

#[test]
fn block_overrides_of_number_and_time_are_visible() {
    let chain = Chain::new();
    chain.mine();
    let head = chain.node.head().unwrap();
    // NUMBER PUSH1 0 MSTORE TIMESTAMP PUSH1 32 MSTORE PUSH1 64 PUSH1 0 RETURN
    let code = [0x43, 0x60, 0, 0x52, 0x42, 0x60, 32, 0x52, 0x60, 64, 0x60, 0, 0xf3];
    let probe = Address::repeat_byte(0x51);
    let overrides: StateOverride = [(
        probe,
        AccountOverride { code: Some(Bytes::copy_from_slice(&code)), ..Default::default() },
    )]
    .into_iter()
    .collect();
    let read = |block: Option<&BlockOverrides>| {
        let outcome = chain
            .node
            .call(&TransactionRequest::default().to(probe), head.number, Some(&overrides), block)
            .unwrap();
        let CallOutcome::Success { output, .. } = outcome else { panic!("{outcome:?}") };
        (U256::from_be_slice(&output[..32]), U256::from_be_slice(&output[32..]))
    };
    assert_eq!(read(None), (U256::from(head.number), U256::from(head.timestamp)));
    let block = BlockOverrides {
        number: Some(U256::from(1_000_000)),
        time: Some(1_900_000_000),
        ..Default::default()
    };
    assert_eq!(read(Some(&block)), (U256::from(1_000_000), U256::from(1_900_000_000u64)));
}

#[test]
fn estimates_are_exact_and_real_transactions_agree() {
    let chain = Chain::new();
    let counter = deploy(&chain, 5);
    let head = chain.node.head().unwrap().number;
    let sender = chain.address(0);

    let transfer =
        TransactionRequest::default().from(sender).to(Address::repeat_byte(9)).value(U256::from(1));
    assert_eq!(chain.node.estimate_gas(&transfer, head, None).unwrap(), 21_000);

    // A read as a transaction: the estimate is exactly what the transaction uses.
    let count = call_data("count()", None);
    let estimate =
        chain.node.estimate_gas(&request(sender, counter, count.clone()), head, None).unwrap();
    let receipt = send(&chain, 1, counter, count.clone(), estimate);
    assert!(receipt.success());
    assert_eq!(receipt.gas_used, estimate);
    assert!(!send(&chain, 2, counter, count, estimate - 1).success());

    // A storage write: the estimate suffices and one gas less does not (the SSTORE needs
    // more than the 2300 stipend left, so the limit can exceed what is finally used).
    let head = chain.node.head().unwrap().number;
    let increment = call_data("increment()", None);
    let estimate =
        chain.node.estimate_gas(&request(sender, counter, increment.clone()), head, None).unwrap();
    let receipt = send(&chain, 3, counter, increment.clone(), estimate);
    assert!(receipt.success());
    assert!(receipt.gas_used <= estimate);
    assert!(!send(&chain, 4, counter, increment, estimate - 1).success());
}

#[test]
fn access_list_of_a_storage_write_lists_the_contract_and_slot() {
    let chain = Chain::new();
    let counter = deploy(&chain, 5);
    let head = chain.node.head().unwrap().number;
    let increment = request(chain.address(0), counter, call_data("increment()", None));

    let result = chain.node.create_access_list(&increment, head).unwrap();
    assert_eq!(result.error, None);
    assert_eq!(result.access_list.0.len(), 1);
    assert_eq!(result.access_list.0[0].address, counter);
    assert_eq!(result.access_list.0[0].storage_keys, [B256::ZERO]);
    let with_list = increment.clone().access_list(result.access_list.clone());
    let used = chain.node.call(&with_list, head, None, None).unwrap().gas_used();
    assert_eq!(result.gas_used, U256::from(used));

    let fail = request(chain.address(0), counter, call_data("fail()", None));
    let result = chain.node.create_access_list(&fail, head).unwrap();
    assert_eq!(result.error.as_deref(), Some("execution reverted"));
}

/// State overrides that put `code` at `address`.
fn code_at(address: Address, code: &[u8]) -> StateOverride {
    [(address, AccountOverride { code: Some(Bytes::copy_from_slice(code)), ..Default::default() })]
        .into_iter()
        .collect()
}

#[test]
fn the_pending_block_is_the_next_one() {
    let chain = Chain::new();
    chain.mine();
    let head = chain.node.head().unwrap();
    // NUMBER, TIMESTAMP, BASEFEE and COINBASE in four words.
    let code = [
        0x43, 0x60, 0, 0x52, 0x42, 0x60, 32, 0x52, 0x48, 0x60, 64, 0x52, 0x41, 0x60, 96, 0x52,
        0x60, 128, 0x60, 0, 0xf3,
    ];
    let probe = Address::repeat_byte(0x52);
    let overrides = code_at(probe, &code);
    // A request with fees sees the base fee (one without sees zero, as on geth).
    let request =
        TransactionRequest::default().from(chain.address(0)).to(probe).max_fee_per_gas(10 * GWEI);
    let read = |block: CallBlock| {
        let outcome = chain.node.call(&request, block, Some(&overrides), None).unwrap();
        let CallOutcome::Success { output, .. } = outcome else { panic!("{outcome:?}") };
        let word = |i: usize| U256::from_be_slice(&output[32 * i..32 * (i + 1)]);
        (word(0), word(1), word(2), Address::from_word(B256::from(word(3))))
    };
    let (number, time, base_fee, coinbase) = read(head.number.into());
    assert_eq!((number, time), (U256::from(head.number), U256::from(head.timestamp)));
    assert_eq!((base_fee, coinbase), (U256::from(head.base_fee), PROPOSER));

    let (number, time, base_fee, coinbase) = read(CallBlock::Pending);
    assert_eq!(number, U256::from(head.number + 1));
    assert!(time > U256::from(head.timestamp), "the pending block is a second later at least");
    assert_eq!(base_fee, U256::from(next_base_fee(&head)));
    assert_eq!(coinbase, PROPOSER);
    let context = chain.node.pending_context(&head, head.gas_limit);
    assert_eq!(context.timestamp, context.timestamp_ms / 1000);
    assert!(context.timestamp > head.timestamp);
}

#[test]
fn an_estimate_in_the_pending_block_counts_work_that_waits_for_time_to_move() {
    let chain = Chain::new();
    let head = chain.mine();
    // Reverts unless TIMESTAMP > the head's: TIMESTAMP PUSH8 t LT PUSH1 18 JUMPI
    // PUSH1 0 DUP1 REVERT JUMPDEST STOP.
    let mut code = vec![0x42, 0x67];
    code.extend_from_slice(&head.timestamp.to_be_bytes());
    code.extend_from_slice(&[0x10, 0x60, 18, 0x57, 0x60, 0, 0x80, 0xfd, 0x5b, 0x00]);
    let probe = Address::repeat_byte(0x53);
    let overrides = code_at(probe, &code);
    let request = TransactionRequest::default().from(chain.address(0)).to(probe);
    let err = chain.node.estimate_gas(&request, head.number, Some(&overrides)).unwrap_err();
    assert_eq!(err.to_string(), "execution reverted");
    let gas = chain.node.estimate_gas(&request, CallBlock::Pending, Some(&overrides)).unwrap();
    assert!(gas > 21_000, "{gas}");
}

#[test]
fn the_pending_block_runs_the_callers_pooled_transactions_first() {
    let chain = Chain::new();
    let counter = deploy(&chain, 5);
    let head = chain.node.head().unwrap().number;
    let increment =
        eip1559(1, TxKind::Call(counter), U256::ZERO, call_data("increment()", None), 100_000);
    chain.submit(&sign(chain.key(0), increment)).unwrap();
    let set =
        eip1559(2, TxKind::Call(counter), U256::ZERO, call_data("set(uint256)", Some(40)), 100_000);
    chain.submit(&sign(chain.key(0), set)).unwrap();
    // A gap: nonce 4 waits behind the missing 3 and is not run.
    let late =
        eip1559(4, TxKind::Call(counter), U256::ZERO, call_data("increment()", None), 100_000);
    chain.submit(&sign(chain.key(0), late)).unwrap();

    let count = |from: usize| request(chain.address(from), counter, call_data("count()", None));
    assert_eq!(word(chain.node.call(&count(0), head, None, None).unwrap()), U256::from(5));
    assert_eq!(
        word(chain.node.call(&count(0), CallBlock::Pending, None, None).unwrap()),
        U256::from(40)
    );
    // Someone else's pending block does not hold account 0's transactions.
    assert_eq!(
        word(chain.node.call(&count(1), CallBlock::Pending, None, None).unwrap()),
        U256::from(5)
    );

    // Once they are mined, the pending block runs nothing twice.
    chain.mine();
    assert_eq!(
        word(chain.node.call(&count(0), CallBlock::Pending, None, None).unwrap()),
        U256::from(40)
    );

    let (block, senders) = chain.node.pending_block().unwrap();
    let head = chain.node.head().unwrap();
    assert_eq!(block.header.number, head.number + 1);
    assert_eq!(block.header.parent_hash, head.hash());
    assert!(block.transactions.is_empty(), "nonce 4 still waits behind the gap");
    assert!(senders.is_empty());
    let transfer = crate::support::transfer(0, Address::repeat_byte(0x61), 7);
    let hash = chain.submit(&sign(chain.key(1), transfer)).unwrap();
    let (block, senders) = chain.node.pending_block().unwrap();
    assert_eq!(block.transactions.iter().map(|t| *t.tx_hash()).collect::<Vec<_>>(), [hash]);
    assert_eq!(senders, [chain.address(1)]);
    assert_eq!(block.header.gas_used, 21_000);
    assert_eq!(chain.node.head().unwrap(), head, "nothing was committed");
}
