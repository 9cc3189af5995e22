//! The [`NodeReader`] trait: where a trie gets its nodes from.

use alloy_primitives::{B256, Bytes};
use std::sync::Arc;

use crate::TrieError;

/// Reads trie nodes by hash; implemented by the storage crate over redb and by
/// [`MemoryNodes`](crate::MemoryNodes) here.
///
/// The trie crate never writes: new nodes come back from [`Trie::commit`](crate::Trie::commit)
/// and the caller persists them, which keeps this crate free of any storage dependency.
pub trait NodeReader {
    /// Returns the RLP of the node whose keccak256 is `hash`, or `None` if it is not stored.
    fn node(&self, hash: &B256) -> Result<Option<Bytes>, TrieError>;
}

impl<T: NodeReader + ?Sized> NodeReader for &T {
    fn node(&self, hash: &B256) -> Result<Option<Bytes>, TrieError> {
        (**self).node(hash)
    }
}

impl<T: NodeReader + ?Sized> NodeReader for Arc<T> {
    fn node(&self, hash: &B256) -> Result<Option<Bytes>, TrieError> {
        (**self).node(hash)
    }
}

impl<T: NodeReader + ?Sized> NodeReader for Box<T> {
    fn node(&self, hash: &B256) -> Result<Option<Bytes>, TrieError> {
        (**self).node(hash)
    }
}
