//! Runs the real `cairn` binary: `verify` on a real data directory, before and after tampering,
//! storage faults (missing, empty, damaged and full stores), `staking` against a node, the
//! private and consortium networks `testnet init`, `testnet add-node` and `dev` write, and
//! `gov` driving them.
#![allow(clippy::unwrap_used, missing_docs, unreachable_pub)]

mod commands;
mod gov;
mod governed;
mod staking;
mod storage;
mod verify;
