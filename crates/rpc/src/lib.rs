//! Ethereum JSON-RPC over HTTP and WebSocket on one port.
//!
//! ```text
//!  client ─► jsonrpsee server (size, batch, connection, concurrency and subscription limits;
//!            -32700 / -32600 / -32601 / -32602 answered by the framework)
//!         ─► Admission: eth_sendRawTransaction of a request or batch admitted together on the
//!            blocking pool (Node::submit_raw_batch)
//!         ─► RpcModule<RpcContext>: eth, blocks, calls, logs, filters, fees, txpool, pubsub
//!         ─► Node reads (one store snapshot per answer), Node::submit_raw, node events
//! ```
//!
//! JSON shapes are alloy's RPC types, so they are the ones Ethereum clients parse.

mod admission;
mod blocks;
mod calls;
mod context;
mod convert;
mod error;
mod eth;
mod fees;
mod filters;
mod logs;
mod params;
mod pubsub;
mod server;
mod txpool;

pub use error::RpcError;
pub use server::{RpcConfig, start, start_with};
