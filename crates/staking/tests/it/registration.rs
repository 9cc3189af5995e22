//! registerValidator: the happy path with both key forms, and every refusal.

use alloy_primitives::{B256, Bytes, U256, uint};
use cairn_staking::{Staking, ValidatorStatus, pop_digest};

use crate::harness::{CHAIN_ID, Chain, ConsensusKey, account, ether, refusal};
use Staking::StakingErrors as E;

/// secp256k1's group order.
const N: U256 = uint!(0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141_U256);

#[test]
fn a_candidate_registers_and_joins_the_set_at_the_next_epoch() {
    let mut chain = Chain::standard();
    let key = ConsensusKey::from_seed(50);
    let operator = account(10);
    let before = chain.balance(operator);
    let out = chain.register(&key, operator, ether(1_500), 700).unwrap();

    let registered = out.events::<Staking::ValidatorRegistered>();
    assert_eq!(registered.len(), 1);
    assert_eq!(registered[0].validator, key.address());
    assert_eq!(registered[0].operator, operator);
    assert_eq!(registered[0].publicKey, key.compressed());
    assert_eq!(registered[0].selfStake, ether(1_500));
    assert_eq!(registered[0].commissionBps, 700);
    let delegated = out.events::<Staking::Delegated>();
    assert_eq!(delegated.len(), 1);
    assert_eq!((delegated[0].amount, delegated[0].shares), (ether(1_500), ether(1_500)));
    assert_eq!(chain.balance(operator), before - ether(1_500));

    let info = chain.info(key.address());
    assert_eq!(ValidatorStatus::try_from(info.status).unwrap(), ValidatorStatus::Candidate);
    assert_eq!((info.selfStake, info.totalStake, info.power), (ether(1_500), ether(1_500), 0));
    assert_eq!(info.operator, operator);
    let genesis_set = chain.active();
    assert!(!genesis_set.iter().any(|(v, _)| *v == key.address()));

    chain.next_epoch();
    let info = chain.info(key.address());
    assert_eq!(ValidatorStatus::try_from(info.status).unwrap(), ValidatorStatus::Active);
    assert_eq!(info.power, 1_500);
    // The set holds four: the newcomer displaces the genesis validator that loses the tie
    // among equal stakes, the one with the highest address.
    let active = chain.active();
    assert_eq!(active.len(), 4);
    let displaced = genesis_set.iter().map(|(v, _)| *v).max().unwrap();
    assert!(!active.iter().any(|(v, _)| *v == displaced));
    assert_eq!(chain.status(displaced), ValidatorStatus::Candidate);
    assert!(active.windows(2).all(|w| w[0].0 < w[1].0), "sorted by address");
}

#[test]
fn the_64_byte_key_form_gives_the_same_validator() {
    let mut chain = Chain::standard();
    let key = ConsensusKey::from_seed(51);
    let operator = account(11);
    let call = Staking::registerValidatorCall {
        consensusPublicKey: key.uncompressed_xy(),
        proofOfPossession: key.pop(operator),
        commissionBps: 0,
    };
    let out = chain.send(operator, ether(100), call).unwrap();
    let registered = out.events::<Staking::ValidatorRegistered>();
    assert_eq!(registered[0].validator, key.address());
    // Stored and shown in compressed form whatever form was registered.
    assert_eq!(chain.info(key.address()).publicKey, key.compressed());
}

fn register_raw(chain: &mut Chain, key: Bytes, pop: Bytes, value: U256, commission: u16) -> E {
    let call = Staking::registerValidatorCall {
        consensusPublicKey: key,
        proofOfPossession: pop,
        commissionBps: commission,
    };
    refusal(chain.send(account(12), value, call))
}

#[test]
fn registration_refusals() {
    let mut chain = Chain::standard();
    let key = ConsensusKey::from_seed(60);
    let op = account(12);
    let pop = key.pop(op);

    assert_eq!(
        register_raw(&mut chain, key.compressed(), pop.clone(), ether(99), 0),
        E::BelowMinimumSelfStake(Staking::BelowMinimumSelfStake {
            amount: ether(99),
            minimum: ether(100)
        })
    );
    assert_eq!(
        register_raw(&mut chain, key.compressed(), pop.clone(), ether(100), 10_001),
        E::CommissionTooHigh(Staking::CommissionTooHigh { commissionBps: 10_001 })
    );
    assert_eq!(
        register_raw(&mut chain, Bytes::from(vec![2u8; 32]), pop.clone(), ether(100), 0),
        E::InvalidPublicKey(Staking::InvalidPublicKey { length: U256::from(32) })
    );
    let mut bad_prefix = key.compressed().to_vec();
    bad_prefix[0] = 4;
    assert_eq!(
        register_raw(&mut chain, bad_prefix.into(), pop.clone(), ether(100), 0),
        E::InvalidPublicKey(Staking::InvalidPublicKey { length: U256::from(33) })
    );
    // x = 5: 5^3 + 7 = 132 is not a square mod p. x = p - 1 + ... : x >= p is refused too.
    let mut off_curve = vec![2u8];
    off_curve.extend_from_slice(B256::from(U256::from(5)).as_slice());
    assert_eq!(
        register_raw(&mut chain, off_curve.into(), pop.clone(), ether(100), 0),
        E::PublicKeyNotOnCurve(Staking::PublicKeyNotOnCurve {})
    );
    let mut x_too_big = vec![3u8];
    x_too_big.extend_from_slice(&[0xff; 32]);
    assert_eq!(
        register_raw(&mut chain, x_too_big.into(), pop.clone(), ether(100), 0),
        E::PublicKeyNotOnCurve(Staking::PublicKeyNotOnCurve {})
    );
    let mut xy = key.uncompressed_xy().to_vec();
    xy[63] ^= 1;
    assert_eq!(
        register_raw(&mut chain, xy.into(), pop.clone(), ether(100), 0),
        E::PublicKeyNotOnCurve(Staking::PublicKeyNotOnCurve {})
    );

    // Proofs: another operator's, another chain's, malleated (high-s), wrong length, another key's.
    let invalid = E::InvalidProofOfPossession(Staking::InvalidProofOfPossession {});
    assert_eq!(
        register_raw(&mut chain, key.compressed(), key.pop(account(13)), ether(100), 0),
        invalid
    );
    let (r, s) = key.sign(pop_digest(CHAIN_ID + 1, op));
    assert_eq!(
        register_raw(
            &mut chain,
            key.compressed(),
            [r.as_slice(), s.as_slice()].concat().into(),
            ether(100),
            0
        ),
        invalid
    );
    let (r, s) = key.sign(pop_digest(CHAIN_ID, op));
    let high_s = N - U256::from_be_bytes(s.0);
    let malleated: Bytes = [r.as_slice(), B256::from(high_s).as_slice()].concat().into();
    assert_eq!(register_raw(&mut chain, key.compressed(), malleated, ether(100), 0), invalid);
    assert_eq!(register_raw(&mut chain, key.compressed(), pop.slice(..63), ether(100), 0), invalid);
    assert_eq!(
        register_raw(
            &mut chain,
            key.compressed(),
            ConsensusKey::from_seed(61).pop(op),
            ether(100),
            0
        ),
        invalid
    );

    // A genesis validator's key, even with a valid proof for the new operator.
    let taken = ConsensusKey::from_seed(1);
    assert_eq!(
        register_raw(&mut chain, taken.compressed(), taken.pop(op), ether(100), 0),
        E::KeyAlreadyRegistered(Staking::KeyAlreadyRegistered { validator: taken.address() })
    );

    // One validator per operator.
    chain.register(&key, op, ether(100), 0).unwrap();
    let other = ConsensusKey::from_seed(62);
    assert_eq!(
        refusal(chain.register(&other, op, ether(100), 0)),
        E::OperatorAlreadyHasValidator(Staking::OperatorAlreadyHasValidator {
            operator: op,
            validator: key.address()
        })
    );
}

#[test]
fn the_candidate_list_is_bounded() {
    let mut chain = Chain::standard();
    // params(): max_candidates 10, four genesis validators.
    for i in 0..6 {
        chain.register(&ConsensusKey::from_seed(70 + i), account(5 + i), ether(100), 0).unwrap();
    }
    assert_eq!(
        refusal(chain.register(&ConsensusKey::from_seed(80), account(11), ether(100), 0)),
        E::CandidateListFull(Staking::CandidateListFull { maximum: U256::from(10) })
    );
    assert_eq!(chain.view(Staking::listValidatorsCall {}).len(), 10);
}

#[test]
fn plain_transfers_and_unknown_selectors_get_named_errors() {
    let mut chain = Chain::standard();
    assert_eq!(
        refusal(chain.send_raw(account(12), ether(1), Bytes::new())),
        E::NoDirectTransfers(Staking::NoDirectTransfers {})
    );
    assert_eq!(
        refusal(chain.send_raw(
            account(12),
            U256::ZERO,
            Bytes::from_static(&[0xde, 0xad, 0xbe, 0xef])
        )),
        E::UnknownFunction(Staking::UnknownFunction { selector: [0xde, 0xad, 0xbe, 0xef].into() })
    );
}

/// With a minimum self-stake of zero a registration still has to bond something: a validator
/// with no shares would have no operator bond to check.
#[test]
fn a_registration_bonding_nothing_is_refused() {
    let p = cairn_staking::StakingParams { min_self_stake: U256::ZERO, ..crate::harness::params() };
    let mut chain = Chain::new(&p, &crate::harness::genesis_validators(4, ether(1_000)), 10);
    assert_eq!(
        refusal(chain.register(&ConsensusKey::from_seed(90), account(12), U256::ZERO, 0)),
        E::AmountTooSmall(Staking::AmountTooSmall { amount: U256::ZERO })
    );
}
