//! Integration tests for `cairn-trie`: roots against alloy's `HashBuilder`, proofs against
//! alloy's independent verifier, old roots, corrupt stores and the proportional-cost property.

#![allow(clippy::unwrap_used)] // Tests may panic on unexpected errors.

mod cost;
mod errors;
mod proofs;
mod roots;

use std::{cell::Cell, collections::BTreeMap};

use alloy_primitives::{B256, Bytes};
use alloy_trie::{HashBuilder, Nibbles};
use cairn_trie::{NodeReader, TrieError};

/// The root alloy's `HashBuilder` computes over a sorted key/value set.
pub(crate) fn reference_root(entries: &BTreeMap<Vec<u8>, Vec<u8>>) -> B256 {
    let mut hb = HashBuilder::default();
    for (key, value) in entries {
        hb.add_leaf(Nibbles::unpack(key), value);
    }
    hb.root()
}

/// A reader that counts how many nodes were read through it.
pub(crate) struct Counting<R> {
    pub(crate) inner: R,
    pub(crate) reads: Cell<usize>,
}

impl<R> Counting<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self { inner, reads: Cell::new(0) }
    }
}

impl<R: NodeReader> NodeReader for Counting<R> {
    fn node(&self, hash: &B256) -> Result<Option<Bytes>, TrieError> {
        self.reads.set(self.reads.get() + 1);
        self.inner.node(hash)
    }
}
