use std::sync::Arc;

use cairn_primitives::ValidatorSetRecord;

use crate::ConsensusError;

/// Which validators decide each height, read from chain data fixed before that height.
///
/// Rule: the newest stored record whose `first_height` is at or below the height; none → the
/// spec's genesis set. The roles take it as an argument instead of owning a store, so import,
/// sync, the API and `cairn verify` (over its own replay store) each pass the view of the
/// chain they judge by, and a role stays deterministic in its arguments.
pub trait ValidatorSets {
    /// The set deciding block `height`. A height whose set is not decided yet (in a later
    /// epoch than the next block's) is [`ConsensusError::UnknownHeight`].
    fn set_at(&self, height: u64) -> Result<Arc<ValidatorSetRecord>, ConsensusError>;
}
