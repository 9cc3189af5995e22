//! The staking contract's real compiled bytecode, executed in revm over an in-memory state:
//! users send transactions, the protocol makes system calls from revm's SYSTEM_ADDRESS; and
//! `StakingEnd` ending the blocks of a PoS chain on the node's own execution and store.
#![allow(clippy::unwrap_used, missing_docs)]

mod block_end;
mod digests;
mod epochs;
mod genesis;
mod harness;
mod model;
mod pos_chain;
mod registration;
mod rewards;
mod slashing;
mod stake;
mod system;
