//! The node library: one wiring of a running node (store, pool, engine, JSON-RPC, REST,
//! transaction gossip, consensus network, shutdown) for `cairn dev`, `cairn node` and the
//! in-process test network, so tests start nodes with the code users run.
//!
//! ```text
//!  NodeBuilder::new(spec, store, EngineSetup) ── or ── NodeBuilder::from_config(&NodeConfig)
//!    .with_clock / .with_rpc / .with_api / .with_gossip
//!    .start() ─► Node::open ─► engine (dev BlockProducer | bft::start_with over a Transport)
//!              ─► gossip (libp2p) ─► JSON-RPC (+ cairn_getEvidence on BFT) ─► REST API
//!              ─► on a governed chain: the allowed nodes, followed block by block, to both swarms
//!  RunningNode: reads(), rpc_addr(), api_addr(), failed(), serve_until(stop), stop(), abort()
//!  run_until_stopped(builder, stop): start, print the banner, serve, stop
//! ```

mod builder;
mod config;
mod datadir;
mod error;
mod evidence;
mod from_config;
mod gossip;
mod listeners;
mod permissions;
mod running;
mod secret;

pub use builder::{BftSetup, EngineSetup, NodeBuilder};
pub use config::{MAX_MINER_THREADS, NodeConfig};
pub use datadir::DataDir;
pub use error::LaunchError;
pub use listeners::tls;
pub use running::{Failure, RunningNode, run_until_stopped};
pub use secret::{read_secret, write_secret};
