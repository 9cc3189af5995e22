//! The epoch a governed chain is in, read from chain state: `epochLength` is governable, so a
//! fixed length from the spec cannot say where an epoch ends.

use alloy_primitives::U256;
use cairn_storage::StateView;

use crate::layout::{self, u64_at};
use crate::params::storage_root;
use crate::{GOVERNANCE_ADDRESS, GovernanceError};

/// The epoch in force at a state and where it ends. Only `endEpoch` writes the slots behind
/// it, so the values at a block's parent state are those the contract itself acts on when it
/// runs in that block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochState {
    /// `currentEpoch()`.
    pub epoch: u64,
    /// `epochStart(epoch)`: the epoch's first height.
    pub start: u64,
    /// `params().epochLength` in force: the length of this epoch (a change applied at its
    /// start is already in it).
    pub length: u64,
}

impl EpochState {
    /// Reads slots 0, 2, 3 and `epochStarts[currentEpoch]` at `state`. An epoch without a
    /// recorded start or a zero length cannot come from the contract and is an error, so a
    /// boundary is never guessed.
    pub fn read(state: &dyn StateView) -> Result<Self, GovernanceError> {
        storage_root(state)?;
        let read = |slot| state.storage(GOVERNANCE_ADDRESS, slot);
        let epoch = u64_at(read(layout::CURRENT_EPOCH)?, 0);
        let starts = read(layout::EPOCH_STARTS)?;
        if starts <= U256::from(epoch) {
            return Err(GovernanceError::UnexpectedStorage("epochStarts has no current epoch"));
        }
        let (slot, shift) = layout::epoch_start_slot(epoch);
        let start = u64_at(read(slot)?, shift);
        let length = u64_at(read(layout::PARAMS)?, 128);
        if length == 0 {
            return Err(GovernanceError::UnexpectedStorage("epochLength is zero"));
        }
        Ok(Self { epoch, start, length })
    }

    /// The epoch's last height: the block whose end calls `endEpoch`.
    pub fn last_height(&self) -> u64 {
        self.start.saturating_add(self.length.saturating_sub(1))
    }

    /// Whether block `number`, built on the state this was read at, ends the epoch.
    pub fn ends_at(&self, number: u64) -> bool {
        number == self.last_height()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::test_state::MapState;

    #[test]
    fn an_epoch_ends_at_its_start_plus_its_length_minus_one() {
        let epoch = EpochState { epoch: 3, start: 31, length: 10 };
        assert_eq!(epoch.last_height(), 40);
        assert!(epoch.ends_at(40));
        assert!(!epoch.ends_at(39) && !epoch.ends_at(41));
        let single = EpochState { epoch: 0, start: 1, length: 1 };
        assert!(single.ends_at(1));
    }

    #[test]
    fn an_epoch_the_contract_could_not_have_written_is_an_error() {
        let mut state = MapState::new(1);
        state.slots.insert(layout::CURRENT_EPOCH, U256::from(2));
        state.slots.insert(layout::EPOCH_STARTS, U256::from(2));
        state.slots.insert(layout::PARAMS, U256::from(10) << 128);
        assert!(matches!(
            EpochState::read(&state),
            Err(GovernanceError::UnexpectedStorage("epochStarts has no current epoch"))
        ));
        state.slots.insert(layout::EPOCH_STARTS, U256::from(3));
        let (slot, shift) = layout::epoch_start_slot(2);
        state.slots.insert(slot, U256::from(21) << shift);
        assert_eq!(
            EpochState::read(&state).unwrap(),
            EpochState { epoch: 2, start: 21, length: 10 }
        );
        state.slots.insert(layout::PARAMS, U256::ZERO);
        assert!(matches!(
            EpochState::read(&state),
            Err(GovernanceError::UnexpectedStorage("epochLength is zero"))
        ));
    }
}
