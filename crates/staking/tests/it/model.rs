//! A property test: random sequences of user transactions and protocol calls against a small
//! Rust model of the stake pools (design 2.3, 2.4, 2.11: the same integer formulas). After every
//! step the contract's pools, positions and unbonding entries equal the model's, every slash
//! takes exactly what the model computes, the books balance to the wei, and no protocol call
//! ever reverts (a reverting system call would halt a chain).

use std::collections::BTreeMap;

use alloy_primitives::{Address, U256};
use cairn_staking::{Staking, StakingError, StakingParams};
use proptest::prelude::*;

use crate::harness::{Chain, ConsensusKey, Outcome, account, ether, genesis_validators, params};
use crate::slashing::double_precommit;

const VALIDATORS: u64 = 4;
const DELEGATORS: u64 = 3;
const EPOCH: u64 = 5;

#[derive(Debug, Clone)]
enum Op {
    Delegate { d: u64, v: u64, amount: U256 },
    Undelegate { d: u64, v: u64, share_bps: u64 },
    Withdraw { d: u64 },
    Claim { d: u64, v: u64 },
    EndBlock { missing: u8, reward: U256 },
    NextEpoch,
    DoubleSign { v: u64 },
    Unjail { v: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    // Delegators are account(100..103) and the operators account(1..=4).
    let who = prop_oneof![0..DELEGATORS, 100..100 + VALIDATORS];
    let amount = (1u64..3_000_000, 0u64..1_000).prop_map(|(milli, wei)| {
        U256::from(milli) * U256::from(1_000_000_000_000_000u64) + U256::from(wei)
    });
    prop_oneof![
        4 => (who.clone(), 0..VALIDATORS, amount).prop_map(|(d, v, amount)| Op::Delegate { d, v, amount }),
        3 => (who.clone(), 0..VALIDATORS, 1u64..=10_000).prop_map(|(d, v, share_bps)| Op::Undelegate { d, v, share_bps }),
        2 => who.clone().prop_map(|d| Op::Withdraw { d }),
        2 => (who, 0..VALIDATORS).prop_map(|(d, v)| Op::Claim { d, v }),
        8 => (any::<u8>(), 0u64..10_000_000_000).prop_map(|(missing, r)| Op::EndBlock { missing, reward: U256::from(r) * U256::from(1_000_003u64) }),
        2 => Just(Op::NextEpoch),
        1 => (0..VALIDATORS).prop_map(|v| Op::DoubleSign { v }),
        1 => (0..VALIDATORS).prop_map(|v| Op::Unjail { v }),
    ]
}

fn delegator(d: u64) -> Address {
    if d >= 100 { account(d - 99) } else { account(100 + d) }
}

fn validator(v: u64) -> Address {
    ConsensusKey::from_seed(v + 1).address()
}

#[derive(Default, Clone, Copy, Debug, PartialEq)]
struct Pool {
    tokens: U256,
    shares: U256,
}

/// The stake side of the contract, by the design's formulas.
struct Model {
    pools: BTreeMap<Address, Pool>,
    positions: BTreeMap<(Address, Address), U256>,
    unbonding: BTreeMap<(Address, u64), Pool>,
    entries: BTreeMap<Address, Vec<(Address, u64, U256)>>,
    unbonding_epochs: u64,
    paid_in: U256,
    burned: U256,
    /// Rewards paid to delegations (commission excluded).
    delegations_claimed: U256,
}

impl Model {
    fn new(p: &StakingParams, stake: U256) -> Self {
        let mut m = Self {
            pools: BTreeMap::new(),
            positions: BTreeMap::new(),
            unbonding: BTreeMap::new(),
            entries: BTreeMap::new(),
            unbonding_epochs: p.unbonding_epochs,
            paid_in: U256::ZERO,
            burned: U256::ZERO,
            delegations_claimed: U256::ZERO,
        };
        for v in 0..VALIDATORS {
            m.pools.insert(validator(v), Pool { tokens: stake, shares: stake });
            m.positions.insert((account(v + 1), validator(v)), stake);
        }
        m
    }

    fn stake(&self, d: Address, v: Address) -> U256 {
        let pool = self.pools[&v];
        let shares = self.positions.get(&(d, v)).copied().unwrap_or_default();
        if pool.shares.is_zero() { U256::ZERO } else { shares * pool.tokens / pool.shares }
    }

    fn delegate(&mut self, d: Address, v: Address, amount: U256) {
        let pool = self.pools.get_mut(&v).unwrap();
        let shares =
            if pool.shares.is_zero() { amount } else { amount * pool.shares / pool.tokens };
        pool.tokens += amount;
        pool.shares += shares;
        *self.positions.entry((d, v)).or_default() += shares;
    }

    fn undelegate(&mut self, d: Address, v: Address, amount: U256, epoch: u64) {
        let stake = self.stake(d, v);
        let pool = self.pools.get_mut(&v).unwrap();
        let mine = self.positions.get_mut(&(d, v)).unwrap();
        let burn =
            if amount == stake { *mine } else { (amount * pool.shares).div_ceil(pool.tokens) };
        pool.tokens -= amount;
        pool.shares -= burn;
        *mine -= burn;
        let unbonding = self.unbonding.entry((v, epoch)).or_default();
        let shares = if unbonding.shares.is_zero() {
            amount
        } else {
            amount * unbonding.shares / unbonding.tokens
        };
        unbonding.tokens += amount;
        unbonding.shares += shares;
        let entries = self.entries.entry(d).or_default();
        match entries.iter_mut().find(|e| e.0 == v && e.1 == epoch) {
            Some(e) => e.2 += shares,
            None => entries.push((v, epoch, shares)),
        }
    }

    /// Returns what a withdrawal pays, or None when nothing matured.
    fn withdraw(&mut self, d: Address, epoch: u64) -> Option<U256> {
        let entries = self.entries.entry(d).or_default();
        let (matured, kept): (Vec<_>, Vec<_>) =
            entries.drain(..).partition(|e| e.1 + self.unbonding_epochs < epoch);
        *entries = kept;
        if matured.is_empty() {
            return None;
        }
        let mut paid = U256::ZERO;
        for (v, start, shares) in matured {
            let pool = self.unbonding.get_mut(&(v, start)).unwrap();
            let value = shares * pool.tokens / pool.shares;
            pool.tokens -= value;
            pool.shares -= shares;
            paid += value;
        }
        Some(paid)
    }

    /// Takes `bps` of every unbonding pool started in the infraction epoch or later, then the
    /// rest of `bps` of `counted` (the stake the infraction epoch's set counted) from the bonded
    /// pool, as much as it holds.
    fn slash(
        &mut self,
        v: Address,
        bps: u64,
        from_epoch: u64,
        current: u64,
        counted: U256,
    ) -> (U256, U256) {
        let mut unbonding = U256::ZERO;
        for s in from_epoch..=current {
            if let Some(p) = self.unbonding.get_mut(&(v, s)) {
                let x = p.tokens * U256::from(bps) / U256::from(10_000);
                p.tokens -= x;
                unbonding += x;
            }
        }
        let due = counted * U256::from(bps) / U256::from(10_000);
        let pool = self.pools.get_mut(&v).unwrap();
        let bonded = due.saturating_sub(unbonding).min(pool.tokens);
        pool.tokens -= bonded;
        self.burned += bonded + unbonding;
        (bonded, unbonding)
    }
}

/// A user transaction may be refused, but only with one of the contract's own errors.
fn user(result: Result<Outcome, StakingError>) -> Option<Outcome> {
    match result {
        Ok(out) => Some(out),
        Err(StakingError::Refused(_)) => None,
        Err(other) => panic!("a user call failed without a contract error: {other:?}"),
    }
}

/// Applies the slashes an outcome reports to the model and checks their amounts.
/// The stake a slash is measured against is the validator's power in the infraction epoch's
/// set (the contract's record) times `power_reduction`.
fn check_slashes(
    chain: &mut Chain,
    model: &mut Model,
    out: &Outcome,
    epoch_of_infraction: u64,
    current: u64,
) {
    for s in out.events::<Staking::Slashed>() {
        let bps = if s.reason == 0 { 500 } else { 100 };
        let power = chain
            .view(Staking::validatorSetCall { epoch: epoch_of_infraction })
            .iter()
            .find(|m| m.validator == s.validator)
            .map_or(0, |m| m.power);
        let counted = U256::from(power) * params().power_reduction;
        let expected = model.slash(s.validator, bps, epoch_of_infraction, current, counted);
        assert_eq!((s.bondedSlashed, s.unbondingSlashed), expected, "slash of {}", s.validator);
    }
}

fn check(chain: &mut Chain, model: &Model) {
    for v in 0..VALIDATORS {
        let info = chain.info(validator(v));
        let pool = model.pools[&validator(v)];
        assert_eq!((info.totalStake, info.totalShares), (pool.tokens, pool.shares), "pool of {v}");
    }
    for ((d, v), shares) in &model.positions {
        let got = chain.view(Staking::delegationCall { delegator: *d, validatorAddress: *v });
        assert_eq!((got.shares, got.stake), (*shares, model.stake(*d, *v)));
    }
    for (d, entries) in &model.entries {
        let got = chain.view(Staking::delegationsOfCall { delegator: *d }).entries;
        assert_eq!(got.len(), entries.len());
        for (v, start, shares) in entries {
            let pool = model.unbonding[&(*v, *start)];
            let e = got.iter().find(|e| e.validator == *v && e.startEpoch == *start).unwrap();
            assert_eq!(e.amount, shares * pool.tokens / pool.shares);
        }
    }
    let books = chain.books();
    assert_eq!(books.surplus, U256::ZERO);
    assert_eq!(books.burned, model.burned);
    assert_eq!(
        books.delegatorRewardsCredited + books.commissionCredited + books.pot,
        model.paid_in
    );
    assert_eq!(books.held + books.claimed, model.paid_in);
    let bonded: U256 = model.pools.values().map(|p| p.tokens).sum();
    assert_eq!(books.bonded, bonded);
}

fn run(ops: Vec<Op>) {
    let p = StakingParams { signed_blocks_window: 6, downtime_jail_blocks: 8, ..params() };
    let mut chain = Chain::new(&p, &genesis_validators(VALIDATORS, ether(1_000)), EPOCH);
    let mut model = Model::new(&p, ether(1_000));
    for op in ops {
        let epoch = chain.epoch();
        match op {
            Op::Delegate { d, v, amount } => {
                let (d, v) = (delegator(d), validator(v));
                if user(chain.send(d, amount, Staking::delegateCall { validator: v })).is_some() {
                    model.delegate(d, v, amount);
                }
            }
            Op::Undelegate { d, v, share_bps } => {
                let (d, v) = (delegator(d), validator(v));
                let amount = model.stake(d, v) * U256::from(share_bps) / U256::from(10_000);
                let result = user(chain.send(
                    d,
                    U256::ZERO,
                    Staking::undelegateCall { validator: v, amount },
                ));
                assert_eq!(
                    result.is_some(),
                    !amount.is_zero(),
                    "undelegate {amount} of {}",
                    model.stake(d, v)
                );
                if result.is_some() {
                    model.undelegate(d, v, amount, epoch);
                }
            }
            Op::Withdraw { d } => {
                let d = delegator(d);
                let out = user(chain.send(d, U256::ZERO, Staking::withdrawCall {}));
                let expected = model.withdraw(d, epoch);
                assert_eq!(out.map(|o| o.events::<Staking::Withdrawn>()[0].amount), expected);
            }
            Op::Claim { d, v } => {
                let (d, v) = (delegator(d), validator(v));
                let pending =
                    chain.view(Staking::pendingRewardsCall { delegator: d, validatorAddress: v });
                let commission = if chain.info(v).operator == d {
                    chain.info(v).commissionOwed
                } else {
                    U256::ZERO
                };
                let out =
                    user(chain.send(d, U256::ZERO, Staking::claimRewardsCall { validator: v }));
                assert_eq!(
                    out.map(|o| o.events::<Staking::RewardsClaimed>()[0].amount)
                        .unwrap_or_default(),
                    pending + commission
                );
                model.delegations_claimed += pending;
            }
            Op::EndBlock { missing, reward } => {
                let prev_epoch = if chain.number > 1
                    && chain.number == chain.view(Staking::epochStartCall { epoch })
                    && epoch > 0
                {
                    epoch - 1
                } else {
                    epoch
                };
                let signers: Vec<Address> = if chain.number == 1 {
                    vec![]
                } else {
                    chain
                        .previous_set()
                        .into_iter()
                        .enumerate()
                        .filter(|(i, _)| missing & (1 << i) == 0)
                        .map(|(_, a)| a)
                        .collect()
                };
                model.paid_in += reward;
                let (end_block, end_epoch) = chain.end_block_signed_by(&signers, reward);
                check_slashes(&mut chain, &mut model, &end_block, prev_epoch, epoch);
                if let Some(end_epoch) = end_epoch {
                    assert!(end_epoch.events::<Staking::EpochStarted>().len() == 1);
                }
            }
            Op::NextEpoch => {
                while chain.epoch() == epoch {
                    let prev_epoch = if chain.number > 1
                        && chain.number == chain.view(Staking::epochStartCall { epoch })
                        && epoch > 0
                    {
                        epoch - 1
                    } else {
                        epoch
                    };
                    let (end_block, _) = chain.end_block(U256::ZERO);
                    check_slashes(&mut chain, &mut model, &end_block, prev_epoch, epoch);
                }
            }
            Op::DoubleSign { v } => {
                let addr = validator(v);
                let member = chain
                    .view(Staking::validatorSetCall { epoch })
                    .iter()
                    .any(|m| m.validator == addr);
                let start = chain.view(Staking::epochStartCall { epoch });
                let tombstoned = chain.status(addr) == cairn_staking::ValidatorStatus::Tombstoned;
                if member && !tombstoned && chain.number > start {
                    let out = chain
                        .system(Staking::slashDoubleSignCall {
                            e: double_precommit(v + 1, chain.number - 1, epoch),
                        })
                        .unwrap();
                    check_slashes(&mut chain, &mut model, &out, epoch, epoch);
                }
            }
            Op::Unjail { v } => {
                user(chain.send(account(v + 1), U256::ZERO, Staking::unjailCall {}));
            }
        }
        check(&mut chain, &model);
    }
    rewards_balance_after_everyone_claims(&mut chain, &mut model);
}

/// What delegations were paid, plus every stored remainder, is exactly what was credited to
/// delegators, in integers scaled by 1e18.
fn rewards_balance_after_everyone_claims(chain: &mut Chain, model: &mut Model) {
    let scale = U256::from(1_000_000_000_000_000_000u64);
    let everyone: Vec<Address> =
        (0..DELEGATORS).chain(100..100 + VALIDATORS).map(delegator).collect();
    for &d in &everyone {
        for v in (0..VALIDATORS).map(validator) {
            let pending =
                chain.view(Staking::pendingRewardsCall { delegator: d, validatorAddress: v });
            if user(chain.send(d, U256::ZERO, Staking::claimRewardsCall { validator: v })).is_some()
            {
                model.delegations_claimed += pending;
            }
        }
    }
    let mut remainders = chain.view(Staking::closedDustCall {});
    for &d in &everyone {
        for v in (0..VALIDATORS).map(validator) {
            let position =
                chain.view(Staking::delegationCall { delegator: d, validatorAddress: v });
            assert_eq!(position.pendingRewards, U256::ZERO);
            remainders += position.fractionScaled;
        }
    }
    for v in (0..VALIDATORS).map(validator) {
        remainders += chain.view(Staking::rewardStateCall { validatorAddress: v }).carryScaled;
    }
    let books = chain.books();
    assert_eq!(
        model.delegations_claimed * scale + remainders,
        books.delegatorRewardsCredited * scale
    );
    // Every commission was claimed too: what the contract still holds for rewards besides the
    // undistributed pot is exactly the sub-wei remainders, gathered into whole wei.
    assert_eq!((books.held - books.pot) * scale, remainders);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn the_contract_follows_the_model(ops in proptest::collection::vec(op(), 1..150)) {
        run(ops);
    }
}
