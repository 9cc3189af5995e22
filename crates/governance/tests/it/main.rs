//! The governance contract's real compiled bytecode, executed in revm over an in-memory state
//! built from a chain spec by the node's genesis builder: admins send transactions, the
//! protocol ends epochs with a system call from revm's SYSTEM_ADDRESS.
#![allow(clippy::unwrap_used, missing_docs)]

mod chain;
mod end;
mod genesis;
mod harness;
mod limits;
mod members;
mod organisations;
mod private;
mod proposals;
mod readers;
mod refusals;
mod system;
