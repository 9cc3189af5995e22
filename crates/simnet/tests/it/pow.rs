//! Proof-of-work nodes on the in-process network: miners drawn from the seed agree on one
//! chain; a partition grows two branches and healing leaves every node on the heavier one,
//! tells the minority's readers which blocks and logs were taken back, and mines the
//! minority's transaction again once; the difficulty follows the hash rate when
//! it doubles or halves; a peer feeding invalid work is banned; a flood of low-work forks stays
//! within the side-block and orphan bounds.

use std::time::Duration;

use alloy_primitives::{Address, Bytes, TxKind};
use alloy_rpc_types_eth::Filter;
use bytes::Bytes as RawBytes;
use cairn_node::Imported;
use cairn_pow::{Topic, Transport, wire};
use cairn_primitives::test_utils::signed_call;
use cairn_primitives::{Block, GenesisAccount, Header, dev_accounts};
use cairn_reads::ChainEvent;
use cairn_simnet::{PowNet, run};

use crate::SEEDS;

/// Where the logging contract lives.
const LOGGER_AT: Address = Address::repeat_byte(0x10);
/// A contract that emits one log (topic 1, no data) on any call:
/// `PUSH1 1, PUSH1 0, PUSH1 0, LOG1, STOP`.
const LOGGER: [u8; 8] = [0x60, 0x01, 0x60, 0x00, 0x60, 0x00, 0xa1, 0x00];

#[test]
fn three_miners_agree_on_one_chain() {
    run("three_miners_agree_on_one_chain", &SEEDS, |seed| async move {
        let mut net = PowNet::start(seed, 3).await;
        let mined = net.mine_among(&[0, 1, 2], 20).await;
        let head = net.agree(&[0, 1, 2]).await;
        assert_eq!(net.node(0).head().unwrap().number, 20);
        assert_eq!(head, mined.last().unwrap().hash());
        for i in 0..3 {
            net.node(i).verify(&mut |_| {}).unwrap();
        }
        net.stop().await;
    });
}

#[test]
fn a_healed_partition_adopts_the_heavier_branch_and_loses_no_transaction() {
    let name = "a_healed_partition_adopts_the_heavier_branch_and_loses_no_transaction";
    run(name, &SEEDS, |seed| async move {
        let logger = GenesisAccount { code: Bytes::from_static(&LOGGER), ..Default::default() };
        let mut net = PowNet::start_with(seed, 3, |spec| {
            spec.alloc.insert(LOGGER_AT, logger);
        })
        .await;
        net.mine_among(&[0, 1, 2], 3).await;
        let ancestor = net.agree(&[0, 1, 2]).await;

        // Cut off, node 2 mines a call only it saw (its log read by node 2's subscribers) into
        // a branch of two blocks while nodes 0 and 1 mine four.
        net.hub().partition(&[&[0, 1], &[2]]);
        let sender = &dev_accounts(1).unwrap()[0];
        let spec = net.node(2).spec().clone();
        let call = TxKind::Call(LOGGER_AT);
        let raw = signed_call(&sender.signer, spec.chain_id, 0, call, Bytes::new(), 50_000);
        let hash = net.node(2).submit_raw(&raw.unwrap()).unwrap();
        let minority = net.mine_among(&[2], 2).await;
        assert_eq!(minority[0].transactions.len(), 1);
        net.mine_among(&[0, 1], 4).await;
        let majority = net.agree(&[0, 1]).await;
        assert_ne!(net.heads()[2], majority);

        // Healed: node 2 switches to the heavier branch and tells its readers (what its
        // `logs` subscriptions, filters and REST streams are made of): the two blocks taken
        // back, the call's log removed, the new branch's heads. The call goes back to its pool
        // and is mined once more, on the one chain everyone holds.
        let mut events = net.node(2).subscribe_chain();
        net.hub().heal();
        net.until("node 2 takes the heavier branch", |net| net.heads()[2] == majority).await;
        assert_eq!(net.node(2).reorg_counts().0, 1);
        let Ok(ChainEvent::Reorg(reorg)) = events.try_recv() else {
            panic!("the switch is announced first");
        };
        assert_eq!(reorg.ancestor.hash(), ancestor);
        let abandoned: Vec<_> = reorg.abandoned.iter().map(|(block, _)| block.hash()).collect();
        assert_eq!(abandoned, minority.iter().map(Block::hash).collect::<Vec<_>>());
        let removed = reorg.removed_logs(&Filter::new().address(LOGGER_AT));
        assert_eq!(removed.len(), 1);
        assert_eq!((removed[0].tx_hash, removed[0].block_hash), (hash, minority[0].hash()));
        let heads: Vec<_> = std::iter::from_fn(|| events.try_recv().ok())
            .map(|event| match event {
                ChainEvent::Head(header) => header.hash(),
                other => panic!("after the switch only heads: {other:?}"),
            })
            .collect();
        // The switch's own heads, then those of blocks that extended the branch after it.
        let adopted: Vec<_> = reorg.adopted.iter().map(Header::hash).collect();
        assert_eq!(heads[..adopted.len()], adopted);
        assert_eq!(heads.last(), Some(&majority));
        assert!(net.node(2).pooled(hash).is_some(), "the abandoned call is pooled again");
        net.mine(2).await;
        net.agree(&[0, 1, 2]).await;
        for i in 0..3 {
            let found = net.node(i).transaction(hash).unwrap().expect("mined");
            assert_eq!(found.block_number, 8, "node {i}");
            net.node(i).verify(&mut |_| {}).unwrap();
        }
        net.stop().await;
    });
}

#[test]
fn block_times_return_within_20_percent_of_the_target_within_100_blocks() {
    let name = "block_times_return_within_20_percent_of_the_target_within_100_blocks";
    run(name, &SEEDS, |seed| async move {
        // A floor of 1,024 keeps the difficulty where rounding to whole numbers is no bias
        // (two miners sustain 2,048), and the first blocks within a peer's share of gossip.
        let mut net = PowNet::start_with(seed, 2, |spec| {
            spec.pow.as_mut().expect("proof of work").min_difficulty = 1024;
        })
        .await;
        // From the floor, the difficulty climbs to what the two miners' hash rate sustains.
        net.mine_by_work(&[0, 1], 150).await;
        for (rates, change) in [([3, 1], "doubled"), ([1, 1], "halved")] {
            net.set_rate(0, rates[0]);
            net.set_rate(1, rates[1]);
            net.mine_by_work(&[0, 1], 100).await;
            let from = settle(&mut net).await;
            net.mine_by_work(&[0, 1], 100).await;
            settle(&mut net).await;
            // The canonical chain's lottery blocks, up to the block before the settling one.
            let snapshot = net.node(0).head_snapshot().unwrap();
            let to = snapshot.header(snapshot.head().unwrap().number - 1).unwrap().unwrap();
            let mean = (to.timestamp_ms - from.timestamp_ms) / (to.number - from.number);
            let target = net.node(0).spec().block_time_ms;
            assert!(
                mean.abs_diff(target) * 5 < target,
                "seed {}: the hash rate {change}, then blocks 100 to {} after took {mean} ms \
                 each on average, not within 20% of {target} ms",
                seed.0,
                to.number - from.number + 100,
            );
        }
        net.node(0).verify(&mut |_| {}).unwrap();
        net.stop().await;
    });
}

/// Blocks a moment apart can fork two miners onto branches of equal work, where each keeps
/// its own (ties go to the branch seen first): one more block, a block time later, settles
/// them on one chain. Returns its head.
async fn settle(net: &mut PowNet) -> Header {
    net.mine_among(&[0], 1).await;
    net.agree(&[0, 1]).await;
    net.node(0).head().unwrap()
}

#[test]
fn a_peer_feeding_invalid_work_is_banned() {
    run("a_peer_feeding_invalid_work_is_banned", &SEEDS, |seed| async move {
        let mut net = PowNet::start(seed, 2).await;
        net.mine_among(&[0, 1], 3).await;
        let head = net.agree(&[0, 1]).await;
        let (hostile, _events) = net.hub().join();
        let workshop = net.workshop();
        for round in 0..4u8 {
            let mut block = workshop.build_candidate(Address::ZERO).unwrap().block;
            block.header.extra_data = Bytes::from(vec![round]);
            let difficulty = block.header.difficulty.unwrap();
            let wrong = (0..)
                .find(|n| !cairn_consensus::pow::meets(block.header.hash(), *n, difficulty))
                .unwrap();
            block.header.seal = cairn_consensus::pow::seal(wrong);
            hostile.publish(Topic::Blocks, RawBytes::from(wire::encode_block(&block))).await;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        net.until("both nodes banned the hostile peer", |net| {
            net.hub().banned(0, 2) && net.hub().banned(1, 2)
        })
        .await;
        assert_eq!(net.heads(), vec![head, head]);
        net.stop().await;
    });
}

#[test]
fn a_flood_of_low_work_forks_stays_within_its_bounds() {
    run("a_flood_of_low_work_forks_stays_within_its_bounds", &SEEDS, |seed| async move {
        let mut net = PowNet::start(seed, 2).await;
        // The hostile peer's branch is built first, so its blocks are older than the honest
        // chain's head yet still within reach of a reorg.
        let workshop = net.workshop();
        let mut forks: Vec<Block> = Vec::new();
        for variant in 0..40u8 {
            let mut block = workshop.build_candidate(Address::ZERO).unwrap().block;
            block.header.extra_data = Bytes::from(vec![variant]);
            PowNet::seal(&mut block);
            forks.push(block);
        }
        let trunk = forks[0].clone();
        assert!(matches!(workshop.import_block(trunk).unwrap(), Imported::Extended(_)));
        for _ in 0..10 {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let mut block = workshop.build_candidate(Address::ZERO).unwrap().block;
            PowNet::seal(&mut block);
            workshop.import_block(block.clone()).unwrap();
            forks.push(block);
        }
        net.mine_among(&[0, 1], 20).await;
        let head = net.agree(&[0, 1]).await;

        // Sent four times over, faster than any peer's share: the excess costs the sender.
        let (hostile, _events) = net.hub().join();
        for _ in 0..4 {
            for block in &forks {
                hostile.publish(Topic::Blocks, RawBytes::from(wire::encode_block(block))).await;
            }
        }
        net.until("both nodes banned the flooding peer", |net| {
            net.hub().banned(0, 2) && net.hub().banned(1, 2)
        })
        .await;
        assert_eq!(net.heads(), vec![head, head], "a lighter branch changes no head");
        for i in 0..2 {
            let snapshot = net.node(i).head_snapshot().unwrap();
            // Of the forty forks at height 1, eight are kept: the cap, not the flood.
            assert_eq!(
                snapshot.side_block_hashes(1).unwrap().len(),
                cairn_storage::SIDE_BLOCKS_PER_HEIGHT,
                "node {i}"
            );
            for height in 1..=11 {
                let kept = snapshot.side_block_hashes(height).unwrap().len();
                assert!(kept <= cairn_storage::SIDE_BLOCKS_PER_HEIGHT, "node {i} height {height}");
            }
        }
        net.stop().await;
    });
}
