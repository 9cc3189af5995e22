//! The harness: build a network, then crash, restart, wipe, partition and heal its nodes and
//! wait for heights on the simulated clock.

use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::{Address, Bytes};
use alloy_signer_local::PrivateKeySigner;
use cairn_bft::{CairnContext, ConsensusSigner, EvidenceLog, decode_seal, verify_certificate};
use cairn_node::Node;
use cairn_primitives::{ChainSpec, Clock};
use cairn_storage::MemoryKv;
use malachitebft_core_consensus::SignedConsensusMsg;
use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::clock::SimClock;
use crate::genesis::{self, Genesis};
use crate::hub::{Hub, LinkFaults};
use crate::node::{self, Life, Slot};
use crate::seed::Seed;
use crate::store::SimKv;
use crate::wal::SharedWal;

/// How long a wait may take in simulated time before the test fails: far beyond any healthy
/// progress, and only milliseconds of real time once nothing but timers is left.
const SIM_DEADLINE: Duration = Duration::from_secs(600);

/// Who the second copy of a double-signing validator pays its fees to, so its blocks differ.
const DOUBLE_FEE_RECIPIENT: Address = Address::repeat_byte(0xd5);

/// What the second copy's blocks carry in `extra_data`: on proof of stake every block pays
/// the staking contract, so this is what makes its blocks differ.
const DOUBLE_EXTRA_DATA: &[u8] = b"the other copy";

/// Describes a network before it starts.
#[derive(Debug, Clone)]
pub struct NetBuilder {
    seed: Seed,
    validators: usize,
    full_nodes: usize,
    candidates: usize,
    faults: LinkFaults,
    block_time: Duration,
    double_of: Option<usize>,
    stopped: Vec<usize>,
    epoch_length: Option<u64>,
    consortium: Option<Consortium>,
    hostile: Option<usize>,
}

/// How a consortium network is governed.
#[derive(Debug, Clone, Copy)]
struct Consortium {
    orgs: usize,
    epoch_length: u64,
}

impl NetBuilder {
    /// Four validators of equal power, no full node, reliable links, 1 s blocks.
    pub fn new(seed: Seed) -> Self {
        Self {
            seed,
            validators: 4,
            full_nodes: 0,
            candidates: 0,
            faults: LinkFaults::RELIABLE,
            block_time: Duration::from_secs(1),
            double_of: None,
            stopped: Vec::new(),
            epoch_length: None,
            consortium: None,
            hostile: None,
        }
    }

    /// How many validators (nodes `0..n`).
    pub fn validators(mut self, n: usize) -> Self {
        self.validators = n;
        self
    }

    /// How many full nodes (the nodes after the validators).
    pub fn full_nodes(mut self, n: usize) -> Self {
        self.full_nodes = n;
        self
    }

    /// How many candidates (the nodes after the full nodes): full nodes that hold a consensus
    /// key outside the genesis set, as `cairn testnet init` gives every full node one, so a
    /// scenario can register them as validators and see them sign once they enter the set.
    pub fn candidates(mut self, n: usize) -> Self {
        self.candidates = n;
        self
    }

    /// The faults of every link.
    pub fn faults(mut self, faults: LinkFaults) -> Self {
        self.faults = faults;
        self
    }

    /// The chain's block time.
    pub fn block_time(mut self, block_time: Duration) -> Self {
        self.block_time = block_time;
        self
    }

    /// One more node, last, running validator `of`'s key with its own store, network
    /// identity, fee recipient and `extra_data`: a validator operator who started the same key
    /// twice.
    pub fn double_signer(mut self, of: usize) -> Self {
        self.double_of = Some(of);
        self
    }

    /// A proof-of-stake chain with epochs of `epoch_length` blocks: the validators are bonded
    /// at genesis with 1,000 ether each, operated by the funded accounts of their indexes.
    pub fn pos(mut self, epoch_length: u64) -> Self {
        self.epoch_length = Some(epoch_length);
        self
    }

    /// A BFT chain governed by `orgs` organisations `org1`, `org2`, … (the governance contract
    /// numbers them from 1), with epochs of `epoch_length` blocks and proposals open for
    /// [`VOTING_PERIOD_BLOCKS`](crate::VOTING_PERIOD_BLOCKS) blocks after the block that
    /// proposed them. Node `i` (its peer id) and, for a validator, its validator belong to
    /// organisation `i mod orgs`; a double signer's node belongs to none. Funded account
    /// `k < orgs` administers organisation `k`; accounts `k` from `orgs` up to
    /// [`CONSORTIUM_MEMBERS`](crate::CONSORTIUM_MEMBERS) (excluded) are members of organisation
    /// `k mod orgs`; the accounts from `CONSORTIUM_MEMBERS` on are members of none, so their
    /// transactions are refused. Account and node permissioning are on.
    pub fn consortium(mut self, orgs: usize, epoch_length: u64) -> Self {
        self.consortium = Some(Consortium { orgs, epoch_length });
        self
    }

    /// Validator `of` ignores its chain's account rules (consensus and everything else as
    /// the others): its pool admits anyone's transactions and its proposals carry them, as a
    /// validator running a modified binary would.
    pub fn hostile(mut self, of: usize) -> Self {
        self.hostile = Some(of);
        self
    }

    /// Nodes created but not started; [`NodeCtl::start`] starts them.
    pub fn stopped(mut self, nodes: &[usize]) -> Self {
        self.stopped = nodes.to_vec();
        self
    }

    /// Starts every node not named in [`NetBuilder::stopped`].
    pub async fn start(self) -> TestNet {
        assert!(
            self.consortium.is_none() || self.epoch_length.is_none(),
            "a consortium does not run proof of stake"
        );
        let mut rng = StdRng::seed_from_u64(self.seed.0);
        let mut genesis = genesis::draw(
            &mut rng,
            self.validators,
            self.candidates,
            self.block_time,
            self.epoch_length,
        );
        let mut slots = Vec::new();
        let slot = |index: usize, name: String, signer, fee_recipient, extra_data| Slot {
            index,
            name,
            signer,
            fee_recipient,
            extra_data,
            lawless: self.hostile == Some(index),
            memory: MemoryKv::new(),
            wal: SharedWal::default(),
            evidence: Arc::new(EvidenceLog::in_memory()),
        };
        for (i, signer) in genesis.signers.iter().enumerate() {
            slots.push(slot(
                i,
                format!("node{i}"),
                Some(signer.clone()),
                signer.address().0,
                Bytes::new(),
            ));
        }
        for i in self.validators..self.validators + self.full_nodes {
            slots.push(slot(i, format!("node{i}"), None, Address::ZERO, Bytes::new()));
        }
        for signer in &genesis.candidates {
            let i = slots.len();
            slots.push(slot(
                i,
                format!("node{i}"),
                Some(signer.clone()),
                Address::ZERO,
                Bytes::new(),
            ));
        }
        if let Some(of) = self.double_of {
            let i = slots.len();
            let signer = genesis.signers[of].clone();
            let extra = Bytes::from_static(DOUBLE_EXTRA_DATA);
            slots.push(slot(i, format!("node{i}"), Some(signer), DOUBLE_FEE_RECIPIENT, extra));
        }
        let peers: Vec<_> = slots.iter().map(|_| genesis::peer_id(&mut rng)).collect();
        if let Some(Consortium { orgs, epoch_length }) = self.consortium {
            let nodes: Vec<_> = slots
                .iter()
                .zip(&peers)
                .take(slots.len() - usize::from(self.double_of.is_some()))
                .map(|(slot, peer)| {
                    let validator = genesis.signers.get(slot.index).map(|s| s.address().0);
                    (*peer, validator)
                })
                .collect();
            genesis::govern(&mut genesis, orgs, epoch_length, &nodes);
        }
        let (hub, deliveries, crashes) = Hub::start(self.seed.0, peers, self.faults);
        let lives = slots.iter().map(|_| None).collect();
        let mut net = TestNet {
            seed: self.seed,
            genesis,
            hub,
            deliveries,
            crashes,
            clock: Arc::new(SimClock::new()),
            progress: Arc::new(Notify::new()),
            last_heights: vec![0; slots.len()],
            slots,
            lives,
        };
        for i in 0..net.slots.len() {
            if !self.stopped.contains(&i) {
                net.launch(i).await;
            }
        }
        net
    }
}

/// A running simulated network.
pub struct TestNet {
    seed: Seed,
    genesis: Genesis,
    hub: Hub,
    deliveries: JoinHandle<()>,
    /// Nodes a crash trigger fired for, whose crash the harness completes.
    crashes: mpsc::UnboundedReceiver<usize>,
    /// The simulated wall clock every node reads.
    clock: Arc<dyn Clock>,
    /// Woken by every block any node commits.
    progress: Arc<Notify>,
    /// Each stopped node's height when it stopped.
    last_heights: Vec<u64>,
    slots: Vec<Slot>,
    lives: Vec<Option<Life>>,
}

impl TestNet {
    /// The seed this network was drawn from.
    pub fn seed(&self) -> Seed {
        self.seed
    }

    /// The chain spec every node runs.
    pub fn spec(&self) -> &ChainSpec {
        &self.genesis.spec
    }

    /// Accounts funded at genesis, for the scenarios' transactions.
    pub fn accounts(&self) -> &[PrivateKeySigner] {
        &self.genesis.accounts
    }

    /// Validator `i`'s address.
    pub fn validator(&self, i: usize) -> Address {
        self.genesis.signers[i].address().0
    }

    /// Node `i`'s consensus key (a validator's, a candidate's or a double signer's); panics for
    /// a node without one.
    pub fn consensus_key(&self, i: usize) -> &ConsensusSigner {
        match &self.slots[i].signer {
            Some(signer) => signer,
            None => panic!("seed {}: node {i} has no consensus key", self.seed.0),
        }
    }

    /// Node `i`, to crash, restart, wipe or start it.
    pub fn node(&mut self, i: usize) -> NodeCtl<'_> {
        NodeCtl { net: self, index: i }
    }

    /// Node `i` as its servers would see it; panics if it is not running.
    pub fn reads(&self, i: usize) -> Arc<Node<SimKv>> {
        match &self.lives[i] {
            Some(life) => life.node.clone(),
            None => panic!("seed {}: node {i} is not running", self.seed.0),
        }
    }

    /// Equivocations node `i` has recorded, oldest first, read through its consensus rules as
    /// its REST API (`/v1/validators`) and JSON-RPC (`cairn_getEvidence`) serve them; panics if
    /// it is not running.
    pub fn evidence(&self, i: usize) -> Vec<cairn_consensus::Equivocation> {
        self.reads(i).consensus().evidence()
    }

    /// Node `i`'s height (the one it stopped at, if it is not running).
    pub fn height(&self, i: usize) -> u64 {
        match &self.lives[i] {
            Some(life) => life.node.head().expect("head").number,
            None => self.last_heights[i],
        }
    }

    /// Every node's height.
    pub fn heights(&self) -> Vec<u64> {
        (0..self.slots.len()).map(|i| self.height(i)).collect()
    }

    fn running(&self) -> Vec<usize> {
        (0..self.slots.len()).filter(|&i| self.lives[i].is_some()).collect()
    }

    /// Cuts every link between nodes of different groups (a node in no group is alone); each
    /// side sees the other disconnect.
    pub fn partition(&mut self, groups: &[&[usize]]) {
        self.hub.partition(groups);
    }

    /// Restores every cut link.
    pub fn heal(&mut self) {
        self.hub.heal();
    }

    /// The faults every link applies to messages sent from now on.
    pub fn set_faults(&mut self, faults: LinkFaults) {
        self.hub.set_faults(faults);
    }

    /// Crashes `node` the moment it publishes a consensus message `when` accepts: the message
    /// still leaves (it reached the wire), nothing after it does, and the crash completes as
    /// [`NodeCtl::crash`] does while the test waits.
    pub fn crash_when(
        &mut self,
        node: usize,
        when: impl Fn(&SignedConsensusMsg<CairnContext>) -> bool + Send + 'static,
    ) {
        self.hub.crash_when(node, Box::new(when));
    }

    /// Waits until every running node is at `height` or above.
    pub async fn wait_until_height(&mut self, height: u64) {
        let deadline = Instant::now() + SIM_DEADLINE;
        loop {
            let running = self.running();
            if running.iter().all(|&i| self.height(i) >= height) {
                return;
            }
            self.wait_for_progress(deadline, || format!("running nodes {running:?}"), height).await;
        }
    }

    /// Waits until every node in `nodes` is at `height` or above.
    pub async fn wait_until(&mut self, nodes: &[usize], height: u64) {
        let deadline = Instant::now() + SIM_DEADLINE;
        while nodes.iter().any(|&i| self.height(i) < height) {
            self.wait_for_progress(deadline, || format!("nodes {nodes:?}"), height).await;
        }
    }

    /// Lets `duration` of simulated time pass.
    pub async fn run_for(&mut self, duration: Duration) {
        let until = Instant::now() + duration;
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(until) => return,
                crashed = self.crashes.recv() => {
                    if let Some(i) = crashed {
                        self.finish_crash(i).await;
                    }
                }
            }
        }
    }

    async fn wait_for_progress(
        &mut self,
        deadline: Instant,
        who: impl Fn() -> String,
        height: u64,
    ) {
        let crashed = tokio::select! {
            () = self.progress.notified() => None,
            crashed = self.crashes.recv() => crashed,
            () = tokio::time::sleep_until(deadline) => panic!(
                "seed {}: {} did not reach height {height} in {} s of simulated time; heights {:?}",
                self.seed.0,
                who(),
                SIM_DEADLINE.as_secs(),
                self.heights()
            ),
        };
        if let Some(i) = crashed {
            self.finish_crash(i).await;
        }
    }

    /// Asserts that the running nodes hold one chain: at every height two nodes both have, the
    /// same block hash and state root, and every node's seal of every block is a certificate
    /// of more than two thirds of the validator set that node holds for that height (each node
    /// keeps the precommits it saw, so seals may differ where hashes may not).
    pub fn assert_agreement(&self) {
        let running = self.running();
        let top = running.iter().map(|&i| self.height(i)).max().unwrap_or(0);
        for number in 1..=top {
            let mut first: Option<(usize, cairn_primitives::Header)> = None;
            for &i in &running {
                let Some(block) = self.reads(i).block(number).expect("read") else { continue };
                let header = block.header;
                self.assert_certified(i, &header);
                match &first {
                    None => first = Some((i, header)),
                    Some((j, theirs)) => {
                        assert_eq!(
                            (header.hash(), header.state_root),
                            (theirs.hash(), theirs.state_root),
                            "seed {}: nodes {j} and {i} disagree at block {number}",
                            self.seed.0
                        );
                    }
                }
            }
        }
    }

    /// Asserts that `header`'s seal on node `i` is a certificate of the set node `i` holds for
    /// its height.
    fn assert_certified(&self, i: usize, header: &cairn_primitives::Header) {
        let number = header.number;
        let fail = |e: &dyn std::fmt::Debug| -> ! {
            panic!("seed {}: block {number} of node {i}: {e:?}", self.seed.0)
        };
        let certificate = decode_seal(&header.seal).unwrap_or_else(|e| fail(&e));
        let record = self.reads(i).validator_set(number).expect("read");
        let validators = self.genesis.schedule.convert(&record).expect("a usable set");
        verify_certificate(self.genesis.spec.chain_id, &validators, header, &certificate)
            .unwrap_or_else(|e| fail(&e));
    }

    /// Re-checks node `i`'s whole chain as `cairn verify` does (every block re-executed,
    /// every certificate checked) and panics if the audit fails.
    pub fn audit(&self, i: usize) {
        if let Err(failure) = self.reads(i).verify(&mut |_| {}) {
            panic!("seed {}: node {i} fails its audit: {failure:?}", self.seed.0);
        }
    }

    async fn launch(&mut self, i: usize) {
        assert!(self.lives[i].is_none(), "seed {}: node {i} is already running", self.seed.0);
        let life =
            node::start(&self.slots[i], &self.genesis, &self.hub, &self.clock, &self.progress)
                .await;
        self.lives[i] = Some(life);
    }

    async fn finish_crash(&mut self, i: usize) {
        let Some(life) = self.lives[i].take() else { return };
        self.last_heights[i] = life.node.head().expect("head").number;
        life.crash(&self.slots[i].wal).await;
    }
}

impl Drop for TestNet {
    /// A failing run leaves the hub's last deliveries in a file named after its seed.
    fn drop(&mut self) {
        self.deliveries.abort();
        if std::thread::panicking() {
            let path = std::env::temp_dir().join(format!("cairn-simnet-{}.log", self.seed.0));
            let log = self.hub.log().join("\n");
            match std::fs::write(&path, log) {
                Ok(()) => eprintln!("simnet: last deliveries in {}", path.display()),
                Err(e) => eprintln!("simnet: cannot write {}: {e}", path.display()),
            }
        }
    }
}

/// One node of a [`TestNet`].
pub struct NodeCtl<'a> {
    net: &'a mut TestNet,
    index: usize,
}

impl NodeCtl<'_> {
    /// Crashes the node as `kill -9` would: its links go down, consensus is killed mid-message,
    /// its store refuses writes still in flight, and its write-ahead log keeps what was flushed.
    pub async fn crash(self) {
        self.net.hub.down(self.index);
        self.net.finish_crash(self.index).await;
    }

    /// Starts a crashed node again over what its store and write-ahead log kept.
    pub async fn restart(self) {
        self.net.launch(self.index).await;
    }

    /// Starts a node the builder created stopped.
    pub async fn start(self) {
        self.net.launch(self.index).await;
    }

    /// Empties a crashed node's store and write-ahead log (its evidence log stays), as an
    /// operator who deletes the data directory; a restart then syncs from genesis.
    pub fn reset_db(self) {
        let i = self.index;
        assert!(
            self.net.lives[i].is_none(),
            "seed {}: reset_db of running node {i}",
            self.net.seed.0
        );
        self.net.slots[i].memory = MemoryKv::new();
        self.net.slots[i].wal = SharedWal::default();
        self.net.last_heights[i] = 0;
    }

    /// The node's height.
    pub fn height(&self) -> u64 {
        self.net.height(self.index)
    }
}
