//! The staking contract's real compiled bytecode, executed in revm over an in-memory state:
//! users send transactions, the protocol makes system calls from revm's SYSTEM_ADDRESS.
#![allow(clippy::unwrap_used, missing_docs)]

mod digests;
mod epochs;
mod genesis;
mod harness;
mod model;
mod registration;
mod rewards;
mod slashing;
mod stake;
mod system;
