//! Governance over the REST API: `/v1/governance/organisations`, `/v1/governance/proposals`
//! (paged, filtered, one by id) and `/v1/governance/permissions/{address}` against the
//! governance contract of a consortium genesis, and `governance_unavailable` elsewhere.
//!
//! The node runs the dev engine's roles governed as `cairn-launch` governs them, so its epoch
//! ends call the contract's `endEpoch` and passed proposals are executed at the boundary; every
//! transaction into the contract is real.

use std::sync::Arc;

use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use cairn_consensus::{ConsensusRoles, DevConsensus};
use cairn_governance::{GOVERNANCE_ADDRESS, Governance, govern, governance_account};
use cairn_network::{Keypair, PeerId};
use cairn_node::Node;
use cairn_primitives::test_utils::{eip1559, sign};
use cairn_primitives::{
    ChainSpec, GenesisValidator, GovernanceSpec, NetworkKind, NodeSpec, OrganisationSpec,
};
use cairn_storage::MemoryKv;
use serde_json::{Value, json};

use crate::{Harness, harness, harness_over, key};

/// Blocks per epoch: block 5 ends the first epoch, so a proposal passed before it is in force
/// from block 6.
const EPOCH_LENGTH: u64 = 5;

/// A consensus key of organisation `org` (1-based).
fn consensus_key(org: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::repeat_byte(0x40 + org)).unwrap()
}

fn compressed(key: &PrivateKeySigner) -> Bytes {
    Bytes::copy_from_slice(key.credential().verifying_key().to_encoded_point(true).as_bytes())
}

/// The libp2p peer id of organisation `org`'s node.
fn peer(org: u8) -> PeerId {
    Keypair::ed25519_from_bytes([org; 32]).unwrap().public().to_peer_id()
}

/// A consortium of three organisations: organisation `o` is administered by dev account
/// `o - 1`, has dev account `o + 2` as its member (organisation 1's a deployer), one node and
/// one validator of power 10. Dev accounts 6 to 9 belong to none.
fn consortium() -> ChainSpec {
    let organisations = (1..=3u8)
        .map(|o| OrganisationSpec {
            name: format!("org{o}"),
            admins: vec![key(usize::from(o) - 1).address],
            members: vec![key(usize::from(o) + 2).address],
            deployers: if o == 1 { vec![key(3).address] } else { vec![] },
            nodes: vec![NodeSpec {
                peer_id: Bytes::from(peer(o).to_bytes()),
                consensus_address: Some(consensus_key(o).address()),
            }],
            validators: vec![consensus_key(o).address()],
        })
        .collect();
    let mut spec = ChainSpec {
        network: NetworkKind::Consortium,
        epoch_length: Some(EPOCH_LENGTH),
        validators: (1..=3u8)
            .map(|o| GenesisValidator {
                name: format!("v{o}"),
                address: consensus_key(o).address(),
                public_key: compressed(&consensus_key(o)),
                power: 10,
                stake: None,
                operator: None,
                commission_bps: None,
            })
            .collect(),
        governance: Some(GovernanceSpec {
            voting_period_blocks: 20,
            permission_accounts: true,
            permission_nodes: true,
            permission_deployers: true,
            organisations,
        }),
        ..ChainSpec::dev().unwrap()
    };
    spec.alloc.insert(GOVERNANCE_ADDRESS, governance_account(&spec).unwrap());
    spec.validate().unwrap();
    spec
}

async fn governed_chain() -> (Harness, ChainSpec) {
    let spec = consortium();
    let roles = ConsensusRoles::of(Arc::new(DevConsensus::new(Address::ZERO)));
    let node = Node::open(MemoryKv::new(), spec.clone(), govern(roles, &spec).unwrap()).unwrap();
    (harness_over(node).await, spec)
}

/// Sends `call` to the governance contract from dev account `signer`, mines it and expects
/// success.
fn send(h: &Harness, signer: usize, call: impl SolCall) {
    let from = key(signer);
    let nonce = h.node.account(from.address).unwrap().map_or(0, |account| account.nonce);
    let to = TxKind::Call(GOVERNANCE_ADDRESS);
    let tx = eip1559(31337, nonce, to, U256::ZERO, call.abi_encode().into(), 2_000_000);
    let hash = h.node.submit_raw(&sign(&from.signer, tx).unwrap()).unwrap();
    h.node.produce_block().unwrap();
    let receipt = h.node.transaction(hash).unwrap().unwrap().receipt;
    assert!(receipt.success(), "{:?}", receipt.revert_output);
}

fn mine_to(h: &Harness, height: u64) {
    while h.node.head().unwrap().number < height {
        h.node.produce_block().unwrap();
    }
}

fn ids(page: &Value) -> Vec<u64> {
    page["items"].as_array().unwrap().iter().map(|p| p["id"].as_u64().unwrap()).collect()
}

/// Dev account `account`'s address as the API writes addresses.
fn address(account: usize) -> Value {
    json!(key(account).address)
}

/// Three proposals: 1 sets the gas limit (organisations 1 and 2 vote yes, executed at the
/// first epoch's end), 2 adds an organisation (organisation 3 votes no, still open), 3 removes
/// organisation 3's node (open).
fn three_proposals(h: &Harness) {
    send(h, 0, Governance::proposeParameterCall { parameter: 0, value: 40_000_000 });
    send(h, 1, Governance::voteCall { id: 1, support: true });
    send(
        h,
        1,
        Governance::proposeAddOrganisationCall {
            name: "org4".into(),
            admins: vec![key(6).address],
        },
    );
    send(h, 2, Governance::voteCall { id: 2, support: false });
    mine_to(h, EPOCH_LENGTH);
    send(h, 2, Governance::proposeRemoveNodeCall { peerId: Bytes::from(peer(3).to_bytes()) });
}

#[tokio::test]
async fn organisations_are_those_of_the_spec() {
    let (h, spec) = governed_chain().await;
    let view = h.get_json("/v1/governance/organisations").await;
    let governance = spec.governance.as_ref().unwrap();
    assert_eq!(view["height"], 0);
    assert_eq!(
        view["epoch"],
        json!({ "number": 0, "first_height": 1, "last_height": 5, "length": 5 })
    );
    assert_eq!(
        view["params"],
        json!({
            "gas_limit": spec.gas_limit,
            "block_time_ms": spec.block_time_ms,
            "epoch_length": EPOCH_LENGTH,
            "voting_period_blocks": governance.voting_period_blocks,
            "permission_accounts": true,
            "permission_nodes": true,
            "permission_deployers": true,
        })
    );
    let expected: Vec<Value> = governance
        .organisations
        .iter()
        .enumerate()
        .map(|(i, org)| {
            let validator = spec.validators.iter().find(|v| v.address == org.validators[0]);
            let validator = validator.unwrap();
            json!({
                "id": i + 1,
                "name": org.name,
                "admins": org.admins,
                "members": org.members.iter().map(|m| json!({
                    "account": m,
                    "deployer": org.deployers.contains(m),
                })).collect::<Vec<_>>(),
                "nodes": [{
                    "peer_id": PeerId::from_bytes(&org.nodes[0].peer_id).unwrap().to_base58(),
                    "consensus_address": org.nodes[0].consensus_address,
                }],
                "validators": [{
                    "address": validator.address,
                    "public_key": validator.public_key,
                    "power": 10,
                }],
            })
        })
        .collect();
    assert_eq!(view["organisations"], json!(expected));
}

#[tokio::test]
async fn proposals_show_their_votes_newest_first_and_page_by_id() {
    let (h, _) = governed_chain().await;
    let empty = h.get_json("/v1/governance/proposals").await;
    assert_eq!(empty, json!({ "height": 0, "items": [], "next": null }));

    three_proposals(&h);
    let head = h.node.head().unwrap().number;
    let all = h.get_json("/v1/governance/proposals").await;
    assert_eq!(all["height"], head);
    assert_eq!(ids(&all), [3, 2, 1]);
    assert_eq!(all["next"], Value::Null);

    let executed = h.get_json("/v1/governance/proposals/1").await;
    assert_eq!(
        executed,
        json!({
            "height": head,
            "id": 1,
            "kind": "set-parameter",
            "status": "executed",
            "proposer": address(0),
            "proposer_organisation": 1,
            "created_height": 1,
            "deadline": 21,
            // The contract records the block that executed it as its decision.
            "decided_height": EPOCH_LENGTH,
            "effective_height": EPOCH_LENGTH + 1,
            "yes": 2,
            "no": 0,
            "organisations": 3,
            "votes": [
                { "organisation": 1, "voter": address(0), "support": true },
                { "organisation": 2, "voter": address(1), "support": true },
            ],
            "parameter": "gas_limit",
            "value": 40_000_000,
        })
    );
    assert_eq!(all["items"][2], executed);
    let organisations = h.get_json("/v1/governance/organisations").await;
    assert_eq!(organisations["params"]["gas_limit"], 40_000_000);

    let open = h.get_json("/v1/governance/proposals/2").await;
    assert_eq!(
        (open["kind"].as_str(), open["status"].as_str()),
        (Some("add-organisation"), Some("open"))
    );
    assert_eq!(open["name"], "org4");
    assert_eq!(open["admins"], json!([address(6)]));
    assert_eq!((&open["yes"], &open["no"]), (&json!(1), &json!(1)));
    assert_eq!((&open["decided_height"], &open["effective_height"]), (&Value::Null, &Value::Null));
    assert_eq!(
        open["votes"][1],
        json!({ "organisation": 3, "voter": address(2), "support": false })
    );
    let removal = h.get_json("/v1/governance/proposals/3").await;
    assert_eq!(removal["kind"], "remove-node");
    assert_eq!(removal["peer_id"], peer(3).to_base58());

    // Two per page: the cursor is the next id, and the Link header carries it.
    let first = h.get("/v1/governance/proposals?limit=2").await;
    assert_eq!(first.status, 200, "{}", first.body);
    let first_page = first.json();
    assert_eq!(ids(&first_page), [3, 2]);
    let next = first_page["next"].as_str().unwrap();
    let link = format!("</v1/governance/proposals?limit=2&cursor={next}>; rel=\"next\"");
    assert_eq!(first.header("link"), Some(link.as_str()));
    let second = h.get_json(&format!("/v1/governance/proposals?limit=2&cursor={next}")).await;
    assert_eq!(ids(&second), [1]);
    assert_eq!(second["next"], Value::Null);

    // A status filter keeps the order and the paging.
    let open = h.get_json("/v1/governance/proposals?status=open").await;
    assert_eq!(ids(&open), [3, 2]);
    let executed = h.get_json("/v1/governance/proposals?status=executed").await;
    assert_eq!(ids(&executed), [1]);
    let page = h.get("/v1/governance/proposals?status=open&limit=1").await;
    let next = page.json()["next"].as_str().unwrap().to_string();
    assert!(
        page.header("link")
            .unwrap()
            .starts_with("</v1/governance/proposals?status=open&limit=1&cursor=")
    );
    let rest =
        h.get_json(&format!("/v1/governance/proposals?status=open&limit=1&cursor={next}")).await;
    assert_eq!(ids(&rest), [2]);
    assert!(h.get_json("/v1/governance/proposals?status=failed").await["items"] == json!([]));
}

#[tokio::test]
async fn permissions_tell_admins_members_and_outsiders_apart() {
    let (h, _) = governed_chain().await;
    let admin = h.get_json(&format!("/v1/governance/permissions/{}", key(1).address)).await;
    assert_eq!(
        admin,
        json!({
            "address": address(1),
            "height": 0,
            "organisation": { "id": 2, "name": "org2" },
            "role": "admin",
            "deployer": false,
            "can_transact": true,
            "can_deploy": true,
            "permission_accounts": true,
            "permission_deployers": true,
        })
    );
    let deployer = h.get_json(&format!("/v1/governance/permissions/{}", key(3).address)).await;
    assert_eq!(deployer["organisation"], json!({ "id": 1, "name": "org1" }));
    assert_eq!((&deployer["role"], &deployer["deployer"]), (&json!("member"), &json!(true)));
    assert_eq!((&deployer["can_transact"], &deployer["can_deploy"]), (&json!(true), &json!(true)));
    let member = h.get_json(&format!("/v1/governance/permissions/{}", key(4).address)).await;
    assert_eq!(member["role"], "member");
    assert_eq!((&member["can_transact"], &member["can_deploy"]), (&json!(true), &json!(false)));
    let outsider = h.get_json(&format!("/v1/governance/permissions/{}", key(8).address)).await;
    assert_eq!(outsider["organisation"], Value::Null);
    assert_eq!(outsider["role"], "none");
    assert_eq!(
        (&outsider["can_transact"], &outsider["can_deploy"]),
        (&json!(false), &json!(false))
    );

    // An admin adds the outsider to its organisation without a vote.
    send(&h, 0, Governance::addMemberCall { account: key(8).address });
    let added = h.get_json(&format!("/v1/governance/permissions/{}", key(8).address)).await;
    assert_eq!((&added["height"], &added["role"]), (&json!(1), &json!("member")));
    assert_eq!(added["organisation"]["id"], 1);
    assert_eq!(added["can_transact"], true);
}

#[tokio::test]
async fn bad_requests_and_missing_proposals_are_problems() {
    let (h, _) = governed_chain().await;
    three_proposals(&h);
    for id in ["0", "4", "18446744073709551615"] {
        let reply = h.get(&format!("/v1/governance/proposals/{id}")).await;
        reply.problem(404, "proposal_not_found");
    }
    for id in ["abc", "-1", "+1", "1.0", "18446744073709551616"] {
        h.get(&format!("/v1/governance/proposals/{id}")).await.problem(400, "invalid_path");
    }
    h.get("/v1/governance/permissions/0x1234").await.problem(400, "invalid_path");
    for query in ["limit=0", "limit=101", "limit=x", "status=closed", "status=", "colour=red"] {
        let reply = h.get(&format!("/v1/governance/proposals?{query}")).await;
        reply.problem(400, "invalid_query");
    }
    let blocks_cursor =
        h.get_json("/v1/blocks?limit=1").await["next"].as_str().unwrap().to_string();
    // Cursors of ids 0 and 4 ("p:0", "p:4"): never issued, out of range.
    for cursor in ["!!", "cDow", "cDo0", blocks_cursor.as_str(), &"A".repeat(129)] {
        let reply = h.get(&format!("/v1/governance/proposals?cursor={cursor}")).await;
        reply.problem(400, "invalid_cursor");
    }
}

#[tokio::test]
async fn an_ungoverned_chain_has_no_governance_routes() {
    let h = harness().await;
    for path in [
        "/v1/governance/organisations".to_string(),
        "/v1/governance/proposals".to_string(),
        "/v1/governance/proposals?cursor=!!".to_string(),
        "/v1/governance/proposals/1".to_string(),
        format!("/v1/governance/permissions/{}", key(0).address),
    ] {
        let problem = h.get(&path).await.problem(404, "governance_unavailable");
        assert_eq!(problem["detail"], "this network is not governed on chain", "{path}");
    }
}
