//! Proof of stake over the REST API: `/v1/staking/delegations/{address}` and the staking part
//! of `/v1/validators`, against the staking contract of a proof-of-stake genesis.
//!
//! No proof-of-stake engine exists yet and `cairn-launch` starts BFT configurations only, so
//! the node runs the dev engine's roles over a valid pos spec, the genesis validator as its
//! proposer: its blocks make no protocol calls (no rewards paid, no epoch ends), but every
//! transaction into the contract is real, and every figure is checked against the contract's
//! own views.

use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use cairn_consensus::DevConsensus;
use cairn_node::{CallOutcome, Node, TransactionRequest};
use cairn_primitives::test_utils::{eip1559, sign};
use cairn_primitives::{ChainSpec, ConsensusKind, GenesisValidator};
use cairn_staking::{STAKING_ADDRESS, Staking, StakingParams, pop_digest, staking_account};
use cairn_storage::MemoryKv;
use serde_json::{Value, json};
use std::sync::Arc;

use crate::{Harness, harness, harness_over, key};

fn ether(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64.pow(18))
}

/// A consensus key (not an account key: it signs votes and proofs of possession).
fn consensus_key(byte: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::repeat_byte(byte)).unwrap()
}

fn compressed(key: &PrivateKeySigner) -> Bytes {
    Bytes::copy_from_slice(key.credential().verifying_key().to_encoded_point(true).as_bytes())
}

/// A proof-of-stake chain: one genesis validator (consensus key 0x11…, operated by dev
/// account 1, 1,000 ether, 5 % commission), epochs of 10 blocks, the staking contract's
/// genesis account in `alloc`.
async fn pos_chain() -> (Harness, Address) {
    let validator = consensus_key(0x11);
    let operator = key(1).address;
    let params = StakingParams::default();
    let stake = ether(1_000);
    let contract = staking_account(
        &params,
        &[cairn_staking::GenesisValidator {
            public_key: compressed(&validator),
            operator,
            stake,
            commission_bps: 500,
        }],
    )
    .unwrap();
    let mut spec = ChainSpec {
        consensus: ConsensusKind::Pos,
        epoch_length: Some(10),
        validators: vec![GenesisValidator {
            name: "v0".into(),
            address: validator.address(),
            public_key: compressed(&validator),
            power: params.power_of(stake),
            stake: Some(stake),
            operator: Some(operator),
            commission_bps: Some(500),
        }],
        ..ChainSpec::dev().unwrap()
    };
    spec.alloc.insert(STAKING_ADDRESS, contract);
    spec.validate().unwrap();
    let engine = Arc::new(DevConsensus::new(validator.address()));
    let node = Node::open(MemoryKv::new(), spec, engine).unwrap();
    (harness_over(node).await, validator.address())
}

/// Sends `call` with `value` to the staking contract from dev account `signer`, mines it and
/// expects success.
fn send(h: &Harness, signer: usize, nonce: u64, call: impl SolCall, value: U256) {
    let to = TxKind::Call(STAKING_ADDRESS);
    let tx = eip1559(31337, nonce, to, value, call.abi_encode().into(), 1_000_000);
    let hash = h.node.submit_raw(&sign(&key(signer).signer, tx).unwrap()).unwrap();
    h.node.produce_block().unwrap();
    let receipt = h.node.transaction(hash).unwrap().unwrap().receipt;
    assert!(receipt.success(), "{:?}", receipt.revert_output);
}

/// What the contract's own view answers at the head, as `cast call` would ask it.
fn ask<C: SolCall>(h: &Harness, call: C) -> C::Return {
    let head = h.node.head().unwrap().number;
    let request = TransactionRequest::default().to(STAKING_ADDRESS).input(call.abi_encode().into());
    match h.node.call(&request, head, None, None).unwrap() {
        CallOutcome::Success { output, .. } => C::abi_decode_returns(&output).unwrap(),
        other => panic!("{other:?}"),
    }
}

fn address_of(value: &Value) -> Address {
    value.as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn delegations_show_what_the_contract_holds_for_a_delegator() {
    let (h, validator) = pos_chain().await;
    let delegator = key(2).address;
    send(&h, 2, 0, Staking::delegateCall { validator }, ether(50));
    send(&h, 2, 1, Staking::undelegateCall { validator, amount: ether(20) }, U256::ZERO);

    let view = h.get_json(&format!("/v1/staking/delegations/{delegator}")).await;
    let position = ask(&h, Staking::delegationCall { delegator, validatorAddress: validator });
    let pending = ask(&h, Staking::pendingRewardsCall { delegator, validatorAddress: validator });
    assert_eq!(address_of(&view["delegator"]), delegator);
    assert_eq!(view["height"], 2);
    assert_eq!(view["epoch"], ask(&h, Staking::currentEpochCall {}));
    assert_eq!(
        view["delegations"],
        json!([{
            "validator": validator,
            "shares": position.shares.to_string(),
            "stake": ether(30).to_string(),
            "pending_rewards": pending.to_string(),
        }])
    );
    assert_eq!(position.stake, ether(30));
    let completion = StakingParams::default().unbonding_epochs + 1;
    assert_eq!(
        view["unbonding"],
        json!([{
            "validator": validator,
            "amount": ether(20).to_string(),
            "start_epoch": 0,
            "completion_epoch": completion,
            "withdrawable": false,
        }])
    );
    assert_eq!(view["total_staked"], ether(30).to_string());
    assert_eq!(view["total_unbonding"], ether(20).to_string());
    assert_eq!(view["total_pending_rewards"], pending.to_string());

    let stranger = key(3).address;
    let empty = h.get_json(&format!("/v1/staking/delegations/{stranger}")).await;
    assert_eq!(empty["delegations"], json!([]));
    assert_eq!(empty["unbonding"], json!([]));
    assert_eq!(empty["total_staked"], "0");

    for bad in ["0x1234", "nothex", "0xzz00000000000000000000000000000000000000"] {
        h.get(&format!("/v1/staking/delegations/{bad}")).await.problem(400, "invalid_path");
    }
    h.stop().await;
}

#[tokio::test]
async fn a_chain_without_proof_of_stake_has_no_staking() {
    let h = harness().await;
    let reply = h.get(&format!("/v1/staking/delegations/{}", key(0).address)).await;
    let problem = reply.problem(404, "staking_unavailable");
    assert_eq!(problem["detail"], "this chain's consensus is dev; it has no staking");
    h.get("/v1/staking/delegations/0x12").await.problem(400, "invalid_path");

    // The validator list of a chain without staking keeps its shape.
    let view = h.get_json("/v1/validators").await;
    let keys = |value: &Value| {
        let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    assert_eq!(
        keys(&view),
        ["consensus", "evidence", "height", "total_power", "validators", "window"]
    );
    assert_eq!(
        keys(&view["validators"][0]),
        ["address", "last_signed_block", "missed_blocks", "name", "power", "public_key"]
    );
    h.stop().await;
}

#[tokio::test]
async fn validators_on_a_pos_chain_show_the_staking_contracts_record() {
    let (h, validator) = pos_chain().await;
    // Dev account 3 registers a candidate with a proof of possession of its consensus key.
    let candidate = consensus_key(0x22);
    let operator = key(3).address;
    let proof = candidate.sign_hash_sync(&pop_digest(31337, operator)).unwrap();
    let mut pop = proof.r().to_be_bytes::<32>().to_vec();
    pop.extend_from_slice(&proof.s().to_be_bytes::<32>());
    let register = Staking::registerValidatorCall {
        consensusPublicKey: compressed(&candidate),
        proofOfPossession: pop.into(),
        commissionBps: 700,
    };
    send(&h, 3, 0, register, ether(200));
    send(&h, 2, 0, Staking::delegateCall { validator: candidate.address() }, ether(50));

    let view = h.get_json("/v1/validators").await;
    assert_eq!(view["consensus"], "pos");
    assert_eq!(
        view["epoch"],
        json!({"number": 0, "first_height": 1, "last_height": 10, "length": 10})
    );

    let member = &view["validators"][0];
    let info = ask(&h, Staking::validatorInfoCall { validatorAddress: validator });
    assert_eq!(address_of(&member["address"]), validator);
    assert_eq!(member["status"], "active");
    assert_eq!(address_of(&member["operator"]), key(1).address);
    assert_eq!(member["stake"], info.totalStake.to_string());
    assert_eq!(member["self_stake"], ether(1_000).to_string());
    assert_eq!(member["commission_bps"], 500);
    assert_eq!(member["pending_commission_bps"], 500);
    assert_eq!(member["jailed_until"], 0);
    assert_eq!(member["missed_in_window"], info.missedInWindow);
    assert_eq!(member["commission_owed"], info.commissionOwed.to_string());

    let genesis_member = json!({"address": validator, "public_key": compressed(&consensus_key(0x11)), "power": 1_000});
    assert_eq!(view["next_validators"], json!([genesis_member]));

    let candidates = view["candidates"].as_array().unwrap();
    assert_eq!(candidates.len(), 1);
    let registered = &candidates[0];
    assert_eq!(address_of(&registered["address"]), candidate.address());
    assert_eq!(registered["public_key"], json!(compressed(&candidate)));
    assert_eq!(registered["status"], "candidate");
    assert_eq!(address_of(&registered["operator"]), operator);
    assert_eq!(registered["stake"], ether(250).to_string());
    assert_eq!(registered["self_stake"], ether(200).to_string());
    assert_eq!(registered["commission_bps"], 700);

    // The set the epoch's end would choose now: both, as the contract's own view says.
    let projected = ask(&h, Staking::projectedSetCall {});
    let expected: Vec<Value> = projected
        .iter()
        .map(|m| {
            let key =
                if m.validator == validator { consensus_key(0x11) } else { candidate.clone() };
            json!({"address": m.validator, "public_key": compressed(&key), "power": m.power})
        })
        .collect();
    assert_eq!(projected.len(), 2);
    assert_eq!(view["projected_next_set"], json!(expected));
    h.stop().await;
}
