//! Proof of stake on the in-process network: every block pays its stakers through the staking
//! contract, and a delegation changes the set that signs from the next epoch on, the same on
//! every node and in every node's audit.

use alloy_primitives::{Address, TxKind, U256};
use alloy_sol_types::SolCall;
use cairn_primitives::STAKING_ADDRESS;
use cairn_primitives::test_utils::{eip1559, sign};
use cairn_reads::ChainReader;
use cairn_simnet::{NetBuilder, run};
use cairn_staking::Staking;

use crate::SEEDS;

const EPOCH_LENGTH: u64 = 5;

fn ether(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

/// The power of `validator` in the set that decides `height` on node `i`, if it is a member.
fn power(net: &cairn_simnet::TestNet, i: usize, height: u64, validator: Address) -> Option<u64> {
    let set = net.reads(i).validator_set(height).expect("the set of a height");
    set.members.iter().find(|m| m.address == validator).map(|m| m.power)
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
        }
        net.assert_agreement();
        net.audit(1);
    });
}
