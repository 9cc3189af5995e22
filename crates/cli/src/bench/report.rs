//! The figures of one run: counts, throughput, latency percentiles; printed for people and
//! written as JSON for scripts (bench/compare.sh).

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::follow::Tracker;

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub(crate) struct Latency {
    pub(crate) p50: f64,
    pub(crate) p95: f64,
    pub(crate) p99: f64,
    pub(crate) max: f64,
}

impl Latency {
    /// Percentiles of `samples` (nearest rank); zeros when there are none.
    pub(crate) fn of(mut samples: Vec<Duration>) -> Self {
        samples.sort_unstable();
        let rank = |q: f64| {
            let index = ((q * samples.len() as f64).ceil() as usize).saturating_sub(1);
            samples.get(index).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        Self { p50: rank(0.50), p95: rank(0.95), p99: rank(0.99), max: rank(1.0) }
    }
}

/// The outcome of one run.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Summary {
    /// Transactions submitted (accepted or not).
    pub(crate) sent: usize,
    /// Transactions the node refused.
    pub(crate) rejected: usize,
    /// Accepted transactions never seen in a block.
    pub(crate) lost: usize,
    /// Transactions seen in a block.
    pub(crate) included: usize,
    /// Transactions seen in a final block.
    pub(crate) finalized: usize,
    /// Seconds from the first submission to the last.
    pub(crate) submit_secs: f64,
    /// Included transactions per second, from the first submission to the last inclusion.
    pub(crate) included_tps: f64,
    /// Final transactions per second, from the first submission to the last finality.
    pub(crate) finalized_tps: f64,
    /// Blocks seen from the first submission to the last inclusion.
    pub(crate) blocks: usize,
    /// Those blocks per second.
    pub(crate) blocks_per_sec: f64,
    /// Submission to inclusion.
    pub(crate) inclusion_ms: Latency,
    /// Submission to finality.
    pub(crate) finality_ms: Latency,
    /// The most frequent refusal messages with their counts.
    pub(crate) rejections: Vec<(String, usize)>,
}

impl Summary {
    /// Sums up `tracker` for a run whose submissions took `submit`.
    pub(crate) fn of(tracker: &Tracker, submit: Duration) -> Self {
        let times: Vec<_> = tracker.times().filter(|t| t.sent.is_some()).copied().collect();
        let first = times.iter().filter_map(|t| t.sent).min();
        let last_included = times.iter().filter_map(|t| t.included).max();
        let last_final = times.iter().filter_map(|t| t.finalized).max();
        let span = |end: Option<Instant>| match (first, end) {
            (Some(first), Some(end)) => end.saturating_duration_since(first).as_secs_f64(),
            _ => 0.0,
        };
        let rate = |count: usize, secs: f64| if secs > 0.0 { count as f64 / secs } else { 0.0 };
        let accepted = times.iter().filter(|t| !t.rejected);
        let lost = accepted.clone().filter(|t| t.included.is_none()).count();
        let latency = |at: fn(&super::follow::Times) -> Option<Instant>| {
            Latency::of(
                times
                    .iter()
                    .filter_map(|t| Some(at(t)?.saturating_duration_since(t.sent?)))
                    .collect(),
            )
        };
        let included = times.iter().filter(|t| t.included.is_some()).count();
        let finalized = times.iter().filter(|t| t.finalized.is_some()).count();
        let blocks = match (first, last_included) {
            (Some(first), Some(last)) => {
                tracker.blocks().iter().filter(|at| **at >= first && **at <= last).count()
            }
            _ => 0,
        };
        let mut rejections: Vec<(String, usize)> =
            tracker.reasons().iter().map(|(reason, count)| (reason.clone(), *count)).collect();
        rejections.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        rejections.truncate(5);
        Self {
            sent: times.len(),
            rejected: times.iter().filter(|t| t.rejected).count(),
            lost,
            included,
            finalized,
            submit_secs: submit.as_secs_f64(),
            included_tps: rate(included, span(last_included)),
            finalized_tps: rate(finalized, span(last_final)),
            blocks,
            blocks_per_sec: rate(blocks, span(last_included)),
            inclusion_ms: latency(|t| t.included),
            finality_ms: latency(|t| t.finalized),
            rejections,
        }
    }

    /// The report people read.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        let submit_tps =
            if self.submit_secs > 0.0 { self.sent as f64 / self.submit_secs } else { 0.0 };
        let _ = writeln!(
            out,
            "submitted   {} in {:.2} s ({submit_tps:.0} tx/s offered)",
            self.sent, self.submit_secs
        );
        let _ = writeln!(
            out,
            "outcome     {} included, {} final, {} rejected, {} lost",
            self.included, self.finalized, self.rejected, self.lost
        );
        let _ = writeln!(
            out,
            "throughput  {:.0} tx/s included, {:.0} tx/s final; {} blocks ({:.2} blocks/s)",
            self.included_tps, self.finalized_tps, self.blocks, self.blocks_per_sec
        );
        let _ = writeln!(out, "latency ms          p50      p95      p99      max");
        for (name, latency) in
            [("to inclusion", self.inclusion_ms), ("to finality", self.finality_ms)]
        {
            let _ = writeln!(
                out,
                "  {name:<14} {:>8.0} {:>8.0} {:>8.0} {:>8.0}",
                latency.p50, latency.p95, latency.p99, latency.max
            );
        }
        for (reason, count) in &self.rejections {
            let _ = writeln!(out, "rejected    {count} × {reason}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let samples = (1..=100).map(Duration::from_millis).collect();
        let latency = Latency::of(samples);
        assert_eq!(latency, Latency { p50: 50.0, p95: 95.0, p99: 99.0, max: 100.0 });
        assert_eq!(Latency::of(Vec::new()), Latency::default());
    }
}
