//! Everything that can go wrong when Rust drives or reads the staking contract.

use std::convert::Infallible;

use alloy_primitives::{Address, Bytes};
use revm::context::result::{EVMError, HaltReason};

use crate::Staking::StakingErrors;

/// Why a call into the staking contract, or the decoding of its answer, failed.
#[derive(Debug, thiserror::Error)]
pub enum StakingError {
    /// The contract refused with one of its custom errors (the same a user sees from `cast`).
    #[error("the staking contract refused: {0:?}")]
    Refused(StakingErrors),
    /// The contract reverted with data that is none of its errors (e.g. an arithmetic panic).
    #[error("the staking contract reverted with unrecognised data {0}")]
    UnknownRevert(Bytes),
    /// The EVM stopped the call (out of gas, bad opcode, code too large at creation).
    #[error("the staking contract call halted: {0:?}")]
    Halted(HaltReason),
    /// A successful answer did not decode as the function's return type.
    #[error("the staking contract's answer does not decode: {0}")]
    Decode(#[from] alloy_sol_types::Error),
    /// The in-memory EVM the genesis builder uses refused the creation transaction.
    #[error("the genesis EVM refused the contract creation: {0}")]
    Evm(#[from] EVMError<Infallible>),
    /// The constructor succeeded but left no contract where it should be.
    #[error("the genesis constructor created no account at {0}")]
    NotCreated(Address),
    /// A status number the contract does not define (a newer contract than this binary).
    #[error("unknown validator status {0}")]
    UnknownStatus(u8),
    /// `endEpoch` returned a set the node must not hand to consensus.
    #[error("endEpoch returned an unusable validator set: {0}")]
    BadSet(&'static str),
}

impl StakingError {
    /// Turns revert data into the contract's typed error when it is one.
    pub fn from_revert(data: Bytes) -> Self {
        match <StakingErrors as alloy_sol_types::SolInterface>::abi_decode(&data) {
            Ok(error) => Self::Refused(error),
            Err(_) => Self::UnknownRevert(data),
        }
    }
}
