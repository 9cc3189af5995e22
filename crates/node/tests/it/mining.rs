//! The proof-of-work miner on one node: it mines empty blocks and the pool's transactions,
//! pays each block's reward and fees to its coinbase, every block's work and difficulty
//! pass the audit, and a node cannot make a block without the work.

use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::{Address, Bytes, U256};
use cairn_consensus::{ConsensusError, ConsensusRoles, PowConsensus, pow};
use cairn_node::audit::verify_chain;
use cairn_node::{Miner, Node, NodeError};
use cairn_primitives::{ChainSpec, ConsensusKind, PowParams};
use cairn_storage::{ChainStore, MemoryKv};
use tokio::time::Instant;

use crate::support::{Chain, sign, transfer};

const COINBASE: Address = Address::repeat_byte(0xc0);
const REWARD: u64 = 1_000_000;

/// A proof-of-work chain aiming at 20 ms blocks from a low floor, so a test mines dozens.
fn pow_chain() -> (Chain, ChainSpec, ConsensusRoles) {
    let spec = ChainSpec {
        consensus: ConsensusKind::Pow,
        block_time_ms: 20,
        pow: Some(PowParams {
            min_difficulty: 256,
            block_reward: U256::from(REWARD),
            ..PowParams::default()
        }),
        ..ChainSpec::dev().unwrap()
    };
    let roles = ConsensusRoles::of(Arc::new(PowConsensus::new(&spec, COINBASE)));
    let kv = MemoryKv::new();
    let node = Arc::new(Node::open(kv.clone(), spec.clone(), roles.clone()).unwrap());
    let chain = Chain { node, memory: Some(kv), ..Chain::new() };
    (chain, spec, roles)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_miner_mines_the_pool_and_every_block_carries_verified_work() {
    let (chain, spec, roles) = pow_chain();
    assert!(matches!(chain.node.produce_block(), Err(NodeError::SealedByWork)));
    let miner = Miner::start(chain.node.clone(), 2);
    let recipient = Address::repeat_byte(0x31);
    let tx = chain.submit(&sign(chain.key(0), transfer(0, recipient, 5))).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while chain.node.transaction(tx).unwrap().is_none() || chain.node.head().unwrap().number < 10 {
        assert!(Instant::now() < deadline, "mining stalled at {:?}", chain.node.head());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    miner.stop().await;
    assert_eq!(chain.balance(recipient), U256::from(5));
    let head = chain.node.head().unwrap();
    let mut fees = U256::ZERO;
    for number in 1..=head.number {
        let block = chain.node.block(number).unwrap().unwrap();
        assert_eq!(block.header.beneficiary, COINBASE);
        assert!(block.header.difficulty.is_some_and(|d| d >= U256::from(256)));
        assert_eq!(block.header.seal.len(), 8, "the seal is the nonce");
        let tip = block.header.gas_used as u128 * 1_000_000_000;
        fees += U256::from(tip);
    }
    // The reward of every block plus the transfer's tip (1 gwei a gas, `transfer`'s).
    let rewards = U256::from(REWARD) * U256::from(head.number);
    assert_eq!(chain.balance(COINBASE), rewards + fees);
    let store = ChainStore::open_existing(chain.memory.clone().unwrap(), &spec).unwrap();
    let report = verify_chain(&store, &spec, &roles).expect("every seal and difficulty verifies");
    assert_eq!((report.height, report.blocks), (head.number, head.number));
}

#[test]
fn a_block_without_its_work_changes_nothing() {
    let (chain, _, _) = pow_chain();
    // The first nonce that works, or that fails, for a freshly built child of the head.
    let build = |works: bool| {
        let mut candidate = chain.node.build_candidate(COINBASE).unwrap();
        let header = &candidate.block.header;
        let difficulty = header.difficulty.expect("a pow block carries its difficulty");
        let seal_hash = header.hash();
        let nonce = (0u64..).find(|n| pow::meets(seal_hash, *n, difficulty) == works).unwrap();
        candidate.block.header.seal = pow::seal(nonce);
        candidate
    };
    let refused = chain.node.commit_candidate(build(false)).expect_err("no work, no block");
    assert!(
        matches!(refused, NodeError::Consensus(ConsensusError::InsufficientWork { number: 1, .. })),
        "{refused}"
    );
    let mut short = build(true);
    short.block.header.seal = Bytes::from_static(&[0; 4]);
    assert!(chain.node.commit_candidate(short).is_err());
    assert_eq!(chain.node.head().unwrap().number, 0, "nothing was committed");
    assert_eq!(chain.node.commit_candidate(build(true)).unwrap().number, 1);
}
