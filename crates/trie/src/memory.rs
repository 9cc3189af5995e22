//! An in-memory node store, for tests, benchmarks and short-lived tries.

use alloy_primitives::{B256, Bytes};
use std::collections::HashMap;

use crate::{NodeReader, TrieError};

/// A content-addressed node store kept in a `HashMap` (hash -> node RLP).
///
/// Exists so the trie can be used and tested without a database; the storage crate provides
/// the persistent implementation of [`NodeReader`].
#[derive(Debug, Default, Clone)]
pub struct MemoryNodes(pub HashMap<B256, Bytes>);

impl MemoryNodes {
    /// Creates an empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds nodes, typically [`TrieUpdate::nodes`](crate::TrieUpdate::nodes) after a commit.
    pub fn insert_all(&mut self, nodes: impl IntoIterator<Item = (B256, Bytes)>) {
        self.0.extend(nodes);
    }

    /// Number of stored nodes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the store holds no node at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl NodeReader for MemoryNodes {
    fn node(&self, hash: &B256) -> Result<Option<Bytes>, TrieError> {
        Ok(self.0.get(hash).cloned())
    }
}
