//! On a running network with transactions paying priority fees, the rewards the staking
//! contract credits add up to the issuance plus those fees, block by block and to the wei, and
//! what it credits to delegators is exactly what their positions can claim.

use alloy_primitives::{Address, TxKind, U256};
use alloy_sol_types::{SolCall, SolEvent};
use cairn_primitives::STAKING_ADDRESS;
use cairn_primitives::test_utils::{eip1559, sign};
use cairn_simnet::{NetBuilder, TestNet, run};
use cairn_staking::Staking;

use super::{EPOCH_LENGTH, ask, balance, ether, send_to_staking};
use crate::SEEDS;

/// Fixed point of the contract's reward accumulator.
const SCALE: u64 = 1_000_000_000_000_000_000;

/// The priority fees block `number` of node 0 pays: per transaction, gas used × (price paid −
/// base fee), from the receipts and the header.
fn priority_fees(net: &TestNet, number: u64) -> U256 {
    let node = net.reads(0);
    let block = node.block(number).expect("read").expect("stored");
    let base_fee = u128::from(block.header.base_fee);
    block
        .transactions
        .iter()
        .map(|tx| {
            let lookup = node.transaction(*tx.tx_hash()).expect("read").expect("indexed");
            let receipt = lookup.receipt;
            U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price - base_fee)
        })
        .sum()
}

#[test]
fn rewards_credited_sum_to_issuance_plus_priority_fees() {
    run("rewards_credited_sum_to_issuance_plus_priority_fees", &SEEDS, |seed| async move {
        let mut net = NetBuilder::new(seed).pos(EPOCH_LENGTH).start().await;
        net.wait_until_height(2).await;
        let chain_id = net.spec().chain_id;
        let block_reward = net.spec().staking.as_ref().expect("pos").block_reward;
        let validators: Vec<Address> = (0..4).map(|v| net.validator(v)).collect();
        let delegator = net.accounts()[10].clone();
        let delegate = Staking::delegateCall { validator: validators[0] }.abi_encode();
        let delegated = send_to_staking(&mut net, &delegator, 0, delegate, ether(100)).await;
        assert!(delegated.receipt.success(), "seed {}", seed.0);

        // Three rounds of transfers from five accounts, each paying a 1 gwei tip, over the next
        // epochs.
        let payee = net.accounts()[19].address();
        for round in 0..3u64 {
            for sender in &net.accounts()[11..16] {
                let tx = eip1559(
                    chain_id,
                    round,
                    TxKind::Call(payee),
                    ether(1),
                    Default::default(),
                    21_000,
                );
                net.reads(round as usize % 4)
                    .submit_raw(&sign(sender, tx).expect("signed"))
                    .expect("admitted");
            }
            let head = net.height(0);
            net.wait_until_height(head + EPOCH_LENGTH).await;
        }
        let claim = Staking::claimRewardsCall { validator: validators[0] }.abi_encode();
        let claimed = send_to_staking(&mut net, &delegator, 1, claim, U256::ZERO).await;
        assert!(claimed.receipt.success(), "seed {}: claimRewards reverted", seed.0);
        let head = claimed.block_number + 2;
        net.wait_until_height(head).await;

        // Block by block: credited to delegators + commission + the change of the carried pot
        // is exactly the issuance plus the block's priority fees.
        let books = |n| ask(&net, 0, n, Staking::rewardAccountingCall {});
        let credited = |a: &Staking::RewardAccounting| {
            a.delegatorRewardsCredited + a.commissionCredited + a.pot
        };
        let mut fees = U256::ZERO;
        let mut paying_blocks = 0;
        for n in 1..=head {
            let block_fees = priority_fees(&net, n);
            if block_fees > U256::ZERO {
                paying_blocks += 1;
            }
            fees += block_fees;
            assert_eq!(
                credited(&books(n)) - credited(&books(n - 1)),
                block_reward + block_fees,
                "seed {}: block {n}",
                seed.0
            );
        }
        assert!(paying_blocks >= 3, "seed {}: only {paying_blocks} blocks paid fees", seed.0);
        // The seventeen transactions all tipped 1 gwei (the base fee stays far below their
        // 10 gwei cap), so the fees are their gas at 1 gwei.
        let gas = 15 * 21_000 + delegated.receipt.gas_used + claimed.receipt.gas_used;
        assert_eq!(fees, U256::from(gas) * U256::from(1_000_000_000u64), "seed {}", seed.0);
        let (start, end) = (books(0), books(head));
        assert_eq!(
            credited(&end) - credited(&start),
            block_reward * U256::from(head) + fees,
            "seed {}",
            seed.0
        );

        // The contract holds what it was paid: issuance, fees and the 100 ether bonded, less
        // the reward it paid out, which reached the delegator net of its gas.
        let paid = claimed
            .receipt
            .logs()
            .iter()
            .find_map(|log| Staking::RewardsClaimed::decode_log_data(&log.data).ok())
            .expect("a RewardsClaimed event")
            .amount;
        assert_eq!(end.claimed, paid);
        assert_eq!(
            balance(&net, head, STAKING_ADDRESS) - balance(&net, 0, STAKING_ADDRESS),
            block_reward * U256::from(head) + fees + ether(100) - paid,
            "seed {}",
            seed.0
        );
        let gas =
            U256::from(claimed.receipt.gas_used) * U256::from(claimed.receipt.effective_gas_price);
        let at = claimed.block_number;
        assert_eq!(
            balance(&net, at, delegator.address()),
            balance(&net, at - 1, delegator.address()) + paid - gas,
            "seed {}",
            seed.0
        );

        // Commission: every operator's unclaimed commission adds up to what was credited.
        let infos: Vec<_> = validators
            .iter()
            .map(|&v| ask(&net, 0, head, Staking::validatorInfoCall { validatorAddress: v }))
            .collect();
        let owed: U256 = infos.iter().map(|info| info.commissionOwed).sum();
        assert_eq!(owed, end.commissionCredited, "seed {}", seed.0);

        // Delegators: what every position can claim (wei and sub-wei fraction), the
        // validators' division remainders, closed positions' dust and what was claimed make up
        // exactly what was credited to delegators, in units of 1e-18 wei.
        let scale = U256::from(SCALE);
        let mut positions = vec![(delegator.address(), validators[0])];
        positions.extend((0..4).map(|v| (net.accounts()[v].address(), validators[v])));
        let mut total = end.claimed * scale + ask(&net, 0, head, Staking::closedDustCall {});
        for (who, v) in positions {
            let p =
                ask(&net, 0, head, Staking::delegationCall { delegator: who, validatorAddress: v });
            total += p.pendingRewards * scale + p.fractionScaled;
        }
        for &v in &validators {
            total +=
                ask(&net, 0, head, Staking::rewardStateCall { validatorAddress: v }).carryScaled;
        }
        assert_eq!(total, end.delegatorRewardsCredited * scale, "seed {}", seed.0);
        assert_eq!(end.surplus, U256::ZERO);
        net.assert_agreement();
        net.audit(0);
    });
}
