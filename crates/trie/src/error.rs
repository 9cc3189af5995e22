//! Errors returned by trie operations.

use alloy_primitives::B256;

/// Everything that can go wrong while reading or updating a trie.
///
/// Bad node bytes in the backing store are always reported through this type, never by a panic,
/// because the store may be corrupted or (for proofs) filled by an untrusted peer.
#[derive(thiserror::Error, Debug)]
pub enum TrieError {
    /// A node referenced by hash is not present in the node store.
    #[error("trie node {hash} is missing from the node store")]
    MissingNode {
        /// Hash of the node that was asked for.
        hash: B256,
    },
    /// A node's bytes could not be decoded as a valid trie node.
    #[error("trie node {hash} could not be decoded: {reason}")]
    Decode {
        /// Hash under which the bad bytes were stored (for inline nodes: the enclosing node).
        hash: B256,
        /// What was wrong with the bytes.
        reason: String,
    },
    /// The node store itself failed (I/O error, database error, ...).
    #[error("node store error: {0}")]
    Backend(String),
    /// Keys are at most 32 bytes (64 nibbles), the size of a keccak256 hash.
    #[error("trie key is {len} bytes long, at most 32 are allowed")]
    KeyTooLong {
        /// Length of the rejected key in bytes.
        len: usize,
    },
    /// The key is a strict prefix of a stored key or the other way round.
    ///
    /// Ethereum tries (secure tries with 32-byte keys, RLP-keyed transaction/receipt tries)
    /// never contain such keys, so branch-node values are not supported.
    #[error("trie key is a prefix of another key (branch values are not supported)")]
    KeyPrefix,
    /// The nodes decode individually but do not form a valid trie (e.g. a path longer than
    /// 64 nibbles).
    #[error("malformed trie: {0}")]
    Malformed(&'static str),
}
