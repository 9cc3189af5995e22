//! Starting nodes and waiting for conditions with generous caps for a loaded machine.

use std::{future::Future, time::Duration};

use bytes::Bytes;
use cairn_network::{
    InboundTx, Keypair, Multiaddr, NetworkConfig, NetworkHandle, PeerId, PeerInfo, start,
};
use libp2p::multiaddr::Protocol;
use tokio::sync::mpsc;

/// Longest any wait-until loop waits.
pub(crate) const CAP: Duration = Duration::from_secs(30);

/// A started network and its inbound transactions.
pub(crate) struct Node {
    pub(crate) handle: NetworkHandle,
    pub(crate) inbound: mpsc::Receiver<InboundTx>,
    /// Where others dial it, ending in `/p2p/<id>`.
    pub(crate) addr: Multiaddr,
}

impl Node {
    pub(crate) fn id(&self) -> PeerId {
        self.handle.local_peer_id()
    }

    pub(crate) async fn peers(&self) -> Vec<PeerInfo> {
        self.handle.peers().await.expect("network running")
    }

    /// The next inbound transaction, failing the test after [`CAP`].
    pub(crate) async fn next_tx(&mut self) -> InboundTx {
        tokio::time::timeout(CAP, self.inbound.recv())
            .await
            .expect("a transaction within the cap")
            .expect("network running")
    }
}

/// A configuration on a free loopback port, Kademlia off unless the test turns it on.
pub(crate) fn config(bootstrap: &[&Node]) -> NetworkConfig {
    let mut config = NetworkConfig::new(
        Keypair::generate_ed25519(),
        "/ip4/127.0.0.1/tcp/0".parse().expect("valid multiaddr"),
    );
    config.bootstrap = bootstrap.iter().map(|node| node.addr.clone()).collect();
    config.kademlia = false;
    config
}

pub(crate) async fn node(config: NetworkConfig) -> Node {
    let (handle, inbound) = start(config).await.expect("network starts");
    let listen = handle
        .listen_addrs()
        .await
        .expect("network running")
        .into_iter()
        .next()
        .expect("a listen address");
    let addr = listen.with(Protocol::P2p(handle.local_peer_id()));
    Node { handle, inbound, addr }
}

/// Polls `check` every 100 ms until it holds, failing the test after [`CAP`].
pub(crate) async fn wait_until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let waiting = async {
        while !check().await {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(CAP, waiting)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting until {what}"));
}

/// Waits until `node` is connected to each of `others` and they share the transaction topic.
pub(crate) async fn wait_subscribed(node: &Node, others: &[PeerId]) {
    wait_until("peers joined the transaction topic", || async {
        let peers = node.peers().await;
        others.iter().all(|other| peers.iter().any(|p| p.peer_id == *other && p.subscribed))
    })
    .await;
}

/// Waits until `node` has no connection to `other`.
pub(crate) async fn wait_disconnected(node: &Node, other: PeerId) {
    wait_until("the peer is disconnected", || async {
        node.peers().await.iter().all(|p| p.peer_id != other)
    })
    .await;
}

/// A distinct fake transaction of `len` bytes (the network does not decode transactions).
pub(crate) fn tx(tag: u8, len: usize) -> Bytes {
    let mut raw = vec![tag; len];
    raw[0] = 0x02;
    Bytes::from(raw)
}
