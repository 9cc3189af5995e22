//! Fork choice on a proof-of-work chain: two nodes mine apart from one genesis, then take each
//! other's blocks. The heavier branch wins (ties keep the first seen), the switch executes the
//! new branch and moves the abandoned transactions back to the pool, and invalid or unlinked
//! blocks change nothing.

use std::sync::Arc;

use alloy_primitives::{Address, B256, U256};
use cairn_consensus::test_utils::solve_work;
use cairn_consensus::{ConsensusRoles, PowConsensus, pow};
use cairn_node::{Imported, Node, NodeError};
use cairn_primitives::test_utils::{ManualClock, pow_dev_spec};
use cairn_primitives::{Block, dev_accounts};
use cairn_storage::MemoryKv;

use crate::support::{Chain, sign, transfer};

const COINBASE_A: Address = Address::repeat_byte(0xa1);
const COINBASE_B: Address = Address::repeat_byte(0xb1);
const FLOOR: u64 = 64;

struct Miners {
    a: Chain,
    b: Chain,
    /// Each block is mined a second after the one before, far later than the 20 ms block
    /// time, so every block's difficulty is the floor and a branch's work is its length.
    clock: Arc<ManualClock>,
}

fn miners() -> Miners {
    let spec = pow_dev_spec(FLOOR).unwrap();
    let clock = Arc::new(ManualClock::at(spec.timestamp * 1000 + 1000));
    let node = |coinbase| {
        let roles = ConsensusRoles::of(Arc::new(PowConsensus::new(&spec, coinbase)));
        let node = Node::open(MemoryKv::new(), spec.clone(), roles).unwrap();
        Chain {
            node: Arc::new(node.with_clock(clock.clone())),
            accounts: dev_accounts(10).unwrap(),
            memory: None,
        }
    };
    Miners { a: node(COINBASE_A), b: node(COINBASE_B), clock }
}

impl Miners {
    /// A block of `chain`'s pool on its head, with its work found, not yet imported.
    fn mine(&self, chain: &Chain, coinbase: Address) -> Block {
        self.clock.advance(1000);
        let mut block = chain.node.build_candidate(coinbase).unwrap().block;
        solve_work(&mut block.header);
        block
    }

    /// Mines a block on `chain` and imports it there (it extends the head).
    fn extend(&self, chain: &Chain, coinbase: Address) -> Block {
        let block = self.mine(chain, coinbase);
        assert!(matches!(chain.node.import_block(block.clone()), Ok(Imported::Extended(_))));
        block
    }
}

fn hashes(blocks: &[Block]) -> Vec<B256> {
    blocks.iter().map(Block::hash).collect()
}

#[test]
fn the_heavier_branch_wins_and_the_lighter_ones_transactions_return_to_the_pool() {
    let m = miners();
    let recipient = Address::repeat_byte(0x77);
    // A mines two blocks, the first holding a transfer only A saw; B mines three holding
    // another transfer only B saw.
    let only_a = m.a.submit(&sign(m.a.key(0), transfer(0, recipient, 1))).unwrap();
    let a_blocks = [m.extend(&m.a, COINBASE_A), m.extend(&m.a, COINBASE_A)];
    assert_eq!(a_blocks[0].transactions.len(), 1);
    let only_b = m.b.submit(&sign(m.b.key(1), transfer(0, recipient, 2))).unwrap();
    let b_blocks: Vec<Block> = (0..3).map(|_| m.extend(&m.b, COINBASE_B)).collect();

    // A takes B's branch: lighter, then as heavy (the first seen stays), then heavier.
    let a = &m.a.node;
    let work = |blocks: u64| U256::from(FLOOR * (blocks + 1));
    assert_eq!(a.import_block(b_blocks[0].clone()).unwrap(), Imported::Side(work(1)));
    assert_eq!(a.import_block(b_blocks[1].clone()).unwrap(), Imported::Side(work(2)));
    assert_eq!(a.head().unwrap().hash(), a_blocks[1].hash(), "a tie keeps the branch seen first");
    assert_eq!(a.import_block(b_blocks[1].clone()).unwrap(), Imported::Known);
    let Imported::Reorged(reorg) = a.import_block(b_blocks[2].clone()).unwrap() else {
        panic!("the heavier branch was not adopted");
    };
    assert_eq!(reorg.ancestor.number, 0);
    let abandoned: Vec<Block> = reorg.abandoned.iter().map(|(block, _)| block.clone()).collect();
    assert_eq!(hashes(&abandoned), hashes(&a_blocks));
    assert_eq!(reorg.abandoned[0].1.len(), 1, "the abandoned block's receipts come along");
    assert_eq!(
        reorg.adopted.iter().map(|h| h.hash()).collect::<Vec<_>>(),
        hashes(&b_blocks),
        "the adopted headers, oldest first"
    );
    assert_eq!(a.head().unwrap().hash(), b_blocks[2].hash());
    for (number, block) in b_blocks.iter().enumerate() {
        assert_eq!(a.block(number as u64 + 1).unwrap().as_ref(), Some(block));
    }
    assert!(a.transaction(only_a).unwrap().is_none(), "the abandoned transfer left the chain");
    assert!(a.pooled(only_a).is_some(), "and went back to the pool");
    assert!(a.transaction(only_b).unwrap().is_some());
    assert!(a.pooled(only_b).is_none());
    assert_eq!(m.a.balance(recipient), U256::from(2));
    assert_eq!(a.reorg_counts(), (1, 0));
    assert_eq!(a.account(COINBASE_A).unwrap(), None, "A's rewards went with its blocks");

    // B takes A's lighter blocks and stays; A's next block re-includes the transfer, and B
    // follows it.
    for block in &a_blocks {
        assert!(matches!(m.b.node.import_block(block.clone()), Ok(Imported::Side(_))));
    }
    assert_eq!(m.b.node.head().unwrap().hash(), b_blocks[2].hash());
    let next = m.extend(&m.a, COINBASE_A);
    assert_eq!(next.transactions.iter().map(|tx| *tx.tx_hash()).collect::<Vec<_>>(), [only_a]);
    assert!(matches!(m.b.node.import_block(next.clone()), Ok(Imported::Extended(_))));
    assert_eq!(m.b.node.head().unwrap(), m.a.node.head().unwrap());
    assert_eq!(m.b.balance(recipient), U256::from(3), "each transfer exactly once");
    let report = a.verify(&mut |_| {}).expect("the adopted chain passes the audit");
    assert_eq!(report.height, 4);
}

#[test]
fn a_heavier_branch_with_an_invalid_block_changes_nothing() {
    let m = miners();
    let a_head = m.extend(&m.a, COINBASE_A);
    let first = m.extend(&m.b, COINBASE_B);
    // B's second block claims a state it does not have; its work is real.
    let mut bad = m.mine(&m.b, COINBASE_B);
    bad.header.state_root = B256::repeat_byte(0x5e);
    solve_work(&mut bad.header);

    let a = &m.a.node;
    assert!(matches!(a.import_block(first), Ok(Imported::Side(_))));
    let refused = a.import_block(bad.clone()).expect_err("the invalid branch is not adopted");
    assert!(matches!(refused, NodeError::Exec(_) | NodeError::InvalidBlock { .. }), "{refused}");
    assert_eq!(a.head().unwrap().hash(), a_head.hash(), "the head stayed");
    assert_eq!(a.reorg_counts(), (0, 0));
    assert!(a.verify(&mut |_| {}).is_ok());
    assert!(matches!(a.import_block(bad), Err(NodeError::InvalidBlock { .. })));
}

#[test]
fn blocks_without_their_work_or_their_parent_are_refused() {
    let m = miners();
    m.extend(&m.a, COINBASE_A);
    let first = m.extend(&m.b, COINBASE_B);
    let second = m.mine(&m.b, COINBASE_B);
    let a = &m.a.node;
    match a.import_block(second.clone()) {
        Err(NodeError::UnknownParent { number: 2, parent }) => assert_eq!(parent, first.hash()),
        other => panic!("expected an unknown parent, got {other:?}"),
    }
    let mut lazy = first.clone();
    lazy.header.seal = pow::seal(
        (0u64..)
            .find(|n| !pow::meets(first.header.hash(), *n, first.header.difficulty.unwrap()))
            .unwrap(),
    );
    assert!(matches!(a.import_block(lazy), Err(NodeError::Consensus(_))));
    let mut swapped = first.clone();
    swapped.transactions = second.transactions.clone();
    swapped.transactions.push(sign(m.b.key(3), transfer(0, COINBASE_B, 1)));
    assert!(matches!(a.import_block(swapped), Err(NodeError::InvalidBlock { .. })));
    assert_eq!(a.import_block(first).map(|i| matches!(i, Imported::Side(_))).ok(), Some(true));
}
