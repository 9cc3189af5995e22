//! Starting Malachite for a node: its configuration, network identity and the driver task.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytesize::ByteSize;
use cairn_node::Node;
use cairn_primitives::MAX_BLOCK_TX_BYTES;
use cairn_storage::KvStore;
use malachitebft_app_channel::app::config::{
    ConsensusConfig, NodeConfig, P2pConfig, ValueSyncConfig,
};
use malachitebft_app_channel::app::net::Multiaddr;
use malachitebft_app_channel::app::types::Keypair;
use malachitebft_app_channel::app::types::codec::Codec;
use malachitebft_app_channel::app::types::core::LinearTimeouts;
use malachitebft_app_channel::{
    ConsensusContext, EngineHandle, NetworkContext, NetworkIdentity, RequestContext, Signer,
    SyncContext, WalContext, start_engine,
};
use tokio::task::JoinHandle;
use tracing::info;

use crate::codec::BorshCodec;
use crate::context::{CairnContext, ValidatorAddress};
use crate::driver::{Driver, DriverConfig};
use crate::error::BftError;
use crate::evidence::EvidenceLog;
use crate::schedule::ValidatorSchedule;
use crate::signing::{ConsensusSigner, ConsensusVerifier};

/// How one node takes part in BFT consensus.
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
    /// The node's network identity (not its consensus key).
    pub network_key: Keypair,
    /// Time between blocks: a height is finalised no sooner than this after it starts.
    pub block_time: Duration,
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
const MAX_MESSAGE_BYTES: u64 = MAX_BLOCK_TX_BYTES as u64 + 2 * 1024 * 1024;

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

/// A running consensus engine and its driver.
pub struct BftEngine {
    engine: EngineHandle,
    driver: JoinHandle<()>,
    address: Option<ValidatorAddress>,
}

impl BftEngine {
    /// This node's validator address, if it validates.
    pub fn address(&self) -> Option<ValidatorAddress> {
        self.address
    }

    /// Stops consensus and its network.
    pub fn stop(self) {
        self.engine.actor.stop(None);
        self.engine.handle.abort();
        self.driver.abort();
    }
}

/// Starts Malachite for `node` on the current Tokio runtime, each height decided by the
/// validators `schedule` gives for it.
pub async fn start<K: KvStore>(
    node: Arc<Node<K>>,
    schedule: ValidatorSchedule,
    config: BftConfig,
) -> Result<BftEngine, BftError> {
    std::fs::create_dir_all(&config.home)
        .map_err(|source| BftError::Io { path: config.home.clone(), source })?;
    let engine_config = EngineConfig {
        moniker: config.moniker.clone(),
        consensus: ConsensusConfig {
            p2p: P2pConfig {
                listen_addr: config.listen.clone(),
                persistent_peers: config.peers.clone(),
                pubsub_max_size: ByteSize::b(MAX_MESSAGE_BYTES),
                rpc_max_size: ByteSize::b(MAX_MESSAGE_BYTES),
                ..P2pConfig::default()
            },
            ..ConsensusConfig::default()
        },
        value_sync: ValueSyncConfig {
            status_update_interval: Duration::from_secs(1),
            request_timeout: Duration::from_secs(5),
            ..ValueSyncConfig::default()
        },
    };
    if let Some(signer) = &config.signer
        && signer.chain_id() != config.chain_id
    {
        return Err(BftError::ChainIdMismatch { key: signer.chain_id(), node: config.chain_id });
    }
    let address = config.signer.as_ref().map(ConsensusSigner::address);
    let peer_id = config.network_key.public().to_peer_id();
    let (identity, consensus) = match &config.signer {
        Some(signer) => {
            let proof = signer
                .sign_validator_proof(signer.public_key().0.to_vec(), peer_id.to_bytes())
                .await
                .map_err(BftError::ValidatorProof)?;
            let proof = BorshCodec.encode(&proof)?;
            let identity = NetworkIdentity::new_validator(
                config.moniker.clone(),
                config.network_key.clone(),
                signer.address().to_string(),
                proof,
            );
            let consensus = ConsensusContext::new_validator(
                signer.address(),
                Box::new(ConsensusVerifier::new(config.chain_id)),
                Box::new(signer.clone()),
            );
            (identity, consensus)
        }
        None => {
            let identity =
                NetworkIdentity::new(config.moniker.clone(), config.network_key.clone(), None);
            let placeholder = ValidatorAddress(alloy_primitives::Address::ZERO);
            let verifier = Box::new(ConsensusVerifier::new(config.chain_id));
            (identity, ConsensusContext::new_full_node(placeholder, verifier))
        }
    };
    let (channels, engine) = start_engine(
        CairnContext,
        engine_config,
        WalContext::new(config.home.join("wal"), BorshCodec),
        NetworkContext::new(identity, BorshCodec),
        consensus,
        SyncContext::new(BorshCodec),
        RequestContext::new(100),
    )
    .await
    .map_err(|e| BftError::Start(e.into()))?;
    info!(%peer_id, listen = %config.listen, validator = ?address, "consensus engine started");
    let driver = Driver::new(
        node,
        DriverConfig {
            validators: schedule,
            me: address,
            fee_recipient: config.fee_recipient,
            timeouts: timeouts(),
            block_time: config.block_time,
        },
        config.evidence.clone(),
    );
    let driver = tokio::spawn(driver.run(channels));
    Ok(BftEngine { engine, driver, address })
}
