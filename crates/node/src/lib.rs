//! A running Cairn node: the store, the mempool and a consensus engine wired together.
//!
//! ```text
//!  submit_raw ─► Pool ─► produce_block ─► build_block (revm) ─► ChainStore::commit_block
//!                                                  ▲                     │
//!                      Consensus (proposer, seal) ─┘         Pool::on_block (drop included)
//!  audit::verify_chain: replay every stored block in memory and compare
//!  logs::scan_logs: the filtered log scan shared by JSON-RPC and the REST API
//! ```

pub mod audit;
mod call;
mod error;
pub mod logs;
mod node;
mod producer;

pub use call::{
    AccessListResult, BlockOverrides, CALL_GAS_CAP, CallOutcome, StateOverride, TransactionRequest,
};
pub use error::NodeError;
pub use node::{Node, NodeEvent, TxLookup};
pub use producer::BlockProducer;
