//! Everything that can go wrong when Rust drives or reads the staking contract.

use alloy_primitives::{Address, Bytes};
use revm::context::result::HaltReason;

use alloy_sol_types::SolInterface;

use crate::Staking::StakingErrors;

/// Why a call into the staking contract, or the decoding of its answer, failed.
#[derive(Debug, thiserror::Error)]
pub enum StakingError {
    /// The contract refused with one of its custom errors (the same a user sees from `cast`).
    #[error("the staking contract refused: {}", describe_refusal(.0))]
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
    /// The in-memory EVM the genesis builder uses could not run the constructor.
    #[error("the genesis EVM could not create the contract: {0}")]
    Genesis(#[from] cairn_execution::ExecError),
    /// A status number the contract does not define (a newer contract than this binary).
    #[error("unknown validator status {0}")]
    UnknownStatus(u8),
    /// `endEpoch` returned a set the node must not hand to consensus.
    #[error("endEpoch returned an unusable validator set: {0}")]
    BadSet(&'static str),
    /// A certificate's signer that is not a member of the set it signed for.
    #[error("signer {0} is not a member of the validator set")]
    SignerNotInSet(Address),
    /// Evidence whose proof-of-lock round no consensus message can carry (Malachite's rounds
    /// are `u32`), so it has no meaning for the contract.
    #[error("evidence carries proof-of-lock round {0}, beyond any round")]
    PolRoundOutOfRange(u64),
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

/// A refusal as Solidity would write it, `BadSignerBitmap()` or
/// `NotInSet(validator: 0x…, height: 5)`, so logs and block refusals name the contract's error
/// the way `cast` users and the contract's source do.
pub fn describe_refusal(error: &StakingErrors) -> String {
    let name = StakingErrors::name_by_selector(error.selector()).unwrap_or("UnknownError");
    cairn_primitives::custom_error_text(name, &format!("{error:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Staking;

    #[test]
    fn refusals_read_as_solidity_writes_them() {
        let bitmap = StakingErrors::BadSignerBitmap(Staking::BadSignerBitmap {});
        assert_eq!(describe_refusal(&bitmap), "BadSignerBitmap()");
        let validator = Address::repeat_byte(0xab);
        let not_in_set = StakingErrors::NotInSet(Staking::NotInSet { validator, height: 5 });
        let text = "NotInSet(validator: 0xabababababababababababababababababababab, height: 5)";
        assert_eq!(describe_refusal(&not_in_set), text);
        let data = Bytes::from(SolInterface::abi_encode(&not_in_set));
        assert_eq!(
            StakingError::from_revert(data).to_string(),
            format!("the staking contract refused: {text}")
        );
    }
}
