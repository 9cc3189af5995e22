//! Wall-clock time as the chain uses it.

use std::time::{SystemTime, UNIX_EPOCH};

/// Wall-clock time as the chain uses it (block timestamps, how far ahead of now a block may
/// be), injected so that a test network can run every node on one simulated clock, and so
/// that later engines (proof-of-work difficulty, a light client's trusting period) read time
/// through the same seam.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Milliseconds since the Unix epoch.
    fn unix_millis(&self) -> u64;
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    /// 0 if the clock reads before 1970.
    fn unix_millis(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_clock_reads_the_present() {
        // 2024-01-01 and 2100-01-01, in milliseconds.
        let now = SystemClock.unix_millis();
        assert!((1_704_067_200_000..4_102_444_800_000).contains(&now), "{now}");
    }
}
