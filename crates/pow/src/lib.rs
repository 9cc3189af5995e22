//! The network of a proof-of-work node: how blocks spread, and how a node that is behind
//! catches up, over the libp2p swarm of `cairn_network::consensus` on its proof-of-work
//! channels, or over any other [`Transport`] (the in-process test network's hub).
//!
//! ```text
//!  miner commits a block ──▶ head event ──▶ /cairn/pow/blocks/1 (the block)
//!                                        └─▶ /cairn/pow/tips/1  (number, hash, total work)
//!  peer's block ──▶ Node::import_block ──▶ head │ side branch │ reorg
//!                        │ unknown parent
//!                        ▼
//!                   orphans (64, 8 per peer) + sync from that peer
//!  a tip heavier than ours ──▶ sync: Headers{locator} ─▶ headers checked (link, difficulty,
//!                              work, time) ─▶ Blocks{ids} in batches ─▶ imported in order
//! ```
//!
//! Every peer is scored: invalid work or blocks, answers that are not what was asked,
//! malformed bytes, a tip of another chain and more blocks or requests than its share cost
//! points, and a peer whose score runs out is banned for an hour. Memory stays bounded
//! whatever peers send: messages are size-limited, orphans capped, the node keeps at most
//! eight side blocks per height, and headers are checked before their bodies are fetched.

mod driver;
mod error;
mod orphans;
mod peers;
mod serve;
mod transport;
pub mod wire;

pub use driver::{MAX_MESSAGE_BYTES, PowNetwork, PowNetworkConfig};
pub use error::PowNetError;
pub use transport::{NetEvent, Topic, Transport};
