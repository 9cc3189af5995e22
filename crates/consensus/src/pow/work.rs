//! The work a seal proves: `keccak256(seal_hash ‖ nonce) ≤ (2^256 − 1) / difficulty`, where
//! `seal_hash` is the block hash (keccak256 of the RLP header without its seal, which is where
//! the nonce goes) and the nonce is 8 big-endian bytes, as Ethereum's.
//!
//! Hashing the 40 bytes of hash and nonce instead of the whole header again costs one Keccak
//! permutation per attempt instead of five (a header is about 550 bytes, Keccak-256 absorbs
//! 136 at a time) and binds the nonce to every header field all the same, since finding a
//! second header with the same `seal_hash` is a Keccak collision. Keccak, not a memory-hard
//! function such as Ethash: Cairn's proof of work is for networks of ordinary nodes, and no
//! maintained crate offers a memory-hard hash that light clients could also check cheaply.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};

use alloy_primitives::{B256, Bytes, U256, keccak256};

/// Bytes in a proof-of-work seal: the nonce.
pub const NONCE_BYTES: usize = 8;

/// Nonces tried between two looks at the stop flag: a few milliseconds of one core.
const STOP_CHECK_EVERY: u64 = 4_096;

/// The hash that must fall under the target: keccak256 of the seal hash and the nonce.
pub fn work_hash(seal_hash: B256, nonce: u64) -> B256 {
    let mut input = [0u8; 32 + NONCE_BYTES];
    input[..32].copy_from_slice(seal_hash.as_slice());
    input[32..].copy_from_slice(&nonce.to_be_bytes());
    keccak256(input)
}

/// The largest work hash a block of `difficulty` may have (a difficulty of 0 counts as 1).
pub fn target(difficulty: U256) -> U256 {
    U256::MAX / difficulty.max(U256::from(1))
}

/// Whether `nonce` seals the header whose hash is `seal_hash` under `target`.
fn under(seal_hash: B256, nonce: u64, target: U256) -> bool {
    U256::from_be_bytes(work_hash(seal_hash, nonce).0) <= target
}

/// Whether `nonce` seals the header whose hash is `seal_hash` at `difficulty`.
pub fn meets(seal_hash: B256, nonce: u64, difficulty: U256) -> bool {
    under(seal_hash, nonce, target(difficulty))
}

/// Searches `nonces` in order for one that seals `seal_hash` at `difficulty`, looking at
/// `stop` every few thousand attempts: `None` when the range ran out or `stop` was set (a
/// better head arrived, another thread found one).
pub fn search(
    seal_hash: B256,
    difficulty: U256,
    nonces: Range<u64>,
    stop: &AtomicBool,
) -> Option<u64> {
    let target = target(difficulty);
    for nonce in nonces {
        if nonce % STOP_CHECK_EVERY == 0 && stop.load(Ordering::Relaxed) {
            return None;
        }
        if under(seal_hash, nonce, target) {
            return Some(nonce);
        }
    }
    None
}

/// The seal that carries `nonce`: its 8 big-endian bytes.
pub fn seal(nonce: u64) -> Bytes {
    Bytes::copy_from_slice(&nonce.to_be_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_found_nonce_meets_the_target_and_a_neighbour_usually_does_not() {
        let seal_hash = B256::repeat_byte(7);
        let difficulty = U256::from(1_000);
        let stop = AtomicBool::new(false);
        let nonce = search(seal_hash, difficulty, 0..1_000_000, &stop).expect("found");
        assert!(meets(seal_hash, nonce, difficulty));
        let failing = (0..nonce).filter(|n| !meets(seal_hash, *n, difficulty)).count();
        assert_eq!(failing as u64, nonce, "the search returns the first nonce that works");
    }

    #[test]
    fn difficulty_one_accepts_every_nonce_and_a_set_stop_flag_ends_the_search() {
        assert!(meets(B256::ZERO, 0, U256::from(1)));
        assert!(meets(B256::ZERO, 0, U256::ZERO));
        let stop = AtomicBool::new(true);
        assert_eq!(search(B256::ZERO, U256::MAX, 0..u64::MAX, &stop), None);
    }

    #[test]
    fn the_work_hash_is_keccak_of_hash_and_big_endian_nonce() {
        let mut input = [0u8; 40];
        input[..32].copy_from_slice(&[3; 32]);
        input[39] = 1;
        assert_eq!(work_hash(B256::repeat_byte(3), 1), keccak256(input));
    }
}
