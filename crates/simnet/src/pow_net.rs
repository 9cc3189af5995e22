//! A proof-of-work test network: N nodes (Cairn's node, pool, execution and store, and the
//! `cairn-pow` network task) on one [`PowHub`], on the paused runtime's simulated clock. The
//! test mines: each block goes to a miner drawn from the seed in proportion to its hash rate,
//! a block time of simulated time after the last (or after a wait the hash lottery draws), and
//! its work is found for real at the difficulty the chain asks (low, as the spec's floor is).

use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::{Address, B256};
use cairn_consensus::{ConsensusRoles, PowConsensus, pow};
use cairn_node::{Imported, Node, NodeError};
use cairn_pow::PowNetwork;
use cairn_primitives::{Block, ChainSpec, ConsensusKind, PowParams};
use cairn_storage::MemoryKv;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::clock::SimClock;
use crate::pow_hub::{PowHub, SimTransport};
use crate::seed::Seed;

/// The spec's floor difficulty: a block's work is a few dozen hashes.
const MIN_DIFFICULTY: u64 = 16;
/// The spec's block time.
const BLOCK_TIME: Duration = Duration::from_secs(1);
/// How long a wait may take in simulated time before the test fails.
const SIM_DEADLINE: Duration = Duration::from_secs(600);
/// Hashes a second a node of rate 1 tries in [`PowNet::mine_by_work`]: two such nodes keep a
/// difficulty of 2,048 on time.
const HASHES_PER_SECOND: f64 = 1024.0;

/// A running proof-of-work test network.
pub struct PowNet {
    hub: PowHub,
    spec: ChainSpec,
    clock: Arc<SimClock>,
    nodes: Vec<Arc<Node<MemoryKv>>>,
    networks: Vec<Option<PowNetwork<SimTransport>>>,
    rates: Vec<u32>,
    rng: StdRng,
}

impl PowNet {
    /// `miners` nodes of equal hash rate, all linked; must run on the simulated runtime.
    pub async fn start(seed: Seed, miners: usize) -> Self {
        Self::start_with(seed, miners, |_| {}).await
    }

    /// As [`PowNet::start`], on a chain `adjust` changed (contracts a test calls, a higher
    /// floor difficulty).
    pub async fn start_with(
        seed: Seed,
        miners: usize,
        adjust: impl FnOnce(&mut ChainSpec),
    ) -> Self {
        let mut spec = ChainSpec {
            consensus: ConsensusKind::Pow,
            block_time_ms: BLOCK_TIME.as_millis() as u64,
            pow: Some(PowParams { min_difficulty: MIN_DIFFICULTY, ..PowParams::default() }),
            ..ChainSpec::dev().expect("the dev spec")
        };
        adjust(&mut spec);
        let mut net = Self {
            hub: PowHub::default(),
            spec,
            clock: Arc::new(SimClock::new()),
            nodes: Vec::new(),
            networks: Vec::new(),
            rates: Vec::new(),
            rng: StdRng::seed_from_u64(seed.0),
        };
        for _ in 0..miners {
            net.add_node();
        }
        net
    }

    /// Adds a node that mines at the common rate; returns its index.
    pub fn add_node(&mut self) -> usize {
        let index = self.nodes.len();
        let coinbase = Address::with_last_byte(0xc0 + index as u8);
        let roles = ConsensusRoles::of(Arc::new(PowConsensus::new(&self.spec, coinbase)));
        let node = Node::open(MemoryKv::new(), self.spec.clone(), roles).expect("a node");
        let node = Arc::new(node.with_clock(self.clock.clone()));
        let (transport, events) = self.hub.join();
        let network = PowNetwork::start_with(node.clone(), transport, events).expect("starts");
        self.nodes.push(node);
        self.networks.push(Some(network));
        self.rates.push(1);
        index
    }

    /// The hub, to partition, heal and ask about bans.
    pub fn hub(&self) -> &PowHub {
        &self.hub
    }

    /// Node `index`.
    pub fn node(&self, index: usize) -> &Arc<Node<MemoryKv>> {
        &self.nodes[index]
    }

    /// Sets node `index`'s share of the hash rate (0: it does not mine).
    pub fn set_rate(&mut self, index: usize, rate: u32) {
        self.rates[index] = rate;
    }

    /// Mines `count` blocks among the nodes in `miners`, a block time apart, each by a node
    /// drawn in proportion to its rate, on its own head; returns them.
    pub async fn mine_among(&mut self, miners: &[usize], count: usize) -> Vec<Block> {
        let mut mined = Vec::with_capacity(count);
        for _ in 0..count {
            tokio::time::sleep(BLOCK_TIME).await;
            let winner = self.draw_winner(miners);
            mined.push(self.mine(winner).await);
        }
        mined
    }

    /// Mines `count` blocks among the nodes in `miners` as the hash lottery would: the wait
    /// for each is drawn from the exponential distribution whose mean is the winner's head
    /// difficulty over the miners' summed hash rate ([`HASHES_PER_SECOND`] per unit of
    /// rate). Blocks come early or late until the difficulty follows the hash rate.
    pub async fn mine_by_work(&mut self, miners: &[usize], count: usize) -> Vec<Block> {
        let mut mined = Vec::with_capacity(count);
        for _ in 0..count {
            let winner = self.draw_winner(miners);
            let rate: u32 = miners.iter().map(|i| self.rates[*i]).sum();
            let difficulty = self.nodes[winner].head().expect("head").difficulty;
            let difficulty = difficulty.expect("a chain with work").saturating_to::<u64>() as f64;
            let mean_secs = difficulty / (f64::from(rate) * HASHES_PER_SECOND);
            let draw: f64 = self.rng.random_range(f64::EPSILON..1.0);
            let wait = Duration::from_secs_f64(-draw.ln() * mean_secs);
            tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
            mined.push(self.mine(winner).await);
        }
        mined
    }

    /// One of `miners`, drawn in proportion to its hash rate.
    fn draw_winner(&mut self, miners: &[usize]) -> usize {
        let total: u32 = miners.iter().map(|i| self.rates[*i]).sum();
        assert!(total > 0, "nobody mines among {miners:?}");
        let mut draw = self.rng.random_range(0..total);
        miners
            .iter()
            .copied()
            .find(|i| {
                let rate = self.rates[*i];
                if draw < rate {
                    true
                } else {
                    draw -= rate;
                    false
                }
            })
            .expect("a winner")
    }

    /// A node of the chain on no network: a hostile peer's workshop, where it builds the
    /// blocks it sends.
    pub fn workshop(&self) -> Arc<Node<MemoryKv>> {
        let roles = ConsensusRoles::of(Arc::new(PowConsensus::new(&self.spec, Address::ZERO)));
        let node = Node::open(MemoryKv::new(), self.spec.clone(), roles).expect("a node");
        Arc::new(node.with_clock(self.clock.clone()))
    }

    /// Finds `block`'s work at the difficulty its header carries.
    pub fn seal(block: &mut Block) {
        let difficulty = block.header.difficulty.expect("a chain with work");
        let never = std::sync::atomic::AtomicBool::new(false);
        let nonce = pow::search(block.header.hash(), difficulty, 0..u64::MAX, &never)
            .expect("a nonce below the target");
        block.header.seal = pow::seal(nonce);
    }

    /// Node `index` mines one block on its head now and takes it (its network announces it).
    pub async fn mine(&self, index: usize) -> Block {
        let node = self.nodes[index].clone();
        let block = tokio::task::spawn_blocking(move || -> Result<Block, NodeError> {
            let coinbase = Address::with_last_byte(0xc0 + index as u8);
            let mut block = node.build_candidate(coinbase)?.block;
            Self::seal(&mut block);
            let imported = node.import_block(block.clone())?;
            assert!(matches!(imported, Imported::Extended(_)), "{imported:?}");
            Ok(block)
        })
        .await
        .expect("mining did not panic");
        block.expect("node mines")
    }

    /// The head hash of each node.
    pub fn heads(&self) -> Vec<B256> {
        self.nodes.iter().map(|node| node.head().expect("head").hash()).collect()
    }

    /// Waits (in simulated time) until `done` holds.
    pub async fn until(&self, what: &str, mut done: impl FnMut(&Self) -> bool) {
        let deadline = tokio::time::Instant::now() + SIM_DEADLINE;
        while !done(self) {
            assert!(tokio::time::Instant::now() < deadline, "timed out waiting until {what}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits until the nodes in `group` share one head; returns it.
    pub async fn agree(&self, group: &[usize]) -> B256 {
        self.until("the nodes agree", |net| {
            let heads = net.heads();
            group.iter().all(|i| heads[*i] == heads[group[0]])
        })
        .await;
        self.heads()[group[0]]
    }

    /// Stops every node's network task.
    pub async fn stop(mut self) {
        for network in self.networks.iter_mut().filter_map(Option::take) {
            network.stop().await;
        }
    }
}
