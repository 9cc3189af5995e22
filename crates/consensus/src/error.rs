use alloy_primitives::B256;
use thiserror::Error;

/// Why a header breaks the chain rules.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ConsensusError {
    /// The header does not point at its parent.
    #[error("parent hash {got} is not the hash of block {parent_number} ({expected})")]
    ParentHash {
        /// What the header says.
        got: B256,
        /// The parent's real hash.
        expected: B256,
        /// The parent's number.
        parent_number: u64,
    },
    /// A header field breaks a rule.
    #[error("block {number}: {field} is {got}, expected {expected}")]
    Field {
        /// The header's number.
        number: u64,
        /// Which field.
        field: &'static str,
        /// Its value.
        got: String,
        /// What the rules require.
        expected: String,
    },
    /// The seal does not prove agreement.
    #[error("block {number}: invalid seal: {reason}")]
    Seal {
        /// The header's number.
        number: u64,
        /// What is wrong.
        reason: String,
    },
}
