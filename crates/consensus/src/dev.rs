use alloy_primitives::{Address, Bytes};
use cairn_primitives::Header;

use crate::{
    BlockProduction, ConsensusError, ConsensusReads, Equivocation, Finality, HeaderValidator,
    Sealing, ValidatorPower, validate_fixed_set_header, validate_parent_link,
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
    fn validate_header(&self, parent: &Header, header: &Header) -> Result<(), ConsensusError> {
        validate_parent_link(parent, header)?;
        validate_fixed_set_header(header)?;
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
    fn proposer(&self, _height: u64, _round: u32) -> Result<Option<Address>, ConsensusError> {
        Ok(Some(self.proposer))
    }

    fn beneficiary(&self) -> Address {
        self.proposer
    }

    fn seal(&self, _header: &Header) -> Result<Sealing, ConsensusError> {
        Ok(Sealing::Sealed(Bytes::new()))
    }
}

impl ConsensusReads for DevConsensus {
    fn validators(&self, _height: u64) -> Result<Vec<ValidatorPower>, ConsensusError> {
        Ok(vec![ValidatorPower { address: self.proposer, power: 1 }])
    }

    /// The dev node decides alone, so a block's only voucher is whoever built it.
    fn signers(&self, header: &Header) -> Result<Vec<Address>, ConsensusError> {
        Ok(vec![header.beneficiary])
    }

    fn evidence(&self) -> Vec<Equivocation> {
        Vec::new()
    }

    /// A block is final once committed: nobody else can propose a competing one.
    fn finality(&self, head: u64) -> Finality {
        Finality { safe: head, finalized: head }
    }
}
