//! Starting Malachite for a node: its configuration, its transport (Cairn's consensus network
//! on libp2p, or actors the caller runs) and the driver task.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use cairn_network::consensus::{self as net, ConsensusConfig as NetConfig, ConsensusHandle};
use cairn_node::Node;
use cairn_primitives::MAX_BLOCK_TX_BYTES;
use cairn_storage::KvStore;
use malachitebft_app_channel::app::config::{ConsensusConfig, NodeConfig, ValueSyncConfig};
use malachitebft_app_channel::app::engine::network::NetworkRef;
use malachitebft_app_channel::app::engine::wal::WalRef;
use malachitebft_app_channel::app::net::{Multiaddr, PeerId};
use malachitebft_app_channel::app::types::Keypair;
use malachitebft_app_channel::app::types::core::LinearTimeouts;
use malachitebft_app_channel::{
    ConsensusContext, EngineBuilder, EngineHandle, NetworkMsg, RequestContext, SyncContext,
    WalContext,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::{error, info};

use crate::codec::BorshCodec;
use crate::context::{CairnContext, ValidatorAddress};
use crate::driver::{Driver, DriverConfig};
use crate::error::BftError;
use crate::evidence::EvidenceLog;
use crate::finalized::FinalizedCertificates;
use crate::network::Libp2pNetwork;
use crate::peers::ConsensusPeers;
use crate::schedule::ValidatorSchedule;
use crate::signing::{ConsensusSigner, ConsensusVerifier};

/// How one node of a libp2p network takes part in BFT consensus: what `cairn node` runs.
pub struct BftConfig {
    /// The node's name in logs and peer lists.
    pub moniker: String,
    /// Where the consensus write-ahead log lives.
    pub home: PathBuf,
    /// Where equivocations are recorded (the same log the node's [`crate::BftConsensus`] serves).
    pub evidence: Arc<EvidenceLog>,
    /// Where the consensus network listens (e.g. `/ip4/127.0.0.1/tcp/26656`).
    pub listen: Multiaddr,
    /// Peers to stay connected to.
    pub peers: Vec<Multiaddr>,
    /// The chain id every consensus signature is bound to (the validator's signer signs for
    /// the same one).
    pub chain_id: u64,
    /// The validator's consensus key; `None` runs a full node that follows and verifies.
    pub signer: Option<ConsensusSigner>,
    /// Who the blocks this validator proposes pay their priority fees to (usually its own
    /// address; an operator may name another account).
    pub fee_recipient: alloy_primitives::Address,
    /// What the headers of the blocks this validator proposes carry in `extra_data` (at most
    /// 32 bytes): on proof of stake, where every block pays the staking contract, the only
    /// field that tells two proposers' otherwise identical blocks apart.
    pub extra_data: alloy_primitives::Bytes,
    /// The node's network identity (not its consensus key).
    pub network_key: Keypair,
    /// Where the newest block's `Finalized` certificate goes (the same a node's
    /// [`crate::PosConsensus`] proposes with).
    pub finalized: Arc<FinalizedCertificates>,
}

/// What a node's part in BFT consensus is, whichever [`Transport`] carries its messages.
pub struct BftParams {
    /// The node's name in logs and peer lists.
    pub moniker: String,
    /// Where equivocations are recorded (the same log the node's [`crate::BftConsensus`] serves).
    pub evidence: Arc<EvidenceLog>,
    /// The chain id every consensus signature is bound to (the validator's signer signs for
    /// the same one).
    pub chain_id: u64,
    /// The validator's consensus key; `None` runs a full node that follows and verifies.
    pub signer: Option<ConsensusSigner>,
    /// Who the blocks this validator proposes pay their priority fees to.
    pub fee_recipient: alloy_primitives::Address,
    /// What the headers of the blocks this validator proposes carry in `extra_data` (at most
    /// 32 bytes): on proof of stake, where every block pays the staking contract, the only
    /// field that tells two proposers' otherwise identical blocks apart.
    pub extra_data: alloy_primitives::Bytes,
    /// Where the newest block's `Finalized` certificate goes (the same a node's
    /// [`crate::PosConsensus`] proposes with).
    pub finalized: Arc<FinalizedCertificates>,
    /// On the libp2p transport, the only peers the consensus network accepts (or dials);
    /// change it later through [`BftEngine::peers`]. `None` accepts any peer. The in-process
    /// transport ignores it.
    pub allowed_peers: Option<HashSet<PeerId>>,
}

/// How a node's consensus messages reach its peers and where its consensus write-ahead log
/// lives. Everything else (Malachite's consensus, sync and host actors, Cairn's driver) is the
/// same code whichever is chosen.
// Built once when a node starts and consumed there: boxing the larger variant buys nothing.
#[allow(clippy::large_enum_variant)]
pub enum Transport {
    /// Cairn's consensus network on libp2p (`cairn_network::consensus`), and the write-ahead
    /// log in a file under `home`.
    Libp2p {
        /// Where the write-ahead log lives.
        home: PathBuf,
        /// Where the consensus network listens.
        listen: Multiaddr,
        /// Peers to stay connected to.
        peers: Vec<Multiaddr>,
        /// The node's network identity.
        network_key: Keypair,
    },
    /// A network actor and a write-ahead-log actor the caller runs: the in-process test
    /// network (`cairn-simnet`) moves messages between the nodes of one process under its own
    /// faults and keeps each log in memory, on a simulated clock.
    InProcess {
        /// Speaks Malachite's network protocol (`network::Msg`) for this node.
        network: NetworkRef<CairnContext>,
        /// Speaks Malachite's write-ahead-log protocol (`wal::Msg`) for this node.
        wal: WalRef<CairnContext>,
    },
}

impl BftConfig {
    fn split(self) -> (BftParams, Transport) {
        let params = BftParams {
            moniker: self.moniker,
            evidence: self.evidence,
            chain_id: self.chain_id,
            signer: self.signer,
            fee_recipient: self.fee_recipient,
            extra_data: self.extra_data,
            finalized: self.finalized,
            allowed_peers: None,
        };
        let transport = Transport::Libp2p {
            home: self.home,
            listen: self.listen,
            peers: self.peers,
            network_key: self.network_key,
        };
        (params, transport)
    }
}

/// Malachite's view of the node configuration.
#[derive(Clone, Debug)]
struct EngineConfig {
    moniker: String,
    consensus: ConsensusConfig,
    value_sync: ValueSyncConfig,
}

impl NodeConfig for EngineConfig {
    fn moniker(&self) -> &str {
        &self.moniker
    }

    fn consensus(&self) -> &ConsensusConfig {
        &self.consensus
    }

    fn consensus_mut(&mut self) -> &mut ConsensusConfig {
        &mut self.consensus
    }

    fn value_sync(&self) -> &ValueSyncConfig {
        &self.value_sync
    }

    fn value_sync_mut(&mut self) -> &mut ValueSyncConfig {
        &mut self.value_sync
    }
}

/// Largest consensus message (a proposal, a sync response): the biggest block
/// ([`MAX_BLOCK_TX_BYTES`] of transactions) with room for its header, certificate and framing.
const MAX_MESSAGE_BYTES: usize = MAX_BLOCK_TX_BYTES + 2 * 1024 * 1024;

/// Consensus timeouts: short enough that a crashed proposer costs a couple of seconds.
fn timeouts() -> LinearTimeouts {
    LinearTimeouts {
        propose: Duration::from_secs(2),
        propose_delta: Duration::from_millis(500),
        prevote: Duration::from_secs(1),
        prevote_delta: Duration::from_millis(500),
        precommit: Duration::from_secs(1),
        precommit_delta: Duration::from_millis(500),
        rebroadcast: Duration::from_secs(4),
        max_timeout: Duration::from_secs(30),
    }
}

fn engine_config(moniker: &str, transport: &Transport) -> EngineConfig {
    let value_sync = ValueSyncConfig {
        status_update_interval: Duration::from_secs(1),
        request_timeout: Duration::from_secs(5),
        ..ValueSyncConfig::default()
    };
    let value_sync = match transport {
        Transport::Libp2p { .. } => value_sync,
        // Sync's inbound rate limiter counts requests against the wall clock, while an
        // in-process network runs many simulated seconds per wall second: at the default
        // (1,000 per 10 s) it would refuse an honest catch-up that a real network spreads
        // over minutes.
        Transport::InProcess { .. } => {
            ValueSyncConfig { max_inbound_requests_per_window: 1_000_000, ..value_sync }
        }
    };
    EngineConfig { moniker: moniker.to_string(), consensus: ConsensusConfig::default(), value_sync }
}

/// A running consensus engine and its driver.
pub struct BftEngine {
    engine: EngineHandle,
    driver: JoinHandle<()>,
    address: Option<ValidatorAddress>,
    /// The network actor and its peers, on the libp2p transport (the in-process network's
    /// actors belong to the test network).
    network: Option<(NetworkRef<CairnContext>, ConsensusPeers)>,
}

impl BftEngine {
    /// This node's validator address, if it validates.
    pub fn address(&self) -> Option<ValidatorAddress> {
        self.address
    }

    /// Changes the peers the consensus network accepts; `None` on the in-process transport.
    pub fn peers(&self) -> Option<&ConsensusPeers> {
        self.network.as_ref().map(|(_, peers)| peers)
    }

    /// Whether consensus ended by itself: Malachite's supervisor stops when any of its actors
    /// dies, and the driver when the engine's channels close. A node then no longer follows
    /// the chain.
    pub fn is_finished(&self) -> bool {
        self.engine.handle.is_finished() || self.driver.is_finished()
    }

    /// Stops consensus and its network.
    pub fn stop(self) {
        self.engine.actor.stop(None);
        self.engine.handle.abort();
        self.driver.abort();
        if let Some((network, _)) = self.network {
            network.stop(None);
        }
    }

    /// Stops consensus the way a crash does: the driver is aborted and every actor is killed
    /// between two messages, with nothing flushed or handed over; returns once Malachite's
    /// supervisor has exited and signalled its children to die. The in-process network's
    /// crashes use it.
    pub async fn kill(self) {
        self.driver.abort();
        if let Some((network, _)) = &self.network {
            network.kill();
        }
        self.engine.actor.kill();
        if let Err(e) = self.engine.handle.await
            && !e.is_cancelled()
        {
            error!(error = %e, "consensus supervisor ended abnormally");
        }
    }
}

/// Starts Malachite for `node` on the current Tokio runtime, on libp2p with the write-ahead
/// log in a file (what `cairn node` runs), each height decided by the validators the node's
/// store gives for it, converted through `schedule` (the one the node's `BftConsensus` uses).
pub async fn start<K: KvStore>(
    node: Arc<Node<K>>,
    schedule: ValidatorSchedule,
    config: BftConfig,
) -> Result<BftEngine, BftError> {
    let (params, transport) = config.split();
    start_with(node, schedule, params, transport).await
}

/// Starts Malachite for `node` on the current Tokio runtime over `transport`.
pub async fn start_with<K: KvStore>(
    node: Arc<Node<K>>,
    schedule: ValidatorSchedule,
    params: BftParams,
    transport: Transport,
) -> Result<BftEngine, BftError> {
    if let Transport::Libp2p { home, .. } = &transport {
        std::fs::create_dir_all(home)
            .map_err(|source| BftError::Io { path: home.clone(), source })?;
    }
    let engine_config = engine_config(&params.moniker, &transport);
    if let Some(signer) = &params.signer
        && signer.chain_id() != params.chain_id
    {
        return Err(BftError::ChainIdMismatch { key: signer.chain_id(), node: params.chain_id });
    }
    let address = params.signer.as_ref().map(ConsensusSigner::address);
    let verifier = Box::new(ConsensusVerifier::new(params.chain_id));
    let consensus = match &params.signer {
        Some(signer) => {
            ConsensusContext::new_validator(signer.address(), verifier, Box::new(signer.clone()))
        }
        None => {
            let placeholder = ValidatorAddress(alloy_primitives::Address::ZERO);
            ConsensusContext::new_full_node(placeholder, verifier)
        }
    };
    let (channels, engine, network) = match transport {
        Transport::Libp2p { home, listen, peers, network_key } => {
            let peer_id = network_key.public().to_peer_id();
            let config = NetConfig {
                listen: listen.clone(),
                peers,
                keypair: network_key,
                max_message_bytes: MAX_MESSAGE_BYTES,
                allowed: params.allowed_peers.clone(),
                channels: net::ConsensusChannel::BFT,
            };
            let (handle, events) = net::start(config).await?;
            let network = spawn_network(handle.clone(), events).await?;
            let started = EngineBuilder::new(CairnContext, engine_config)
                .with_default_wal(WalContext::new(home.join("wal"), BorshCodec))
                .with_custom_network(network.clone(), forward_to(network.clone()))
                .with_default_sync(SyncContext::new(BorshCodec))
                .with_default_consensus(consensus)
                .with_default_request(RequestContext::new(100))
                .build()
                .await;
            let (channels, engine) = match started {
                Ok(started) => started,
                Err(e) => {
                    network.stop(None);
                    return Err(BftError::Start(e.into()));
                }
            };
            info!(%peer_id, %listen, validator = ?address, "consensus engine started");
            (channels, engine, Some((network, ConsensusPeers::new(handle))))
        }
        Transport::InProcess { network, wal } => {
            let tx_network = forward_to(network.clone());
            let (channels, engine) = EngineBuilder::new(CairnContext, engine_config)
                .with_custom_wal(wal)
                .with_custom_network(network, tx_network)
                .with_default_sync(SyncContext::new(BorshCodec))
                .with_default_consensus(consensus)
                .with_default_request(RequestContext::new(100))
                .build()
                .await
                .map_err(|e| BftError::Start(e.into()))?;
            info!(validator = ?address, "consensus engine started on an in-process network");
            (channels, engine, None)
        }
    };
    let driver = Driver::new(
        node,
        DriverConfig {
            schedule,
            me: address,
            fee_recipient: params.fee_recipient,
            extra_data: params.extra_data.clone(),
            timeouts: timeouts(),
            finalized: params.finalized.clone(),
        },
        params.evidence.clone(),
    );
    let driver = tokio::spawn(driver.run(channels));
    Ok(BftEngine { engine, driver, address, network })
}

/// The network actor over a started consensus network; the network stops if the actor cannot
/// start.
async fn spawn_network(
    handle: ConsensusHandle,
    events: tokio::sync::mpsc::Receiver<net::ConsensusEvent>,
) -> Result<NetworkRef<CairnContext>, BftError> {
    match Libp2pNetwork::spawn(handle.clone(), events).await {
        Ok(network) => Ok(network),
        Err(e) => {
            handle.shutdown().await;
            Err(BftError::Start(e.into()))
        }
    }
}

/// The sender the driver publishes proposal parts on, feeding a custom network actor: what
/// Malachite's own network spawner sets up for its libp2p actor (capacity 1, so the driver
/// waits while the network is busy).
fn forward_to(network: NetworkRef<CairnContext>) -> mpsc::Sender<NetworkMsg<CairnContext>> {
    let (tx, mut rx) = mpsc::channel::<NetworkMsg<CairnContext>>(1);
    tokio::spawn(async move {
        while let Some(message) = rx.recv().await {
            if network.cast(message.into()).is_err() {
                break;
            }
        }
    });
    tx
}
