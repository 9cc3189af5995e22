//! Ethereum JSON-RPC over HTTP and WebSocket on one port (HTTPS and WSS with a certificate).
//!
//! ```text
//!  client ─► cairn_http: connections capped in all and per client address, header and body
//!            deadlines, TLS
//!         ─► Front: body read within its limit, unanswerable ids refused (-32600), transport
//!            marked; an idle WebSocket (no subscription, no call) closed
//!         ─► jsonrpsee server (size, batch, concurrency and subscription limits;
//!            -32700 / -32600 / -32601 / -32602 answered by the framework)
//!         ─► Screen: eth_subscribe over HTTP refused by name, more positional parameters
//!            than the method reads refused (-32602), WebSocket calls counted, a concurrency
//!            permit per request (-32005 beyond the limit)
//!         ─► Admission: eth_sendRawTransaction of a request or batch admitted together on the
//!            blocking pool (TxSubmitter::submit_raw_batch)
//!         ─► RpcModule<RpcContext>: eth, blocks, calls, logs, filters, fees, txpool, pubsub
//!         ─► cairn-reads: one ChainView per answer (tags resolved there, from the engine's
//!            finality), the pool, simulations, TxSubmitter, node events
//! ```
//!
//! JSON shapes are alloy's RPC types, so they are the ones Ethereum clients parse.

mod admission;
mod arity;
mod blocks;
mod calls;
mod config;
mod context;
mod convert;
mod error;
mod eth;
mod fees;
mod filter_table;
mod filters;
mod front;
mod logs;
mod params;
mod pubsub;
mod screen;
mod server;
mod transport;
mod txpool;

pub use config::RpcConfig;
pub use error::RpcError;
pub use server::{start, start_with};
