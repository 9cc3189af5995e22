//! A governed chain's consensus roles: the engine's own header rules plus the commitments to
//! the signing set, [`GovernanceEnd`] at every block's end with epoch boundaries read from
//! the parent's state, and [`GovernedAccounts`] as the account rules.

use std::sync::Arc;

use cairn_consensus::{
    BlockEndRules, ConsensusError, ConsensusRoles, HeaderValidator, ValidatorSets,
    validate_validators_hash,
};
use cairn_execution::BlockEnd;
use cairn_primitives::{Block, ChainSpec, ConsensusKind, Header};
use cairn_storage::StateView;

use crate::end::{EpochEnd, GovernanceEnd, GovernanceInputs};
use crate::{EpochState, GovernanceError, GovernedAccounts};

impl From<GovernanceError> for ConsensusError {
    /// A store fault stays a store fault; anything else means the contract's state is not
    /// what this node reads, and the block cannot be judged.
    fn from(error: GovernanceError) -> Self {
        match error {
            GovernanceError::Store(e) => ConsensusError::Store(e),
            other => ConsensusError::RulesState { source: Box::new(other) },
        }
    }
}

/// The header and block-end rules of a governed chain, over the engine's header rules.
pub struct GovernedRules {
    /// The engine's header rules (dev: parent link and empty seal; BFT: parent link and the
    /// certificate of the height's set).
    inner: Arc<dyn HeaderValidator>,
    /// Whether an epoch's end records the next set (BFT) or only checks it (dev).
    records_sets: bool,
}

impl GovernedRules {
    /// The inputs of block `number` built on the state `state`.
    fn inputs(
        &self,
        sets: &dyn ValidatorSets,
        state: &dyn StateView,
        number: u64,
    ) -> Result<GovernanceInputs, ConsensusError> {
        Ok(GovernanceInputs {
            current_set: sets.set_at(number)?,
            ends_epoch: epoch_end(state, number)?,
            records_sets: self.records_sets,
        })
    }
}

/// Whether block `number`, built on `state`, ends its epoch, and the epoch it starts. A block
/// outside the epoch the state is in cannot follow that state (a boundary was skipped, or the
/// state is not the parent's): an error, never a guess.
fn epoch_end(state: &dyn StateView, number: u64) -> Result<Option<EpochEnd>, GovernanceError> {
    let epoch = EpochState::read(state)?;
    if number < epoch.start || number > epoch.last_height() {
        return Err(GovernanceError::OutsideEpoch {
            number,
            epoch: epoch.epoch,
            start: epoch.start,
            last: epoch.last_height(),
        });
    }
    Ok(epoch.ends_at(number).then(|| EpochEnd { epoch: epoch.epoch + 1, first_height: number + 1 }))
}

impl HeaderValidator for GovernedRules {
    /// The engine's rules, then the header's commitment to the set deciding its height.
    fn validate_header(
        &self,
        sets: &dyn ValidatorSets,
        parent: &Header,
        header: &Header,
    ) -> Result<(), ConsensusError> {
        self.inner.validate_header(sets, parent, header)?;
        validate_validators_hash(sets, header)
    }
}

impl BlockEndRules for GovernedRules {
    /// A governed block carries no body consensus data (no parent certificate, no evidence);
    /// at an epoch's last block `endEpoch` must succeed and answer the epoch the chain expects.
    fn import(
        &self,
        sets: &dyn ValidatorSets,
        state: &dyn StateView,
        _parent: &Header,
        block: &Block,
    ) -> Result<Box<dyn BlockEnd + '_>, ConsensusError> {
        let number = block.header.number;
        if block.consensus.is_some() {
            return Err(ConsensusError::UnexpectedConsensusData { number });
        }
        Ok(Box::new(GovernanceEnd::import(self.inputs(sets, state, number)?)))
    }

    fn build(
        &self,
        sets: &dyn ValidatorSets,
        state: &dyn StateView,
        parent: &Header,
    ) -> Result<Box<dyn BlockEnd + '_>, ConsensusError> {
        Ok(Box::new(GovernanceEnd::build(self.inputs(sets, state, parent.number + 1)?)))
    }
}

/// The roles of the chain of `spec`: `roles` unchanged without `[governance]`; otherwise the
/// engine's header rules with the set commitments, [`GovernanceEnd`] as the block end and
/// [`GovernedAccounts`] as the account rules (production and reads stay the engine's). The
/// node and `cairn verify` both build their roles through here, so they judge alike.
pub fn govern(roles: ConsensusRoles, spec: &ChainSpec) -> Result<ConsensusRoles, GovernanceError> {
    if spec.governance.is_none() {
        return Ok(roles);
    }
    let records_sets = match spec.consensus {
        ConsensusKind::Dev => false,
        ConsensusKind::Bft => true,
        other => return Err(GovernanceError::UnsupportedConsensus(other)),
    };
    let rules = Arc::new(GovernedRules { inner: roles.validator.clone(), records_sets });
    Ok(ConsensusRoles {
        validator: rules.clone(),
        block_end: rules,
        transactions: Arc::new(GovernedAccounts::new()),
        ..roles
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use alloy_primitives::U256;

    use super::*;
    use crate::layout;
    use crate::test_state::MapState;

    /// Epoch 2 from height 21, ten blocks long.
    fn in_epoch_two() -> MapState {
        let mut state = MapState::new(1);
        state.slots.insert(layout::CURRENT_EPOCH, U256::from(2));
        state.slots.insert(layout::EPOCH_STARTS, U256::from(3));
        let (slot, shift) = layout::epoch_start_slot(2);
        state.slots.insert(slot, U256::from(21) << shift);
        state.slots.insert(layout::PARAMS, U256::from(10) << 128);
        state
    }

    #[test]
    fn only_the_epochs_last_block_ends_it_and_a_block_outside_it_is_an_error() {
        let state = in_epoch_two();
        assert_eq!(epoch_end(&state, 21).unwrap(), None);
        assert_eq!(epoch_end(&state, 29).unwrap(), None);
        assert_eq!(epoch_end(&state, 30).unwrap(), Some(EpochEnd { epoch: 3, first_height: 31 }));
        for number in [20, 31] {
            assert!(matches!(
                epoch_end(&state, number),
                Err(GovernanceError::OutsideEpoch { epoch: 2, start: 21, last: 30, .. })
            ));
        }
        let error = ConsensusError::from(epoch_end(&state, 31).unwrap_err());
        assert_eq!(
            error.to_string(),
            "cannot read the rules in force from the parent's state: block 31 is outside epoch 2 \
             (blocks 21 to 30) of its parent's state"
        );
    }
}
