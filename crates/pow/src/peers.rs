//! What a node knows of its peers: each one's last tip and how well it behaved. A peer that
//! sends invalid work, invalid blocks, malformed messages or more than its share loses points;
//! one whose score reaches [`BAN_SCORE`] is banned. Scores drift back toward zero, so an old
//! mistake is forgiven and only repeated offences within minutes ban.

use std::collections::HashMap;
use std::num::NonZeroU32;

use alloy_primitives::U256;
use cairn_network::PeerId;
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::wire::Tip;

/// At or below this score a peer is banned.
pub(crate) const BAN_SCORE: i32 = -100;
/// Points a peer regains each heartbeat, up to zero.
const FORGIVEN_PER_BEAT: i32 = 1;

/// Blocks one peer may gossip per second, with a burst for a run of quick blocks.
const BLOCKS_PER_SEC: u32 = 8;
const BLOCKS_BURST: u32 = 32;
/// Requests one peer may make per second, with a burst for a sync's first steps: a sync asks
/// three times per 192 blocks, so this lets a peer sync about 3,000 blocks a second from one
/// node.
const REQUESTS_PER_SEC: u32 = 48;
const REQUESTS_BURST: u32 = 192;
/// What this node asks of one peer at most, a little under the share every node allows, so a
/// fast sync waits here rather than being refused there.
const PACED_PER_SEC: u32 = REQUESTS_PER_SEC * 7 / 8;
const PACED_BURST: u32 = REQUESTS_BURST * 7 / 8;

/// What a peer did wrong, and what it costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Offence {
    /// A block or header that breaks the rules (work, difficulty, body, execution).
    InvalidBlock,
    /// Headers that do not follow what was asked, or bodies that are not their headers'.
    WrongAnswer,
    /// Bytes that do not decode.
    Malformed,
    /// A tip of another chain.
    OtherChain,
    /// More blocks or requests than its share.
    Flooding,
    /// A request it did not answer in time.
    Unanswered,
}

impl Offence {
    fn cost(self) -> i32 {
        match self {
            Self::InvalidBlock | Self::WrongAnswer => 50,
            Self::OtherChain => 100,
            Self::Malformed => 25,
            Self::Flooding => 2,
            Self::Unanswered => 10,
        }
    }
}

/// The connected peers, their tips and scores, and their rate limits.
pub(crate) struct PeerBook {
    peers: HashMap<PeerId, Peer>,
    blocks: PeerLimiter,
    requests: PeerLimiter,
    /// This node's own requests to each peer.
    paced: PeerLimiter,
}

/// A rate limit per peer, on the runtime's clock.
type PeerLimiter = RateLimiter<
    PeerId,
    DefaultKeyedStateStore<PeerId>,
    RuntimeClock,
    NoOpMiddleware<std::time::Instant>,
>;

/// The limiters' clock: the async runtime's, so a peer's share is counted in the time the
/// node runs on (real time, or a paused test runtime's simulated time, where a share counted
/// in real time would see a simulated minute of blocks arrive in a millisecond).
#[derive(Debug, Clone, Copy, Default)]
struct RuntimeClock;

impl governor::clock::Clock for RuntimeClock {
    type Instant = std::time::Instant;

    fn now(&self) -> std::time::Instant {
        tokio::time::Instant::now().into_std()
    }
}

#[derive(Default)]
struct Peer {
    tip: Option<Tip>,
    score: i32,
}

impl Default for PeerBook {
    fn default() -> Self {
        Self {
            peers: HashMap::new(),
            blocks: limiter(BLOCKS_PER_SEC, BLOCKS_BURST),
            requests: limiter(REQUESTS_PER_SEC, REQUESTS_BURST),
            paced: limiter(PACED_PER_SEC, PACED_BURST),
        }
    }
}

fn limiter(per_second: u32, burst: u32) -> PeerLimiter {
    let nonzero = |n: u32| NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
    let quota = Quota::per_second(nonzero(per_second)).allow_burst(nonzero(burst));
    RateLimiter::new(quota, DefaultKeyedStateStore::default(), RuntimeClock)
}

impl PeerBook {
    /// A peer connected.
    pub(crate) fn connected(&mut self, peer: PeerId) {
        self.peers.entry(peer).or_default();
    }

    /// A peer left (or was banned): its tip and score go with it.
    pub(crate) fn disconnected(&mut self, peer: &PeerId) {
        self.peers.remove(peer);
    }

    /// Records a peer's tip.
    pub(crate) fn set_tip(&mut self, peer: PeerId, tip: Tip) {
        self.peers.entry(peer).or_default().tip = Some(tip);
    }

    /// The peer with the most work, if it has more than `ours`.
    pub(crate) fn heaviest_above(&self, ours: U256) -> Option<PeerId> {
        self.peers
            .iter()
            .filter_map(|(peer, state)| Some((peer, state.tip.as_ref()?.total_difficulty)))
            .filter(|(_, work)| *work > ours)
            .max_by_key(|(_, work)| *work)
            .map(|(peer, _)| *peer)
    }

    /// Takes points from `peer`; true when it must now be banned.
    pub(crate) fn penalize(&mut self, peer: PeerId, offence: Offence) -> bool {
        let state = self.peers.entry(peer).or_default();
        state.score = state.score.saturating_sub(offence.cost());
        state.score <= BAN_SCORE
    }

    /// A peer's score now (zero for one never seen).
    #[cfg(test)]
    pub(crate) fn score(&self, peer: &PeerId) -> i32 {
        self.peers.get(peer).map_or(0, |state| state.score)
    }

    /// Whether `peer` may gossip one more block now.
    pub(crate) fn allow_block(&self, peer: &PeerId) -> bool {
        self.blocks.check_key(peer).is_ok()
    }

    /// Whether `peer` may make one more request now.
    pub(crate) fn allow_request(&self, peer: &PeerId) -> bool {
        self.requests.check_key(peer).is_ok()
    }

    /// How long this node must wait before its next request to `peer` keeps within the share
    /// `peer` allows (`None`: it may send now, and the request is counted).
    pub(crate) fn wait_to_request(&self, peer: &PeerId) -> Option<std::time::Duration> {
        use governor::clock::Clock as _;
        self.paced.check_key(peer).err().map(|later| later.wait_time_from(RuntimeClock.now()))
    }

    /// Moves every score a step back toward zero and forgets idle rate-limit state.
    pub(crate) fn heartbeat(&mut self) {
        for state in self.peers.values_mut() {
            state.score = (state.score + FORGIVEN_PER_BEAT).min(0);
        }
        self.blocks.retain_recent();
        self.requests.retain_recent();
        self.paced.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::B256;

    fn tip(work: u64) -> Tip {
        Tip {
            genesis: B256::ZERO,
            number: work,
            hash: B256::repeat_byte(work as u8),
            total_difficulty: U256::from(work),
        }
    }

    #[test]
    fn two_invalid_blocks_ban_and_time_forgives_one() {
        let mut book = PeerBook::default();
        let peer = PeerId::random();
        book.connected(peer);
        assert!(!book.penalize(peer, Offence::InvalidBlock));
        for _ in 0..50 {
            book.heartbeat();
        }
        assert_eq!(book.score(&peer), 0);
        assert!(!book.penalize(peer, Offence::InvalidBlock));
        assert!(book.penalize(peer, Offence::InvalidBlock));
    }

    #[test]
    fn the_heaviest_peer_above_our_work_is_chosen() {
        let mut book = PeerBook::default();
        let (light, heavy) = (PeerId::random(), PeerId::random());
        book.set_tip(light, tip(5));
        book.set_tip(heavy, tip(9));
        assert_eq!(book.heaviest_above(U256::from(4)), Some(heavy));
        assert_eq!(book.heaviest_above(U256::from(9)), None);
        book.disconnected(&heavy);
        assert_eq!(book.heaviest_above(U256::from(4)), Some(light));
    }

    #[test]
    fn a_flood_of_blocks_is_cut_at_the_burst() {
        let book = PeerBook::default();
        let peer = PeerId::random();
        let allowed = (0..1000).filter(|_| book.allow_block(&peer)).count();
        assert!((BLOCKS_BURST as usize..BLOCKS_BURST as usize + 8).contains(&allowed), "{allowed}");
        assert!(book.allow_block(&PeerId::random()), "another peer keeps its own share");
    }

    #[tokio::test(start_paused = true)]
    async fn paced_requests_stay_within_the_share_a_peer_allows() {
        let (asker, server) = (PeerBook::default(), PeerBook::default());
        let peer = PeerId::random();
        let started = tokio::time::Instant::now();
        for _ in 0..1000 {
            while let Some(wait) = asker.wait_to_request(&peer) {
                tokio::time::sleep(wait).await;
            }
            assert!(server.allow_request(&peer), "a paced request was refused");
        }
        // After the burst, the asker sends at its paced rate, not slower.
        let took = started.elapsed().as_secs_f64();
        let expected = f64::from(1000 - PACED_BURST) / f64::from(PACED_PER_SEC);
        assert!(took < expected * 1.05, "{took} s for 1000 requests");
    }
}
