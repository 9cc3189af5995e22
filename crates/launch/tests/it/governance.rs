//! A private dev chain started through `NodeBuilder` enforces its governance contract: only
//! members transact, a block carrying a non-member is refused on import and by the audit, and
//! a spec whose contract disagrees with its `[governance]` is refused before anything is written.

use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::{Address, B256};
use cairn_consensus::{AnyTransaction, ConsensusRoles, DevConsensus};
use cairn_governance::{govern, governance_account};
use cairn_launch::{EngineSetup, NodeBuilder};
use cairn_node::{Node, NodeError, audit::verify_chain};
use cairn_primitives::test_utils::signed_transfer;
use cairn_primitives::{
    ChainSpec, DevAccount, GOVERNANCE_ADDRESS, GovernanceSpec, NetworkKind, OrganisationSpec,
    dev_accounts,
};
use cairn_rpc::RpcConfig;
use cairn_storage::{ChainStore, MemoryKv};
use serde_json::{Value, json};

/// Dev accounts 0 to 9: 0 administers the only organisation, 1 and 2 are members, the others
/// are not members.
fn accounts() -> Vec<DevAccount> {
    dev_accounts(10).unwrap()
}

/// A one-organisation private dev chain whose only transactors are dev accounts 0 to 2.
fn private_spec() -> ChainSpec {
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
        epoch_length: Some(100),
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

async fn send(http: &reqwest::Client, url: &str, raw: &[u8]) -> Value {
    let raw = alloy_primitives::hex::encode_prefixed(raw);
    let request =
        json!({"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": [raw]});
    let response = http
        .post(url)
        .header("content-type", "application/json")
        .body(request.to_string())
        .send()
        .await
        .unwrap();
    serde_json::from_str(&response.text().await.unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_chain_includes_members_and_refuses_non_members_at_admission() {
    let spec = private_spec();
    let accounts = accounts();
    // Blocks come only for waiting transactions within the test.
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
    let mut blocks = running.node().subscribe_blocks();

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
