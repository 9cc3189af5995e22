//! Slow, lossy and partitioned links: never a fork, and progress whenever a quorum talks.

use std::time::Duration;

use cairn_simnet::{LinkFaults, NetBuilder, run};

use crate::SEEDS;

#[test]
fn a_two_two_partition_halts_and_heals() {
    run("a_two_two_partition_halts_and_heals", &SEEDS, |seed| async move {
        let mut net = NetBuilder::new(seed).start().await;
        net.wait_until_height(2).await;

        // Every message 50 ms late: slower, still live and in agreement.
        let late = Duration::from_millis(50);
        net.set_faults(LinkFaults::delayed(late, late));
        let target = net.height(0) + 3;
        net.wait_until_height(target).await;
        net.assert_agreement();
        net.set_faults(LinkFaults::RELIABLE);

        // 2 + 2: neither side holds more than two thirds, so neither finalises.
        net.partition(&[&[0, 1], &[2, 3]]);
        net.run_for(Duration::from_secs(5)).await;
        let stalled = net.heights();
        net.run_for(Duration::from_secs(30)).await;
        assert_eq!(net.heights(), stalled, "seed {}: finalised while split", seed.0);
        net.assert_agreement();

        // Healed: finality resumes and everyone agrees.
        net.heal();
        let target = stalled.iter().max().expect("four nodes") + 2;
        net.wait_until_height(target).await;
        net.assert_agreement();
    });
}

#[test]
fn lossy_reordering_links_stay_safe_and_live() {
    run("lossy_reordering_links_stay_safe_and_live", &SEEDS, |seed| async move {
        // Each link loses messages on its own, with no gossip relay and no resending of a
        // proposal's parts, so a round's proposal reaches a peer only if both its parts do:
        // at 20% loss rounds fail so often that 15 heights can take longer than a wait's 600
        // simulated seconds. 10% still fails many rounds and exercises rebroadcast and sync.
        let lossy = LinkFaults::lossy(0.1, Duration::ZERO, Duration::from_millis(400));
        let mut net = NetBuilder::new(seed).faults(lossy).start().await;
        net.wait_until_height(15).await;
        net.assert_agreement();
        net.set_faults(LinkFaults::RELIABLE);
        net.wait_until_height(20).await;
        net.assert_agreement();
    });
}
