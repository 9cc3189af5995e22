use std::collections::HashSet;

use bytes::Bytes;
use libp2p::{
    Multiaddr, PeerId,
    gossipsub::{IdentTopic, TopicHash},
    identity::Keypair,
    request_response::{InboundRequestId, OutboundFailure, OutboundRequestId},
};
use tokio::sync::{mpsc, oneshot};

use crate::NetworkError;

/// How to run the consensus network.
#[derive(Debug, Clone)]
pub struct ConsensusConfig {
    /// TCP address to listen on (port 0 picks a free port).
    pub listen: Multiaddr,
    /// Peers dialled at start and redialled while disconnected. An address ending in
    /// `/p2p/<id>` is that peer; one without is whoever answers there (still judged by the gate
    /// once its handshake names it).
    pub peers: Vec<Multiaddr>,
    /// The node's libp2p identity (ed25519).
    pub keypair: Keypair,
    /// Largest message or sync response sent or accepted (a proposal carries a whole block).
    pub max_message_bytes: usize,
    /// The only peers that may connect, or be dialled; `None` lets everyone connect.
    pub allowed: Option<HashSet<PeerId>>,
    /// The channels this engine speaks ([`ConsensusChannel::BFT`] or [`ConsensusChannel::POW`]);
    /// messages on any other topic are never accepted.
    pub channels: &'static [ConsensusChannel],
}

/// What consensus gossips, one gossipsub topic each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConsensusChannel {
    /// Signed votes and proposals.
    Consensus,
    /// Liveness messages: rebroadcast votes and round certificates.
    Liveness,
    /// The parts a proposal's block is streamed in.
    ProposalParts,
    /// Each node's sync status (its head height); only a status its author delivered itself
    /// reaches the engine, so the peer it names is the peer to ask.
    Status,
    /// Proof of work: newly mined blocks.
    Blocks,
    /// Proof of work: each node's head and its total work; like a status, only its author's
    /// own copy reaches the engine.
    Tips,
}

impl ConsensusChannel {
    /// Every channel.
    pub const ALL: [Self; 6] = [
        Self::Consensus,
        Self::Liveness,
        Self::ProposalParts,
        Self::Status,
        Self::Blocks,
        Self::Tips,
    ];
    /// The channels of a BFT (or proof-of-stake) network.
    pub const BFT: &'static [Self] =
        &[Self::Consensus, Self::Liveness, Self::ProposalParts, Self::Status];
    /// The channels of a proof-of-work network.
    pub const POW: &'static [Self] = &[Self::Blocks, Self::Tips];

    /// Whether only the author's own copy of a message counts: it names the peer to ask.
    pub(crate) fn authored(self) -> bool {
        matches!(self, Self::Status | Self::Tips)
    }

    pub(crate) fn topic(self) -> IdentTopic {
        IdentTopic::new(match self {
            Self::Consensus => "/cairn/consensus/1",
            Self::Liveness => "/cairn/consensus/liveness/1",
            Self::ProposalParts => "/cairn/consensus/parts/1",
            Self::Status => "/cairn/consensus/status/1",
            Self::Blocks => "/cairn/pow/blocks/1",
            Self::Tips => "/cairn/pow/tips/1",
        })
    }

    pub(crate) fn of_topic(topic: &TopicHash) -> Option<Self> {
        Self::ALL.into_iter().find(|channel| channel.topic().hash() == *topic)
    }
}

/// What the consensus network reports to the engine.
#[derive(Debug)]
pub enum ConsensusEvent {
    /// The swarm listens at this address.
    Listening(Multiaddr),
    /// A peer's first connection opened (only allowed peers ever connect).
    PeerConnected(PeerId),
    /// A peer's last connection closed.
    PeerDisconnected(PeerId),
    /// A connected peer joined a channel.
    PeerSubscribed(PeerId, ConsensusChannel),
    /// A gossip message, delivered by `from`. On [`ConsensusChannel::Status`] its author is
    /// always `from`.
    Message {
        /// The channel it came on.
        channel: ConsensusChannel,
        /// The peer that delivered it.
        from: PeerId,
        /// Its bytes, at most `max_message_bytes`.
        data: Bytes,
    },
    /// A peer's sync request; answer with [`ConsensusHandle::respond`].
    Request {
        /// Names the request in the answer.
        id: InboundRequestId,
        /// Who asked.
        peer: PeerId,
        /// The request's bytes.
        data: Bytes,
    },
    /// The answer to a request this node sent.
    Response {
        /// The id [`ConsensusHandle::request`] returned.
        id: OutboundRequestId,
        /// Who answered.
        peer: PeerId,
        /// The response's bytes.
        data: Bytes,
    },
    /// A request this node sent got no answer.
    RequestFailed {
        /// The id [`ConsensusHandle::request`] returned.
        id: OutboundRequestId,
        /// Whom it was sent to.
        peer: PeerId,
        /// Why.
        failure: OutboundFailure,
    },
    /// A peer's request can no longer be answered (its connection closed, or it timed out).
    InboundFailed {
        /// The request's id.
        id: InboundRequestId,
        /// Who asked.
        peer: PeerId,
    },
}

impl ConsensusEvent {
    /// The event's kind, for logs (its bytes may be large).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Listening(_) => "listening",
            Self::PeerConnected(_) => "peer connected",
            Self::PeerDisconnected(_) => "peer disconnected",
            Self::PeerSubscribed(..) => "peer subscribed",
            Self::Message { .. } => "message",
            Self::Request { .. } => "request",
            Self::Response { .. } => "response",
            Self::RequestFailed { .. } => "request failed",
            Self::InboundFailed { .. } => "inbound request failed",
        }
    }
}

/// What the handle asks of the swarm task.
#[derive(Debug)]
pub(crate) enum Command {
    Publish(ConsensusChannel, Bytes),
    Request { peer: PeerId, data: Bytes, reply: oneshot::Sender<OutboundRequestId> },
    Respond { id: InboundRequestId, data: Option<Bytes> },
    SetAllowed { allowed: Option<HashSet<PeerId>>, reply: oneshot::Sender<()> },
    Ban(PeerId),
    Peers(oneshot::Sender<Vec<PeerId>>),
    ListenAddrs(oneshot::Sender<Vec<Multiaddr>>),
    Shutdown(oneshot::Sender<()>),
}

/// The engine's side of the consensus network; cheap to clone. Every call waits for room in
/// the task's queue rather than dropping a message.
#[derive(Debug, Clone)]
pub struct ConsensusHandle {
    commands: mpsc::Sender<Command>,
    local_peer_id: PeerId,
}

impl ConsensusHandle {
    pub(crate) fn new(commands: mpsc::Sender<Command>, local_peer_id: PeerId) -> Self {
        Self { commands, local_peer_id }
    }

    /// This node's identity in the consensus network.
    pub fn local_peer_id(&self) -> PeerId {
        self.local_peer_id
    }

    /// Publishes `data` on `channel` to every subscribed peer (nowhere without one).
    pub async fn publish(
        &self,
        channel: ConsensusChannel,
        data: Bytes,
    ) -> Result<(), NetworkError> {
        self.send(Command::Publish(channel, data)).await
    }

    /// Sends a sync request to `peer`; its answer or failure comes as an event with the id.
    pub async fn request(
        &self,
        peer: PeerId,
        data: Bytes,
    ) -> Result<OutboundRequestId, NetworkError> {
        self.ask(|reply| Command::Request { peer, data, reply }).await
    }

    /// Answers a peer's request; `None` drops it unanswered (the peer sees its stream close).
    pub async fn respond(
        &self,
        id: InboundRequestId,
        data: Option<Bytes>,
    ) -> Result<(), NetworkError> {
        self.send(Command::Respond { id, data }).await
    }

    /// Replaces the set of peers that may connect (`None`: everyone), disconnecting the
    /// connected peers outside it; returns once the swarm applied it.
    pub async fn set_allowed_peers(
        &self,
        allowed: Option<HashSet<PeerId>>,
    ) -> Result<(), NetworkError> {
        self.ask(|reply| Command::SetAllowed { allowed, reply }).await
    }

    /// Disconnects `peer` and refuses its connections for an hour: it sent invalid blocks or
    /// more than its share.
    pub async fn ban(&self, peer: PeerId) -> Result<(), NetworkError> {
        self.send(Command::Ban(peer)).await
    }

    /// The peers connected now.
    pub async fn peers(&self) -> Result<Vec<PeerId>, NetworkError> {
        self.ask(Command::Peers).await
    }

    /// The addresses the node listens on (with the real port when configured with port 0).
    pub async fn listen_addrs(&self) -> Result<Vec<Multiaddr>, NetworkError> {
        self.ask(Command::ListenAddrs).await
    }

    /// Stops the swarm task for every clone and waits until its connections are closed.
    pub async fn shutdown(self) {
        let (ack, done) = oneshot::channel();
        if self.commands.send(Command::Shutdown(ack)).await.is_ok() {
            // An error means the task already stopped, which is what was asked.
            let _ = done.await;
        }
    }

    async fn send(&self, command: Command) -> Result<(), NetworkError> {
        self.commands.send(command).await.map_err(|_| NetworkError::Stopped)
    }

    async fn ask<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, NetworkError> {
        let (reply, answer) = oneshot::channel();
        self.send(command(reply)).await?;
        answer.await.map_err(|_| NetworkError::Stopped)
    }
}
