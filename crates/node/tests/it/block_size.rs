//! A block carries at most MAX_BLOCK_TX_BYTES of transactions, whatever its gas limit allows.

use std::sync::Arc;

use alloy_consensus::TxEnvelope;
use alloy_eips::eip2718::{Decodable2718, Encodable2718};
use alloy_primitives::{Address, Bytes, TxKind, U256};
use cairn_consensus::DevConsensus;
use cairn_node::Node;
use cairn_primitives::{ChainSpec, MAX_BLOCK_TX_BYTES, dev_accounts};
use cairn_storage::MemoryKv;

use crate::support::{PROPOSER, eip1559, sign};

/// Zero-byte calldata costs 4 gas a byte: 120 kB of it is 501,000 gas, so 100M gas would hold
/// 199 such transactions, far more bytes than a block may carry.
const CALLDATA: usize = 120_000;

fn node() -> Node<MemoryKv> {
    let spec = ChainSpec { gas_limit: 100_000_000, ..ChainSpec::dev().unwrap() };
    Node::open(MemoryKv::new(), spec, Arc::new(DevConsensus::new(PROPOSER))).unwrap()
}

#[test]
fn the_builder_stops_at_the_byte_bound_and_validators_refuse_bigger_blocks() {
    let (proposer, validator) = (node(), node());
    let accounts = dev_accounts(10).unwrap();
    let to = TxKind::Call(Address::repeat_byte(7));
    let raws: Vec<Vec<u8>> = (0..8)
        .flat_map(|nonce| accounts.iter().map(move |a| (a, nonce)))
        .map(|(account, nonce)| {
            let input = Bytes::from(vec![0u8; CALLDATA]);
            sign(&account.signer, eip1559(nonce, to, U256::ZERO, input, 600_000)).encoded_2718()
        })
        .collect();
    let size = raws[0].len();
    let fit = MAX_BLOCK_TX_BYTES / size;
    assert!(raws.len() > fit && raws.iter().all(|raw| raw.len() == size));
    for raw in &raws {
        proposer.submit_raw(raw).unwrap();
        validator.submit_raw(raw).unwrap();
    }

    let built = proposer.build_candidate(PROPOSER).unwrap();
    assert_eq!(built.block.transactions.len(), fit);
    assert!(built.block.transaction_bytes() <= MAX_BLOCK_TX_BYTES);
    assert!(built.rejected.is_empty(), "what did not fit stays in the pool");
    assert!(built.block.header.gas_used < built.block.header.gas_limit / 2, "bytes bound it");

    let mut oversized = built.block.clone();
    let next = raws
        .iter()
        .find(|raw| !built.block.transactions.iter().any(|tx| tx.encoded_2718() == raw.as_slice()));
    oversized.transactions.push(TxEnvelope::decode_2718(&mut next.unwrap().as_slice()).unwrap());
    let refused = validator.check_candidate(oversized).unwrap_err();
    assert!(refused.to_string().contains("more than the"), "{refused}");
    assert!(validator.check_candidate(built.block).is_ok());
}
