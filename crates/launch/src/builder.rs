//! [`NodeBuilder`]: what a node is made of, then one `start` that wires it in a fixed order.

use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::Address;
use cairn_api::ApiConfig;
use cairn_bft::{
    BftConsensus, BftParams, ConsensusSigner, EvidenceLog, FinalizedCertificates, PosConsensus,
    Transport, ValidatorSchedule,
};
use cairn_consensus::{ConsensusRoles, DevConsensus, PowConsensus, TransactionRules};
use cairn_network::NetworkConfig;
use cairn_node::{BlockProducer, Miner, Node};
use cairn_pow::{PowNetwork, PowNetworkConfig};
use cairn_primitives::{ChainSpec, Clock, ConsensusKind, STAKING_ADDRESS, SystemClock};
use cairn_rpc::RpcConfig;
use cairn_storage::{KvStore, RecordStore};

use crate::LaunchError;
use crate::evidence::evidence_methods;
use crate::gossip::Gossip;
use crate::listeners;
use crate::permissions::PeerPermissions;
use crate::running::{Engine, RunningNode};

/// How blocks are agreed on this node.
// Built once when a node starts and consumed there: boxing the larger variant buys nothing.
#[allow(clippy::large_enum_variant)]
pub enum EngineSetup {
    /// One local validator: a block as soon as transactions wait, else every `block_time`.
    Dev {
        /// Time between empty blocks.
        block_time: Duration,
        /// Who the blocks pay their priority fees to.
        beneficiary: Address,
    },
    /// A node of a BFT network (a validator, or a full node that follows and verifies): a
    /// fixed set on a `bft` chain, sets chosen by stake every epoch on a `pos` chain.
    Bft(BftSetup),
    /// A node of a proof-of-work chain: alone, or on a network of nodes that exchange
    /// blocks over libp2p.
    Pow {
        /// Who the blocks this node mines pay their reward and priority fees to.
        coinbase: Address,
        /// Search threads of its miner; 0 does not mine.
        miner_threads: usize,
        /// The block network it joins; `None` runs alone.
        network: Option<PowNetworkConfig>,
    },
}

/// A node's part in a BFT network.
pub struct BftSetup {
    /// The node's name in logs and peer lists.
    pub moniker: String,
    /// Where equivocations this node sees are recorded and read back from.
    pub evidence: Arc<EvidenceLog>,
    /// The validator's consensus key; `None` runs a full node.
    pub signer: Option<ConsensusSigner>,
    /// Who the blocks this validator proposes pay their priority fees to (ignored on proof
    /// of stake, where they go to the staking contract).
    pub fee_recipient: Address,
    /// What the headers of the blocks this validator proposes carry in `extra_data` (at most
    /// 32 bytes; longer is refused by every node's header rules).
    pub extra_data: alloy_primitives::Bytes,
    /// How consensus messages travel: libp2p (`cairn node`) or actors the caller runs (the
    /// in-process test network).
    pub transport: Transport,
}

/// Everything a node is made of, before anything runs. `cairn dev`, `cairn node` and the
/// in-process test network all start nodes through it, so they run the same wiring.
pub struct NodeBuilder<K: KvStore> {
    pub(crate) spec: ChainSpec,
    store: K,
    engine: EngineSetup,
    clock: Arc<dyn Clock>,
    rpc: Option<RpcConfig>,
    api: Option<ApiConfig>,
    gossip: Option<NetworkConfig>,
    account_rules: Option<Arc<dyn TransactionRules>>,
}

impl<K: KvStore> NodeBuilder<K> {
    /// A node of the chain `spec` over `store` (genesis is written if it is new), decided by
    /// `engine`; no servers and no gossip until asked for, time from the system clock.
    pub fn new(spec: ChainSpec, store: K, engine: EngineSetup) -> Self {
        Self {
            spec,
            store,
            engine,
            clock: Arc::new(SystemClock),
            rpc: None,
            api: None,
            gossip: None,
            account_rules: None,
        }
    }

    /// Reads the time (block timestamps, the drift check, the dev block schedule) from `clock`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Serves Ethereum JSON-RPC as `config` says.
    pub fn with_rpc(mut self, config: RpcConfig) -> Self {
        self.rpc = Some(config);
        self
    }

    /// Serves the REST API as `config` says (its peer list from gossip, when gossip runs).
    pub fn with_api(mut self, config: ApiConfig) -> Self {
        self.api = Some(config);
        self
    }

    /// Gossips transactions with peers over libp2p as `config` says.
    pub fn with_gossip(mut self, config: NetworkConfig) -> Self {
        self.gossip = Some(config);
        self
    }

    /// Judges senders by `rules` instead of the chain's own account rules, in this node's pool
    /// and in the blocks it builds and imports: the in-process test network runs a hostile
    /// validator this way (one that proposes transactions its chain refuses), to show the
    /// others refuse its blocks. `cairn node` and `cairn dev` never call it.
    pub fn with_account_rules(mut self, rules: Arc<dyn TransactionRules>) -> Self {
        self.account_rules = Some(rules);
        self
    }

    /// Opens the chain and starts, in order, the engine (block producer or consensus),
    /// transaction gossip, JSON-RPC and the REST API, on the current Tokio runtime.
    pub async fn start(self) -> Result<RunningNode<K>, LaunchError> {
        let Self { spec, store, engine, clock, rpc, api, mut gossip, account_rules } = self;
        if matches!(engine, EngineSetup::Pow { .. }) != (spec.consensus == ConsensusKind::Pow) {
            return Err(LaunchError::EngineMismatch { consensus: spec.consensus });
        }
        let evidence = match &engine {
            EngineSetup::Bft(setup) => Some(setup.evidence.clone()),
            EngineSetup::Dev { .. } | EngineSetup::Pow { .. } => None,
        };
        // The BFT roles and the driver share one cache of converted validator sets.
        // A proof-of-stake proposer carries the certificate the driver finalised last.
        let finalized = Arc::new(FinalizedCertificates::default());
        let (roles, schedule) = match &engine {
            EngineSetup::Dev { beneficiary, .. } => {
                (ConsensusRoles::of(Arc::new(DevConsensus::new(*beneficiary))), None)
            }
            EngineSetup::Pow { coinbase, .. } => {
                (ConsensusRoles::of(Arc::new(PowConsensus::new(&spec, *coinbase))), None)
            }
            EngineSetup::Bft(setup) => {
                let schedule = ValidatorSchedule::from_spec(&spec)?;
                let roles = match spec.consensus {
                    ConsensusKind::Pos => ConsensusRoles::of(Arc::new(PosConsensus::new(
                        &spec,
                        schedule.clone(),
                        setup.evidence.clone(),
                        finalized.clone(),
                    ))),
                    _ => ConsensusRoles::of(Arc::new(BftConsensus::new(
                        spec.chain_id,
                        schedule.clone(),
                        setup.fee_recipient,
                        setup.evidence.clone(),
                    ))),
                };
                (roles, Some(schedule))
            }
        };
        // A governed chain: the contract decides who may transact and validate.
        let roles = cairn_governance::govern(roles, &spec)?;
        let roles = match account_rules {
            Some(rules) => roles.with_transactions(rules),
            None => roles,
        };
        let node = Arc::new(Node::open(store, spec.clone(), roles)?.with_clock(clock));
        // Evidence learned but not yet in a block is kept in the node's own store, so a
        // restarted proof-of-stake validator still puts it on chain.
        if spec.consensus == ConsensusKind::Pos
            && let Some(evidence) = &evidence
        {
            let store: Arc<dyn RecordStore> = node.clone();
            evidence.pool().keep_in(&store)?;
        }
        // A governed chain: the contract decides who may connect, to both swarms.
        let permissions = PeerPermissions::at_head(&node);
        let allowed = permissions.as_ref().and_then(|p| p.allowed().clone());
        if let (Some(_), Some(config)) = (&permissions, &mut gossip) {
            config.allowed = allowed.clone();
        }
        let mut consensus_peers = None;
        let started_at = node.head()?.number;
        let mut listening = Vec::new();
        let (engine, moniker, validator) = match engine {
            EngineSetup::Dev { block_time, .. } => {
                (Engine::Dev(BlockProducer::start(node.clone(), block_time)), None, None)
            }
            EngineSetup::Pow { miner_threads, network, .. } => {
                // The network first: a block mined before it runs would never be announced.
                let network = match network {
                    Some(config) => {
                        listening.push(format!("block network listening on {}", config.listen));
                        Some(PowNetwork::start(node.clone(), config).await?)
                    }
                    None => None,
                };
                let miner = (miner_threads > 0).then(|| Miner::start(node.clone(), miner_threads));
                (Engine::Pow { miner, network }, None, None)
            }
            EngineSetup::Bft(setup) => {
                if let Transport::Libp2p { listen, .. } = &setup.transport {
                    listening.push(format!("consensus listening on {listen}"));
                }
                let params = BftParams {
                    moniker: setup.moniker.clone(),
                    evidence: setup.evidence,
                    chain_id: spec.chain_id,
                    signer: setup.signer,
                    // On proof of stake the fees belong to the stakers, through the contract.
                    fee_recipient: match spec.consensus {
                        ConsensusKind::Pos => STAKING_ADDRESS,
                        _ => setup.fee_recipient,
                    },
                    finalized,
                    extra_data: setup.extra_data,
                    allowed_peers: allowed.clone(),
                };
                let schedule = schedule.unwrap_or_default();
                let engine =
                    cairn_bft::start_with(node.clone(), schedule, params, setup.transport).await?;
                let validator = engine.address().map(|a| a.0);
                consensus_peers = engine.peers().cloned();
                (Engine::Bft(engine), Some(setup.moniker), validator)
            }
        };
        let mut running = RunningNode::new(node, engine, moniker, validator, started_at);
        running.listening = listening;
        // A part that cannot start stops the parts already running.
        match serve(&mut running, gossip, rpc, api, evidence).await {
            Ok(()) => {
                if let Some(permissions) = permissions {
                    let gossip = running.gossip.as_ref().map(Gossip::handle);
                    running.permissions = Some(permissions.follow(gossip, consensus_peers));
                }
                Ok(running)
            }
            Err(e) => {
                running.abort().await;
                Err(e)
            }
        }
    }
}

/// Starts transaction gossip, JSON-RPC and the REST API for `running`, each as configured.
async fn serve<K: KvStore>(
    running: &mut RunningNode<K>,
    gossip: Option<NetworkConfig>,
    rpc: Option<RpcConfig>,
    api: Option<ApiConfig>,
    evidence: Option<Arc<EvidenceLog>>,
) -> Result<(), LaunchError> {
    let node = running.node().clone();
    if let Some(config) = gossip {
        let listen = config.listen.clone();
        running.gossip = Some(Gossip::start(node.clone(), config).await?);
        running.listening.push(format!("transaction gossip listening on {listen}"));
    }
    if let Some(config) = rpc {
        let extra = match evidence {
            Some(log) => evidence_methods(node.clone(), log)?,
            None => jsonrpsee::Methods::new(),
        };
        let (addr, server) = cairn_rpc::start_with(node.clone(), &config, extra).await?;
        running.rpc = Some((addr, server));
        let tls = config.tls.is_some();
        listeners::warn_if_plaintext("JSON-RPC", addr, tls, listeners::RPC_TLS_HINT);
        running
            .listening
            .push(format!("JSON-RPC listening on {}://{addr}", listeners::scheme(tls)));
    }
    if let Some(mut config) = api {
        if let Some(gossip) = &running.gossip {
            config.network = Some(gossip.handle());
        }
        let server = cairn_api::start(node.clone(), node, &config).await?;
        let (addr, tls) = (server.addr(), config.tls.is_some());
        running.api = Some(server);
        listeners::warn_if_plaintext("The REST API", addr, tls, listeners::API_TLS_HINT);
        running
            .listening
            .push(format!("REST API listening on {}://{addr}", listeners::scheme(tls)));
    }
    Ok(())
}
