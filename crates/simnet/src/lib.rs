//! An in-process test network for Cairn's BFT nodes.

mod store;
mod wal;

pub use store::SimKv;
