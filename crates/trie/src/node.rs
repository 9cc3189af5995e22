//! In-memory trie nodes and their Ethereum RLP encoding / decoding.
//!
//! A node loaded from the store keeps the hash it was loaded under, so re-hashing the trie
//! never touches it again unless it is modified; a child that was never loaded is just a
//! [`Node::Hash`] reference.

use alloy_primitives::{B256, Bytes};
use alloy_rlp::{Decodable, EMPTY_STRING_CODE, Encodable, Header};
use alloy_trie::{
    Nibbles,
    nodes::{RlpNode, TrieNode, encode_path_leaf},
};

use crate::TrieError;

/// Maximum path length in nibbles (32-byte keys).
pub(crate) const MAX_NIBBLES: usize = 64;

/// Whether a node's encoding is known and whether it still has to be written out.
#[derive(Clone, Debug)]
pub(crate) enum State {
    /// Unchanged since it was loaded (or committed): the reference is known and the node is
    /// already in the store.
    Clean(RlpNode),
    /// Modified, but its reference was computed by `root_hash`; it still has to be written out.
    Hashed(RlpNode),
    /// Modified and not hashed yet.
    Dirty,
}

/// A leaf: the rest of the key and the value.
#[derive(Debug)]
pub(crate) struct Leaf {
    pub(crate) key: Nibbles,
    pub(crate) value: Bytes,
    pub(crate) state: State,
}

/// An extension: a shared path segment followed by one child (always a branch in a valid trie).
#[derive(Debug)]
pub(crate) struct Extension {
    pub(crate) key: Nibbles,
    pub(crate) child: Box<Node>,
    pub(crate) state: State,
}

/// A branch: up to 16 children, one per next nibble. Branch values are not supported.
#[derive(Debug)]
pub(crate) struct Branch {
    pub(crate) children: [Option<Box<Node>>; 16],
    pub(crate) state: State,
}

/// A trie node as held in memory.
#[derive(Debug)]
pub(crate) enum Node {
    /// The empty trie (only ever the root).
    Empty,
    /// A node stored under this hash that has not been loaded.
    Hash(B256),
    /// See [`Leaf`].
    Leaf(Leaf),
    /// See [`Extension`].
    Extension(Extension),
    /// See [`Branch`].
    Branch(Box<Branch>),
}

impl Node {
    /// A new (dirty) leaf.
    pub(crate) fn leaf(key: Nibbles, value: Bytes) -> Self {
        Self::Leaf(Leaf { key, value, state: State::Dirty })
    }

    /// A new (dirty) extension.
    pub(crate) fn extension(key: Nibbles, child: Box<Node>) -> Self {
        Self::Extension(Extension { key, child, state: State::Dirty })
    }

    /// Puts `node` behind an extension with `prefix`, unless the prefix is empty.
    pub(crate) fn with_prefix(prefix: Nibbles, node: Node) -> Self {
        if prefix.is_empty() { node } else { Self::extension(prefix, Box::new(node)) }
    }
}

impl Branch {
    /// A new (dirty) branch without children.
    pub(crate) fn new() -> Self {
        Self { children: Default::default(), state: State::Dirty }
    }
}

/// Joins two path segments, failing instead of panicking if the result exceeds 64 nibbles
/// (only possible with corrupt nodes).
pub(crate) fn join(a: &Nibbles, b: &Nibbles) -> Result<Nibbles, TrieError> {
    if a.len() + b.len() > MAX_NIBBLES {
        return Err(TrieError::Malformed("path longer than 64 nibbles"));
    }
    Ok(a.join(b))
}

/// RLP of a leaf node: `[hex_prefix(key, leaf), value]`.
pub(crate) fn encode_leaf(key: &Nibbles, value: &[u8], out: &mut Vec<u8>) {
    let path = encode_path_leaf(key, true);
    let payload_length = path[..].length() + value.length();
    Header { list: true, payload_length }.encode(out);
    path[..].encode(out);
    value.encode(out);
}

/// RLP of an extension node: `[hex_prefix(key, extension), child_ref]`.
pub(crate) fn encode_extension(key: &Nibbles, child: &RlpNode, out: &mut Vec<u8>) {
    let path = encode_path_leaf(key, false);
    let payload_length = path[..].length() + child.len();
    Header { list: true, payload_length }.encode(out);
    path[..].encode(out);
    out.extend_from_slice(child);
}

/// RLP of a branch node: 16 child references (empty string for none) and an empty value.
pub(crate) fn encode_branch(children: &[Option<RlpNode>; 16], out: &mut Vec<u8>) {
    let payload_length =
        1 + children.iter().map(|c| c.as_ref().map_or(1, |c| c.len())).sum::<usize>();
    Header { list: true, payload_length }.encode(out);
    for child in children {
        match child {
            Some(child) => out.extend_from_slice(child),
            None => out.push(EMPTY_STRING_CODE),
        }
    }
    out.push(EMPTY_STRING_CODE);
}

/// Decodes the RLP of a node stored under `hash`; inline children are decoded too, hashed
/// children become [`Node::Hash`]. The node is marked clean with reference `hash`.
pub(crate) fn decode_node(hash: &B256, bytes: &[u8]) -> Result<Node, TrieError> {
    decode_with_state(hash, bytes, State::Clean(RlpNode::word_rlp(hash)))
}

fn decode_err(hash: &B256, reason: impl ToString) -> TrieError {
    TrieError::Decode { hash: *hash, reason: reason.to_string() }
}

fn decode_with_state(hash: &B256, bytes: &[u8], state: State) -> Result<Node, TrieError> {
    let mut buf = bytes;
    let node = TrieNode::decode(&mut buf).map_err(|e| decode_err(hash, e))?;
    if !buf.is_empty() {
        return Err(decode_err(hash, "trailing bytes after node"));
    }
    Ok(match node {
        TrieNode::EmptyRoot => return Err(decode_err(hash, "empty node where a node is expected")),
        TrieNode::Leaf(leaf) => {
            Node::Leaf(Leaf { key: leaf.key, value: Bytes::from(leaf.value), state })
        }
        TrieNode::Extension(ext) => {
            if ext.key.is_empty() {
                return Err(decode_err(hash, "extension with empty path"));
            }
            let child = Box::new(decode_child(hash, &ext.child)?);
            Node::Extension(Extension { key: ext.key, child, state })
        }
        TrieNode::Branch(branch) => {
            let mut out = Branch { children: Default::default(), state };
            let mut stack = branch.stack.iter();
            for (i, slot) in out.children.iter_mut().enumerate() {
                if branch.state_mask.is_bit_set(i as u8) {
                    let child = stack.next().ok_or_else(|| decode_err(hash, "branch stack"))?;
                    *slot = Some(Box::new(decode_child(hash, child)?));
                }
            }
            Node::Branch(Box::new(out))
        }
    })
}

/// Decodes a child reference: a 32-byte hash or an inline node shorter than 32 bytes.
fn decode_child(parent: &B256, child: &RlpNode) -> Result<Node, TrieError> {
    match child.first() {
        Some(&0xa0) if child.len() == 33 => Ok(Node::Hash(B256::from_slice(&child[1..]))),
        Some(&first) if first >= 0xc0 && child.len() < 32 => {
            decode_with_state(parent, child, State::Clean(child.clone()))
        }
        _ => Err(decode_err(parent, "child is neither a hash nor an inline node")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use alloy_primitives::{hex, keccak256};
    use alloy_trie::nodes::{BranchNode, ExtensionNode, LeafNode};

    #[test]
    fn leaf_encoding_matches_alloy() {
        let key = Nibbles::from_nibbles([1, 2, 3]);
        let mut ours = vec![];
        encode_leaf(&key, &[0xaa; 40], &mut ours);
        assert_eq!(ours, alloy_rlp::encode(LeafNode::new(key, vec![0xaa; 40])));
    }

    #[test]
    fn extension_and_branch_encoding_match_alloy() {
        let child = RlpNode::word_rlp(&keccak256(b"x"));
        let key = Nibbles::from_nibbles([1, 2]);
        let mut ours = vec![];
        encode_extension(&key, &child, &mut ours);
        assert_eq!(ours, alloy_rlp::encode(ExtensionNode::new(key, child.clone())));

        let mut children: [Option<RlpNode>; 16] = Default::default();
        children[3] = Some(child.clone());
        children[9] = Some(RlpNode::from_raw(&hex!("c22001")).unwrap());
        let mut ours = vec![];
        encode_branch(&children, &mut ours);
        let stack = children.iter().flatten().cloned().collect();
        let mask = alloy_trie::TrieMask::new((1 << 3) | (1 << 9));
        assert_eq!(ours, alloy_rlp::encode(BranchNode::new(stack, mask)));
    }

    #[test]
    fn decode_rejects_garbage() {
        let h = B256::ZERO;
        for bad in [&[][..], &[0x80], &[0xc0], &[0xff, 0x00], &hex!("c3820001")] {
            assert!(matches!(decode_node(&h, bad), Err(TrieError::Decode { .. })), "{bad:?}");
        }
    }
}
