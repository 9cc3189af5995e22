use std::sync::Arc;

use cairn_primitives::{Header, ValidatorSetRecord};

use crate::ConsensusError;

/// Chain data fixed before a height that the rules judge it by: the validators deciding it,
/// and the gas limit its block must carry.
///
/// Rule: the newest stored record whose `first_height` is at or below the height; none → the
/// spec's genesis set. The roles take it as an argument instead of owning a store, so import,
/// sync, the API and `cairn verify` (over its own replay store) each pass the view of the
/// chain they judge by, and a role stays deterministic in its arguments.
pub trait ValidatorSets {
    /// The set deciding block `height`. A height whose set is not decided yet (in a later
    /// epoch than the next block's) is [`ConsensusError::UnknownHeight`].
    fn set_at(&self, height: u64) -> Result<Arc<ValidatorSetRecord>, ConsensusError>;

    /// The gas limit the child of `parent` must carry: the parent's, unless the chain governs
    /// it (a voted change applies from the first block after the epoch boundary). Header
    /// rules, block builders and the pool's selection all ask here, so they agree.
    fn gas_limit_after(&self, parent: &Header) -> Result<u64, ConsensusError> {
        Ok(parent.gas_limit)
    }
}
