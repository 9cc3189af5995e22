//! A proof-of-stake spec is opened only when its staking contract's genesis state is what its
//! `[staking]` table and validators say, and a refused spec writes nothing.

use std::sync::Arc;

use alloy_primitives::{Bytes, U256};
use alloy_signer_local::PrivateKeySigner;
use cairn_consensus::DevConsensus;
use cairn_node::{Node, NodeError};
use cairn_primitives::{
    ChainSpec, ConsensusKind, GenesisValidator, STAKING_ADDRESS, StakingParams, dev_accounts,
};
use cairn_storage::{ChainStore, MemoryKv};

use crate::support::PROPOSER;

fn ether(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64.pow(18))
}

/// Two validators with fresh consensus keys, operated by dev accounts 0 and 1, with the
/// staking account written by the tools' function.
fn pos_spec() -> ChainSpec {
    let operators = dev_accounts(2).unwrap();
    let validators = operators
        .iter()
        .enumerate()
        .map(|(i, operator)| {
            let key = PrivateKeySigner::random();
            let public = key.credential().verifying_key().to_encoded_point(true);
            GenesisValidator {
                name: format!("node{i}"),
                address: key.address(),
                public_key: Bytes::copy_from_slice(public.as_bytes()),
                power: 1_000,
                stake: Some(ether(1_000)),
                operator: Some(operator.address),
                commission_bps: Some(500),
            }
        })
        .collect();
    let mut spec = ChainSpec {
        consensus: ConsensusKind::Pos,
        epoch_length: Some(10),
        staking: Some(StakingParams::default()),
        validators,
        ..ChainSpec::dev().unwrap()
    };
    with_account(&mut spec);
    spec
}

fn with_account(spec: &mut ChainSpec) {
    let account = cairn_staking::spec_staking_account(spec).unwrap();
    spec.alloc.insert(STAKING_ADDRESS, account);
    spec.validate().unwrap();
}

fn open(spec: ChainSpec) -> (MemoryKv, Result<Node<MemoryKv>, NodeError>) {
    let kv = MemoryKv::new();
    let node = Node::open(kv.clone(), spec, Arc::new(DevConsensus::new(PROPOSER)));
    (kv, node)
}

fn refused_field(spec: ChainSpec) -> String {
    let (kv, node) = open(spec.clone());
    let Err(NodeError::StakingGenesis { field, .. }) = node else {
        panic!("expected a staking genesis refusal, got {:?}", node.err());
    };
    assert!(ChainStore::open_existing(kv, &spec).is_err(), "a refused spec wrote a store");
    field
}

#[test]
fn a_spec_written_by_the_tools_opens() {
    let (_, node) = open(pos_spec());
    let node = node.unwrap();
    assert_eq!(node.spec().consensus, ConsensusKind::Pos);
}

#[test]
fn an_edited_commission_is_refused_and_nothing_is_written() {
    let mut spec = pos_spec();
    spec.validators[1].commission_bps = Some(1_000);
    spec.validate().unwrap();
    let field = refused_field(spec);
    assert!(field.ends_with("commission_bps"), "{field}");
}

#[test]
fn an_edited_parameter_is_refused() {
    let mut spec = pos_spec();
    let mut staking = spec.staking_params();
    staking.downtime_jail_blocks += 1;
    spec.staking = Some(staking);
    spec.validate().unwrap();
    assert_eq!(refused_field(spec), "downtime_jail_blocks");
}

#[test]
fn a_swapped_validator_key_is_refused() {
    let mut spec = pos_spec();
    let other = pos_spec();
    spec.validators[0].public_key = other.validators[0].public_key.clone();
    spec.validate().unwrap();
    assert!(refused_field(spec).ends_with("public_key"));
}

#[test]
fn the_message_tells_the_user_what_to_do() {
    let mut spec = pos_spec();
    spec.validators[0].commission_bps = Some(0);
    let (_, node) = open(spec);
    let message = node.err().unwrap().to_string();
    assert!(
        message.contains("commission_bps is 500 in the contract but 0 in the spec"),
        "{message}"
    );
    assert!(message.contains("regenerate the spec with cairn testnet init"), "{message}");
}
