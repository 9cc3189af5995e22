//! Engines whose validator set never changes refuse proposals that carry validator-set
//! commitments or consensus data, before anyone votes for them: the bytes would be hashed or
//! stored while no rule reads them.

use std::sync::Arc;

use cairn_consensus::DevConsensus;
use cairn_node::Node;
use cairn_primitives::{BlockConsensusData, ChainSpec, ConsensusCommitments};
use cairn_storage::MemoryKv;

use crate::support::PROPOSER;

fn node() -> Node<MemoryKv> {
    Node::open(MemoryKv::new(), ChainSpec::dev().unwrap(), Arc::new(DevConsensus::new(PROPOSER)))
        .unwrap()
}

#[test]
fn proposals_with_commitments_or_consensus_data_are_refused() {
    let (proposer, validator) = (node(), node());
    let built = proposer.build_candidate(PROPOSER).unwrap().block;

    let mut committed = built.clone();
    committed.header.commitments = Some(ConsensusCommitments::default());
    let refused = validator.check_candidate(committed).unwrap_err();
    assert!(refused.to_string().contains("unexpected consensus commitments"), "{refused}");

    let mut carrying = built.clone();
    carrying.consensus = Some(BlockConsensusData::default());
    let refused = validator.check_candidate(carrying).unwrap_err();
    assert!(refused.to_string().contains("unexpected consensus data"), "{refused}");

    assert!(validator.check_candidate(built).is_ok());
}
