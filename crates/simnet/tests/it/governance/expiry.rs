//! A proposal only its proposer's organisation votes for expires at its deadline: the epoch's
//! end records it expired, nothing it proposed happens, and a vote after the deadline reverts.

use alloy_sol_types::SolCall;
use cairn_governance::{Governance, ProposalStatus};
use cairn_simnet::{NetBuilder, VOTING_PERIOD_BLOCKS, run};

use super::{EPOCH_LENGTH, ORGS, ask, epoch_end, power, proposal, send_to_governance, status};
use crate::SEEDS;

#[test]
fn a_proposal_with_one_vote_of_three_expires_and_changes_nothing() {
    run(
        "a_proposal_with_one_vote_of_three_expires_and_changes_nothing",
        &SEEDS,
        |seed| async move {
            let mut net = NetBuilder::new(seed).consortium(ORGS, EPOCH_LENGTH).start().await;
            net.wait_until_height(2).await;
            let admins = net.accounts()[..ORGS].to_vec();
            let target = net.validator(2);

            // org3's admin proposes removing validator 2; nobody else votes.
            let propose = Governance::proposeRemoveValidatorCall { validator: target };
            let proposed = send_to_governance(&mut net, &admins[2], 0, propose.abi_encode()).await;
            assert!(proposed.receipt.success(), "seed {}: proposeRemoveValidator reverted", seed.0);
            let created = proposal(&net, proposed.block_number, 1);
            assert_eq!(created.deadline, proposed.block_number + VOTING_PERIOD_BLOCKS);
            assert_eq!((created.yes, created.no), (1, 0));
            assert_eq!(status(&net, proposed.block_number, 1), ProposalStatus::Open);

            // The first epoch's end after the deadline records it expired and drops it.
            let deadline = created.deadline;
            let recorded = epoch_end(deadline + 1);
            net.wait_until_height(recorded + 2).await;
            assert_eq!(status(&net, deadline, 1), ProposalStatus::Open, "seed {}", seed.0);
            let expired = proposal(&net, recorded, 1);
            assert_eq!(status(&net, recorded, 1), ProposalStatus::Expired, "seed {}", seed.0);
            assert_eq!((expired.decidedHeight, expired.effectiveHeight), (recorded, 0));
            assert!(ask(&net, 0, recorded, Governance::pendingProposalsCall {}).is_empty());

            // Nothing changed: validator 2 is in every set and the contract's.
            for i in 0..4 {
                for n in 1..=recorded + 2 {
                    assert_eq!(
                        power(&net, i, n, target),
                        Some(1),
                        "seed {}: node {i} set {n}",
                        seed.0
                    );
                }
            }
            let set = ask(&net, 0, recorded, Governance::validatorSetCall {});
            assert_eq!(set.len(), 4);
            assert!(set.iter().any(|v| v.validator == target));

            // A vote now comes too late: the contract refuses it.
            let vote = Governance::voteCall { id: 1, support: true };
            let late = send_to_governance(&mut net, &admins[0], 0, vote.abi_encode()).await;
            assert!(!late.receipt.success(), "seed {}: a vote on an expired proposal", seed.0);
            assert_eq!(status(&net, late.block_number, 1), ProposalStatus::Expired);
            net.assert_agreement();
            net.audit(0);
        },
    );
}
