//! The genesis builder: deterministic, the founders and parameters readable through the views,
//! and the constructor's refusals as typed errors.

use alloy_primitives::{Bytes, U256};
use alloy_sol_types::SolCall;
use cairn_governance::{
    GOVERNANCE_ADDRESS, Governance, GovernanceError, governance_account, next_set_record,
    runtime_code,
};
use cairn_primitives::NetworkKind;

use crate::harness::{
    Chain, EPOCH_LENGTH, VOTING_PERIOD, admin, member, outsider, peer, refusal, spec,
    validator_address,
};
use Governance::GovernanceErrors as E;

#[test]
fn the_same_spec_gives_the_same_account() {
    let a = spec(NetworkKind::Consortium, 3, 1);
    let b = spec(NetworkKind::Consortium, 3, 1);
    assert_eq!(a.alloc[&GOVERNANCE_ADDRESS], b.alloc[&GOVERNANCE_ADDRESS]);
    let account = &a.alloc[&GOVERNANCE_ADDRESS];
    assert_eq!(account.code, *runtime_code());
    assert_eq!((account.balance, account.nonce), (U256::ZERO, 1));
    assert_ne!(account, &spec(NetworkKind::Consortium, 2, 1).alloc[&GOVERNANCE_ADDRESS]);
}

#[test]
fn the_views_show_the_founders_and_parameters() {
    let spec = spec(NetworkKind::Consortium, 3, 2);
    let mut chain = Chain::new(&spec);
    assert_eq!(chain.view(Governance::abiVersionCall {}), U256::from(1));
    let p = chain.view(Governance::paramsCall {});
    assert_eq!(
        (p.gasLimit, p.blockTimeMs, p.epochLength, p.votingPeriodBlocks),
        (spec.gas_limit, spec.block_time_ms, EPOCH_LENGTH, VOTING_PERIOD)
    );
    assert!(p.permissionAccounts && p.permissionNodes && !p.permissionDeployers);
    assert_eq!(chain.view(Governance::organisationIdsCall {}), vec![1, 2, 3]);
    let orgs = chain.view(Governance::organisationsCall {});
    assert_eq!(orgs.len(), 3);
    let second = &orgs[1];
    assert_eq!((second.id, second.name.as_str()), (2, "org2"));
    assert_eq!(second.admins, vec![admin(2)]);
    assert_eq!(
        second.members.iter().map(|m| (m.account, m.deployer)).collect::<Vec<_>>(),
        vec![(member(2, 1), true), (member(2, 2), false)]
    );
    assert_eq!(second.nodes.len(), 1);
    assert_eq!(second.nodes[0].peerId, peer(2));
    assert_eq!(second.nodes[0].consensusAddress, validator_address(21));
    assert_eq!(
        second.validators.iter().map(|v| v.validator).collect::<Vec<_>>(),
        vec![validator_address(21), validator_address(22)]
    );

    // The set in force is the spec's validators, in address order, with their keys.
    let set = chain.view(Governance::validatorSetCall {});
    let mut expected: Vec<_> =
        spec.validators.iter().map(|v| (v.address, v.public_key.clone(), v.power)).collect();
    expected.sort();
    assert_eq!(
        set.iter().map(|v| (v.validator, v.publicKey.clone(), v.power)).collect::<Vec<_>>(),
        expected
    );
    assert_eq!(chain.view(Governance::totalPowerCall {}), U256::from(60));

    assert!(chain.is_member(admin(1)) && chain.is_member(member(3, 2)));
    assert!(!chain.is_member(outsider()));
    assert!(chain.view(Governance::canTransactCall { account: member(1, 2) }));
    assert!(!chain.view(Governance::canTransactCall { account: outsider() }));
    // The deployer switch is off: every member may deploy, outsiders may not transact at all.
    assert!(chain.view(Governance::canDeployCall { account: member(1, 2) }));
    assert!(!chain.view(Governance::canDeployCall { account: outsider() }));
    assert!(chain.view(Governance::isNodeAllowedCall { peerId: peer(3) }));
    assert!(!chain.view(Governance::isNodeAllowedCall { peerId: peer(4) }));
    let info = chain.view(Governance::accountInfoCall { account: member(1, 1) });
    assert_eq!((info.org, info.role, info.deployer), (1, 2, true));
    assert_eq!(chain.view(Governance::currentEpochCall {}), 0);
    assert_eq!(chain.view(Governance::epochStartCall { epoch: 0 }), 1);
    assert_eq!(
        refusal(chain.try_view(Governance::epochStartCall { epoch: 1 })),
        E::UnknownEpoch(Governance::UnknownEpoch { epoch: 1 })
    );
}

#[test]
fn end_epoch_hands_consensus_the_set_as_a_record() {
    let spec = spec(NetworkKind::Consortium, 2, 2);
    let mut chain = Chain::new(&spec);
    let done = chain.end_epoch();
    let answer = Governance::endEpochCall::abi_decode_returns(&done.output).unwrap();
    let record = next_set_record(answer, 1, EPOCH_LENGTH + 1).unwrap();
    let mut expected: Vec<_> = spec.validators.iter().map(|v| (v.address, v.power)).collect();
    expected.sort();
    assert_eq!(record.members.iter().map(|m| (m.address, m.power)).collect::<Vec<_>>(), expected);
    let started = done.events::<Governance::EpochStarted>();
    assert_eq!(started.len(), 1);
    assert_eq!(
        (started[0].epoch, started[0].firstHeight, started[0].validators, started[0].totalPower),
        (1, EPOCH_LENGTH + 1, U256::from(4), U256::from(40))
    );
    assert_eq!(chain.view(Governance::epochStartCall { epoch: 1 }), EPOCH_LENGTH + 1);
}

#[test]
fn the_constructor_refuses_what_the_contract_would_never_accept() {
    let refused = |edit: fn(&mut cairn_primitives::ChainSpec)| {
        let mut s = spec(NetworkKind::Consortium, 2, 1);
        edit(&mut s);
        match governance_account(&s) {
            Err(GovernanceError::Refused(e)) => e,
            other => panic!("expected a refusal, got {other:?}"),
        }
    };
    assert_eq!(
        refused(|s| s.governance.as_mut().unwrap().organisations[1].admins = vec![admin(1)]),
        E::AccountInOrganisation(Governance::AccountInOrganisation { account: admin(1), org: 1 })
    );
    assert_eq!(
        refused(|s| {
            let mut beyond_the_field = [0xffu8; 33];
            beyond_the_field[0] = 2;
            s.validators[0].public_key = Bytes::from(beyond_the_field);
        }),
        E::InvalidPublicKey(Governance::InvalidPublicKey {})
    );
    assert_eq!(
        refused(|s| s.epoch_length = Some(0)),
        E::ParameterOutOfRange(Governance::ParameterOutOfRange { parameter: 2, value: 0 })
    );
    assert_eq!(
        refused(|s| s.governance.as_mut().unwrap().organisations[0].deployers = vec![admin(1)]),
        E::NotInOrganisation(Governance::NotInOrganisation { account: admin(1), org: 1 })
    );
    assert_eq!(
        refused(|s| s.governance.as_mut().unwrap().organisations.clear()),
        E::InvalidParams(Governance::InvalidParams {})
    );
    let mut public = spec(NetworkKind::Consortium, 1, 1);
    public.governance = None;
    assert!(matches!(governance_account(&public), Err(GovernanceError::NotGoverned)));
}

/// The node may read permissions straight from storage at a block's parent state instead of
/// running a view per transaction: this pins the layout such a reader relies on. Slot 0 packs
/// gasLimit, blockTimeMs, epochLength and votingPeriodBlocks (8 bytes each, low first); slot 1
/// the three switches (a byte each); `accounts` is the mapping at slot 8, each entry one word:
/// org (4 bytes), role (1), deployer (1), index (4); `orgs` is the mapping at slot 6 with
/// `exists` in the entry's second word.
#[test]
fn the_storage_layout_a_direct_reader_relies_on() {
    use alloy_primitives::{B256, keccak256};
    let spec = spec(NetworkKind::Consortium, 3, 1);
    let account = &spec.alloc[&GOVERNANCE_ADDRESS];
    let slot = |key: B256| account.storage.get(&key).copied().unwrap_or_default();
    let word = |n: u64| B256::from(U256::from(n));
    let mapping =
        |key: B256, base: u64| keccak256([key.as_slice(), word(base).as_slice()].concat());
    let params = slot(word(0));
    let field = |shift: usize| (params >> shift) & U256::from(u64::MAX);
    assert_eq!(field(0), U256::from(spec.gas_limit));
    assert_eq!(field(64), U256::from(spec.block_time_ms));
    assert_eq!(field(128), U256::from(EPOCH_LENGTH));
    assert_eq!(field(192), U256::from(VOTING_PERIOD));
    assert_eq!(slot(word(1)), U256::from(0x0101), "accounts and nodes on, deployers off");
    let entry = slot(mapping(member(2, 1).into_word(), 8));
    let org = entry & U256::from(u32::MAX);
    let role = (entry >> 32) & U256::from(0xff);
    let deployer = (entry >> 40) & U256::from(0xff);
    assert_eq!((org, role, deployer), (U256::from(2), U256::from(2), U256::from(1)));
    let org_entry = U256::from_be_bytes(mapping(word(2), 6).0) + U256::from(1);
    assert_eq!(slot(B256::from(org_entry)), U256::from(1), "organisation 2 exists");
    assert_eq!(slot(mapping(outsider().into_word(), 8)), U256::ZERO);
}

/// The epoch slots the node reads to know where a governed epoch ends: `currentEpoch` (a
/// `uint64`) alone at slot 2, and `epochStarts` (a `uint64[]`) at slot 3, its length there and
/// its elements from `keccak256(3)`, four to a word, low first.
#[test]
fn the_epoch_slots_a_direct_reader_relies_on() {
    use alloy_primitives::{B256, keccak256};
    use cairn_governance::EpochState;
    let mut chain = Chain::consortium();
    let word = |n: u64| U256::from(n);
    let elements = U256::from_be_bytes(keccak256(B256::from(word(3))).0);
    assert_eq!(chain.storage(word(2)), U256::ZERO);
    assert_eq!(chain.storage(word(3)), U256::from(1), "epochStarts = [1]");
    assert_eq!(chain.storage(elements), U256::from(1));

    chain.end_epoch();
    assert_eq!(chain.storage(word(2)), U256::from(1), "currentEpoch");
    assert_eq!(chain.storage(word(3)), U256::from(2), "epochStarts = [1, N + 1]");
    let first_word = chain.storage(elements);
    assert_eq!(first_word, U256::from(1) | (U256::from(EPOCH_LENGTH + 1) << 64));

    // Four more epochs: the fifth start opens the array's second word.
    for _ in 0..4 {
        chain.end_epoch();
    }
    assert_eq!(chain.storage(word(3)), U256::from(6));
    assert_eq!(chain.storage(elements) >> 192, U256::from(3 * EPOCH_LENGTH + 1));
    let second_word = chain.storage(elements + U256::from(1));
    assert_eq!(second_word & U256::from(u64::MAX), U256::from(4 * EPOCH_LENGTH + 1));
    assert_eq!(second_word >> 64, U256::from(5 * EPOCH_LENGTH + 1));
    assert_eq!(
        EpochState::read(&chain.state()).unwrap(),
        EpochState { epoch: 5, start: 5 * EPOCH_LENGTH + 1, length: EPOCH_LENGTH }
    );
}
