//! A started node: what it serves, how it fails, how it stops.
//!
//! Fail-stop on storage errors: once the store fails (a full disk, an I/O error, a damaged
//! file), the node stops producing, voting and admitting transactions, answers readiness with
//! 503 and the reason for [`DRAIN`], and then ends with [`LaunchError::StoreFailed`], so a
//! supervisor restarts it once the cause is fixed. A restart reopens the store, which redb
//! recovers to its last commit.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::Address;
use cairn_api::ApiServer;
use cairn_bft::BftEngine;
use cairn_node::{BlockProducer, Miner, Node};
use cairn_pow::PowNetwork;
use cairn_reads::ServedNode;
use cairn_storage::{KvStore, StoreError};
use jsonrpsee::server::ServerHandle;
use tracing::error;

use crate::LaunchError;
use crate::builder::NodeBuilder;
use crate::gossip::Gossip;

/// How long a node whose store failed keeps answering (readiness 503, transactions refused
/// with the reason) before it stops, so load balancers and clients learn why it goes away.
pub(crate) const DRAIN: Duration = Duration::from_secs(10);

/// How long requests in flight get to finish once a node is asked to stop.
pub(crate) const API_GRACE: Duration = Duration::from_secs(5);

/// How often a running node's health (its store, its consensus) is looked at.
const POLL: Duration = Duration::from_millis(100);

/// What decides blocks on a running node.
pub(crate) enum Engine {
    Dev(BlockProducer),
    Bft(BftEngine),
    /// A proof-of-work node, mining or not, on a network of miners or alone.
    Pow {
        miner: Option<Miner>,
        network: Option<PowNetwork>,
    },
}

impl Engine {
    async fn stop(self) {
        match self {
            Self::Dev(producer) => producer.stop().await,
            Self::Bft(engine) => engine.stop(),
            Self::Pow { miner, network } => {
                if let Some(miner) = miner {
                    miner.stop().await;
                }
                if let Some(network) = network {
                    network.stop().await;
                }
            }
        }
    }
}

/// Why a node stopped working by itself.
#[derive(Debug, Clone)]
pub enum Failure {
    /// The store failed: blocks and transactions stopped.
    Store(Arc<StoreError>),
    /// Consensus ended (one of its actors died): the chain no longer moves here.
    ConsensusStopped,
}

/// A node that [`NodeBuilder::start`] started: its reads, its servers' addresses, and the
/// ways it ends.
pub struct RunningNode<K: KvStore> {
    node: Arc<Node<K>>,
    engine: Option<Engine>,
    pub(crate) gossip: Option<Gossip>,
    pub(crate) rpc: Option<(SocketAddr, ServerHandle)>,
    pub(crate) api: Option<ApiServer>,
    /// On a governed chain, the task that hands the allowed nodes to both swarms.
    pub(crate) permissions: Option<tokio::task::JoinHandle<()>>,
    /// A BFT node's name; `None` on a dev node.
    pub(crate) moniker: Option<String>,
    validator: Option<Address>,
    started_at: u64,
    /// The "… listening on …" lines, in the order the parts started.
    pub(crate) listening: Vec<String>,
}

impl<K: KvStore> RunningNode<K> {
    pub(crate) fn new(
        node: Arc<Node<K>>,
        engine: Engine,
        moniker: Option<String>,
        validator: Option<Address>,
        started_at: u64,
    ) -> Self {
        Self {
            node,
            engine: Some(engine),
            gossip: None,
            rpc: None,
            api: None,
            permissions: None,
            moniker,
            validator,
            started_at,
            listening: Vec::new(),
        }
    }

    /// The node as JSON-RPC and the REST API read it.
    pub fn reads(&self) -> Arc<dyn ServedNode> {
        self.node.clone()
    }

    /// The node itself, for the one who gave it its store (tests audit and inspect it).
    pub fn node(&self) -> &Arc<Node<K>> {
        &self.node
    }

    /// Where JSON-RPC listens, if it is served.
    pub fn rpc_addr(&self) -> Option<SocketAddr> {
        self.rpc.as_ref().map(|(addr, _)| *addr)
    }

    /// Where the REST API listens, if it is served.
    pub fn api_addr(&self) -> Option<SocketAddr> {
        self.api.as_ref().map(ApiServer::addr)
    }

    /// This node's validator address on a BFT network, if it validates.
    pub fn validator(&self) -> Option<Address> {
        self.validator
    }

    /// The head when the node opened its store, before its engine ran.
    pub fn started_at(&self) -> u64 {
        self.started_at
    }

    /// The lines an operator (and the end-to-end harnesses) read at start-up: a BFT node's
    /// name, role and chain, then where each part listens, in the order they started.
    pub fn banner(&self) -> Vec<String> {
        let headline = self.moniker.as_ref().map(|name| {
            let role = self.validator.map_or("full node".to_string(), |a| format!("validator {a}"));
            format!(
                "{name} ({role}) chain id {}, head at block {}",
                self.node.spec().chain_id,
                self.started_at
            )
        });
        headline.into_iter().chain(self.listening.iter().cloned()).collect()
    }

    /// Resolves when a part the node cannot run without stops by itself: the store fails, or
    /// consensus ends.
    pub async fn failed(&self) -> Failure {
        let mut poll = tokio::time::interval(POLL);
        loop {
            poll.tick().await;
            if let Some(failure) = self.node.storage_failure() {
                return Failure::Store(failure);
            }
            if let Some(Engine::Bft(engine)) = &self.engine
                && engine.is_finished()
            {
                return Failure::ConsensusStopped;
            }
        }
    }

    /// Serves until `stop` resolves or the node fails, then stops. A failed store stops the
    /// engine at once (the node neither proposes nor votes) and the servers keep answering for
    /// `DRAIN` (10 s, or until `stop`), so clients learn why; the failure is returned.
    pub async fn serve_until(mut self, stop: impl Future<Output = ()>) -> Result<(), LaunchError> {
        tokio::pin!(stop);
        let failure = tokio::select! {
            () = &mut stop => None,
            failure = self.failed() => Some(failure),
        };
        let result = match failure {
            None => Ok(()),
            Some(Failure::Store(failure)) => {
                error!(
                    error = %failure,
                    drain = ?DRAIN,
                    "the store failed: blocks and transactions stopped; exiting after the drain period"
                );
                if let Some(engine) = self.engine.take() {
                    engine.stop().await;
                }
                tokio::select! {
                    () = &mut stop => {}
                    () = tokio::time::sleep(DRAIN) => {}
                }
                Err(LaunchError::StoreFailed { failure })
            }
            Some(Failure::ConsensusStopped) => {
                error!("consensus stopped by itself; stopping the node");
                Err(LaunchError::ConsensusStopped)
            }
        };
        tracing::info!("shutting down");
        self.stop(API_GRACE).await;
        result
    }

    /// Stops gracefully: the engine first (a block in progress is committed), then gossip,
    /// the REST API (requests in flight get at most `grace`), JSON-RPC.
    pub async fn stop(mut self, grace: Duration) {
        if let Some(permissions) = self.permissions.take() {
            permissions.abort();
        }
        if let Some(engine) = self.engine.take() {
            engine.stop().await;
        }
        if let Some(gossip) = self.gossip.take() {
            gossip.stop().await;
        }
        if let Some(api) = self.api.take() {
            api.stop(grace).await;
        }
        if let Some((_, rpc)) = self.rpc.take() {
            let _ = rpc.stop();
        }
    }

    /// Stops the way a crash does, for the in-process test network: consensus is killed
    /// between two messages with nothing flushed or handed over (returning once its actors
    /// are told to die), and every server stops without waiting for requests in flight.
    pub async fn abort(mut self) {
        if let Some(permissions) = self.permissions.take() {
            permissions.abort();
        }
        match self.engine.take() {
            Some(Engine::Bft(engine)) => engine.kill().await,
            Some(Engine::Dev(producer)) => producer.abort(),
            Some(Engine::Pow { miner, network }) => {
                if let Some(miner) = miner {
                    miner.abort();
                }
                if let Some(network) = network {
                    network.abort();
                }
            }
            None => {}
        }
        if let Some(gossip) = self.gossip.take() {
            gossip.stop().await;
        }
        if let Some(api) = self.api.take() {
            api.stop(Duration::ZERO).await;
        }
        if let Some((_, rpc)) = self.rpc.take() {
            let _ = rpc.stop();
        }
    }
}

/// What `cairn node` runs: starts the node, prints its [`RunningNode::banner`], serves until
/// `stop` resolves or the node fails, and stops. An error means the node stopped by itself
/// (or never started), so the process should exit non-zero.
pub async fn run_until_stopped<K: KvStore>(
    builder: NodeBuilder<K>,
    stop: impl Future<Output = ()>,
) -> Result<(), LaunchError> {
    let running = builder.start().await?;
    for line in running.banner() {
        println!("{line}");
    }
    running.serve_until(stop).await
}
