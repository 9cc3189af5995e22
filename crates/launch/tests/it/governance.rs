//! A private dev chain started through `NodeBuilder` enforces its governance contract: only
//! members transact, a block carrying a non-member is refused on import and by the audit, a
//! voted gas limit and block time apply from the proposal's effective height, and a spec whose
//! contract disagrees with its `[governance]` is refused before anything is written.

use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::{Address, B256, TxKind};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_sol_types::SolCall;
use cairn_consensus::{AnyTransaction, ConsensusError, ConsensusRoles, DevConsensus};
use cairn_governance::{Governance, Parameter, ProposalStatus, govern, governance_account};
use cairn_launch::{EngineSetup, NodeBuilder};
use cairn_mempool::PoolError;
use cairn_node::{ChainEvent, Node, NodeError, audit::verify_chain};
use cairn_primitives::test_utils::{signed_call, signed_transfer};
use cairn_primitives::{
    ChainSpec, DevAccount, GOVERNANCE_ADDRESS, GovernanceSpec, NetworkKind, OrganisationSpec,
    dev_accounts,
};
use cairn_reads::{CallBlock, CallOutcome};
use cairn_rpc::RpcConfig;
use cairn_storage::{ChainStore, MemoryKv};
use serde_json::{Value, json};

use crate::clock::Simulated;
use crate::support::rpc;

/// Dev accounts 0 to 10: 0 administers the only organisation, 1 and 2 are members, the others
/// are not members (10 has no funds either).
fn accounts() -> Vec<DevAccount> {
    dev_accounts(11).unwrap()
}

/// A one-organisation private dev chain whose only transactors are dev accounts 0 to 2.
fn private_spec() -> ChainSpec {
    private_spec_with_epochs(100)
}

/// [`private_spec`] with epochs of `epoch_length` blocks.
fn private_spec_with_epochs(epoch_length: u64) -> ChainSpec {
    let accounts = accounts();
    let mut spec = ChainSpec {
        network: NetworkKind::Private,
        governance: Some(GovernanceSpec {
            voting_period_blocks: 10,
            permission_accounts: true,
            permission_nodes: false,
            permission_deployers: false,
            organisations: vec![OrganisationSpec {
                name: "org".into(),
                admins: vec![accounts[0].address],
                members: vec![accounts[1].address, accounts[2].address],
                deployers: vec![],
                nodes: vec![],
                validators: vec![],
            }],
        }),
        epoch_length: Some(epoch_length),
        ..ChainSpec::dev().unwrap()
    };
    spec.alloc.insert(GOVERNANCE_ADDRESS, governance_account(&spec).unwrap());
    spec.validate().unwrap();
    spec
}

/// The dev engine's roles, governed as the node governs them.
fn governed(spec: &ChainSpec) -> ConsensusRoles {
    govern(ConsensusRoles::of(Arc::new(DevConsensus::new(Address::ZERO))), spec).unwrap()
}

fn transfer(spec: &ChainSpec, from: &DevAccount, nonce: u64) -> Vec<u8> {
    signed_transfer(&from.signer, spec.chain_id, nonce, Address::repeat_byte(7), 1).unwrap()
}

/// The admin's `proposeParameter(parameter, value)`: on a private network it passes at once.
fn propose(
    spec: &ChainSpec,
    admin: &DevAccount,
    nonce: u64,
    parameter: Parameter,
    value: u64,
) -> Vec<u8> {
    let call = Governance::proposeParameterCall { parameter: parameter as u8, value };
    let to = TxKind::Call(GOVERNANCE_ADDRESS);
    signed_call(&admin.signer, spec.chain_id, nonce, to, call.abi_encode().into(), 1_000_000)
        .unwrap()
}

/// The contract's `proposal(id)` at the node's head.
fn proposal(node: &Node<MemoryKv>, id: u64) -> Governance::ProposalInfo {
    let request = TransactionRequest::default()
        .to(GOVERNANCE_ADDRESS)
        .input(Governance::proposalCall { id }.abi_encode().into());
    let head = node.head().unwrap().number;
    match node.call(&request, CallBlock::Stored(head), None, None).unwrap() {
        CallOutcome::Success { output, .. } => {
            Governance::proposalCall::abi_decode_returns(&output).unwrap()
        }
        other => panic!("proposal({id}): {other:?}"),
    }
}

async fn send(http: &reqwest::Client, url: &str, raw: &[u8]) -> Value {
    let raw = alloy_primitives::hex::encode_prefixed(raw);
    rpc(http, url, "eth_sendRawTransaction", json!([raw])).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_chain_includes_members_and_refuses_non_members_at_admission() {
    let spec = private_spec();
    let accounts = accounts();
    // A governed chain's producer keeps the contract's block time, not this one.
    let engine =
        EngineSetup::Dev { block_time: Duration::from_secs(3600), beneficiary: Address::ZERO };
    let loopback = "127.0.0.1:0".parse().unwrap();
    let running = NodeBuilder::new(spec.clone(), MemoryKv::new(), engine)
        .with_rpc(RpcConfig { addr: loopback, ..RpcConfig::default() })
        .start()
        .await
        .unwrap();
    let url = format!("http://{}", running.rpc_addr().unwrap());
    let http = reqwest::Client::new();
    let mut blocks = running.node().subscribe_chain();

    let outsider = &accounts[7];
    let refused = send(&http, &url, &transfer(&spec, outsider, 0)).await;
    assert_eq!(refused["error"]["code"], -32000, "{refused}");
    let text = format!("account not permitted: {}", outsider.address.to_checksum(None));
    assert_eq!(refused["error"]["message"], json!(text), "{refused}");
    assert_eq!(running.node().pending_count(), 0);

    for member in [&accounts[0], &accounts[1]] {
        let accepted = send(&http, &url, &transfer(&spec, member, 0)).await;
        let hash: B256 = serde_json::from_value(accepted["result"].clone()).expect("a hash");
        while running.node().transaction(hash).unwrap().is_none() {
            blocks.recv().await.unwrap();
        }
    }
    let report = running.node().verify(&mut |_| {}).unwrap();
    assert!(report.blocks >= 1, "{report:?}");
    running.abort().await;
}

/// The story of a private dev chain on the paused clock: a non-member (even one without funds)
/// is refused as such and a member is included; the admin removes that member, whose waiting
/// transactions leave the pool at once; the admin's votes on the gas limit and the block time
/// take effect exactly at their effective height, where the pool drops and refuses what the new
/// limit cannot carry; and the chain then passes `cairn verify`'s replay.
#[tokio::test(start_paused = true)]
async fn governance_changes_apply_to_the_pool_and_the_headers_from_their_height() {
    const EPOCH: u64 = 5;
    let spec = private_spec_with_epochs(EPOCH);
    let accounts = accounts();
    let kv = MemoryKv::new();
    let engine =
        EngineSetup::Dev { block_time: Duration::from_secs(3600), beneficiary: Address::ZERO };
    let running = NodeBuilder::new(spec.clone(), kv.clone(), engine)
        .with_clock(Simulated::starting_now())
        .start()
        .await
        .unwrap();
    let node = running.node();
    let mut blocks = node.subscribe_chain();
    assert_eq!(node.block_time().unwrap(), Duration::from_millis(spec.block_time_ms));

    // Account 10 has neither a membership nor a balance: the membership is what it hears of.
    let broke = &accounts[10];
    assert_eq!(node.account(broke.address).unwrap(), None);
    let refused = node.submit_raw(&transfer(&spec, broke, 0)).unwrap_err();
    assert!(
        matches!(refused, NodeError::Pool(PoolError::AccountNotPermitted { account }) if account == broke.address),
        "{refused:?}"
    );
    assert_eq!(
        refused.to_string(),
        format!("account not permitted: {}", broke.address.to_checksum(None))
    );

    let (admin, removed, member) = (&accounts[0], &accounts[1], &accounts[2]);
    let included = node.submit_raw(&transfer(&spec, removed, 0)).unwrap();
    // Waiting behind nonce gaps: one of the member the admin removes, one a lower gas limit
    // cannot carry.
    let orphan = node.submit_raw(&transfer(&spec, removed, 2)).unwrap();
    let heavy = |nonce| {
        let to = TxKind::Call(Address::repeat_byte(7));
        signed_call(&member.signer, spec.chain_id, nonce, to, Default::default(), 20_000_000)
            .unwrap()
    };
    let too_heavy = node.submit_raw(&heavy(1)).unwrap();
    let (gas_limit, block_time_ms) = (10_000_000, 3_000);
    node.submit_raw(&propose(&spec, admin, 0, Parameter::GasLimit, gas_limit)).unwrap();
    node.submit_raw(&propose(&spec, admin, 1, Parameter::BlockTimeMs, block_time_ms)).unwrap();
    let remove = Governance::removeMemberCall { account: removed.address }.abi_encode();
    let to = TxKind::Call(GOVERNANCE_ADDRESS);
    node.submit_raw(
        &signed_call(&admin.signer, spec.chain_id, 2, to, remove.into(), 200_000).unwrap(),
    )
    .unwrap();
    let epoch_length = EPOCH + 2;
    node.submit_raw(&propose(&spec, admin, 3, Parameter::EpochLength, epoch_length)).unwrap();

    let ChainEvent::Head(first) = blocks.recv().await.unwrap() else {
        panic!("a dev chain never reorgs")
    };
    let first = first.number;
    assert!(first < EPOCH, "the proposals landed in epoch 0");
    // Judged at its parent's state, the removed member's transfer was still valid.
    assert!(node.transaction(included).unwrap().is_some());
    assert!(node.pooled(orphan).is_none(), "a removed member's transactions leave the pool");
    assert!(node.pooled(too_heavy).is_some(), "the old gas limit still holds");
    let refused = node.submit_raw(&transfer(&spec, removed, 1)).unwrap_err();
    assert!(matches!(refused, NodeError::Pool(PoolError::AccountNotPermitted { .. })), "{refused}");
    for id in [1, 2, 3] {
        assert_eq!(proposal(node, id).status, ProposalStatus::Passed as u8, "proposal {id}");
    }
    // The sets of epoch 0 are known, those of the next epoch only once its boundary is built.
    assert!(node.validator_set(EPOCH).is_ok());
    let unknown = |height| {
        matches!(
            node.validator_set(height),
            Err(NodeError::Consensus(ConsensusError::UnknownHeight { height: h })) if h == height
        )
    };
    assert!(unknown(EPOCH + 1));

    // Empty blocks follow at the old block time until the boundary at EPOCH executes both.
    while node.head().unwrap().number < EPOCH + 2 {
        blocks.recv().await.unwrap();
    }
    let effective = EPOCH + 1;
    for id in [1, 2, 3] {
        let info = proposal(node, id);
        assert_eq!(info.status, ProposalStatus::Executed as u8, "proposal {id}");
        assert_eq!(info.effectiveHeight, effective, "proposal {id}");
    }
    let header = |number| node.block(number).unwrap().unwrap().header;
    for number in 1..=EPOCH + 2 {
        let want = if number < effective { spec.gas_limit } else { gas_limit };
        assert_eq!(header(number).gas_limit, want, "gas limit of block {number}");
    }
    for number in first + 1..=EPOCH + 2 {
        let want = if number < effective { spec.block_time_ms } else { block_time_ms };
        let gap = header(number).timestamp_ms - header(number - 1).timestamp_ms;
        assert_eq!(gap, want, "time between blocks {} and {number}", number - 1);
    }
    assert_eq!(node.block_time().unwrap(), Duration::from_millis(block_time_ms));
    // Epoch 1 runs the voted length (the spec's would end it at 2 * EPOCH).
    let last = effective + epoch_length - 1;
    assert!(node.validator_set(last).is_ok());
    assert!(unknown(last + 1));
    assert!(node.pooled(too_heavy).is_none(), "no block may carry it any more");
    assert_eq!(
        node.submit_raw(&heavy(1)).unwrap_err().to_string(),
        format!("exceeds block gas limit: gas 20000000, limit {gas_limit}")
    );

    running.stop(Duration::from_secs(1)).await;
    let store = ChainStore::open(kv, &spec).unwrap();
    let report = verify_chain(&store, &spec, &governed(&spec)).unwrap();
    assert!(report.blocks >= EPOCH + 2, "{report:?}");
}

#[test]
fn a_block_carrying_a_non_member_is_refused_on_import_and_by_the_audit() {
    let spec = private_spec();
    let accounts = accounts();
    // A hostile builder: the governed chain's rules but anyone may transact.
    let permissive = governed(&spec).with_transactions(Arc::new(AnyTransaction));
    let kv = MemoryKv::new();
    let builder = Node::open(kv.clone(), spec.clone(), permissive).unwrap();
    builder.submit_raw(&transfer(&spec, &accounts[1], 0)).unwrap();
    builder.produce_block().unwrap();
    builder.submit_raw(&transfer(&spec, &accounts[8], 0)).unwrap();
    builder.produce_block().unwrap();
    let hostile = builder.block(2).unwrap().unwrap();

    let honest = Node::open(MemoryKv::new(), spec.clone(), governed(&spec)).unwrap();
    let first = honest.check_candidate(builder.block(1).unwrap().unwrap()).unwrap();
    honest.commit_candidate(first).unwrap();
    let Err(refused) = honest.check_candidate(hostile) else {
        panic!("a block carrying a non-member was accepted");
    };
    let account = accounts[8].address.to_checksum(None);
    assert!(
        refused.to_string().contains(&format!("account not permitted: {account}")),
        "{refused}"
    );
    assert_eq!(honest.head().unwrap().number, 1);

    let store = ChainStore::open(kv, &spec).unwrap();
    let failure = verify_chain(&store, &spec, &governed(&spec)).unwrap_err();
    assert_eq!(failure.height, 2, "{failure}");
    assert!(failure.what.contains(&format!("account not permitted: {account}")), "{failure}");
}

#[test]
fn a_spec_whose_contract_disagrees_is_refused_and_nothing_is_written() {
    let mut spec = private_spec();
    // The contract was written for two members; the spec now names three.
    let accounts = accounts();
    let organisations = &mut spec.governance.as_mut().unwrap().organisations;
    organisations[0].members.push(accounts[3].address);
    let kv = MemoryKv::new();
    let refused = Node::open(kv.clone(), spec.clone(), governed(&spec)).err();
    match refused {
        Some(NodeError::GovernanceGenesis { field, .. }) => {
            assert_eq!(field, "organisation 1 (org) members")
        }
        other => panic!("{other:?}"),
    }
    let mut edited = private_spec();
    edited.gas_limit += 1;
    let refused = Node::open(kv.clone(), edited.clone(), governed(&edited)).err();
    assert!(
        matches!(&refused, Some(NodeError::GovernanceGenesis { field, .. }) if field == "gas_limit"),
        "{refused:?}"
    );
    // Nothing was written: the store still takes a chain of another spec.
    let dev = ChainSpec::dev().unwrap();
    Node::open(kv, dev, Arc::new(DevConsensus::new(Address::ZERO))).unwrap();
}
