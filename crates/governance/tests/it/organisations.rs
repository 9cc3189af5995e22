//! Organisations come and go by proposal. A removed organisation takes its validators, nodes
//! and accounts with it, and its votes on pending proposals stop counting; the last
//! organisation and the last validator can never be removed.

use cairn_governance::{Governance, ProposalStatus};
use cairn_primitives::NetworkKind;

use crate::harness::{
    Chain, account, admin, compressed, member, peer, refusal, spec, validator_address,
};
use Governance::GovernanceErrors as E;

#[test]
fn a_new_organisation_joins_and_votes_from_the_next_epoch() {
    let mut chain = Chain::consortium();
    let newcomer = account(4_000);
    let id = chain.propose(
        admin(1),
        Governance::proposeAddOrganisationCall { name: "org4".into(), admins: vec![newcomer] },
    );
    chain.vote(admin(2), id, true).unwrap();
    assert!(!chain.is_member(newcomer));
    let ended = chain.end_epoch();
    let added = ended.events::<Governance::OrganisationAdded>();
    assert_eq!((added[0].org, added[0].name.as_str()), (4, "org4"));
    assert!(chain.is_member(newcomer));
    assert_eq!(chain.view(Governance::organisationIdsCall {}), vec![1, 2, 3, 4]);
    // Four organisations: three yes votes are needed now (3·2 < 2·4 ≤ 3·3).
    let id =
        chain.propose(newcomer, Governance::proposeParameterCall { parameter: 1, value: 2_000 });
    chain.vote(admin(1), id, true).unwrap();
    assert_eq!(chain.proposal(id).status, ProposalStatus::Open as u8);
    chain.vote(admin(2), id, true).unwrap();
    assert_eq!(chain.proposal(id).status, ProposalStatus::Passed as u8);
}

#[test]
fn a_removed_organisation_takes_its_validators_nodes_accounts_and_votes() {
    let mut chain = Chain::new(&spec(NetworkKind::Consortium, 3, 2));
    // Organisation 3 votes on a proposal of its own, which stays open.
    let pending = chain.propose(
        admin(3),
        Governance::proposeAddValidatorCall { org: 3, publicKey: compressed(99), power: 5 },
    );
    let removal = chain.propose(admin(1), Governance::proposeRemoveOrganisationCall { org: 3 });
    chain.vote(admin(2), removal, true).unwrap();
    assert_eq!(chain.proposal(pending).yes, 1);

    let ended = chain.end_epoch();
    assert_eq!(ended.events::<Governance::OrganisationRemoved>()[0].org, 3);
    let removed: Vec<_> =
        ended.events::<Governance::ValidatorRemoved>().iter().map(|e| e.validator).collect();
    assert_eq!(removed.len(), 2);
    assert!(removed.contains(&validator_address(31)) && removed.contains(&validator_address(32)));
    assert_eq!(chain.set().len(), 4);
    assert_eq!(chain.view(Governance::organisationIdsCall {}), vec![1, 2]);
    assert!(!chain.is_member(admin(3)) && !chain.is_member(member(3, 1)));
    assert!(!chain.view(Governance::isNodeAllowedCall { peerId: peer(3) }));
    assert_eq!(
        refusal(chain.try_view(Governance::organisationCall { org: 3 })),
        E::UnknownOrganisation(Governance::UnknownOrganisation { org: 3 })
    );
    // Its admin can no longer act, and its yes no longer counts.
    assert_eq!(
        refusal(chain.vote(admin(3), removal, true)),
        E::NotAnAdmin(Governance::NotAnAdmin { caller: admin(3) })
    );
    let p = chain.proposal(pending);
    assert_eq!((p.yes, p.organisations, p.status), (0, 2, ProposalStatus::Open as u8));
    // Two organisations: one yes (3 < 4) does not pass, both do.
    chain.vote(admin(1), pending, true).unwrap();
    assert_eq!(chain.proposal(pending).status, ProposalStatus::Open as u8);
    chain.vote(admin(2), pending, true).unwrap();
    assert_eq!(chain.proposal(pending).status, ProposalStatus::Passed as u8);
    // The removed organisation's name, accounts and peer ids are free again.
    let id = chain.propose(
        admin(1),
        Governance::proposeAddOrganisationCall { name: "org3".into(), admins: vec![admin(3)] },
    );
    chain.vote(admin(2), id, true).unwrap();
    chain.end_epoch();
    assert_eq!(chain.view(Governance::organisationIdsCall {}), vec![1, 2, 4], "ids never reused");
    assert!(chain.is_member(admin(3)));
    assert!(!chain.is_member(member(3, 1)), "old members do not come back");
}

#[test]
fn the_last_organisation_and_the_last_validator_stay() {
    // Two organisations, one validator between them (organisation 1's).
    let mut spec = spec(NetworkKind::Consortium, 2, 1);
    let governance = spec.governance.as_mut().unwrap();
    let second = governance.organisations[1].validators.pop().unwrap();
    spec.validators.retain(|v| v.address != second);
    spec.alloc.insert(
        cairn_governance::GOVERNANCE_ADDRESS,
        cairn_governance::governance_account(&spec).unwrap(),
    );
    let mut chain = Chain::new(&spec);
    let only = validator_address(11);
    assert_eq!(
        refusal(chain.send(admin(2), Governance::proposeRemoveValidatorCall { validator: only })),
        E::LastValidator(Governance::LastValidator {})
    );
    assert_eq!(
        refusal(chain.send(admin(2), Governance::proposeRemoveOrganisationCall { org: 1 })),
        E::LastValidator(Governance::LastValidator {})
    );
    // Removing organisation 2 is fine; then organisation 1 is the last one.
    let id = chain.propose(admin(1), Governance::proposeRemoveOrganisationCall { org: 2 });
    chain.vote(admin(2), id, true).unwrap();
    chain.end_epoch();
    assert_eq!(
        refusal(chain.send(admin(1), Governance::proposeRemoveOrganisationCall { org: 1 })),
        E::LastOrganisation(Governance::LastOrganisation {})
    );
}

#[test]
fn a_passed_proposal_that_no_longer_applies_fails_at_the_boundary() {
    // Two validators; two proposals each remove one; both pass; only the first applies.
    let mut chain = Chain::new(&spec(NetworkKind::Consortium, 2, 1));
    let first = chain.propose(
        admin(1),
        Governance::proposeRemoveValidatorCall { validator: validator_address(11) },
    );
    let second = chain.propose(
        admin(1),
        Governance::proposeRemoveValidatorCall { validator: validator_address(21) },
    );
    chain.vote(admin(2), first, true).unwrap();
    chain.vote(admin(2), second, true).unwrap();
    let ended = chain.end_epoch();
    assert_eq!(ended.events::<Governance::ProposalExecuted>()[0].id, first);
    let failed = ended.events::<Governance::ProposalFailed>();
    assert_eq!(failed[0].id, second);
    let reason = cairn_governance::GovernanceError::from_revert(failed[0].reason.clone());
    assert!(reason.to_string().contains("LastValidator()"), "{reason}");
    let p = chain.proposal(second);
    assert_eq!(p.status, ProposalStatus::Failed as u8);
    assert_eq!(p.failure, failed[0].reason);
    assert_eq!(chain.set(), vec![(validator_address(21), 10)]);
}
