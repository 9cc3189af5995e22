//! The task that runs a proof-of-work node's network: it publishes the blocks this node mines
//! and its tip, imports the blocks peers gossip, syncs headers first from the peer with the
//! most work, answers peers' requests, and bans peers that misbehave.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::{B256, U256};
use bytes::Bytes;
use cairn_consensus::ConsensusError;
use cairn_network::consensus::{self as net, ConsensusChannel, ConsensusConfig, ConsensusHandle};
use cairn_network::{Keypair, Multiaddr, PeerId};
use cairn_node::{ChainEvent, Imported, Node, NodeError};
use cairn_primitives::{Block, Header, MAX_BLOCK_TX_BYTES};
use cairn_storage::KvStore;
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::{MissedTickBehavior, interval};
use tracing::{debug, error, info, warn};

use crate::PowNetError;
use crate::orphans::Orphans;
use crate::peers::{Offence, PeerBook};
use crate::serve;
use crate::transport::{self, NetEvent, Topic, Transport};
use crate::wire::{self, BlockId, MAX_BLOCKS, MAX_HEADERS, MAX_LOCATOR, Request, Response, Tip};

/// Largest message or response: a block with the most transaction bytes, and room for its
/// header and framing.
pub const MAX_MESSAGE_BYTES: usize = MAX_BLOCK_TX_BYTES + 2 * 1024 * 1024;
/// How often the tip is published again, scores are forgiven a little, and a stopped sync
/// starts again.
const HEARTBEAT: Duration = Duration::from_secs(2);
/// Block hashes remembered as having come from peers (not mined here, so not announced).
const RECENT_FROM_PEERS: usize = 4096;
/// Network events waiting for the task; the network waits for room beyond this.
const EVENT_QUEUE: usize = 1024;

/// How to run a proof-of-work node's network.
#[derive(Debug, Clone)]
pub struct PowNetworkConfig {
    /// TCP address to listen on (port 0 picks a free port).
    pub listen: Multiaddr,
    /// Peers dialled at start and redialled while disconnected.
    pub peers: Vec<Multiaddr>,
    /// The node's libp2p identity.
    pub keypair: Keypair,
}

/// A running proof-of-work network task; stop it with [`PowNetwork::stop`].
pub struct PowNetwork<T: Transport = ConsensusHandle> {
    transport: T,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl PowNetwork<ConsensusHandle> {
    /// Starts the libp2p swarm and the task that runs it for `node`; returns once it listens.
    pub async fn start<K: KvStore + 'static>(
        node: Arc<Node<K>>,
        config: PowNetworkConfig,
    ) -> Result<Self, PowNetError> {
        let (handle, swarm_events) = net::start(ConsensusConfig {
            listen: config.listen,
            peers: config.peers,
            keypair: config.keypair,
            max_message_bytes: MAX_MESSAGE_BYTES,
            allowed: None,
            channels: ConsensusChannel::POW,
        })
        .await?;
        let (events, receiver) = mpsc::channel(EVENT_QUEUE);
        tokio::spawn(transport::forward(swarm_events, events));
        Self::start_with(node, handle, receiver)
    }
}

impl<T: Transport> PowNetwork<T> {
    /// Runs the task for `node` over `transport`, whose events come on `events`.
    pub fn start_with<K: KvStore + 'static>(
        node: Arc<Node<K>>,
        transport: T,
        events: mpsc::Receiver<NetEvent<T>>,
    ) -> Result<Self, PowNetError> {
        let genesis = node.block(0)?.map(|block| block.hash()).ok_or(NodeError::UnknownBlock(0))?;
        let (stop, stopped) = watch::channel(false);
        let chain = node.subscribe_chain();
        let driver = Driver {
            node,
            net: transport.clone(),
            genesis,
            peers: PeerBook::default(),
            orphans: Orphans::default(),
            sync: None,
            from_peers: Recent::default(),
        };
        let task = tokio::spawn(driver.run(events, chain, stopped));
        Ok(Self { transport, stop, task })
    }

    /// The network under the task: for libp2p, the swarm's peers and listening addresses.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// Stops the task after the block it is importing, and closes the swarm.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            error!(error = %e, "the proof-of-work network ended abnormally");
        }
    }

    /// Stops at once, for a crash.
    pub fn abort(self) {
        self.task.abort();
    }
}

/// A sync in progress with one peer: the request waited for and what it is for.
struct Sync<O> {
    peer: PeerId,
    request: O,
    stage: Stage,
}

enum Stage {
    /// Headers after the locator sent.
    Headers,
    /// Bodies of checked headers, oldest first; `more` is the last header of a full batch,
    /// to ask for the next batch after it.
    Bodies { headers: VecDeque<Header>, more: Option<B256> },
}

/// Hashes seen lately, oldest forgotten first.
#[derive(Default)]
struct Recent {
    set: HashSet<B256>,
    order: VecDeque<B256>,
}

impl Recent {
    fn insert(&mut self, hash: B256) {
        if self.set.insert(hash) {
            self.order.push_back(hash);
            if self.order.len() > RECENT_FROM_PEERS
                && let Some(oldest) = self.order.pop_front()
            {
                self.set.remove(&oldest);
            }
        }
    }
}

struct Driver<K: KvStore, T: Transport> {
    node: Arc<Node<K>>,
    net: T,
    genesis: B256,
    peers: PeerBook,
    orphans: Orphans,
    sync: Option<Sync<T::Outbound>>,
    from_peers: Recent,
}

impl<K: KvStore + 'static, T: Transport> Driver<K, T> {
    async fn run(
        mut self,
        mut events: mpsc::Receiver<NetEvent<T>>,
        mut chain: broadcast::Receiver<ChainEvent>,
        mut stop: watch::Receiver<bool>,
    ) {
        let mut beat = interval(HEARTBEAT);
        beat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Some(event) => self.on_event(event).await,
                    None => break,
                },
                event = chain.recv() => match event {
                    Ok(ChainEvent::Head(header)) => self.on_head(&header).await,
                    Ok(ChainEvent::Reorg(_)) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                _ = beat.tick() => self.heartbeat().await,
                changed = stop.changed() => if changed.is_err() || *stop.borrow() {
                    break;
                },
            }
        }
        self.net.clone().shutdown().await;
        info!("proof-of-work network stopped");
    }

    async fn on_event(&mut self, event: NetEvent<T>) {
        match event {
            NetEvent::Connected(peer) => {
                self.peers.connected(peer);
                self.publish_tip().await;
                // Gossip reaches a new peer only once its subscriptions are known, so a node
                // that joins would wait for a heartbeat's tip: it asks for headers at once.
                if self.sync.is_none() {
                    self.start_sync(peer).await;
                }
            }
            NetEvent::Disconnected(peer) => {
                self.peers.disconnected(&peer);
                if self.sync.as_ref().is_some_and(|sync| sync.peer == peer) {
                    self.sync = None;
                }
            }
            NetEvent::Message { topic: Topic::Tips, from, data } => self.on_tip(from, &data).await,
            NetEvent::Message { topic: Topic::Blocks, from, data } => {
                self.on_block(from, &data).await;
            }
            NetEvent::Request { id, from, data } => self.on_request(id, from, &data).await,
            NetEvent::Response { id, from, data } => self.on_response(id, from, &data).await,
            NetEvent::Failed { id, peer } => {
                if self.sync.take_if(|sync| sync.request == id).is_some() {
                    debug!(%peer, "a sync request failed");
                    self.punish(peer, Offence::Unanswered).await;
                }
            }
        }
    }

    /// A new head: announced with its block and as the new tip when this node mined it.
    /// A head that came from a peer is not announced again: gossip relays its block, and the
    /// heartbeat the tip (a tip per synced block would cost more than the sync).
    async fn on_head(&mut self, header: &Header) {
        let hash = header.hash();
        if self.from_peers.set.contains(&hash) {
            return;
        }
        match self.node.block(header.number) {
            Ok(Some(block)) if block.hash() == hash => {
                self.net.publish(Topic::Blocks, wire::encode_block(&block).into()).await;
                self.publish_tip().await;
            }
            Ok(_) => {}
            Err(e) => warn!(error = %e, "cannot read a mined block to announce it"),
        }
    }

    async fn heartbeat(&mut self) {
        self.peers.heartbeat();
        self.publish_tip().await;
        if self.sync.is_none() {
            self.sync_with_heaviest().await;
        }
    }

    async fn publish_tip(&self) {
        match self.tip() {
            Ok(tip) => self.net.publish(Topic::Tips, tip.encode_to_vec().into()).await,
            Err(e) => warn!(error = %e, "cannot read the head to publish it"),
        }
    }

    fn tip(&self) -> Result<Tip, NodeError> {
        let snapshot = self.node.head_snapshot()?;
        let head = snapshot.head()?;
        let hash = head.hash();
        Ok(Tip {
            genesis: self.genesis,
            number: head.number,
            hash,
            total_difficulty: snapshot.total_difficulty(hash)?.unwrap_or_default(),
        })
    }

    fn our_work(&self) -> U256 {
        self.tip().map(|tip| tip.total_difficulty).unwrap_or(U256::MAX)
    }

    async fn on_tip(&mut self, from: PeerId, data: &[u8]) {
        let tip = match Tip::decode_from(data) {
            Ok(tip) => tip,
            Err(e) => {
                debug!(%from, error = %e, "a malformed tip");
                return self.punish(from, Offence::Malformed).await;
            }
        };
        if tip.genesis != self.genesis {
            debug!(%from, genesis = %tip.genesis, "a peer of another chain");
            return self.punish(from, Offence::OtherChain).await;
        }
        let work = tip.total_difficulty;
        self.peers.set_tip(from, tip);
        if self.sync.is_none() && work > self.our_work() {
            self.start_sync(from).await;
        }
    }

    async fn on_block(&mut self, from: PeerId, data: &[u8]) {
        if !self.peers.allow_block(&from) {
            return self.punish(from, Offence::Flooding).await;
        }
        let block = match wire::decode_block(data) {
            Ok(block) => block,
            Err(e) => {
                debug!(%from, error = %e, "a malformed block");
                return self.punish(from, Offence::Malformed).await;
            }
        };
        let hash = block.hash();
        let orphan = block.clone();
        match self.import(block).await {
            Some(Ok(Imported::Known)) => {}
            Some(Ok(_)) => self.adopt_orphans(hash).await,
            Some(Err(NodeError::UnknownParent { .. })) => {
                if !self.orphans.add(orphan, from) {
                    return self.punish(from, Offence::Flooding).await;
                }
                if self.sync.is_none() {
                    self.start_sync(from).await;
                }
            }
            Some(Err(e)) if e.blames_block() => {
                warn!(%from, %hash, error = %e, "a peer sent an invalid block");
                self.punish(from, Offence::InvalidBlock).await;
            }
            Some(Err(e)) => debug!(%from, %hash, error = %e, "a gossiped block not taken"),
            None => {}
        }
    }

    /// Imports the orphans that hang from `parent`, and theirs in turn.
    async fn adopt_orphans(&mut self, parent: B256) {
        let mut parents = vec![parent];
        while let Some(parent) = parents.pop() {
            for (child, from) in self.orphans.children_of(parent) {
                let hash = child.hash();
                match self.import(child).await {
                    Some(Ok(_)) => parents.push(hash),
                    Some(Err(e)) if e.blames_block() => {
                        self.punish(from, Offence::InvalidBlock).await;
                    }
                    Some(Err(e)) => debug!(%hash, error = %e, "an orphan not taken"),
                    None => {}
                }
            }
        }
    }

    /// Offers a peer's block to the node, off the async threads (it may execute a branch);
    /// `None` when the import panicked (logged).
    async fn import(&mut self, block: Block) -> Option<Result<Imported, NodeError>> {
        self.from_peers.insert(block.hash());
        let node = self.node.clone();
        match tokio::task::spawn_blocking(move || node.import_block(block)).await {
            Ok(result) => Some(result),
            Err(e) => {
                error!(error = %e, "importing a block panicked");
                None
            }
        }
    }

    async fn sync_with_heaviest(&mut self) {
        if let Some(peer) = self.peers.heaviest_above(self.our_work()) {
            self.start_sync(peer).await;
        }
    }

    /// Asks `peer` for the headers after the newest block both chains share.
    async fn start_sync(&mut self, peer: PeerId) {
        match self.node.head_snapshot().map(|s| serve::locator(&s)) {
            Ok(Ok(locator)) => self.request_headers(peer, locator).await,
            Ok(Err(e)) => warn!(error = %e, "cannot read the chain to sync"),
            Err(e) => warn!(error = %e, "cannot read the chain to sync"),
        }
    }

    /// Asks for the next batch of headers after `last`, falling back to the local locator if
    /// the peer left that branch.
    async fn request_more_headers(&mut self, peer: PeerId, last: B256) {
        let mut locator = vec![last];
        if let Ok(Ok(ours)) = self.node.head_snapshot().map(|s| serve::locator(&s)) {
            locator.extend(ours.into_iter().take(MAX_LOCATOR - 1));
        }
        self.request_headers(peer, locator).await;
    }

    async fn request_headers(&mut self, peer: PeerId, locator: Vec<B256>) {
        let request = Request::Headers { locator };
        if let Some(id) = self.request(peer, &request).await {
            self.sync = Some(Sync { peer, request: id, stage: Stage::Headers });
        }
    }

    async fn request(&self, peer: PeerId, request: &Request) -> Option<T::Outbound> {
        while let Some(wait) = self.peers.wait_to_request(&peer) {
            tokio::time::sleep(wait).await;
        }
        self.net.request(peer, Bytes::from(request.encode())).await
    }

    async fn on_response(&mut self, id: T::Outbound, peer: PeerId, data: &[u8]) {
        let Some(sync) = self.sync.take_if(|sync| sync.request == id && sync.peer == peer) else {
            return;
        };
        let response = match Response::decode(data) {
            Ok(response) => response,
            Err(e) => {
                debug!(%peer, error = %e, "a malformed sync response");
                return self.punish(peer, Offence::Malformed).await;
            }
        };
        match (sync.stage, response) {
            (Stage::Headers, Response::Headers(headers)) => self.on_headers(peer, headers).await,
            (Stage::Bodies { headers, more }, Response::Blocks(blocks)) => {
                self.on_bodies(peer, headers, more, blocks).await;
            }
            _ => self.punish(peer, Offence::WrongAnswer).await,
        }
    }

    /// Headers from the sync peer: the known ones skipped, the rest checked (link,
    /// difficulty, work, time) before any body is asked for.
    async fn on_headers(&mut self, peer: PeerId, headers: Vec<Header>) {
        // A full batch may have more after its last header.
        let more = headers.last().map(Header::hash).filter(|_| headers.len() == MAX_HEADERS);
        let fresh = match self.unknown(headers) {
            Ok(fresh) => fresh,
            Err(e) => return warn!(error = %e, "cannot read the chain to sync"),
        };
        if fresh.is_empty() {
            if let Some(last) = more {
                self.request_more_headers(peer, last).await;
            } else {
                self.synced().await;
            }
            return;
        }
        let node = self.node.clone();
        let checked = tokio::task::spawn_blocking(move || {
            let work = node.check_headers(&fresh);
            (fresh, work)
        })
        .await;
        let (fresh, work) = match checked {
            Ok(checked) => checked,
            Err(e) => return error!(error = %e, "checking headers panicked"),
        };
        match work {
            Ok(work) if more.is_none() && work <= self.our_work() => {
                debug!(%peer, "the peer's chain is not heavier than ours");
                self.synced().await;
            }
            Ok(_) => {
                let headers = fresh.into();
                self.request_bodies(peer, headers, more).await;
            }
            Err(e) if headers_blame(&e) => {
                warn!(%peer, error = %e, "a peer sent invalid headers");
                self.punish(peer, Offence::InvalidBlock).await;
            }
            Err(e) => debug!(%peer, error = %e, "headers not taken; sync stopped"),
        }
    }

    /// The headers that are not yet known here (canonical or side), in order.
    fn unknown(&self, headers: Vec<Header>) -> Result<Vec<Header>, NodeError> {
        let snapshot = self.node.head_snapshot()?;
        let mut fresh = Vec::with_capacity(headers.len());
        for header in headers {
            let hash = header.hash();
            let known = snapshot.block_number(hash)?.is_some()
                || snapshot.side_block(header.number, hash)?.is_some();
            if !known || !fresh.is_empty() {
                fresh.push(header);
            }
        }
        Ok(fresh)
    }

    async fn request_bodies(
        &mut self,
        peer: PeerId,
        headers: VecDeque<Header>,
        more: Option<B256>,
    ) {
        let wanted = headers
            .iter()
            .take(MAX_BLOCKS)
            .map(|header| BlockId { number: header.number, hash: header.hash() })
            .collect();
        if let Some(id) = self.request(peer, &Request::Blocks { wanted }).await {
            self.sync = Some(Sync { peer, request: id, stage: Stage::Bodies { headers, more } });
        }
    }

    /// Bodies from the sync peer: each must be the next header's block; imported in order.
    async fn on_bodies(
        &mut self,
        peer: PeerId,
        mut headers: VecDeque<Header>,
        more: Option<B256>,
        blocks: Vec<Block>,
    ) {
        if blocks.is_empty() {
            debug!(%peer, "the sync peer no longer has the blocks; sync stopped");
            return;
        }
        for block in blocks {
            let expected = headers.pop_front().map(|header| header.hash());
            let hash = block.hash();
            if expected != Some(hash) {
                warn!(%peer, %hash, "a peer sent a block that was not asked for");
                return self.punish(peer, Offence::WrongAnswer).await;
            }
            match self.import(block).await {
                Some(Ok(_)) => {}
                Some(Err(e)) if e.blames_block() => {
                    warn!(%peer, %hash, error = %e, "a peer sent an invalid block");
                    return self.punish(peer, Offence::InvalidBlock).await;
                }
                Some(Err(e)) => return debug!(%peer, error = %e, "a synced block not taken"),
                None => return,
            }
        }
        if !headers.is_empty() {
            self.request_bodies(peer, headers, more).await;
        } else if let Some(last) = more {
            self.request_more_headers(peer, last).await;
        } else {
            self.synced().await;
        }
    }

    /// A sync ended: blocks that waited for it are taken, and a peer with still more work is
    /// synced from next.
    async fn synced(&mut self) {
        if let Ok(head) = self.node.head() {
            self.adopt_orphans(head.hash()).await;
        }
        if self.sync.is_none() {
            self.sync_with_heaviest().await;
        }
    }

    async fn on_request(&mut self, id: T::Inbound, peer: PeerId, data: &[u8]) {
        if !self.peers.allow_request(&peer) {
            self.respond(id, None).await;
            return self.punish(peer, Offence::Flooding).await;
        }
        let request = match Request::decode(data) {
            Ok(request) => request,
            Err(e) => {
                debug!(%peer, error = %e, "a malformed request");
                self.respond(id, None).await;
                return self.punish(peer, Offence::Malformed).await;
            }
        };
        let answer = self
            .node
            .head_snapshot()
            .and_then(|snapshot| Ok(serve::answer(&snapshot, &request, MAX_MESSAGE_BYTES / 2)?));
        match answer {
            Ok(response) => self.respond(id, Some(Bytes::from(response.encode()))).await,
            Err(e) => {
                warn!(error = %e, "cannot read the chain to answer a peer");
                self.respond(id, None).await;
            }
        }
    }

    async fn respond(&self, id: T::Inbound, data: Option<Bytes>) {
        self.net.respond(id, data).await;
    }

    /// Takes points from `peer` for `offence`, and bans it when they run out: it is
    /// disconnected, its orphans and tip forgotten, and a sync with it dropped.
    async fn punish(&mut self, peer: PeerId, offence: Offence) {
        if !self.peers.penalize(peer, offence) {
            return;
        }
        warn!(%peer, ?offence, "banning a proof-of-work peer");
        self.peers.disconnected(&peer);
        self.orphans.forget(&peer);
        if self.sync.as_ref().is_some_and(|sync| sync.peer == peer) {
            self.sync = None;
        }
        self.net.ban(peer).await;
    }
}

/// Whether a run of headers failed through the sender's fault: not linked to what it
/// answered, or breaking the rules (but not merely ahead of this node's clock).
fn headers_blame(e: &NodeError) -> bool {
    e.blames_block()
        || matches!(
            e,
            NodeError::UnknownParent { .. }
                | NodeError::Consensus(
                    ConsensusError::ParentHash { .. } | ConsensusError::Number { .. }
                )
        )
}
