//! Test doubles other crates' tests share.

use std::collections::BTreeMap;
use std::sync::Arc;

use alloy_primitives::Address;
use cairn_execution::{BlockEnd, EndOfBlock, ExecError, SystemCaller};
use cairn_primitives::{Block, Header, ValidatorSetRecord};
use cairn_storage::StateView;

use crate::{
    BlockEndRules, ConsensusError, ConsensusReads, ConsensusRoles, DevConsensus, Equivocation,
    Finality, ValidatorPower, ValidatorSets,
};

/// The dev engine's reads, but safe one block and final two blocks behind the head: an engine
/// whose finality lags, as proof of work's will.
struct Lagging(DevConsensus);

impl ConsensusReads for Lagging {
    fn validators(
        &self,
        sets: &dyn ValidatorSets,
        height: u64,
    ) -> Result<Vec<ValidatorPower>, ConsensusError> {
        self.0.validators(sets, height)
    }

    fn signers(&self, header: &Header) -> Result<Vec<Address>, ConsensusError> {
        self.0.signers(header)
    }

    fn proposer_of(
        &self,
        sets: &dyn ValidatorSets,
        header: &Header,
    ) -> Result<Option<Address>, ConsensusError> {
        self.0.proposer_of(sets, header)
    }

    fn evidence(&self) -> Vec<Equivocation> {
        self.0.evidence()
    }

    fn finality(&self, head: u64) -> Finality {
        Finality { safe: head.saturating_sub(1), finalized: head.saturating_sub(2) }
    }
}

/// The dev engine's rules and production with lagging finality: only what readers are told
/// about finality differs.
pub fn lagging_roles(proposer: Address) -> ConsensusRoles {
    let dev = Arc::new(DevConsensus::new(proposer));
    ConsensusRoles {
        validator: dev.clone(),
        production: dev.clone(),
        reads: Arc::new(Lagging((*dev).clone())),
        block_end: dev,
    }
}

/// One set for every height: rules judged apart from any store.
pub struct FixedSets(pub Arc<ValidatorSetRecord>);

impl ValidatorSets for FixedSets {
    fn set_at(&self, _height: u64) -> Result<Arc<ValidatorSetRecord>, ConsensusError> {
        Ok(self.0.clone())
    }
}

/// A block end that records the set a test names for a block (by block number), in import
/// and building alike: how a proof-of-stake epoch end or a governance decision leaves the next
/// set in the block's batch, without their contracts.
pub struct RecordingEnd(pub BTreeMap<u64, ValidatorSetRecord>);

struct RecordEnd(Option<ValidatorSetRecord>);

impl BlockEnd for RecordEnd {
    fn finish(&self, _calls: &mut dyn SystemCaller) -> Result<EndOfBlock, ExecError> {
        Ok(EndOfBlock { next_validators: self.0.clone(), ..Default::default() })
    }
}

impl BlockEndRules for RecordingEnd {
    fn import(
        &self,
        _sets: &dyn ValidatorSets,
        _state: &dyn StateView,
        _parent: &Header,
        block: &Block,
    ) -> Result<Box<dyn BlockEnd + '_>, ConsensusError> {
        Ok(Box::new(RecordEnd(self.0.get(&block.header.number).cloned())))
    }

    fn build(
        &self,
        _sets: &dyn ValidatorSets,
        _state: &dyn StateView,
        parent: &Header,
    ) -> Result<Box<dyn BlockEnd + '_>, ConsensusError> {
        Ok(Box::new(RecordEnd(self.0.get(&(parent.number + 1)).cloned())))
    }
}
