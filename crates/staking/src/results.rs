//! Reading what the contract answered: typed returns, typed refusals, and the validator set
//! `endEpoch` hands to consensus.

use alloy_primitives::{Address, Bytes};
use alloy_sol_types::SolCall;
use cairn_primitives::{PrimitivesError, SetMember, ValidatorSetRecord};
use revm::context::result::{ExecutionResult, HaltReason, Output};

use crate::{Staking, StakingError};

/// Decodes a call's result as `C`'s return value, or its revert as the contract's typed error.
pub fn decode_output<C: SolCall>(
    result: &ExecutionResult<HaltReason>,
) -> Result<C::Return, StakingError> {
    match result {
        ExecutionResult::Success { output: Output::Call(data), .. } => {
            Ok(C::abi_decode_returns(data)?)
        }
        ExecutionResult::Success { output: Output::Create(data, _), .. } => {
            Ok(C::abi_decode_returns(data)?)
        }
        ExecutionResult::Revert { output, .. } => Err(StakingError::from_revert(output.clone())),
        ExecutionResult::Halt { reason, .. } => Err(StakingError::Halted(reason.clone())),
    }
}

/// The set `endEpoch` chose for the next epoch, checked so consensus never gets a set it
/// cannot use: non-empty, sorted by address without repeats, every key 33 bytes, every power
/// at least 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextSet {
    /// Consensus addresses, ascending.
    pub validators: Vec<Address>,
    /// Compressed secp256k1 consensus keys, one per validator.
    pub public_keys: Vec<Bytes>,
    /// Voting powers, one per validator.
    pub powers: Vec<u64>,
}

impl TryFrom<Staking::endEpochReturn> for NextSet {
    type Error = StakingError;

    fn try_from(r: Staking::endEpochReturn) -> Result<Self, StakingError> {
        let n = r.validators.len();
        if n == 0 {
            return Err(StakingError::BadSet("empty"));
        }
        if r.publicKeys.len() != n || r.powers.len() != n {
            return Err(StakingError::BadSet("lists of different lengths"));
        }
        if r.validators.windows(2).any(|w| w[0] >= w[1]) {
            return Err(StakingError::BadSet("validators not strictly ascending"));
        }
        if r.publicKeys.iter().any(|k| k.len() != 33) {
            return Err(StakingError::BadSet("a key is not 33 bytes"));
        }
        if r.powers.contains(&0) {
            return Err(StakingError::BadSet("a power is zero"));
        }
        Ok(Self { validators: r.validators, public_keys: r.publicKeys, powers: r.powers })
    }
}

impl NextSet {
    /// The record the store keeps and consensus reads for `epoch`, deciding heights from
    /// `first_height` on, refused when its total power is past what consensus can sum.
    pub fn into_record(
        self,
        epoch: u64,
        first_height: u64,
    ) -> Result<ValidatorSetRecord, StakingError> {
        let members = self
            .validators
            .into_iter()
            .zip(self.public_keys)
            .zip(self.powers)
            .map(|((address, public_key), power)| SetMember { address, public_key, power })
            .collect();
        let record = ValidatorSetRecord { epoch, first_height, members };
        match record.check() {
            Ok(()) => Ok(record),
            Err(PrimitivesError::ValidatorSet { reason }) => Err(StakingError::BadSet(reason)),
            Err(_) => Err(StakingError::BadSet("refused by the set rules")),
        }
    }
}

/// A validator's status as `/v1/validators` and wallets show it, named as the issue names
/// them. The ABI carries it as a `uint8` (`ValidatorInfo.status`, the contract's `Status` enum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValidatorStatus {
    /// Registered and eligible (or waiting for a seat), not in the current set.
    Candidate,
    /// In the current epoch's set.
    Active,
    /// Jailed for downtime; `unjail()` after the jail time.
    Jailed,
    /// Double-signed: slashed, never eligible again.
    Tombstoned,
    /// The operator's bond fell below the minimum: it is leaving the set.
    Unbonding,
}

impl ValidatorStatus {
    /// The lowercase name the issue gives the status.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Candidate => "candidate",
            Self::Active => "active",
            Self::Jailed => "jailed",
            Self::Tombstoned => "tombstoned",
            Self::Unbonding => "unbonding",
        }
    }
}

impl TryFrom<u8> for ValidatorStatus {
    type Error = StakingError;

    fn try_from(status: u8) -> Result<Self, StakingError> {
        match status {
            0 => Ok(Self::Candidate),
            1 => Ok(Self::Active),
            2 => Ok(Self::Jailed),
            3 => Ok(Self::Tombstoned),
            4 => Ok(Self::Unbonding),
            other => Err(StakingError::UnknownStatus(other)),
        }
    }
}

impl std::fmt::Display for ValidatorStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use alloy_primitives::address;

    fn set(validators: Vec<Address>, keys: usize, powers: Vec<u64>) -> Staking::endEpochReturn {
        Staking::endEpochReturn {
            validators,
            publicKeys: vec![Bytes::from(vec![2u8; 33]); keys],
            powers,
        }
    }

    #[test]
    fn next_set_refuses_what_consensus_cannot_use() {
        let a = address!("0x0000000000000000000000000000000000000001");
        let b = address!("0x0000000000000000000000000000000000000002");
        assert!(NextSet::try_from(set(vec![a, b], 2, vec![1, 2])).is_ok());
        for bad in [
            set(vec![], 0, vec![]),
            set(vec![b, a], 2, vec![1, 2]),
            set(vec![a, a], 2, vec![1, 2]),
            set(vec![a, b], 1, vec![1, 2]),
            set(vec![a, b], 2, vec![1, 0]),
        ] {
            assert!(matches!(NextSet::try_from(bad), Err(StakingError::BadSet(_))));
        }
        let mut short_key = set(vec![a], 1, vec![1]);
        short_key.publicKeys[0] = Bytes::from(vec![2u8; 32]);
        assert!(matches!(NextSet::try_from(short_key), Err(StakingError::BadSet(_))));
    }

    #[test]
    fn a_next_set_becomes_a_record_within_the_power_bound() {
        let a = address!("0x0000000000000000000000000000000000000001");
        let b = address!("0x0000000000000000000000000000000000000002");
        let record =
            NextSet::try_from(set(vec![a, b], 2, vec![1, 2])).unwrap().into_record(3, 31).unwrap();
        assert_eq!((record.epoch, record.first_height), (3, 31));
        assert_eq!(
            record.members.iter().map(|m| (m.address, m.power)).collect::<Vec<_>>(),
            [(a, 1), (b, 2)]
        );
        let heavy = NextSet::try_from(set(vec![a, b], 2, vec![u64::MAX / 2, u64::MAX / 2]))
            .unwrap()
            .into_record(3, 31);
        assert!(matches!(heavy, Err(StakingError::BadSet(_))));
    }
}
