//! Blocks that arrived before their parents: kept until the parent is imported, a few per
//! peer and a few in all, so a peer cannot fill memory with blocks that hang from nothing.

use std::collections::{HashMap, VecDeque};

use alloy_primitives::B256;
use cairn_network::PeerId;
use cairn_primitives::Block;

/// Most orphans kept in all; the oldest goes first.
pub(crate) const MAX_ORPHANS: usize = 64;
/// Most orphans kept from one peer.
pub(crate) const MAX_ORPHANS_PER_PEER: usize = 8;

/// The orphans, oldest first.
#[derive(Default)]
pub(crate) struct Orphans {
    blocks: HashMap<B256, (Block, PeerId)>,
    order: VecDeque<B256>,
}

impl Orphans {
    /// Keeps `block` from `from` unless that peer already has its share here; false when
    /// refused.
    pub(crate) fn add(&mut self, block: Block, from: PeerId) -> bool {
        let hash = block.hash();
        if self.blocks.contains_key(&hash) {
            return true;
        }
        if self.blocks.values().filter(|(_, peer)| *peer == from).count() >= MAX_ORPHANS_PER_PEER {
            return false;
        }
        if self.blocks.len() >= MAX_ORPHANS
            && let Some(oldest) = self.order.pop_front()
        {
            self.blocks.remove(&oldest);
        }
        self.blocks.insert(hash, (block, from));
        self.order.push_back(hash);
        true
    }

    /// Takes out the orphans whose parent is `parent`, with the peers that sent them.
    pub(crate) fn children_of(&mut self, parent: B256) -> Vec<(Block, PeerId)> {
        let hashes: Vec<B256> = self
            .blocks
            .iter()
            .filter(|(_, (block, _))| block.header.parent_hash == parent)
            .map(|(hash, _)| *hash)
            .collect();
        self.order.retain(|hash| !hashes.contains(hash));
        hashes.iter().filter_map(|hash| self.blocks.remove(hash)).collect()
    }

    /// Forgets what a banned peer sent.
    pub(crate) fn forget(&mut self, peer: &PeerId) {
        self.blocks.retain(|_, (_, from)| from != peer);
        let blocks = &self.blocks;
        self.order.retain(|hash| blocks.contains_key(hash));
    }

    /// How many are kept.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.blocks.len()
    }

    /// Whether none is kept.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cairn_primitives::Header;

    fn block(number: u64, parent: u8) -> Block {
        let header = Header { number, parent_hash: B256::repeat_byte(parent), ..Header::default() };
        Block { header, ..Block::default() }
    }

    #[test]
    fn orphans_are_capped_per_peer_and_in_all() {
        let mut orphans = Orphans::default();
        let greedy = PeerId::random();
        let kept = (0..20).filter(|n| orphans.add(block(*n, 1), greedy)).count();
        assert_eq!(kept, MAX_ORPHANS_PER_PEER);
        for n in 0..200 {
            orphans.add(block(1000 + n, 2), PeerId::random());
        }
        assert_eq!(orphans.len(), MAX_ORPHANS);
        orphans.forget(&greedy);
        assert_eq!(orphans.len(), MAX_ORPHANS, "the greedy peer's orphans were the oldest");
    }

    #[test]
    fn children_come_out_once_their_parent_is_known() {
        let mut orphans = Orphans::default();
        let peer = PeerId::random();
        orphans.add(block(5, 7), peer);
        orphans.add(block(6, 8), peer);
        let children = orphans.children_of(B256::repeat_byte(7));
        assert_eq!(children.len(), 1);
        assert_eq!(children[0].0.header.number, 5);
        assert!(orphans.children_of(B256::repeat_byte(7)).is_empty());
        assert_eq!(orphans.len(), 1);
        orphans.forget(&peer);
        assert!(orphans.is_empty());
    }
}
