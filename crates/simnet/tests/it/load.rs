//! Agreement while clients keep the validators busy.

use std::time::Duration;

use alloy_primitives::{Address, U256};
use cairn_primitives::test_utils::signed_transfer;
use cairn_simnet::{LinkFaults, NetBuilder, run};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::SEEDS;

/// Transfers each funded account sends.
const PER_ACCOUNT: u64 = 100;
/// Time between two submissions: 200 transactions per simulated second.
const PACE: Duration = Duration::from_millis(5);

#[test]
fn agreement_under_load() {
    run("agreement_under_load", &SEEDS, |seed| async move {
        let faults = LinkFaults::delayed(Duration::from_millis(1), Duration::from_millis(50));
        let mut net = NetBuilder::new(seed).faults(faults).start().await;
        net.wait_until_height(2).await;

        // Every account sends its transfers, each to a node the seed picks.
        let to = Address::repeat_byte(0x42);
        let chain_id = net.spec().chain_id;
        let mut rng = StdRng::seed_from_u64(seed.0);
        let mut hashes = Vec::new();
        let mut next = tokio::time::Instant::now();
        for nonce in 0..PER_ACCOUNT {
            for account in net.accounts() {
                let raw = signed_transfer(account, chain_id, nonce, to, 1).expect("signed");
                let node = rng.random_range(0..4);
                hashes.push(net.reads(node).submit_raw(&raw).expect("admitted"));
                next += PACE;
                tokio::time::sleep_until(next).await;
            }
        }

        // Every transfer lands, once, on every node.
        let sent = U256::from(hashes.len());
        let mut heights = 0;
        while net.reads(0).account(to).expect("read").map(|a| a.balance) != Some(sent) {
            heights += 1;
            assert!(heights < 60, "seed {}: transfers still missing", seed.0);
            let head = net.height(0);
            net.wait_until_height(head + 1).await;
        }
        let head = net.height(0);
        net.wait_until_height(head).await;
        for i in 0..4 {
            let node = net.reads(i);
            assert_eq!(node.account(to).expect("read").map(|a| a.balance), Some(sent));
            for account in net.accounts() {
                let nonce = node.account(account.address()).expect("read").map(|a| a.nonce);
                assert_eq!(nonce, Some(PER_ACCOUNT), "seed {}: node {i}", seed.0);
            }
            let included: usize = (1..=head)
                .map(|n| node.block(n).expect("read").expect("stored").transactions.len())
                .sum();
            assert_eq!(included, hashes.len(), "seed {}: node {i} holds each once", seed.0);
            let sample = hashes[rng.random_range(0..hashes.len())];
            assert!(node.transaction(sample).expect("read").is_some());
        }
        net.assert_agreement();
        net.audit(0);
    });
}
