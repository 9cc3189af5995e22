//! Runs the real `cairn` binary: `verify` on a real data directory, before and after tampering,
//! and storage faults (missing, empty, damaged and full stores).
#![allow(clippy::unwrap_used, missing_docs, unreachable_pub)]

mod commands;
mod storage;
mod verify;
