use alloy_primitives::{Address, Bytes, U256};
use cairn_execution::{BlockEnd, NoBlockEnd};
use cairn_primitives::{Block, Header};
use cairn_storage::StateView;

use crate::{
    BlockEndRules, BlockProduction, ConsensusError, ConsensusReads, Equivocation, Finality,
    HeaderValidator, Sealing, ValidatorPower, ValidatorSets, refuse_consensus_data,
    validate_parent_link,
};

/// The single-validator development engine: the local node proposes every block and seals it
/// with nothing, since nobody else has to agree.
#[derive(Debug, Clone)]
pub struct DevConsensus {
    proposer: Address,
}

impl DevConsensus {
    /// An engine whose blocks pay priority fees to `proposer`.
    pub fn new(proposer: Address) -> Self {
        Self { proposer }
    }
}

impl HeaderValidator for DevConsensus {
    fn validate_header(
        &self,
        sets: &dyn ValidatorSets,
        parent: &Header,
        header: &Header,
    ) -> Result<(), ConsensusError> {
        validate_parent_link(parent, header, sets.gas_limit_after(parent)?)?;
        if !header.seal.is_empty() {
            return Err(ConsensusError::UnexpectedSeal {
                number: header.number,
                len: header.seal.len(),
            });
        }
        Ok(())
    }
}

impl BlockProduction for DevConsensus {
    /// The local node proposes every block.
    fn proposer(
        &self,
        _sets: &dyn ValidatorSets,
        _height: u64,
        _round: u32,
    ) -> Result<Option<Address>, ConsensusError> {
        Ok(Some(self.proposer))
    }

    fn beneficiary(&self) -> Address {
        self.proposer
    }

    fn difficulty(&self, _parent: &Header, _timestamp_ms: u64) -> Option<U256> {
        None
    }

    fn seal(&self, _header: &Header) -> Result<Sealing, ConsensusError> {
        Ok(Sealing::Sealed(Bytes::new()))
    }
}

impl ConsensusReads for DevConsensus {
    fn validators(
        &self,
        _sets: &dyn ValidatorSets,
        _height: u64,
    ) -> Result<Vec<ValidatorPower>, ConsensusError> {
        Ok(vec![ValidatorPower { address: self.proposer, power: 1 }])
    }

    /// The dev node decides alone, so a block's only voucher is whoever built it.
    fn signers(&self, header: &Header) -> Result<Vec<Address>, ConsensusError> {
        Ok(vec![header.beneficiary])
    }

    /// Whoever built a dev block is paid by it.
    fn proposer_of(
        &self,
        _sets: &dyn ValidatorSets,
        header: &Header,
    ) -> Result<Option<Address>, ConsensusError> {
        Ok(Some(header.beneficiary))
    }

    fn evidence(&self) -> Vec<Equivocation> {
        Vec::new()
    }

    /// A block is final once committed: nobody else can propose a competing one.
    fn finality(&self, head: u64) -> Finality {
        Finality { safe: head, finalized: head }
    }
}

/// The dev engine makes no protocol calls.
impl BlockEndRules for DevConsensus {
    fn import(
        &self,
        _sets: &dyn ValidatorSets,
        _state: &dyn StateView,
        _parent: &Header,
        block: &Block,
    ) -> Result<Box<dyn BlockEnd + '_>, ConsensusError> {
        refuse_consensus_data(block)?;
        Ok(Box::new(NoBlockEnd))
    }

    fn build(
        &self,
        _sets: &dyn ValidatorSets,
        _state: &dyn StateView,
        _parent: &Header,
    ) -> Result<Box<dyn BlockEnd + '_>, ConsensusError> {
        Ok(Box::new(NoBlockEnd))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use cairn_primitives::{ValidatorSetRecord, next_base_fee};

    use super::*;

    /// A chain whose children carry twice their parent's gas limit.
    struct Doubling;

    impl ValidatorSets for Doubling {
        fn set_at(&self, _height: u64) -> Result<Arc<ValidatorSetRecord>, ConsensusError> {
            Ok(Arc::new(ValidatorSetRecord { epoch: 0, first_height: 1, members: Vec::new() }))
        }

        fn gas_limit_after(&self, parent: &Header) -> Result<u64, ConsensusError> {
            Ok(parent.gas_limit * 2)
        }
    }

    #[test]
    fn the_child_gas_limit_comes_from_the_chain_data_the_rules_are_given() {
        let parent = Header { timestamp_ms: 5_000, gas_limit: 30_000_000, ..Default::default() };
        let child = Header {
            parent_hash: parent.hash(),
            number: 1,
            timestamp: 5,
            timestamp_ms: 5_400,
            gas_limit: 60_000_000,
            base_fee: next_base_fee(&parent),
            ..Default::default()
        };
        let dev = DevConsensus::new(Address::ZERO);
        assert!(dev.validate_header(&Doubling, &parent, &child).is_ok());
        let same = Header { gas_limit: parent.gas_limit, ..child };
        assert!(matches!(
            dev.validate_header(&Doubling, &parent, &same),
            Err(ConsensusError::GasLimit { number: 1, got: 30_000_000, expected: 60_000_000 })
        ));
    }
}
