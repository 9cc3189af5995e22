use std::{collections::HashSet, num::NonZeroU32};

use libp2p::{Multiaddr, PeerId, identity::Keypair, multiaddr::Protocol};

use crate::NetworkError;

/// The node's transaction size limit, shared with the mempool.
pub const DEFAULT_MAX_TX_BYTES: usize = 128 * 1024;
/// Inbound transactions accepted from one peer per second before the excess is dropped. A peer
/// relays the whole network's transactions, not only its own clients', so the budget must be
/// above the network's throughput, or transactions reach proposers only through the node their
/// client chose (at 200 a second, 4 validators took about four heights to include a
/// transaction); one peer can still make the node recover at most this many senders a second.
pub const DEFAULT_MAX_TXS_PER_PEER_PER_SEC: u32 = 10_000;
/// Largest `max_tx_bytes` accepted: bounds the memory one gossip frame can take.
pub const MAX_TX_BYTES_LIMIT: usize = 4 * 1024 * 1024;
/// Most bootstrap peers accepted: each one is redialled for as long as the node runs.
pub const MAX_BOOTSTRAP_PEERS: usize = 64;

/// How to run the transaction gossip network: where to listen, whom to dial, and the limits
/// that protect the node from hostile peers.
#[derive(Debug, Clone)]
pub struct NetworkConfig {
    /// TCP address to listen on, e.g. `/ip4/127.0.0.1/tcp/30400` (port 0 picks a free port).
    pub listen: Multiaddr,
    /// Peers dialled at start and redialled while disconnected; each must end in `/p2p/<id>`.
    pub bootstrap: Vec<Multiaddr>,
    /// The node's libp2p identity (ed25519): its peer id, proven in each connection's handshake.
    pub keypair: Keypair,
    /// Largest transaction accepted or sent; bigger ones are dropped and their sender penalised.
    pub max_tx_bytes: usize,
    /// Inbound transactions taken from one peer per second; the excess is dropped unrelayed.
    pub max_txs_per_peer_per_sec: u32,
    /// Discover peers on the local network with mDNS. It announces on non-loopback interfaces
    /// only, so it needs a non-loopback listen address (e.g. `/ip4/0.0.0.0/tcp/...`).
    pub mdns: bool,
    /// Discover peers through Kademlia, starting from the bootstrap peers. Off for networks
    /// with a fixed peer set, where only bootstrap peers and inbound peers are connected.
    pub kademlia: bool,
    /// The only peers that may connect, or be dialled, on a permissioned network; `None` lets
    /// everyone connect. Replaced at runtime with [`crate::NetworkHandle::set_allowed_peers`].
    pub allowed: Option<HashSet<PeerId>>,
}

impl NetworkConfig {
    /// A configuration with the default limits, Kademlia on, mDNS off and every peer allowed,
    /// so callers only choose the identity and where to listen.
    pub fn new(keypair: Keypair, listen: Multiaddr) -> Self {
        Self {
            listen,
            bootstrap: Vec::new(),
            keypair,
            max_tx_bytes: DEFAULT_MAX_TX_BYTES,
            max_txs_per_peer_per_sec: DEFAULT_MAX_TXS_PER_PEER_PER_SEC,
            mdns: false,
            kademlia: true,
            allowed: None,
        }
    }

    /// Checks every limit and splits the bootstrap addresses into peer and address, so the
    /// network task never starts with a value it cannot honour.
    pub(crate) fn validate(&self) -> Result<Validated, NetworkError> {
        if self.max_tx_bytes == 0 || self.max_tx_bytes > MAX_TX_BYTES_LIMIT {
            return Err(NetworkError::InvalidConfig(format!(
                "max_tx_bytes must be between 1 and {MAX_TX_BYTES_LIMIT}, got {}",
                self.max_tx_bytes
            )));
        }
        let rate = NonZeroU32::new(self.max_txs_per_peer_per_sec).ok_or_else(|| {
            NetworkError::InvalidConfig("max_txs_per_peer_per_sec must be at least 1".into())
        })?;
        if self.bootstrap.len() > MAX_BOOTSTRAP_PEERS {
            return Err(NetworkError::InvalidConfig(format!(
                "at most {MAX_BOOTSTRAP_PEERS} bootstrap peers, got {}",
                self.bootstrap.len()
            )));
        }
        let local = self.keypair.public().to_peer_id();
        let mut bootstrap = Vec::with_capacity(self.bootstrap.len());
        for addr in &self.bootstrap {
            let peer = bootstrap_peer_id(addr)?;
            if peer != local {
                bootstrap.push((peer, addr.clone()));
            }
        }
        Ok(Validated { max_txs_per_peer_per_sec: rate, bootstrap })
    }
}

/// The checked parts of a [`NetworkConfig`] that the network task needs in another form.
#[derive(Debug)]
pub(crate) struct Validated {
    pub(crate) max_txs_per_peer_per_sec: NonZeroU32,
    /// Bootstrap peers other than this node, with the address to dial them at.
    pub(crate) bootstrap: Vec<(PeerId, Multiaddr)>,
}

/// The peer id a bootstrap address ends with: needed to know whether that peer is connected.
fn bootstrap_peer_id(addr: &Multiaddr) -> Result<PeerId, NetworkError> {
    match addr.iter().last() {
        Some(Protocol::P2p(peer)) => Ok(peer),
        _ => Err(NetworkError::InvalidConfig(format!(
            "bootstrap address {addr} must end with /p2p/<peer id>"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> NetworkConfig {
        NetworkConfig::new(
            Keypair::generate_ed25519(),
            "/ip4/127.0.0.1/tcp/0".parse().expect("valid multiaddr"),
        )
    }

    #[test]
    fn defaults_are_valid() {
        let checked = config().validate().expect("defaults validate");
        assert_eq!(checked.max_txs_per_peer_per_sec.get(), DEFAULT_MAX_TXS_PER_PEER_PER_SEC);
        assert!(checked.bootstrap.is_empty());
    }

    #[test]
    fn bootstrap_needs_a_peer_id() {
        let mut config = config();
        config.bootstrap = vec!["/ip4/127.0.0.1/tcp/1".parse().expect("valid multiaddr")];
        let err = config.validate().expect_err("no peer id");
        assert!(err.to_string().contains("/p2p/"), "{err}");
    }

    #[test]
    fn bootstrap_keeps_peer_and_address_and_skips_self() {
        let mut config = config();
        let other = Keypair::generate_ed25519().public().to_peer_id();
        let own = config.keypair.public().to_peer_id();
        let addr: Multiaddr = "/ip4/10.0.0.1/tcp/7".parse().expect("valid multiaddr");
        config.bootstrap =
            vec![addr.clone().with(Protocol::P2p(other)), addr.clone().with(Protocol::P2p(own))];
        let checked = config.validate().expect("valid bootstrap");
        assert_eq!(checked.bootstrap, vec![(other, addr.with(Protocol::P2p(other)))]);
    }

    #[test]
    fn limits_are_bounded() {
        let mut zero_size = config();
        zero_size.max_tx_bytes = 0;
        assert!(matches!(zero_size.validate(), Err(NetworkError::InvalidConfig(_))));

        let mut huge = config();
        huge.max_tx_bytes = MAX_TX_BYTES_LIMIT + 1;
        assert!(matches!(huge.validate(), Err(NetworkError::InvalidConfig(_))));

        let mut no_rate = config();
        no_rate.max_txs_per_peer_per_sec = 0;
        assert!(matches!(no_rate.validate(), Err(NetworkError::InvalidConfig(_))));

        let mut crowded = config();
        let addr: Multiaddr = "/ip4/10.0.0.1/tcp/7".parse().expect("valid multiaddr");
        crowded.bootstrap = (0..=MAX_BOOTSTRAP_PEERS)
            .map(|_| {
                addr.clone().with(Protocol::P2p(Keypair::generate_ed25519().public().to_peer_id()))
            })
            .collect();
        assert!(matches!(crowded.validate(), Err(NetworkError::InvalidConfig(_))));
    }
}
