//! Roots match alloy's `HashBuilder` after random inserts/updates/removes, across commits and
//! reopens, and old roots stay readable.

use std::collections::BTreeMap;

use alloy_primitives::{B256, Bytes, keccak256};
use alloy_trie::EMPTY_ROOT_HASH;
use cairn_trie::{MemoryNodes, Trie, TrieError};
use proptest::prelude::*;

use crate::reference_root;

type Op = (Vec<u8>, Vec<u8>);

/// Random 32-byte keys.
fn random_keys() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 32)
}

/// 32-byte keys that share long prefixes (a common 29-byte head, then bytes from a small
/// alphabet), so extensions are created, split and merged.
fn shared_prefix_keys() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(vec![0x00u8, 0x01, 0x10, 0x11, 0xff]), 3)
        .prop_map(|tail| [vec![0xab; 29], tail].concat())
}

/// 2-byte keys from a small alphabet: with short values, whole subtrees are inline nodes.
fn short_keys() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(vec![0x00u8, 0x01, 0x12, 0x21, 0xf0]), 2)
}

/// Values of 0..70 bytes; empty means remove. Short values make inline nodes.
fn values() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => Just(vec![]),
        3 => prop::collection::vec(any::<u8>(), 1..4),
        2 => prop::collection::vec(any::<u8>(), 1..70),
    ]
}

/// Rounds of operations on keys drawn from a pool, so updates and removes hit present keys.
fn ops(keys: impl Strategy<Value = Vec<u8>>) -> impl Strategy<Value = Vec<Vec<Op>>> {
    prop::collection::vec(keys, 1..50).prop_flat_map(|pool| {
        let op = (prop::sample::select(pool), values());
        prop::collection::vec(prop::collection::vec(op, 0..60), 1..4)
    })
}

/// Applies rounds of operations; after each round commits, stores the nodes, reopens a fresh
/// trie at the new root and checks root and values against the model.
fn check_rounds(rounds: Vec<Vec<Op>>) -> Result<(), TestCaseError> {
    let mut store = MemoryNodes::new();
    let mut model = BTreeMap::<Vec<u8>, Vec<u8>>::new();
    let mut root = EMPTY_ROOT_HASH;
    let mut touched = Vec::new();
    for round in rounds {
        let mut trie = Trie::new(&store, root);
        let half = round.len() / 2;
        for (i, (key, value)) in round.into_iter().enumerate() {
            if i == half {
                // Exercise hashes cached by `root_hash` before further changes and the commit.
                prop_assert_eq!(trie.root_hash(), reference_root(&model));
            }
            if value.is_empty() {
                trie.remove(&key).map_err(fail)?;
                model.remove(&key);
            } else if i % 7 == 3 {
                // Empty value = remove, as in Ethereum.
                trie.insert(&key, Bytes::new()).map_err(fail)?;
                model.remove(&key);
            } else {
                trie.insert(&key, Bytes::from(value.clone())).map_err(fail)?;
                model.insert(key.clone(), value);
            }
            touched.push(key);
        }
        let expected = reference_root(&model);
        prop_assert_eq!(trie.root_hash(), expected);
        let update = trie.commit();
        prop_assert_eq!(update.root, expected);
        for (hash, rlp) in &update.nodes {
            prop_assert_eq!(*hash, keccak256(rlp));
        }
        store.insert_all(update.nodes);
        root = update.root;

        let mut reopened = Trie::new(&store, root);
        prop_assert_eq!(reopened.root_hash(), expected);
        for key in &touched {
            let got = reopened.get(key).map_err(fail)?;
            prop_assert_eq!(got.as_ref().map(|b| &b[..]), model.get(key).map(Vec::as_slice));
        }
    }
    Ok(())
}

fn fail(e: TrieError) -> TestCaseError {
    TestCaseError::fail(e.to_string())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_keys_match_hash_builder(rounds in ops(random_keys())) {
        check_rounds(rounds)?;
    }

    #[test]
    fn shared_prefix_keys_match_hash_builder(rounds in ops(shared_prefix_keys())) {
        check_rounds(rounds)?;
    }

    #[test]
    fn short_keys_match_hash_builder(rounds in ops(short_keys())) {
        check_rounds(rounds)?;
    }
}

#[test]
fn empty_trie_and_removing_everything() {
    let store = MemoryNodes::new();
    let mut trie = Trie::new(&store, EMPTY_ROOT_HASH);
    assert_eq!(trie.root_hash(), EMPTY_ROOT_HASH);
    assert_eq!(trie.get(&[1; 32]).unwrap(), None);
    trie.remove(&[1; 32]).unwrap();
    trie.insert(&[1; 32], Bytes::from_static(b"a")).unwrap();
    trie.insert(&[2; 32], Bytes::from_static(b"b")).unwrap();
    trie.remove(&[1; 32]).unwrap();
    trie.remove(&[2; 32]).unwrap();
    let update = trie.commit();
    assert_eq!(update.root, EMPTY_ROOT_HASH);
    assert!(update.nodes.is_empty());
}

#[test]
fn tiny_root_is_stored_by_hash() {
    let mut store = MemoryNodes::new();
    let mut trie = Trie::new(&store, EMPTY_ROOT_HASH);
    trie.insert(&[0x12], Bytes::from_static(b"v")).unwrap();
    let update = trie.commit();
    assert_eq!(update.nodes.len(), 1);
    assert!(update.nodes[0].1.len() < 32);
    assert_eq!(update.nodes[0].0, update.root);
    store.insert_all(update.nodes);
    let mut trie = Trie::new(&store, update.root);
    assert_eq!(trie.get(&[0x12]).unwrap().as_ref().map(|b| &b[..]), Some(&b"v"[..]));
    trie.insert(&[0x13], Bytes::from_static(b"w")).unwrap();
    let mut model = BTreeMap::new();
    model.insert(vec![0x12], b"v".to_vec());
    model.insert(vec![0x13], b"w".to_vec());
    assert_eq!(trie.commit().root, reference_root(&model));
}

#[test]
fn unchanged_trie_commits_nothing() {
    let mut store = MemoryNodes::new();
    let mut trie = Trie::new(&store, EMPTY_ROOT_HASH);
    for i in 0u32..100 {
        trie.insert(keccak256(i.to_be_bytes()).as_slice(), Bytes::from(vec![1; 40])).unwrap();
    }
    let update = trie.commit();
    store.insert_all(update.nodes);
    let mut trie = Trie::new(&store, update.root);
    // Reads and same-value writes do not dirty anything.
    for i in 0u32..100 {
        let key = keccak256(i.to_be_bytes());
        assert!(trie.get(key.as_slice()).unwrap().is_some());
        trie.insert(key.as_slice(), Bytes::from(vec![1; 40])).unwrap();
    }
    trie.remove(&[7; 32]).unwrap();
    let again = trie.commit();
    assert_eq!(again.root, update.root);
    assert!(again.nodes.is_empty());
}

#[test]
fn old_root_stays_readable() {
    let mut store = MemoryNodes::new();
    let key = |i: u32| keccak256(i.to_be_bytes());
    let mut roots = Vec::new();
    let mut root = EMPTY_ROOT_HASH;
    for block in 0u32..5 {
        let mut trie = Trie::new(&store, root);
        for i in 0..200 {
            trie.insert(key(i).as_slice(), Bytes::from(vec![block as u8 + 1; 50])).unwrap();
        }
        trie.remove(key(block).as_slice()).unwrap();
        let update = trie.commit();
        store.insert_all(update.nodes);
        root = update.root;
        roots.push(root);
    }
    for (block, root) in roots.iter().enumerate() {
        let mut trie = Trie::new(&store, *root);
        assert_eq!(trie.root_hash(), *root);
        assert_eq!(trie.get(key(block as u32).as_slice()).unwrap(), None);
        assert_eq!(
            trie.get(key(100).as_slice()).unwrap().as_ref().map(|b| &b[..]),
            Some(&vec![block as u8 + 1; 50][..])
        );
    }
}

#[test]
fn many_keys_match_hash_builder() {
    let mut model = BTreeMap::new();
    let mut trie = Trie::new(MemoryNodes::new(), EMPTY_ROOT_HASH);
    for i in 0u32..5000 {
        let key = keccak256(i.to_be_bytes()).to_vec();
        let value = vec![(i % 251) as u8 + 1; (i % 90) as usize + 1];
        trie.insert(&key, Bytes::from(value.clone())).unwrap();
        model.insert(key, value);
    }
    for i in (0u32..5000).step_by(3) {
        let key = keccak256(i.to_be_bytes()).to_vec();
        trie.remove(&key).unwrap();
        model.remove(&key);
    }
    assert_eq!(trie.commit().root, reference_root(&model));
}

#[test]
fn key_errors() {
    let mut trie = Trie::new(MemoryNodes::new(), EMPTY_ROOT_HASH);
    assert!(matches!(
        trie.insert(&[0; 33], Bytes::from_static(b"x")),
        Err(TrieError::KeyTooLong { len: 33 })
    ));
    trie.insert(&[1, 2], Bytes::from_static(b"x")).unwrap();
    assert!(matches!(trie.insert(&[1], Bytes::from_static(b"y")), Err(TrieError::KeyPrefix)));
    assert!(matches!(trie.insert(&[1, 2, 3], Bytes::from_static(b"y")), Err(TrieError::KeyPrefix)));
    let _ = B256::ZERO;
}
