//! The node's reader (`cairn-reads`): tags resolve from the engine's finality in one view, and
//! a view stays on the head it was taken at.

use alloy_primitives::B256;
use cairn_node::Node;
use cairn_primitives::ChainSpec;
use cairn_reads::{BlockSelector, BlockTag, ChainReader as _};
use cairn_storage::MemoryKv;

use crate::support::{Chain, PROPOSER};

fn tag(tag: BlockTag) -> BlockSelector {
    BlockSelector::Tag(tag)
}

#[test]
fn tags_resolve_to_the_head_on_an_instantly_final_chain() {
    let chain = Chain::new();
    for _ in 0..3 {
        chain.mine();
    }
    let view = chain.node.view().unwrap();
    let heads = view.heads().unwrap();
    assert_eq!((heads.latest.number, heads.safe, heads.finalized), (3, 3, 3));
    for (selector, number) in [
        (tag(BlockTag::Latest), Some(3)),
        (tag(BlockTag::Safe), Some(3)),
        (tag(BlockTag::Finalized), Some(3)),
        (tag(BlockTag::Pending), Some(3)),
        (tag(BlockTag::Earliest), Some(0)),
        (BlockSelector::Number(2), Some(2)),
        (BlockSelector::Number(4), None),
        (BlockSelector::Hash(heads.latest.hash()), Some(3)),
        (BlockSelector::Hash(B256::repeat_byte(9)), None),
    ] {
        assert_eq!(view.resolve(selector).unwrap(), number, "{selector:?}");
    }
}

#[test]
fn safe_and_finalized_follow_the_engine_when_finality_lags() {
    let spec = ChainSpec::dev().unwrap();
    let node =
        Node::open(MemoryKv::new(), spec, cairn_consensus::test_utils::lagging_roles(PROPOSER))
            .unwrap();
    let view = node.view().unwrap();
    assert_eq!(view.resolve(tag(BlockTag::Finalized)).unwrap(), Some(0), "genesis is final");
    drop(view);
    for _ in 0..5 {
        node.produce_block().unwrap();
    }
    let view = node.view().unwrap();
    let heads = view.heads().unwrap();
    assert_eq!((heads.latest.number, heads.safe, heads.finalized), (5, 4, 3));
    assert_eq!(view.resolve(tag(BlockTag::Latest)).unwrap(), Some(5));
    assert_eq!(view.resolve(tag(BlockTag::Safe)).unwrap(), Some(4));
    assert_eq!(view.resolve(tag(BlockTag::Finalized)).unwrap(), Some(3));
}

#[test]
fn a_view_keeps_the_head_it_was_taken_at() {
    let chain = Chain::new();
    chain.mine();
    let view = chain.node.view().unwrap();
    chain.mine();
    assert_eq!(view.heads().unwrap().latest.number, 1);
    assert_eq!(view.resolve(tag(BlockTag::Latest)).unwrap(), Some(1));
    assert_eq!(view.resolve(BlockSelector::Number(2)).unwrap(), None);
    let state = view.state_at(1).unwrap().expect("the view's head state");
    assert!(state.block_hash(2).unwrap().is_none(), "the head state is the view's");
    assert_eq!(chain.node.view().unwrap().heads().unwrap().latest.number, 2);
}
