//! The network itself: validators agree on reliable links, and a network that stalls fails
//! the test with its seed instead of hanging it.

use cairn_simnet::{NetBuilder, run};

use crate::SEEDS;

#[test]
fn four_validators_reach_height_20() {
    run("four_validators_reach_height_20", &SEEDS, |seed| async move {
        let mut net = NetBuilder::new(seed).start().await;
        net.wait_until_height(20).await;
        net.assert_agreement();
        for i in 0..4 {
            net.audit(i);
        }
    });
}

/// Two validators of four never start: no quorum, so no block. The wait gives up after its
/// simulated deadline (milliseconds of real time, once only timers are left) and names the seed.
#[test]
#[should_panic(expected = "did not reach height 1 in 600 s of simulated time")]
fn a_stalled_network_fails_with_its_seed() {
    run("a_stalled_network_fails_with_its_seed", &[7], |seed| async move {
        let mut net = NetBuilder::new(seed).stopped(&[2, 3]).start().await;
        net.wait_until_height(1).await;
    });
}
