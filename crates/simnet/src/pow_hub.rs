//! The proof-of-work side of the in-process network: each node's [`SimTransport`] hands its
//! gossip, requests and answers to a hub that delivers them to the peers it is linked to, at
//! once and in order, and that the test partitions and heals. A ban cuts the link between
//! the two nodes for good, as libp2p's ban refuses the peer's connections.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use bytes::Bytes;
use cairn_network::{Keypair, PeerId};
use cairn_pow::{NetEvent, Topic, Transport};
use tokio::sync::mpsc;

/// Events waiting for one node's network task; a node that falls this far behind loses the
/// excess, as a lossy network would.
const QUEUE: usize = 65_536;

/// What the hub knows: each node's queue and identity, who is linked, who banned whom, and
/// the requests waiting for an answer.
#[derive(Default)]
struct State {
    queues: Vec<Option<mpsc::Sender<NetEvent<SimTransport>>>>,
    ids: Vec<PeerId>,
    /// The group of each node: nodes of one group are linked.
    groups: Vec<usize>,
    /// (who banned, whom).
    bans: HashSet<(usize, usize)>,
    /// Request id to (asker, answerer).
    pending: HashMap<u64, (usize, usize)>,
    next_request: u64,
}

impl State {
    fn linked(&self, a: usize, b: usize) -> bool {
        a != b
            && self.groups[a] == self.groups[b]
            && !self.bans.contains(&(a, b))
            && !self.bans.contains(&(b, a))
            && self.queues[a].is_some()
            && self.queues[b].is_some()
    }

    fn deliver(&self, to: usize, event: NetEvent<SimTransport>) {
        if let Some(queue) = &self.queues[to]
            && queue.try_send(event).is_err()
        {
            tracing::warn!(node = to, "a simulated node's network queue is full; event lost");
        }
    }

    fn index_of(&self, peer: &PeerId) -> Option<usize> {
        self.ids.iter().position(|id| id == peer)
    }

    /// Tells both ends of every link that `change` makes or breaks.
    fn relink(&mut self, change: impl FnOnce(&mut Self)) {
        let nodes = self.ids.len();
        let before: Vec<Vec<bool>> =
            (0..nodes).map(|a| (0..nodes).map(|b| self.linked(a, b)).collect()).collect();
        change(self);
        for (a, was) in before.iter().enumerate() {
            for (b, was_linked) in was.iter().enumerate() {
                match (*was_linked, self.linked(a, b)) {
                    (false, true) => self.deliver(a, NetEvent::Connected(self.ids[b])),
                    (true, false) => self.deliver(a, NetEvent::Disconnected(self.ids[b])),
                    _ => {}
                }
            }
        }
    }
}

/// The hub of a proof-of-work test network; cheap to clone.
#[derive(Clone, Default)]
pub struct PowHub {
    state: Arc<Mutex<State>>,
}

impl PowHub {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding the lock, and each change leaves the state whole.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a node linked to every node of group 0: its transport and the events for its
    /// network task (its peers' `Connected` among the first).
    pub fn join(&self) -> (SimTransport, mpsc::Receiver<NetEvent<SimTransport>>) {
        let (queue, events) = mpsc::channel(QUEUE);
        let mut state = self.lock();
        let index = state.ids.len();
        // Identities fixed by the node's index, so a run of a seed is the same every time.
        let mut secret = [0u8; 32];
        secret[..8].copy_from_slice(&(index as u64 + 1).to_be_bytes());
        let keypair = Keypair::ed25519_from_bytes(secret).expect("32 bytes are an ed25519 key");
        state.ids.push(keypair.public().to_peer_id());
        state.groups.push(0);
        state.queues.push(None);
        state.relink(|state| state.queues[index] = Some(queue));
        (SimTransport { hub: self.clone(), me: index }, events)
    }

    /// The peer id of node `index`.
    pub fn peer_id(&self, index: usize) -> PeerId {
        self.lock().ids[index]
    }

    /// Splits the nodes into groups: nodes in one group stay linked, links across are cut.
    /// Nodes named in no group form one more group.
    pub fn partition(&self, groups: &[&[usize]]) {
        self.lock().relink(|state| {
            let rest = groups.len() + 1;
            for node in 0..state.groups.len() {
                state.groups[node] =
                    groups.iter().position(|group| group.contains(&node)).map_or(rest, |g| g + 1);
            }
        });
    }

    /// Links every node again (bans stay).
    pub fn heal(&self) {
        self.lock().relink(|state| state.groups.iter_mut().for_each(|group| *group = 0));
    }

    /// Whether node `who` banned node `whom`.
    pub fn banned(&self, who: usize, whom: usize) -> bool {
        self.lock().bans.contains(&(who, whom))
    }
}

/// One node's side of the hub.
#[derive(Clone)]
pub struct SimTransport {
    hub: PowHub,
    me: usize,
}

#[async_trait]
impl Transport for SimTransport {
    type Inbound = u64;
    type Outbound = u64;

    async fn publish(&self, topic: Topic, data: Bytes) {
        let state = self.hub.lock();
        let from = state.ids[self.me];
        for peer in 0..state.ids.len() {
            if state.linked(self.me, peer) {
                state.deliver(peer, NetEvent::Message { topic, from, data: data.clone() });
            }
        }
    }

    async fn request(&self, peer: PeerId, data: Bytes) -> Option<u64> {
        let mut state = self.hub.lock();
        state.queues[self.me].as_ref()?;
        let id = state.next_request;
        state.next_request += 1;
        match state.index_of(&peer).filter(|to| state.linked(self.me, *to)) {
            Some(to) => {
                state.pending.insert(id, (self.me, to));
                let from = state.ids[self.me];
                state.deliver(to, NetEvent::Request { id, from, data });
            }
            None => state.deliver(self.me, NetEvent::Failed { id, peer }),
        }
        Some(id)
    }

    async fn respond(&self, id: u64, data: Option<Bytes>) {
        let mut state = self.hub.lock();
        let Some((asker, answerer)) = state.pending.remove(&id) else { return };
        let from = state.ids[answerer];
        match data.filter(|_| state.linked(asker, answerer)) {
            Some(data) => state.deliver(asker, NetEvent::Response { id, from, data }),
            None => state.deliver(asker, NetEvent::Failed { id, peer: from }),
        }
    }

    async fn ban(&self, peer: PeerId) {
        let mut state = self.hub.lock();
        let me = self.me;
        if let Some(whom) = state.index_of(&peer) {
            state.relink(|state| {
                state.bans.insert((me, whom));
            });
        }
    }

    async fn shutdown(self) {
        let me = self.me;
        self.hub.lock().relink(|state| state.queues[me] = None);
    }
}

impl SimTransport {
    /// This node's peer id.
    pub fn peer_id(&self) -> PeerId {
        self.hub.peer_id(self.me)
    }
}
