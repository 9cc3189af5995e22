use alloy_primitives::{Address, Bytes};
use cairn_primitives::Header;

use crate::{Consensus, ConsensusError, Equivocation, ValidatorPower, validate_parent_link};

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

impl Consensus for DevConsensus {
    fn validate_header(&self, parent: &Header, header: &Header) -> Result<(), ConsensusError> {
        validate_parent_link(parent, header)?;
        if !header.seal.is_empty() {
            return Err(ConsensusError::UnexpectedSeal {
                number: header.number,
                len: header.seal.len(),
            });
        }
        Ok(())
    }

    fn proposer(&self) -> Address {
        self.proposer
    }

    fn seal(&self, _header: &Header) -> Bytes {
        Bytes::new()
    }

    fn validators(&self) -> Vec<ValidatorPower> {
        vec![ValidatorPower { address: self.proposer, power: 1 }]
    }

    /// The dev node decides alone, so a block's only voucher is whoever built it.
    fn signers(&self, header: &Header) -> Result<Vec<Address>, ConsensusError> {
        Ok(vec![header.beneficiary])
    }

    fn evidence(&self) -> Vec<Equivocation> {
        Vec::new()
    }

    /// A block is final once committed: nobody else can propose a competing one.
    fn finalized_height(&self, head: u64) -> u64 {
        head
    }
}
