//! Missing and corrupt nodes give errors, never panics.

use alloy_primitives::{B256, Bytes, keccak256};
use alloy_trie::EMPTY_ROOT_HASH;
use cairn_trie::{MemoryNodes, NodeReader, Trie, TrieError, proof};
use proptest::prelude::*;

fn build(n: u32) -> (MemoryNodes, B256) {
    let mut store = MemoryNodes::new();
    let mut trie = Trie::new(&store, EMPTY_ROOT_HASH);
    for i in 0..n {
        trie.insert(keccak256(i.to_be_bytes()).as_slice(), Bytes::from(vec![i as u8 | 1; 40]))
            .unwrap();
    }
    let update = trie.commit();
    store.insert_all(update.nodes);
    (store, update.root)
}

#[test]
fn missing_root_is_missing_node() {
    let store = MemoryNodes::new();
    let root = B256::repeat_byte(7);
    let mut trie = Trie::new(&store, root);
    assert!(matches!(trie.get(&[0; 32]), Err(TrieError::MissingNode { hash }) if hash == root));
    assert!(matches!(proof(&store, root, &[0; 32]), Err(TrieError::MissingNode { .. })));
}

#[test]
fn missing_inner_node_is_missing_node() {
    let (mut store, root) = build(100);
    let root_rlp = store.node(&root).unwrap().unwrap();
    store.0.retain(|hash, _| *hash == root);
    assert_eq!(store.len(), 1);
    let mut trie = Trie::new(&store, root);
    assert!(matches!(
        trie.get(keccak256(0u32.to_be_bytes()).as_slice()),
        Err(TrieError::MissingNode { .. })
    ));
    assert!(!root_rlp.is_empty());
}

#[test]
fn garbage_root_is_decode_error() {
    let root = B256::repeat_byte(9);
    for bytes in [&b""[..], b"\x80", b"\xc0", b"\xf9\xff", b"hello world", &[0xc1, 0xc0]] {
        let mut store = MemoryNodes::new();
        store.insert_all([(root, Bytes::copy_from_slice(bytes))]);
        let mut trie = Trie::new(&store, root);
        assert!(matches!(trie.get(&[0; 32]), Err(TrieError::Decode { .. })), "{bytes:?}");
        assert!(
            matches!(
                trie.insert(&[0; 32], Bytes::from_static(b"x")),
                Err(TrieError::Decode { .. })
            ),
            "{bytes:?}"
        );
        assert!(proof(&store, root, &[0; 32]).is_err());
    }
}

#[test]
fn proof_rejects_node_under_wrong_hash() {
    let (mut store, root) = build(50);
    let other = store.0.iter().find(|(h, _)| **h != root).map(|(_, v)| v.clone()).unwrap();
    store.0.insert(root, other);
    assert!(matches!(proof(&store, root, &[0; 32]), Err(TrieError::Decode { .. })));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Mutating any stored node in any way never panics, whatever the operation.
    #[test]
    fn corrupt_nodes_never_panic(
        victim in any::<prop::sample::Index>(),
        cut in any::<prop::sample::Index>(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        truncate in any::<bool>(),
    ) {
        let (mut store, root) = build(60);
        let mut hashes: Vec<B256> = store.0.keys().copied().collect();
        hashes.sort();
        let hash = hashes[victim.index(hashes.len())];
        let mut bytes = store.0[&hash].to_vec();
        for (at, byte) in flips {
            let i = at.index(bytes.len());
            bytes[i] ^= byte;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        store.0.insert(hash, Bytes::from(bytes));
        for i in 0u32..60 {
            let key = keccak256(i.to_be_bytes());
            let _ = Trie::new(&store, root).get(key.as_slice());
            let _ = proof(&store, root, key.as_slice());
            let mut trie = Trie::new(&store, root);
            let _ = trie.remove(key.as_slice());
            let _ = trie.insert(keccak256(key).as_slice(), Bytes::from_static(b"v"));
            if trie.remove(keccak256(i.to_be_bytes()).as_slice()).is_ok() {
                let _ = trie.commit();
            }
        }
    }
}
