use std::{collections::HashSet, time::Duration};

use alloy_primitives::keccak256;
use libp2p::{
    StreamProtocol, allow_block_list, connection_limits,
    gossipsub::{
        self, IdentTopic, IdentityTransform, MessageAuthenticity, MessageId, PeerScoreParams,
        PeerScoreThresholds, TopicScoreParams, ValidationMode, WhitelistSubscriptionFilter,
    },
    identify, kad, mdns, ping,
    swarm::{NetworkBehaviour, behaviour::toggle::Toggle},
};

use crate::{NetworkConfig, NetworkError, gate::PeerGate};

/// The gossipsub topic that carries raw EIP-2718 transactions.
pub const TX_TOPIC: &str = "/cairn/txs/1";
/// Identify protocol name, distinct from Malachite's so the two swarms never mix.
const IDENTIFY_PROTOCOL: &str = "/cairn/id/1.0.0";
/// Kademlia protocol name, distinct from Malachite's and from the public IPFS DHT.
const KAD_PROTOCOL: StreamProtocol = StreamProtocol::new("/cairn/kad/1.0.0");
/// Room in one gossip frame for control messages (IHAVE lists of message ids) next to a tx.
const FRAME_OVERHEAD: usize = 64 * 1024;
/// Room in one gossip message for its envelope (topic and protobuf framing).
const ENVELOPE_OVERHEAD: usize = 1024;

/// Score below which gossipsub stops gossiping to a peer.
const GOSSIP_THRESHOLD: f64 = -10.0;
/// Score below which the node stops publishing its own transactions to a peer.
const PUBLISH_THRESHOLD: f64 = -50.0;
/// Score below which gossipsub ignores a peer and the network task bans it.
pub(crate) const BAN_THRESHOLD: f64 = -80.0;
/// Weight of the squared count of invalid messages (rejected or oversized) in a peer's score:
/// two invalid messages cost -40 (no more gossip), three cost -90 (ban).
const INVALID_MESSAGE_WEIGHT: f64 = -10.0;
/// Time for a peer's invalid-message count to decay to a tenth.
const INVALID_MESSAGE_MEMORY: Duration = Duration::from_secs(3600);

/// Most simultaneous inbound connections, so a crowd of peers cannot exhaust the node.
const MAX_INBOUND: u32 = 64;
/// Most simultaneous outbound connections (bootstrap and discovered peers).
const MAX_OUTBOUND: u32 = 32;
/// Most inbound connections still in their handshake at once.
const MAX_PENDING_INBOUND: u32 = 16;

/// How often Kademlia looks for peers it has not met; one small query to the closest peers.
const KAD_REFRESH: Duration = Duration::from_secs(10);

/// The protocols of the transaction swarm, composed into one libp2p behaviour.
///
/// The gate comes first: libp2p asks the behaviours in field order whether to accept a
/// connection, so no other protocol ever sees a peer outside the allowed set.
#[derive(NetworkBehaviour)]
pub(crate) struct Behaviour {
    pub(crate) gate: PeerGate,
    pub(crate) blocked: allow_block_list::Behaviour<allow_block_list::BlockedPeers>,
    limits: connection_limits::Behaviour,
    pub(crate) identify: identify::Behaviour,
    ping: ping::Behaviour,
    pub(crate) gossipsub: gossipsub::Behaviour<IdentityTransform, WhitelistSubscriptionFilter>,
    pub(crate) kademlia: Toggle<kad::Behaviour<kad::store::MemoryStore>>,
    pub(crate) mdns: Toggle<mdns::tokio::Behaviour>,
}

impl Behaviour {
    /// Builds every protocol from the configuration and joins the transaction topic.
    pub(crate) fn new(config: &NetworkConfig) -> Result<Self, NetworkError> {
        let keypair = &config.keypair;
        let local = keypair.public().to_peer_id();
        let limits = connection_limits::ConnectionLimits::default()
            .with_max_established_incoming(Some(MAX_INBOUND))
            .with_max_established_outgoing(Some(MAX_OUTBOUND))
            .with_max_pending_incoming(Some(MAX_PENDING_INBOUND))
            .with_max_established_per_peer(Some(2));
        let identify = identify::Behaviour::new(
            identify::Config::new(IDENTIFY_PROTOCOL.to_owned(), keypair.public())
                .with_agent_version(format!("cairn/{}", env!("CARGO_PKG_VERSION"))),
        );
        let kademlia = config.kademlia.then(|| {
            // Walks the DHT again every KAD_REFRESH: a node whose first walk ran before its
            // bootstrap peer had learnt of the others (identify still under way) would
            // otherwise meet them only at libp2p's default five-minute refresh.
            let mut kad_config = kad::Config::new(KAD_PROTOCOL);
            kad_config.set_periodic_bootstrap_interval(Some(KAD_REFRESH));
            let mut kademlia =
                kad::Behaviour::with_config(local, kad::store::MemoryStore::new(local), kad_config);
            // Loopback and private networks never confirm an external address, so the node
            // would otherwise stay a client and answer nobody's queries.
            kademlia.set_mode(Some(kad::Mode::Server));
            kademlia
        });
        let mdns = if config.mdns {
            Some(
                mdns::tokio::Behaviour::new(mdns::Config::default(), local)
                    .map_err(|e| NetworkError::Setup(format!("mdns: {e}")))?,
            )
        } else {
            None
        };
        Ok(Self {
            gate: PeerGate::new("gossip", config.allowed.clone()),
            blocked: allow_block_list::Behaviour::default(),
            limits: connection_limits::Behaviour::new(limits),
            identify,
            ping: ping::Behaviour::new(ping::Config::new()),
            gossipsub: tx_gossip(config.max_tx_bytes)?,
            kademlia: kademlia.into(),
            mdns: mdns.into(),
        })
    }
}

/// The topic transactions are published on.
pub(crate) fn tx_topic() -> IdentTopic {
    IdentTopic::new(TX_TOPIC)
}

/// A message's id is the keccak-256 of its data, which for a transaction is its hash: copies of
/// one transaction from different authors are one message.
pub(crate) fn message_id(data: &[u8]) -> MessageId {
    MessageId::new(keccak256(data).as_slice())
}

/// Gossipsub for transactions: unsigned messages, relayed only after the node validates them,
/// size-bounded, scored so that peers sending invalid transactions fall below [`BAN_THRESHOLD`].
///
/// Messages carry no author, sequence number or signature (the policy Ethereum's consensus
/// layer calls `StrictNoSign`): a transaction authenticates itself with its sender's signature,
/// the node checks that anyway, and the peer that delivered a message is known from the
/// connection. Signing each message cost every receiver an ed25519 verification per copy, as
/// much CPU as recovering the transaction's sender.
fn tx_gossip(
    max_tx_bytes: usize,
) -> Result<gossipsub::Behaviour<IdentityTransform, WhitelistSubscriptionFilter>, NetworkError> {
    let topic = tx_topic();
    let config = gossipsub::ConfigBuilder::default()
        .validation_mode(ValidationMode::Anonymous)
        .validate_messages()
        .message_id_fn(|message| message_id(&message.data))
        .max_transmit_size(max_tx_bytes + FRAME_OVERHEAD)
        .max_transmit_size_for_topic(max_tx_bytes + ENVELOPE_OVERHEAD, topic.hash())
        .build()
        .map_err(|e| NetworkError::Setup(format!("gossipsub: {e}")))?;
    let only_txs = WhitelistSubscriptionFilter(HashSet::from([topic.hash()]));
    let mut gossipsub = gossipsub::Behaviour::new_with_subscription_filter(
        MessageAuthenticity::Anonymous,
        config,
        only_txs,
    )
    .map_err(|e| NetworkError::Setup(format!("gossipsub: {e}")))?;
    gossipsub
        .with_peer_score(score_params(&topic), score_thresholds())
        .map_err(|e| NetworkError::Setup(format!("gossipsub scoring: {e}")))?;
    gossipsub
        .subscribe(&topic)
        .map_err(|e| NetworkError::Setup(format!("gossipsub subscribe: {e}")))?;
    Ok(gossipsub)
}

/// Scores only what a transaction network can judge fairly: invalid messages (and gossipsub's
/// own protocol-misbehaviour penalty). Delivery-rate terms are off because a quiet network
/// would punish honest peers, and IP colocation is off because local networks share one IP.
fn score_params(topic: &IdentTopic) -> PeerScoreParams {
    let mut params =
        PeerScoreParams { ip_colocation_factor_weight: 0.0, ..PeerScoreParams::default() };
    params.topics.insert(
        topic.hash(),
        TopicScoreParams {
            topic_weight: 1.0,
            time_in_mesh_weight: 0.0,
            first_message_deliveries_weight: 0.0,
            mesh_message_deliveries_weight: 0.0,
            mesh_failure_penalty_weight: 0.0,
            invalid_message_deliveries_weight: INVALID_MESSAGE_WEIGHT,
            invalid_message_deliveries_decay: gossipsub::score_parameter_decay(
                INVALID_MESSAGE_MEMORY,
            ),
            ..TopicScoreParams::default()
        },
    );
    params
}

fn score_thresholds() -> PeerScoreThresholds {
    PeerScoreThresholds {
        gossip_threshold: GOSSIP_THRESHOLD,
        publish_threshold: PUBLISH_THRESHOLD,
        graylist_threshold: BAN_THRESHOLD,
        ..PeerScoreThresholds::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_id_is_the_transaction_hash() {
        let raw = [0x02, 0xf8, 0x01];
        assert_eq!(message_id(&raw), MessageId::new(keccak256(raw).as_slice()));
        assert_ne!(message_id(&raw), message_id(&[0x02]));
    }

    #[test]
    fn score_parameters_are_accepted_by_gossipsub() {
        score_params(&tx_topic()).validate().expect("valid params");
        score_thresholds().validate().expect("valid thresholds");
    }

    #[test]
    fn three_invalid_messages_cross_the_ban_threshold() {
        let score = |count: f64| count * count * INVALID_MESSAGE_WEIGHT;
        assert!(score(1.0) >= GOSSIP_THRESHOLD);
        assert!(score(2.0) >= BAN_THRESHOLD);
        assert!(score(3.0) < BAN_THRESHOLD);
    }
}
