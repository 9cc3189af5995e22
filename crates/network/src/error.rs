use libp2p::{Multiaddr, PeerId};

/// Everything that can go wrong when starting or talking to the transaction network, so the
/// node can tell a bad configuration from a stopped network.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    /// A configuration value is out of range or malformed.
    #[error("invalid network configuration: {0}")]
    InvalidConfig(String),
    /// The libp2p transport or behaviours could not be built.
    #[error("could not build the peer-to-peer stack: {0}")]
    Setup(String),
    /// The listen address could not be bound.
    #[error("could not listen on {addr}: {reason}")]
    Listen {
        /// The address from the configuration.
        addr: Multiaddr,
        /// What the transport reported.
        reason: String,
    },
    /// A transaction given to [`crate::NetworkHandle::broadcast_tx`] exceeds the size limit.
    #[error("transaction of {size} bytes exceeds the {max}-byte limit")]
    TxTooLarge {
        /// Size of the rejected transaction.
        size: usize,
        /// The configured `max_tx_bytes`.
        max: usize,
    },
    /// A peer outside the allowed set tried to connect, or was about to be dialled; libp2p
    /// carries this as the reason it denied the connection.
    #[error("peer {peer} is not an allowed node of this network")]
    NotAllowed {
        /// The refused peer.
        peer: PeerId,
    },
    /// The network task's command queue is full; the command was dropped.
    #[error("the network is overloaded; command dropped")]
    Busy,
    /// The network task has stopped (after `shutdown`).
    #[error("the network has stopped")]
    Stopped,
}
