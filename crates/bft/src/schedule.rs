//! Which validators decide each height, as Malachite's sets.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use alloy_primitives::B256;
use cairn_consensus::{ConsensusError, ValidatorSets};
use cairn_primitives::{ChainSpec, ValidatorSetRecord};

use crate::context::{Validator, ValidatorAddress, ValidatorSet};
use crate::error::BftError;
use crate::keys::ConsensusPublicKey;

/// Converted sets kept: a set changes at most once an epoch, and the heights being decided,
/// synced and read span a few epochs at most.
const CACHED_SETS: usize = 16;

/// Converted sets by record hash, oldest first.
type Converted = VecDeque<(B256, Arc<ValidatorSet>)>;

/// Which validators decide each height, as the Malachite sets certificates, proposer choice
/// and `HeightParams` need: the chain's [`ValidatorSets`] (the set of a height is chain data)
/// converted once per distinct set and kept, by the set's hash, for the last
/// [`CACHED_SETS`] sets. Clones share the cache, so the engine's roles and its driver convert
/// each set once.
#[derive(Debug, Clone, Default)]
pub struct ValidatorSchedule {
    converted: Arc<Mutex<Converted>>,
}

impl ValidatorSchedule {
    /// A schedule for the chain of `spec`, its genesis set converted up front so a spec whose
    /// validators Malachite cannot use (none, a bad key, a key of another address) is refused
    /// when the node starts rather than at the first height.
    pub fn from_spec(spec: &ChainSpec) -> Result<Self, BftError> {
        if spec.validators.is_empty() {
            return Err(BftError::NoValidators);
        }
        let genesis = spec.genesis_validator_set().map_err(BftError::InvalidSet)?;
        let schedule = Self::default();
        schedule.remember(genesis.hash(), Arc::new(to_malachite(&genesis)?));
        Ok(schedule)
    }

    /// `record` as a Malachite set: from the cache when it was converted lately.
    pub fn convert(
        &self,
        record: &ValidatorSetRecord,
    ) -> Result<Arc<ValidatorSet>, ConsensusError> {
        let hash = record.hash();
        if let Some(set) = self.cached(hash) {
            return Ok(set);
        }
        let set = to_malachite(record).map_err(|e| ConsensusError::UnusableSet {
            first_height: record.first_height,
            source: Box::new(e),
        })?;
        let set = Arc::new(set);
        self.remember(hash, set.clone());
        Ok(set)
    }

    /// The Malachite set deciding block `height` of the chain `sets` reads.
    pub fn at(
        &self,
        sets: &dyn ValidatorSets,
        height: u64,
    ) -> Result<Arc<ValidatorSet>, ConsensusError> {
        self.convert(&*sets.set_at(height)?)
    }

    fn cached(&self, hash: B256) -> Option<Arc<ValidatorSet>> {
        let converted = self.converted.lock().unwrap_or_else(PoisonError::into_inner);
        converted.iter().find(|(h, _)| *h == hash).map(|(_, set)| set.clone())
    }

    fn remember(&self, hash: B256, set: Arc<ValidatorSet>) {
        let mut converted = self.converted.lock().unwrap_or_else(PoisonError::into_inner);
        if converted.iter().any(|(h, _)| *h == hash) {
            return;
        }
        if converted.len() == CACHED_SETS {
            converted.pop_front();
        }
        converted.push_back((hash, set));
    }
}

/// A set record as Malachite's set, each key checked against its address. An empty set is
/// refused: Malachite stops at a height whose set is empty.
fn to_malachite(record: &ValidatorSetRecord) -> Result<ValidatorSet, BftError> {
    if record.members.is_empty() {
        return Err(BftError::NoValidators);
    }
    let mut validators = Vec::with_capacity(record.members.len());
    for member in &record.members {
        let bad_key = |source| BftError::BadPublicKey { address: member.address, source };
        let public_key = ConsensusPublicKey::from_slice(&member.public_key).map_err(bad_key)?;
        let derived = public_key.address().map_err(bad_key)?;
        if derived != member.address {
            return Err(BftError::KeyMismatch { address: member.address, derived });
        }
        validators.push(Validator {
            address: ValidatorAddress(member.address),
            public_key,
            voting_power: member.power,
        });
    }
    Ok(ValidatorSet::new(validators))
}

#[cfg(test)]
mod tests {
    use cairn_consensus::test_utils::FixedSets;
    use cairn_primitives::SetMember;
    use k256::ecdsa::SigningKey;
    use malachitebft_core_types::ValidatorSet as _;

    use super::*;
    use crate::signing::ConsensusSigner;

    fn signers() -> Vec<ConsensusSigner> {
        (1u8..=2)
            .map(|i| ConsensusSigner::new(SigningKey::from_slice(&[i; 32]).expect("key"), 7))
            .collect()
    }

    fn record(first_height: u64, signers: &[ConsensusSigner], power: u64) -> ValidatorSetRecord {
        let mut members: Vec<SetMember> = signers
            .iter()
            .map(|s| SetMember {
                address: s.address().0,
                public_key: s.public_key().0.to_vec().into(),
                power,
            })
            .collect();
        members.sort_by_key(|m| m.address);
        ValidatorSetRecord { epoch: first_height / 10, first_height, members }
    }

    #[test]
    fn a_bad_spec_key_is_named_by_its_fault() {
        let signer = &signers()[0];
        let other = &signers()[1];
        let entry = |public_key: Vec<u8>| cairn_primitives::GenesisValidator {
            name: String::new(),
            address: signer.address().0,
            public_key: public_key.into(),
            power: 1,
            stake: None,
            operator: None,
            commission_bps: None,
        };
        let spec = |validators| ChainSpec { validators, ..ChainSpec::dev().expect("spec") };
        assert!(matches!(ValidatorSchedule::from_spec(&spec(vec![])), Err(BftError::NoValidators)));
        assert!(matches!(
            ValidatorSchedule::from_spec(&spec(vec![entry(vec![5; 33])])),
            Err(BftError::BadPublicKey { address, .. }) if address == signer.address().0
        ));
        match ValidatorSchedule::from_spec(&spec(vec![entry(other.public_key().0.to_vec())])) {
            Err(BftError::KeyMismatch { address, derived }) => {
                assert_eq!((address, derived), (signer.address().0, other.address().0));
            }
            other => panic!("{other:?}"),
        }
        assert!(
            ValidatorSchedule::from_spec(&spec(vec![entry(signer.public_key().0.to_vec())]))
                .is_ok()
        );
    }

    #[test]
    fn each_set_is_converted_once_and_the_cache_keeps_the_newest_sets() {
        let schedule = ValidatorSchedule::default();
        let first = record(1, &signers(), 1);
        let set = schedule.at(&FixedSets(Arc::new(first.clone())), 5).expect("set");
        assert_eq!(set.count(), 2);
        assert_eq!(set.total_voting_power(), 2);
        // The same members recorded for a later epoch hash alike: the same converted set.
        let again = ValidatorSetRecord { epoch: 3, first_height: 31, ..first.clone() };
        assert!(Arc::ptr_eq(&set, &schedule.convert(&again).expect("set")));
        for power in 2..=CACHED_SETS as u64 {
            schedule.convert(&record(1, &signers(), power)).expect("set");
        }
        assert!(Arc::ptr_eq(&set, &schedule.convert(&first).expect("still cached")));
        schedule.convert(&record(1, &signers(), 100)).expect("set");
        assert!(!Arc::ptr_eq(&set, &schedule.convert(&first).expect("converted again")));
        assert_eq!(schedule.converted.lock().expect("cache").len(), CACHED_SETS);
    }

    #[test]
    fn a_set_malachite_cannot_use_is_refused_with_its_first_height() {
        let schedule = ValidatorSchedule::default();
        let mut forged = record(21, &signers(), 1);
        forged.members[0].address = alloy_primitives::Address::repeat_byte(1);
        match schedule.convert(&forged) {
            Err(ConsensusError::UnusableSet { first_height: 21, source }) => {
                assert!(matches!(source.downcast_ref(), Some(BftError::KeyMismatch { .. })));
            }
            other => panic!("{other:?}"),
        }
        let empty = ValidatorSetRecord { members: Vec::new(), ..record(21, &signers(), 1) };
        assert!(matches!(
            schedule.convert(&empty),
            Err(ConsensusError::UnusableSet { first_height: 21, .. })
        ));
    }
}
