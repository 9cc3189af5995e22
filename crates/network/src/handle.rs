use std::collections::HashSet;

use bytes::Bytes;
use libp2p::{Multiaddr, PeerId, gossipsub::MessageId};
use tokio::sync::{mpsc, oneshot};

use crate::NetworkError;

/// A transaction received from a peer and not yet relayed: the node validates it and answers
/// with [`NetworkHandle::validated`], and only an accepted one travels further.
#[derive(Debug, Clone)]
pub struct InboundTx {
    /// The gossip message id (the keccak-256 of `raw`, i.e. the transaction hash).
    pub id: MessageId,
    /// The peer that delivered it; the one penalised if it is rejected.
    pub from: PeerId,
    /// The raw EIP-2718 transaction bytes, at most `max_tx_bytes` long.
    pub raw: Bytes,
}

/// The node's judgement of an [`InboundTx`], which decides whether it is relayed and whether
/// its sender is penalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Valid: relay it to the rest of the network.
    Accept,
    /// Not relayed, sender not penalised: use it for transactions that are fine but not wanted
    /// here now (known, nonce already used, underpriced, pool full), since another node's state
    /// may legitimately differ.
    Ignore,
    /// Provably bad (undecodable, bad signature, wrong chain): not relayed, and the sender is
    /// scored down; about three rejections within an hour disconnect and ban it.
    Reject {
        /// Why, for the log.
        reason: String,
    },
}

/// A connected peer, as shown to operators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerInfo {
    /// The peer's libp2p identity.
    pub peer_id: PeerId,
    /// The address of the first connection to it (for inbound peers, their source address).
    pub address: Multiaddr,
    /// The software it announced through identify.
    pub agent: Option<String>,
    /// When the first connection was established (Unix seconds).
    pub connected_since_unix: u64,
    /// Whether it joined the transaction topic, i.e. transactions flow to and from it.
    pub subscribed: bool,
}

/// What the handle asks of the network task.
#[derive(Debug)]
pub(crate) enum Command {
    Broadcast(Bytes),
    Validated { id: MessageId, from: PeerId, verdict: Verdict },
    Peers(oneshot::Sender<Vec<PeerInfo>>),
    ListenAddrs(oneshot::Sender<Vec<Multiaddr>>),
    SetAllowed { allowed: Option<HashSet<PeerId>>, reply: oneshot::Sender<()> },
    Shutdown(oneshot::Sender<()>),
}

/// The node's side of the transaction network; cheap to clone, every clone drives the same
/// network task.
#[derive(Debug, Clone)]
pub struct NetworkHandle {
    commands: mpsc::Sender<Command>,
    local_peer_id: PeerId,
    max_tx_bytes: usize,
}

impl NetworkHandle {
    pub(crate) fn new(
        commands: mpsc::Sender<Command>,
        local_peer_id: PeerId,
        max_tx_bytes: usize,
    ) -> Self {
        Self { commands, local_peer_id, max_tx_bytes }
    }

    /// Publishes a transaction the node admitted itself (from RPC or the API) to all peers.
    /// Without any subscribed peer it is not sent, and is not retried later.
    pub fn broadcast_tx(&self, raw: Bytes) -> Result<(), NetworkError> {
        if raw.len() > self.max_tx_bytes {
            return Err(NetworkError::TxTooLarge { size: raw.len(), max: self.max_tx_bytes });
        }
        self.send_now(Command::Broadcast(raw))
    }

    /// Reports the node's verdict on an [`InboundTx`] (pass its `id` and `from`): accepted
    /// transactions are relayed, rejected ones count against the peer that sent them.
    /// Unreported transactions are dropped by gossipsub after a few seconds.
    pub fn validated(
        &self,
        id: MessageId,
        from: PeerId,
        verdict: Verdict,
    ) -> Result<(), NetworkError> {
        self.send_now(Command::Validated { id, from, verdict })
    }

    /// The peers connected now, for RPC and operators.
    pub async fn peers(&self) -> Result<Vec<PeerInfo>, NetworkError> {
        self.ask(Command::Peers).await
    }

    /// This node's identity in the transaction swarm, for others' bootstrap lists.
    pub fn local_peer_id(&self) -> PeerId {
        self.local_peer_id
    }

    /// The addresses the node listens on (with the real port when configured with port 0).
    pub async fn listen_addrs(&self) -> Result<Vec<Multiaddr>, NetworkError> {
        self.ask(Command::ListenAddrs).await
    }

    /// Replaces the set of peers that may connect (`None`: everyone) and disconnects the
    /// connected peers outside the new set, e.g. when governance removes a node. It waits for
    /// room in the command queue instead of failing with `Busy`, because a dropped removal
    /// would leave a refused peer connected, and returns once the network task applied it.
    pub async fn set_allowed_peers(
        &self,
        allowed: Option<HashSet<PeerId>>,
    ) -> Result<(), NetworkError> {
        self.ask(|reply| Command::SetAllowed { allowed, reply }).await
    }

    /// Stops the network task for every clone of this handle and waits until its connections
    /// and listeners are closed.
    pub async fn shutdown(self) {
        let (ack, done) = oneshot::channel();
        if self.commands.send(Command::Shutdown(ack)).await.is_ok() {
            // An error means the task already stopped, which is what was asked.
            let _ = done.await;
        }
    }

    /// Queues a command without waiting, so callers on hot paths never block on the network.
    fn send_now(&self, command: Command) -> Result<(), NetworkError> {
        self.commands.try_send(command).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => NetworkError::Busy,
            mpsc::error::TrySendError::Closed(_) => NetworkError::Stopped,
        })
    }

    async fn ask<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, NetworkError> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(command(reply)).await.map_err(|_| NetworkError::Stopped)?;
        answer.await.map_err(|_| NetworkError::Stopped)
    }
}
