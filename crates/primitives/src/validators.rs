//! Validator sets as the chain stores them: the one record every engine uses to say which
//! validators decide which heights (fixed BFT sets, sets chosen by stake at each epoch end,
//! sets changed by governance).

use alloy_primitives::{Address, B256, Bytes, keccak256};
use alloy_rlp::{RlpDecodable, RlpEncodable};
use serde::{Deserialize, Serialize};

use crate::{ChainSpec, ConsensusKind, PrimitivesError};

/// Most total voting power a set may hold: Malachite sums powers in a `u64`, and two thirds of
/// the total must stay computable without overflow.
pub const MAX_TOTAL_POWER: u64 = 1 << 62;

/// Length of a SEC1 compressed secp256k1 public key.
const COMPRESSED_KEY_LEN: usize = 33;

/// One member of a validator set.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable, Serialize, Deserialize)]
pub struct SetMember {
    /// The address of its consensus key, which names it in votes and certificates.
    pub address: Address,
    /// Its consensus public key, SEC1 compressed (33 bytes).
    pub public_key: Bytes,
    /// Its weight in every vote.
    pub power: u64,
}

/// The validators that decide every height from `first_height` until the next record. Epoch
/// 0's record is the spec's genesis set; a later one is what the last block of the previous
/// epoch decided.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable, Serialize, Deserialize)]
pub struct ValidatorSetRecord {
    /// The epoch it starts.
    pub epoch: u64,
    /// The first height it decides.
    pub first_height: u64,
    /// Sorted by address, distinct, each with positive power, at most [`MAX_TOTAL_POWER`] in
    /// total ([`ValidatorSetRecord::check`]).
    pub members: Vec<SetMember>,
}

impl ValidatorSetRecord {
    /// keccak256 of the RLP list of members: what headers commit to and light clients
    /// compare. It covers the members only (as CometBFT's `validators_hash`), so one set in
    /// two epochs has one hash.
    pub fn hash(&self) -> B256 {
        keccak256(alloy_rlp::encode(&self.members))
    }

    /// The sum of the members' powers (saturating; [`ValidatorSetRecord::check`] bounds it).
    pub fn total_power(&self) -> u64 {
        self.members.iter().fold(0u64, |sum, m| sum.saturating_add(m.power))
    }

    /// Refuses a set no engine could run: empty, unsorted or repeated addresses, a key that is
    /// not 33 bytes, zero power, or too much power in total.
    pub fn check(&self) -> Result<(), PrimitivesError> {
        let fail = |reason: &'static str| Err(PrimitivesError::ValidatorSet { reason });
        if self.members.is_empty() {
            return fail("a validator set needs at least one member");
        }
        if self.members.windows(2).any(|pair| pair[0].address >= pair[1].address) {
            return fail("members must be sorted by address and distinct");
        }
        if self.members.iter().any(|m| m.public_key.len() != COMPRESSED_KEY_LEN) {
            return fail("member keys are 33-byte compressed secp256k1 keys");
        }
        if self.members.iter().any(|m| m.power == 0) {
            return fail("every member needs a positive power");
        }
        let total = self.members.iter().try_fold(0u64, |sum, m| sum.checked_add(m.power));
        if total.is_none_or(|total| total > MAX_TOTAL_POWER) {
            return fail("total power must be at most 2^62");
        }
        Ok(())
    }
}

impl ChainSpec {
    /// Epoch 0's set: the spec's validators, sorted by address; a proof-of-stake validator's
    /// power is its stake in units of the spec's `power_reduction`. Empty for the dev engine
    /// and proof of work, which have no validators.
    pub fn genesis_validator_set(&self) -> Result<ValidatorSetRecord, PrimitivesError> {
        let mut members = Vec::with_capacity(self.validators.len());
        for validator in &self.validators {
            let power = match self.consensus {
                ConsensusKind::Pos => {
                    self.staking_params().power_of(validator.stake.unwrap_or_default())
                }
                _ => validator.power,
            };
            members.push(SetMember {
                address: validator.address,
                public_key: validator.public_key.clone(),
                power,
            });
        }
        members.sort_by_key(|m| m.address);
        let record = ValidatorSetRecord { epoch: 0, first_height: 1, members };
        if !matches!(self.consensus, ConsensusKind::Dev | ConsensusKind::Pow) {
            record.check()?;
        }
        Ok(record)
    }

    /// The epoch of block `height`: blocks `1..=epoch_length` are epoch 0 (with genesis),
    /// the next `epoch_length` blocks epoch 1, and so on. Always 0 on a chain without epochs.
    pub fn epoch_of(&self, height: u64) -> u64 {
        match self.epoch_length {
            Some(length) if length > 0 => height.saturating_sub(1) / length,
            _ => 0,
        }
    }

    /// Whether block `height` is the last of its epoch, so its end decides the next set.
    pub fn ends_epoch(&self, height: u64) -> bool {
        match self.epoch_length {
            Some(length) if length > 0 => height > 0 && height.is_multiple_of(length),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{U256, hex};

    use super::*;
    use crate::GenesisValidator;

    fn member(byte: u8, power: u64) -> SetMember {
        let mut key = vec![2u8];
        key.extend([byte; 32]);
        SetMember { address: Address::repeat_byte(byte), public_key: key.into(), power }
    }

    fn record(members: Vec<SetMember>) -> ValidatorSetRecord {
        ValidatorSetRecord { epoch: 3, first_height: 61, members }
    }

    #[test]
    fn the_hash_covers_the_members_only() {
        let set = record(vec![member(1, 10), member(2, 20)]);
        // Golden (cast keccak of cast to-rlp of the members): headers and light clients
        // depend on this value never changing.
        assert_eq!(
            set.hash(),
            B256::from(hex!("f07b6c8a0193456d8c6350cff4c0a4cc7cfa554eb3ca74ae7d354a5e96895979"))
        );
        let later = ValidatorSetRecord { epoch: 4, first_height: 81, ..set.clone() };
        assert_eq!(later.hash(), set.hash());
        let reweighted = record(vec![member(1, 10), member(2, 21)]);
        assert_ne!(reweighted.hash(), set.hash());
    }

    #[test]
    fn records_round_trip_through_rlp() {
        let set = record(vec![member(1, 10), member(2, 20)]);
        let bytes = alloy_rlp::encode(&set);
        assert_eq!(alloy_rlp::decode_exact::<ValidatorSetRecord>(&bytes).expect("decodes"), set);
    }

    #[test]
    fn check_refuses_sets_no_engine_could_run() {
        assert!(record(vec![member(1, 10), member(2, 20)]).check().is_ok());
        assert!(record(vec![]).check().is_err());
        assert!(record(vec![member(2, 10), member(1, 20)]).check().is_err());
        assert!(record(vec![member(1, 10), member(1, 20)]).check().is_err());
        assert!(record(vec![member(1, 0)]).check().is_err());
        let mut short = member(1, 10);
        short.public_key = Bytes::from(vec![2u8; 32]);
        assert!(record(vec![short]).check().is_err());
        assert!(record(vec![member(1, MAX_TOTAL_POWER)]).check().is_ok());
        assert!(record(vec![member(1, MAX_TOTAL_POWER), member(2, 1)]).check().is_err());
        assert!(record(vec![member(1, u64::MAX), member(2, u64::MAX)]).check().is_err());
    }

    #[test]
    fn epochs_start_after_genesis() {
        let spec = ChainSpec { epoch_length: Some(20), ..ChainSpec::dev().expect("dev spec") };
        assert_eq!([0, 1, 20, 21, 40, 41].map(|h| spec.epoch_of(h)), [0, 0, 0, 1, 1, 2]);
        assert_eq!(
            [0, 1, 19, 20, 21, 40].map(|h| spec.ends_epoch(h)),
            [false, false, false, true, false, true]
        );
        let no_epochs = ChainSpec::dev().expect("dev spec");
        assert_eq!(no_epochs.epoch_of(1_000_000), 0);
        assert!(!no_epochs.ends_epoch(20));
    }

    #[test]
    fn the_genesis_set_is_sorted_and_pos_power_comes_from_stake() {
        let validator = |byte: u8, power: u64| GenesisValidator {
            name: String::new(),
            address: Address::repeat_byte(byte),
            public_key: member(byte, 1).public_key,
            power,
            stake: None,
            operator: None,
            commission_bps: None,
        };
        let bft = ChainSpec {
            consensus: ConsensusKind::Bft,
            validators: vec![validator(9, 5), validator(3, 7)],
            ..ChainSpec::dev().expect("dev spec")
        };
        let set = bft.genesis_validator_set().expect("set");
        assert_eq!(set.members.iter().map(|m| m.power).collect::<Vec<_>>(), [7, 5]);
        assert_eq!((set.epoch, set.first_height), (0, 1));

        let ether = U256::from(10u128.pow(18));
        let mut staked = validator(4, 0);
        staked.stake = Some(ether * U256::from(250));
        let pos = ChainSpec { consensus: ConsensusKind::Pos, validators: vec![staked], ..bft };
        assert_eq!(pos.genesis_validator_set().expect("set").members[0].power, 250);
    }
}
