//! Ethereum's Merkle-Patricia trie over a content-addressed node store.
//!
//! # Design
//!
//! Nodes are encoded exactly like Ethereum (hex-prefix paths; leaf, extension and branch nodes
//! in RLP; a child is referenced by `keccak256(rlp)` when its RLP is at least 32 bytes and
//! inlined otherwise) and stored by hash through a [`NodeReader`]. The encoding reuses
//! `alloy_trie`'s [`Nibbles`](alloy_trie::Nibbles), hex-prefix encoding and node decoder.
//!
//! A [`Trie`] is opened at a root hash and keeps an in-memory tree in which every subtree it
//! has not touched is just a hash reference. `get`/`insert`/`remove` load only the nodes on
//! the paths they walk. Modified nodes are marked dirty, and [`Trie::commit`] re-encodes and
//! re-hashes only those, returning them in a [`TrieUpdate`] for the caller to store. Updating
//! the state root after a block therefore costs `O(changed keys × depth)`, independent of the
//! size of the state.
//!
//! This crate never deletes nodes: every earlier root remains readable as long as the store
//! keeps its nodes, which is what [`proof`] relies on to answer `eth_getProof` for older
//! blocks.
//!
//! Keys are raw byte strings of at most 32 bytes (callers pass `keccak256(address)` or
//! `keccak256(slot)`); a key may not be a prefix of another, as in all Ethereum tries.

mod error;
mod memory;
mod node;
mod proof;
mod reader;
mod trie;

pub use error::TrieError;
pub use memory::MemoryNodes;
pub use proof::proof;
pub use reader::NodeReader;
pub use trie::{Trie, TrieUpdate};
