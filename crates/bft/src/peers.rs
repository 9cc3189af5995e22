//! Which peers a running consensus network accepts: on a permissioned network, the allowed
//! set from governance, changed while the node runs.

use std::collections::HashSet;

use cairn_network::consensus::ConsensusHandle;

use crate::{BftError, PeerId};

/// Changes the peers the consensus network accepts; cheap to clone.
#[derive(Debug, Clone)]
pub struct ConsensusPeers {
    network: ConsensusHandle,
}

impl ConsensusPeers {
    pub(crate) fn new(network: ConsensusHandle) -> Self {
        Self { network }
    }

    /// Replaces the peers that may connect (`None`: everyone). The connected peers outside
    /// the new set are disconnected at once and refused from then on, at the connection,
    /// before any protocol runs.
    pub async fn set_allowed(&self, allowed: Option<HashSet<PeerId>>) -> Result<(), BftError> {
        Ok(self.network.set_allowed_peers(allowed).await?)
    }
}
