//! Delegation, undelegation, unbonding and withdrawal across epochs, and their refusals.

use alloy_primitives::{Address, U256};
use cairn_staking::{Staking, ValidatorStatus};

use crate::harness::{Chain, ConsensusKey, account, ether, refusal};
use Staking::StakingErrors as E;

fn v(seed: u64) -> Address {
    ConsensusKey::from_seed(seed).address()
}

#[test]
fn delegation_raises_power_at_the_next_epoch_boundary() {
    let mut chain = Chain::standard();
    let out =
        chain.send(account(100), ether(250), Staking::delegateCall { validator: v(2) }).unwrap();
    let ev = &out.events::<Staking::Delegated>()[0];
    assert_eq!(
        (ev.delegator, ev.validator, ev.amount, ev.shares),
        (account(100), v(2), ether(250), ether(250))
    );
    assert_eq!(chain.info(v(2)).totalStake, ether(1_250));
    assert_eq!(chain.info(v(2)).power, 1_000, "the set of an epoch is fixed when it starts");
    chain.next_epoch();
    assert_eq!(chain.info(v(2)).power, 1_250);
    assert_eq!(chain.stake_of(account(100), v(2)), ether(250));
    let (positions, entries) = {
        let r = chain.view(Staking::delegationsOfCall { delegator: account(100) });
        (r.positions, r.entries)
    };
    assert_eq!(positions.len(), 1);
    assert_eq!((positions[0].validator, positions[0].stake), (v(2), ether(250)));
    assert!(entries.is_empty());
}

#[test]
fn delegation_refusals() {
    let mut chain = Chain::standard();
    assert_eq!(
        refusal(chain.send(account(100), U256::ZERO, Staking::delegateCall { validator: v(1) })),
        E::ZeroAmount(Staking::ZeroAmount {})
    );
    assert_eq!(
        refusal(chain.send(
            account(100),
            ether(1),
            Staking::delegateCall { validator: account(55) }
        )),
        E::UnknownValidator(Staking::UnknownValidator { validator: account(55) })
    );
    assert_eq!(
        refusal(chain.send(
            account(100),
            U256::ZERO,
            Staking::undelegateCall { validator: v(1), amount: U256::ZERO }
        )),
        E::ZeroAmount(Staking::ZeroAmount {})
    );
    assert_eq!(
        refusal(chain.send(
            account(100),
            U256::ZERO,
            Staking::undelegateCall { validator: account(55), amount: ether(1) }
        )),
        E::UnknownValidator(Staking::UnknownValidator { validator: account(55) })
    );
    chain.send(account(100), ether(10), Staking::delegateCall { validator: v(1) }).unwrap();
    assert_eq!(
        refusal(chain.send(
            account(100),
            U256::ZERO,
            Staking::undelegateCall { validator: v(1), amount: ether(11) }
        )),
        E::InsufficientStake(Staking::InsufficientStake {
            available: ether(10),
            requested: ether(11)
        })
    );
    assert_eq!(
        refusal(chain.send(account(101), U256::ZERO, Staking::withdrawCall {})),
        E::NothingToWithdraw(Staking::NothingToWithdraw { nextCompletionEpoch: 0 })
    );
    assert_eq!(
        refusal(chain.send(
            account(101),
            U256::ZERO,
            Staking::claimRewardsCall { validator: v(1) }
        )),
        E::NothingToClaim(Staking::NothingToClaim {})
    );
    assert_eq!(
        refusal(chain.send(
            account(101),
            U256::ZERO,
            Staking::claimRewardsCall { validator: account(55) }
        )),
        E::UnknownValidator(Staking::UnknownValidator { validator: account(55) })
    );
}

#[test]
fn unbonding_pays_out_after_unbonding_epochs_plus_one() {
    let mut chain = Chain::standard();
    let d = account(100);
    chain.send(d, ether(300), Staking::delegateCall { validator: v(3) }).unwrap();
    chain.next_epoch(); // epoch 1
    let out = chain
        .send(d, U256::ZERO, Staking::undelegateCall { validator: v(3), amount: ether(120) })
        .unwrap();
    let ev = &out.events::<Staking::Undelegated>()[0];
    // unbonding_epochs = 2: stake undelegated in epoch 1 stays slashable through epoch 3.
    assert_eq!((ev.amount, ev.shares, ev.completionEpoch), (ether(120), ether(120), 4));
    assert_eq!(chain.stake_of(d, v(3)), ether(180));
    assert_eq!(chain.info(v(3)).totalStake, ether(1_180));
    // A second undelegation in the same epoch merges into the same entry.
    chain
        .send(d, U256::ZERO, Staking::undelegateCall { validator: v(3), amount: ether(30) })
        .unwrap();
    let entries = chain.view(Staking::delegationsOfCall { delegator: d }).entries;
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (
            entries[0].amount,
            entries[0].startEpoch,
            entries[0].completionEpoch,
            entries[0].withdrawable
        ),
        (ether(150), 1, 4, false)
    );
    let books = chain.books();
    assert_eq!((books.bonded, books.unbonding), (ether(4_150), ether(150)));

    for epoch in 1..4 {
        assert_eq!(chain.epoch(), epoch);
        assert_eq!(
            refusal(chain.send(d, U256::ZERO, Staking::withdrawCall {})),
            E::NothingToWithdraw(Staking::NothingToWithdraw { nextCompletionEpoch: 4 })
        );
        chain.next_epoch();
    }
    let before = chain.balance(d);
    let out = chain.send(d, U256::ZERO, Staking::withdrawCall {}).unwrap();
    assert_eq!(out.events::<Staking::Withdrawn>()[0].amount, ether(150));
    assert_eq!(chain.balance(d), before + ether(150));
    assert_eq!(chain.books().unbonding, U256::ZERO);
    assert!(chain.view(Staking::delegationsOfCall { delegator: d }).entries.is_empty());
    assert_eq!(
        refusal(chain.send(d, U256::ZERO, Staking::withdrawCall {})),
        E::NothingToWithdraw(Staking::NothingToWithdraw { nextCompletionEpoch: 0 })
    );
}

#[test]
fn a_fully_unbonded_position_closes_after_withdrawal() {
    let mut chain = Chain::standard();
    let d = account(101);
    chain.send(d, ether(5), Staking::delegateCall { validator: v(1) }).unwrap();
    chain
        .send(d, U256::ZERO, Staking::undelegateCall { validator: v(1), amount: ether(5) })
        .unwrap();
    // The position stays listed while an unbonding entry names the validator.
    assert_eq!(chain.view(Staking::delegationsOfCall { delegator: d }).positions.len(), 1);
    for _ in 0..3 {
        chain.next_epoch();
    }
    chain.send(d, U256::ZERO, Staking::withdrawCall {}).unwrap();
    assert!(chain.view(Staking::delegationsOfCall { delegator: d }).positions.is_empty());
}

#[test]
fn an_operator_below_its_minimum_bond_is_unbonding_and_leaves_the_set() {
    let mut chain = Chain::standard();
    let op = account(4);
    // 1,000 ether self-stake, minimum 100: keeping 99 makes it ineligible.
    chain
        .send(op, U256::ZERO, Staking::undelegateCall { validator: v(4), amount: ether(901) })
        .unwrap();
    assert_eq!(chain.status(v(4)), ValidatorStatus::Unbonding);
    assert_eq!(chain.info(v(4)).power, 1_000, "still signs the current epoch");
    chain.next_epoch();
    assert!(!chain.active().iter().any(|(a, _)| *a == v(4)));
    assert_eq!(chain.active().len(), 3);
    assert_eq!(chain.status(v(4)), ValidatorStatus::Unbonding);
    // Delegations to an unbonding validator are still accepted; it stays out of the set.
    chain.send(account(100), ether(10), Staking::delegateCall { validator: v(4) }).unwrap();
    chain.next_epoch();
    assert_eq!(chain.active().len(), 3);
}

#[test]
fn unbonding_entries_are_bounded_per_delegator() {
    let mut chain = Chain::standard();
    let d = account(102);
    for seed in 1..=4 {
        chain.send(d, ether(100), Staking::delegateCall { validator: v(seed) }).unwrap();
    }
    // Entries merge per (validator, epoch): 4 validators x 8 epochs = 32 entries.
    for epoch in 0..8 {
        assert_eq!(chain.epoch(), epoch);
        for seed in 1..=4 {
            chain
                .send(
                    d,
                    U256::ZERO,
                    Staking::undelegateCall { validator: v(seed), amount: ether(1) },
                )
                .unwrap();
        }
        chain.next_epoch();
    }
    assert_eq!(
        refusal(chain.send(
            d,
            U256::ZERO,
            Staking::undelegateCall { validator: v(1), amount: ether(1) }
        )),
        E::TooManyUnbondingEntries(Staking::TooManyUnbondingEntries { maximum: U256::from(32) })
    );
    // Withdrawing the matured ones (started in epochs 0..=5, completion <= 8) frees room.
    let out = chain.send(d, U256::ZERO, Staking::withdrawCall {}).unwrap();
    assert_eq!(out.events::<Staking::Withdrawn>()[0].amount, ether(24));
    chain
        .send(d, U256::ZERO, Staking::undelegateCall { validator: v(1), amount: ether(1) })
        .unwrap();
}

#[test]
fn commission_changes_are_scheduled_bounded_and_applied_at_the_epoch_end() {
    let mut chain = Chain::standard();
    let op = account(1);
    assert_eq!(
        refusal(chain.send(
            account(100),
            U256::ZERO,
            Staking::setCommissionCall { commissionBps: 1_050 }
        )),
        E::NotAnOperator(Staking::NotAnOperator { caller: account(100) })
    );
    assert_eq!(
        refusal(chain.send(op, U256::ZERO, Staking::setCommissionCall { commissionBps: 10_001 })),
        E::CommissionTooHigh(Staking::CommissionTooHigh { commissionBps: 10_001 })
    );
    assert_eq!(
        refusal(chain.send(op, U256::ZERO, Staking::setCommissionCall { commissionBps: 1_101 })),
        E::CommissionStepTooLarge(Staking::CommissionStepTooLarge {
            current: 1_000,
            requested: 1_101,
            maxStep: 100
        })
    );
    let out =
        chain.send(op, U256::ZERO, Staking::setCommissionCall { commissionBps: 1_100 }).unwrap();
    let ev = &out.events::<Staking::CommissionChangeScheduled>()[0];
    assert_eq!((ev.validator, ev.commissionBps, ev.effectiveEpoch), (v(1), 1_100, 1));
    assert_eq!(
        refusal(chain.send(op, U256::ZERO, Staking::setCommissionCall { commissionBps: 1_050 })),
        E::CommissionAlreadyChangedThisEpoch(Staking::CommissionAlreadyChangedThisEpoch {
            epoch: 0
        })
    );
    let info = chain.info(v(1));
    assert_eq!((info.commissionBps, info.pendingCommissionBps), (1_000, 1_100));
    chain.next_epoch();
    let info = chain.info(v(1));
    assert_eq!((info.commissionBps, info.pendingCommissionBps), (1_100, 1_100));
    // A new epoch allows the next step.
    chain.send(op, U256::ZERO, Staking::setCommissionCall { commissionBps: 1_200 }).unwrap();
}

#[test]
fn a_delegator_holds_positions_with_at_most_32_validators() {
    let p = cairn_staking::StakingParams { max_candidates: 40, ..crate::harness::params() };
    let mut chain = Chain::new(&p, &crate::harness::genesis_validators(4, ether(1_000)), 10);
    let d = account(100);
    for seed in 1..=4 {
        chain.send(d, ether(1), Staking::delegateCall { validator: v(seed) }).unwrap();
    }
    for seed in 200..229 {
        let operator = account(seed);
        chain.fund(operator, ether(1_000));
        chain.register(&ConsensusKey::from_seed(seed), operator, ether(100), 0).unwrap();
        if seed < 228 {
            chain.send(d, ether(1), Staking::delegateCall { validator: v(seed) }).unwrap();
        }
    }
    assert_eq!(chain.view(Staking::delegationsOfCall { delegator: d }).positions.len(), 32);
    assert_eq!(
        refusal(chain.send(d, ether(1), Staking::delegateCall { validator: v(228) })),
        E::TooManyDelegations(Staking::TooManyDelegations { maximum: U256::from(32) })
    );
    // Adding to an existing position is always possible.
    chain.send(d, ether(1), Staking::delegateCall { validator: v(1) }).unwrap();
}

/// A payout to an account that refuses ether fails as a whole with a named error, and the
/// position is left as it was.
#[test]
fn a_refused_payout_changes_nothing() {
    let mut chain = Chain::standard();
    let wallet = account(105);
    chain.send(wallet, ether(10), Staking::delegateCall { validator: v(1) }).unwrap();
    chain
        .send(wallet, U256::ZERO, Staking::undelegateCall { validator: v(1), amount: ether(10) })
        .unwrap();
    for _ in 0..3 {
        chain.next_epoch();
    }
    // PUSH1 0 PUSH1 0 REVERT: every call, with or without value, reverts.
    chain.set_code(wallet, alloy_primitives::Bytes::from_static(&[0x60, 0x00, 0x60, 0x00, 0xfd]));
    assert_eq!(
        refusal(chain.send(wallet, U256::ZERO, Staking::withdrawCall {})),
        E::TransferFailed(Staking::TransferFailed { to: wallet, amount: ether(10) })
    );
    let entries = chain.view(Staking::delegationsOfCall { delegator: wallet }).entries;
    assert_eq!((entries.len(), entries[0].amount, entries[0].withdrawable), (1, ether(10), true));
    assert_eq!(chain.books().unbonding, ether(10));
}

/// A wallet whose payment hook calls back into `withdraw()` is refused with `Reentrant()` and
/// is paid once.
#[test]
fn a_payout_cannot_be_reentered() {
    let mut chain = Chain::standard();
    let wallet = account(106);
    chain.send(wallet, ether(10), Staking::delegateCall { validator: v(1) }).unwrap();
    chain
        .send(wallet, U256::ZERO, Staking::undelegateCall { validator: v(1), amount: ether(4) })
        .unwrap();
    for _ in 0..3 {
        chain.next_epoch();
    }
    // On any call: call 0x…1000 withdraw(), copy the first 4 bytes it returned into slot 0.
    #[rustfmt::skip]
    let code: &[u8] = &[
        0x63, 0x3c, 0xcf, 0xd6, 0x0b, 0x60, 0xe0, 0x1b, 0x60, 0x00, 0x52, // mstore(0, selector << 224)
        0x60, 0x00, 0x60, 0x00, 0x60, 0x04, 0x60, 0x00, 0x60, 0x00, 0x61, 0x10, 0x00, 0x5a, 0xf1, 0x50, // call
        0x60, 0x04, 0x60, 0x00, 0x60, 0x00, 0x3e, // returndatacopy(0, 0, 4)
        0x60, 0x00, 0x51, 0x60, 0x00, 0x55, 0x00, // sstore(0, mload(0)); stop
    ];
    chain.set_code(wallet, alloy_primitives::Bytes::from_static(code));
    let before = chain.balance(wallet);
    let out = chain.send(wallet, U256::ZERO, Staking::withdrawCall {}).unwrap();
    assert_eq!(out.events::<Staking::Withdrawn>().len(), 1);
    assert_eq!(chain.balance(wallet), before + ether(4));
    let reentrant = <Staking::Reentrant as alloy_sol_types::SolError>::SELECTOR;
    let stored = chain.storage(wallet, U256::ZERO).to_be_bytes::<32>();
    assert_eq!(stored[..4], reentrant);
    assert_eq!(chain.books().unbonding, U256::ZERO);
}
