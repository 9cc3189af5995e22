//! The contract's digests against the bytes Cairn's consensus signs (crates/bft/src/context.rs:
//! `keccak256(domain ‖ chain id u64 BE ‖ borsh(content))`, with Malachite's borsh of `Round`
//! (0 nil, 1 ‖ u32 LE) and `NilOrVal` (0 nil, 1 ‖ value)), built here from that layout.

use alloy_primitives::{Address, B256, keccak256};
use cairn_staking::{Staking, pop_digest};

use crate::harness::{CHAIN_ID, Chain, account};

fn round(r: Option<u32>) -> Vec<u8> {
    match r {
        None => vec![0],
        Some(r) => [&[1u8][..], &r.to_le_bytes()].concat(),
    }
}

/// `Vote::signing_hash`: (vote_type u8, height u64 LE, round, value, validator).
pub(crate) fn vote_digest(
    chain_id: u64,
    vote_type: u8,
    height: u64,
    r: u32,
    value: Option<B256>,
    validator: Address,
) -> B256 {
    let mut bytes = b"cairn/vote/2".to_vec();
    bytes.extend_from_slice(&chain_id.to_be_bytes());
    bytes.push(vote_type);
    bytes.extend_from_slice(&height.to_le_bytes());
    bytes.extend(round(Some(r)));
    match value {
        None => bytes.push(0),
        Some(v) => {
            bytes.push(1);
            bytes.extend_from_slice(v.as_slice());
        }
    }
    bytes.extend_from_slice(validator.as_slice());
    keccak256(bytes)
}

/// `Proposal::signing_hash`: (height u64 LE, round, value 32 bytes, pol_round, validator).
pub(crate) fn proposal_digest(
    chain_id: u64,
    height: u64,
    r: u32,
    value: B256,
    pol_round: Option<u32>,
    validator: Address,
) -> B256 {
    let mut bytes = b"cairn/proposal/2".to_vec();
    bytes.extend_from_slice(&chain_id.to_be_bytes());
    bytes.extend_from_slice(&height.to_le_bytes());
    bytes.extend(round(Some(r)));
    bytes.extend_from_slice(value.as_slice());
    bytes.extend(round(pol_round));
    bytes.extend_from_slice(validator.as_slice());
    keccak256(bytes)
}

#[test]
fn pop_digest_matches_the_contract() {
    let mut chain = Chain::standard();
    for who in [account(1), account(100), Address::ZERO, Address::repeat_byte(0xff)] {
        assert_eq!(chain.view(Staking::popDigestCall { operator: who }), pop_digest(CHAIN_ID, who));
    }
}

#[test]
fn vote_digests_match_the_contract() {
    let mut chain = Chain::standard();
    let validator = Address::repeat_byte(0x5a);
    let value = B256::repeat_byte(0xc3);
    for (vote_type, height, r, v) in [
        (0u8, 1u64, 0u32, None),
        (1, 1, 0, Some(value)),
        (0, u64::MAX, u32::MAX, Some(value)),
        (1, 0x0102_0304_0506_0708, 0x0a0b_0c0d, None),
        (1, 77, 2, Some(B256::ZERO)),
    ] {
        let call = Staking::voteDigestCall {
            voteType: vote_type,
            height,
            round: r,
            isNil: v.is_none(),
            value: v.unwrap_or_default(),
            validatorAddress: validator,
        };
        assert_eq!(
            chain.view(call),
            vote_digest(CHAIN_ID, vote_type, height, r, v, validator),
            "{vote_type} {height} {r}"
        );
    }
}

#[test]
fn proposal_digests_match_the_contract() {
    let mut chain = Chain::standard();
    let validator = Address::repeat_byte(0x11);
    for (height, r, value, pol) in [
        (1u64, 0u32, B256::repeat_byte(1), None),
        (9, 3, B256::repeat_byte(2), Some(0u32)),
        (u64::MAX, u32::MAX, B256::repeat_byte(3), Some(u32::MAX)),
        (0x0102_0304_0506_0708, 0x0a0b_0c0d, B256::ZERO, Some(0x0102_0304)),
    ] {
        let call = Staking::proposalDigestCall {
            height,
            round: r,
            value,
            polRound: pol.map_or(-1, i64::from),
            validatorAddress: validator,
        };
        assert_eq!(chain.view(call), proposal_digest(CHAIN_ID, height, r, value, pol, validator));
    }
}

/// Fixed vectors, so a change of the digest rule on either side is a visible decision (every
/// signed proof of possession and all evidence would stop verifying).
#[test]
fn digest_vectors_are_stable() {
    let who = Address::repeat_byte(0xaa);
    let value = B256::repeat_byte(0xbb);
    assert_eq!(
        pop_digest(1, who),
        "0x212d8af520c43beca3089dd754ae7989ad39a55bd0d00b223a975a1bd7fc0c59"
            .parse::<B256>()
            .unwrap()
    );
    assert_eq!(
        vote_digest(1, 1, 5, 0, Some(value), who),
        "0x598f6e96134c4e0a354c015f985914df80de560ff1d7c486ab7bfb8bc40ff1cd"
            .parse::<B256>()
            .unwrap()
    );
    assert_eq!(
        proposal_digest(1, 5, 0, value, None, who),
        "0xafc9dd106ed2a6881c2478bf8fdca35d993bdd38a3348c8380f20ed420bcf945"
            .parse::<B256>()
            .unwrap()
    );
}
