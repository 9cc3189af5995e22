//! The genesis account builder: deterministic, the storage layout the design documents, and
//! the constructor's refusals.

use alloy_primitives::{B256, Bytes, U256};
use cairn_staking::{
    GenesisValidator, STAKING_ADDRESS, Staking, StakingError, StakingParams, runtime_code,
    staking_account,
};

use crate::harness::{Chain, ConsensusKey, account, ether, genesis_validators, params};
use Staking::StakingErrors as E;

#[test]
fn the_same_spec_gives_the_same_account() {
    let a = staking_account(&params(), &genesis_validators(4, ether(1_000))).unwrap();
    let b = staking_account(&params(), &genesis_validators(4, ether(1_000))).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.code, *runtime_code());
    assert_eq!(a.balance, ether(4_000));
    assert_eq!(a.nonce, 1);
    assert_ne!(a, staking_account(&params(), &genesis_validators(3, ether(1_000))).unwrap());
}

/// Nothing in Rust reads raw slots, but tools may (`cast storage 0x…1000 0`): the first slots
/// are `Params.powerReduction`, `Params.minSelfStake`, and slot 4 holds `currentEpoch`.
#[test]
fn the_storage_layout_starts_with_the_parameters() {
    let account = staking_account(&params(), &genesis_validators(4, ether(1_000))).unwrap();
    let slot =
        |n: u64| account.storage.get(&B256::from(U256::from(n))).copied().unwrap_or_default();
    assert_eq!(slot(0), params().power_reduction);
    assert_eq!(slot(1), params().min_self_stake);
    assert_eq!(slot(4), U256::ZERO, "epoch 0, unlocked");
    assert_eq!(slot(6), ether(4_000), "totalBonded");
    let mut chain = Chain::standard();
    assert_eq!(chain.view(Staking::abiVersionCall {}), U256::from(1));
    let p = chain.view(Staking::paramsCall {});
    assert_eq!((p.powerReduction, p.maxValidators, p.minSignedPerWindow), (ether(1), 4, 5));
    assert_eq!(chain.balance(STAKING_ADDRESS), ether(4_000));
    assert_eq!(chain.active().len(), 4);
    assert!(chain.active().iter().all(|(_, power)| *power == 1_000));
}

fn refused(params: &StakingParams, validators: &[GenesisValidator]) -> E {
    match staking_account(params, validators) {
        Err(StakingError::Refused(e)) => e,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn the_constructor_refuses_unusable_genesis() {
    let four = genesis_validators(4, ether(1_000));
    assert_eq!(
        refused(&StakingParams { max_validators: 0, ..params() }, &four),
        E::InvalidParams(Staking::InvalidParams {})
    );
    assert_eq!(
        refused(&StakingParams { signed_blocks_window: 0, ..params() }, &four),
        E::InvalidParams(Staking::InvalidParams {})
    );
    assert_eq!(
        refused(&params(), &genesis_validators(2, ether(99))),
        E::NoEligibleGenesisValidator(Staking::NoEligibleGenesisValidator {})
    );
    let mut repeated = four.clone();
    repeated[1].public_key = repeated[0].public_key.clone();
    let first = ConsensusKey::from_seed(1).address();
    assert_eq!(
        refused(&params(), &repeated),
        E::KeyAlreadyRegistered(Staking::KeyAlreadyRegistered { validator: first })
    );
    let mut same_operator = four.clone();
    same_operator[1].operator = account(1);
    assert_eq!(
        refused(&params(), &same_operator),
        E::OperatorAlreadyHasValidator(Staking::OperatorAlreadyHasValidator {
            operator: account(1),
            validator: first
        })
    );
    let mut bad_key = four;
    bad_key[2].public_key = Bytes::from_static(&[2; 20]);
    assert_eq!(
        refused(&params(), &bad_key),
        E::InvalidPublicKey(Staking::InvalidPublicKey { length: U256::from(20) })
    );
}
