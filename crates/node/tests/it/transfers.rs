use alloy_consensus::{SignableTransaction, TxEip2930, TxLegacy};
use alloy_primitives::{Address, Bytes, TxKind, U256};
use alloy_signer::SignerSync;
use cairn_primitives::TxEnvelope;

use crate::support::{Chain, GWEI, sign, sign_legacy, transfer};

#[test]
fn transfers_of_every_transaction_type_move_value_and_are_indexed() {
    let chain = Chain::new();
    let to = Address::repeat_byte(0x42);
    let legacy = sign_legacy(
        chain.key(0),
        TxLegacy {
            chain_id: Some(31337),
            nonce: 1,
            gas_price: 2 * GWEI,
            gas_limit: 21_000,
            to: TxKind::Call(to),
            value: U256::from(2),
            input: Bytes::new(),
        },
    );
    let access_list = TxEip2930 {
        chain_id: 31337,
        nonce: 2,
        gas_price: 2 * GWEI,
        gas_limit: 30_000,
        to: TxKind::Call(to),
        value: U256::from(3),
        access_list: Default::default(),
        input: Bytes::new(),
    };
    let signature = chain.key(0).sign_hash_sync(&access_list.signature_hash()).unwrap();
    let access_list = TxEnvelope::Eip2930(access_list.into_signed(signature));
    let txs = [sign(chain.key(0), transfer(0, to, 1)), legacy, access_list];
    for tx in &txs {
        chain.submit(tx).unwrap();
    }
    let header = chain.mine();
    assert_eq!(header.number, 1);
    assert_eq!(chain.balance(to), U256::from(6));
    assert_eq!(chain.nonce(chain.address(0)), 3);

    let block = chain.node.block(1).unwrap().unwrap();
    assert_eq!(block.transactions.len(), 3);
    assert_eq!(chain.node.block_by_hash(header.hash()).unwrap().unwrap(), block);
    let mut cumulative = 0;
    for (index, tx) in txs.iter().enumerate() {
        let found = chain.node.transaction(*tx.tx_hash()).unwrap().unwrap();
        assert_eq!(found.block_number, 1);
        assert_eq!(found.index as usize, index);
        assert_eq!(found.sender, chain.address(0));
        assert!(found.receipt.success());
        cumulative += found.receipt.gas_used;
        assert_eq!(found.receipt.envelope.cumulative_gas_used(), cumulative);
    }
    assert_eq!(header.gas_used, cumulative);
}

#[test]
fn empty_blocks_link_by_hash() {
    let chain = Chain::new();
    let first = chain.mine();
    let second = chain.mine();
    assert_eq!(second.parent_hash, first.hash());
    assert_eq!(second.state_root, first.state_root);
    assert!(second.timestamp >= first.timestamp);
}
