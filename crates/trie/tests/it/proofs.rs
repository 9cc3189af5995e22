//! Proofs verify with alloy's independent `verify_proof`, for present and absent keys, at the
//! latest and at older roots.

use std::collections::BTreeMap;

use alloy_primitives::{B256, Bytes, keccak256};
use alloy_trie::{EMPTY_ROOT_HASH, Nibbles, proof::verify_proof};
use cairn_trie::{MemoryNodes, Trie, proof};
use proptest::prelude::*;

fn check(store: &MemoryNodes, root: B256, key: &[u8], expected: Option<&Vec<u8>>) {
    let nodes = proof(store, root, key).unwrap();
    verify_proof(root, Nibbles::unpack(key), expected.cloned(), &nodes)
        .unwrap_or_else(|e| panic!("proof for {key:?} does not verify: {e}"));
    // A wrong value must not verify.
    let wrong = Some(b"definitely not the value".to_vec());
    assert!(verify_proof(root, Nibbles::unpack(key), wrong, &nodes).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn proofs_verify(
        entries in prop::collection::btree_map(
            prop::collection::vec(any::<u8>(), 32),
            prop::collection::vec(any::<u8>(), 1..80),
            0..200,
        ),
        absent in prop::collection::vec(prop::collection::vec(any::<u8>(), 32), 1..20),
        later in prop::collection::vec(any::<u8>(), 1..50),
    ) {
        let mut store = MemoryNodes::new();
        let mut trie = Trie::new(&store, EMPTY_ROOT_HASH);
        for (key, value) in &entries {
            trie.insert(key, Bytes::from(value.clone())).unwrap();
        }
        let update = trie.commit();
        store.insert_all(update.nodes);
        let root = update.root;
        for (key, value) in &entries {
            check(&store, root, key, Some(value));
        }
        for key in &absent {
            check(&store, root, key, entries.get(key));
        }

        // Change every key in a later block; proofs at the old root still work.
        let mut trie = Trie::new(&store, root);
        for key in entries.keys() {
            trie.insert(key, Bytes::from(later.clone())).unwrap();
        }
        let update = trie.commit();
        store.insert_all(update.nodes);
        for (key, value) in &entries {
            check(&store, root, key, Some(value));
            check(&store, update.root, key, Some(&later));
        }
    }
}

#[test]
fn proofs_with_shared_prefixes_and_inline_nodes() {
    let mut store = MemoryNodes::new();
    let mut trie = Trie::new(&store, EMPTY_ROOT_HASH);
    let mut model = BTreeMap::new();
    for i in 0u8..40 {
        // A long shared prefix (extension) and tiny values (inline leaves under branches).
        let mut key = [0x5a; 32];
        key[30] = i / 8;
        key[31] = i % 8;
        trie.insert(&key, Bytes::from(vec![i + 1])).unwrap();
        model.insert(key.to_vec(), vec![i + 1]);
    }
    let update = trie.commit();
    store.insert_all(update.nodes);
    for (key, value) in &model {
        check(&store, update.root, key, Some(value));
    }
    let mut absent = [0x5a; 32];
    absent[31] = 0x77;
    check(&store, update.root, &absent, None);
    check(&store, update.root, keccak256(b"elsewhere").as_slice(), None);
}

#[test]
fn empty_root_proof() {
    let store = MemoryNodes::new();
    let nodes = proof(&store, EMPTY_ROOT_HASH, &[1; 32]).unwrap();
    assert!(nodes.is_empty());
    verify_proof(EMPTY_ROOT_HASH, Nibbles::unpack([1; 32]), None, &nodes).unwrap();
}
