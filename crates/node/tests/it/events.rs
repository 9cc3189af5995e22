//! Blocks and admitted transactions are announced on separate channels.

use std::sync::Arc;

use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use cairn_consensus::DevConsensus;
use cairn_node::{Node, Origin};
use cairn_primitives::{ChainSpec, GenesisAccount};
use cairn_storage::MemoryKv;
use rayon::prelude::*;

use crate::support::{PROPOSER, sign, transfer};

#[test]
fn a_block_subscriber_keeps_up_through_a_flood_of_admitted_transactions() {
    // More admissions than the one shared channel used to hold (4,096) before the block.
    const SENDERS: u8 = 100;
    const PER_SENDER: u64 = 50;
    let keys: Vec<PrivateKeySigner> = (1..=SENDERS)
        .map(|i| PrivateKeySigner::from_bytes(&B256::with_last_byte(i)).unwrap())
        .collect();
    let mut spec = ChainSpec::dev().unwrap();
    for key in &keys {
        let funded = GenesisAccount { balance: U256::from(10u128.pow(18)), ..Default::default() };
        spec.alloc.insert(key.address(), funded);
    }
    let node = Node::open(MemoryKv::new(), spec, Arc::new(DevConsensus::new(PROPOSER))).unwrap();
    let mut blocks = node.subscribe_chain();
    let mut pending = node.subscribe_pending();

    let to = Address::repeat_byte(5);
    let raws: Vec<Vec<u8>> = (0..PER_SENDER)
        .flat_map(|nonce| keys.iter().map(move |key| (key, nonce)))
        .collect::<Vec<_>>()
        .par_iter()
        .map(|(key, nonce)| sign(key, transfer(*nonce, to, 1)).encoded_2718())
        .collect();
    for batch in raws.chunks(500) {
        assert!(node.submit_raw_batch(batch, Origin::Local).unwrap().iter().all(Result::is_ok));
    }
    let header = node.produce_block().unwrap();

    let cairn_node::ChainEvent::Head(head) = blocks.try_recv().unwrap() else {
        panic!("not a head")
    };
    assert_eq!(head.hash(), header.hash());
    let mut announced = 0;
    while pending.try_recv().is_ok() {
        announced += 1;
    }
    assert_eq!(announced, raws.len());
}
