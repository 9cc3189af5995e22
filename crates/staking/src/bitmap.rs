//! Who signed the parent block, in the form the contract's `endBlock` reads: one bit per member
//! of the parent's validator set.

use alloy_primitives::Address;
use cairn_primitives::ValidatorSetRecord;

use crate::StakingError;

/// The bitmap `endBlock` expects for `signers` of a certificate of a block `set` decided: bit
/// `i` (byte `i / 8`, mask `1 << (i % 8)`) stands for `set.members[i]` (the set's address
/// order, which is the contract's), `ceil(n / 8)` bytes, no bit beyond the set. A signer
/// outside the set is refused; a repeated signer counts once.
pub fn signed_bitmap(
    set: &ValidatorSetRecord,
    signers: &[Address],
) -> Result<Vec<u8>, StakingError> {
    let mut bits = vec![0u8; set.members.len().div_ceil(8)];
    for signer in signers {
        let index = set
            .members
            .binary_search_by_key(signer, |m| m.address)
            .map_err(|_| StakingError::SignerNotInSet(*signer))?;
        bits[index / 8] |= 1 << (index % 8);
    }
    Ok(bits)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use alloy_primitives::Bytes;
    use cairn_primitives::SetMember;

    use super::*;

    fn set(n: u8) -> ValidatorSetRecord {
        let members = (1..=n)
            .map(|i| SetMember {
                address: Address::repeat_byte(i),
                public_key: Bytes::from(vec![2u8; 33]),
                power: 1,
            })
            .collect();
        ValidatorSetRecord { epoch: 0, first_height: 1, members }
    }

    #[test]
    fn bits_follow_the_set_order_least_significant_first() {
        let nine = set(9);
        let a = |i: u8| Address::repeat_byte(i);
        assert_eq!(signed_bitmap(&nine, &[]).unwrap(), [0, 0]);
        assert_eq!(signed_bitmap(&nine, &[a(1)]).unwrap(), [0b1, 0]);
        assert_eq!(signed_bitmap(&nine, &[a(9), a(3), a(8)]).unwrap(), [0b1000_0100, 0b1]);
        assert_eq!(signed_bitmap(&nine, &[a(2), a(2)]).unwrap(), [0b10, 0]);
        let all: Vec<_> = (1..=9).map(a).collect();
        assert_eq!(signed_bitmap(&nine, &all).unwrap(), [0xff, 0b1]);
        assert_eq!(signed_bitmap(&set(8), &all[..8]).unwrap(), [0xff]);
    }

    #[test]
    fn a_signer_outside_the_set_is_refused() {
        let outsider = Address::repeat_byte(0x77);
        assert!(matches!(
            signed_bitmap(&set(4), &[Address::repeat_byte(1), outsider]),
            Err(StakingError::SignerNotInSet(who)) if who == outsider
        ));
    }
}
