//! The hub: every link of the simulated network. Nodes hand it what they publish; it decides
//! each copy's fate from the seed and the message's content, holds it for its delay, and hands
//! it to the receiving node's consensus and sync actors as the libp2p network actor would.
//! Partitions and crashes cut links; a cut link loses everything, requests included.

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeSet, BinaryHeap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use alloy_primitives::{B256, keccak256};
use bytes::Bytes;
use cairn_bft::{BorshCodec, CairnContext, ProposalPart};
use malachitebft_codec::Codec;
use malachitebft_core_consensus::{LivenessMsg, SignedConsensusMsg};
use malachitebft_engine::network::{Multiaddr, NetworkEvent, Status, Subscriber};
use malachitebft_engine::util::streaming::StreamMessage;
use malachitebft_network::{Channel, PeerId};
use malachitebft_sync::{InboundRequestId, OutboundRequestId, Request, Response};
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tracing::warn;

/// Deliveries remembered for the log a failing run leaves behind.
const LOG_LINES: usize = 4_096;

/// How the links of the network treat each message: lost with probability `drop`, otherwise
/// delivered after a delay drawn from `min_delay..=max_delay` (in whole milliseconds, at least
/// one: nothing arrives in the instant it is sent). Random delays reorder messages.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkFaults {
    /// Probability that a message is lost, from 0 to 1.
    pub drop: f64,
    /// Shortest delay.
    pub min_delay: Duration,
    /// Longest delay.
    pub max_delay: Duration,
}

impl LinkFaults {
    /// Nothing lost, 1 to 20 ms: a fast local network.
    pub const RELIABLE: Self = Self {
        drop: 0.0,
        min_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(20),
    };

    /// Every message delayed `min..=max` and none lost.
    pub fn delayed(min: Duration, max: Duration) -> Self {
        Self { drop: 0.0, min_delay: min, max_delay: max }
    }

    /// Every message lost with probability `drop`, the others delayed `min..=max`.
    pub fn lossy(drop: f64, min: Duration, max: Duration) -> Self {
        Self { drop, min_delay: min, max_delay: max }
    }
}

impl Default for LinkFaults {
    fn default() -> Self {
        Self::RELIABLE
    }
}

/// What a node publishes or sends, before it is encoded.
pub(crate) enum Outbound {
    Consensus(SignedConsensusMsg<CairnContext>),
    Liveness(LivenessMsg<CairnContext>),
    ProposalPart(StreamMessage<ProposalPart>),
    Status(Status<CairnContext>),
}

/// A message's name, in its fate and in the delivery log.
struct Label {
    /// What the message is, apart from anything that follows task timing: its kind, height,
    /// round and signer (a transaction's own bytes). Block times follow the simulated clock,
    /// but the instant a proposal is built and the transactions it holds depend on when
    /// blocking-pool work completes, so the block hashes that votes and proposals name may
    /// differ from run to run; keying fates on this instead of the message bytes gives a
    /// replay the same fates.
    stable: String,
    /// What it names that may differ between runs (a block hash), for the log only.
    detail: String,
}

impl Label {
    fn new(stable: String) -> Self {
        Self { stable, detail: String::new() }
    }
}

/// The kinds of traffic; part of each message's fate key, and of the delivery log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Consensus,
    Liveness,
    ProposalPart,
    Status,
    Request,
    Response,
    Tx,
}

/// A network event on the wire: encoded as libp2p would carry it, decoded again by each
/// receiver.
#[derive(Clone)]
enum Wire {
    Consensus(Bytes),
    Liveness(Bytes),
    ProposalPart(Bytes),
    Status(Bytes),
    Request(InboundRequestId, Bytes),
    Response(OutboundRequestId, Bytes),
}

impl Wire {
    fn class(&self) -> Class {
        match self {
            Wire::Consensus(_) => Class::Consensus,
            Wire::Liveness(_) => Class::Liveness,
            Wire::ProposalPart(_) => Class::ProposalPart,
            Wire::Status(_) => Class::Status,
            Wire::Request(..) => Class::Request,
            Wire::Response(..) => Class::Response,
        }
    }
}

/// What travels over a link: a network event for the receiver's actors, or a transaction for
/// its pool.
enum Payload {
    Event(Wire),
    Tx(Bytes),
}

impl Payload {
    fn class(&self) -> Class {
        match self {
            Payload::Event(wire) => wire.class(),
            Payload::Tx(_) => Class::Tx,
        }
    }
}

/// One copy of a message on its way to one node.
struct Delivery {
    at: Instant,
    /// The message's fate key; orders deliveries due at the same instant by content, not by
    /// the order their senders happened to run in.
    key: B256,
    seq: u64,
    from: usize,
    to: usize,
    /// The receiver's life when the message was sent; a receiver that crashed since never
    /// gets it.
    life: u64,
    payload: Payload,
}

impl Delivery {
    fn order(&self) -> (Instant, B256, u64) {
        (self.at, self.key, self.seq)
    }
}

impl PartialEq for Delivery {
    fn eq(&self, other: &Self) -> bool {
        self.order() == other.order()
    }
}

impl Eq for Delivery {}

impl PartialOrd for Delivery {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Delivery {
    fn cmp(&self, other: &Self) -> Ordering {
        self.order().cmp(&other.order())
    }
}

type EventSink = Box<dyn Subscriber<NetworkEvent<CairnContext>>>;

/// A node's end of the network.
struct Port {
    peer: PeerId,
    /// Bumped each time the node starts; messages from and to an older life are dropped.
    life: u64,
    up: bool,
    /// The node's consensus and sync actors, which subscribed to its network actor.
    sinks: Vec<EventSink>,
    /// Where transactions relayed to this node go.
    txs: Option<mpsc::UnboundedSender<Bytes>>,
}

/// A sync request on its way: who asked, under which id, and who answers.
struct Route {
    requester: usize,
    requester_life: u64,
    outbound: OutboundRequestId,
}

/// Decides whether a node's consensus message is the moment it crashes.
pub(crate) type CrashTrigger = Box<dyn Fn(&SignedConsensusMsg<CairnContext>) -> bool + Send>;

struct State {
    seed: u64,
    faults: LinkFaults,
    ports: Vec<Port>,
    /// Links cut by a partition, as (lower, higher) node index.
    cut: BTreeSet<(usize, usize)>,
    queue: BinaryHeap<Reverse<Delivery>>,
    seq: u64,
    /// How often each (from, to, stable label digest) was sent: a resent message gets its own
    /// fate.
    sent: HashMap<(usize, usize, B256), u32>,
    routes: HashMap<InboundRequestId, Route>,
    triggers: Vec<(usize, CrashTrigger)>,
    crashes: mpsc::UnboundedSender<usize>,
    log: VecDeque<String>,
    /// When the hub started: the log's times are simulated time since then.
    started: Instant,
}

struct Shared {
    state: Mutex<State>,
    wake: Notify,
}

/// The simulated network's links; cloned into every node's network actor.
#[derive(Clone)]
pub(crate) struct Hub {
    shared: Arc<Shared>,
}

impl Hub {
    /// A network of nodes with these peer ids, all down until they start, and the task that
    /// delivers its messages. Nodes a crash trigger fired for arrive on the receiver.
    pub(crate) fn start(
        seed: u64,
        peers: Vec<PeerId>,
        faults: LinkFaults,
    ) -> (Hub, JoinHandle<()>, mpsc::UnboundedReceiver<usize>) {
        let (crashes, crashed) = mpsc::unbounded_channel();
        let ports = peers
            .into_iter()
            .map(|peer| Port { peer, life: 0, up: false, sinks: Vec::new(), txs: None })
            .collect();
        let state = State {
            seed,
            faults,
            ports,
            cut: BTreeSet::new(),
            queue: BinaryHeap::new(),
            seq: 0,
            sent: HashMap::new(),
            routes: HashMap::new(),
            triggers: Vec::new(),
            crashes,
            log: VecDeque::with_capacity(LOG_LINES),
            started: Instant::now(),
        };
        let hub =
            Hub { shared: Arc::new(Shared { state: Mutex::new(state), wake: Notify::new() }) };
        let deliveries = tokio::spawn(hub.clone().deliver());
        (hub, deliveries, crashed)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Delivers each message when it is due, forever.
    async fn deliver(self) {
        loop {
            let next = self.state().queue.peek().map(|d| d.0.at);
            match next {
                Some(at) if at <= Instant::now() => self.state().deliver_due(at),
                Some(at) => tokio::select! {
                    () = tokio::time::sleep_until(at) => {}
                    () = self.shared.wake.notified() => {}
                },
                None => self.shared.wake.notified().await,
            }
        }
    }

    /// A node starts a new life: its links come up and its peers see it connect. Returns the
    /// life, which its network actor names in everything it hands over.
    pub(crate) fn begin_life(&self, node: usize, txs: mpsc::UnboundedSender<Bytes>) -> u64 {
        let mut state = self.state();
        let port = &mut state.ports[node];
        port.life += 1;
        port.up = true;
        port.sinks.clear();
        port.txs = Some(txs);
        let life = port.life;
        let peer = port.peer;
        for other in state.reachable_from(node) {
            state.ports[other].emit(NetworkEvent::PeerConnected(peer));
            state.ports[other].emit(NetworkEvent::PeerSubscribed(peer, Channel::Sync));
        }
        life
    }

    /// A node crashes: its links go down at once, what is on the way to it is lost, and its
    /// peers see it disconnect. What it sent before is still delivered.
    pub(crate) fn down(&self, node: usize) {
        self.state().down(node);
    }

    /// One of the node's actors subscribes to its network events: it learns its listen address
    /// and the peers it reaches, as libp2p's network actor tells a late subscriber.
    pub(crate) fn subscribe(&self, node: usize, life: u64, sink: EventSink) {
        let mut state = self.state();
        if !state.is_current(node, life) {
            return;
        }
        let address: Multiaddr =
            format!("/memory/{node}").parse().unwrap_or_else(|_| Multiaddr::empty());
        sink.send(NetworkEvent::Listening(address));
        for other in state.reachable_from(node) {
            let peer = state.ports[other].peer;
            sink.send(NetworkEvent::PeerConnected(peer));
            sink.send(NetworkEvent::PeerSubscribed(peer, Channel::Sync));
        }
        state.ports[node].sinks.push(sink);
    }

    /// Sends what a node publishes to every peer it reaches.
    pub(crate) fn publish(&self, node: usize, life: u64, message: Outbound) {
        let mut state = self.state();
        if !state.is_current(node, life) {
            return;
        }
        let crashes_now = match &message {
            Outbound::Consensus(m) => state.take_trigger(node, m),
            _ => false,
        };
        let (wire, label) = match encode(node, &state.ports[node].peer, message) {
            Ok(encoded) => encoded,
            Err(e) => {
                warn!(node, error = %e, "cannot encode a consensus message");
                return;
            }
        };
        for to in state.reachable_from(node) {
            state.schedule(node, to, &label, Payload::Event(wire.clone()));
        }
        if crashes_now {
            state.down(node);
            let _ = state.crashes.send(node);
        }
        drop(state);
        self.shared.wake.notify_one();
    }

    /// Sends a sync request to the peer `to`; the requester already holds `outbound` as its id.
    pub(crate) fn request(
        &self,
        node: usize,
        life: u64,
        to: PeerId,
        outbound: OutboundRequestId,
        request: &Request<CairnContext>,
    ) {
        let mut state = self.state();
        if !state.is_current(node, life) {
            return;
        }
        let Some(target) = state.ports.iter().position(|p| p.peer == to) else { return };
        if !state.reaches(node, target) {
            state.note(format!("{node}->{target} request {outbound}: no link"));
            return;
        }
        let bytes = match BorshCodec.encode(request) {
            Ok(bytes) => bytes,
            Err(e) => {
                warn!(node, error = %e, "cannot encode a sync request");
                return;
            }
        };
        let inbound = InboundRequestId::new(format!("{node}/{outbound}"));
        state.routes.insert(
            inbound.clone(),
            Route { requester: node, requester_life: life, outbound: outbound.clone() },
        );
        let label = Label::new(format!("request {outbound}"));
        state.schedule(node, target, &label, Payload::Event(Wire::Request(inbound, bytes)));
        drop(state);
        self.shared.wake.notify_one();
    }

    /// Sends a node's answer to a sync request back to whoever asked.
    pub(crate) fn respond(
        &self,
        node: usize,
        life: u64,
        inbound: &InboundRequestId,
        response: &Response<CairnContext>,
    ) {
        let mut state = self.state();
        let Some(route) = state.routes.remove(inbound) else { return };
        if !state.is_current(node, life) || !state.is_current(route.requester, route.requester_life)
        {
            return;
        }
        if !state.reaches(node, route.requester) {
            state.note(format!("{node}->{} response {}: no link", route.requester, route.outbound));
            return;
        }
        let bytes = match BorshCodec.encode(response) {
            Ok(bytes) => bytes,
            Err(e) => {
                warn!(node, error = %e, "cannot encode a sync response");
                return;
            }
        };
        let label = Label::new(format!("response {}", route.outbound));
        let payload = Payload::Event(Wire::Response(route.outbound, bytes));
        state.schedule(node, route.requester, &label, payload);
        drop(state);
        self.shared.wake.notify_one();
    }

    /// The requester gave up on a request: a late answer is not delivered.
    pub(crate) fn cancel_request(&self, node: usize, outbound: &OutboundRequestId) {
        self.state().routes.retain(|_, r| !(r.requester == node && r.outbound == *outbound));
    }

    /// The node will not answer a request it received.
    pub(crate) fn cancel_inbound(&self, inbound: &InboundRequestId) {
        self.state().routes.remove(inbound);
    }

    /// Relays a transaction a node's own client submitted to every peer it reaches (gossip
    /// on a full mesh: each peer hears it once, from the node that admitted it).
    pub(crate) fn relay_tx(&self, node: usize, life: u64, raw: Bytes) {
        let mut state = self.state();
        if !state.is_current(node, life) {
            return;
        }
        let label = Label::new(format!("tx {}", keccak256(&raw)));
        for to in state.reachable_from(node) {
            state.schedule(node, to, &label, Payload::Tx(raw.clone()));
        }
        drop(state);
        self.shared.wake.notify_one();
    }

    /// Cuts every link between nodes of different groups; a node in no group is alone.
    pub(crate) fn partition(&self, groups: &[&[usize]]) {
        let mut state = self.state();
        let nodes = state.ports.len();
        let group = |node: usize| groups.iter().position(|g| g.contains(&node));
        for a in 0..nodes {
            for b in a + 1..nodes {
                let apart = match (group(a), group(b)) {
                    (Some(x), Some(y)) => x != y,
                    _ => true,
                };
                if apart && !state.cut.contains(&(a, b)) {
                    state.disconnect(a, b);
                    state.cut.insert((a, b));
                }
            }
        }
    }

    /// Restores every cut link; the nodes on either side see each other connect again.
    pub(crate) fn heal(&self) {
        let mut state = self.state();
        for (a, b) in std::mem::take(&mut state.cut) {
            if state.ports[a].up && state.ports[b].up {
                let (pa, pb) = (state.ports[a].peer, state.ports[b].peer);
                state.ports[a].emit(NetworkEvent::PeerConnected(pb));
                state.ports[a].emit(NetworkEvent::PeerSubscribed(pb, Channel::Sync));
                state.ports[b].emit(NetworkEvent::PeerConnected(pa));
                state.ports[b].emit(NetworkEvent::PeerSubscribed(pa, Channel::Sync));
            }
        }
    }

    /// The faults every link applies from now on (messages already on the way keep theirs).
    pub(crate) fn set_faults(&self, faults: LinkFaults) {
        self.state().faults = faults;
    }

    /// Crashes `node` the moment it publishes a consensus message `when` accepts: the message
    /// still leaves, the node's links go down at once, and the node is sent to the harness to
    /// finish the crash.
    pub(crate) fn crash_when(&self, node: usize, when: CrashTrigger) {
        self.state().triggers.push((node, when));
    }

    /// The last deliveries decided, oldest first.
    pub(crate) fn log(&self) -> Vec<String> {
        self.state().log.iter().cloned().collect()
    }
}

impl State {
    fn is_current(&self, node: usize, life: u64) -> bool {
        let port = &self.ports[node];
        port.up && port.life == life
    }

    fn reaches(&self, a: usize, b: usize) -> bool {
        a != b && self.ports[a].up && self.ports[b].up && !self.is_cut(a, b)
    }

    /// Whether a partition cut the link between `a` and `b`.
    fn is_cut(&self, a: usize, b: usize) -> bool {
        self.cut.contains(&(a.min(b), a.max(b)))
    }

    fn reachable_from(&self, node: usize) -> Vec<usize> {
        (0..self.ports.len()).filter(|&other| self.reaches(node, other)).collect()
    }

    fn take_trigger(&mut self, node: usize, message: &SignedConsensusMsg<CairnContext>) -> bool {
        let fired = self.triggers.iter().position(|(n, when)| *n == node && when(message));
        fired.map(|i| self.triggers.remove(i)).is_some()
    }

    fn down(&mut self, node: usize) {
        if !self.ports[node].up {
            return;
        }
        let peer = self.ports[node].peer;
        for other in self.reachable_from(node) {
            self.ports[other].emit(NetworkEvent::PeerDisconnected(peer));
        }
        let port = &mut self.ports[node];
        port.up = false;
        port.sinks.clear();
        port.txs = None;
        self.note(format!("node {node} down"));
    }

    /// Both ends of a link that is being cut see the other disconnect.
    fn disconnect(&mut self, a: usize, b: usize) {
        if self.reaches(a, b) {
            let (pa, pb) = (self.ports[a].peer, self.ports[b].peer);
            self.ports[a].emit(NetworkEvent::PeerDisconnected(pb));
            self.ports[b].emit(NetworkEvent::PeerDisconnected(pa));
        }
    }

    /// Decides the fate of one copy of a message: lost, or delivered after a delay. The fate
    /// is a hash of the seed, the link, the message's stable label and how often a message so
    /// labelled went over this link before, so it does not depend on what else happens to be
    /// in flight.
    fn schedule(&mut self, from: usize, to: usize, label: &Label, payload: Payload) {
        let class = payload.class();
        let digest = keccak256(label.stable.as_bytes());
        let sent = self.sent.entry((from, to, digest)).or_insert(0);
        let nth = *sent;
        *sent += 1;
        let mut input = Vec::with_capacity(64);
        input.extend_from_slice(&self.seed.to_be_bytes());
        input.extend_from_slice(&(from as u64).to_be_bytes());
        input.extend_from_slice(&(to as u64).to_be_bytes());
        input.push(class as u8);
        input.extend_from_slice(digest.as_slice());
        input.extend_from_slice(&nth.to_be_bytes());
        let key = keccak256(&input);
        let roll = u64::from_be_bytes(key[0..8].try_into().unwrap_or_default());
        let now = Instant::now();
        if (roll as f64) < self.faults.drop * u64::MAX as f64 {
            self.note(format!("{from}->{to} {class:?} {} {}: lost", label.stable, label.detail));
            return;
        }
        let min = (self.faults.min_delay.as_millis() as u64).max(1);
        let max = (self.faults.max_delay.as_millis() as u64).max(min);
        let spread = u64::from_be_bytes(key[8..16].try_into().unwrap_or_default());
        let delay = Duration::from_millis(min + spread % (max - min + 1));
        let (stable, detail, ms) = (&label.stable, &label.detail, delay.as_millis());
        self.note(format!("{from}->{to} {class:?} {stable} {detail}: in {ms} ms"));
        self.seq += 1;
        let life = self.ports[to].life;
        let seq = self.seq;
        self.queue.push(Reverse(Delivery { at: now + delay, key, seq, from, to, life, payload }));
    }

    /// Hands every message due by `now` to its receiver, if it and the link are still there.
    fn deliver_due(&mut self, now: Instant) {
        while self.queue.peek().is_some_and(|d| d.0.at <= now) {
            let Some(Reverse(delivery)) = self.queue.pop() else { break };
            let Delivery { from, to, life, payload, .. } = delivery;
            // A sender that crashed since does not matter: its message was on the wire.
            if !self.is_current(to, life) || self.is_cut(from, to) {
                continue;
            }
            match payload {
                Payload::Tx(raw) => {
                    if let Some(txs) = &self.ports[to].txs {
                        let _ = txs.send(raw);
                    }
                }
                Payload::Event(wire) => match decode(self.ports[from].peer, wire) {
                    Ok(Some(event)) => self.ports[to].emit(event),
                    Ok(None) => {}
                    Err(e) => {
                        warn!(from, to, error = %e, "undecodable message on the simulated wire")
                    }
                },
            }
        }
    }

    fn note(&mut self, line: String) {
        if self.log.len() == LOG_LINES {
            self.log.pop_front();
        }
        let at = Instant::now().duration_since(self.started).as_secs_f64();
        self.log.push_back(format!("{at:10.3} s {line}"));
    }
}

impl Port {
    fn emit(&self, event: NetworkEvent<CairnContext>) {
        for sink in &self.sinks {
            sink.send(event.clone());
        }
    }
}

/// A published message in its wire form, with its label.
fn encode(
    node: usize,
    peer: &PeerId,
    message: Outbound,
) -> Result<(Wire, Label), cairn_bft::CodecError> {
    Ok(match message {
        Outbound::Consensus(m) => {
            let label = match &m {
                SignedConsensusMsg::Vote(v) => vote_label(&v.message),
                SignedConsensusMsg::Proposal(p) => Label {
                    stable: format!(
                        "proposal h{} r{} by {}",
                        p.message.height, p.message.round, p.message.validator_address
                    ),
                    detail: format!("{:?}", p.message.value),
                },
            };
            (Wire::Consensus(BorshCodec.encode(&m)?), label)
        }
        Outbound::Liveness(m) => {
            let label = match &m {
                LivenessMsg::Vote(v) => vote_label(&v.message),
                LivenessMsg::PolkaCertificate(c) => Label {
                    stable: format!("polka certificate h{} r{}", c.height, c.round),
                    detail: format!("{:?}", c.value_id),
                },
                LivenessMsg::SkipRoundCertificate(c) => Label::new(format!(
                    "round certificate h{} r{} {:?}",
                    c.height, c.round, c.cert_type
                )),
            };
            (Wire::Liveness(BorshCodec.encode(&m)?), label)
        }
        Outbound::ProposalPart(m) => {
            let label = Label::new(format!("part {} #{}", m.stream_id, m.sequence));
            (Wire::ProposalPart(BorshCodec.encode(&m)?), label)
        }
        Outbound::Status(s) => {
            let label = Label::new(format!("status of node {node} at {}", s.tip_height));
            (Wire::Status(cairn_bft::wire::encode_status(*peer, &s)?), label)
        }
    })
}

fn vote_label(vote: &cairn_bft::Vote) -> Label {
    Label {
        stable: format!(
            "{:?} h{} r{} by {}",
            vote.vote_type, vote.height, vote.round, vote.validator_address
        ),
        detail: format!("{:?}", vote.value),
    }
}

/// The event a receiver's actors get for a message from `from`, as libp2p's actor makes it
/// (`None`: a status naming another peer, which libp2p's actor drops too).
fn decode(
    from: PeerId,
    wire: Wire,
) -> Result<Option<NetworkEvent<CairnContext>>, cairn_bft::CodecError> {
    use cairn_bft::wire as w;
    Ok(Some(match wire {
        Wire::Consensus(bytes) => w::consensus_event(from, bytes)?,
        Wire::Liveness(bytes) => w::liveness_event(from, bytes)?,
        Wire::ProposalPart(bytes) => w::proposal_part_event(from, bytes)?,
        Wire::Status(bytes) => return w::status_event(from, bytes),
        Wire::Request(id, bytes) => w::request_event(id, from, bytes)?,
        Wire::Response(id, bytes) => w::response_event(id, from, bytes),
    }))
}
