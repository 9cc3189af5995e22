use alloy_consensus::TxLegacy;
use alloy_primitives::{Address, Bytes, TxKind, U256};
use alloy_signer_local::PrivateKeySigner;
use cairn_node::NodeError;

use crate::support::{Chain, GWEI, eip1559, sign, sign_legacy, transfer};

fn rejection(result: Result<alloy_primitives::B256, NodeError>) -> String {
    match result {
        Err(NodeError::Pool(e)) => e.to_string(),
        other => panic!("expected a pool rejection, got {other:?}"),
    }
}

#[test]
fn every_rejection_reason_reaches_the_caller() {
    let chain = Chain::new();
    let to = Address::repeat_byte(7);
    chain.submit(&sign(chain.key(0), transfer(0, to, 1))).unwrap();
    chain.mine();

    let cases: Vec<(&str, Result<_, _>)> = vec![
        ("nonce too low", chain.submit(&sign(chain.key(0), transfer(0, to, 1)))),
        ("insufficient funds for gas * price + value", {
            let poor = PrivateKeySigner::random();
            chain.submit(&sign(&poor, transfer(0, to, 1)))
        }),
        ("invalid chain id", {
            let mut tx = transfer(1, to, 1);
            tx.chain_id = 1;
            chain.submit(&sign(chain.key(0), tx))
        }),
        ("exceeds block gas limit", {
            let tx = eip1559(1, TxKind::Call(to), U256::ZERO, Bytes::new(), 30_000_001);
            chain.submit(&sign(chain.key(0), tx))
        }),
        ("intrinsic gas too low", {
            let tx = eip1559(1, TxKind::Call(to), U256::ZERO, Bytes::new(), 20_000);
            chain.submit(&sign(chain.key(0), tx))
        }),
        ("oversized data", {
            let data = Bytes::from(vec![1u8; 129 * 1024]);
            let tx = eip1559(1, TxKind::Call(to), U256::ZERO, data, 29_000_000);
            chain.submit(&sign(chain.key(0), tx))
        }),
        ("invalid chain id", {
            let tx = TxLegacy {
                chain_id: None,
                nonce: 1,
                gas_price: 2 * GWEI,
                gas_limit: 21_000,
                to: TxKind::Call(to),
                value: U256::ZERO,
                input: Bytes::new(),
            };
            chain.submit(&sign_legacy(chain.key(0), tx))
        }),
        ("invalid transaction encoding", chain.node.submit_raw(&[0x02, 0xc0, 0x01])),
    ];
    for (expected, result) in cases {
        let message = rejection(result);
        assert!(message.contains(expected), "expected {expected:?}, got {message:?}");
    }
    assert_eq!(chain.node.pending_count(), 0);
}

#[test]
fn replacement_needs_ten_percent_more_and_duplicates_are_known() {
    let chain = Chain::new();
    let to = Address::repeat_byte(8);
    let original = sign(chain.key(1), transfer(0, to, 1));
    chain.submit(&original).unwrap();
    assert!(rejection(chain.submit(&original)).contains("already known"));

    let mut cheap = transfer(0, to, 2);
    cheap.max_fee_per_gas = 10 * GWEI + GWEI / 20;
    cheap.max_priority_fee_per_gas = GWEI + GWEI / 20;
    assert!(
        rejection(chain.submit(&sign(chain.key(1), cheap)))
            .contains("replacement transaction underpriced")
    );

    let mut bumped = transfer(0, to, 3);
    bumped.max_fee_per_gas = 11 * GWEI;
    bumped.max_priority_fee_per_gas = GWEI + GWEI / 10;
    let replacement = chain.submit(&sign(chain.key(1), bumped)).unwrap();
    chain.mine();
    assert!(chain.node.transaction(replacement).unwrap().is_some());
    assert!(chain.node.transaction(*original.tx_hash()).unwrap().is_none());
    assert_eq!(chain.balance(to), U256::from(3));
}

#[test]
fn a_nonce_gap_waits_until_it_is_filled() {
    let chain = Chain::new();
    let to = Address::repeat_byte(9);
    let later = chain.submit(&sign(chain.key(2), transfer(1, to, 1))).unwrap();
    assert_eq!(chain.node.pending_count(), 0);
    assert_eq!(chain.node.pending_nonce(chain.address(2)).unwrap(), 0);
    chain.mine();
    assert!(chain.node.transaction(later).unwrap().is_none());

    chain.submit(&sign(chain.key(2), transfer(0, to, 1))).unwrap();
    assert_eq!(chain.node.pending_count(), 2);
    assert_eq!(chain.node.pending_nonce(chain.address(2)).unwrap(), 2);
    chain.mine();
    assert_eq!(chain.node.transaction(later).unwrap().unwrap().index, 1);
    assert_eq!(chain.nonce(chain.address(2)), 2);
    assert_eq!(chain.node.pending_count(), 0);
}

#[test]
fn blocks_take_the_best_paying_transactions_first() {
    let chain = Chain::new();
    let to = Address::repeat_byte(10);
    let mut cheap = transfer(0, to, 1);
    cheap.max_priority_fee_per_gas = 1;
    let cheap = chain.submit(&sign(chain.key(3), cheap)).unwrap();
    let paying = chain.submit(&sign(chain.key(4), transfer(0, to, 1))).unwrap();
    chain.mine();
    let cheap = chain.node.transaction(cheap).unwrap().unwrap();
    let paying = chain.node.transaction(paying).unwrap().unwrap();
    assert!(paying.index < cheap.index, "the paying transaction comes first");
}
