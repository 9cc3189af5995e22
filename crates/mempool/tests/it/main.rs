//! Integration tests for the transaction pool, driven by real signed transactions.

#![allow(clippy::unwrap_used, missing_docs, unreachable_pub)]

mod admission;
mod common;
mod eviction;
mod lifecycle;
mod props;
mod selection;
