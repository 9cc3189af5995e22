use alloy_primitives::{Address, Bytes};
use cairn_primitives::Header;

use crate::{Consensus, ConsensusError, validate_parent_link};

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
            return Err(ConsensusError::Seal {
                number: header.number,
                reason: "the dev engine seals with nothing".into(),
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
}
