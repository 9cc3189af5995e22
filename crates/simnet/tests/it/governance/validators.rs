//! The validator set changes by proposal: a fifth validator is voted in and signs from the
//! epoch after, a founding one is voted out and stops signing at the boundary while the rest
//! finalise, and a node started afterwards syncs from genesis through both changes and passes
//! its audit under the governed rules.

use alloy_primitives::Bytes;
use alloy_sol_types::SolCall;
use cairn_governance::{Governance, ProposalStatus};
use cairn_simnet::{NetBuilder, run};

use super::{EPOCH_LENGTH, ORGS, epoch_end, power, proposal, send_to_governance, signed, status};
use crate::SEEDS;

#[test]
fn validators_voted_in_and_out_change_the_signers_and_a_late_node_syncs_through_it() {
    run(
        "validators_voted_in_and_out_change_the_signers_and_a_late_node_syncs_through_it",
        &SEEDS,
        |seed| async move {
            // Validators 0 to 3; node 4 a full node started at the end; node 5 runs from
            // genesis with a consensus key outside the set, as an organisation's new validator.
            let (late, newcomer_node) = (4, 5);
            let mut net = NetBuilder::new(seed)
                .consortium(ORGS, EPOCH_LENGTH)
                .full_nodes(1)
                .candidates(1)
                .stopped(&[late])
                .start()
                .await;
            net.wait_until_height(2).await;
            let admins = net.accounts()[..ORGS].to_vec();
            let key = net.consensus_key(newcomer_node).clone();
            let newcomer = key.address().0;

            // org1's admin proposes the newcomer for its node's organisation; proposing casts
            // org1's yes, and one of three organisations is short of two thirds.
            let org = (newcomer_node % ORGS) as u32 + 1;
            let propose = Governance::proposeAddValidatorCall {
                org,
                publicKey: Bytes::copy_from_slice(&key.public_key().0),
                power: 1,
            };
            let proposed = send_to_governance(&mut net, &admins[0], 0, propose.abi_encode()).await;
            assert!(proposed.receipt.success(), "seed {}: proposeAddValidator reverted", seed.0);
            let opened = proposal(&net, proposed.block_number, 1);
            assert_eq!((opened.yes, opened.no, opened.organisations), (1, 0, 3));
            assert_eq!(status(&net, proposed.block_number, 1), ProposalStatus::Open);

            // org2's admin votes yes: two of three organisations pass it.
            let vote = Governance::voteCall { id: 1, support: true };
            let voted = send_to_governance(&mut net, &admins[1], 0, vote.abi_encode()).await;
            assert!(voted.receipt.success(), "seed {}: vote reverted", seed.0);
            assert_eq!(status(&net, voted.block_number, 1), ProposalStatus::Passed);

            // It takes effect at the end of the epoch it passed in; the newcomer signs from
            // the next block on (a certificate needs 4 of the 5 precommits, so look for its
            // precommit across the epoch and every node's seals).
            let joined = epoch_end(voted.block_number);
            net.wait_until_height(joined + EPOCH_LENGTH).await;
            let executed = proposal(&net, joined, 1);
            assert_eq!(status(&net, joined, 1), ProposalStatus::Executed);
            assert_eq!(executed.effectiveHeight, joined + 1);
            let running = [0, 1, 2, 3, newcomer_node];
            for i in running {
                assert_eq!(power(&net, i, joined, newcomer), None, "seed {}: node {i}", seed.0);
                assert_eq!(power(&net, i, joined + 1, newcomer), Some(1), "seed {}", seed.0);
                for n in 1..=joined {
                    assert!(!signed(&net, i, n, newcomer), "seed {}: signed block {n}", seed.0);
                }
            }
            assert!(
                (joined + 1..=joined + EPOCH_LENGTH)
                    .any(|n| running.iter().any(|&i| signed(&net, i, n, newcomer))),
                "seed {}: the new validator does not sign after block {joined}",
                seed.0
            );

            // org2's admin proposes removing validator 3 (org1's), org3's admin agrees.
            let leaving = net.validator(3);
            let propose = Governance::proposeRemoveValidatorCall { validator: leaving };
            let proposed = send_to_governance(&mut net, &admins[1], 1, propose.abi_encode()).await;
            assert!(proposed.receipt.success(), "seed {}: proposeRemoveValidator reverted", seed.0);
            let vote = Governance::voteCall { id: 2, support: true };
            let voted = send_to_governance(&mut net, &admins[2], 0, vote.abi_encode()).await;
            assert_eq!(status(&net, voted.block_number, 2), ProposalStatus::Passed);

            // It signs up to the boundary and never after it; the other four finalise on.
            let left = epoch_end(voted.block_number);
            let top = left + 2 * EPOCH_LENGTH;
            net.wait_until_height(top).await;
            for i in running {
                assert_eq!(power(&net, i, left, leaving), Some(1), "seed {}: node {i}", seed.0);
                assert_eq!(power(&net, i, left + 1, leaving), None, "seed {}: node {i}", seed.0);
                for n in left + 1..=top {
                    assert!(!signed(&net, i, n, leaving), "seed {}: block {n}", seed.0);
                }
            }
            assert!(
                (left - EPOCH_LENGTH + 1..=left)
                    .any(|n| running.iter().any(|&i| signed(&net, i, n, leaving))),
                "seed {}: validator 3 did not sign before block {left}",
                seed.0
            );
            net.assert_agreement();

            // A node started now syncs from genesis through both changes: each block it
            // imports is certified by the set its own store derived for that height.
            net.node(late).start().await;
            let head = net.height(0);
            net.wait_until(&[late], head + 2).await;
            for n in 1..=head {
                assert_eq!(
                    net.reads(late).validator_set(n).expect("set").hash(),
                    net.reads(0).validator_set(n).expect("set").hash(),
                    "seed {}: set of {n}",
                    seed.0
                );
            }
            net.assert_agreement();
            net.audit(late);
            net.audit(newcomer_node);
            net.audit(0);
        },
    );
}
