//! Scenarios on the in-process test network: four validators (and, where a scenario says, a
//! full node or a second copy of one validator) running Cairn's real node and Malachite's real
//! consensus and sync actors in one process, on a simulated clock and network. Each scenario
//! runs for a few seeds; `CAIRN_SIM_SEED=N` runs seed `N` alone, and a failure prints the seed.
#![allow(clippy::unwrap_used, missing_docs, unreachable_pub)]

mod basic;

/// Seeds each scenario runs unless `CAIRN_SIM_SEED` names one.
const SEEDS: [u64; 3] = [1, 2, 3];
