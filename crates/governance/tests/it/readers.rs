//! The node's direct storage readers (permissions, parameters, epoch) answer what the
//! contract's own views answer, after any sequence of governance operations on the real
//! bytecode: the guard that enforcement at import and admission equals the contract's rules.

use alloy_primitives::Address;
use cairn_governance::{
    AllowedNode, EpochState, GOVERNANCE_ADDRESS, Governance, GovernanceError, GovernedAccounts,
    Permission, read_allowed_nodes, read_params,
};
use cairn_primitives::NetworkKind;
use cairn_storage::{ChainStore, MemoryKv};
use proptest::prelude::*;

use crate::harness::{Chain, EPOCH_LENGTH, account, admin, member, outsider, peer, spec};

/// Accounts the operations act on: founders, an outsider and newcomers.
fn pool() -> Vec<Address> {
    let mut pool: Vec<Address> =
        (1..=3).flat_map(|o| [admin(o), member(o, 1), member(o, 2)]).collect();
    pool.push(outsider());
    pool.extend((0..8).map(|n| account(5_000 + n)));
    pool
}

#[derive(Debug, Clone)]
enum Op {
    /// By an admin of the existing organisation at index `org` (modulo their number).
    AddMember {
        org: usize,
        account: usize,
    },
    RemoveMember {
        org: usize,
        account: usize,
    },
    SetDeployer {
        org: usize,
        account: usize,
        allowed: bool,
    },
    AddAdmin {
        org: usize,
        account: usize,
    },
    RemoveAdmin {
        org: usize,
        admin: usize,
    },
    /// By proposal, passed by every organisation and applied at an epoch's end.
    AddOrganisation {
        admins: Vec<usize>,
    },
    RemoveOrganisation {
        org: usize,
    },
    Parameter {
        parameter: u8,
        value: u64,
    },
    EndEpoch,
}

fn op() -> impl Strategy<Value = Op> {
    let n = pool().len();
    prop_oneof![
        4 => (0..8usize, 0..n).prop_map(|(org, account)| Op::AddMember { org, account }),
        2 => (0..8usize, 0..n).prop_map(|(org, account)| Op::RemoveMember { org, account }),
        2 => (0..8usize, 0..n, any::<bool>())
            .prop_map(|(org, account, allowed)| Op::SetDeployer { org, account, allowed }),
        1 => (0..8usize, 0..n).prop_map(|(org, account)| Op::AddAdmin { org, account }),
        1 => (0..8usize, 0..4usize).prop_map(|(org, admin)| Op::RemoveAdmin { org, admin }),
        1 => proptest::collection::vec(0..n, 1..3).prop_map(|admins| Op::AddOrganisation { admins }),
        1 => (0..8usize).prop_map(|org| Op::RemoveOrganisation { org }),
        3 => prop_oneof![
            (Just(4u8), 0..2u64),
            (Just(6u8), 0..2u64),
            (Just(5u8), 0..2u64),
            (Just(2u8), 1..30u64),
            (Just(0u8), 21_000..60_000_000u64),
            (Just(1u8), 1..10_000u64),
            (Just(3u8), 1..100u64),
        ]
        .prop_map(|(parameter, value)| Op::Parameter { parameter, value }),
        1 => Just(Op::EndEpoch),
    ]
}

/// The existing organisations' ids and admins, by the views.
fn organisations(chain: &mut Chain) -> Vec<(u32, Vec<Address>)> {
    chain.view(Governance::organisationsCall {}).into_iter().map(|o| (o.id, o.admins)).collect()
}

fn admin_of(chain: &mut Chain, org: usize, which: usize) -> (u32, Address) {
    let orgs = organisations(chain);
    let (id, admins) = &orgs[org % orgs.len()];
    (*id, admins[which % admins.len()])
}

/// Proposes from the first organisation's admin, has every other organisation vote yes and
/// ends the epoch; a refused proposal changes nothing.
fn govern<C: alloy_sol_types::SolCall>(chain: &mut Chain, call: C) {
    let orgs = organisations(chain);
    let Ok(done) = chain.send(orgs[0].1[0], call) else { return };
    let id = done.events::<Governance::ProposalCreated>()[0].id;
    for (_, admins) in &orgs[1..] {
        // Votes after it passed are refused (no longer open): that is fine.
        let _ = chain.vote(admins[0], id, true);
    }
    chain.end_epoch();
}

fn apply(chain: &mut Chain, op: &Op, pool: &[Address], names: &mut u32) {
    // Refusals (not an admin, already a member, last admin, ...) leave the state as it was;
    // the readers must agree with the views either way.
    let _ = match *op {
        Op::AddMember { org, account } => {
            let (_, by) = admin_of(chain, org, 0);
            chain.send(by, Governance::addMemberCall { account: pool[account] })
        }
        Op::RemoveMember { org, account } => {
            let (_, by) = admin_of(chain, org, 0);
            chain.send(by, Governance::removeMemberCall { account: pool[account] })
        }
        Op::SetDeployer { org, account, allowed } => {
            let (_, by) = admin_of(chain, org, 0);
            chain.send(by, Governance::setDeployerCall { account: pool[account], allowed })
        }
        Op::AddAdmin { org, account } => {
            let (_, by) = admin_of(chain, org, 0);
            chain.send(by, Governance::addAdminCall { account: pool[account] })
        }
        Op::RemoveAdmin { org, admin } => {
            let (_, target) = admin_of(chain, org, admin);
            let (_, by) = admin_of(chain, org, admin + 1);
            chain.send(by, Governance::removeAdminCall { account: target })
        }
        Op::AddOrganisation { ref admins } => {
            *names += 1;
            let call = Governance::proposeAddOrganisationCall {
                name: format!("new{names}"),
                admins: admins.iter().map(|a| pool[*a]).collect(),
            };
            govern(chain, call);
            return;
        }
        Op::RemoveOrganisation { org } => {
            let (org, _) = admin_of(chain, org, 0);
            govern(chain, Governance::proposeRemoveOrganisationCall { org });
            return;
        }
        Op::Parameter { parameter, value } => {
            govern(chain, Governance::proposeParameterCall { parameter, value });
            return;
        }
        Op::EndEpoch => {
            chain.end_epoch();
            return;
        }
    };
}

/// Every reader against the views at the chain's current state.
fn agree(
    chain: &mut Chain,
    cached: &[GovernedAccounts],
    addresses: &[Address],
) -> Result<(), TestCaseError> {
    let state = chain.state();
    let fresh = GovernedAccounts::new();
    let mut verdicts = Vec::new();
    for rules in std::iter::once(&fresh).chain(cached) {
        let gate = rules.at(&state).unwrap();
        verdicts.push(addresses.iter().map(|a| gate.permission(*a).unwrap()).collect::<Vec<_>>());
    }
    let params = read_params(&state).unwrap();
    let epoch = EpochState::read(&state).unwrap();

    let expected: Vec<Permission> = addresses
        .iter()
        .map(|&account| Permission {
            transact: chain.view(Governance::canTransactCall { account }),
            deploy: chain.view(Governance::canDeployCall { account }),
        })
        .collect();
    for (which, got) in verdicts.iter().enumerate() {
        for ((address, got), want) in addresses.iter().zip(got).zip(&expected) {
            prop_assert_eq!(got, want, "account {} by reader {}", address, which);
        }
    }
    prop_assert_eq!(&params, &chain.view(Governance::paramsCall {}));
    let current = chain.view(Governance::currentEpochCall {});
    let start = chain.view(Governance::epochStartCall { epoch: current });
    prop_assert_eq!(epoch, EpochState { epoch: current, start, length: params.epochLength });
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn direct_reads_agree_with_the_contract_views(
        ops in proptest::collection::vec(op(), 60),
        strangers in proptest::collection::vec(any::<[u8; 20]>(), 6),
    ) {
        let pool = pool();
        let mut addresses = pool.clone();
        addresses.extend(strangers.into_iter().map(Address::from));
        let mut chain = Chain::consortium();
        // One cache kept across every step, and one small enough to evict all the time.
        let cached = [GovernedAccounts::new(), GovernedAccounts::with_capacity(2, 5)];
        let mut names = 0;
        agree(&mut chain, &cached, &addresses)?;
        for op in &ops {
            apply(&mut chain, op, &pool, &mut names);
            agree(&mut chain, &cached, &addresses)?;
        }
    }
}

/// The readers on the node's own store: a governed genesis committed by `ChainStore`, read
/// through its snapshot, and a store without the contract refused rather than read as open.
#[test]
fn the_readers_read_the_store_the_node_reads() {
    let spec = spec(NetworkKind::Consortium, 3, 1);
    let store = ChainStore::open(MemoryKv::new(), &spec).unwrap();
    let snapshot = store.snapshot().unwrap();
    let rules = GovernedAccounts::new();
    let gate = rules.at(&snapshot).unwrap();
    let (yes, no) = (
        Permission { transact: true, deploy: true },
        Permission { transact: false, deploy: false },
    );
    for account in [admin(1), member(2, 1), member(3, 2)] {
        assert_eq!(gate.permission(account).unwrap(), yes);
    }
    assert_eq!(gate.permission(outsider()).unwrap(), no);
    let params = read_params(&snapshot).unwrap();
    assert_eq!((params.gasLimit, params.epochLength), (spec.gas_limit, EPOCH_LENGTH));
    assert!(params.permissionAccounts && params.permissionNodes && !params.permissionDeployers);
    assert_eq!(
        EpochState::read(&snapshot).unwrap(),
        EpochState { epoch: 0, start: 1, length: EPOCH_LENGTH }
    );

    let mut ungoverned = spec.clone();
    ungoverned.alloc.remove(&GOVERNANCE_ADDRESS);
    let store = ChainStore::open(MemoryKv::new(), &ungoverned).unwrap();
    let snapshot = store.snapshot().unwrap();
    assert!(matches!(rules.at(&snapshot), Err(GovernanceError::NoContract)));
    assert!(matches!(read_params(&snapshot), Err(GovernanceError::NoContract)));
    assert!(matches!(EpochState::read(&snapshot), Err(GovernanceError::NoContract)));
}

/// The nodes of every organisation, as the contract's `organisations()` view lists them.
fn viewed_nodes(chain: &mut Chain) -> Vec<AllowedNode> {
    let orgs = chain.view(Governance::organisationsCall {});
    orgs.into_iter()
        .flat_map(|o| o.nodes)
        .map(|n| AllowedNode {
            peer_id: n.peerId,
            consensus_address: n.consensusAddress,
            org: n.org,
        })
        .collect()
}

/// The allowed-node reader answers what the views answer, through allowing and removing nodes
/// (the last of a list moves into a removed one's place), removing an organisation and turning
/// node permissioning off, on the real bytecode.
#[test]
fn the_allowed_nodes_are_the_views_nodes() {
    let mut chain = Chain::consortium();
    let read = |chain: &Chain| read_allowed_nodes(&chain.state()).unwrap();
    let genesis = read(&chain).unwrap();
    assert_eq!(genesis, viewed_nodes(&mut chain));
    assert_eq!(genesis.iter().map(|n| n.peer_id.clone()).collect::<Vec<_>>(), [1, 2, 3].map(peer));

    let newcomer = Address::repeat_byte(0x77);
    for n in [10, 11] {
        let allow = Governance::proposeAllowNodeCall {
            org: 1,
            peerId: peer(n),
            consensusAddress: newcomer,
        };
        govern(&mut chain, allow);
    }
    govern(&mut chain, Governance::proposeRemoveNodeCall { peerId: peer(10) });
    let nodes = read(&chain).unwrap();
    assert_eq!(nodes, viewed_nodes(&mut chain));
    let ids: Vec<_> = nodes.iter().map(|n| n.peer_id.clone()).collect();
    assert_eq!(ids, [1, 11, 2, 3].map(peer), "peer 11 moved into peer 10's place");
    assert_eq!(nodes[1].consensus_address, newcomer);

    govern(&mut chain, Governance::proposeRemoveOrganisationCall { org: 2 });
    let nodes = read(&chain).unwrap();
    assert_eq!(nodes, viewed_nodes(&mut chain));
    assert!(nodes.iter().all(|n| n.org != 2), "a removed organisation's node no longer counts");

    govern(&mut chain, Governance::proposeParameterCall { parameter: 5, value: 0 });
    assert!(!chain.view(Governance::paramsCall {}).permissionNodes);
    assert_eq!(read(&chain), None, "node permissioning off: anyone may connect");
}
