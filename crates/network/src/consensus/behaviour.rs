use std::{collections::HashSet, time::Duration};

use libp2p::{
    allow_block_list, connection_limits,
    gossipsub::{
        self, IdentityTransform, MessageAuthenticity, ValidationMode, WhitelistSubscriptionFilter,
    },
    ping,
    request_response::{self, ProtocolSupport},
    swarm::NetworkBehaviour,
};

use super::{
    ConsensusConfig,
    codec::{SYNC_PROTOCOL, SyncCodec},
};
use crate::{NetworkError, gate::PeerGate};

/// Room in one gossip frame beyond its message: control messages and framing.
const FRAME_OVERHEAD: usize = 64 * 1024;
/// How long a sync request may wait for its answer before it fails as timed out.
const SYNC_TIMEOUT: Duration = Duration::from_secs(10);
/// Sync requests in flight per connection, each way.
const SYNC_STREAMS: usize = 32;

/// Most simultaneous inbound connections: a consortium's nodes and their full nodes.
const MAX_INBOUND: u32 = 64;
/// Most simultaneous outbound connections (configured peers).
const MAX_OUTBOUND: u32 = 64;
/// Most inbound connections still in their handshake at once.
const MAX_PENDING_INBOUND: u32 = 16;

/// The protocols of the consensus swarm. The gate comes first: libp2p asks the behaviours in
/// field order whether to accept a connection, so no other protocol ever sees a refused peer.
#[derive(NetworkBehaviour)]
pub(crate) struct Behaviour {
    pub(crate) gate: PeerGate,
    pub(crate) blocked: allow_block_list::Behaviour<allow_block_list::BlockedPeers>,
    limits: connection_limits::Behaviour,
    ping: ping::Behaviour,
    pub(crate) gossipsub: Gossip,
    pub(crate) sync: request_response::Behaviour<SyncCodec>,
}

impl Behaviour {
    pub(crate) fn new(config: &ConsensusConfig) -> Result<Self, NetworkError> {
        let limits = connection_limits::ConnectionLimits::default()
            .with_max_established_incoming(Some(MAX_INBOUND))
            .with_max_established_outgoing(Some(MAX_OUTBOUND))
            .with_max_pending_incoming(Some(MAX_PENDING_INBOUND))
            .with_max_established_per_peer(Some(2));
        let sync = request_response::Behaviour::with_codec(
            SyncCodec { max_response_bytes: config.max_message_bytes },
            [(SYNC_PROTOCOL, ProtocolSupport::Full)],
            request_response::Config::default()
                .with_request_timeout(SYNC_TIMEOUT)
                .with_max_concurrent_streams(SYNC_STREAMS),
        );
        Ok(Self {
            gate: PeerGate::new("consensus", config.allowed.clone()),
            blocked: allow_block_list::Behaviour::default(),
            limits: connection_limits::Behaviour::new(limits),
            ping: ping::Behaviour::new(ping::Config::new()),
            gossipsub: consensus_gossip(config)?,
            sync,
        })
    }
}

/// Gossipsub that tracks only the consensus channels' topics, whatever peers subscribe to.
type Gossip = gossipsub::Behaviour<IdentityTransform, WhitelistSubscriptionFilter>;

/// Gossipsub for consensus: every message signed by its author's network key (so a status
/// tells truthfully whose head it is), bounded by the largest message, the engine's channels
/// joined and no others tracked.
/// Votes and proposals carry their own consensus signatures, which the engine checks.
fn consensus_gossip(config: &ConsensusConfig) -> Result<Gossip, NetworkError> {
    let gossip_config = gossipsub::ConfigBuilder::default()
        .validation_mode(ValidationMode::Strict)
        .max_transmit_size(config.max_message_bytes + FRAME_OVERHEAD)
        .build()
        .map_err(|e| NetworkError::Setup(format!("gossipsub: {e}")))?;
    let topics: HashSet<_> = config.channels.iter().map(|channel| channel.topic().hash()).collect();
    let mut gossipsub = gossipsub::Behaviour::new_with_subscription_filter(
        MessageAuthenticity::Signed(config.keypair.clone()),
        gossip_config,
        WhitelistSubscriptionFilter(topics),
    )
    .map_err(|e| NetworkError::Setup(format!("gossipsub: {e}")))?;
    for channel in config.channels {
        gossipsub
            .subscribe(&channel.topic())
            .map_err(|e| NetworkError::Setup(format!("gossipsub subscribe: {e}")))?;
    }
    Ok(gossipsub)
}
