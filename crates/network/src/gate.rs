//! The gate that keeps peers outside a permissioned network's allowed set off the swarm.
//!
//! It is a libp2p `NetworkBehaviour` with no protocol, like libp2p's `allow_block_list`, so the
//! swarm itself denies the connection: dials to a refused peer never leave the node, and a
//! refused peer that dials in is cut right after its handshake (its identity is only known
//! then), before identify, gossip or any other protocol runs. Unlike `allow_block_list` it has
//! an open state (permissioning can be switched off at runtime) and says, once per peer, whom
//! it refused.

use std::{
    collections::{HashSet, VecDeque},
    convert::Infallible,
    task::{Context, Poll, Waker},
    time::Instant,
};

use libp2p::{
    Multiaddr, PeerId,
    core::{Endpoint, transport::PortUse},
    swarm::{
        CloseConnection, ConnectionClosed, ConnectionDenied, ConnectionId, FromSwarm,
        NetworkBehaviour, THandler, THandlerInEvent, THandlerOutEvent, ToSwarm, dummy,
    },
};
use tracing::{info, warn};

use crate::{
    NetworkError,
    refusals::{Note, RefusalLog},
};

/// Where permission decisions are logged, so operators can filter them on their own.
const LOG_TARGET: &str = "cairn::permissions";

/// Whether a refused connection was the peer's or this node's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Inbound,
    Outbound,
}

impl Direction {
    fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }
}

/// Admits only allowed peers (all of them while open), closes the connections of peers that
/// lose their allowance, and logs refusals without letting a refused peer flood the log.
pub(crate) struct PeerGate {
    /// `None`: everyone may connect.
    allowed: Option<HashSet<PeerId>>,
    /// Peers with at least one established connection, to know whom a new set disconnects.
    connected: HashSet<PeerId>,
    to_close: VecDeque<PeerId>,
    refusals: RefusalLog,
    waker: Option<Waker>,
    /// Which of the node's swarms this gate guards (`gossip`, `consensus`), named in its logs.
    swarm: &'static str,
}

impl PeerGate {
    pub(crate) fn new(swarm: &'static str, allowed: Option<HashSet<PeerId>>) -> Self {
        Self {
            swarm,
            allowed,
            connected: HashSet::new(),
            to_close: VecDeque::new(),
            refusals: RefusalLog::new(Instant::now()),
            waker: None,
        }
    }

    /// Whether `peer` may be connected now.
    pub(crate) fn allows(&self, peer: &PeerId) -> bool {
        self.allowed.as_ref().is_none_or(|allowed| allowed.contains(peer))
    }

    /// Replaces the allowed set and disconnects every connected peer outside it. Peers that
    /// are allowed now are forgotten by the refusal log, so a later refusal is logged again.
    pub(crate) fn set_allowed(&mut self, allowed: Option<HashSet<PeerId>>) {
        self.allowed = allowed;
        let lost: Vec<PeerId> =
            self.connected.iter().filter(|peer| !self.allows(peer)).copied().collect();
        for peer in lost {
            info!(
                target: LOG_TARGET,
                %peer,
                swarm = self.swarm,
                "peer is no longer an allowed node of this network; disconnected"
            );
            self.to_close.push_back(peer);
        }
        let allowed = &self.allowed;
        self.refusals.forget(|peer| allowed.as_ref().is_none_or(|set| set.contains(peer)));
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }

    /// Refuses a peer the node was about to dial itself, with the same once-per-peer log.
    pub(crate) fn refuse_dial(&mut self, peer: PeerId) {
        self.refuse(peer, Direction::Outbound);
    }

    /// Logs how many refused peers went unlogged in a window that has ended; the network task
    /// calls this regularly.
    pub(crate) fn report_unlogged(&mut self, now: Instant) {
        if let Some(count) = self.refusals.end_window(now) {
            warn!(
                target: LOG_TARGET,
                count,
                swarm = self.swarm,
                "refused connections of {count} more peers that are not allowed nodes of this \
                 network; too many to log one by one"
            );
        }
    }

    fn check(&mut self, peer: PeerId, direction: Direction) -> Result<(), ConnectionDenied> {
        if self.allows(&peer) {
            return Ok(());
        }
        self.refuse(peer, direction);
        Err(ConnectionDenied::new(NetworkError::NotAllowed { peer }))
    }

    fn refuse(&mut self, peer: PeerId, direction: Direction) {
        if self.refusals.note(peer) == Note::Log {
            warn!(
                target: LOG_TARGET,
                %peer,
                swarm = self.swarm,
                direction = direction.as_str(),
                "refused a connection: not an allowed node of this network (further attempts \
                 are not logged)"
            );
        }
    }
}

impl NetworkBehaviour for PeerGate {
    type ConnectionHandler = dummy::ConnectionHandler;
    type ToSwarm = Infallible;

    fn handle_established_inbound_connection(
        &mut self,
        _: ConnectionId,
        peer: PeerId,
        _: &Multiaddr,
        _: &Multiaddr,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.check(peer, Direction::Inbound)?;
        Ok(dummy::ConnectionHandler)
    }

    fn handle_pending_outbound_connection(
        &mut self,
        _: ConnectionId,
        peer: Option<PeerId>,
        _: &[Multiaddr],
        _: Endpoint,
    ) -> Result<Vec<Multiaddr>, ConnectionDenied> {
        if let Some(peer) = peer {
            self.check(peer, Direction::Outbound)?;
        }
        Ok(Vec::new())
    }

    fn handle_established_outbound_connection(
        &mut self,
        _: ConnectionId,
        peer: PeerId,
        _: &Multiaddr,
        _: Endpoint,
        _: PortUse,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.check(peer, Direction::Outbound)?;
        Ok(dummy::ConnectionHandler)
    }

    fn on_swarm_event(&mut self, event: FromSwarm) {
        match event {
            FromSwarm::ConnectionEstablished(established) => {
                self.connected.insert(established.peer_id);
            }
            FromSwarm::ConnectionClosed(ConnectionClosed {
                peer_id,
                remaining_established: 0,
                ..
            }) => {
                self.connected.remove(&peer_id);
            }
            _ => {}
        }
    }

    fn on_connection_handler_event(
        &mut self,
        _: PeerId,
        _: ConnectionId,
        event: THandlerOutEvent<Self>,
    ) {
        match event {}
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<ToSwarm<Infallible, THandlerInEvent<Self>>> {
        if let Some(peer_id) = self.to_close.pop_front() {
            return Poll::Ready(ToSwarm::CloseConnection {
                peer_id,
                connection: CloseConnection::All,
            });
        }
        self.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use std::task::Waker;

    use libp2p::{
        core::ConnectedPoint, identity::Keypair, swarm::behaviour::ConnectionEstablished,
    };

    use super::*;

    fn peer() -> PeerId {
        Keypair::generate_ed25519().public().to_peer_id()
    }

    fn addr() -> Multiaddr {
        "/ip4/127.0.0.1/tcp/7".parse().expect("valid multiaddr")
    }

    fn inbound(gate: &mut PeerGate, peer: PeerId) -> bool {
        gate.handle_established_inbound_connection(
            ConnectionId::new_unchecked(1),
            peer,
            &addr(),
            &addr(),
        )
        .is_ok()
    }

    fn established(gate: &mut PeerGate, peer: PeerId) {
        let endpoint = ConnectedPoint::Listener { local_addr: addr(), send_back_addr: addr() };
        gate.on_swarm_event(FromSwarm::ConnectionEstablished(ConnectionEstablished {
            peer_id: peer,
            connection_id: ConnectionId::new_unchecked(1),
            endpoint: &endpoint,
            failed_addresses: &[],
            other_established: 0,
        }));
    }

    fn closes(gate: &mut PeerGate) -> Vec<PeerId> {
        let mut cx = Context::from_waker(Waker::noop());
        let mut closed = Vec::new();
        while let Poll::Ready(ToSwarm::CloseConnection { peer_id, connection }) = gate.poll(&mut cx)
        {
            assert!(matches!(connection, CloseConnection::All));
            closed.push(peer_id);
        }
        closed
    }

    #[test]
    fn open_admits_everyone_and_a_set_only_its_members() {
        let (member, stranger) = (peer(), peer());
        let mut open = PeerGate::new("gossip", None);
        assert!(inbound(&mut open, stranger));

        let mut gated = PeerGate::new("gossip", Some(HashSet::from([member])));
        assert!(inbound(&mut gated, member));
        assert!(!inbound(&mut gated, stranger));
        let dial = |gate: &mut PeerGate, peer| {
            gate.handle_pending_outbound_connection(
                ConnectionId::new_unchecked(2),
                peer,
                &[],
                Endpoint::Dialer,
            )
        };
        assert!(dial(&mut gated, Some(member)).is_ok());
        let denied = dial(&mut gated, Some(stranger)).expect_err("not dialled");
        let cause = denied.downcast::<NetworkError>().expect("the gate's reason");
        assert!(matches!(cause, NetworkError::NotAllowed { peer } if peer == stranger));
        assert!(dial(&mut gated, None).is_ok(), "an address without identity is judged later");
        let outbound = gated.handle_established_outbound_connection(
            ConnectionId::new_unchecked(3),
            stranger,
            &addr(),
            Endpoint::Dialer,
            PortUse::New,
        );
        assert!(outbound.is_err(), "an address turned out to be a refused peer");
    }

    #[test]
    fn a_peer_refused_again_and_again_is_logged_once() {
        let (member, hostile) = (peer(), peer());
        let mut gate = PeerGate::new("gossip", Some(HashSet::from([member])));
        for _ in 0..5 {
            assert!(!inbound(&mut gate, hostile));
            gate.refuse_dial(hostile);
        }
        assert_eq!(
            gate.refusals.note(hostile),
            Note::Quiet,
            "already logged, at the first attempt"
        );
        assert_eq!(gate.refusals.note(peer()), Note::Log, "another refused peer is logged");
        gate.report_unlogged(Instant::now());
        assert_eq!(gate.refusals.end_window(Instant::now()), None, "nothing went unlogged");

        gate.set_allowed(Some(HashSet::from([member, hostile])));
        gate.set_allowed(Some(HashSet::from([member])));
        assert!(!inbound(&mut gate, hostile));
        assert_eq!(gate.refusals.note(hostile), Note::Quiet, "removed later: logged once again");
    }

    #[test]
    fn a_new_set_closes_exactly_the_connected_peers_outside_it() {
        let (kept, dropped, gone) = (peer(), peer(), peer());
        let mut gate = PeerGate::new("gossip", None);
        for peer in [kept, dropped, gone] {
            established(&mut gate, peer);
        }
        let endpoint = ConnectedPoint::Listener { local_addr: addr(), send_back_addr: addr() };
        gate.on_swarm_event(FromSwarm::ConnectionClosed(ConnectionClosed {
            peer_id: gone,
            connection_id: ConnectionId::new_unchecked(1),
            endpoint: &endpoint,
            cause: None,
            remaining_established: 0,
        }));
        assert!(closes(&mut gate).is_empty());

        gate.set_allowed(Some(HashSet::from([kept])));
        assert_eq!(closes(&mut gate), vec![dropped], "a peer no longer connected is not closed");
        assert!(!inbound(&mut gate, dropped), "and it cannot come back");

        gate.set_allowed(None);
        assert!(closes(&mut gate).is_empty());
        assert!(inbound(&mut gate, dropped), "open again");
    }
}
