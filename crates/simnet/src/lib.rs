//! An in-process test network for Cairn's BFT and proof-of-work nodes. N real nodes (Cairn's consensus driver,
//! node, pool, execution and store; Malachite's consensus, sync and host actors) run in one
//! process on one single-threaded Tokio runtime whose clock is paused, so every consensus
//! timer runs on simulated time. Their consensus messages pass through a hub that decides each
//! message's fate (delivered after a delay, or lost) from the run's seed, and the test cuts
//! links, partitions the network, crashes, restarts and wipes nodes.
//!
//! ```text
//!  TestNet ── crash / restart / reset_db / partition / heal / faults ─────────┐
//!   node i: Node<SimKv> ◄─ Driver ◄─ Malachite (consensus, sync, host actors)  │
//!                                      ├─ SimWal (write-ahead log in memory)   │
//!                                      └─ SimNetwork ──► Hub ◄─────────────────┘
//!   transactions a node's clients submit ──► Hub ──► every reachable peer's pool
//! ```
//!
//! Proof-of-work nodes run on a hub of their own ([`PowHub`], [`PowNet`]): each node's
//! `cairn-pow` network task speaks through a [`SimTransport`] that the hub delivers from at
//! once, in order, across the links the test partitions and heals; the test mines, drawing
//! each block's miner from the seed in proportion to hash rates.
//!
//! What the seed fixes, and what it cannot (Malachite's sync seeds its own random number
//! generator from entropy, and node work runs on Tokio's blocking pool), is in ARCHITECTURE.md
//! ("BFT networks are tested in one process"); a failing run prints the seed and leaves the
//! delivery log that explains it.

mod clock;
mod genesis;
mod hub;
mod net;
mod network;
mod node;
mod pow_hub;
mod pow_net;
mod seed;
mod store;
mod wal;

pub use genesis::{CONSORTIUM_MEMBERS, VOTING_PERIOD_BLOCKS};
pub use hub::LinkFaults;
pub use net::{NetBuilder, NodeCtl, TestNet};
pub use pow_hub::{PowHub, SimTransport};
pub use pow_net::PowNet;
pub use seed::{Seed, run};
pub use store::SimKv;
