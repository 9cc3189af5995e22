//! A validator whose operator unbonds its self-stake leaves the set at the next epoch, the
//! others keep finalising, and the stake comes back through `withdraw()` only after the
//! unbonding period, to the wei.

use alloy_primitives::U256;
use alloy_sol_types::{SolCall, SolEvent, SolInterface};
use cairn_simnet::{NetBuilder, TestNet, run};
use cairn_staking::{STAKING_ADDRESS, Staking, ValidatorStatus};

use super::{EPOCH_LENGTH, ask, balance, ether, power, send_to_staking, signed};
use crate::SEEDS;

/// The contract's epoch in the state after block `number` of node 0.
fn epoch_after(net: &TestNet, number: u64) -> u64 {
    ask(net, 0, number, Staking::currentEpochCall {})
}

#[test]
fn a_validator_unbonds_out_of_the_set_and_withdraws_after_the_unbonding_period() {
    run(
        "a_validator_unbonds_out_of_the_set_and_withdraws_after_the_unbonding_period",
        &SEEDS,
        |seed| async move {
            let mut net = NetBuilder::new(seed).pos(EPOCH_LENGTH).start().await;
            net.wait_until_height(2).await;
            let leaving = net.validator(3);
            let operator = net.accounts()[3].clone();
            let unbonding_epochs = net.spec().staking.as_ref().expect("pos").unbonding_epochs;

            let undelegate = Staking::undelegateCall { validator: leaving, amount: ether(1_000) };
            let undelegated =
                send_to_staking(&mut net, &operator, 0, undelegate.abi_encode(), U256::ZERO).await;
            assert!(undelegated.receipt.success(), "seed {}: undelegate reverted", seed.0);
            let at = undelegated.block_number;
            let start = epoch_after(&net, at - 1);
            let completion = start + unbonding_epochs + 1;
            let now = ask(&net, 0, at, Staking::validatorInfoCall { validatorAddress: leaving });
            assert_eq!(
                ValidatorStatus::try_from(now.status).expect("a status"),
                ValidatorStatus::Unbonding
            );
            assert_eq!((now.selfStake, now.totalStake), (U256::ZERO, U256::ZERO));
            let entries =
                ask(&net, 0, at, Staking::delegationsOfCall { delegator: operator.address() })
                    .entries;
            assert_eq!(entries.len(), 1, "seed {}", seed.0);
            assert_eq!(
                (entries[0].validator, entries[0].amount, entries[0].completionEpoch),
                (leaving, ether(1_000), completion)
            );

            // `withdraw()` right away, before the completion epoch, reverts with the contract's error.
            let withdraw = Staking::withdrawCall {}.abi_encode();
            let early = send_to_staking(&mut net, &operator, 1, withdraw.clone(), U256::ZERO).await;
            assert!(epoch_after(&net, early.block_number - 1) < completion);
            assert!(!early.receipt.success(), "seed {}: withdrew before {completion}", seed.0);
            let refusal = early.receipt.revert_output.clone().expect("revert data");
            assert_eq!(
                Staking::StakingErrors::abi_decode(&refusal).expect("a custom error"),
                Staking::StakingErrors::NothingToWithdraw(Staking::NothingToWithdraw {
                    nextCompletionEpoch: completion
                }),
                "seed {}",
                seed.0
            );

            // Out of the next epoch's set; the other three sign every block without it.
            let epoch_end = at.div_ceil(EPOCH_LENGTH) * EPOCH_LENGTH;
            let target = epoch_end + 2 * EPOCH_LENGTH;
            net.wait_until_height(target).await;
            for i in 0..4 {
                assert_eq!(power(&net, i, epoch_end, leaving), Some(1_000), "seed {}", seed.0);
                assert_eq!(power(&net, i, epoch_end + 1, leaving), None, "seed {}", seed.0);
                let set = net.reads(i).validator_set(epoch_end + 1).expect("set");
                assert_eq!(set.members.len(), 3, "seed {}", seed.0);
            }
            for n in epoch_end + 1..=target {
                assert!(!signed(&net, 0, n, leaving), "seed {}: signed block {n}", seed.0);
            }

            // From the completion epoch it pays exactly the unbonded amount.
            net.wait_until_height(completion * EPOCH_LENGTH).await;
            let late = send_to_staking(&mut net, &operator, 2, withdraw, U256::ZERO).await;
            assert!(late.receipt.success(), "seed {}: withdraw reverted", seed.0);
            let block = late.block_number;
            assert!(epoch_after(&net, block - 1) >= completion, "seed {}", seed.0);
            let gas =
                U256::from(late.receipt.gas_used) * U256::from(late.receipt.effective_gas_price);
            let before = balance(&net, block - 1, operator.address());
            let after = balance(&net, block, operator.address());
            assert_eq!(after, before + ether(1_000) - gas, "seed {}: operator balance", seed.0);
            let paid = late.receipt.logs().iter().find_map(|log| {
                (log.address == STAKING_ADDRESS)
                    .then(|| Staking::Withdrawn::decode_log_data(&log.data).ok())
                    .flatten()
            });
            assert_eq!(
                paid.map(|w| (w.delegator, w.amount)),
                Some((operator.address(), ether(1_000))),
                "seed {}",
                seed.0
            );
            let entries =
                ask(&net, 0, block, Staking::delegationsOfCall { delegator: operator.address() })
                    .entries;
            assert!(entries.is_empty(), "seed {}", seed.0);

            net.assert_agreement();
            for i in 0..4 {
                net.audit(i);
            }
        },
    );
}
