//! End-to-end tests of the ledger core through the node's in-process handle.
#![allow(clippy::unwrap_used, missing_docs, unreachable_pub)]

mod admission;
mod block_size;
mod call;
mod consensus_data;
mod contract;
mod crash;
mod durability;
mod events;
mod fail_stop;
mod fees;
mod fork_choice;
mod mempool;
mod mining;
mod permissions;
mod producer;
mod reads;
mod reorg_crash;
mod sets;
mod staking_genesis;
mod support;
mod system_logs;
mod time;
mod transfers;
