//! endEpoch: the next set is the top `max_validators` eligible validators by stake, ties by
//! address, sorted by address, never empty; and the cost at the spec's bounds.

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;
use cairn_staking::{NextSet, Staking, StakingParams};

use crate::harness::{Chain, ConsensusKey, account, ether, genesis_validators, params, refusal};
use Staking::StakingErrors as E;

fn v(seed: u64) -> Address {
    ConsensusKey::from_seed(seed).address()
}

#[test]
fn end_epoch_returns_the_top_validators_by_stake_sorted_by_address() {
    let mut chain = Chain::standard();
    // Six candidates for four seats: two newcomers out-stake two genesis validators.
    chain.register(&ConsensusKey::from_seed(20), account(10), ether(3_000), 0).unwrap();
    chain.register(&ConsensusKey::from_seed(21), account(11), ether(200), 0).unwrap();
    chain.send(account(100), ether(2_000), Staking::delegateCall { validator: v(21) }).unwrap();
    chain.send(account(101), ether(5), Staking::delegateCall { validator: v(3) }).unwrap();
    let projected = chain.view(Staking::projectedSetCall {});

    while chain.number < 10 {
        chain.end_block(U256::ZERO);
    }
    let signers = chain.previous_set();
    chain.mint(U256::ZERO);
    chain
        .system(Staking::endBlockCall {
            signed: Chain::bitmap(&signers, &signers),
            reward: U256::ZERO,
        })
        .unwrap();
    let out = chain.system(Staking::endEpochCall {}).unwrap();
    let ret = Staking::endEpochCall::abi_decode_returns(&out.output).unwrap();
    let set = NextSet::try_from(ret).unwrap();

    // v20 (3,000), v21 (2,200), v3 (1,005), then the lowest address among v1, v2, v4.
    let tied_winner = [v(1), v(2), v(4)].into_iter().min().unwrap();
    let mut expected = vec![(v(20), 3_000u64), (v(21), 2_200), (v(3), 1_005), (tied_winner, 1_000)];
    expected.sort();
    let got: Vec<(Address, u64)> =
        set.validators.iter().copied().zip(set.powers.iter().copied()).collect();
    assert_eq!(got, expected);
    let keys: Vec<_> = set
        .validators
        .iter()
        .map(|a| {
            (1..=4)
                .chain(20..=21)
                .map(ConsensusKey::from_seed)
                .find(|k| k.address() == *a)
                .unwrap()
                .compressed()
        })
        .collect();
    assert_eq!(set.public_keys, keys);
    let projected: Vec<(Address, u64)> =
        projected.into_iter().map(|m| (m.validator, m.power)).collect();
    assert_eq!(projected, expected, "projectedSet foresaw it");

    let ev = &out.events::<Staking::EpochStarted>()[0];
    assert_eq!(
        (ev.epoch, ev.firstHeight, ev.validators, ev.totalPower),
        (1, 11, U256::from(4), U256::from(7_205))
    );
    chain.number += 1;
    assert_eq!(chain.epoch(), 1);
    assert_eq!(chain.view(Staking::epochStartCall { epoch: 1 }), 11);
    let active = chain.view(Staking::activeSetCall {});
    assert_eq!((active.epoch, active.totalPower), (1, U256::from(7_205)));
    assert_eq!(chain.view(Staking::validatorSetCall { epoch: 0 }).len(), 4);
    assert_eq!(
        refusal(chain.try_view(Staking::validatorSetCall { epoch: 2 })),
        E::UnknownEpoch(Staking::UnknownEpoch { epoch: 2 })
    );
    assert_eq!(
        refusal(chain.try_view(Staking::epochStartCall { epoch: 2 })),
        E::UnknownEpoch(Staking::UnknownEpoch { epoch: 2 })
    );
    // Every candidate and the old set's members remain listed.
    assert_eq!(chain.view(Staking::listValidatorsCall {}).len(), 6);
}

#[test]
fn with_nobody_eligible_the_set_is_kept() {
    let mut chain = Chain::new(&params(), &genesis_validators(1, ether(1_000)), 10);
    // The only validator's operator drops below the minimum bond.
    chain
        .send(
            account(1),
            U256::ZERO,
            Staking::undelegateCall { validator: v(1), amount: ether(950) },
        )
        .unwrap();
    assert!(chain.view(Staking::projectedSetCall {}).is_empty());
    let mut kept = false;
    while chain.number <= 10 {
        let (_, end) = chain.end_block(U256::ZERO);
        if let Some(end) = end {
            assert_eq!(end.events::<Staking::ValidatorSetKept>()[0].epoch, 1);
            let set =
                NextSet::try_from(Staking::endEpochCall::abi_decode_returns(&end.output).unwrap())
                    .unwrap();
            assert_eq!((set.validators, set.powers), (vec![v(1)], vec![1_000]));
            kept = true;
        }
    }
    assert!(kept);
}

#[test]
fn a_validator_without_stake_leaves_the_candidate_list() {
    let mut chain = Chain::standard();
    chain.register(&ConsensusKey::from_seed(30), account(10), ether(100), 0).unwrap();
    chain
        .send(
            account(10),
            U256::ZERO,
            Staking::undelegateCall { validator: v(30), amount: ether(100) },
        )
        .unwrap();
    assert_eq!(chain.view(Staking::listValidatorsCall {}).len(), 5);
    chain.next_epoch();
    assert_eq!(chain.view(Staking::listValidatorsCall {}).len(), 4);
    // Still a registered key: its record stays and new stake brings it back as a candidate.
    assert_eq!(chain.info(v(30)).totalStake, U256::ZERO);
    chain.send(account(10), ether(100), Staking::delegateCall { validator: v(30) }).unwrap();
    assert_eq!(chain.view(Staking::listValidatorsCall {}).len(), 5);
}

/// At the bounds the chain spec must enforce, 500 candidates and a set of 200, every protocol
/// call stays well inside revm's 30M system-call budget: a call that ran out of gas would halt
/// the chain. (Measured: 1,000 candidates need about 28M gas in endEpoch, too close.)
#[test]
fn protocol_calls_stay_inside_the_budget_at_the_bounds() {
    let params = StakingParams { max_validators: 200, max_candidates: 500, ..params() };
    let mut validators = genesis_validators(500, ether(100));
    for (i, g) in validators.iter_mut().enumerate() {
        g.stake = ether(100 + i as u64);
        g.operator = Address::left_padding_from(&(0xb000_0000u64 + i as u64).to_be_bytes());
    }
    let mut chain = Chain::new(&params, &validators, 3);
    assert_eq!(chain.active().len(), 200);
    let (first, _) = chain.end_block(ether(1));
    let (first_touch, _) = chain.end_block(ether(1));
    let (steady, end_epoch) = chain.end_block(ether(1));
    let end_epoch = end_epoch.unwrap();
    println!(
        "block 1 {} gas; endBlock with 200 signers: first {} gas, later {} gas; endEpoch over 500 candidates {} gas",
        first.gas_used, first_touch.gas_used, steady.gas_used, end_epoch.gas_used
    );
    // The first reward a validator ever gets writes its zero slots (22,100 gas each): the
    // worst case, which must stay clearly inside the 30M budget.
    assert!(
        first_touch.gas_used <= 20_000_000,
        "endBlock, first rewards: {} gas",
        first_touch.gas_used
    );
    assert!(steady.gas_used <= 10_000_000, "endBlock: {} gas", steady.gas_used);
    assert!(end_epoch.gas_used <= 20_000_000, "endEpoch: {} gas", end_epoch.gas_used);
}
