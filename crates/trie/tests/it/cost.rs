//! Updating a few keys of a big trie loads and writes only the nodes on their paths.

use alloy_primitives::{Bytes, keccak256};
use alloy_trie::EMPTY_ROOT_HASH;
use cairn_trie::{MemoryNodes, Trie};

use crate::Counting;

#[test]
fn update_cost_is_proportional_to_changes() {
    const N: u32 = 50_000;
    let mut store = MemoryNodes::new();
    let mut trie = Trie::new(&store, EMPTY_ROOT_HASH);
    for i in 0..N {
        trie.insert(keccak256(i.to_be_bytes()).as_slice(), Bytes::from(vec![0x11; 70])).unwrap();
    }
    let base = trie.commit();
    let total = base.nodes.len();
    store.insert_all(base.nodes);

    let counting = Counting::new(&store);
    let mut trie = Trie::new(&counting, base.root);
    for i in (0..N).step_by((N / 10) as usize) {
        trie.insert(keccak256(i.to_be_bytes()).as_slice(), Bytes::from(vec![0x22; 70])).unwrap();
    }
    let update = trie.commit();
    let reads = counting.reads.get();
    // 50k random keys: leaves sit at depth ~5 (root branch, 3-4 branch levels, leaf).
    let depth = 6;
    println!("{total} nodes in store; 10 updates read {reads} and wrote {}", update.nodes.len());
    assert!(reads <= 10 * depth, "read {reads} nodes");
    assert!(update.nodes.len() <= 10 * depth, "wrote {} nodes", update.nodes.len());
    assert!(update.nodes.len() >= 10, "every changed leaf is rewritten");
    assert_ne!(update.root, base.root);
}
