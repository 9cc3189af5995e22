//! Validators that crash: the rest go on while a quorum remains, stop without one, and a
//! validator that restarts replays its write-ahead log instead of voting twice.

use std::time::Duration;

use cairn_bft::Height;
use cairn_simnet::{NetBuilder, run};
use malachitebft_app_channel::app::types::core::VoteType;
use malachitebft_core_consensus::SignedConsensusMsg;

use crate::{SEEDS, missed};

#[test]
fn one_validator_down_the_rest_finalise() {
    run("one_validator_down_the_rest_finalise", &SEEDS, |seed| async move {
        let mut net = NetBuilder::new(seed).start().await;
        net.wait_until_height(5).await;
        net.node(3).crash().await;
        let down_at = net.height(0);
        net.wait_until(&[0, 1, 2], 15).await;

        net.node(3).restart().await;
        let target = net.height(0) + 2;
        net.wait_until_height(target).await;
        net.assert_agreement();
        // The certificates show who was missing: three of four still made a quorum.
        assert!(missed(&net, 0, 3, down_at + 1, 15) >= 4, "seed {}", seed.0);
    });
}

#[test]
fn without_quorum_nothing_is_final_until_one_returns() {
    run("without_quorum_nothing_is_final_until_one_returns", &SEEDS, |seed| async move {
        let mut net = NetBuilder::new(seed).start().await;
        net.wait_until_height(3).await;
        net.node(2).crash().await;
        net.node(3).crash().await;
        // A block already agreed when the two stopped may still land; then nothing more can.
        net.run_for(Duration::from_secs(5)).await;
        let stalled = net.height(0);
        net.run_for(Duration::from_secs(30)).await;
        assert_eq!(net.height(0), stalled, "seed {}: finalised without a quorum", seed.0);
        assert_eq!(net.height(1), stalled, "seed {}", seed.0);
        net.assert_agreement();

        net.node(2).restart().await;
        net.wait_until(&[0, 1, 2], stalled + 2).await;
        net.assert_agreement();
    });
}

#[test]
fn a_validator_crashed_after_precommit_replays_its_wal() {
    run("a_validator_crashed_after_precommit_replays_its_wal", &SEEDS, |seed| async move {
        let mut net = NetBuilder::new(seed).start().await;
        net.crash_when(1, |message| {
            matches!(message, SignedConsensusMsg::Vote(v)
                if v.message.vote_type == VoteType::Precommit && v.message.height == Height(6))
        });
        net.wait_until(&[0, 2, 3], 8).await;
        assert!(net.height(1) <= 6, "seed {}: node 1 crashed at its precommit for 6", seed.0);

        net.node(1).restart().await;
        let target = net.height(0) + 2;
        net.wait_until_height(target).await;
        net.assert_agreement();
        let signer = net.validator(1);
        for i in 0..4 {
            let evidence = net.evidence(i);
            assert!(
                evidence.iter().all(|e| e.validator != signer),
                "seed {}: node {i} caught node 1 voting twice: {evidence:?}",
                seed.0
            );
        }
    });
}
