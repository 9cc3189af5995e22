//! A validator whose key runs on two nodes at once is caught and cannot fork the chain.

use cairn_simnet::{NetBuilder, run};

use crate::SEEDS;

#[test]
fn a_validator_running_twice_is_caught_and_cannot_fork() {
    run("a_validator_running_twice_is_caught_and_cannot_fork", &SEEDS, |seed| async move {
        // Node 4 runs validator 3's key too, with its own store and another fee recipient, so
        // whenever validator 3 proposes, its two copies sign different blocks.
        let mut net = NetBuilder::new(seed).double_signer(3).start().await;
        let double = net.validator(3);
        let by_double = |net: &cairn_simnet::TestNet, i: usize| {
            net.evidence(i).into_iter().filter(|e| e.validator == double).count()
        };
        let mut heights = 0;
        while (0..3).any(|i| by_double(&net, i) == 0) {
            heights += 1;
            assert!(
                heights < 40,
                "seed {}: evidence {:?}",
                seed.0,
                (0..3).map(|i| net.evidence(i)).collect::<Vec<_>>()
            );
            let head = net.height(0);
            net.wait_until(&[0, 1, 2], head + 1).await;
        }
        for i in 0..3 {
            let evidence = net.evidence(i);
            // Only the validator running twice equivocated, each time with two different blocks.
            assert_eq!(by_double(&net, i), evidence.len(), "seed {}: {evidence:?}", seed.0);
            assert!(
                evidence.iter().any(|e| {
                    let json = serde_json::to_value(e).expect("json");
                    (json["kind"] == "proposal" || json["kind"] == "prevote")
                        && json["first"] != json["second"]
                }),
                "seed {}: {evidence:?}",
                seed.0
            );
        }

        // Whichever copy won each height, every node holds the same chain and stays live.
        let target = net.height(0) + 4;
        net.wait_until_height(target).await;
        net.assert_agreement();
    });
}
