//! A node's network actor in the simulated network: it speaks Malachite's network protocol to
//! the node's consensus and sync actors and hands everything to the hub.

use cairn_bft::CairnContext;
use malachitebft_engine::network::{Msg, NetworkRef};
use malachitebft_sync::OutboundRequestId;
use ractor::{Actor, ActorProcessingErr, ActorRef, SpawnErr};

use crate::hub::{Hub, Outbound};

/// Takes the place of Malachite's libp2p network actor for one life of one node.
pub(crate) struct SimNetwork;

/// Which node and life the actor speaks for.
pub(crate) struct NetworkState {
    node: usize,
    life: u64,
    hub: Hub,
    requests: u64,
}

impl SimNetwork {
    pub(crate) async fn spawn(
        node: usize,
        life: u64,
        hub: Hub,
    ) -> Result<NetworkRef<CairnContext>, SpawnErr> {
        let state = NetworkState { node, life, hub, requests: 0 };
        let (actor, _) = Actor::spawn(None, SimNetwork, state).await?;
        Ok(actor)
    }
}

#[ractor::async_trait]
impl Actor for SimNetwork {
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
        let (node, life, hub) = (state.node, state.life, &state.hub);
        match message {
            Msg::Subscribe(sink) => hub.subscribe(node, life, sink),
            Msg::PublishConsensusMsg(m) => hub.publish(node, life, Outbound::Consensus(m)),
            Msg::PublishLivenessMsg(m) => hub.publish(node, life, Outbound::Liveness(m)),
            Msg::PublishProposalPart(m) => hub.publish(node, life, Outbound::ProposalPart(m)),
            Msg::BroadcastStatus(status) => hub.publish(node, life, Outbound::Status(status)),
            Msg::OutgoingRequest(peer, request, reply) => {
                state.requests += 1;
                let id = OutboundRequestId::new(format!("{life}.{}", state.requests));
                hub.request(node, life, peer, id.clone(), &request);
                let _ = reply.send(id);
            }
            Msg::OutgoingResponse(id, response) => hub.respond(node, life, &id, &response),
            Msg::CancelRequest(id) => hub.cancel_request(node, &id),
            Msg::CancelInboundRequest(id) => hub.cancel_inbound(&id),
            Msg::DumpState(reply) => {
                let _ = reply.send(None);
            }
            Msg::UpdatePersistentPeers(_, reply) => {
                let _ = reply.send(Ok(()));
            }
            // Peer classification and validator proofs are libp2p's concern; every simulated
            // link is a direct, authenticated one. `NewEvent` comes only from a libp2p swarm.
            Msg::UpdateValidatorSet(_) | Msg::ValidatorProofVerified { .. } | Msg::NewEvent(_) => {}
        }
        Ok(())
    }
}
