//! The updatable trie: lazy loading, insert/remove with Ethereum's node normalisation, and
//! incremental hashing / commit of modified nodes only.

use std::mem;

use alloy_primitives::{B256, Bytes, keccak256};
use alloy_trie::{EMPTY_ROOT_HASH, Nibbles, nodes::RlpNode};

use crate::{
    NodeReader, TrieError,
    node::{Branch, Node, State, decode_node, encode_branch, encode_extension, encode_leaf, join},
};

/// The result of [`Trie::commit`]: the new root and the nodes that must be stored for it.
///
/// Exists so the caller (the storage crate) can persist new nodes atomically together with the
/// block; old nodes are never removed, so every earlier root stays readable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrieUpdate {
    /// The new root hash.
    pub root: B256,
    /// Every node created since the trie was opened whose RLP is at least 32 bytes (shorter
    /// ones are inlined in their parent), plus the root node even when it is shorter, as
    /// `(keccak256(rlp), rlp)`.
    pub nodes: Vec<(B256, Bytes)>,
}

/// A trie opened at some root; lazily loads nodes from the reader on the paths it touches.
///
/// Untouched subtrees stay hash references, so the cost of [`Trie::commit`] is proportional to
/// the number of changed keys times the depth, not to the size of the state.
///
/// If a method returns an error (missing or corrupt node), the in-memory tree may be left
/// half-updated; drop the `Trie` instead of committing it.
#[derive(Debug)]
pub struct Trie<R> {
    reader: R,
    root: Node,
}

impl<R: NodeReader> Trie<R> {
    /// Opens the trie with root `root` in `reader`; `EMPTY_ROOT_HASH` opens an empty trie.
    /// Nothing is read until a key is accessed.
    pub fn new(reader: R, root: B256) -> Self {
        let root = if root == EMPTY_ROOT_HASH { Node::Empty } else { Node::Hash(root) };
        Self { reader, root }
    }

    /// Returns the value stored under `key` (raw key bytes, at most 32), if any.
    pub fn get(&mut self, key: &[u8]) -> Result<Option<Bytes>, TrieError> {
        let path = key_path(key)?;
        get_at(&self.reader, &mut self.root, path)
    }

    /// Stores `value` under `key`; an empty value removes the key, as in Ethereum.
    pub fn insert(&mut self, key: &[u8], value: Bytes) -> Result<(), TrieError> {
        if value.is_empty() {
            return self.remove(key);
        }
        let path = key_path(key)?;
        insert_at(&self.reader, &mut self.root, path, value)?;
        Ok(())
    }

    /// Removes `key`; removing a missing key is a no-op. Branches left with one child are
    /// collapsed and extensions merged exactly like Ethereum does, so roots match.
    pub fn remove(&mut self, key: &[u8]) -> Result<(), TrieError> {
        let path = key_path(key)?;
        remove_at(&self.reader, &mut self.root, path)?;
        Ok(())
    }

    /// Computes the current root hash. Hashes are cached in the modified nodes, so a later
    /// call (or [`Trie::commit`]) does not hash them again.
    pub fn root_hash(&mut self) -> B256 {
        let mut encoder = Encoder { collect: false, buf: Vec::new(), nodes: Vec::new() };
        encoder.root(&mut self.root)
    }

    /// Finishes the trie: returns the root and every node that was created or changed.
    pub fn commit(mut self) -> TrieUpdate {
        let mut encoder =
            Encoder { collect: true, buf: Vec::with_capacity(600), nodes: Vec::new() };
        let root = encoder.root(&mut self.root);
        TrieUpdate { root, nodes: encoder.nodes }
    }

    /// The reader this trie loads nodes from.
    pub fn reader(&self) -> &R {
        &self.reader
    }
}

/// Unpacks a raw key into its nibble path.
pub(crate) fn key_path(key: &[u8]) -> Result<Nibbles, TrieError> {
    if key.len() > 32 {
        return Err(TrieError::KeyTooLong { len: key.len() });
    }
    Ok(Nibbles::unpack(key))
}

/// Loads the node stored under `hash`.
fn load<R: NodeReader>(reader: &R, hash: &B256) -> Result<Node, TrieError> {
    let bytes = reader.node(hash)?.ok_or(TrieError::MissingNode { hash: *hash })?;
    decode_node(hash, &bytes)
}

/// Replaces a hash reference by the node it points to (a no-op for loaded nodes).
fn resolve<R: NodeReader>(reader: &R, node: &mut Node) -> Result<(), TrieError> {
    if let Node::Hash(hash) = node {
        *node = load(reader, hash)?;
    }
    Ok(())
}

fn get_at<R: NodeReader>(
    reader: &R,
    node: &mut Node,
    path: Nibbles,
) -> Result<Option<Bytes>, TrieError> {
    resolve(reader, node)?;
    match node {
        Node::Empty | Node::Hash(_) => Ok(None),
        Node::Leaf(leaf) => Ok((leaf.key == path).then(|| leaf.value.clone())),
        Node::Extension(ext) => {
            if path.starts_with(&ext.key) {
                get_at(reader, &mut ext.child, path.slice(ext.key.len()..))
            } else {
                Ok(None)
            }
        }
        Node::Branch(branch) => match path.first() {
            Some(i) => match &mut branch.children[i as usize] {
                Some(child) => get_at(reader, child, path.slice(1..)),
                None => Ok(None),
            },
            None => Ok(None),
        },
    }
}

/// Inserts below `node`; returns whether anything changed (so unchanged paths stay clean).
fn insert_at<R: NodeReader>(
    reader: &R,
    node: &mut Node,
    path: Nibbles,
    value: Bytes,
) -> Result<bool, TrieError> {
    resolve(reader, node)?;
    match node {
        Node::Empty => {
            *node = Node::leaf(path, value);
            Ok(true)
        }
        Node::Hash(_) => Err(TrieError::Malformed("unresolved node")),
        Node::Leaf(leaf) => {
            if leaf.key == path {
                if leaf.value == value {
                    return Ok(false);
                }
                leaf.value = value;
                leaf.state = State::Dirty;
                return Ok(true);
            }
            let common = leaf.key.common_prefix_length(&path);
            if common == leaf.key.len() || common == path.len() {
                return Err(TrieError::KeyPrefix);
            }
            let mut branch = Branch::new();
            let old = Node::leaf(leaf.key.slice(common + 1..), mem::take(&mut leaf.value));
            branch.children[leaf.key.get_unchecked(common) as usize] = Some(Box::new(old));
            let new = Node::leaf(path.slice(common + 1..), value);
            branch.children[path.get_unchecked(common) as usize] = Some(Box::new(new));
            *node = Node::with_prefix(path.slice(..common), Node::Branch(Box::new(branch)));
            Ok(true)
        }
        Node::Extension(ext) => {
            let common = ext.key.common_prefix_length(&path);
            if common == ext.key.len() {
                let changed = insert_at(reader, &mut ext.child, path.slice(common..), value)?;
                if changed {
                    ext.state = State::Dirty;
                }
                return Ok(changed);
            }
            if common == path.len() {
                return Err(TrieError::KeyPrefix);
            }
            // Split the extension at the first differing nibble.
            let mut branch = Branch::new();
            let rest = ext.key.slice(common + 1..);
            let child = mem::replace(&mut ext.child, Box::new(Node::Empty));
            let old = if rest.is_empty() { child } else { Box::new(Node::extension(rest, child)) };
            branch.children[ext.key.get_unchecked(common) as usize] = Some(old);
            let new = Node::leaf(path.slice(common + 1..), value);
            branch.children[path.get_unchecked(common) as usize] = Some(Box::new(new));
            *node = Node::with_prefix(path.slice(..common), Node::Branch(Box::new(branch)));
            Ok(true)
        }
        Node::Branch(branch) => {
            let Some(i) = path.first() else {
                return Err(TrieError::KeyPrefix);
            };
            let changed = match &mut branch.children[i as usize] {
                Some(child) => insert_at(reader, child, path.slice(1..), value)?,
                slot @ None => {
                    *slot = Some(Box::new(Node::leaf(path.slice(1..), value)));
                    true
                }
            };
            if changed {
                branch.state = State::Dirty;
            }
            Ok(changed)
        }
    }
}

/// Removes below `node`; returns whether anything changed. Leaves the subtree normalised:
/// no branch with a single child, no extension followed by a leaf or an extension.
fn remove_at<R: NodeReader>(reader: &R, node: &mut Node, path: Nibbles) -> Result<bool, TrieError> {
    resolve(reader, node)?;
    match node {
        Node::Empty | Node::Hash(_) => Ok(false),
        Node::Leaf(leaf) => {
            if leaf.key != path {
                return Ok(false);
            }
            *node = Node::Empty;
            Ok(true)
        }
        Node::Extension(ext) => {
            if !path.starts_with(&ext.key)
                || !remove_at(reader, &mut ext.child, path.slice(ext.key.len()..))?
            {
                return Ok(false);
            }
            let child = mem::replace(&mut *ext.child, Node::Empty);
            *node = prepend(&ext.key, child)?;
            Ok(true)
        }
        Node::Branch(branch) => {
            let Some(i) = path.first() else {
                return Ok(false);
            };
            let i = i as usize;
            let Some(child) = &mut branch.children[i] else {
                return Ok(false);
            };
            if !remove_at(reader, child, path.slice(1..))? {
                return Ok(false);
            }
            if matches!(**child, Node::Empty) {
                branch.children[i] = None;
            }
            branch.state = State::Dirty;
            let mut remaining = branch.children.iter().enumerate().filter(|(_, c)| c.is_some());
            let (Some((only, _)), None) = (remaining.next(), remaining.next()) else {
                if branch.children.iter().all(Option::is_none) {
                    *node = Node::Empty;
                }
                return Ok(true);
            };
            // One child left: the branch disappears and its nibble moves into the child.
            let mut child = branch.children[only].take().map_or(Node::Empty, |c| *c);
            resolve(reader, &mut child)?;
            *node = prepend(&Nibbles::from_nibbles_unchecked([only as u8]), child)?;
            Ok(true)
        }
    }
}

/// Puts `prefix` in front of `child`: merged into a leaf's or extension's path, or as a new
/// extension in front of a branch.
fn prepend(prefix: &Nibbles, child: Node) -> Result<Node, TrieError> {
    Ok(match child {
        Node::Empty => Node::Empty,
        Node::Leaf(leaf) => Node::leaf(join(prefix, &leaf.key)?, leaf.value),
        Node::Extension(ext) => Node::extension(join(prefix, &ext.key)?, ext.child),
        other @ (Node::Branch(_) | Node::Hash(_)) => Node::extension(*prefix, Box::new(other)),
    })
}

/// Walks modified nodes bottom-up, encoding and hashing them.
struct Encoder {
    /// `true` for commit: re-encode everything not yet stored and collect it; `false` for
    /// `root_hash`: only hash what has no known reference, collect nothing.
    collect: bool,
    buf: Vec<u8>,
    nodes: Vec<(B256, Bytes)>,
}

impl Encoder {
    fn root(&mut self, root: &mut Node) -> B256 {
        match root {
            Node::Empty => EMPTY_ROOT_HASH,
            Node::Hash(hash) => *hash,
            _ => {
                let reference = self.reference(root);
                if let Some(hash) = as_hash(&reference) {
                    return hash;
                }
                // A root shorter than 32 bytes is still stored and addressed by its hash.
                let hash = keccak256(&reference[..]);
                if self.collect {
                    self.nodes.push((hash, Bytes::copy_from_slice(&reference)));
                }
                hash
            }
        }
    }

    /// Returns the reference to `node` as it appears in its parent (hash or inline RLP).
    fn reference(&mut self, node: &mut Node) -> RlpNode {
        match node {
            Node::Empty => RlpNode::from_rlp(&[alloy_rlp::EMPTY_STRING_CODE]),
            Node::Hash(hash) => RlpNode::word_rlp(hash),
            Node::Leaf(leaf) => {
                if let Some(r) = self.known(&leaf.state) {
                    return r;
                }
                self.buf.clear();
                encode_leaf(&leaf.key, &leaf.value, &mut self.buf);
                self.finish(&mut leaf.state)
            }
            Node::Extension(ext) => {
                if let Some(r) = self.known(&ext.state) {
                    return r;
                }
                let child = self.reference(&mut ext.child);
                self.buf.clear();
                encode_extension(&ext.key, &child, &mut self.buf);
                self.finish(&mut ext.state)
            }
            Node::Branch(branch) => {
                if let Some(r) = self.known(&branch.state) {
                    return r;
                }
                let mut refs: [Option<RlpNode>; 16] = Default::default();
                for (slot, child) in refs.iter_mut().zip(branch.children.iter_mut()) {
                    if let Some(child) = child {
                        *slot = Some(self.reference(child));
                    }
                }
                self.buf.clear();
                encode_branch(&refs, &mut self.buf);
                self.finish(&mut branch.state)
            }
        }
    }

    /// The reference of a node that needs no work in this pass.
    fn known(&self, state: &State) -> Option<RlpNode> {
        match state {
            State::Clean(r) => Some(r.clone()),
            State::Hashed(r) if !self.collect => Some(r.clone()),
            State::Hashed(_) | State::Dirty => None,
        }
    }

    /// Turns the node RLP in `buf` into its reference, records it, and updates `state`.
    fn finish(&mut self, state: &mut State) -> RlpNode {
        let rlp = &self.buf[..];
        let reference = match state {
            State::Hashed(r) if r.len() == 33 => r.clone(),
            _ => RlpNode::from_rlp(rlp),
        };
        *state = if self.collect {
            if let Some(hash) = as_hash(&reference) {
                self.nodes.push((hash, Bytes::copy_from_slice(rlp)));
            }
            State::Clean(reference.clone())
        } else {
            State::Hashed(reference.clone())
        };
        reference
    }
}

/// The hash inside a hash reference (`0xa0 ++ hash`), `None` for inline nodes.
fn as_hash(reference: &RlpNode) -> Option<B256> {
    (reference.len() == 33).then(|| B256::from_slice(&reference[1..]))
}
