//! Node permissioning on a governed network: which peers may connect comes from the governance
//! contract (its `permissionNodes` switch and the organisations' nodes), read at the head when
//! the node starts and again after every committed block that changed the contract's storage
//! (one account read per block tells), and is handed to both swarms.
//!
//! - Transaction gossip: [`NetworkHandle::set_allowed_peers`], a connection gate that refuses
//!   other peers before any protocol runs and closes the connections of removed ones.
//! - Consensus and sync (Malachite's swarm): started in persistent-peers-only mode with the
//!   allowed peers pinned by id; a removed peer's pin (and any configured address naming it)
//!   is removed, which disconnects it, and an added peer is pinned (and its configured
//!   address dialled). Malachite's mode is fixed when it starts, so turning the switch on or
//!   off reaches the consensus swarm at the node's next start (gossip follows at once).
//!
//! A set that cannot be read is never read as "everyone": at start the node then accepts
//! nobody, and later it keeps the last set and tries again after the next block.

use std::collections::HashSet;
use std::sync::Arc;

use alloy_primitives::B256;
use cairn_bft::{ConsensusPeers, Multiaddr, PeerId, named_peer, pinned, transport_part};
use cairn_governance::{read_allowed_nodes, storage_root};
use cairn_network::NetworkHandle;
use cairn_node::Node;
use cairn_primitives::Header;
use cairn_storage::{KvStore, StateView};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::task::JoinHandle;
use tracing::{info, warn};

/// Where permission decisions are logged (the gossip gate's target too).
const LOG_TARGET: &str = "cairn::permissions";

/// The peers that may connect: `None` while node permissioning is off.
pub(crate) type Allowed = Option<HashSet<PeerId>>;

/// The allowed peers at `state` and the governance storage root they were read at.
fn read_allowed(
    state: &dyn StateView,
) -> Result<(B256, Allowed), cairn_governance::GovernanceError> {
    let root = storage_root(state)?;
    let Some(nodes) = read_allowed_nodes(state)? else { return Ok((root, None)) };
    let mut allowed = HashSet::with_capacity(nodes.len());
    for node in nodes {
        match PeerId::from_bytes(&node.peer_id) {
            Ok(peer) => {
                allowed.insert(peer);
            }
            Err(_) => warn!(
                target: LOG_TARGET,
                peer_id = %node.peer_id,
                org = node.org,
                "an allowed node's peer id is not a libp2p peer id; it cannot connect"
            ),
        }
    }
    Ok((root, Some(allowed)))
}

/// Node permissioning of one node: the set in force and the blocks that may change it.
pub(crate) struct PeerPermissions<K: KvStore> {
    node: Arc<Node<K>>,
    blocks: broadcast::Receiver<Arc<Header>>,
    /// The root the set was read at; `None` after a failed read, so the next block reads again.
    root: Option<B256>,
    allowed: Allowed,
}

impl<K: KvStore> PeerPermissions<K> {
    /// Reads the set at the head of a governed chain's `node` (`None` on an ungoverned chain).
    /// A set that cannot be read allows nobody, and says why.
    pub(crate) fn at_head(node: &Arc<Node<K>>) -> Option<Self> {
        node.spec().governance.as_ref()?;
        // Subscribed first, so no block committed after the read goes unseen.
        let blocks = node.subscribe_blocks();
        let read = node
            .head_snapshot()
            .map_err(|e| e.to_string())
            .and_then(|head| read_allowed(&head).map_err(|e| e.to_string()));
        let (root, allowed) = match read {
            Ok((root, allowed)) => (Some(root), allowed),
            Err(error) => {
                warn!(
                    target: LOG_TARGET,
                    %error,
                    "cannot read the allowed nodes at the head; accepting no peer until they can be read"
                );
                (None, Some(HashSet::new()))
            }
        };
        if let Some(allowed) = &allowed {
            info!(target: LOG_TARGET, allowed = allowed.len(), "node permissioning is on");
        }
        Some(Self { node: node.clone(), blocks, root, allowed })
    }

    /// The set in force now.
    pub(crate) fn allowed(&self) -> &Allowed {
        &self.allowed
    }

    /// Follows the chain, handing each new set to `gossip` and to `consensus`.
    pub(crate) fn follow(
        self,
        gossip: Option<NetworkHandle>,
        consensus: Option<ConsensusGate>,
    ) -> JoinHandle<()> {
        tokio::spawn(self.run(gossip, consensus))
    }

    async fn run(mut self, gossip: Option<NetworkHandle>, mut consensus: Option<ConsensusGate>) {
        while let Ok(change) = self.next_change().await {
            if let Some(allowed) = change {
                if let Some(gossip) = &gossip
                    && let Err(error) = gossip.set_allowed_peers(allowed.clone()).await
                {
                    warn!(target: LOG_TARGET, %error, "transaction gossip did not take the allowed nodes");
                }
                if let Some(consensus) = &mut consensus {
                    consensus.apply(&self.allowed, &allowed).await;
                }
                self.allowed = allowed;
            }
            if let (Some(consensus), Some(allowed)) = (&mut consensus, &self.allowed) {
                consensus.sweep(allowed).await;
            }
        }
    }

    /// Waits for the next block and answers the set at its state if it differs from the one
    /// in force (`None`: unchanged); `Err` once the node stops committing blocks.
    async fn next_change(&mut self) -> Result<Option<Allowed>, ()> {
        match self.blocks.recv().await {
            Ok(_) | Err(RecvError::Lagged(_)) => Ok(self.changed().await),
            Err(RecvError::Closed) => Err(()),
        }
    }

    /// The set at the new head when the governance storage changed (or the last read failed).
    async fn changed(&mut self) -> Option<Allowed> {
        let node = self.node.clone();
        let known = self.root;
        let read = tokio::task::spawn_blocking(move || {
            let head = node.head_snapshot().map_err(|e| e.to_string())?;
            let root = storage_root(&head).map_err(|e| e.to_string())?;
            if Some(root) == known {
                return Ok(None);
            }
            read_allowed(&head).map(Some).map_err(|e| e.to_string())
        })
        .await;
        match read {
            Ok(Ok(Some((root, allowed)))) => {
                self.root = Some(root);
                (allowed != self.allowed).then_some(allowed)
            }
            Ok(Ok(None)) => None,
            Ok(Err(error)) => {
                self.root = None;
                warn!(
                    target: LOG_TARGET,
                    %error,
                    "cannot read the allowed nodes at the new head; keeping the previous set"
                );
                None
            }
            Err(_) => None,
        }
    }
}

/// The consensus swarm's side: its persistent-peer requests and the peer addresses the
/// operator configured (dialled while their peer is allowed).
pub(crate) struct ConsensusGate {
    pub(crate) peers: ConsensusPeers,
    pub(crate) configured: Vec<Multiaddr>,
    /// Whether Malachite started in persistent-peers-only mode (the switch was on).
    pub(crate) gated: bool,
    /// Configured addresses without a `/p2p/` id taken out of Malachite's persistent peers
    /// because the peer found answering there is not allowed, with that peer.
    pub(crate) dropped: Vec<(Multiaddr, PeerId)>,
}

impl ConsensusGate {
    /// The configured addresses Malachite starts with under `allowed`: those that name a
    /// peer outside the set are left out (added back if it is allowed later).
    pub(crate) fn configured_under(configured: &[Multiaddr], allowed: &Allowed) -> Vec<Multiaddr> {
        configured
            .iter()
            .filter(|addr| match (allowed, named_peer(addr)) {
                (Some(set), Some(peer)) => set.contains(&peer),
                _ => true,
            })
            .cloned()
            .collect()
    }

    /// Moves the swarm from `old` to `new`: pins the added peers (dialling their configured
    /// addresses) and removes the pins and addresses of the removed ones, which disconnects
    /// them.
    async fn apply(&mut self, old: &Allowed, new: &Allowed) {
        match (self.gated, new) {
            (true, Some(new)) => {
                let empty = HashSet::new();
                let old = old.as_ref().unwrap_or(&empty);
                for peer in new.difference(old) {
                    for addr in self.entries(*peer) {
                        self.request(peer, self.peers.add(addr).await);
                    }
                }
                for peer in old.difference(new) {
                    for addr in self.entries(*peer) {
                        self.request(peer, self.peers.remove(addr).await);
                    }
                    info!(
                        target: LOG_TARGET,
                        %peer,
                        swarm = "consensus",
                        "peer is no longer an allowed node of this network; disconnected"
                    );
                }
            }
            (true, None) => warn!(
                target: LOG_TARGET,
                "node permissioning was turned off: transaction gossip accepts every peer now, \
                 consensus keeps the last allowed nodes until the node restarts"
            ),
            (false, Some(_)) => warn!(
                target: LOG_TARGET,
                "node permissioning was turned on: transaction gossip enforces it now, consensus \
                 from the node's next start"
            ),
            (false, None) => {}
        }
    }

    /// Malachite trusts a configured address without a `/p2p/` id by address (whoever answers
    /// there is persistent, hence accepted). After each block, the peers connected at such an
    /// address that are not allowed have the address taken out (which disconnects them); it is
    /// put back once that peer is allowed again.
    async fn sweep(&mut self, allowed: &HashSet<PeerId>) {
        if !self.gated {
            return;
        }
        let (back, still): (Vec<_>, Vec<_>) =
            self.dropped.drain(..).partition(|(_, peer)| allowed.contains(peer));
        self.dropped = still;
        for (addr, peer) in back {
            self.request(&peer, self.peers.add(addr).await);
        }
        let unnamed: Vec<Multiaddr> = self
            .configured
            .iter()
            .filter(|addr| {
                named_peer(addr).is_none() && !self.dropped.iter().any(|(gone, _)| gone == *addr)
            })
            .cloned()
            .collect();
        if unnamed.is_empty() {
            return;
        }
        let connected = match self.peers.connected().await {
            Ok(connected) => connected,
            Err(error) => {
                warn!(target: LOG_TARGET, %error, "cannot list the consensus network's peers");
                return;
            }
        };
        for (peer, at) in connected.into_iter().filter(|(peer, _)| !allowed.contains(peer)) {
            let at = transport_part(&at);
            for addr in unnamed.iter().filter(|addr| transport_part(addr) == at) {
                self.request(&peer, self.peers.remove(addr.clone()).await);
                warn!(
                    target: LOG_TARGET,
                    %peer,
                    %addr,
                    swarm = "consensus",
                    "the configured consensus peer at this address is not an allowed node of \
                     this network; disconnected and no longer dialled"
                );
                self.dropped.push((addr.clone(), peer));
            }
        }
    }

    /// The persistent entries that name `peer`: its pin and its configured addresses.
    fn entries(&self, peer: PeerId) -> Vec<Multiaddr> {
        let configured = self.configured.iter().filter(|addr| named_peer(addr) == Some(peer));
        std::iter::once(pinned(peer)).chain(configured.cloned()).collect()
    }

    fn request(&self, peer: &PeerId, result: Result<(), cairn_bft::BftError>) {
        if let Err(error) = result {
            warn!(target: LOG_TARGET, %peer, %error, "the consensus network did not take a change of the allowed nodes");
        }
    }
}
