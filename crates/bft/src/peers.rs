//! Which peers Malachite's consensus swarm accepts, changed while it runs: on a permissioned
//! network it starts in persistent-peers-only mode with each allowed peer pinned by id
//! ([`pinned`]), and [`ConsensusPeers`] adds and removes persistent peers as the allowed set
//! changes.
//!
//! Malachite 0.8.2 has no connection gate by peer id: in this mode its discovery refuses a
//! peer that no persistent entry names (by `/p2p/` id, or by the address a configured
//! transport-only entry was dialled at) when the peer's identify message arrives, closes the
//! connection then and never reports the peer to consensus or sync. Removing the last entry
//! naming a connected peer disconnects it at once.

use libp2p::multiaddr::Protocol;
use malachitebft_app_channel::NetworkRequest;
use malachitebft_app_channel::app::engine::network::{PersistentPeerError, PersistentPeersOp};
use malachitebft_app_channel::app::net::{Multiaddr, PeerId};
use tokio::sync::{mpsc, oneshot};

use crate::BftError;

/// The persistent-peer entry that pins `peer` by identity alone: Malachite accepts it under
/// persistent-peers-only mode and never dials it (it has no address to dial).
pub fn pinned(peer: PeerId) -> Multiaddr {
    Multiaddr::empty().with(Protocol::P2p(peer))
}

/// The peer an address names by its `/p2p/` component, if any.
pub fn named_peer(addr: &Multiaddr) -> Option<PeerId> {
    addr.iter().find_map(|protocol| match protocol {
        Protocol::P2p(peer) => Some(peer),
        _ => None,
    })
}

/// `addr` without its `/p2p/` component: where it is, whoever answers there.
pub fn transport_part(addr: &Multiaddr) -> Multiaddr {
    addr.iter().filter(|protocol| !matches!(protocol, Protocol::P2p(_))).collect()
}

/// Changes the peers a running consensus swarm accepts; cheap to clone.
#[derive(Debug, Clone)]
pub struct ConsensusPeers {
    requests: mpsc::Sender<NetworkRequest>,
}

impl ConsensusPeers {
    pub(crate) fn new(requests: mpsc::Sender<NetworkRequest>) -> Self {
        Self { requests }
    }

    /// Adds `addr` to the persistent peers: a `/p2p/<id>` address ([`pinned`]) accepts that
    /// peer, a dialable one is also dialled. Already there is fine.
    pub async fn add(&self, addr: Multiaddr) -> Result<(), BftError> {
        match self.update(PersistentPeersOp::Add(addr)).await {
            Ok(()) | Err(BftError::Peers(PersistentPeerError::AlreadyExists)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Removes `addr` from the persistent peers; in persistent-peers-only mode its peer, when
    /// no other entry still names it, is disconnected at once and refused from then on. Not
    /// there is fine.
    pub async fn remove(&self, addr: Multiaddr) -> Result<(), BftError> {
        match self.update(PersistentPeersOp::Remove(addr)).await {
            Ok(()) | Err(BftError::Peers(PersistentPeerError::NotFound)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The peers connected now, each with the address of its connection (the dialled one for
    /// a peer this node dialled).
    pub async fn connected(&self) -> Result<Vec<(PeerId, Multiaddr)>, BftError> {
        let (reply, answer) = oneshot::channel();
        let stopped = || BftError::Peers(PersistentPeerError::NetworkStopped);
        self.requests.send(NetworkRequest::DumpState(reply)).await.map_err(|_| stopped())?;
        let dump = answer.await.map_err(|_| stopped())?.ok_or_else(stopped)?;
        Ok(dump.peers.into_iter().map(|(peer, info)| (peer, info.address)).collect())
    }

    /// Sends the request (waiting for room rather than dropping it: a lost removal would leave
    /// a refused peer connected) and waits for the swarm's answer.
    async fn update(&self, op: PersistentPeersOp) -> Result<(), BftError> {
        let (reply, answer) = oneshot::channel();
        let stopped = || BftError::Peers(PersistentPeerError::NetworkStopped);
        self.requests
            .send(NetworkRequest::UpdatePersistentPeers(op, reply))
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?.map_err(BftError::Peers)
    }
}
