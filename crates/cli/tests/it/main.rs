//! Runs the real `cairn` binary: `verify` on a real data directory, before and after tampering.
#![allow(clippy::unwrap_used, missing_docs, unreachable_pub)]

mod commands;
mod verify;
