//! Ethereum JSON-RPC over HTTP (and, through jsonrpsee, WebSocket on the same port).
//!
//! ```text
//!  client ─► jsonrpsee server (limits, batches, -32700/-32601/-32602) ─► RpcModule<Node>
//!                                                                        └─► Node reads / submit
//! ```
//!
//! This is the first slice of the JSON-RPC issue: chain, account and submission methods.
//! Blocks, receipts, logs, calls, filters and subscriptions come next.

mod error;
mod eth;
mod server;

pub use error::RpcError;
pub use eth::module;
pub use server::{RpcConfig, start};
