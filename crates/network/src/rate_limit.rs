use std::num::NonZeroU32;

use governor::{
    Quota, RateLimiter,
    clock::{Clock, DefaultClock},
    middleware::NoOpMiddleware,
    state::keyed::HashMapStateStore,
};
use libp2p::PeerId;

/// Per-peer budget of inbound transactions (a token bucket per peer, refilled every second),
/// so one peer cannot flood the node's validation pipeline.
pub(crate) struct PeerRateLimiter<C: Clock = DefaultClock> {
    limiter: RateLimiter<PeerId, HashMapStateStore<PeerId>, C, NoOpMiddleware<C::Instant>>,
}

impl PeerRateLimiter {
    /// A limiter on the real clock allowing `per_second` transactions per peer (and bursts of
    /// the same size).
    pub(crate) fn new(per_second: NonZeroU32) -> Self {
        Self::with_clock(per_second, DefaultClock::default())
    }
}

impl<C: Clock> PeerRateLimiter<C> {
    fn with_clock(per_second: NonZeroU32, clock: C) -> Self {
        Self { limiter: RateLimiter::hashmap_with_clock(Quota::per_second(per_second), clock) }
    }

    /// Takes one token from `peer`'s bucket; false means the transaction must be dropped.
    pub(crate) fn allow(&self, peer: &PeerId) -> bool {
        self.limiter.check_key(peer).is_ok()
    }

    /// Forgets peers whose bucket is full again, so the table stays as small as the set of
    /// recently active peers.
    pub(crate) fn forget_idle(&self) {
        self.limiter.retain_recent();
    }

    #[cfg(test)]
    fn tracked_peers(&self) -> usize {
        self.limiter.len()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use governor::clock::FakeRelativeClock;
    use libp2p::identity::Keypair;

    use super::*;

    fn peer() -> PeerId {
        Keypair::generate_ed25519().public().to_peer_id()
    }

    #[test]
    fn each_peer_gets_its_own_budget_which_refills() {
        let clock = FakeRelativeClock::default();
        let limiter =
            PeerRateLimiter::with_clock(NonZeroU32::new(3).expect("non-zero"), clock.clone());
        let (a, b) = (peer(), peer());

        assert!((0..3).all(|_| limiter.allow(&a)));
        assert!(!limiter.allow(&a), "a fourth tx within the second is dropped");
        assert!(limiter.allow(&b), "another peer is unaffected");

        clock.advance(Duration::from_secs(1));
        assert!((0..3).all(|_| limiter.allow(&a)));
        assert!(!limiter.allow(&a));
    }

    #[test]
    fn idle_peers_are_forgotten() {
        let clock = FakeRelativeClock::default();
        let limiter =
            PeerRateLimiter::with_clock(NonZeroU32::new(2).expect("non-zero"), clock.clone());
        assert!(limiter.allow(&peer()));
        assert!(limiter.allow(&peer()));
        assert_eq!(limiter.tracked_peers(), 2);

        clock.advance(Duration::from_secs(2));
        limiter.forget_idle();
        assert_eq!(limiter.tracked_peers(), 0);
    }
}
