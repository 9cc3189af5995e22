//! Runs the real `cairn` binary: `verify` on a real data directory, before and after tampering,
//! storage faults (missing, empty, damaged and full stores), and `staking` against a node.
#![allow(clippy::unwrap_used, missing_docs, unreachable_pub)]

mod commands;
mod staking;
mod storage;
mod verify;
