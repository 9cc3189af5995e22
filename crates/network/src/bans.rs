//! Banned peers and when their bans end. Both swarms keep one and refuse the peers in it
//! with libp2p's `allow_block_list`; the number of bans is capped, the ban closest to its end
//! lifted early to make room, so a crowd of fresh identities cannot grow it without bound.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use libp2p::PeerId;

/// How long a banned peer stays refused.
pub(crate) const BAN_DURATION: Duration = Duration::from_secs(3600);
/// Most peers banned at once.
const MAX_BANS: usize = 4096;

/// The banned peers, with when each ban ends.
#[derive(Debug, Default)]
pub(crate) struct Bans {
    until: HashMap<PeerId, Instant>,
}

impl Bans {
    /// Whether `peer` is banned.
    pub(crate) fn contains(&self, peer: &PeerId) -> bool {
        self.until.contains_key(peer)
    }

    /// Bans `peer` for [`BAN_DURATION`] from `now`; returns the peer whose ban was lifted to
    /// make room, if one was.
    pub(crate) fn ban(&mut self, peer: PeerId, now: Instant) -> Option<PeerId> {
        let mut lifted = None;
        if self.until.len() >= MAX_BANS && !self.until.contains_key(&peer) {
            lifted = self.until.iter().min_by_key(|(_, until)| **until).map(|(peer, _)| *peer);
            if let Some(soonest) = lifted {
                self.until.remove(&soonest);
            }
        }
        self.until.insert(peer, now + BAN_DURATION);
        lifted
    }

    /// Lifts the bans that ended by `now`; returns their peers.
    pub(crate) fn lift_ended(&mut self, now: Instant) -> Vec<PeerId> {
        let ended: Vec<PeerId> =
            self.until.iter().filter(|(_, until)| **until <= now).map(|(peer, _)| *peer).collect();
        for peer in &ended {
            self.until.remove(peer);
        }
        ended
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bans_end_and_are_capped() {
        let mut bans = Bans::default();
        let start = Instant::now();
        let first = PeerId::random();
        assert_eq!(bans.ban(first, start), None);
        for i in 1..MAX_BANS {
            assert_eq!(bans.ban(PeerId::random(), start + Duration::from_secs(i as u64)), None);
        }
        let newest = PeerId::random();
        assert_eq!(bans.ban(newest, start + Duration::from_secs(9999)), Some(first));
        assert!(!bans.contains(&first) && bans.contains(&newest));
        assert!(bans.lift_ended(start + BAN_DURATION).is_empty(), "the first was lifted early");
        let ended = bans.lift_ended(start + BAN_DURATION + Duration::from_secs(1));
        assert_eq!(ended.len(), 1);
        assert!(bans.lift_ended(start + BAN_DURATION * 10).contains(&newest));
    }
}
