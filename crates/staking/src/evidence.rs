//! Double-sign evidence as blocks carry it (`cairn_primitives::DoubleSign`) turned into the
//! contract's `slashDoubleSign` argument.

use alloy_primitives::B256;
use cairn_primitives::{DoubleSign, SignedValue};

use crate::{Staking, StakingError};

impl TryFrom<&DoubleSign> for Staking::DoubleSign {
    type Error = StakingError;

    /// Refuses only what the contract's types cannot say (a proof-of-lock round past `u32`);
    /// everything else, signatures included, is the contract's to judge.
    fn try_from(e: &DoubleSign) -> Result<Self, StakingError> {
        Ok(Self {
            kind: e.kind,
            height: e.height,
            round: e.round,
            validator: e.validator,
            epoch: e.epoch,
            first: message(&e.first)?,
            second: message(&e.second)?,
        })
    }
}

/// The block's `pol_round` counts 0 for none and `r + 1` for round `r`; the contract's
/// `polRound` is negative for none and `r` otherwise.
fn message(m: &SignedValue) -> Result<Staking::SignedMessage, StakingError> {
    let pol_round = match m.pol_round {
        0 => -1,
        n if n <= u64::from(u32::MAX) + 1 => (n - 1) as i64,
        n => return Err(StakingError::PolRoundOutOfRange(n)),
    };
    Ok(Staking::SignedMessage {
        isNil: m.nil,
        value: m.value,
        polRound: pol_round,
        r: B256::from_slice(&m.signature[..32]),
        s: B256::from_slice(&m.signature[32..]),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use alloy_primitives::{Address, B512};

    use super::*;

    fn signed(pol_round: u64) -> SignedValue {
        let mut signature = [0u8; 64];
        signature[..32].fill(0x11);
        signature[32..].fill(0x22);
        SignedValue {
            value: B256::repeat_byte(7),
            nil: false,
            pol_round,
            signature: B512::from(signature),
        }
    }

    fn evidence(first: SignedValue, second: SignedValue) -> DoubleSign {
        DoubleSign {
            kind: 2,
            height: 9,
            round: 3,
            validator: Address::repeat_byte(5),
            epoch: 1,
            first,
            second,
        }
    }

    #[test]
    fn fields_and_signature_halves_carry_over() {
        let e = Staking::DoubleSign::try_from(&evidence(signed(0), signed(4))).unwrap();
        assert_eq!((e.kind, e.height, e.round, e.epoch), (2, 9, 3, 1));
        assert_eq!(e.validator, Address::repeat_byte(5));
        assert_eq!(e.first.polRound, -1, "0 is no proof-of-lock round");
        assert_eq!(e.second.polRound, 3, "r + 1 is round r");
        assert_eq!(e.first.r, B256::repeat_byte(0x11));
        assert_eq!(e.first.s, B256::repeat_byte(0x22));
        assert_eq!(e.first.value, B256::repeat_byte(7));
        assert!(!e.first.isNil);
    }

    #[test]
    fn rounds_past_u32_are_refused() {
        let last = u64::from(u32::MAX) + 1;
        let e = Staking::DoubleSign::try_from(&evidence(signed(last), signed(1))).unwrap();
        assert_eq!(e.first.polRound, i64::from(u32::MAX));
        assert!(matches!(
            Staking::DoubleSign::try_from(&evidence(signed(1), signed(last + 1))),
            Err(StakingError::PolRoundOutOfRange(n)) if n == last + 1
        ));
    }
}
