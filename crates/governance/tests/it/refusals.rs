//! Every refusal of a proposal or a vote is a revert with the contract's custom error, and a
//! refused proposal leaves no trace.

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::SolCall;
use cairn_governance::{Governance, GovernanceError};

use crate::harness::{
    Chain, account, admin, compressed, member, outsider, peer, refusal, uncompressed_xy,
    validator_address,
};
use Governance::GovernanceErrors as E;

/// Sends `call` from organisation 1's admin and returns its refusal, checking nothing changed.
fn refused<C: SolCall>(chain: &mut Chain, call: C) -> E {
    let before = chain.view(Governance::proposalCountCall {});
    let error = refusal(chain.send(admin(1), call));
    assert_eq!(chain.view(Governance::proposalCountCall {}), before);
    error
}

#[test]
fn proposals_about_validators_are_checked() {
    let mut chain = Chain::consortium();
    let add = |org, public_key: Bytes, power| Governance::proposeAddValidatorCall {
        org,
        publicKey: public_key,
        power,
    };
    assert_eq!(
        refused(&mut chain, add(9, compressed(99), 1)),
        E::UnknownOrganisation(Governance::UnknownOrganisation { org: 9 })
    );
    let mut beyond_the_field = [0xffu8; 33];
    beyond_the_field[0] = 3;
    for bad in [
        Bytes::new(),
        Bytes::from([2u8; 32]),
        Bytes::from([4u8; 33]),
        Bytes::from(beyond_the_field),
    ] {
        assert_eq!(
            refused(&mut chain, add(1, bad, 1)),
            E::InvalidPublicKey(Governance::InvalidPublicKey {})
        );
    }
    let mut off_curve = uncompressed_xy(99).to_vec();
    off_curve[63] ^= 1;
    assert_eq!(
        refused(&mut chain, add(1, off_curve.into(), 1)),
        E::InvalidPublicKey(Governance::InvalidPublicKey {})
    );
    assert_eq!(
        refused(&mut chain, add(1, compressed(11), 1)),
        E::DuplicateValidator(Governance::DuplicateValidator { validator: validator_address(11) })
    );
    assert_eq!(
        refused(&mut chain, add(1, compressed(99), 0)),
        E::InvalidPower(Governance::InvalidPower { power: 0 })
    );
    assert_eq!(
        refused(&mut chain, add(1, compressed(99), u64::MAX)),
        E::TotalPowerTooLarge(Governance::TotalPowerTooLarge {
            total: U256::from(u64::MAX) + U256::from(30)
        })
    );
    assert_eq!(
        refused(&mut chain, Governance::proposeRemoveValidatorCall { validator: outsider() }),
        E::UnknownValidator(Governance::UnknownValidator { validator: outsider() })
    );
    // The 64-byte x‖y form names the same validator, kept compressed.
    let id = chain.propose(admin(1), add(2, uncompressed_xy(99), 4));
    chain.vote(admin(2), id, true).unwrap();
    chain.end_epoch();
    let set = chain.view(Governance::validatorSetCall {});
    let added = set.iter().find(|v| v.validator == validator_address(99)).unwrap();
    assert_eq!((added.publicKey.clone(), added.power, added.org), (compressed(99), 4, 2));
}

#[test]
fn proposals_about_nodes_are_checked() {
    let mut chain = Chain::consortium();
    let allow = |org, peer_id: Bytes| Governance::proposeAllowNodeCall {
        org,
        peerId: peer_id,
        consensusAddress: Address::ZERO,
    };
    for bad in [Bytes::new(), Bytes::from_static(&[0x00, 0x05, 1]), Bytes::from([0x12; 34])] {
        assert_eq!(
            refused(&mut chain, allow(1, bad)),
            E::InvalidPeerId(Governance::InvalidPeerId {})
        );
    }
    assert_eq!(
        refused(&mut chain, allow(2, peer(1))),
        E::DuplicateNode(Governance::DuplicateNode { peerId: peer(1) })
    );
    assert_eq!(
        refused(&mut chain, allow(7, peer(50))),
        E::UnknownOrganisation(Governance::UnknownOrganisation { org: 7 })
    );
    assert_eq!(
        refused(&mut chain, Governance::proposeRemoveNodeCall { peerId: peer(50) }),
        E::UnknownNode(Governance::UnknownNode { peerId: peer(50) })
    );
    let mut sha = vec![0x12, 0x20];
    sha.extend([9u8; 32]);
    chain.propose(admin(1), allow(1, sha.into()));
}

#[test]
fn proposals_about_organisations_and_parameters_are_checked() {
    let mut chain = Chain::consortium();
    let add = |name: &str, admins: Vec<Address>| Governance::proposeAddOrganisationCall {
        name: name.into(),
        admins,
    };
    let newcomer = account(7_000);
    assert_eq!(
        refused(&mut chain, add("", vec![newcomer])),
        E::InvalidName(Governance::InvalidName {})
    );
    assert_eq!(
        refused(&mut chain, add(&"x".repeat(65), vec![newcomer])),
        E::InvalidName(Governance::InvalidName {})
    );
    chain.propose(admin(1), add(&"x".repeat(64), vec![newcomer]));
    assert_eq!(
        refused(&mut chain, add("org2", vec![newcomer])),
        E::OrganisationNameTaken(Governance::OrganisationNameTaken { org: 2 })
    );
    assert_eq!(
        refused(&mut chain, add("org9", vec![])),
        E::InvalidAdminCount(Governance::InvalidAdminCount {
            count: U256::ZERO,
            maximum: U256::from(8)
        })
    );
    assert_eq!(
        refused(&mut chain, add("org9", (0..9).map(|i| account(8_000 + i)).collect())),
        E::InvalidAdminCount(Governance::InvalidAdminCount {
            count: U256::from(9),
            maximum: U256::from(8)
        })
    );
    assert_eq!(
        refused(&mut chain, add("org9", vec![newcomer, newcomer])),
        E::DuplicateAccount(Governance::DuplicateAccount { account: newcomer })
    );
    assert_eq!(
        refused(&mut chain, add("org9", vec![member(2, 1)])),
        E::AccountInOrganisation(Governance::AccountInOrganisation {
            account: member(2, 1),
            org: 2
        })
    );
    assert_eq!(
        refused(&mut chain, add("org9", vec![Address::ZERO])),
        E::ZeroAddress(Governance::ZeroAddress {})
    );
    assert_eq!(
        refused(&mut chain, Governance::proposeRemoveOrganisationCall { org: 5 }),
        E::UnknownOrganisation(Governance::UnknownOrganisation { org: 5 })
    );
    let param = |parameter, value| Governance::proposeParameterCall { parameter, value };
    assert_eq!(
        refused(&mut chain, param(7, 1)),
        E::UnknownParameter(Governance::UnknownParameter { parameter: 7 })
    );
    for (parameter, value) in [
        (0, 20_999),
        (0, 1_000_000_001),
        (1, 0),
        (1, 86_400_001),
        (2, 0),
        (2, 1_000_001),
        (3, 0),
        (4, 2),
        (5, 7),
        (6, 2),
    ] {
        assert_eq!(
            refused(&mut chain, param(parameter, value)),
            E::ParameterOutOfRange(Governance::ParameterOutOfRange { parameter, value })
        );
    }
}

#[test]
fn only_admins_propose_and_vote_and_only_on_known_proposals() {
    let mut chain = Chain::consortium();
    for caller in [outsider(), member(1, 1), validator_address(11)] {
        assert_eq!(
            refusal(chain.send(caller, Governance::proposeRemoveOrganisationCall { org: 2 })),
            E::NotAnAdmin(Governance::NotAnAdmin { caller })
        );
    }
    let id = chain.propose(admin(1), Governance::proposeRemoveOrganisationCall { org: 2 });
    assert_eq!(
        refusal(chain.vote(member(2, 1), id, true)),
        E::NotAnAdmin(Governance::NotAnAdmin { caller: member(2, 1) })
    );
    for unknown in [0, id + 1] {
        assert_eq!(
            refusal(chain.vote(admin(2), unknown, true)),
            E::UnknownProposal(Governance::UnknownProposal { id: unknown })
        );
        assert!(matches!(
            chain.try_view(Governance::proposalCall { id: unknown }),
            Err(GovernanceError::Refused(E::UnknownProposal(_)))
        ));
    }
}
