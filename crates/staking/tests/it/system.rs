//! Protocol functions refuse every caller but revm's SYSTEM_ADDRESS, and endBlock refuses a
//! malformed signer bitmap.

use alloy_primitives::{B256, Bytes, U256};
use cairn_staking::Staking;

use crate::harness::{Chain, account, refusal};
use Staking::StakingErrors as E;

#[test]
fn protocol_functions_are_for_the_system_only() {
    let mut chain = Chain::standard();
    let user = account(100);
    let only = E::OnlySystem(Staking::OnlySystem { caller: user });
    assert_eq!(
        refusal(chain.send(
            user,
            U256::ZERO,
            Staking::endBlockCall { signed: Bytes::new(), reward: U256::ZERO }
        )),
        only
    );
    assert_eq!(refusal(chain.send(user, U256::ZERO, Staking::endEpochCall {})), only);
    let empty = Staking::SignedMessage {
        isNil: false,
        value: B256::ZERO,
        polRound: -1,
        r: B256::ZERO,
        s: B256::ZERO,
    };
    let e = Staking::DoubleSign {
        kind: 1,
        height: 1,
        round: 0,
        validator: account(1),
        epoch: 0,
        first: empty.clone(),
        second: empty,
    };
    assert_eq!(refusal(chain.send(user, U256::ZERO, Staking::slashDoubleSignCall { e })), only);
    assert_eq!(chain.epoch(), 0);
}

#[test]
fn end_block_refuses_a_malformed_bitmap() {
    let mut chain = Chain::standard();
    let bad = E::BadSignerBitmap(Staking::BadSignerBitmap {});
    // Block 1 has no previous certificate.
    assert_eq!(
        refusal(chain.system(Staking::endBlockCall {
            signed: Bytes::from_static(&[1]),
            reward: U256::ZERO
        })),
        bad
    );
    chain.end_block(U256::ZERO);
    // Four members: one byte, bits 0..=3 only.
    for signed in [
        Bytes::new(),
        Bytes::from_static(&[0x0f, 0]),
        Bytes::from_static(&[0x10]),
        Bytes::from_static(&[0x80]),
    ] {
        assert_eq!(
            refusal(chain.system(Staking::endBlockCall { signed, reward: U256::ZERO })),
            bad
        );
    }
    chain
        .system(Staking::endBlockCall { signed: Bytes::from_static(&[0x0f]), reward: U256::ZERO })
        .unwrap();
}
