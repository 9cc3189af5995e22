//! A consortium of three organisations governs its validator set: two of three votes pass a
//! proposal, which takes effect at the next epoch boundary; one vote is not enough and the
//! proposal expires; two noes reject it.

use alloy_sol_types::SolCall;
use cairn_governance::{Governance, ProposalStatus, next_set_record};

use crate::harness::{
    Chain, EPOCH_LENGTH, VOTING_PERIOD, admin, compressed, refusal, validator_address,
};
use Governance::GovernanceErrors as E;

fn status(chain: &mut Chain, id: u64) -> ProposalStatus {
    ProposalStatus::try_from(chain.proposal(id).status).unwrap()
}

#[test]
fn two_of_three_organisations_add_a_validator_from_the_next_epoch() {
    let mut chain = Chain::consortium();
    let before = chain.set();
    assert_eq!(before.len(), 3);
    chain.number = 3;
    let new = validator_address(99);
    let id = chain.propose(
        admin(1),
        Governance::proposeAddValidatorCall { org: 1, publicKey: compressed(99), power: 7 },
    );
    // Proposing casts the proposer's yes: one of three is not two thirds.
    let p = chain.proposal(id);
    assert_eq!((p.yes, p.no, p.organisations, p.deadline), (1, 0, 3, 3 + VOTING_PERIOD));
    assert_eq!(status(&mut chain, id), ProposalStatus::Open);

    chain.number = 4;
    let voted = chain.vote(admin(2), id, true).unwrap();
    assert_eq!(voted.events::<Governance::Voted>()[0].org, 2);
    let passed = voted.events::<Governance::ProposalPassed>();
    assert_eq!((passed[0].id, passed[0].height), (id, 4));
    assert_eq!(status(&mut chain, id), ProposalStatus::Passed);
    // Not yet in force: the set changes only at the epoch boundary.
    assert_eq!(chain.set(), before);
    assert_eq!(
        refusal(chain.vote(admin(3), id, true)),
        E::ProposalNotOpen(Governance::ProposalNotOpen { id, status: 1 })
    );

    let ended = chain.end_epoch();
    let executed = ended.events::<Governance::ProposalExecuted>();
    assert_eq!((executed[0].id, executed[0].effectiveHeight), (id, EPOCH_LENGTH + 1));
    assert_eq!(ended.events::<Governance::ValidatorAdded>()[0].validator, new);
    let answer = Governance::endEpochCall::abi_decode_returns(&ended.output).unwrap();
    let record = next_set_record(answer, 1, EPOCH_LENGTH + 1).unwrap();
    assert!(record.members.iter().any(|m| m.address == new && m.power == 7));
    assert_eq!(record.members.len(), 4);
    assert_eq!(chain.set().len(), 4);
    let p = chain.proposal(id);
    assert_eq!(p.status, ProposalStatus::Executed as u8);
    assert_eq!(p.effectiveHeight, EPOCH_LENGTH + 1);
    assert_eq!(
        p.votes.iter().map(|v| (v.org, v.voter, v.support)).collect::<Vec<_>>(),
        vec![(1, admin(1), true), (2, admin(2), true)]
    );
    assert!(chain.view(Governance::pendingProposalsCall {}).is_empty());

    // And out again: the removed validator leaves the set at the next boundary.
    let id = chain.propose(admin(3), Governance::proposeRemoveValidatorCall { validator: new });
    chain.vote(admin(1), id, true).unwrap();
    assert_eq!(chain.set().len(), 4);
    let ended = chain.end_epoch();
    assert_eq!(ended.events::<Governance::ValidatorRemoved>()[0].validator, new);
    assert_eq!(chain.set(), before);
    assert_eq!(chain.proposal(id).effectiveHeight, 2 * EPOCH_LENGTH + 1);
}

#[test]
fn a_proposal_with_one_vote_expires_at_its_deadline() {
    let mut chain = Chain::consortium();
    chain.number = 2;
    let id = chain.propose(
        admin(1),
        Governance::proposeAddValidatorCall { org: 1, publicKey: compressed(99), power: 7 },
    );
    let deadline = 2 + VOTING_PERIOD;
    // Survives the first epoch end (not yet past its deadline) without taking effect.
    let ended = chain.end_epoch();
    assert!(ended.events::<Governance::ProposalExecuted>().is_empty());
    assert_eq!(status(&mut chain, id), ProposalStatus::Open);
    chain.number = deadline + 1;
    assert_eq!(status(&mut chain, id), ProposalStatus::Expired, "reads expired at once");
    assert_eq!(
        refusal(chain.vote(admin(2), id, true)),
        E::VotingClosed(Governance::VotingClosed { id, deadline })
    );
    let ended = chain.end_epoch();
    let expired = ended.events::<Governance::ProposalExpired>();
    assert_eq!((expired[0].id, expired[0].deadline), (id, deadline));
    assert_eq!(chain.set().len(), 3);
    assert!(chain.view(Governance::pendingProposalsCall {}).is_empty());
    assert_eq!(chain.proposal(id).status, ProposalStatus::Expired as u8);
}

#[test]
fn two_noes_of_three_reject_and_nobody_votes_twice() {
    let mut chain = Chain::consortium();
    let id = chain
        .propose(admin(1), Governance::proposeParameterCall { parameter: 0, value: 50_000_000 });
    assert_eq!(
        refusal(chain.vote(admin(1), id, true)),
        E::AlreadyVoted(Governance::AlreadyVoted { id, org: 1 })
    );
    chain.vote(admin(2), id, false).unwrap();
    assert_eq!(
        refusal(chain.vote(admin(2), id, true)),
        E::AlreadyVoted(Governance::AlreadyVoted { id, org: 2 })
    );
    assert_eq!(status(&mut chain, id), ProposalStatus::Open, "one no of three can still pass");
    let done = chain.vote(admin(3), id, false).unwrap();
    assert_eq!(done.events::<Governance::ProposalRejected>()[0].id, id);
    assert_eq!(status(&mut chain, id), ProposalStatus::Rejected);
    chain.end_epoch();
    assert_eq!(chain.view(Governance::paramsCall {}).gasLimit, 30_000_000);
}

#[test]
fn parameters_change_at_the_epoch_boundary() {
    let mut chain = Chain::consortium();
    let changes = [(0u8, 50_000_000u64), (1, 500), (2, 20), (3, 30), (4, 0), (5, 0), (6, 1)];
    let ids: Vec<u64> = changes
        .iter()
        .map(|&(parameter, value)| {
            let id = chain.propose(admin(1), Governance::proposeParameterCall { parameter, value });
            chain.vote(admin(3), id, true).unwrap();
            id
        })
        .collect();
    assert_eq!(chain.view(Governance::paramsCall {}).epochLength, EPOCH_LENGTH);
    let ended = chain.end_epoch();
    assert_eq!(
        ended
            .events::<Governance::ParameterChanged>()
            .iter()
            .map(|e| (e.parameter, e.value))
            .collect::<Vec<_>>(),
        changes
    );
    let p = chain.view(Governance::paramsCall {});
    assert_eq!(
        (p.gasLimit, p.blockTimeMs, p.epochLength, p.votingPeriodBlocks),
        (50_000_000, 500, 20, 30)
    );
    assert!(!p.permissionAccounts && !p.permissionNodes && p.permissionDeployers);
    for id in ids {
        assert_eq!(chain.proposal(id).status, ProposalStatus::Executed as u8);
    }
    // Switches off: anyone may transact and connect; the deployer switch still binds deployers.
    let stranger = crate::harness::outsider();
    assert!(chain.view(Governance::canTransactCall { account: stranger }));
    assert!(!chain.view(Governance::canDeployCall { account: stranger }));
    assert!(chain.view(Governance::isNodeAllowedCall { peerId: crate::harness::peer(77) }));
    // A proposal made now runs for the new voting period.
    chain.number = 12;
    let id = chain
        .propose(admin(1), Governance::proposeParameterCall { parameter: 0, value: 40_000_000 });
    assert_eq!(chain.proposal(id).deadline, 12 + 30);
}
