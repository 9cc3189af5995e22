//! What a proof-of-work reorg costs: a node whose chain is 64 blocks of 1,000 transfers each
//! switches to a heavier branch of 65 such blocks (kept as side blocks, their senders
//! recovered, until its last block arrives): unwinding 64 blocks, executing 65 on their
//! parents' state and writing the whole switch at once, all inside one `import_block`. On the
//! in-memory store (the computation alone) and on redb (what a node writes to disk).
//!
//! `cargo bench -p cairn-node --bench reorg`

#![allow(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::{Address, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use cairn_consensus::test_utils::solve_work;
use cairn_consensus::{ConsensusRoles, PowConsensus};
use cairn_node::{Imported, Node, Origin};
use cairn_primitives::test_utils::{ManualClock, pow_dev_spec, signed_transfer};
use cairn_primitives::{Block, ChainSpec, GenesisAccount};
use cairn_storage::{KvStore, MemoryKv, RedbKv};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

/// Blocks the node's branch holds above the common ancestor (genesis).
const DEPTH: u64 = 64;
/// Transfers in every block, one per sender.
const PER_BLOCK: usize = 1_000;

struct Fixture {
    spec: ChainSpec,
    /// Per branch, per block, its transfers (raw, signed once for every sample).
    transfers: [Vec<Vec<Vec<u8>>>; 2],
}

fn fixture() -> Fixture {
    let senders: Vec<PrivateKeySigner> = (1..=PER_BLOCK as u64)
        .map(|i| PrivateKeySigner::from_bytes(&B256::from(U256::from(i))).expect("key"))
        .collect();
    // Blocks of 1,000 transfers (21M gas) stay under the gas target, so the base fee never
    // outgrows the transfers' fee cap.
    let mut spec =
        ChainSpec { gas_limit: 60_000_000, ..pow_dev_spec(64).expect("proof-of-work spec") };
    for key in &senders {
        let funded = GenesisAccount { balance: U256::from(10u128.pow(21)), ..Default::default() };
        spec.alloc.insert(key.address(), funded);
    }
    let branch = |to: u8, blocks: u64| -> Vec<Vec<Vec<u8>>> {
        (0..blocks)
            .map(|nonce| {
                senders
                    .iter()
                    .map(|key| {
                        signed_transfer(key, spec.chain_id, nonce, Address::repeat_byte(to), 1)
                            .expect("sign")
                    })
                    .collect()
            })
            .collect()
    };
    let transfers = [branch(0xa0, DEPTH), branch(0xb0, DEPTH + 1)];
    Fixture { spec, transfers }
}

/// A node on the lighter branch holding the heavier one's first blocks as side blocks, and the
/// heavier branch's last block, whose import makes the switch.
fn prepared<K: KvStore>(fixture: &Fixture, store: impl Fn() -> K) -> (Node<K>, Block) {
    let clock = Arc::new(ManualClock::at(fixture.spec.timestamp * 1000 + 1000));
    let open = || {
        let roles = ConsensusRoles::of(Arc::new(PowConsensus::new(&fixture.spec, Address::ZERO)));
        let node = Node::open(store(), fixture.spec.clone(), roles).expect("open");
        node.with_clock(clock.clone())
    };
    let mine = |node: &Node<K>, raws: &[Vec<u8>]| {
        let admitted = node.submit_raw_batch(raws, Origin::Local).expect("submit");
        assert!(admitted.iter().all(Result::is_ok));
        clock.advance(1000);
        let mut block = node.build_candidate(Address::repeat_byte(0xc0)).expect("build").block;
        assert_eq!(block.transactions.len(), PER_BLOCK);
        solve_work(&mut block.header);
        assert!(matches!(node.import_block(block.clone()), Ok(Imported::Extended(_))));
        block
    };
    let (node, rival) = (open(), open());
    for raws in &fixture.transfers[0] {
        mine(&node, raws);
    }
    let mut heavier: Vec<Block> =
        fixture.transfers[1].iter().map(|raws| mine(&rival, raws)).collect();
    let last = heavier.pop().expect("a heavier branch");
    for block in heavier {
        assert!(matches!(node.import_block(block), Ok(Imported::Side(_))));
    }
    (node, last)
}

fn reorg(c: &mut Criterion) {
    let fixture = fixture();
    let mut group = c.benchmark_group("reorg");
    group.sample_size(10).measurement_time(Duration::from_secs(60));
    group.bench_function("64_blocks_of_1000_transfers/memory", |b| {
        b.iter_batched(|| prepared(&fixture, MemoryKv::new), switch, BatchSize::PerIteration);
    });
    let dir = tempfile::tempdir().expect("a temporary directory");
    let files = std::sync::atomic::AtomicU32::new(0);
    let redb = || {
        let n = files.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = dir.path().join(format!("chain-{n}.redb"));
        let store = RedbKv::create(&path).expect("create a store");
        // Unlinked at once: the open file lives until the node that holds it is dropped.
        std::fs::remove_file(&path).expect("unlink the store");
        store
    };
    group.bench_function("64_blocks_of_1000_transfers/redb", |b| {
        b.iter_batched(|| prepared(&fixture, redb), switch, BatchSize::PerIteration);
    });
    group.finish();
}

/// Imports the heavier branch's last block: the switch. Returns the node, so dropping it is
/// not measured.
fn switch<K: KvStore>((node, last): (Node<K>, Block)) -> Node<K> {
    let imported = node.import_block(last).expect("import");
    assert!(matches!(imported, Imported::Reorged(_)));
    node
}

criterion_group!(benches, reorg);
criterion_main!(benches);
