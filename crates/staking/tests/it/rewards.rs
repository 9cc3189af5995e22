//! Rewards: the split by power among the previous block's signers, commission, delegators pro
//! rata, and the identities that make the books exact to the wei.

use alloy_primitives::{Address, U256};
use cairn_staking::{GenesisValidator, Staking};

use crate::harness::{Chain, ConsensusKey, account, ether, genesis_validators, params, refusal};
use Staking::StakingErrors as E;

const SCALE: U256 = U256::from_limbs([1_000_000_000_000_000_000, 0, 0, 0]);

fn v(seed: u64) -> Address {
    ConsensusKey::from_seed(seed).address()
}

fn claim(chain: &mut Chain, who: Address, validator: Address) -> U256 {
    let before = chain.balance(who);
    let out = chain.send(who, U256::ZERO, Staking::claimRewardsCall { validator }).unwrap();
    let paid = out.events::<Staking::RewardsClaimed>()[0].amount;
    assert_eq!(chain.balance(who), before + paid);
    paid
}

#[test]
fn rewards_split_by_power_then_commission_then_pro_rata() {
    let mut chain = Chain::standard();
    let d = account(100);
    // v1's pool: 1,000 ether of its operator, 1,000 of d. Set 0 powers stay 1,000 each.
    chain.send(d, ether(1_000), Staking::delegateCall { validator: v(1) }).unwrap();
    // Block 1 has no previous certificate: its reward waits in the pot.
    let (out, _) = chain.end_block(ether(4));
    assert!(out.events::<Staking::BlockRewarded>().is_empty());
    assert_eq!(chain.books().pot, ether(4));
    // Block 2: all four signed block 1. Pot 8 ether, 2 each; v1: 10% commission.
    let (out, _) = chain.end_block(ether(4));
    let ev = &out.events::<Staking::BlockRewarded>()[0];
    assert_eq!((ev.height, ev.pot, ev.signedPower), (2, ether(8), U256::from(4_000)));
    let books = chain.books();
    assert_eq!(books.pot, U256::ZERO);
    assert_eq!(books.commissionCredited, ether(8) / U256::from(10));
    assert_eq!(books.delegatorRewardsCredited, ether(8) - ether(8) / U256::from(10));
    assert_eq!(chain.info(v(1)).commissionOwed, ether(2) / U256::from(10));
    let half = ether(2) * U256::from(9) / U256::from(20); // 0.9 ether each for 1,000 shares of 2,000
    assert_eq!(
        chain.view(Staking::pendingRewardsCall { delegator: d, validatorAddress: v(1) }),
        half
    );
    assert_eq!(
        chain.view(Staking::pendingRewardsCall { delegator: account(1), validatorAddress: v(1) }),
        half
    );
    // The operator's claim includes its commission; the delegator's does not.
    assert_eq!(claim(&mut chain, account(1), v(1)), half + ether(2) / U256::from(10));
    assert_eq!(claim(&mut chain, d, v(1)), half);
    assert_eq!(
        refusal(chain.send(d, U256::ZERO, Staking::claimRewardsCall { validator: v(1) })),
        E::NothingToClaim(Staking::NothingToClaim {})
    );
    let books = chain.books();
    assert_eq!(books.claimed, half * U256::from(2) + ether(2) / U256::from(10));
    assert_eq!(books.surplus, U256::ZERO);
}

#[test]
fn only_signers_are_paid_and_the_remainder_goes_to_the_lowest_address_signer() {
    let mut chain = Chain::new(
        &params(),
        &[
            GenesisValidator { stake: ether(1_000), ..genesis_validators(1, ether(1)).remove(0) },
            GenesisValidator { stake: ether(2_000), ..genesis_validators(2, ether(1)).remove(1) },
            GenesisValidator { stake: ether(4_000), ..genesis_validators(3, ether(1)).remove(2) },
        ],
        10,
    );
    chain.end_block(U256::ZERO);
    let mut signers = vec![v(1), v(2)];
    signers.sort();
    // 1,000 wei among powers 1,000 and 2,000: 333 and 666, 1 left over for the lower address.
    chain.end_block_signed_by(&signers, U256::from(1_000));
    // Each operator is its pool's only delegator, so its whole share is its commission plus
    // its delegation's reward; scaled, with the remainders, it is exact.
    let credited_scaled = |chain: &mut Chain, seed: u64| {
        let info = chain.info(v(seed));
        let d = chain
            .view(Staking::delegationCall { delegator: account(seed), validatorAddress: v(seed) });
        let carry = chain.view(Staking::rewardStateCall { validatorAddress: v(seed) }).carryScaled;
        (info.commissionOwed + d.pendingRewards) * SCALE + d.fractionScaled + carry
    };
    // 1,000 wei over powers 1,000 and 2,000: 333 and 666, and the 1 left over goes to the
    // signer with the lower address.
    let (one, two) = if v(1) < v(2) { (334u64, 666u64) } else { (333, 667) };
    assert_eq!(credited_scaled(&mut chain, 1), U256::from(one) * SCALE);
    assert_eq!(credited_scaled(&mut chain, 2), U256::from(two) * SCALE);
    assert_eq!(credited_scaled(&mut chain, 3), U256::ZERO, "v3 did not sign");
    assert_eq!(chain.books().pot, U256::ZERO);

    // A block nobody signed keeps the pot for the next one.
    let (out, _) = chain.end_block_signed_by(&[], U256::from(50));
    assert_eq!(out.events::<Staking::BlockRewarded>()[0].signedPower, U256::ZERO);
    assert_eq!(chain.books().pot, U256::from(50));
}

/// Uneven stakes, odd rewards, changing signers, delegations coming and going: after every
/// position is claimed, what delegators received plus every stored remainder equals, in
/// scaled integers, exactly what was credited to them; and credited + commission + pot equals
/// everything paid in.
#[test]
fn the_books_balance_to_the_wei() {
    let mut chain = Chain::new(&params(), &genesis_validators(4, ether(1_000)), 5);
    let delegators = [account(100), account(101), account(102)];
    let amounts = [
        U256::from(777_777_777_777_777_777u64),
        ether(333) + U256::from(1),
        ether(50) + U256::from(3),
    ];
    let mut paid_in = U256::ZERO;
    for block in 0u64..40 {
        if block % 7 == 3 {
            let d = delegators[(block % 3) as usize];
            let target = v(1 + block % 4);
            chain
                .send(d, amounts[(block % 3) as usize], Staking::delegateCall { validator: target })
                .unwrap();
        }
        if block == 20 {
            let tenth = U256::from(100_000_000_000_000_000u64);
            chain
                .send(
                    delegators[0],
                    U256::ZERO,
                    Staking::undelegateCall { validator: v(4), amount: tenth },
                )
                .unwrap();
            chain
                .send(
                    delegators[1],
                    U256::ZERO,
                    Staking::undelegateCall { validator: v(3), amount: U256::from(12_345) },
                )
                .unwrap();
        }
        let reward = U256::from(1_000_000_007u64) * U256::from(block + 1);
        paid_in += reward;
        if chain.number == 1 {
            chain.end_block(reward);
        } else {
            let signers: Vec<Address> = chain
                .previous_set()
                .into_iter()
                .enumerate()
                .filter(|(i, _)| !(block + *i as u64).is_multiple_of(5))
                .map(|(_, a)| a)
                .collect();
            chain.end_block_signed_by(&signers, reward);
        }
    }
    let books = chain.books();
    assert_eq!(books.delegatorRewardsCredited + books.commissionCredited + books.pot, paid_in);
    assert_eq!(books.held, paid_in - books.claimed);

    // Everyone claims everything from every validator.
    let mut claimed_by_delegators = U256::ZERO;
    let mut commission_claimed = U256::ZERO;
    let everyone: Vec<Address> = delegators.iter().copied().chain((1..=4).map(account)).collect();
    for &who in &everyone {
        for seed in 1..=4 {
            let pending = chain
                .view(Staking::pendingRewardsCall { delegator: who, validatorAddress: v(seed) });
            let commission =
                if who == account(seed) { chain.info(v(seed)).commissionOwed } else { U256::ZERO };
            if pending + commission > U256::ZERO {
                let paid = claim(&mut chain, who, v(seed));
                assert_eq!(paid, pending + commission);
                claimed_by_delegators += pending;
                commission_claimed += commission;
            }
        }
    }
    assert_eq!(commission_claimed, books.commissionCredited);
    let mut remainders = chain.view(Staking::closedDustCall {});
    for &who in &everyone {
        for seed in 1..=4 {
            let d =
                chain.view(Staking::delegationCall { delegator: who, validatorAddress: v(seed) });
            assert_eq!(d.pendingRewards, U256::ZERO);
            remainders += d.fractionScaled;
        }
    }
    for seed in 1..=4 {
        remainders +=
            chain.view(Staking::rewardStateCall { validatorAddress: v(seed) }).carryScaled;
    }
    assert_eq!(claimed_by_delegators * SCALE + remainders, books.delegatorRewardsCredited * SCALE);
    assert!(remainders > U256::ZERO, "the amounts were chosen not to divide");
    let books = chain.books();
    assert_eq!(books.surplus, U256::ZERO);
    assert_eq!(
        chain.balance(cairn_staking::STAKING_ADDRESS),
        books.held + books.bonded + books.unbonding + books.burned
    );
}
