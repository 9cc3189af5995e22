//! What Cairn's fuzz targets share: a development chain with some history, the REST and
//! JSON-RPC servers on loopback with a client for them, and the seed corpora.
//!
//! Each target in `fuzz_targets/` feeds libFuzzer's bytes to one decoder of outside bytes
//! through the same public entry point the node uses, and asserts what must hold for any
//! input (no panic, typed errors, canonical round trips, bounded answers); [`alloc`] bounds
//! every single allocation.

pub mod alloc;
pub mod chain;
pub mod http;
pub mod seeds;
