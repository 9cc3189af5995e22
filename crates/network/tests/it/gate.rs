//! Permissioned networks: only allowed peers connect, and the set changes at runtime.
//!
//! These tests capture the log on a current-thread runtime (see [`capture`]), so every node
//! they start logs into the capture.

use std::collections::HashSet;

use cairn_network::{NetworkConfig, PeerId};
use futures_util::StreamExt;
use libp2p::{
    Swarm, SwarmBuilder, noise,
    swarm::{
        SwarmEvent,
        dial_opts::{DialOpts, PeerCondition},
        dummy,
    },
    tcp, yamux,
};

use crate::{
    logs::capture,
    support::{CAP, Node, config, node, tx, wait_disconnected, wait_subscribed, wait_until},
};

const REFUSED: &str = "refused a connection: not an allowed node of this network";
const REMOVED: &str = "peer is no longer an allowed node of this network; disconnected";

fn id(config: &NetworkConfig) -> PeerId {
    config.keypair.public().to_peer_id()
}

fn only(peers: &[PeerId]) -> Option<HashSet<PeerId>> {
    Some(peers.iter().copied().collect())
}

/// Broadcasts a transaction from `from` and waits until `to` receives it.
async fn gossips(from: &Node, to: &mut Node, tag: u8) {
    let raw = tx(tag, 100);
    from.handle.broadcast_tx(raw.clone()).expect("queued");
    let got = to.next_tx().await;
    assert_eq!(got.raw, raw);
    assert_eq!(got.from, from.id());
}

#[tokio::test]
async fn an_allowed_peer_connects_and_gossips() {
    let (_logs, _guard) = capture();
    let (mut a_config, mut b_config) = (config(&[]), config(&[]));
    a_config.allowed = only(&[id(&b_config)]);
    b_config.allowed = only(&[id(&a_config)]);
    let mut a = node(a_config).await;
    b_config.bootstrap = vec![a.addr.clone()];
    let mut b = node(b_config).await;

    wait_subscribed(&a, &[b.id()]).await;
    wait_subscribed(&b, &[a.id()]).await;
    gossips(&a, &mut b, 1).await;
    gossips(&b, &mut a, 2).await;
}

#[tokio::test]
async fn a_peer_outside_the_set_is_refused_both_ways_until_the_network_opens() {
    let (logs, _guard) = capture();
    // A allows only C. It is told to dial X, and Y dials it.
    let x = node(config(&[])).await;
    let mut a_config = config(&[&x]);
    let mut c_config = config(&[]);
    a_config.allowed = only(&[id(&c_config)]);
    let a = node(a_config).await;
    c_config.bootstrap = vec![a.addr.clone()];
    let mut c = node(c_config).await;
    let mut y = node(config(&[&a])).await;

    wait_subscribed(&a, &[c.id()]).await;
    wait_until("A refused to dial X and refused Y's dial", || async {
        logs.count(REFUSED, x.id()) == 1 && logs.count(REFUSED, y.id()) == 1
    })
    .await;
    assert!(logs.count("direction=\"outbound\"", x.id()) == 1, "A never dialled X");
    assert!(logs.count("direction=\"inbound\"", y.id()) == 1, "Y's dial was cut");
    let at_a: Vec<PeerId> = a.peers().await.iter().map(|p| p.peer_id).collect();
    assert_eq!(at_a, vec![c.id()]);
    assert!(x.peers().await.is_empty());
    wait_disconnected(&y, a.id()).await;

    // C hears A's transaction; Y, connected to nobody else, cannot have.
    gossips(&a, &mut c, 1).await;
    assert!(y.inbound.try_recv().is_err());

    // Opening the network at runtime lets both in: A redials X, Y redials A.
    a.handle.set_allowed_peers(None).await.expect("network running");
    wait_subscribed(&a, &[c.id(), x.id(), y.id()]).await;
    gossips(&a, &mut y, 2).await;
}

#[tokio::test]
async fn a_removed_peer_is_disconnected_and_kept_out_until_allowed_again() {
    let (logs, _guard) = capture();
    let mut a_config = config(&[]);
    let b_config = config(&[]);
    a_config.allowed = only(&[id(&b_config)]);
    let mut a = node(a_config).await;
    let mut b_config = b_config;
    b_config.bootstrap = vec![a.addr.clone()];
    let b = node(b_config).await;
    wait_subscribed(&a, &[b.id()]).await;
    wait_subscribed(&b, &[a.id()]).await;

    a.handle.set_allowed_peers(only(&[])).await.expect("network running");
    wait_disconnected(&a, b.id()).await;
    wait_disconnected(&b, a.id()).await;
    assert_eq!(logs.count(REMOVED, b.id()), 1);

    // B keeps redialling A as a bootstrap peer; its first attempt after the removal is refused.
    wait_until("A refused B's redial", || async { logs.count(REFUSED, b.id()) == 1 }).await;
    assert!(a.peers().await.is_empty(), "B did not get back in");

    a.handle.set_allowed_peers(only(&[b.id()])).await.expect("network running");
    wait_subscribed(&a, &[b.id()]).await;
    wait_subscribed(&b, &[a.id()]).await;
    gossips(&b, &mut a, 1).await;
    assert_eq!(logs.count(REMOVED, b.id()), 1, "one line per removal");
}

#[tokio::test]
async fn kademlia_introductions_do_not_connect_a_stranger() {
    let (logs, _guard) = capture();
    let kademlia = |bootstrap: &[&Node]| {
        let mut config = config(bootstrap);
        config.kademlia = true;
        config
    };
    // C knows A and X; without the gate, Kademlia would connect A and X (as in `gossip`).
    let mut c_config = kademlia(&[]);
    let mut a_config = kademlia(&[]);
    a_config.allowed = only(&[id(&c_config)]);
    let a = node(a_config).await;
    c_config.bootstrap = vec![a.addr.clone()];
    let c = node(c_config).await;
    let x = node(kademlia(&[&c])).await;

    wait_subscribed(&c, &[a.id(), x.id()]).await;
    wait_until("A refused X once Kademlia introduced them", || async {
        logs.count(REFUSED, x.id()) == 1
    })
    .await;
    let at_a: Vec<PeerId> = a.peers().await.iter().map(|p| p.peer_id).collect();
    assert_eq!(at_a, vec![c.id()]);
    wait_disconnected(&x, a.id()).await;
}

/// A bare libp2p node with no protocols, to dial the way any stranger can.
fn stranger() -> Swarm<dummy::Behaviour> {
    SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(tcp::Config::default(), noise::Config::new, yamux::Config::default)
        .expect("transport")
        .with_behaviour(|_| dummy::Behaviour)
        .expect("behaviour")
        // Its own side never closes first: a closed connection is the gated node's doing.
        .with_swarm_config(|c| c.with_idle_connection_timeout(CAP))
        .build()
}

/// Dials `target` once from a fresh port and waits until that connection is over; true if the
/// handshake completed first (so the target learned who was dialling).
async fn dial_until_closed(dialer: &mut Swarm<dummy::Behaviour>, target: &Node) -> bool {
    let opts = DialOpts::peer_id(target.id())
        .addresses(vec![target.addr.clone()])
        .condition(PeerCondition::Always)
        .allocate_new_port()
        .build();
    dialer.dial(opts).expect("dial starts");
    let over = async {
        let mut established = false;
        loop {
            match dialer.select_next_some().await {
                SwarmEvent::ConnectionEstablished { peer_id, .. } if peer_id == target.id() => {
                    established = true;
                }
                SwarmEvent::ConnectionClosed { peer_id, .. } if peer_id == target.id() => {
                    return established;
                }
                SwarmEvent::OutgoingConnectionError { .. } => return established,
                _ => {}
            }
        }
    };
    tokio::time::timeout(CAP, over).await.expect("the connection ends within the cap")
}

#[tokio::test]
async fn a_stranger_dialling_again_and_again_is_logged_once() {
    let (logs, _guard) = capture();
    let mut gated = config(&[]);
    gated.allowed = only(&[]);
    let a = node(gated).await;
    let mut dialer = stranger();
    let hostile = *dialer.local_peer_id();

    for attempt in 1..=5 {
        assert!(dial_until_closed(&mut dialer, &a).await, "attempt {attempt} was a handshake");
    }
    wait_until("A logged the refusal", || async { logs.count(REFUSED, hostile) >= 1 }).await;
    assert_eq!(logs.count(REFUSED, hostile), 1, "five attempts, one line");
    assert!(a.peers().await.is_empty());
}
