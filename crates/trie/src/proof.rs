//! Merkle proofs in the format of `eth_getProof`.

use alloy_primitives::{B256, Bytes, keccak256};
use alloy_trie::{EMPTY_ROOT_HASH, Nibbles};

use crate::{
    NodeReader, TrieError,
    node::{Node, decode_node},
    trie::key_path,
};

/// Proof: the RLP of every node on the path from the root towards `key` (inclusion or
/// exclusion proof), as `eth_getProof` returns `accountProof`/`storageProof`.
///
/// Reads straight from `reader`, so it works for any root still in the store (old blocks too).
/// Nodes inlined in their parent are not listed separately. Each node read is checked against
/// its hash, since the proof is handed to third parties.
pub fn proof<R: NodeReader>(reader: R, root: B256, key: &[u8]) -> Result<Vec<Bytes>, TrieError> {
    let mut path = key_path(key)?;
    let mut nodes = Vec::new();
    if root == EMPTY_ROOT_HASH {
        return Ok(nodes);
    }
    let mut next = root;
    loop {
        let bytes = reader.node(&next)?.ok_or(TrieError::MissingNode { hash: next })?;
        if keccak256(&bytes) != next {
            return Err(TrieError::Decode { hash: next, reason: "hash mismatch".into() });
        }
        let node = decode_node(&next, &bytes)?;
        nodes.push(bytes);
        match next_hash(&node, path) {
            Some((hash, rest)) => {
                next = hash;
                path = rest;
            }
            None => return Ok(nodes),
        }
    }
}

/// Follows `path` through `node` and its inline children; returns the next hashed node to
/// read and the remaining path, or `None` when the walk ends (value found or key absent).
fn next_hash(node: &Node, path: Nibbles) -> Option<(B256, Nibbles)> {
    match node {
        Node::Hash(hash) => Some((*hash, path)),
        Node::Empty | Node::Leaf(_) => None,
        Node::Extension(ext) => {
            if path.starts_with(&ext.key) {
                next_hash(&ext.child, path.slice(ext.key.len()..))
            } else {
                None
            }
        }
        Node::Branch(branch) => {
            let i = path.first()?;
            let child = branch.children[i as usize].as_ref()?;
            next_hash(child, path.slice(1..))
        }
    }
}
