//! Block time: milliseconds strictly increase, seconds follow them, and a block whose time
//! goes back or runs too far ahead of the clock is refused by validators and by the audit.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use cairn_consensus::{ConsensusError, DevConsensus};
use cairn_execution::{BlockContext, NoBlockEnd, build_block};
use cairn_node::NodeError;
use cairn_node::audit::verify_chain;
use cairn_primitives::{Block, ChainSpec, Clock, Header, SystemClock};
use cairn_storage::MemoryKv;

use crate::support::{Chain, PROPOSER, dev_roles};

/// The clock a node reads unless given another.
fn now_ms() -> u64 {
    SystemClock.unix_millis()
}

/// Builds an empty child of the head timed at `timestamp_ms`, committing nothing.
fn child_at(chain: &Chain, timestamp_ms: u64) -> (Block, cairn_storage::StateUpdate) {
    let snapshot = chain.store().snapshot().unwrap();
    let parent = snapshot.head().unwrap();
    let context = BlockContext::child_of(&parent, PROPOSER, timestamp_ms, parent.gas_limit);
    let built = build_block(
        &snapshot,
        chain.node.spec(),
        &parent,
        context,
        Vec::new(),
        Default::default(),
        &NoBlockEnd,
    )
    .unwrap();
    (built.block, built.state)
}

#[test]
fn blocks_faster_than_a_second_share_seconds_and_order_by_milliseconds() {
    let chain = Chain::new();
    let headers: Vec<Header> = (0..30).map(|_| chain.mine()).collect();
    for pair in headers.windows(2) {
        let (parent, child) = (&pair[0], &pair[1]);
        assert!(child.timestamp_ms > parent.timestamp_ms, "{parent:?} then {child:?}");
        assert!(child.timestamp >= parent.timestamp);
        assert_eq!(child.timestamp, child.timestamp_ms / 1000);
    }
    let shared = headers.windows(2).filter(|p| p[0].timestamp == p[1].timestamp).count();
    assert!(shared > 0, "30 blocks in well under a second share a second somewhere");
    let first = headers.first().unwrap().timestamp_ms;
    assert!(first.abs_diff(now_ms()) < 60_000, "blocks are timed by the clock: {first}");
    let report = verify_chain(&chain.store(), chain.node.spec(), &dev_roles());
    assert_eq!(report.unwrap().height, 30);
}

#[test]
fn a_block_whose_time_goes_back_is_refused_by_validators_and_by_verify() {
    let chain = Chain::new();
    let head = chain.mine();
    let (block, state) = child_at(&chain, head.timestamp_ms);
    let err = chain.node.check_candidate(block.clone()).unwrap_err();
    assert!(
        matches!(err, NodeError::Consensus(ConsensusError::TimestampOrder { number: 2, .. })),
        "{err}"
    );

    // Written past the node's checks, as a tampering tool would: the audit finds it.
    chain.store().commit_block(&block, &[], &[], state, &Default::default()).unwrap();
    let failure = verify_chain(&chain.store(), chain.node.spec(), &dev_roles()).unwrap_err();
    assert_eq!(failure.height, 2);
    assert!(failure.what.contains("timestamp_ms"), "{failure}");
}

#[test]
fn a_block_too_far_ahead_of_the_clock_is_refused_by_validators_and_by_verify() {
    let chain = Chain::new();
    chain.mine();
    let drift = chain.node.spec().max_clock_drift_ms;
    assert_eq!(drift, 15_000);
    let (within, _) = child_at(&chain, now_ms() + drift / 2);
    chain.node.check_candidate(within).unwrap();

    let (ahead, state) = child_at(&chain, now_ms() + drift + 60_000);
    let err = chain.node.check_candidate(ahead.clone()).unwrap_err();
    assert!(
        matches!(err, NodeError::Consensus(ConsensusError::ClockDrift { number: 2, .. })),
        "{err}"
    );
    chain.store().commit_block(&ahead, &[], &[], state, &Default::default()).unwrap();
    let failure = verify_chain(&chain.store(), chain.node.spec(), &dev_roles()).unwrap_err();
    assert_eq!(failure.height, 2);
    assert!(failure.what.contains("allowed drift"), "{failure}");
}

#[test]
fn the_next_block_follows_a_parent_that_ran_ahead_of_the_clock_by_a_millisecond() {
    let chain = Chain::new();
    chain.mine();
    let ahead = now_ms() + 5_000;
    let (block, _) = child_at(&chain, ahead);
    let candidate = chain.node.check_candidate(block).unwrap();
    chain.node.commit_candidate(candidate).unwrap();
    let next = chain.mine();
    assert_eq!(next.timestamp_ms, ahead + 1, "a clock behind the parent gives parent + 1 ms");
}

#[test]
fn no_block_is_made_ahead_of_the_clock_by_more_than_the_drift() {
    let spec = cairn_primitives::ChainSpec {
        timestamp: now_ms() / 1000 + 3600,
        ..cairn_primitives::ChainSpec::dev().unwrap()
    };
    let node = cairn_node::Node::open(
        cairn_storage::MemoryKv::new(),
        spec,
        std::sync::Arc::new(DevConsensus::new(PROPOSER)),
    )
    .unwrap();
    let err = node.produce_block().unwrap_err();
    assert!(err.to_string().contains("allowed drift"), "{err}");
    assert_eq!(node.head().unwrap().number, 0);
}

/// A clock that reads what the test sets it to.
#[derive(Debug)]
struct FixedClock(AtomicU64);

impl FixedClock {
    fn set(&self, ms: u64) {
        self.0.store(ms, Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn unix_millis(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

#[test]
fn blocks_are_timed_and_judged_by_the_injected_clock() {
    // A dev chain whose genesis is at 1_000 s, on a clock that reads 2_000.250 s.
    let spec = ChainSpec { timestamp: 1_000, ..ChainSpec::dev().unwrap() };
    let clock = Arc::new(FixedClock(AtomicU64::new(2_000_250)));
    let kv = MemoryKv::new();
    let node = cairn_node::Node::open(kv.clone(), spec, Arc::new(DevConsensus::new(PROPOSER)))
        .unwrap()
        .with_clock(clock.clone());
    let chain = Chain { node: Arc::new(node), accounts: Vec::new(), memory: Some(kv) };

    let first = chain.mine();
    assert_eq!((first.timestamp_ms, first.timestamp), (2_000_250, 2_000));
    clock.set(2_001_900);
    assert_eq!(chain.mine().timestamp_ms, 2_001_900);
    // A clock that stepped back (less than the allowed drift): one millisecond after the parent.
    clock.set(2_001_000);
    assert_eq!(chain.mine().timestamp_ms, 2_001_901);

    // The drift check reads the same clock: up to 15 s ahead of it is accepted, not a
    // millisecond more.
    clock.set(2_010_000);
    let drift = chain.node.spec().max_clock_drift_ms;
    let (within, _) = child_at(&chain, 2_010_000 + drift);
    chain.node.check_candidate(within).unwrap();
    let (ahead, state) = child_at(&chain, 2_010_000 + drift + 1);
    let err = chain.node.check_candidate(ahead.clone()).unwrap_err();
    assert!(
        matches!(
            err,
            NodeError::Consensus(ConsensusError::ClockDrift {
                number: 4,
                got: 2_025_001,
                latest: 2_025_000,
                now_ms: 2_010_000,
                max_drift_ms: 15_000,
            })
        ),
        "{err}"
    );

    // So does the node's own audit, while one against the system clock (years later) passes.
    chain.store().commit_block(&ahead, &[], &[], state, &Default::default()).unwrap();
    let failure = chain.node.verify(&mut |_| {}).unwrap_err();
    assert_eq!(failure.height, 4);
    let rules = dev_roles();
    assert_eq!(verify_chain(&chain.store(), chain.node.spec(), &rules).unwrap().height, 4);

    // A builder whose clock reads before the head refuses to run ahead of it by the drift.
    clock.set(2_025_001 - drift - 2);
    let err = chain.node.produce_block().unwrap_err();
    assert!(matches!(err, NodeError::Consensus(ConsensusError::ClockDrift { .. })), "{err}");
}
