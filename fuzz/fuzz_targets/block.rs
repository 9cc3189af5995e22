//! Blocks as peers send them, RLP-encoded: the block of a proposal or of a sync response is
//! decoded as the BFT driver decodes it, then checked as the child of the head by
//! re-execution (`Node::check_candidate`), which must refuse anything wrong with an error.

#![no_main]

use std::sync::{Arc, OnceLock};

use alloy_primitives::Address;
use cairn_fuzz::chain::{call, deploy_counter, genesis_node, keys, transfer};
use cairn_node::Node;
use cairn_primitives::Block;
use cairn_storage::MemoryKv;
use libfuzzer_sys::fuzz_target;

fn node() -> &'static Arc<Node<MemoryKv>> {
    static NODE: OnceLock<Arc<Node<MemoryKv>>> = OnceLock::new();
    NODE.get_or_init(genesis_node)
}

fuzz_target!(init: cairn_fuzz::seeds::offer("block", seeds), |data: &[u8]| {
    let Ok(block) = Block::decode_bytes(data) else { return };
    // One block, one encoding: what decodes re-encodes to the very bytes, so the block a node
    // checks, stores and relays is the one the peer sent.
    assert_eq!(block.encode_to_vec(), data, "a block decodes from a non-canonical encoding");
    let hash = block.hash();
    if let Ok(candidate) = node().check_candidate(block) {
        assert_eq!(candidate.block.hash(), hash);
        assert_eq!(candidate.senders.len(), candidate.block.transactions.len());
        assert_eq!(candidate.receipts.len(), candidate.block.transactions.len());
    }
});

/// Valid children of genesis: empty, transfers, and a contract creation with calls (logs, a
/// revert), each as its proposer would build it.
fn seeds() -> Vec<Vec<u8>> {
    let counter = keys()[0].address().create(0);
    let batches = [
        vec![],
        vec![transfer(1, 0, 2, 1_000), transfer(2, 0, 1, 5), transfer(1, 1, 3, 7)],
        vec![
            deploy_counter(0, 0, 7),
            call(0, 1, counter, "increment()"),
            call(0, 2, counter, "fail()"),
            call(4, 0, counter, "set(uint256)"),
        ],
    ];
    batches
        .into_iter()
        .map(|txs| {
            let node = genesis_node();
            for raw in txs {
                node.submit_raw(&raw).expect("a valid development transaction");
            }
            let candidate = node.build_candidate(Address::ZERO).expect("a candidate block");
            candidate.block.encode_to_vec()
        })
        .collect()
}
