//! Malachite's network actor on Cairn's consensus network (`cairn_network::consensus`): it
//! speaks Malachite's network protocol to the node's consensus and sync actors and moves their
//! messages as bytes over a swarm whose connection gate keeps refused peers out before any
//! protocol runs (Malachite's own swarm can only refuse them after identify).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use cairn_network::consensus::{
    self as net, ConsensusChannel, ConsensusEvent, ConsensusHandle, OutboundFailure,
};
use malachitebft_codec::Codec;
use malachitebft_engine::network::{
    Msg, NetworkEvent, NetworkRef, PersistentPeerError, Subscriber,
};
use malachitebft_network::{Channel, PeerId, PeerIdExt};
use malachitebft_sync::{InboundRequestId, OutboundFailureReason, OutboundRequestId};
use ractor::{Actor, ActorProcessingErr, ActorRef, SpawnErr};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::{debug, warn};

use crate::Multiaddr;
use crate::codec::{BorshCodec, CodecError};
use crate::context::CairnContext;
use crate::wire;

/// What the actor and the task that forwards the swarm's events share.
#[derive(Default)]
struct Shared {
    sinks: Vec<Box<dyn Subscriber<NetworkEvent<CairnContext>>>>,
    listening: Vec<Multiaddr>,
    peers: BTreeSet<PeerId>,
    subscriptions: HashSet<(PeerId, Channel)>,
    /// Peers' sync requests handed to the sync actor and not yet answered.
    inbound: HashMap<InboundRequestId, net::InboundRequestId>,
}

impl Shared {
    fn emit(&self, event: NetworkEvent<CairnContext>) {
        for sink in &self.sinks {
            sink.send(event.clone());
        }
    }
}

fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    // Nothing panics while holding the lock, and every change leaves the maps consistent.
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Takes the place of Malachite's libp2p network actor.
pub(crate) struct Libp2pNetwork;

/// The actor's state: the swarm's handle, what it shares with the forwarder, the forwarder.
pub(crate) struct NetworkState {
    network: ConsensusHandle,
    shared: Arc<Mutex<Shared>>,
    forwarder: JoinHandle<()>,
}

impl Libp2pNetwork {
    /// Spawns the actor over a started consensus network and its events.
    pub(crate) async fn spawn(
        network: ConsensusHandle,
        events: mpsc::Receiver<ConsensusEvent>,
    ) -> Result<NetworkRef<CairnContext>, SpawnErr> {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let forwarder = tokio::spawn(forward(events, shared.clone(), network.clone()));
        let state = NetworkState { network, shared, forwarder };
        let (actor, _) = Actor::spawn(None, Libp2pNetwork, state).await?;
        Ok(actor)
    }
}

#[ractor::async_trait]
impl Actor for Libp2pNetwork {
    type Msg = Msg<CairnContext>;
    type State = NetworkState;
    type Arguments = NetworkState;

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        state: NetworkState,
    ) -> Result<NetworkState, ActorProcessingErr> {
        Ok(state)
    }

    async fn handle(
        &self,
        _myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        state: &mut NetworkState,
    ) -> Result<(), ActorProcessingErr> {
        let network = &state.network;
        match message {
            Msg::Subscribe(sink) => {
                let mut shared = lock(&state.shared);
                for address in &shared.listening {
                    sink.send(NetworkEvent::Listening(address.clone()));
                }
                for peer in &shared.peers {
                    sink.send(NetworkEvent::PeerConnected(*peer));
                }
                for (peer, channel) in &shared.subscriptions {
                    sink.send(NetworkEvent::PeerSubscribed(*peer, *channel));
                }
                shared.sinks.push(sink);
            }
            Msg::PublishConsensusMsg(m) => {
                publish(network, ConsensusChannel::Consensus, BorshCodec.encode(&m)).await?
            }
            Msg::PublishLivenessMsg(m) => {
                publish(network, ConsensusChannel::Liveness, BorshCodec.encode(&m)).await?
            }
            Msg::PublishProposalPart(m) => {
                publish(network, ConsensusChannel::ProposalParts, BorshCodec.encode(&m)).await?
            }
            Msg::BroadcastStatus(status) => {
                let me = PeerId::from_libp2p(&network.local_peer_id());
                let status = wire::encode_status(me, &status);
                publish(network, ConsensusChannel::Status, status).await?
            }
            Msg::OutgoingRequest(peer, request, reply) => match BorshCodec.encode(&request) {
                Ok(bytes) => {
                    let id = network.request(peer.to_libp2p(), bytes).await?;
                    // The requester may have stopped waiting; the answer still comes as an event.
                    let _ = reply.send(OutboundRequestId::new(id));
                }
                Err(e) => warn!(error = %e, "cannot encode a sync request"),
            },
            // libp2p's request-response cannot cancel a request in flight; its own timeout
            // ends it, and the sync actor ignores a late answer.
            Msg::CancelRequest(_) => {}
            Msg::OutgoingResponse(id, response) => {
                let Some(inbound) = lock(&state.shared).inbound.remove(&id) else {
                    debug!(%id, "sync response for a request no longer waiting");
                    return Ok(());
                };
                let bytes = BorshCodec.encode(&response);
                if let Err(e) = &bytes {
                    warn!(error = %e, "cannot encode a sync response; the request is dropped");
                }
                network.respond(inbound, bytes.ok()).await?;
            }
            Msg::CancelInboundRequest(id) => {
                let inbound = lock(&state.shared).inbound.remove(&id);
                if let Some(inbound) = inbound {
                    network.respond(inbound, None).await?;
                }
            }
            Msg::DumpState(reply) => {
                let _ = reply.send(None);
            }
            // The peers this network accepts follow the allowed set (`ConsensusPeers`), not
            // Malachite's persistent-peer lists.
            Msg::UpdatePersistentPeers(_, reply) => {
                let _ = reply.send(Err(PersistentPeerError::InternalError(
                    "consensus peers follow the allowed set, not persistent-peer lists".into(),
                )));
            }
            // Every peer that passes the gate is treated alike; votes carry their own
            // signatures, so no peer needs to prove it is a validator. `NewEvent` comes only
            // from Malachite's own swarm.
            Msg::UpdateValidatorSet(_) | Msg::ValidatorProofVerified { .. } | Msg::NewEvent(_) => {}
        }
        Ok(())
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<Self::Msg>,
        state: &mut NetworkState,
    ) -> Result<(), ActorProcessingErr> {
        state.forwarder.abort();
        state.network.clone().shutdown().await;
        Ok(())
    }
}

async fn publish(
    network: &ConsensusHandle,
    channel: ConsensusChannel,
    bytes: Result<Bytes, CodecError>,
) -> Result<(), cairn_network::NetworkError> {
    match bytes {
        Ok(bytes) => network.publish(channel, bytes).await,
        Err(e) => {
            warn!(?channel, error = %e, "cannot encode a consensus message");
            Ok(())
        }
    }
}

/// Hands the swarm's events to the subscribed actors as Malachite's network actor would, until
/// the swarm stops.
async fn forward(
    mut events: mpsc::Receiver<ConsensusEvent>,
    shared: Arc<Mutex<Shared>>,
    network: ConsensusHandle,
) {
    while let Some(event) = events.recv().await {
        let undecodable = {
            let mut shared = lock(&shared);
            match on_event(&mut shared, event) {
                Ok(()) => None,
                Err((from, request, e)) => {
                    debug!(peer = %from, error = %e, "undecodable consensus message");
                    request
                }
            }
        };
        if let Some(request) = undecodable
            && network.respond(request, None).await.is_err()
        {
            break;
        }
    }
}

/// A message that did not decode: its sender, the request to drop if it was one, why.
type Undecodable = (PeerId, Option<net::InboundRequestId>, CodecError);

fn on_event(shared: &mut Shared, event: ConsensusEvent) -> Result<(), Undecodable> {
    let undecodable = |from: PeerId| move |e: CodecError| (from, None, e);
    let malachite = |peer: &cairn_network::PeerId| PeerId::from_libp2p(peer);
    match event {
        ConsensusEvent::Listening(address) => {
            shared.listening.push(address.clone());
            shared.emit(NetworkEvent::Listening(address));
        }
        ConsensusEvent::PeerConnected(peer) => {
            let peer = malachite(&peer);
            shared.peers.insert(peer);
            shared.emit(NetworkEvent::PeerConnected(peer));
        }
        ConsensusEvent::PeerDisconnected(peer) => {
            let peer = malachite(&peer);
            shared.peers.remove(&peer);
            shared.subscriptions.retain(|(subscribed, _)| *subscribed != peer);
            shared.emit(NetworkEvent::PeerDisconnected(peer));
        }
        ConsensusEvent::PeerSubscribed(peer, channel) => {
            let peer = malachite(&peer);
            let channel = match channel {
                ConsensusChannel::Consensus => Channel::Consensus,
                ConsensusChannel::Liveness => Channel::Liveness,
                ConsensusChannel::ProposalParts => Channel::ProposalParts,
                ConsensusChannel::Status => Channel::Sync,
                // Proof-of-work channels: a BFT swarm never joins them.
                ConsensusChannel::Blocks | ConsensusChannel::Tips => return Ok(()),
            };
            // The first subscription of a pair makes sync send its status at once.
            if shared.subscriptions.insert((peer, channel)) {
                shared.emit(NetworkEvent::PeerSubscribed(peer, channel));
            }
        }
        ConsensusEvent::Message { channel, from, data } => {
            let from = malachite(&from);
            let event = match channel {
                ConsensusChannel::Consensus => wire::consensus_event(from, data).map(Some),
                ConsensusChannel::Liveness => wire::liveness_event(from, data).map(Some),
                ConsensusChannel::ProposalParts => wire::proposal_part_event(from, data).map(Some),
                ConsensusChannel::Status => wire::status_event(from, data),
                ConsensusChannel::Blocks | ConsensusChannel::Tips => return Ok(()),
            }
            .map_err(undecodable(from))?;
            if let Some(event) = event {
                shared.emit(event);
            }
        }
        ConsensusEvent::Request { id, peer, data } => {
            let peer = malachite(&peer);
            let request_id = InboundRequestId::new(id);
            let event = wire::request_event(request_id.clone(), peer, data)
                .map_err(|e| (peer, Some(id), e))?;
            shared.inbound.insert(request_id, id);
            shared.emit(event);
        }
        ConsensusEvent::Response { id, peer, data } => {
            shared.emit(wire::response_event(OutboundRequestId::new(id), malachite(&peer), data));
        }
        ConsensusEvent::RequestFailed { id, peer, failure } => {
            shared.emit(NetworkEvent::SyncRequestFailed(
                OutboundRequestId::new(id),
                malachite(&peer),
                failure_reason(&failure),
            ));
        }
        ConsensusEvent::InboundFailed { id, peer } => {
            let request_id = InboundRequestId::new(id);
            shared.inbound.remove(&request_id);
            shared.emit(NetworkEvent::SyncInboundRequestFailed(request_id, malachite(&peer)));
        }
    }
    Ok(())
}

fn failure_reason(failure: &OutboundFailure) -> OutboundFailureReason {
    match failure {
        OutboundFailure::DialFailure => OutboundFailureReason::DialFailure,
        OutboundFailure::Timeout => OutboundFailureReason::Timeout,
        OutboundFailure::ConnectionClosed => OutboundFailureReason::ConnectionClosed,
        OutboundFailure::UnsupportedProtocols => OutboundFailureReason::UnsupportedProtocols,
        OutboundFailure::Io(_) => OutboundFailureReason::Io,
    }
}
