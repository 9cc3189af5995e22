//! Every list the contract keeps is bounded, and endEpoch at the bounds stays well inside the
//! gas a protocol call may use.

use alloy_primitives::U256;
use cairn_governance::{GOVERNANCE_ADDRESS, Governance, governance_account};
use cairn_primitives::{NetworkKind, NodeSpec};

use crate::harness::{Chain, account, admin, compressed, peer, refusal, spec, validator_address};
use Governance::GovernanceErrors as E;

/// revm's budget for a system call (regular gas).
const SYSTEM_CALL_GAS: u64 = 30_000_000;

#[test]
fn open_proposals_are_bounded_and_lapsed_ones_make_room() {
    let mut chain = Chain::consortium();
    let max = chain.view(Governance::MAX_OPEN_PROPOSALSCall {}).to::<u64>();
    assert_eq!(max, 16);
    for value in 0..max {
        chain.propose(
            admin(1),
            Governance::proposeParameterCall { parameter: 1, value: 100 + value },
        );
    }
    let next = Governance::proposeParameterCall { parameter: 1, value: 99 };
    assert_eq!(
        refusal(chain.send(admin(2), next.clone())),
        E::TooManyOpenProposals(Governance::TooManyOpenProposals { maximum: U256::from(16) })
    );
    chain.number += crate::harness::VOTING_PERIOD + 1;
    let done = chain.send(admin(2), next).unwrap();
    assert_eq!(done.events::<Governance::ProposalExpired>().len(), 16);
    assert_eq!(chain.view(Governance::pendingProposalsCall {}), vec![17]);
}

#[test]
fn admins_members_and_nodes_are_bounded_per_organisation() {
    let mut chain = Chain::consortium();
    for i in 1..8 {
        chain.send(admin(1), Governance::addAdminCall { account: account(10_000 + i) }).unwrap();
    }
    assert_eq!(
        refusal(chain.send(admin(1), Governance::addAdminCall { account: account(10_100) })),
        E::TooManyAdmins(Governance::TooManyAdmins { maximum: U256::from(8) })
    );
    // Two members from the spec, then up to 1,000.
    for i in 0..998 {
        chain.send(admin(2), Governance::addMemberCall { account: account(20_000 + i) }).unwrap();
    }
    assert_eq!(
        refusal(chain.send(admin(2), Governance::addMemberCall { account: account(30_000) })),
        E::TooManyMembers(Governance::TooManyMembers { maximum: U256::from(1_000) })
    );
    assert_eq!(chain.view(Governance::organisationCall { org: 2 }).members.len(), 1_000);

    let mut full = spec(NetworkKind::Consortium, 2, 1);
    full.governance.as_mut().unwrap().organisations[0].nodes =
        (100..132).map(|n| NodeSpec { peer_id: peer(n), consensus_address: None }).collect();
    full.alloc.insert(GOVERNANCE_ADDRESS, governance_account(&full).unwrap());
    let mut chain = Chain::new(&full);
    assert_eq!(
        refusal(chain.send(
            admin(1),
            Governance::proposeAllowNodeCall {
                org: 1,
                peerId: peer(7),
                consensusAddress: Default::default()
            }
        )),
        E::TooManyNodes(Governance::TooManyNodes { maximum: U256::from(32) })
    );
}

#[test]
fn organisations_and_validators_are_bounded() {
    let mut chain = Chain::new(&spec(NetworkKind::Consortium, 10, 10));
    assert_eq!(chain.set().len(), 100);
    assert_eq!(
        refusal(chain.send(
            admin(1),
            Governance::proposeAddValidatorCall { org: 1, publicKey: compressed(5_000), power: 1 }
        )),
        E::TooManyValidators(Governance::TooManyValidators { maximum: U256::from(100) })
    );
    let mut chain = Chain::new(&spec(NetworkKind::Consortium, 32, 1));
    assert_eq!(
        refusal(chain.send(
            admin(1),
            Governance::proposeAddOrganisationCall {
                name: "one too many".into(),
                admins: vec![account(1)]
            }
        )),
        E::TooManyOrganisations(Governance::TooManyOrganisations { maximum: U256::from(32) })
    );
}

/// The heaviest epoch end the limits allow, roughly: 32 organisations, 96 validators, and 16
/// passed proposals that remove 15 organisations (each compacting the set) and add a validator.
#[test]
fn end_epoch_at_the_limits_fits_a_system_call() {
    let mut chain = Chain::new(&spec(NetworkKind::Consortium, 32, 3));
    assert_eq!(chain.set().len(), 96);
    let mut ids: Vec<u64> = (2..=16u32)
        .map(|org| chain.propose(admin(1), Governance::proposeRemoveOrganisationCall { org }))
        .collect();
    ids.push(chain.propose(
        admin(1),
        Governance::proposeAddValidatorCall { org: 1, publicKey: compressed(5_000), power: 1 },
    ));
    // 22 of 32 organisations make two thirds (3 · 22 ≥ 64 > 3 · 21).
    for &id in &ids {
        for org in 17..=37u64 {
            if org <= 32 {
                chain.vote(admin(org), id, true).unwrap();
            }
        }
        assert_eq!(chain.proposal(id).yes, 17);
    }
    for &id in &ids {
        for org in 2..=6u64 {
            chain.vote(admin(org), id, true).unwrap();
        }
        assert_eq!(chain.proposal(id).status, 1, "passed with 22 votes");
    }
    let ended = chain.end_epoch();
    assert_eq!(ended.events::<Governance::ProposalExecuted>().len(), 16);
    assert_eq!(chain.set().len(), 96 - 45 + 1);
    assert!(chain.set().iter().any(|(v, _)| *v == validator_address(5_000)));
    println!("endEpoch with 16 passed proposals over 32 organisations: {} gas", ended.gas_used);
    assert!(ended.gas_used < SYSTEM_CALL_GAS / 2, "{} gas", ended.gas_used);
}
