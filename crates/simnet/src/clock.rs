//! The network's simulated wall clock.

use cairn_primitives::Clock;
use tokio::time::Instant;

/// Where the simulated clock starts: 2026-01-01T00:00:00Z, in milliseconds since the epoch.
const EPOCH_MS: u64 = 1_767_225_600_000;

/// The time every node of a test network reads (block timestamps, the drift check): a fixed
/// start plus the simulated time the paused runtime has run, so block times follow the
/// consensus timers and are the same in every run of a seed.
#[derive(Debug)]
pub(crate) struct SimClock {
    start: Instant,
}

impl SimClock {
    /// A clock at [`EPOCH_MS`] now; must be made on the network's runtime.
    pub(crate) fn new() -> Self {
        Self { start: Instant::now() }
    }
}

impl Clock for SimClock {
    fn unix_millis(&self) -> u64 {
        EPOCH_MS.saturating_add(u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_clock_moves_with_simulated_time_only() {
        let clock = SimClock::new();
        assert_eq!(clock.unix_millis(), EPOCH_MS);
        tokio::time::sleep(Duration::from_secs(90)).await;
        assert_eq!(clock.unix_millis(), EPOCH_MS + 90_000);
    }
}
