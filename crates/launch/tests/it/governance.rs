//! A governed chain is refused until the node enforces its rules.

use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::Address;
use cairn_consensus::DevConsensus;
use cairn_governance::governance_account;
use cairn_launch::{EngineSetup, LaunchError, NodeBuilder};
use cairn_node::Node;
use cairn_primitives::{
    ChainSpec, GOVERNANCE_ADDRESS, GovernanceSpec, NetworkKind, OrganisationSpec,
};
use cairn_storage::MemoryKv;

/// A valid one-organisation private dev chain.
fn private_spec() -> ChainSpec {
    let admin = Address::repeat_byte(0xad);
    let mut spec = ChainSpec {
        network: NetworkKind::Private,
        governance: Some(GovernanceSpec {
            voting_period_blocks: 10,
            permission_accounts: true,
            permission_nodes: false,
            permission_deployers: false,
            organisations: vec![OrganisationSpec {
                name: "org".into(),
                admins: vec![admin],
                members: vec![Address::repeat_byte(0x11)],
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

#[tokio::test]
async fn a_governed_chain_is_refused_rather_than_run_open() {
    let engine =
        EngineSetup::Dev { block_time: Duration::from_secs(3600), beneficiary: Address::ZERO };
    let kv = MemoryKv::new();
    let refused = NodeBuilder::new(private_spec(), kv.clone(), engine).start().await.err();
    assert!(matches!(refused, Some(LaunchError::GovernanceNotEnforced)), "{refused:?}");
    // Nothing was written: the store still takes a chain of another spec.
    let dev = ChainSpec::dev().unwrap();
    Node::open(kv, dev, Arc::new(DevConsensus::new(Address::ZERO))).unwrap();
}
