//! The consensus network: gossip on its channels and sync requests between allowed peers, and
//! nothing at all for a peer outside the allowed set, dialled or dialling.

use std::collections::HashSet;
use std::time::Duration;

use bytes::Bytes;
use cairn_network::consensus::{
    self, ConsensusChannel, ConsensusConfig, ConsensusEvent, ConsensusHandle,
};
use cairn_network::{Keypair, Multiaddr, PeerId};
use libp2p::multiaddr::Protocol;
use tokio::sync::mpsc;

use crate::logs::capture;
use crate::support::CAP;

const REFUSED: &str = "refused a connection: not an allowed node of this network";
const REMOVED: &str = "peer is no longer an allowed node of this network; disconnected";

struct Peer {
    handle: ConsensusHandle,
    events: mpsc::Receiver<ConsensusEvent>,
    /// Where it listens, without its peer id.
    at: Multiaddr,
}

impl Peer {
    fn id(&self) -> PeerId {
        self.handle.local_peer_id()
    }

    /// Where it listens, naming it.
    fn named(&self) -> Multiaddr {
        self.at.clone().with(Protocol::P2p(self.id()))
    }

    /// Waits for the first event `pick` accepts, failing the test after [`CAP`].
    async fn wait_for<T>(
        &mut self,
        what: &str,
        mut pick: impl FnMut(ConsensusEvent) -> Option<T>,
    ) -> T {
        let waiting = async {
            loop {
                let event = self.events.recv().await.expect("network running");
                if let Some(found) = pick(event) {
                    return found;
                }
            }
        };
        tokio::time::timeout(CAP, waiting)
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
    }

    /// Everything it has been told so far, without waiting.
    fn drain(&mut self) -> Vec<ConsensusEvent> {
        std::iter::from_fn(|| self.events.try_recv().ok()).collect()
    }
}

async fn start(keypair: Keypair, peers: Vec<Multiaddr>, allowed: Option<HashSet<PeerId>>) -> Peer {
    let config = ConsensusConfig {
        listen: "/ip4/127.0.0.1/tcp/0".parse().expect("multiaddr"),
        peers,
        keypair,
        max_message_bytes: 1024 * 1024,
        allowed,
        channels: ConsensusChannel::BFT,
    };
    let (handle, events) = consensus::start(config).await.expect("starts");
    let at = handle.listen_addrs().await.expect("running").remove(0);
    Peer { handle, events, at }
}

fn id(keypair: &Keypair) -> PeerId {
    keypair.public().to_peer_id()
}

/// Publishes on every channel from `from` until `to` got a message on each (the first ones
/// may go out before the peers share the channels).
async fn delivered_on_every_channel(from: &Peer, to: &mut Peer) {
    let mut missing: HashSet<ConsensusChannel> = ConsensusChannel::BFT.iter().copied().collect();
    let expected = from.id();
    let waiting = async {
        while !missing.is_empty() {
            for channel in &missing {
                from.handle
                    .publish(*channel, Bytes::from(format!("{channel:?}")))
                    .await
                    .expect("running");
            }
            let deadline = tokio::time::Instant::now() + Duration::from_millis(500);
            while let Ok(Some(event)) = tokio::time::timeout_at(deadline, to.events.recv()).await {
                if let ConsensusEvent::Message { channel, from, data } = event {
                    assert_eq!(from, expected);
                    assert_eq!(data, Bytes::from(format!("{channel:?}")));
                    missing.remove(&channel);
                }
            }
        }
    };
    tokio::time::timeout(CAP, waiting).await.expect("every channel delivered");
}

#[tokio::test(flavor = "current_thread")]
async fn allowed_peers_gossip_and_sync_and_a_stranger_gets_nothing() {
    let (logs, _guard) = capture();
    let (a_key, b_key) = (Keypair::generate_ed25519(), Keypair::generate_ed25519());
    let members: HashSet<PeerId> = [id(&a_key), id(&b_key)].into();
    // A is told to dial one stranger by address alone (as a configured peer without /p2p/
    // is): the handshake names it and the gate refuses it. The other stranger dials A.
    let mut dialled = start(Keypair::generate_ed25519(), Vec::new(), None).await;
    let mut a = start(a_key, vec![dialled.at.clone()], Some(members.clone())).await;
    let mut b = start(b_key, vec![a.named()], Some(members)).await;
    let mut dialling = start(Keypair::generate_ed25519(), vec![a.named()], None).await;

    let b_id = b.id();
    a.wait_for("B connected to A", |event| {
        matches!(event, ConsensusEvent::PeerConnected(p) if p == b_id).then_some(())
    })
    .await;
    delivered_on_every_channel(&a, &mut b).await;
    delivered_on_every_channel(&b, &mut a).await;

    // Sync: B asks A, A answers.
    let asked =
        b.handle.request(a.id(), Bytes::from_static(b"blocks 1..=3")).await.expect("running");
    let (inbound, data) = a
        .wait_for("B's request", |event| match event {
            ConsensusEvent::Request { id, peer, data } if peer == b_id => Some((id, data)),
            _ => None,
        })
        .await;
    assert_eq!(data, Bytes::from_static(b"blocks 1..=3"));
    a.handle.respond(inbound, Some(Bytes::from_static(b"three blocks"))).await.expect("running");
    let answer = b
        .wait_for("A's answer", |event| match event {
            ConsensusEvent::Response { id, data, .. } if id == asked => Some(data),
            _ => None,
        })
        .await;
    assert_eq!(answer, Bytes::from_static(b"three blocks"));

    // Both strangers were refused, each logged once, and heard nothing: no message, request
    // or answer, however often they were dialled or dialled A meanwhile. (Their own swarms
    // may see a connection open and close: A cuts it right after the handshake.)
    for stranger in [&mut dialled, &mut dialling] {
        assert_eq!(logs.count(REFUSED, stranger.id()), 1, "refused and logged once");
        let heard: Vec<&str> = stranger
            .drain()
            .iter()
            .filter(|event| {
                matches!(
                    event,
                    ConsensusEvent::Message { .. }
                        | ConsensusEvent::Request { .. }
                        | ConsensusEvent::Response { .. }
                        | ConsensusEvent::PeerSubscribed(..)
                )
            })
            .map(ConsensusEvent::kind)
            .collect();
        assert!(heard.is_empty(), "a stranger heard {heard:?}");
    }
    assert_eq!(a.handle.peers().await.expect("running"), vec![b_id]);
}

#[tokio::test(flavor = "current_thread")]
async fn a_removed_peer_is_disconnected_at_once_and_cannot_come_back() {
    let (logs, _guard) = capture();
    let (a_key, b_key) = (Keypair::generate_ed25519(), Keypair::generate_ed25519());
    let both: HashSet<PeerId> = [id(&a_key), id(&b_key)].into();
    let mut a = start(a_key, Vec::new(), Some(both.clone())).await;
    let mut b = start(b_key, vec![a.named()], Some(both)).await;
    let (a_id, b_id) = (a.id(), b.id());
    a.wait_for("B connected", |event| {
        matches!(event, ConsensusEvent::PeerConnected(p) if p == b_id).then_some(())
    })
    .await;

    a.handle.set_allowed_peers(Some([a_id].into())).await.expect("running");
    b.wait_for("A dropped B", |event| {
        matches!(event, ConsensusEvent::PeerDisconnected(p) if p == a_id).then_some(())
    })
    .await;
    assert_eq!(logs.count(REMOVED, b_id), 1);
    // B keeps redialling (every 2 s); A refuses each attempt at the handshake.
    let waiting = async {
        while logs.count(REFUSED, b_id) == 0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(CAP, waiting).await.expect("B's redial refused");
    assert!(a.handle.peers().await.expect("running").is_empty());
    assert!(
        a.drain()
            .iter()
            .all(|event| !matches!(event, ConsensusEvent::PeerConnected(p) if *p == b_id)),
        "B never got back in"
    );
}
