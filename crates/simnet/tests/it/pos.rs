//! Proof of stake on the in-process network: every block pays its stakers through the staking
//! contract, a delegation changes the set that signs from the next epoch on, and a validator
//! that signs twice is slashed and tombstoned by evidence a block carries, the same on every
//! node and in every node's audit. The submodules hold the scenarios that move stake around:
//! a candidate joining, a validator unbonding out, the set changing epoch after epoch under a
//! syncing node, slashing that reaches unbonding entries, and the rewards identity.

use std::ops::ControlFlow;

use alloy_primitives::{Address, TxKind, U256};
use alloy_rpc_types_eth::Filter;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, SolEvent};
use cairn_bft::Height;
use cairn_node::TxLookup;
use cairn_primitives::test_utils::{eip1559, sign};
use cairn_primitives::{DoubleSign, STAKING_ADDRESS};
use cairn_reads::ChainReader;
use cairn_simnet::{NetBuilder, TestNet, run};
use cairn_staking::{Staking, ValidatorStatus};
use malachitebft_app_channel::app::types::core::VoteType;
use malachitebft_core_consensus::SignedConsensusMsg;

use crate::SEEDS;
use crate::contracts::{ask_at, send_to};
pub(crate) use crate::contracts::{power, signed};

mod candidate;
mod rewards;
mod sets;
mod slashing;
mod unbonding;

const EPOCH_LENGTH: u64 = 5;

fn ether(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

#[test]
fn a_delegation_raises_a_validators_power_from_the_next_epoch() {
    run("a_delegation_raises_a_validators_power_from_the_next_epoch", &SEEDS, |seed| async move {
        let mut net = NetBuilder::new(seed).pos(EPOCH_LENGTH).start().await;
        net.wait_until_height(2).await;
        let validator = net.validator(0);
        let chain_id = net.spec().chain_id;
        let delegator = net.accounts()[10].clone();
        let input = Staking::delegateCall { validator }.abi_encode();
        let tx =
            eip1559(chain_id, 0, TxKind::Call(STAKING_ADDRESS), ether(500), input.into(), 300_000);
        let hash =
            net.reads(1).submit_raw(&sign(&delegator, tx).expect("signed")).expect("admitted");

        let landed = loop {
            let head = net.height(0);
            net.wait_until_height(head + 1).await;
            if let Some(lookup) = net.reads(0).transaction(hash).expect("read") {
                assert!(lookup.receipt.envelope.status(), "seed {}: delegate reverted", seed.0);
                break lookup.block_number;
            }
        };
        let epoch_end = landed.div_ceil(EPOCH_LENGTH) * EPOCH_LENGTH;
        net.wait_until_height(epoch_end + 2).await;
        for i in 0..4 {
            assert_eq!(power(&net, i, landed, validator), Some(1_000), "seed {}", seed.0);
            assert_eq!(power(&net, i, epoch_end, validator), Some(1_000), "seed {}", seed.0);
            assert_eq!(power(&net, i, epoch_end + 1, validator), Some(1_500), "seed {}", seed.0);
            for v in 1..4 {
                assert_eq!(power(&net, i, epoch_end + 1, net.validator(v)), Some(1_000));
            }
        }
        // The header of the epoch's last block commits to the set after it.
        let node = net.reads(0);
        let last = node.block(epoch_end).expect("read").expect("stored").header;
        let commitments = last.commitments.expect("a pos header commits to its sets");
        let next = node.validator_set(epoch_end + 1).expect("set");
        assert_eq!(commitments.next_validators_hash, next.hash());
        assert_ne!(commitments.validators_hash, commitments.next_validators_hash);
        net.assert_agreement();
        for i in 0..4 {
            net.audit(i);
        }
    });
}

#[test]
fn every_block_mints_its_reward_into_the_staking_contract() {
    run("every_block_mints_its_reward_into_the_staking_contract", &SEEDS, |seed| async move {
        let mut net = NetBuilder::new(seed).pos(EPOCH_LENGTH).start().await;
        net.wait_until_height(2 * EPOCH_LENGTH + 1).await;
        let node = net.reads(0);
        let view = node.view().expect("a view");
        let balance = |n: u64| {
            let state = view.state_at(n).expect("read").expect("a retained state");
            state.account(STAKING_ADDRESS).expect("read").expect("the contract").balance
        };
        // Blocks without transactions pay no fees: each adds exactly the block reward.
        for n in 1..=2 * EPOCH_LENGTH {
            let block = node.block(n).expect("read").expect("stored");
            assert!(block.transactions.is_empty());
            assert_eq!(block.header.beneficiary, STAKING_ADDRESS);
            assert_eq!(balance(n) - balance(n - 1), ether(1), "seed {}: block {n}", seed.0);
            // Each block pays the signers of its parent's certificate: at least the quorum of
            // 3 (a busy machine may finalise before the fourth precommit arrives).
            if n > 1 {
                let data = block.consensus.expect("a pos body carries consensus data");
                let parent = cairn_bft::decode_seal(&data.last_commit).expect("a certificate");
                assert!(parent.commit_signatures.len() >= 3, "seed {}: block {n}", seed.0);
            }
        }
        net.assert_agreement();
        net.audit(1);
    });
}

/// Sends `input` with `value` from `key` (at `nonce`) to the staking contract through node 0
/// and waits for its block.
async fn send_to_staking(
    net: &mut TestNet,
    key: &PrivateKeySigner,
    nonce: u64,
    input: Vec<u8>,
    value: U256,
) -> TxLookup {
    send_to(net, key, nonce, STAKING_ADDRESS, (input, value, 500_000)).await
}

/// What the staking contract says of `validator` at node 0's head.
fn info(net: &TestNet, validator: Address) -> Staking::ValidatorInfo {
    ask(net, 0, net.height(0), Staking::validatorInfoCall { validatorAddress: validator })
}

#[test]
fn a_validator_kept_offline_is_jailed_left_out_and_back_after_unjail() {
    run(
        "a_validator_kept_offline_is_jailed_left_out_and_back_after_unjail",
        &SEEDS,
        |seed| async move {
            let mut net = NetBuilder::new(seed).pos(EPOCH_LENGTH).start().await;
            net.wait_until_height(2).await;
            let offline = net.validator(3);
            net.node(3).crash().await;

            // Its window of 10 blocks fills with misses: jailed, 1% of its pool slashed, and left
            // out of the set from the next epoch on, while the other 75% of the power finalises.
            let mut until = 0;
            for _ in 0..40 {
                let head = net.height(0);
                net.wait_until_height(head + 1).await;
                let now = info(&net, offline);
                if now.jailedUntil > 0 {
                    until = now.jailedUntil;
                    break;
                }
            }
            assert!(until > 0, "seed {}: validator 3 never jailed", seed.0);
            let jailed_at = net.height(0);
            let out_from = jailed_at.div_ceil(EPOCH_LENGTH) * EPOCH_LENGTH + 1;
            net.wait_until_height(out_from + 1).await;
            assert_eq!(
                power(&net, 0, out_from, offline),
                None,
                "seed {}: still in the set",
                seed.0
            );
            assert_eq!(info(&net, offline).selfStake, ether(990), "seed {}: 1% slashed", seed.0);

            // Back online, its operator unjails it: refused before `until`, accepted after, and it
            // signs again from the epoch after.
            net.node(3).restart().await;
            let operator = net.accounts()[3].clone();
            let unjail = Staking::unjailCall {}.abi_encode();
            let early = send_to_staking(&mut net, &operator, 0, unjail.clone(), U256::ZERO).await;
            assert!(early.block_number < until);
            assert!(!early.receipt.envelope.status(), "seed {}: unjailed before {until}", seed.0);
            net.wait_until_height(until).await;
            let late = send_to_staking(&mut net, &operator, 1, unjail, U256::ZERO).await;
            assert!(
                late.receipt.envelope.status(),
                "seed {}: unjail refused after {until}",
                seed.0
            );
            let back_from = late.block_number.div_ceil(EPOCH_LENGTH) * EPOCH_LENGTH + 1;
            // A certificate needs 3 of the 4 precommits, so on a busy machine a block's seal
            // may lack any one validator's: look for it across two epochs and every node's seals.
            let last = back_from + 2 * EPOCH_LENGTH;
            net.wait_until_height(last).await;
            assert_eq!(power(&net, 0, back_from, offline), Some(990), "seed {}", seed.0);
            assert!(
                (back_from..=last).any(|n| (0..4).any(|i| signed(&net, i, n, offline))),
                "seed {}: validator 3 back in the set but not signing",
                seed.0
            );
            net.assert_agreement();
            for i in 0..4 {
                net.audit(i);
            }
        },
    );
}

#[test]
fn a_validator_restarted_across_an_epoch_boundary_resumes_with_the_new_set() {
    run(
        "a_validator_restarted_across_an_epoch_boundary_resumes_with_the_new_set",
        &SEEDS,
        |seed| async move {
            let mut net = NetBuilder::new(seed).pos(EPOCH_LENGTH).start().await;
            net.wait_until_height(2).await;
            // A delegation makes epoch 1's set differ from epoch 0's.
            let validator = net.validator(0);
            let delegator = net.accounts()[10].clone();
            let input = Staking::delegateCall { validator }.abi_encode();
            let landed = send_to_staking(&mut net, &delegator, 0, input, ether(500)).await;
            let epoch_end = landed.block_number.div_ceil(EPOCH_LENGTH) * EPOCH_LENGTH;
            // Node 1 crashes the moment it precommits the epoch's last block.
            net.crash_when(1, move |message| {
                matches!(message, SignedConsensusMsg::Vote(v)
                    if v.message.vote_type == VoteType::Precommit
                        && v.message.height == Height(epoch_end))
            });
            net.wait_until(&[0, 2, 3], epoch_end + 3).await;
            assert!(net.height(1) <= epoch_end, "seed {}: node 1 crashed at its precommit", seed.0);

            net.node(1).restart().await;
            let target = net.height(0) + 3;
            net.wait_until_height(target).await;
            for i in 0..4 {
                assert_eq!(power(&net, i, epoch_end + 1, validator), Some(1_500), "node {i}");
            }
            let signer = net.validator(1);
            assert!(
                (epoch_end + 2..=target).any(|n| signed(&net, 0, n, signer)),
                "seed {}: node 1 does not sign in the new epoch",
                seed.0
            );
            for i in 0..4 {
                assert!(net.evidence(i).iter().all(|e| e.validator != signer), "seed {}", seed.0);
            }
            net.assert_agreement();
            net.audit(1);
        },
    );
}

/// Asks the staking contract `call` in the state after block `number` on node `i`.
fn ask<C: SolCall>(net: &TestNet, i: usize, number: u64, call: C) -> C::Return {
    ask_at(net, i, number, STAKING_ADDRESS, call)
}

/// `address`'s balance in the state after block `number` of node 0.
fn balance(net: &TestNet, number: u64, address: Address) -> U256 {
    let node = net.reads(0);
    let view = node.view().expect("a view");
    let state = view.state_at(number).expect("read").expect("a retained state");
    state.account(address).expect("read").map_or(U256::ZERO, |account| account.balance)
}

/// The double-sign evidence block `number` carries on node `i`.
fn evidence_in(net: &TestNet, i: usize, number: u64) -> Vec<DoubleSign> {
    let block = net.reads(i).block(number).expect("read").expect("stored");
    block.consensus.expect("a pos body carries consensus data").evidence
}

#[test]
fn a_double_signer_is_slashed_and_tombstoned() {
    run("a_double_signer_is_slashed_and_tombstoned", &SEEDS, |seed| async move {
        // Node 4 runs validator 3's key too, with other `extra_data` (every PoS block pays the
        // staking contract, so that is what tells its blocks apart): whenever validator 3
        // proposes, its two copies sign different blocks.
        let mut net = NetBuilder::new(seed).pos(EPOCH_LENGTH).double_signer(3).start().await;
        let double = net.validator(3);
        let honest = [0, 1, 2];
        let mut number = 1;
        let landed = loop {
            assert!(number < 60, "seed {}: no evidence landed; seen {:?}", seed.0, net.evidence(0));
            net.wait_until(&honest, number).await;
            if !evidence_in(&net, 0, number).is_empty() {
                break number;
            }
            number += 1;
        };
        let items = evidence_in(&net, 0, landed);
        assert_eq!(items.len(), 1, "seed {}: {items:?}", seed.0);
        let item = &items[0];
        assert_eq!(item.validator, double);
        assert!(item.height < landed && item.first != item.second, "seed {}: {item:?}", seed.0);
        for i in honest {
            assert_eq!(evidence_in(&net, i, landed), items, "seed {}: node {i}", seed.0);
        }

        // Slashed a twentieth of its stake, exactly, and tombstoned.
        let info =
            |number| ask(&net, 0, number, Staking::validatorInfoCall { validatorAddress: double });
        let before = info(landed - 1);
        let after = info(landed);
        let slashed = before.totalStake * U256::from(500) / U256::from(10_000);
        assert_eq!(after.totalStake, before.totalStake - slashed, "seed {}", seed.0);
        assert_eq!(
            ValidatorStatus::try_from(after.status).expect("a status"),
            ValidatorStatus::Tombstoned
        );
        assert_eq!(after.jailedUntil, u64::MAX);
        let mut slashes = Vec::new();
        let filter = Filter::new().address(STAKING_ADDRESS);
        let node = net.reads(0);
        let view = node.view().expect("a view");
        view.logs(&filter, landed, landed, 0, &mut |log| {
            if let Ok(event) = Staking::Slashed::decode_log(&log.log) {
                slashes.push(event.data);
            }
            ControlFlow::Continue(())
        })
        .expect("logs");
        assert_eq!(slashes.len(), 1, "seed {}", seed.0);
        let event = &slashes[0];
        assert_eq!(
            (event.validator, event.reason, event.infractionHeight),
            (double, 0, item.height)
        );
        assert_eq!((event.bondedSlashed, event.unbondingSlashed), (slashed, U256::ZERO));

        // Out of the next epoch's set; the others keep finalising without it.
        let epoch_end = landed.div_ceil(EPOCH_LENGTH) * EPOCH_LENGTH;
        net.wait_until(&honest, epoch_end + 3).await;
        for i in honest {
            assert!(power(&net, i, epoch_end + 1, double).is_none(), "seed {}: node {i}", seed.0);
            assert_eq!(power(&net, i, epoch_end + 1, net.validator(0)), Some(1_000));
        }
        // Each item goes on chain once: no later block repeats it.
        for number in landed + 1..=epoch_end + 3 {
            assert!(
                !evidence_in(&net, 0, number).contains(item),
                "seed {}: block {number}",
                seed.0
            );
        }
        net.assert_agreement();
        for i in honest {
            net.audit(i);
        }
    });
}
