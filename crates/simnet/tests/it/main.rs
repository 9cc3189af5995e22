//! Scenarios on the in-process test network: four validators (and, where a scenario says, a
//! full node, a candidate holding a consensus key outside the genesis set, a second copy of
//! one validator, or a validator ignoring its consortium's account rules) running Cairn's
//! real node and Malachite's real consensus and sync actors in one process, on a simulated
//! clock and network; on proof of stake or governed by a consortium where a scenario says.
//! Each scenario runs for a few seeds; `CAIRN_SIM_SEED=N` runs seed `N` alone, and a failure
//! prints the seed.
#![allow(clippy::unwrap_used, missing_docs, unreachable_pub)]

mod basic;
mod contracts;
mod crashes;
mod evidence;
mod governance;
mod load;
mod partitions;
mod pos;
mod pow;
mod sync;

use cairn_simnet::TestNet;

/// Seeds each scenario runs unless `CAIRN_SIM_SEED` names one.
const SEEDS: [u64; 3] = [1, 2, 3];

/// Blocks in `from..=to` of node `i` that validator `v` did not sign.
fn missed(net: &TestNet, i: usize, v: usize, from: u64, to: u64) -> usize {
    let node = net.reads(i);
    let validator = net.validator(v);
    (from..=to)
        .filter(|&n| {
            let block = node.block(n).expect("read").expect("stored");
            let certificate = cairn_bft::decode_seal(&block.header.seal).expect("a certificate");
            !certificate.commit_signatures.iter().any(|s| s.address.0 == validator)
        })
        .count()
}
