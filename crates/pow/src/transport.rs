//! How a proof-of-work node's messages travel: over libp2p (the consensus swarm on its
//! proof-of-work channels, [`ConsensusHandle`]), or between the nodes of one process in the
//! in-process test network, which delivers them under its own faults.

use async_trait::async_trait;
use bytes::Bytes;
use cairn_network::PeerId;
use cairn_network::consensus::{
    ConsensusChannel, ConsensusEvent, ConsensusHandle, InboundRequestId, OutboundRequestId,
};
use tokio::sync::mpsc;

/// What a node gossips.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// Newly mined blocks.
    Blocks,
    /// Each node's head and its total work; only the author's own copy is delivered.
    Tips,
}

/// What the network reports to the node.
#[derive(Debug)]
pub enum NetEvent<T: Transport> {
    /// A peer connected.
    Connected(PeerId),
    /// A peer disconnected.
    Disconnected(PeerId),
    /// A gossiped message, delivered by `from`.
    Message {
        /// What it is.
        topic: Topic,
        /// The peer that delivered it.
        from: PeerId,
        /// Its bytes, size-limited by the network.
        data: Bytes,
    },
    /// A peer's request; answer with [`Transport::respond`].
    Request {
        /// Names the request in the answer.
        id: T::Inbound,
        /// Who asked.
        from: PeerId,
        /// The request's bytes.
        data: Bytes,
    },
    /// The answer to a request this node sent.
    Response {
        /// The id [`Transport::request`] returned.
        id: T::Outbound,
        /// Who answered.
        from: PeerId,
        /// The response's bytes.
        data: Bytes,
    },
    /// A request this node sent got no answer.
    Failed {
        /// The id [`Transport::request`] returned.
        id: T::Outbound,
        /// Whom it was sent to.
        peer: PeerId,
    },
}

/// The node's side of its block network.
#[async_trait]
pub trait Transport: Clone + Send + Sync + 'static {
    /// Names a peer's request until it is answered.
    type Inbound: Send + 'static;
    /// Names a request this node sent, in its answer or failure.
    type Outbound: Copy + Eq + std::fmt::Debug + std::fmt::Display + Send + Sync + 'static;

    /// Gossips `data` on `topic` to every connected peer.
    async fn publish(&self, topic: Topic, data: Bytes);
    /// Sends a request to `peer`; `None` when the network stopped.
    async fn request(&self, peer: PeerId, data: Bytes) -> Option<Self::Outbound>;
    /// Answers a peer's request; `None` drops it unanswered.
    async fn respond(&self, id: Self::Inbound, data: Option<Bytes>);
    /// Disconnects `peer` and refuses it for a while.
    async fn ban(&self, peer: PeerId);
    /// Stops the network.
    async fn shutdown(self);
}

#[async_trait]
impl Transport for ConsensusHandle {
    type Inbound = InboundRequestId;
    type Outbound = OutboundRequestId;

    async fn publish(&self, topic: Topic, data: Bytes) {
        let channel = match topic {
            Topic::Blocks => ConsensusChannel::Blocks,
            Topic::Tips => ConsensusChannel::Tips,
        };
        if let Err(e) = ConsensusHandle::publish(self, channel, data).await {
            tracing::debug!(error = %e, "not published: the network stopped");
        }
    }

    async fn request(&self, peer: PeerId, data: Bytes) -> Option<OutboundRequestId> {
        ConsensusHandle::request(self, peer, data).await.ok()
    }

    async fn respond(&self, id: InboundRequestId, data: Option<Bytes>) {
        if let Err(e) = ConsensusHandle::respond(self, id, data).await {
            tracing::debug!(error = %e, "no response sent: the network stopped");
        }
    }

    async fn ban(&self, peer: PeerId) {
        if let Err(e) = ConsensusHandle::ban(self, peer).await {
            tracing::debug!(error = %e, "no ban: the network stopped");
        }
    }

    async fn shutdown(self) {
        ConsensusHandle::shutdown(self).await;
    }
}

/// Forwards the consensus swarm's events on the proof-of-work channels as [`NetEvent`]s, until
/// either side stops.
pub(crate) async fn forward(
    mut from: mpsc::Receiver<ConsensusEvent>,
    to: mpsc::Sender<NetEvent<ConsensusHandle>>,
) {
    while let Some(event) = from.recv().await {
        let event = match event {
            ConsensusEvent::PeerConnected(peer) => NetEvent::Connected(peer),
            ConsensusEvent::PeerDisconnected(peer) => NetEvent::Disconnected(peer),
            ConsensusEvent::Message { channel, from, data } => {
                let topic = match channel {
                    ConsensusChannel::Blocks => Topic::Blocks,
                    ConsensusChannel::Tips => Topic::Tips,
                    _ => continue,
                };
                NetEvent::Message { topic, from, data }
            }
            ConsensusEvent::Request { id, peer, data } => {
                NetEvent::Request { id, from: peer, data }
            }
            ConsensusEvent::Response { id, peer, data } => {
                NetEvent::Response { id, from: peer, data }
            }
            ConsensusEvent::RequestFailed { id, peer, failure } => {
                tracing::debug!(%peer, %failure, "a request failed");
                NetEvent::Failed { id, peer }
            }
            _ => continue,
        };
        if to.send(event).await.is_err() {
            return;
        }
    }
}
