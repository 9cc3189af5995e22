use std::{
    collections::{HashMap, HashSet},
    ops::ControlFlow,
    time::{Duration, Instant},
};

use bytes::Bytes;
use futures_util::StreamExt;
use libp2p::{
    Multiaddr, PeerId, Swarm, gossipsub,
    multiaddr::Protocol,
    request_response::{self, InboundRequestId, ResponseChannel},
    swarm::{
        ConnectionId, DialError, SwarmEvent,
        dial_opts::{DialOpts, PeerCondition},
    },
};
use tokio::{
    sync::{mpsc, oneshot},
    time::{MissedTickBehavior, interval},
};
use tracing::{debug, info, warn};

use super::{
    ConsensusChannel, ConsensusConfig, ConsensusEvent, ConsensusHandle,
    behaviour::{Behaviour, BehaviourEvent},
    handle::Command,
};
use crate::bans::Bans;
use crate::{NetworkError, swarm};

/// Commands queued from handles; callers wait for room beyond this.
const COMMAND_QUEUE: usize = 1024;
/// Events waiting for the engine; beyond this they are dropped (and logged), as a lossy
/// network would lose them, rather than stalling the swarm.
const EVENT_QUEUE: usize = 8192;
/// How often disconnected configured peers are dialled again.
const REDIAL_INTERVAL: Duration = Duration::from_secs(2);
/// How often the gate sums up refused peers it did not log one by one.
const REPORT_INTERVAL: Duration = Duration::from_secs(10);
/// Most configured peers: each is redialled for as long as the node runs.
pub const MAX_CONSENSUS_PEERS: usize = 64;
/// Smallest message limit accepted: a vote must fit.
const MIN_MESSAGE_BYTES: usize = 64 * 1024;

/// Starts the consensus network in its own tokio task and returns once it listens. The
/// receiver yields what the network reports; the task ends on [`ConsensusHandle::shutdown`]
/// or when every handle is dropped.
pub async fn start(
    config: ConsensusConfig,
) -> Result<(ConsensusHandle, mpsc::Receiver<ConsensusEvent>), NetworkError> {
    if config.peers.len() > MAX_CONSENSUS_PEERS {
        return Err(NetworkError::InvalidConfig(format!(
            "{} consensus peers configured; at most {MAX_CONSENSUS_PEERS}",
            config.peers.len()
        )));
    }
    if config.max_message_bytes < MIN_MESSAGE_BYTES {
        return Err(NetworkError::InvalidConfig(format!(
            "a consensus message limit of {} bytes is below {MIN_MESSAGE_BYTES}",
            config.max_message_bytes
        )));
    }
    let behaviour = Behaviour::new(&config)?;
    let local_peer_id = config.keypair.public().to_peer_id();
    let (swarm, early) = swarm::listening(&config.keypair, behaviour, &config.listen).await?;

    let (events, events_rx) = mpsc::channel(EVENT_QUEUE);
    let configured = config
        .peers
        .iter()
        .map(|address| Configured {
            address: address.clone(),
            named: named_peer(address),
            answered_by: None,
        })
        .filter(|peer| peer.named != Some(local_peer_id))
        .collect();
    let mut driver = Driver {
        swarm,
        events,
        configured,
        dialing: HashMap::new(),
        responses: HashMap::new(),
        bans: Bans::default(),
    };
    for event in early {
        driver.on_swarm_event(event);
    }

    let (commands, commands_rx) = mpsc::channel(COMMAND_QUEUE);
    tokio::spawn(driver.run(commands_rx));
    Ok((ConsensusHandle::new(commands, local_peer_id), events_rx))
}

/// The peer an address names by its `/p2p/` component, if any.
fn named_peer(address: &Multiaddr) -> Option<PeerId> {
    address.iter().find_map(|protocol| match protocol {
        Protocol::P2p(peer) => Some(peer),
        _ => None,
    })
}

/// A configured peer address.
struct Configured {
    address: Multiaddr,
    /// The peer its `/p2p/` component names.
    named: Option<PeerId>,
    /// For an address without one, the peer that answered there last.
    answered_by: Option<PeerId>,
}

/// The swarm task: owns the swarm and everything that changes with its events.
struct Driver {
    swarm: Swarm<Behaviour>,
    events: mpsc::Sender<ConsensusEvent>,
    configured: Vec<Configured>,
    /// Dials in flight to configured addresses, by connection, with the address's index.
    dialing: HashMap<ConnectionId, usize>,
    /// Peers' requests waiting for the engine's answer.
    responses: HashMap<InboundRequestId, ResponseChannel<Bytes>>,
    /// Banned peers and when their ban ends.
    bans: Bans,
}

impl Driver {
    async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        let mut redial = interval(REDIAL_INTERVAL);
        let mut report = interval(REPORT_INTERVAL);
        redial.set_missed_tick_behavior(MissedTickBehavior::Delay);
        report.set_missed_tick_behavior(MissedTickBehavior::Delay);
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
                _ = redial.tick() => {
                    self.lift_bans(Instant::now());
                    self.redial();
                }
                _ = report.tick() => {
                    self.swarm.behaviour_mut().gate.report_unlogged(Instant::now());
                }
            }
        };
        info!("consensus network stopped");
        drop(self);
        drop(commands);
        if let Some(ack) = ack {
            // The caller may have stopped waiting; nothing is left to tell it.
            let _ = ack.send(());
        }
    }

    fn on_command(&mut self, command: Command) -> ControlFlow<oneshot::Sender<()>> {
        match command {
            Command::Publish(channel, data) => {
                let topic = channel.topic();
                if let Err(e) = self.swarm.behaviour_mut().gossipsub.publish(topic, data) {
                    debug!(?channel, "consensus message not published: {e}");
                }
            }
            Command::Request { peer, data, reply } => {
                let id = self.swarm.behaviour_mut().sync.send_request(&peer, data);
                // The engine may have stopped waiting; the request's outcome still comes as
                // an event.
                let _ = reply.send(id);
            }
            Command::Respond { id, data } => {
                if let (Some(channel), Some(data)) = (self.responses.remove(&id), data)
                    && self.swarm.behaviour_mut().sync.send_response(channel, data).is_err()
                {
                    debug!(%id, "sync response not sent: the requester is gone");
                }
            }
            Command::SetAllowed { allowed, reply } => {
                self.set_allowed(allowed);
                let _ = reply.send(());
            }
            Command::Ban(peer) => self.ban(peer, Instant::now()),
            Command::Peers(reply) => {
                let _ = reply.send(self.swarm.connected_peers().copied().collect());
            }
            Command::ListenAddrs(reply) => {
                let _ = reply.send(self.swarm.listeners().cloned().collect());
            }
            Command::Shutdown(ack) => return ControlFlow::Break(ack),
        }
        ControlFlow::Continue(())
    }

    fn emit(&self, event: ConsensusEvent) {
        if let Err(mpsc::error::TrySendError::Full(event)) = self.events.try_send(event) {
            warn!(
                kind = event.kind(),
                "consensus engine not keeping up with the network; event dropped"
            );
        }
    }

    fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(event)) => self.on_gossip(event),
            SwarmEvent::Behaviour(BehaviourEvent::Sync(event)) => self.on_sync(event),
            SwarmEvent::ConnectionEstablished {
                peer_id, connection_id, num_established, ..
            } => {
                if let Some(index) = self.dialing.remove(&connection_id) {
                    self.configured[index].answered_by = Some(peer_id);
                }
                if num_established.get() == 1 {
                    debug!(peer = %peer_id, "consensus peer connected");
                    self.emit(ConsensusEvent::PeerConnected(peer_id));
                }
            }
            SwarmEvent::ConnectionClosed { peer_id, num_established: 0, .. } => {
                debug!(peer = %peer_id, "consensus peer disconnected");
                self.emit(ConsensusEvent::PeerDisconnected(peer_id));
            }
            SwarmEvent::OutgoingConnectionError { connection_id, peer_id, error } => {
                if let Some(index) = self.dialing.remove(&connection_id)
                    && let DialError::Denied { cause } = &error
                    && let Some(NetworkError::NotAllowed { peer }) = cause.downcast_ref()
                {
                    self.configured[index].answered_by = Some(*peer);
                }
                debug!(?peer_id, "consensus dial failed: {error}");
            }
            SwarmEvent::NewListenAddr { address, .. } => {
                info!(%address, "consensus network listening");
                self.emit(ConsensusEvent::Listening(address));
            }
            SwarmEvent::ListenerError { error, .. } => warn!("consensus listener error: {error}"),
            _ => {}
        }
    }

    fn on_gossip(&mut self, event: gossipsub::Event) {
        match event {
            gossipsub::Event::Message { propagation_source, message, .. } => {
                let Some(channel) = ConsensusChannel::of_topic(&message.topic) else { return };
                // A status is its author's own head: only the author's own copy says which
                // peer to ask for blocks.
                if channel.authored() && message.source != Some(propagation_source) {
                    return;
                }
                self.emit(ConsensusEvent::Message {
                    channel,
                    from: propagation_source,
                    data: Bytes::from(message.data),
                });
            }
            gossipsub::Event::Subscribed { peer_id, topic } => {
                if let Some(channel) = ConsensusChannel::of_topic(&topic) {
                    self.emit(ConsensusEvent::PeerSubscribed(peer_id, channel));
                }
            }
            _ => {}
        }
    }

    fn on_sync(&mut self, event: request_response::Event<Bytes, Bytes>) {
        match event {
            request_response::Event::Message { peer, message, .. } => match message {
                request_response::Message::Request { request_id, request, channel } => {
                    self.responses.insert(request_id, channel);
                    self.emit(ConsensusEvent::Request { id: request_id, peer, data: request });
                }
                request_response::Message::Response { request_id, response } => {
                    self.emit(ConsensusEvent::Response { id: request_id, peer, data: response });
                }
            },
            request_response::Event::OutboundFailure { peer, request_id, error, .. } => {
                self.emit(ConsensusEvent::RequestFailed { id: request_id, peer, failure: error });
            }
            request_response::Event::InboundFailure { peer, request_id, .. } => {
                if self.responses.remove(&request_id).is_some() {
                    self.emit(ConsensusEvent::InboundFailed { id: request_id, peer });
                }
            }
            request_response::Event::ResponseSent { .. } => {}
        }
    }

    /// Dials every configured address whose peer is not connected: by identity where the
    /// address names one (unless the gate refuses it, logged once), else whoever answers
    /// there, unless the last peer that answered is refused.
    fn redial(&mut self) {
        for (index, peer) in self.configured.iter().enumerate() {
            let known = peer.named.or(peer.answered_by);
            if known
                .is_some_and(|known| self.swarm.is_connected(&known) || self.bans.contains(&known))
                || self.dialing.values().any(|dialling| *dialling == index)
            {
                continue;
            }
            let gate = &mut self.swarm.behaviour_mut().gate;
            if let Some(known) = known
                && !gate.allows(&known)
            {
                gate.refuse_dial(known);
                continue;
            }
            let opts = match peer.named {
                Some(named) => DialOpts::peer_id(named)
                    .addresses(vec![peer.address.clone()])
                    .condition(PeerCondition::DisconnectedAndNotDialing)
                    .allocate_new_port()
                    .build(),
                None => DialOpts::unknown_peer_id()
                    .address(peer.address.clone())
                    .allocate_new_port()
                    .build(),
            };
            let connection = opts.connection_id();
            match self.swarm.dial(opts) {
                Ok(()) => {
                    self.dialing.insert(connection, index);
                }
                Err(e) => debug!(address = %peer.address, "cannot dial consensus peer: {e}"),
            }
        }
    }

    /// Disconnects `peer` and refuses its connections for [`crate::bans::BAN_DURATION`].
    fn ban(&mut self, peer: PeerId, now: Instant) {
        warn!(%peer, "banning consensus peer");
        let blocked = &mut self.swarm.behaviour_mut().blocked;
        if let Some(lifted) = self.bans.ban(peer, now) {
            blocked.unblock_peer(lifted);
        }
        blocked.block_peer(peer);
    }

    fn lift_bans(&mut self, now: Instant) {
        let blocked = &mut self.swarm.behaviour_mut().blocked;
        for peer in self.bans.lift_ended(now) {
            blocked.unblock_peer(peer);
        }
    }

    /// Applies a new allowed set: the gate closes the connections of peers outside it; an
    /// address whose last answerer is refused is tried again once, in case another peer
    /// answers there now.
    fn set_allowed(&mut self, allowed: Option<HashSet<PeerId>>) {
        let gate = &mut self.swarm.behaviour_mut().gate;
        gate.set_allowed(allowed);
        for peer in &mut self.configured {
            if peer.named.is_none() && peer.answered_by.is_some_and(|known| !gate.allows(&known)) {
                peer.answered_by = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Keypair;

    fn config(peers: usize, max_message_bytes: usize) -> ConsensusConfig {
        ConsensusConfig {
            listen: "/ip4/127.0.0.1/tcp/0".parse().expect("multiaddr"),
            peers: vec!["/ip4/127.0.0.1/tcp/1".parse().expect("multiaddr"); peers],
            keypair: Keypair::generate_ed25519(),
            max_message_bytes,
            allowed: None,
            channels: ConsensusChannel::BFT,
        }
    }

    #[tokio::test]
    async fn out_of_range_configurations_are_refused_before_listening() {
        let too_many = start(config(MAX_CONSENSUS_PEERS + 1, MIN_MESSAGE_BYTES)).await;
        assert!(matches!(too_many, Err(NetworkError::InvalidConfig(_))));
        let too_small = start(config(1, MIN_MESSAGE_BYTES - 1)).await;
        assert!(matches!(too_small, Err(NetworkError::InvalidConfig(_))));
    }
}
