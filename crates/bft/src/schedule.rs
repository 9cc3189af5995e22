//! Which validators decide each height.

use std::sync::Arc;

use cairn_primitives::ChainSpec;

use crate::context::{Height, Validator, ValidatorAddress, ValidatorSet};
use crate::error::BftError;
use crate::keys::ConsensusPublicKey;

/// Which validators decide each height. Today one set, from the genesis spec, for every
/// height; proof of stake will read the set of a height from chain state at the end of the
/// previous epoch, through this same type, so every caller already names the height it asks
/// about.
#[derive(Debug, Clone)]
pub struct ValidatorSchedule {
    genesis: Arc<ValidatorSet>,
}

impl ValidatorSchedule {
    /// The schedule of a chain spec's validators, each key checked against its address.
    pub fn from_spec(spec: &ChainSpec) -> Result<Self, BftError> {
        if spec.validators.is_empty() {
            return Err(BftError::NoValidators);
        }
        let mut validators = Vec::with_capacity(spec.validators.len());
        for v in &spec.validators {
            let bad_key = |source| BftError::BadPublicKey { address: v.address, source };
            let public_key = ConsensusPublicKey::from_slice(&v.public_key).map_err(bad_key)?;
            let derived = public_key.address().map_err(bad_key)?;
            if derived != v.address {
                return Err(BftError::KeyMismatch { address: v.address, derived });
            }
            validators.push(Validator {
                address: ValidatorAddress(v.address),
                public_key,
                voting_power: v.power,
            });
        }
        Ok(Self::fixed(ValidatorSet::new(validators)))
    }

    /// One set for every height (tests, simulations).
    pub fn fixed(validators: ValidatorSet) -> Self {
        Self { genesis: Arc::new(validators) }
    }

    /// The validators that decide block `height`.
    pub fn at(&self, _height: Height) -> Arc<ValidatorSet> {
        self.genesis.clone()
    }
}

#[cfg(test)]
mod tests {
    use k256::ecdsa::SigningKey;

    use super::*;
    use crate::signing::ConsensusSigner;

    fn signers() -> Vec<ConsensusSigner> {
        (1u8..=2)
            .map(|i| ConsensusSigner::new(SigningKey::from_slice(&[i; 32]).expect("key"), 7))
            .collect()
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
}
