//! The one read interface of a node: what JSON-RPC and the REST API read (and submit) through,
//! implemented once by `cairn-node`.
//!
//! ```text
//!  rpc, api ─► ServedNode = NodeReads + TxSubmitter
//!                 NodeReads = ChainReader + PoolReader + Simulator + NodeEvents (+ spec, engine)
//!  ChainReader::view() ─► ChainView: one consistent snapshot per answer
//!                           heads(): latest, and safe / finalized from the engine's finality
//!                           resolve(BlockSelector): the one place block tags become heights
//! ```
//!
//! Because tags resolve only in [`ChainView::resolve`] and [`ChainView::heads`], JSON-RPC's
//! `finalized` and the REST API's `/v1/blocks/finalized` are the same block by construction.

mod chain;
mod error;
mod node;
mod tag;
mod types;

pub use cairn_execution::CallOutcome;
pub use chain::{ChainReader, ChainView};
pub use error::NodeError;
pub use node::{NodeEvents, NodeReads, PoolReader, ServedNode, Simulator, TxSubmitter};
pub use tag::{BlockSelector, BlockTag, Heads};
pub use types::{
    BlockLog, CallBlock, ChainEvent, FeeSuggestion, Origin, Reorg, TxLookup, VerifyFailure,
    VerifyProgress, VerifyReport,
};
