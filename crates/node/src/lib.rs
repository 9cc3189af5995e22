//! A running Cairn node: the store, the mempool and a consensus engine wired together.
//!
//! ```text
//!  submit_raw(_batch) ─► senders recovered in parallel, outside the pool lock ─► account
//!                        rules at the head (refused: AccountNotPermitted) ─► Pool
//!  Pool ─► build_candidate ─► account rules at the head (refused: left out, dropped)
//!                         ─► build_block (revm)
//!  peer's block ────────► check_candidate ─► block_end.import ─► senders ─► account rules at
//!                         the parent ─► execute_block (revm, roots must match)
//!  agreed candidate (seal set by the engine) ─► commit_candidate ─► ChainStore::commit_block
//!                                     (block, receipts, state, next epoch's set: one batch)
//!  validator_set(height) / StoreSets: the set of a height over one snapshot (genesis set
//!  until a block records another), what every role judging a height is given
//!                                                                 └► Pool::on_block, new head
//!  channels: chain events (subscribe_chain: heads, reorgs) and admitted transactions
//!  (subscribe_pending), apart,
//!  so a flood of transactions never makes a block subscriber miss blocks; transactions from
//!  local clients (subscribe_local) are what gossip announces, peers' ones it relays itself
//!  dev engine: produce_block = build_candidate + seal + commit_candidate
//!  proof of work: Miner = build_candidate (difficulty from the engine) + nonce search on
//!  its own threads + commit_candidate (the header rule checks the work)
//!  import_block (fork_choice): a block from elsewhere; on a chain with work the heaviest
//!  branch (total difficulty, ties first seen) is canonical: side blocks are kept, a heavier
//!  branch is executed on a staged view (ChainStore::switch_branch) and written at once,
//!  abandoned transactions go back to the pool, ChainEvent::Reorg precedes the new heads
//!  audit::verify_chain: replay every stored block in memory and compare
//!  logs::scan_logs: the filtered log scan shared by JSON-RPC and the REST API
//!  fee_suggestion: the tip and gas price JSON-RPC and the REST API suggest
//!  pending_context / pending_block: the next block as simulations and `pending` see it
//!  RecordStore: other crates' record tables (webhooks) beside the chain, never the chain's
//! ```

pub mod audit;
mod call;
mod fees;
mod fork_choice;
mod genesis_views;
mod governance_genesis;
pub mod logs;
mod miner;
mod node;
mod producer;
mod reads;
mod records;
mod sets;
mod staking_genesis;

pub use cairn_reads::CallBlock;
pub use cairn_reads::{ChainEvent, FeeSuggestion, NodeError, Origin, Reorg, TxLookup};
pub use call::{
    AccessListResult, BlockOverrides, CALL_GAS_CAP, CallOutcome, StateOverride, TransactionRequest,
};
pub use fork_choice::Imported;
pub use miner::Miner;
pub use node::{Candidate, Node};
pub use producer::BlockProducer;
