//! Everything that can go wrong when Rust builds, drives or reads the governance contract.

use alloy_primitives::{Address, Bytes};
use alloy_sol_types::SolInterface;
use cairn_storage::StoreError;
use revm::context::result::HaltReason;

use crate::Governance::GovernanceErrors;

/// Why a call into the governance contract, or the decoding of its answer, failed.
#[derive(Debug, thiserror::Error)]
pub enum GovernanceError {
    /// The contract refused with one of its custom errors (the same a user sees from `cast`).
    #[error("the governance contract refused: {}", describe_refusal(.0))]
    Refused(GovernanceErrors),
    /// The contract reverted with data that is none of its errors (e.g. an arithmetic panic).
    #[error("the governance contract reverted with unrecognised data {0}")]
    UnknownRevert(Bytes),
    /// The EVM stopped the call (out of gas, bad opcode, code too large at creation).
    #[error("the governance contract call halted: {0:?}")]
    Halted(HaltReason),
    /// A successful answer did not decode as the function's return type.
    #[error("the governance contract's answer does not decode: {0}")]
    Decode(#[from] alloy_sol_types::Error),
    /// The in-memory EVM the genesis builder uses could not run the constructor.
    #[error("the genesis EVM could not create the contract: {0}")]
    Genesis(#[from] cairn_execution::ExecError),
    /// The spec has no `[governance]` section, so there is no contract to build.
    #[error("the chain spec has no [governance] section")]
    NotGoverned,
    /// An organisation names a validator the spec's `validators` do not hold.
    #[error("validator {0} of an organisation is not in the spec's validators")]
    UnknownSpecValidator(Address),
    /// A number the contract does not define (a newer contract than this binary).
    #[error("unknown {what} {value}")]
    UnknownValue {
        /// Which enumeration.
        what: &'static str,
        /// The number the contract answered.
        value: u8,
    },
    /// `endEpoch` returned a set the node must not hand to consensus.
    #[error("endEpoch returned an unusable validator set: {0}")]
    BadSet(String),
    /// The state has no contract at the governance address. A governed chain has it from
    /// genesis, so its absence is never read as "no rules" (everyone allowed).
    #[error("no governance contract at {} in this state", crate::GOVERNANCE_ADDRESS)]
    NoContract,
    /// A block that cannot follow the state it is judged at: outside the epoch that state is
    /// in (a boundary block was skipped, or the state is not the block's parent's).
    #[error(
        "block {number} is outside epoch {epoch} (blocks {start} to {last}) of its parent's state"
    )]
    OutsideEpoch {
        /// The block's number.
        number: u64,
        /// The epoch in force at the state.
        epoch: u64,
        /// Its first height.
        start: u64,
        /// Its last height.
        last: u64,
    },
    /// Governance is defined for dev and BFT chains only (not proof of stake or work).
    #[error("a governed chain runs dev or BFT consensus, not {0:?}")]
    UnsupportedConsensus(cairn_primitives::ConsensusKind),
    /// The state could not be read.
    #[error("reading the governance contract's storage: {0}")]
    Store(#[from] StoreError),
    /// Storage the contract never writes: a contract of another layout than this node reads.
    #[error("the governance contract's storage is not as this node reads it: {0}")]
    UnexpectedStorage(&'static str),
}

impl GovernanceError {
    /// Turns revert data into the contract's typed error when it is one.
    pub fn from_revert(data: Bytes) -> Self {
        match <GovernanceErrors as SolInterface>::abi_decode(&data) {
            Ok(error) => Self::Refused(error),
            Err(_) => Self::UnknownRevert(data),
        }
    }
}

/// A refusal as Solidity would write it, `LastOrganisation()` or
/// `AlreadyVoted(id: 3, org: 2)`, so logs and CLI messages name the contract's error the way
/// `cast` users and the contract's source do.
pub fn describe_refusal(error: &GovernanceErrors) -> String {
    let name = GovernanceErrors::name_by_selector(error.selector()).unwrap_or("UnknownError");
    cairn_primitives::custom_error_text(name, &format!("{error:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Governance;

    #[test]
    fn refusals_read_as_solidity_writes_them() {
        let last = GovernanceErrors::LastOrganisation(Governance::LastOrganisation {});
        assert_eq!(describe_refusal(&last), "LastOrganisation()");
        let voted = GovernanceErrors::AlreadyVoted(Governance::AlreadyVoted { id: 3, org: 2 });
        assert_eq!(describe_refusal(&voted), "AlreadyVoted(id: 3, org: 2)");
        let data = Bytes::from(SolInterface::abi_encode(&voted));
        assert_eq!(
            GovernanceError::from_revert(data).to_string(),
            "the governance contract refused: AlreadyVoted(id: 3, org: 2)"
        );
        assert!(matches!(
            GovernanceError::from_revert(Bytes::from_static(&[1, 2, 3, 4])),
            GovernanceError::UnknownRevert(_)
        ));
    }
}
