//! Which block a request names, and the heads a tag resolves against.

use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::B256;
use cairn_consensus::Finality;
use cairn_primitives::Header;

/// Which block a request names: JSON-RPC's block parameter and the REST API's block id both
/// become one, so both resolve it the same way ([`crate::ChainView::resolve`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockSelector {
    /// A height.
    Number(u64),
    /// A block hash; only a canonical block is found.
    Hash(B256),
    /// A name for a moving block.
    Tag(BlockTag),
}

/// A name for a block that moves as the chain grows and finalises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockTag {
    /// The newest committed block.
    Latest,
    /// The newest block the engine considers safe from reorganisation.
    Safe,
    /// The newest block the engine has finalised.
    Finalized,
    /// The block being built; reads of committed data see the head (its state is the head's).
    Pending,
    /// Genesis.
    Earliest,
}

impl From<BlockNumberOrTag> for BlockSelector {
    fn from(tag: BlockNumberOrTag) -> Self {
        match tag {
            BlockNumberOrTag::Number(number) => Self::Number(number),
            BlockNumberOrTag::Latest => Self::Tag(BlockTag::Latest),
            BlockNumberOrTag::Safe => Self::Tag(BlockTag::Safe),
            BlockNumberOrTag::Finalized => Self::Tag(BlockTag::Finalized),
            BlockNumberOrTag::Pending => Self::Tag(BlockTag::Pending),
            BlockNumberOrTag::Earliest => Self::Tag(BlockTag::Earliest),
        }
    }
}

impl From<BlockId> for BlockSelector {
    fn from(id: BlockId) -> Self {
        match id {
            BlockId::Number(tag) => tag.into(),
            BlockId::Hash(hash) => Self::Hash(hash.block_hash),
        }
    }
}

/// The heads of one view: where `latest`, `safe` and `finalized` point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heads {
    /// The newest committed block.
    pub latest: Header,
    /// The newest block safe from reorganisation (never above `latest`).
    pub safe: u64,
    /// The newest final block (never above `safe`).
    pub finalized: u64,
}

impl Heads {
    /// The heads of a chain whose newest block is `latest`, given the engine's finality for it
    /// (`ConsensusReads::finality`). Clamped so that `finalized <= safe <= latest` holds even
    /// for an engine that answers past the head, and the tags never name a block not stored.
    pub fn new(latest: Header, finality: Finality) -> Self {
        let finalized = finality.finalized.min(latest.number);
        let safe = finality.safe.clamp(finalized, latest.number);
        Self { latest, safe, finalized }
    }

    /// The height `tag` names.
    pub fn number(&self, tag: BlockTag) -> u64 {
        match tag {
            BlockTag::Latest | BlockTag::Pending => self.latest.number,
            BlockTag::Safe => self.safe,
            BlockTag::Finalized => self.finalized,
            BlockTag::Earliest => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_name_the_heads() {
        let latest = Header { number: 9, ..Header::default() };
        let heads = Heads::new(latest, Finality { safe: 8, finalized: 6 });
        assert_eq!(heads.number(BlockTag::Latest), 9);
        assert_eq!(heads.number(BlockTag::Pending), 9);
        assert_eq!(heads.number(BlockTag::Safe), 8);
        assert_eq!(heads.number(BlockTag::Finalized), 6);
        assert_eq!(heads.number(BlockTag::Earliest), 0);
    }

    #[test]
    fn finality_never_passes_the_head() {
        let heads = Heads::new(
            Header { number: 3, ..Header::default() },
            Finality { safe: 9, finalized: 7 },
        );
        assert_eq!((heads.safe, heads.finalized), (3, 3));
        let heads = Heads::new(
            Header { number: 9, ..Header::default() },
            Finality { safe: 2, finalized: 5 },
        );
        assert_eq!((heads.safe, heads.finalized), (5, 5));
    }

    #[test]
    fn json_rpc_block_parameters_become_selectors() {
        let hash = B256::repeat_byte(7);
        assert_eq!(BlockSelector::from(BlockId::from(hash)), BlockSelector::Hash(hash));
        assert_eq!(
            BlockSelector::from(BlockId::Number(BlockNumberOrTag::Safe)),
            BlockSelector::Tag(BlockTag::Safe)
        );
        assert_eq!(BlockSelector::from(BlockNumberOrTag::Number(5)), BlockSelector::Number(5));
    }
}
