//! Which refused peers were already logged: once per peer, bounded in memory, and with a budget
//! of lines per minute, so neither a persistent nor a shape-shifting dialer floods the log.

use std::{
    collections::{HashSet, VecDeque},
    time::{Duration, Instant},
};

use libp2p::PeerId;

/// Refused peers remembered so each is logged once; beyond this the oldest is forgotten (and
/// would be logged again), which bounds the memory a crowd of identities can take.
const REMEMBERED_REFUSALS: usize = 4096;
/// Newly refused peers logged one by one per [`LOG_WINDOW`]; any more are only counted, since
/// a hostile dialer can make a fresh identity for every attempt.
const LOGGED_PER_WINDOW: u32 = 16;
/// The period over which [`LOGGED_PER_WINDOW`] applies and unlogged refusals are summed up.
const LOG_WINDOW: Duration = Duration::from_secs(60);

/// What to do about a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Note {
    /// The peer's first refusal, within the window's budget: log it.
    Log,
    /// Already logged or counted, or over the window's budget (then counted): say nothing.
    Quiet,
}

/// Which refused peers were already reported, bounded in memory and in lines per window.
pub(crate) struct RefusalLog {
    seen: HashSet<PeerId>,
    /// `seen` in the order peers were added, to forget the oldest first.
    order: VecDeque<PeerId>,
    window_start: Instant,
    logged_in_window: u32,
    unlogged: u64,
}

impl RefusalLog {
    pub(crate) fn new(now: Instant) -> Self {
        Self {
            seen: HashSet::new(),
            order: VecDeque::new(),
            window_start: now,
            logged_in_window: 0,
            unlogged: 0,
        }
    }

    pub(crate) fn note(&mut self, peer: PeerId) -> Note {
        if !self.seen.insert(peer) {
            return Note::Quiet;
        }
        self.order.push_back(peer);
        if self.order.len() > REMEMBERED_REFUSALS
            && let Some(oldest) = self.order.pop_front()
        {
            self.seen.remove(&oldest);
        }
        if self.logged_in_window < LOGGED_PER_WINDOW {
            self.logged_in_window += 1;
            Note::Log
        } else {
            self.unlogged += 1;
            Note::Quiet
        }
    }

    /// Forgets the peers for which `allowed` holds.
    pub(crate) fn forget(&mut self, allowed: impl Fn(&PeerId) -> bool) {
        self.seen.retain(|peer| !allowed(peer));
        self.order.retain(|peer| !allowed(peer));
    }

    /// Starts a new window if the current one is over, returning how many refused peers the
    /// old one left unlogged (if any).
    pub(crate) fn end_window(&mut self, now: Instant) -> Option<u64> {
        if now.saturating_duration_since(self.window_start) < LOG_WINDOW {
            return None;
        }
        let unlogged = std::mem::take(&mut self.unlogged);
        self.window_start = now;
        self.logged_in_window = 0;
        (unlogged > 0).then_some(unlogged)
    }
}

#[cfg(test)]
mod tests {
    use libp2p::identity::Keypair;

    use super::*;

    fn peer() -> PeerId {
        Keypair::generate_ed25519().public().to_peer_id()
    }

    #[test]
    fn a_peer_is_noted_once_however_often_it_is_refused() {
        let mut log = RefusalLog::new(Instant::now());
        let hostile = peer();
        let notes: Vec<Note> = (0..5).map(|_| log.note(hostile)).collect();
        assert_eq!(notes, [Note::Log, Note::Quiet, Note::Quiet, Note::Quiet, Note::Quiet]);

        log.forget(|peer| *peer == hostile);
        assert_eq!(log.note(hostile), Note::Log, "allowed in between: refused anew");
    }

    #[test]
    fn fresh_identities_are_logged_within_a_budget_and_counted_beyond_it() {
        let start = Instant::now();
        let mut log = RefusalLog::new(start);
        let notes: Vec<Note> = (0..LOGGED_PER_WINDOW + 5).map(|_| log.note(peer())).collect();
        assert!(notes[..LOGGED_PER_WINDOW as usize].iter().all(|note| *note == Note::Log));
        assert!(notes[LOGGED_PER_WINDOW as usize..].iter().all(|note| *note == Note::Quiet));

        assert_eq!(log.end_window(start + LOG_WINDOW / 2), None, "the window is still open");
        assert_eq!(log.end_window(start + LOG_WINDOW), Some(5));
        assert_eq!(log.note(peer()), Note::Log, "a new window has a new budget");
        assert_eq!(log.end_window(start + 2 * LOG_WINDOW), None, "nothing went unlogged");
    }

    #[test]
    fn memory_is_bounded_by_forgetting_the_oldest() {
        let mut log = RefusalLog::new(Instant::now());
        let first = peer();
        log.note(first);
        for _ in 0..REMEMBERED_REFUSALS {
            log.note(peer());
        }
        assert_eq!(log.seen.len(), REMEMBERED_REFUSALS);
        assert_eq!(log.order.len(), REMEMBERED_REFUSALS);
        assert!(!log.seen.contains(&first), "the oldest was forgotten");
    }
}
