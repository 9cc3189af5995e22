//! Kill -9 at random moments while a node on disk keeps switching between two proof-of-work
//! branches, then restart: every time, the store holds one whole branch that the audit
//! accepts. The child is this same test binary running `reorg_crash_child`.

use std::sync::Arc;

use alloy_eips::eip2718::Encodable2718 as _;
use alloy_primitives::{Address, U256};
use cairn_consensus::test_utils::solve_work;
use cairn_consensus::{ConsensusRoles, PowConsensus};
use cairn_node::audit::verify_chain;
use cairn_node::{Imported, Node};
use cairn_primitives::test_utils::{ManualClock, pow_dev_spec};
use cairn_primitives::{Block, ChainSpec, dev_accounts};
use cairn_storage::{ChainStore, KvStore, MemoryKv, RedbKv};
use rand::{SeedableRng, rngs::StdRng};

use crate::support::{run_and_kill, sign, transfer};

const DIR_VAR: &str = "CAIRN_REORG_CRASH_DIR";

fn spec() -> ChainSpec {
    pow_dev_spec(64).unwrap()
}

fn open<K: KvStore>(kv: K, spec: &ChainSpec, clock: &Arc<ManualClock>) -> Node<K> {
    let roles = ConsensusRoles::of(Arc::new(PowConsensus::new(spec, Address::ZERO)));
    Node::open(kv, spec.clone(), roles).unwrap().with_clock(clock.clone())
}

/// Mines a block of `miner`'s pool holding a transfer from each of the first dev accounts.
fn mine(miner: &Node<MemoryKv>, clock: &ManualClock) -> Block {
    for (index, account) in dev_accounts(3).unwrap().iter().enumerate() {
        let nonce = miner.pending_nonce(account.address).unwrap();
        let to = Address::repeat_byte(0x40 + index as u8);
        miner.submit_raw(&sign(&account.signer, transfer(nonce, to, 1)).encoded_2718()).unwrap();
    }
    clock.advance(1000);
    let mut block = miner.build_candidate(Address::repeat_byte(0xc0)).unwrap().block;
    solve_work(&mut block.header);
    assert!(matches!(miner.import_block(block.clone()), Ok(Imported::Extended(_))));
    block
}

/// The total difficulty of `node`'s canonical chain.
fn head_work<K: KvStore>(node: &Node<K>) -> U256 {
    let snapshot = node.head_snapshot().unwrap();
    snapshot.total_difficulty(snapshot.head().unwrap().hash()).unwrap().unwrap()
}

/// Runs a node on disk that two in-memory miners keep pulling onto their branch, each in
/// turn mining until its branch outweighs the node's head and handing it over. Only
/// meaningful as a child process.
#[test]
#[ignore = "run by kill_nine_during_reorgs_leaves_one_whole_branch"]
fn reorg_crash_child() {
    let Ok(dir) = std::env::var(DIR_VAR) else { return };
    let path = std::path::Path::new(&dir).join("chain.redb");
    let kv = if path.exists() { RedbKv::open(&path) } else { RedbKv::create(&path) };
    let spec = spec();
    let clock = Arc::new(ManualClock::at(spec.timestamp * 1000 + 1000));
    let node = open(kv.unwrap(), &spec, &clock);
    let miners = [open(MemoryKv::new(), &spec, &clock), open(MemoryKv::new(), &spec, &clock)];
    for turn in 0.. {
        let miner = &miners[turn % 2];
        let mut branch = Vec::new();
        loop {
            branch.push(mine(miner, &clock));
            if head_work(miner) > head_work(&node) {
                break;
            }
        }
        for block in branch {
            node.import_block(block).unwrap();
        }
    }
}

#[test]
fn kill_nine_during_reorgs_leaves_one_whole_branch() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = StdRng::seed_from_u64(0x5e0);
    let spec = spec();
    let roles = ConsensusRoles::of(Arc::new(PowConsensus::new(&spec, Address::ZERO)));
    let mut verified = 0;
    for round in 0..6 {
        let child = "reorg_crash::reorg_crash_child";
        let Some(path) = run_and_kill(child, DIR_VAR, dir.path(), &mut rng) else { continue };
        let kv = RedbKv::open(&path).unwrap();
        let store = ChainStore::open(kv, &spec).unwrap();
        let report =
            verify_chain(&store, &spec, &roles).unwrap_or_else(|e| panic!("round {round}: {e}"));
        let head = store.head().unwrap();
        let work = store.snapshot().unwrap().total_difficulty(head.hash()).unwrap();
        assert_eq!(
            work,
            Some(alloy_primitives::U256::from(64 * (head.number + 1))),
            "round {round}"
        );
        verified += usize::from(report.height > 0);
    }
    assert!(verified > 0, "the child never committed a block");
    // The branches the node left are kept beside it: the child did switch.
    let kv = RedbKv::open(&dir.path().join("chain.redb")).unwrap();
    let store = ChainStore::open(kv, &spec).unwrap();
    assert!(!store.snapshot().unwrap().side_block_hashes(1).unwrap().is_empty(), "no reorg ran");
}
