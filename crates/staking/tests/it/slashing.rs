//! Double-sign slashing of bonded and unbonding pools, tombstoning, downtime jailing and
//! unjailing, and every refusal of evidence.

use alloy_primitives::{Address, B256, U256};
use cairn_staking::{Staking, ValidatorStatus};

use crate::digests::{proposal_digest, vote_digest};
use crate::harness::{CHAIN_ID, Chain, ConsensusKey, account, ether, refusal};
use Staking::StakingErrors as E;

fn v(seed: u64) -> Address {
    ConsensusKey::from_seed(seed).address()
}

fn signed(
    key: &ConsensusKey,
    digest: B256,
    value: B256,
    is_nil: bool,
    pol_round: i64,
) -> Staking::SignedMessage {
    let (r, s) = key.sign(digest);
    Staking::SignedMessage { isNil: is_nil, value, polRound: pol_round, r, s }
}

/// Two precommits of validator `seed` for different blocks at `height`, round 0.
pub(crate) fn double_precommit(seed: u64, height: u64, epoch: u64) -> Staking::DoubleSign {
    let key = ConsensusKey::from_seed(seed);
    let (a, b) = (B256::repeat_byte(0xa1), B256::repeat_byte(0xb2));
    Staking::DoubleSign {
        kind: 1,
        height,
        round: 0,
        validator: key.address(),
        epoch,
        first: signed(
            &key,
            vote_digest(CHAIN_ID, 1, height, 0, Some(a), key.address()),
            a,
            false,
            -1,
        ),
        second: signed(
            &key,
            vote_digest(CHAIN_ID, 1, height, 0, Some(b), key.address()),
            b,
            false,
            -1,
        ),
    }
}

fn slash(
    chain: &mut Chain,
    e: Staking::DoubleSign,
) -> Result<crate::harness::Outcome, cairn_staking::StakingError> {
    chain.system(Staking::slashDoubleSignCall { e })
}

fn advance_to(chain: &mut Chain, number: u64) {
    while chain.number < number {
        chain.end_block(U256::ZERO);
    }
}

/// 1,000 ether self-stake and 100 ether of a third delegator's make epoch 1's power 1,100;
/// in epoch 1 a second delegator bonds 500 ether and the third unbonds 100 (its 200 ether
/// entry from epoch 0 already left). A 5% slash is due on the 1,100 that counted: 5 ether from
/// the entry started in the infraction epoch, the other 50 from the bonded pool of 1,500 (shared
/// pro rata by its holders), and the entry from the epoch before is untouched.
#[test]
fn a_double_sign_slashes_bonded_and_later_unbonding_stake_and_tombstones() {
    let mut chain = Chain::standard();
    let (d2, d3) = (account(100), account(101));
    chain.send(d3, ether(300), Staking::delegateCall { validator: v(1) }).unwrap();
    chain
        .send(d3, U256::ZERO, Staking::undelegateCall { validator: v(1), amount: ether(200) })
        .unwrap();
    chain.next_epoch(); // epoch 1 starts at block 11
    chain.send(d2, ether(500), Staking::delegateCall { validator: v(1) }).unwrap();
    chain
        .send(d3, U256::ZERO, Staking::undelegateCall { validator: v(1), amount: ether(100) })
        .unwrap();
    advance_to(&mut chain, 14);
    let burned_before = chain.books().burned;

    let out = slash(&mut chain, double_precommit(1, 12, 1)).unwrap();
    let ev = &out.events::<Staking::Slashed>()[0];
    assert_eq!((ev.validator, ev.reason, ev.infractionHeight), (v(1), 0, 12));
    assert_eq!((ev.bondedSlashed, ev.unbondingSlashed), (ether(50), ether(5)));
    assert_eq!(out.events::<Staking::Tombstoned>()[0].validator, v(1));

    assert_eq!(chain.stake_of(account(1), v(1)), ether(1_000) * ether(1_450) / ether(1_500));
    assert_eq!(chain.stake_of(d2, v(1)), ether(500) * ether(1_450) / ether(1_500));
    let entries = chain.view(Staking::delegationsOfCall { delegator: d3 }).entries;
    let amount_started = |e: u64| entries.iter().find(|x| x.startEpoch == e).unwrap().amount;
    assert_eq!((amount_started(1), amount_started(0)), (ether(95), ether(200)));
    assert_eq!(chain.books().burned - burned_before, ether(55));

    let info = chain.info(v(1));
    assert_eq!(ValidatorStatus::try_from(info.status).unwrap(), ValidatorStatus::Tombstoned);
    assert_eq!(info.jailedUntil, u64::MAX);
    assert_eq!(info.power, 1_100, "the set of the current epoch does not change");
    // Refused from now on: new stake, more evidence, unjailing.
    assert_eq!(
        refusal(chain.send(d2, ether(1), Staking::delegateCall { validator: v(1) })),
        E::ValidatorIsTombstoned(Staking::ValidatorIsTombstoned { validator: v(1) })
    );
    assert_eq!(
        refusal(slash(&mut chain, double_precommit(1, 13, 1))),
        E::ValidatorIsTombstoned(Staking::ValidatorIsTombstoned { validator: v(1) })
    );
    assert_eq!(
        refusal(chain.send(account(1), U256::ZERO, Staking::unjailCall {})),
        E::ValidatorIsTombstoned(Staking::ValidatorIsTombstoned { validator: v(1) })
    );
    chain.next_epoch();
    assert!(!chain.active().iter().any(|(a, _)| *a == v(1)));
    // Its delegators keep the slashed stake and can leave normally.
    chain
        .send(d2, U256::ZERO, Staking::undelegateCall { validator: v(1), amount: ether(475) })
        .unwrap();
    let books = chain.books();
    assert_eq!(books.surplus, U256::ZERO);
}

/// Stake undelegated in the last block of epoch 0 (before that block's endEpoch) counted in
/// epoch 0's set, so it is slashed for an infraction in epoch 0 and not for one in epoch 1.
#[test]
fn an_undelegation_in_the_boundary_block_is_slashed_only_for_its_own_epoch() {
    let mut chain = Chain::standard();
    let d = account(100);
    chain.send(d, ether(100), Staking::delegateCall { validator: v(1) }).unwrap();
    chain.send(d, ether(100), Staking::delegateCall { validator: v(2) }).unwrap();
    advance_to(&mut chain, 10);
    chain
        .send(d, U256::ZERO, Staking::undelegateCall { validator: v(1), amount: ether(100) })
        .unwrap();
    chain
        .send(d, U256::ZERO, Staking::undelegateCall { validator: v(2), amount: ether(100) })
        .unwrap();
    chain.end_block(U256::ZERO); // block 10 ends epoch 0
    advance_to(&mut chain, 14);
    let out = slash(&mut chain, double_precommit(1, 5, 0)).unwrap();
    assert_eq!(out.events::<Staking::Slashed>()[0].unbondingSlashed, ether(5));
    let out = slash(&mut chain, double_precommit(2, 12, 1)).unwrap();
    assert_eq!(out.events::<Staking::Slashed>()[0].unbondingSlashed, U256::ZERO);
    let entries = chain.view(Staking::delegationsOfCall { delegator: d }).entries;
    let amount_of = |val: Address| entries.iter().find(|x| x.validator == val).unwrap().amount;
    assert_eq!((amount_of(v(1)), amount_of(v(2))), (ether(95), ether(100)));
}

#[test]
fn double_sign_evidence_refusals() {
    let mut chain = Chain::standard();
    let candidate = ConsensusKey::from_seed(40);
    chain.register(&candidate, account(12), ether(100), 0).unwrap();
    advance_to(&mut chain, 14); // epoch 1, block 14

    let mut e = double_precommit(1, 12, 1);
    e.kind = 3;
    assert_eq!(
        refusal(slash(&mut chain, e)),
        E::UnknownMessageKind(Staking::UnknownMessageKind { kind: 3 })
    );
    assert_eq!(
        refusal(slash(&mut chain, double_precommit(1, 14, 1))),
        E::EvidenceFromTheFuture(Staking::EvidenceFromTheFuture { height: 14 })
    );
    for (height, epoch) in [(12, 0), (5, 1), (12, 2)] {
        assert_eq!(
            refusal(slash(&mut chain, double_precommit(1, height, epoch))),
            E::WrongEvidenceEpoch(Staking::WrongEvidenceEpoch { height, epoch })
        );
    }
    let mut unknown = double_precommit(1, 12, 1);
    unknown.validator = account(55);
    assert_eq!(
        refusal(slash(&mut chain, unknown)),
        E::UnknownValidator(Staking::UnknownValidator { validator: account(55) })
    );
    assert_eq!(
        refusal(slash(&mut chain, double_precommit(40, 12, 1))),
        E::NotInSet(Staking::NotInSet { validator: candidate.address(), height: 12 })
    );
    let mut same = double_precommit(1, 12, 1);
    same.second = same.first.clone();
    assert_eq!(refusal(slash(&mut chain, same)), E::NotConflicting(Staking::NotConflicting {}));
    let mut forged = double_precommit(1, 12, 1);
    forged.first = double_precommit(2, 12, 1).first;
    assert_eq!(
        refusal(slash(&mut chain, forged)),
        E::BadEvidenceSignature(Staking::BadEvidenceSignature { which: 0 })
    );
    let mut forged = double_precommit(1, 12, 1);
    forged.second.value = B256::repeat_byte(0xcc);
    assert_eq!(
        refusal(slash(&mut chain, forged)),
        E::BadEvidenceSignature(Staking::BadEvidenceSignature { which: 1 })
    );

    // Proposals: two values, or one value with another pol_round, conflict; a nil value does not.
    let key = ConsensusKey::from_seed(2);
    let value = B256::repeat_byte(7);
    let prop = |pol: Option<u32>, value: B256| {
        signed(
            &key,
            proposal_digest(CHAIN_ID, 12, 1, value, pol, key.address()),
            value,
            false,
            pol.map_or(-1, i64::from),
        )
    };
    let mut nil = Staking::DoubleSign {
        kind: 2,
        height: 12,
        round: 1,
        validator: key.address(),
        epoch: 1,
        first: prop(None, value),
        second: prop(Some(0), value),
    };
    nil.second.isNil = true;
    assert_eq!(refusal(slash(&mut chain, nil)), E::NotConflicting(Staking::NotConflicting {}));
    let proposal = Staking::DoubleSign {
        kind: 2,
        height: 12,
        round: 1,
        validator: key.address(),
        epoch: 1,
        first: prop(None, value),
        second: prop(Some(0), value),
    };
    let out = slash(&mut chain, proposal).unwrap();
    assert_eq!(out.events::<Staking::Slashed>()[0].bondedSlashed, ether(50));

    // Too old: epoch 1 evidence is accepted through epoch 1 + unbonding_epochs (3).
    chain.next_epoch();
    chain.next_epoch();
    assert_eq!(chain.epoch(), 3);
    assert!(slash(&mut chain, double_precommit(3, 12, 1)).is_ok());
    chain.next_epoch();
    assert_eq!(
        refusal(slash(&mut chain, double_precommit(4, 12, 1))),
        E::EvidenceTooOld(Staking::EvidenceTooOld { infractionEpoch: 1, currentEpoch: 4 })
    );
}

#[test]
fn a_validator_offline_for_the_window_is_jailed_slashed_and_can_unjail_later() {
    let mut chain = Chain::standard();
    let offline = v(2);
    let mut jailed_at = None;
    // Blocks 2..=11 carry the certificates of blocks 1..=10; v2 signs none of them. The
    // window (10 blocks, at least 5 signed) is full and failed at block 11.
    while jailed_at.is_none() {
        let signers: Vec<Address> = if chain.number == 1 {
            vec![]
        } else {
            chain.previous_set().into_iter().filter(|a| *a != offline).collect()
        };
        let number = chain.number;
        let (out, _) = chain.end_block_signed_by(&signers, U256::ZERO);
        if let Some(j) = out.events::<Staking::Jailed>().first() {
            assert_eq!((j.validator, j.untilBlock, j.missedInWindow), (offline, number + 20, 10));
            let s = &out.events::<Staking::Slashed>()[0];
            assert_eq!((s.reason, s.infractionHeight, s.bondedSlashed), (1, number - 1, ether(10)));
            jailed_at = Some(number);
        }
    }
    let jailed_at = jailed_at.unwrap();
    assert_eq!(jailed_at, 11);
    let info = chain.info(offline);
    assert_eq!(
        (
            ValidatorStatus::try_from(info.status).unwrap(),
            info.totalStake,
            info.windowCounter,
            info.missedInWindow
        ),
        (ValidatorStatus::Jailed, ether(990), 0, 0)
    );

    assert_eq!(
        refusal(chain.send(account(2), U256::ZERO, Staking::unjailCall {})),
        E::StillJailed(Staking::StillJailed { untilBlock: 31 })
    );
    assert_eq!(
        refusal(chain.send(account(3), U256::ZERO, Staking::unjailCall {})),
        E::NotJailed(Staking::NotJailed { validator: v(3) })
    );
    assert_eq!(
        refusal(chain.send(account(100), U256::ZERO, Staking::unjailCall {})),
        E::NotAnOperator(Staking::NotAnOperator { caller: account(100) })
    );
    // The epoch-2 set (chosen at block 20) leaves it out.
    advance_to(&mut chain, 21);
    assert!(!chain.active().iter().any(|(a, _)| *a == offline));
    advance_to(&mut chain, 31);
    let out = chain.send(account(2), U256::ZERO, Staking::unjailCall {}).unwrap();
    assert_eq!(out.events::<Staking::Unjailed>()[0].validator, offline);
    assert_eq!(chain.status(offline), ValidatorStatus::Candidate);
    chain.next_epoch();
    assert_eq!(chain.status(offline), ValidatorStatus::Active);
    assert_eq!(chain.info(offline).power, 990);
}

#[test]
fn unjail_needs_the_minimum_self_stake() {
    let mut chain = Chain::standard();
    let offline = v(2);
    while chain.status(offline) != ValidatorStatus::Jailed {
        let signers: Vec<Address> = if chain.number == 1 {
            vec![]
        } else {
            chain.previous_set().into_iter().filter(|a| *a != offline).collect()
        };
        chain.end_block_signed_by(&signers, U256::ZERO);
    }
    // 990 ether left after the 1% slash; keep 90.
    chain
        .send(
            account(2),
            U256::ZERO,
            Staking::undelegateCall { validator: offline, amount: ether(900) },
        )
        .unwrap();
    advance_to(&mut chain, 40);
    assert_eq!(
        refusal(chain.send(account(2), U256::ZERO, Staking::unjailCall {})),
        E::BelowMinimumSelfStake(Staking::BelowMinimumSelfStake {
            amount: ether(90),
            minimum: ether(100)
        })
    );
}

/// A chain whose downtime slash takes everything: the emptied pool refuses new stake (its
/// shares would be worth nothing), and a matured unbonding entry worth zero is still cleared.
#[test]
fn a_pool_slashed_to_zero_refuses_stake_and_its_entries_still_clear() {
    let params = cairn_staking::StakingParams {
        slash_downtime: cairn_primitives::Ratio::from_bps(10_000).unwrap(),
        ..crate::harness::params()
    };
    let mut chain = Chain::new(&params, &crate::harness::genesis_validators(4, ether(1_000)), 10);
    let d = account(100);
    let offline = v(2);
    // Delegated in epoch 0, so epoch 1's power counts it; it leaves in epoch 1, where the
    // validator then misses its window.
    chain.send(d, ether(10), Staking::delegateCall { validator: offline }).unwrap();
    chain.next_epoch();
    chain
        .send(d, U256::ZERO, Staking::undelegateCall { validator: offline, amount: ether(10) })
        .unwrap();
    while chain.status(offline) != ValidatorStatus::Jailed {
        let signers: Vec<Address> = if chain.number == 1 {
            vec![]
        } else {
            chain.previous_set().into_iter().filter(|a| *a != offline).collect()
        };
        chain.end_block_signed_by(&signers, U256::ZERO);
    }
    assert_eq!(chain.info(offline).totalStake, U256::ZERO);
    assert_eq!(
        refusal(chain.send(d, ether(1), Staking::delegateCall { validator: offline })),
        E::ValidatorPoolEmpty(Staking::ValidatorPoolEmpty { validator: offline })
    );
    assert_eq!(chain.epoch(), 1, "jailed within the epoch the stake left in");
    let entries = chain.view(Staking::delegationsOfCall { delegator: d }).entries;
    assert_eq!(entries[0].amount, U256::ZERO);
    while chain.epoch() < entries[0].completionEpoch {
        chain.next_epoch();
    }
    let out = chain.send(d, U256::ZERO, Staking::withdrawCall {}).unwrap();
    assert_eq!(out.events::<Staking::Withdrawn>()[0].amount, U256::ZERO);
    assert!(chain.view(Staking::delegationsOfCall { delegator: d }).entries.is_empty());
    assert_eq!(chain.books().surplus, U256::ZERO);
}
