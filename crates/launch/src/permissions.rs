//! Node permissioning on a governed network: which peers may connect comes from the governance
//! contract (its `permissionNodes` switch and the organisations' nodes), read at the head when
//! the node starts and again after every committed block that changed the contract's storage
//! (one account read per block tells), and is handed to both swarms.
//!
//! Both swarms, transaction gossip ([`NetworkHandle::set_allowed_peers`]) and consensus with
//! sync ([`ConsensusPeers::set_allowed`]), start with the set and take each new one at once:
//! the same connection gate refuses other peers before any protocol runs and closes the
//! connections of removed ones.
//!
//! A set that cannot be read is never read as "everyone": at start the node then accepts
//! nobody, and later it keeps the last set and tries again after the next block.

use std::collections::HashSet;
use std::sync::Arc;

use alloy_primitives::B256;
use cairn_bft::{ConsensusPeers, PeerId};
use cairn_governance::{read_allowed_nodes, storage_root};
use cairn_network::NetworkHandle;
use cairn_node::Node;
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
    blocks: broadcast::Receiver<cairn_node::ChainEvent>,
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
        let blocks = node.subscribe_chain();
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
        consensus: Option<ConsensusPeers>,
    ) -> JoinHandle<()> {
        tokio::spawn(self.run(gossip, consensus))
    }

    async fn run(mut self, gossip: Option<NetworkHandle>, consensus: Option<ConsensusPeers>) {
        while let Ok(change) = self.next_change().await {
            let Some(allowed) = change else { continue };
            if let Some(gossip) = &gossip
                && let Err(error) = gossip.set_allowed_peers(allowed.clone()).await
            {
                warn!(target: LOG_TARGET, %error, "transaction gossip did not take the allowed nodes");
            }
            if let Some(consensus) = &consensus
                && let Err(error) = consensus.set_allowed(allowed.clone()).await
            {
                warn!(target: LOG_TARGET, %error, "the consensus network did not take the allowed nodes");
            }
            match &allowed {
                Some(set) => {
                    info!(target: LOG_TARGET, allowed = set.len(), "allowed nodes changed")
                }
                None => info!(target: LOG_TARGET, "node permissioning was turned off"),
            }
            self.allowed = allowed;
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
