//! The proof-of-possession digest: what a consensus key signs so that its holder, and nobody
//! else, can register it for an operator.

use alloy_primitives::{Address, B256, keccak256};

/// The domain of proofs of possession, distinct from every consensus message's domain so a
/// proof can never be replayed as a vote or proposal.
const POP_DOMAIN: &[u8] = b"cairn/staking-pop/1";

/// `keccak256("cairn/staking-pop/1" ‖ chain id (8 bytes, big-endian) ‖ operator)`: Cairn's
/// consensus signing rule (domain ‖ chain id ‖ content) applied to the operator's address, so
/// a proof is bound to one operator on one chain. The contract's `popDigest(operator)` computes
/// the same bytes.
pub fn pop_digest(chain_id: u64, operator: Address) -> B256 {
    let mut bytes = Vec::with_capacity(POP_DOMAIN.len() + 8 + 20);
    bytes.extend_from_slice(POP_DOMAIN);
    bytes.extend_from_slice(&chain_id.to_be_bytes());
    bytes.extend_from_slice(operator.as_slice());
    keccak256(bytes)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use alloy_primitives::address;

    /// A fixed vector, so a change to the digest (which would invalidate every signed proof)
    /// is a deliberate one. The contract side is checked against the same function in
    /// tests/it.
    #[test]
    fn digest_is_stable() {
        let operator = address!("0x00000000000000000000000000000000000000aa");
        assert_eq!(
            pop_digest(7, operator),
            keccak256(
                [b"cairn/staking-pop/1".as_slice(), &[0, 0, 0, 0, 0, 0, 0, 7], operator.as_slice()]
                    .concat()
            )
        );
        assert_ne!(pop_digest(7, operator), pop_digest(8, operator));
    }
}
