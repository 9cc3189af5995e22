//! The consensus network: the libp2p swarm that carries a BFT node's votes, proposals, sync
//! status and block sync, as bytes (the consensus engine encodes and decodes them).
//!
//! ```text
//!  engine ── ConsensusHandle::publish(channel, bytes) ──▶ gossipsub, one topic per channel
//!  engine ── ConsensusHandle::request(peer, bytes) ─────▶ request-response /cairn/sync/1
//!  swarm task ── ConsensusEvent (peers, messages, requests, responses, failures) ──▶ engine
//! ```
//!
//! It speaks noise-encrypted, yamux-multiplexed TCP with ping, gossipsub (messages signed by
//! their author's network key, so a status names its sender truthfully) and request-response
//! for sync. It dials the configured peers and redials them while they are disconnected; it
//! has no discovery, as a BFT network's peers are configured.
//!
//! The same connection gate as transaction gossip keeps everyone outside the allowed set off
//! the swarm on a permissioned network: a dial to a refused peer never starts, a connection
//! from one (or a configured address that turns out to be one) is closed right after its
//! handshake, before any protocol runs, so it never sees a vote, a status or a block; each
//! refused peer is logged once. [`ConsensusHandle::set_allowed_peers`] changes the set at
//! runtime and disconnects the peers it drops.

mod behaviour;
mod codec;
mod driver;
mod handle;

pub use driver::{MAX_CONSENSUS_PEERS, start};
pub use handle::{ConsensusChannel, ConsensusConfig, ConsensusEvent, ConsensusHandle};
/// Re-exported so the engine can name request ids and failures without its own libp2p features.
pub use libp2p::request_response::{InboundRequestId, OutboundFailure, OutboundRequestId};
