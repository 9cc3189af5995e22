use std::{
    collections::{HashMap, HashSet},
    ops::ControlFlow,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use bytes::Bytes;
use futures_util::StreamExt;
use libp2p::{
    Multiaddr, PeerId, Swarm,
    gossipsub::{self, MessageAcceptance, MessageId, PublishError, TopicHash},
    identify, kad, mdns,
    swarm::{
        SwarmEvent,
        dial_opts::{DialOpts, PeerCondition},
    },
};
use tokio::{
    sync::{mpsc, oneshot},
    time::{MissedTickBehavior, interval},
};
use tracing::{debug, info, warn};

use crate::bans::Bans;
use crate::{
    InboundTx, NetworkConfig, NetworkError, NetworkHandle, PeerInfo, Verdict,
    behaviour::{BAN_THRESHOLD, Behaviour, BehaviourEvent, tx_topic},
    handle::Command,
    rate_limit::PeerRateLimiter,
    swarm,
};

/// Commands queued from handles before `broadcast_tx` and `validated` report `Busy`.
const COMMAND_QUEUE: usize = 4096;
/// Inbound transactions waiting for the node; beyond this they are dropped unrelayed.
const INBOUND_QUEUE: usize = 4096;
/// How often disconnected bootstrap peers are dialled again.
const REDIAL_INTERVAL: Duration = Duration::from_secs(5);
/// How often peer scores are checked against the ban threshold.
const SCORE_CHECK_INTERVAL: Duration = Duration::from_secs(1);
/// Discovered peers are dialled only while fewer peers than this are connected.
const TARGET_PEERS: usize = 24;
/// Listen addresses taken from one peer's identify message into Kademlia.
const MAX_IDENTIFY_ADDRS: usize = 8;

/// Starts the transaction gossip network in its own tokio task and returns once it listens.
///
/// The receiver yields every transaction peers send (within the size and rate limits); the
/// node must answer each with [`NetworkHandle::validated`] so that valid ones are relayed.
/// The task ends on [`NetworkHandle::shutdown`] or when every handle is dropped.
pub async fn start(
    config: NetworkConfig,
) -> Result<(NetworkHandle, mpsc::Receiver<InboundTx>), NetworkError> {
    let checked = config.validate()?;
    let behaviour = Behaviour::new(&config)?;
    let local_peer_id = config.keypair.public().to_peer_id();
    let (swarm, early) = swarm::listening(&config.keypair, behaviour, &config.listen).await?;

    let (inbound, inbound_rx) = mpsc::channel(INBOUND_QUEUE);
    let mut driver = Driver {
        swarm,
        topic: tx_topic().hash(),
        inbound,
        limiter: PeerRateLimiter::new(checked.max_txs_per_peer_per_sec),
        max_tx_bytes: config.max_tx_bytes,
        bootstrap: checked.bootstrap,
        peers: HashMap::new(),
        bans: Bans::default(),
    };
    for event in early {
        driver.on_swarm_event(event);
    }

    let (commands, commands_rx) = mpsc::channel(COMMAND_QUEUE);
    tokio::spawn(driver.run(commands_rx));
    Ok((NetworkHandle::new(commands, local_peer_id, config.max_tx_bytes), inbound_rx))
}

/// A peer with at least one open connection.
#[derive(Debug)]
struct Connected {
    address: Multiaddr,
    agent: Option<String>,
    since_unix: u64,
}

/// The network task: owns the swarm and everything that changes with its events, so no
/// state is shared across threads.
struct Driver {
    swarm: Swarm<Behaviour>,
    topic: TopicHash,
    inbound: mpsc::Sender<InboundTx>,
    limiter: PeerRateLimiter,
    max_tx_bytes: usize,
    bootstrap: Vec<(PeerId, Multiaddr)>,
    peers: HashMap<PeerId, Connected>,
    /// Banned peers and when their ban ends.
    bans: Bans,
}

impl Driver {
    async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        let mut scores = interval(SCORE_CHECK_INTERVAL);
        let mut redial = interval(REDIAL_INTERVAL);
        scores.set_missed_tick_behavior(MissedTickBehavior::Delay);
        redial.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let ack = loop {
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                command = commands.recv() => match command {
                    Some(command) => {
                        if let ControlFlow::Break(ack) = self.on_command(command) {
                            break Some(ack);
                        }
                    }
                    None => break None,
                },
                _ = scores.tick() => {
                    self.enforce_scores();
                    self.swarm.behaviour_mut().gate.report_unlogged(Instant::now());
                }
                _ = redial.tick() => self.redial_bootstrap(),
            }
        };
        info!("transaction gossip stopped");
        // Dropping the swarm closes its listeners and connections, and dropping the queue makes
        // every other handle see `Stopped`, before the caller hears back.
        drop(self);
        drop(commands);
        if let Some(ack) = ack {
            // The caller may have stopped waiting; nothing is left to tell it.
            let _ = ack.send(());
        }
    }

    /// Carries out a command; breaks with the acknowledgement channel on shutdown.
    fn on_command(&mut self, command: Command) -> ControlFlow<oneshot::Sender<()>> {
        match command {
            Command::Broadcast(raw) => self.publish(raw),
            Command::Validated { id, from, verdict } => {
                let acceptance = match verdict {
                    Verdict::Accept => MessageAcceptance::Accept,
                    Verdict::Ignore => MessageAcceptance::Ignore,
                    Verdict::Reject { reason } => {
                        debug!(peer = %from, %reason, "transaction rejected by the node");
                        MessageAcceptance::Reject
                    }
                };
                self.report(&id, &from, acceptance);
            }
            Command::Peers(reply) => {
                // The caller may have given up waiting; the answer is simply not needed.
                let _ = reply.send(self.peer_infos());
            }
            Command::ListenAddrs(reply) => {
                let _ = reply.send(self.swarm.listeners().cloned().collect());
            }
            Command::SetAllowed { allowed, reply } => {
                self.set_allowed(allowed);
                // The caller may have given up waiting; the new set applies all the same.
                let _ = reply.send(());
            }
            Command::Shutdown(ack) => return ControlFlow::Break(ack),
        }
        ControlFlow::Continue(())
    }

    fn publish(&mut self, raw: Bytes) {
        let topic = self.topic.clone();
        match self.swarm.behaviour_mut().gossipsub.publish(topic, raw) {
            Ok(id) => debug!(%id, "transaction broadcast"),
            Err(PublishError::Duplicate) => debug!("transaction already gossiped"),
            Err(e) => debug!("transaction not broadcast: {e}"),
        }
    }

    fn report(&mut self, id: &MessageId, from: &PeerId, acceptance: MessageAcceptance) {
        self.swarm.behaviour_mut().gossipsub.report_message_validation_result(id, from, acceptance);
    }

    fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::Behaviour(event) => self.on_behaviour_event(event),
            SwarmEvent::ConnectionEstablished { peer_id, endpoint, num_established, .. }
                if num_established.get() == 1 =>
            {
                debug!(peer = %peer_id, "peer connected");
                self.peers.insert(
                    peer_id,
                    Connected {
                        address: endpoint.get_remote_address().clone(),
                        agent: None,
                        since_unix: unix_now(),
                    },
                );
            }
            SwarmEvent::ConnectionClosed { peer_id, num_established: 0, .. } => {
                debug!(peer = %peer_id, "peer disconnected");
                self.peers.remove(&peer_id);
            }
            SwarmEvent::NewListenAddr { address, .. } => {
                info!(%address, "transaction gossip listening");
            }
            SwarmEvent::OutgoingConnectionError { peer_id, error, .. } => {
                debug!(?peer_id, "dial failed: {error}");
            }
            SwarmEvent::ListenerError { error, .. } => warn!("listener error: {error}"),
            _ => {}
        }
    }

    fn on_behaviour_event(&mut self, event: BehaviourEvent) {
        match event {
            BehaviourEvent::Gossipsub(gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            }) => self.on_tx(propagation_source, message_id, message),
            BehaviourEvent::Identify(identify::Event::Received { peer_id, info, .. }) => {
                self.on_identified(peer_id, info)
            }
            BehaviourEvent::Kademlia(kad::Event::RoutingUpdated { peer, .. }) => {
                self.dial_discovered(peer, None)
            }
            BehaviourEvent::Mdns(mdns::Event::Discovered(found)) => {
                for (peer, address) in found {
                    if !self.swarm.behaviour().gate.allows(&peer) {
                        continue;
                    }
                    if let Some(kademlia) = self.swarm.behaviour_mut().kademlia.as_mut() {
                        kademlia.add_address(&peer, address.clone());
                    }
                    self.dial_discovered(peer, Some(address));
                }
            }
            _ => {}
        }
    }

    /// Checks an inbound transaction's size and its sender's rate, then hands it to the node;
    /// anything dropped here is reported so gossipsub neither keeps nor relays it.
    fn on_tx(&mut self, from: PeerId, id: MessageId, message: gossipsub::Message) {
        if message.data.len() > self.max_tx_bytes {
            debug!(peer = %from, size = message.data.len(), "oversized transaction dropped");
            self.report(&id, &from, MessageAcceptance::Reject);
            return;
        }
        if !self.limiter.allow(&from) {
            debug!(peer = %from, "transaction over the peer's rate limit dropped");
            self.report(&id, &from, MessageAcceptance::Ignore);
            return;
        }
        let tx = InboundTx { id: id.clone(), from, raw: Bytes::from(message.data) };
        if self.inbound.try_send(tx).is_err() {
            debug!(peer = %from, "node not keeping up with inbound transactions; dropped");
            self.report(&id, &from, MessageAcceptance::Ignore);
        }
    }

    fn on_identified(&mut self, peer: PeerId, info: identify::Info) {
        if let Some(connected) = self.peers.get_mut(&peer) {
            connected.agent = Some(info.agent_version);
        }
        let Some(kademlia) = self.swarm.behaviour_mut().kademlia.as_mut() else {
            return;
        };
        if info.protocols.iter().any(|protocol| kademlia.protocol_names().contains(protocol)) {
            for address in info.listen_addrs.into_iter().take(MAX_IDENTIFY_ADDRS) {
                kademlia.add_address(&peer, address);
            }
        }
    }

    /// Dials a peer found by Kademlia or mDNS while the node has room for more peers, unless
    /// the gate refuses it (discovery keeps finding such peers; they are never dialled).
    ///
    /// Every dial takes a fresh source port: two nodes that find each other at the same moment
    /// (mDNS answers both at once) and dial from their listening ports make one TCP connection
    /// by simultaneous open, in which both act as the Noise initiator and both handshakes fail.
    fn dial_discovered(&mut self, peer: PeerId, address: Option<Multiaddr>) {
        if peer == *self.swarm.local_peer_id()
            || self.swarm.is_connected(&peer)
            || self.bans.contains(&peer)
            || !self.swarm.behaviour().gate.allows(&peer)
            || self.peers.len() >= TARGET_PEERS
        {
            return;
        }
        let opts = match address {
            Some(address) => DialOpts::peer_id(peer)
                .addresses(vec![address])
                .extend_addresses_through_behaviour()
                .condition(PeerCondition::DisconnectedAndNotDialing)
                .allocate_new_port()
                .build(),
            None => DialOpts::peer_id(peer)
                .condition(PeerCondition::DisconnectedAndNotDialing)
                .allocate_new_port()
                .build(),
        };
        if let Err(e) = self.swarm.dial(opts) {
            debug!(%peer, "cannot dial discovered peer: {e}");
        }
    }

    /// Dials every bootstrap peer that is neither connected, banned nor refused by the gate
    /// (a refused one is logged once, like any refused peer, and not dialled).
    fn redial_bootstrap(&mut self) {
        for (peer, address) in &self.bootstrap {
            if self.swarm.is_connected(peer) || self.bans.contains(peer) {
                continue;
            }
            if !self.swarm.behaviour().gate.allows(peer) {
                self.swarm.behaviour_mut().gate.refuse_dial(*peer);
                continue;
            }
            if let Some(kademlia) = self.swarm.behaviour_mut().kademlia.as_mut() {
                kademlia.add_address(peer, address.clone());
            }
            let opts = DialOpts::peer_id(*peer)
                .addresses(vec![address.clone()])
                .condition(PeerCondition::DisconnectedAndNotDialing)
                .allocate_new_port()
                .build();
            if let Err(e) = self.swarm.dial(opts) {
                debug!(%peer, "cannot dial bootstrap peer: {e}");
            }
        }
    }

    /// Applies a new allowed set: the gate closes the connections of peers outside it, and
    /// Kademlia forgets them so that it neither queries them nor tells other peers about them.
    fn set_allowed(&mut self, allowed: Option<HashSet<PeerId>>) {
        let behaviour = self.swarm.behaviour_mut();
        behaviour.gate.set_allowed(allowed);
        let gate = &behaviour.gate;
        if let Some(kademlia) = behaviour.kademlia.as_mut() {
            let refused: Vec<PeerId> = kademlia
                .kbuckets()
                .flat_map(|bucket| {
                    bucket.iter().map(|entry| *entry.node.key.preimage()).collect::<Vec<_>>()
                })
                .filter(|peer| !gate.allows(peer))
                .collect();
            for peer in refused {
                kademlia.remove_peer(&peer);
            }
        }
    }

    /// Lifts expired bans and bans connected peers whose gossip score fell below the threshold
    /// (they sent invalid or oversized transactions).
    fn enforce_scores(&mut self) {
        let now = Instant::now();
        let blocked = &mut self.swarm.behaviour_mut().blocked;
        for peer in self.bans.lift_ended(now) {
            blocked.unblock_peer(peer);
        }
        let gossipsub = &self.swarm.behaviour().gossipsub;
        let offenders: Vec<PeerId> = self
            .peers
            .keys()
            .filter(|peer| gossipsub.peer_score(peer).is_some_and(|score| score < BAN_THRESHOLD))
            .copied()
            .collect();
        for peer in offenders {
            self.ban(peer, now);
        }
        self.limiter.forget_idle();
    }

    /// Disconnects a peer and refuses its connections for [`crate::bans::BAN_DURATION`].
    fn ban(&mut self, peer: PeerId, now: Instant) {
        warn!(%peer, "banning peer that sent invalid transactions");
        if let Some(lifted) = self.bans.ban(peer, now) {
            self.swarm.behaviour_mut().blocked.unblock_peer(lifted);
        }
        let behaviour = self.swarm.behaviour_mut();
        behaviour.blocked.block_peer(peer);
        if let Some(kademlia) = behaviour.kademlia.as_mut() {
            kademlia.remove_peer(&peer);
        }
    }

    fn peer_infos(&self) -> Vec<PeerInfo> {
        let subscribed: HashSet<&PeerId> = self
            .swarm
            .behaviour()
            .gossipsub
            .all_peers()
            .filter(|(_, topics)| topics.contains(&&self.topic))
            .map(|(peer, _)| peer)
            .collect();
        self.peers
            .iter()
            .map(|(peer, connected)| PeerInfo {
                peer_id: *peer,
                address: connected.address.clone(),
                agent: connected.agent.clone(),
                connected_since_unix: connected.since_unix,
                subscribed: subscribed.contains(peer),
            })
            .collect()
    }
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|elapsed| elapsed.as_secs()).unwrap_or(0)
}
