//! Nodes that join late or lost their data catch up through value sync.

use cairn_simnet::{NetBuilder, run};

use crate::SEEDS;

#[test]
fn a_late_full_node_syncs_and_audits() {
    run("a_late_full_node_syncs_and_audits", &SEEDS, |seed| async move {
        let mut net = NetBuilder::new(seed).full_nodes(1).stopped(&[4]).start().await;
        net.wait_until_height(20).await;

        // A full node started with an empty store syncs everything, then follows the head.
        net.node(4).start().await;
        let head = net.height(0);
        net.wait_until(&[4], head).await;
        net.wait_until(&[4], head + 3).await;
        net.assert_agreement();
        // Every block re-executed and every certificate checked against the validator set.
        net.audit(4);
    });
}

#[test]
fn a_reset_validator_resyncs_from_genesis() {
    run("a_reset_validator_resyncs_from_genesis", &SEEDS, |seed| async move {
        let mut net = NetBuilder::new(seed).start().await;
        net.wait_until_height(8).await;
        net.node(2).crash().await;
        net.node(2).reset_db();
        assert_eq!(net.height(2), 0);

        net.node(2).restart().await;
        let target = net.height(0) + 2;
        net.wait_until_height(target).await;
        net.assert_agreement();
        net.audit(2);
    });
}
