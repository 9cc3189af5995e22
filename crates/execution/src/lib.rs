//! Runs transactions with revm and turns a block's effects into receipts and state changes.
//!
//! ```text
//!  StateView (store snapshot) ◄── Overlay (this block's writes so far) ◄── revm
//!                                       │
//!   BlockExecutor::execute(tx, sender) ─┴─► Receipt per tx ─► finish() ─► StateChanges
//! ```
//!
//! After the transactions, the consensus engine's protocol calls ([`BlockEnd`], made from
//! [`SYSTEM_ADDRESS`]) may mint and call system contracts; their writes join the block's.
//!
//! A transaction that is invalid against the current state (nonce, funds, gas) changes
//! nothing: a block builder skips it, a block importer rejects the block.

mod block;
mod call;
mod env;
mod error;
mod executor;
mod genesis;
mod overlay;
mod pending;
mod state_db;
mod system;

pub use block::{BuiltBlock, ExecutedBlock, build_block, execute_block};
pub use call::{
    CALL_GAS_CAP, CallContext, CallError, CallOutcome, call, create_access_list, estimate_gas,
};
pub use env::{BlockContext, SPEC};
pub use error::ExecError;
pub use executor::{BlockExecutor, ExecutionOutcome, TxResult};
pub use genesis::{GenesisCreation, create_genesis_contract};
pub use pending::PendingState;
pub use system::{
    BlockEnd, EndOfBlock, NoBlockEnd, SYSTEM_ADDRESS, SystemCallOutcome, SystemCaller,
};
