//! Cairn's peer-to-peer networks: transaction gossip (this module's root) and the consensus
//! network ([`consensus`]).
//!
//! A BFT node runs two libp2p swarms on their own ports: the consensus network, which carries
//! votes, proposals and block sync for the engine, and this one, which spreads transactions
//! between mempools. Both refuse peers outside a permissioned network's allowed set with the
//! same connection gate. The transaction swarm speaks
//! noise-encrypted, yamux-multiplexed TCP with identify, ping, Kademlia (and optionally mDNS)
//! for discovery, and gossipsub on the topic [`TX_TOPIC`].
//!
//! ```text
//!  peer ──gossipsub /cairn/txs/1──▶ swarm task ── size ≤ max_tx_bytes? per-peer rate? ──┐
//!                                      ▲                                              │ InboundTx
//!                                      │                                              ▼
//!   NetworkHandle::validated(id, from, verdict)  ◀──────────── node: decode, mempool checks
//!                                      │
//!         Accept ─▶ relayed to the mesh    Ignore ─▶ dropped    Reject ─▶ dropped, sender
//!                                                                  scored down; score < -80
//!                                                                  ─▶ disconnected and banned
//!
//!  node ── NetworkHandle::broadcast_tx(raw) ──▶ swarm task ──▶ published to every peer
//! ```
//!
//! [`start`] spawns the swarm on its own tokio task, driven by commands from the cloneable
//! [`NetworkHandle`]. Message ids are the keccak-256 of the transaction (its hash), so a
//! transaction is handled once however many peers send it. Nothing a peer sends can make the
//! task panic or grow without bound: frames and transactions are size-limited, inbound
//! transactions are rate-limited per peer and queued in a bounded channel, and connections
//! and bans are capped.
//!
//! On a permissioned network, [`NetworkConfig::allowed`] names the only peers the node connects
//! to; [`NetworkHandle::set_allowed_peers`] replaces that set at runtime and disconnects the
//! peers it drops. The swarm's gate denies other peers at the connection level (a dial to one
//! never starts, a connection from one is closed right after its handshake, before any
//! protocol runs) and logs each refused peer once, with a budget per minute for a crowd of new
//! identities.

mod bans;
mod behaviour;
mod config;
pub mod consensus;
mod driver;
mod error;
mod gate;
mod handle;
mod rate_limit;
mod refusals;
mod swarm;

pub use behaviour::TX_TOPIC;
pub use config::{
    DEFAULT_MAX_TX_BYTES, DEFAULT_MAX_TXS_PER_PEER_PER_SEC, MAX_BOOTSTRAP_PEERS,
    MAX_TX_BYTES_LIMIT, NetworkConfig,
};
pub use driver::start;
pub use error::NetworkError;
pub use handle::{InboundTx, NetworkHandle, PeerInfo, Verdict};
/// Re-exported so the node can name peers, addresses, keys and message ids without depending
/// on libp2p itself.
pub use libp2p::{Multiaddr, PeerId, gossipsub::MessageId, identity::Keypair};
