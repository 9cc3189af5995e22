//! How hard the next block is: relative ASERT, the per-block form of Bitcoin Cash's
//! `aserti3-2d`, in integer arithmetic so every node computes the same value.
//!
//! Each block multiplies its parent's difficulty by `2^((block_time − elapsed) / (16 ·
//! block_time))`: a block on time keeps it, every 16 block times of accumulated lateness
//! halve it and every 16 of earliness double it. Chosen over EIP-2 (Homestead) because EIP-2
//! raises difficulty by at most 1/2048 a block, so after the hash rate doubles it needs about
//! 1,400 blocks to catch up; this rule needs under 100 (the simulation in the tests). The
//! exponents add up, so over many blocks the difficulty follows the total time taken rather
//! than each gap: a block stamped ahead of time (at most the spec's allowed clock drift) needs
//! less work itself, and the blocks after it, whose times must still increase, pay that back
//! until the clock catches up with it. An early block always adds at least one to the
//! difficulty, so a low difficulty (under 23, where the multiplication rounds back to itself)
//! still climbs.

use alloy_primitives::U256;

/// Block times of accumulated lateness that halve the difficulty (and of earliness that
/// double it). 16 measured best against a 20% band: it converges within 100 blocks after
/// the hash rate halves or doubles while a single block's luck moves it only by about 4%.
pub const HALF_LIFE_BLOCKS: u64 = 16;

/// The most difficulty a block may carry: 2^192 expected hashes is beyond any hash rate, and
/// the bound keeps every product below in 256 bits.
pub const MAX_DIFFICULTY: U256 = U256::from_limbs([0, 0, 0, 1]);

/// Fixed-point scale of the exponent: 16 fractional bits.
const ONE: i128 = 1 << 16;

/// The difficulty of a block made at `timestamp_ms` on a parent of `parent_difficulty` made
/// at `parent_ms`, on a chain aiming at one block every `block_time_ms`, never below
/// `min_difficulty`, nor above [`MAX_DIFFICULTY`].
pub fn next_difficulty(
    parent_difficulty: U256,
    parent_ms: u64,
    timestamp_ms: u64,
    block_time_ms: u64,
    min_difficulty: u64,
) -> U256 {
    let floor = U256::from(min_difficulty.max(1));
    let block_time = i128::from(block_time_ms.max(1));
    let elapsed = i128::from(timestamp_ms.saturating_sub(parent_ms));
    // The exponent in 1/65536ths, rounded down: positive when the block came early.
    let exponent =
        ((block_time - elapsed) * ONE).div_euclid(i128::from(HALF_LIFE_BLOCKS) * block_time);
    let shifts = exponent.div_euclid(ONE);
    let fraction = exponent.rem_euclid(ONE) as u128;
    let parent = parent_difficulty.min(MAX_DIFFICULTY);
    let scaled: U256 = (parent * U256::from(pow2_fraction(fraction))) >> 16usize;
    // Elapsed time is never negative, so the exponent stays below one and `shifts` is never
    // positive; lateness shifts right, by at most the whole width.
    let next = scaled >> (-shifts).clamp(0, 256) as usize;
    let next = if exponent > 0 { next.max(parent + U256::from(1)) } else { next };
    next.clamp(floor, MAX_DIFFICULTY)
}

/// `2^(fraction / 65536)` in 1/65536ths for a fraction in `0..65536`: `aserti3-2d`'s cubic
/// approximation, within 0.013% of the real value and exact at both ends.
fn pow2_fraction(fraction: u128) -> u128 {
    let cubic = 195_766_423_245_049 * fraction
        + 971_821_376 * fraction * fraction
        + 5_127 * fraction * fraction * fraction
        + (1 << 47);
    65_536 + (cubic >> 48)
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::*;

    const BLOCK_TIME: u64 = 1_000;

    fn next(parent: u64, elapsed: u64) -> U256 {
        next_difficulty(U256::from(parent), 10_000, 10_000 + elapsed, BLOCK_TIME, 1)
    }

    #[test]
    fn a_block_on_time_keeps_the_difficulty_and_lateness_halves_it_per_half_life() {
        assert_eq!(next(1_000_000, BLOCK_TIME), U256::from(1_000_000));
        let late = next(1 << 40, BLOCK_TIME * (HALF_LIFE_BLOCKS + 1));
        assert_eq!(late, U256::from(1u64 << 39));
        let very_late = next(1 << 40, BLOCK_TIME * (3 * HALF_LIFE_BLOCKS + 1));
        assert_eq!(very_late, U256::from(1u64 << 37));
    }

    #[test]
    fn an_early_block_raises_it_by_at_most_one_sixteenth_of_a_doubling() {
        let fastest = next(1 << 40, 1);
        // The cubic's own error (under 0.02%) on top of a sixteenth of a doubling.
        let bound = 2f64.powf(1.0 / HALF_LIFE_BLOCKS as f64) * 1.000_2 * (1u64 << 40) as f64;
        assert!(fastest > U256::from(1u64 << 40));
        assert!(fastest.to::<u64>() as f64 <= bound);
    }

    #[test]
    fn the_cubic_matches_powers_of_two_closely() {
        for fraction in (0..65_536u128).step_by(97) {
            let exact = 65_536.0 * 2f64.powf(fraction as f64 / 65_536.0);
            let got = pow2_fraction(fraction) as f64;
            assert!((got - exact).abs() / exact < 0.000_2, "{fraction}: {got} vs {exact}");
        }
        assert_eq!(pow2_fraction(0), 65_536);
    }

    #[test]
    fn it_never_falls_below_the_floor_nor_overflows() {
        assert_eq!(next_difficulty(U256::from(10), 0, u64::MAX, 1, 7), U256::from(7));
        assert_eq!(next_difficulty(U256::from(5), 0, 1 << 40, 1_000, 7), U256::from(7));
        assert_eq!(next_difficulty(MAX_DIFFICULTY, 0, 1, 1_000, 7), MAX_DIFFICULTY);
        assert_eq!(next_difficulty(U256::MAX, 0, 1_000, 1_000, 7), MAX_DIFFICULTY);
        assert_eq!(next_difficulty(U256::from(1), 0, 1_000, 1_000, 0), U256::from(1));
    }

    #[test]
    fn a_low_difficulty_still_climbs_when_blocks_come_early() {
        let mut difficulty = U256::from(1);
        for _ in 0..100 {
            difficulty = next_difficulty(difficulty, 0, 1, 1_000, 1);
        }
        assert!(difficulty >= U256::from(100), "{difficulty}");
    }

    proptest::proptest! {
        /// Whatever a header claims (any parent difficulty, any times, any spec), the rule
        /// answers within its bounds without overflowing, and a later block never needs more
        /// work than an earlier one on the same parent.
        #[test]
        fn any_input_stays_within_bounds_and_later_means_easier(
            limbs in proptest::array::uniform4(proptest::prelude::any::<u64>()),
            parent_ms in proptest::prelude::any::<u64>(),
            elapsed in proptest::prelude::any::<u64>(),
            later in proptest::prelude::any::<u64>(),
            block_time in proptest::prelude::any::<u64>(),
            floor in proptest::prelude::any::<u64>(),
        ) {
            let parent = U256::from_limbs(limbs);
            let at = parent_ms.saturating_add(elapsed);
            let next = next_difficulty(parent, parent_ms, at, block_time, floor);
            proptest::prop_assert!(next >= U256::from(floor.max(1)) && next <= MAX_DIFFICULTY);
            let after = next_difficulty(parent, parent_ms, at.saturating_add(later), block_time, floor);
            proptest::prop_assert!(after <= next);
        }
    }

    /// Mines 400 blocks at a steady hash rate, changes it by `factor`, and returns the mean
    /// block time of blocks 100..200 after the change. Block times are drawn from the
    /// exponential distribution the hash lottery gives (mean difficulty / hash rate).
    fn mean_block_time_after_change(seed: u64, factor: f64) -> f64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut hash_rate = 1_000.0; // hashes per millisecond
        let mut difficulty = U256::from(1_000_000u64); // on target at this rate
        let mut now = 0u64;
        let mut window = Vec::new();
        for block in 0..400 {
            if block == 200 {
                hash_rate *= factor;
            }
            let expected = difficulty.to::<u64>() as f64 / hash_rate;
            let draw: f64 = rng.random_range(f64::EPSILON..1.0);
            let elapsed = ((-draw.ln() * expected) as u64).max(1);
            difficulty = next_difficulty(difficulty, now, now + elapsed, BLOCK_TIME, 1_000);
            now += elapsed;
            if (300..400).contains(&block) {
                window.push(elapsed as f64);
            }
        }
        window.iter().sum::<f64>() / window.len() as f64
    }

    #[test]
    fn block_times_return_within_20_percent_of_the_target_within_100_blocks() {
        for seed in 0..50 {
            for factor in [2.0, 0.5] {
                let mean = mean_block_time_after_change(seed, factor);
                let off = (mean - BLOCK_TIME as f64).abs() / BLOCK_TIME as f64;
                assert!(off < 0.2, "seed {seed}, hash rate ×{factor}: mean {mean} ms");
            }
        }
    }
}
