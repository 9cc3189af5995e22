//! Proof-of-work nodes on the in-process network: miners drawn from the seed agree on one
//! chain; a partition grows two branches and healing leaves every node on the heavier one
//! with the minority's transaction mined again once; a peer feeding invalid work is banned;
//! a flood of low-work forks stays within the side-block and orphan bounds.

use std::time::Duration;

use alloy_primitives::{Address, Bytes};
use bytes::Bytes as RawBytes;
use cairn_node::Imported;
use cairn_pow::{Topic, Transport, wire};
use cairn_primitives::test_utils::signed_transfer;
use cairn_primitives::{Block, dev_accounts};
use cairn_simnet::{PowNet, run};

use crate::SEEDS;

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
        let mut net = PowNet::start(seed, 3).await;
        net.mine_among(&[0, 1, 2], 3).await;
        net.agree(&[0, 1, 2]).await;

        // Cut off, node 2 mines a transfer only it saw into a branch of two blocks while
        // nodes 0 and 1 mine four.
        net.hub().partition(&[&[0, 1], &[2]]);
        let sender = &dev_accounts(1).unwrap()[0];
        let spec = net.node(2).spec().clone();
        let raw =
            signed_transfer(&sender.signer, spec.chain_id, 0, Address::repeat_byte(7), 5).unwrap();
        let hash = net.node(2).submit_raw(&raw).unwrap();
        let minority = net.mine_among(&[2], 2).await;
        assert_eq!(minority[0].transactions.len(), 1);
        net.mine_among(&[0, 1], 4).await;
        let majority = net.agree(&[0, 1]).await;
        assert_ne!(net.heads()[2], majority);

        // Healed: node 2 switches to the heavier branch; its transfer goes back to its pool
        // and is mined once more, on the one chain everyone holds.
        net.hub().heal();
        net.until("node 2 takes the heavier branch", |net| net.heads()[2] == majority).await;
        assert_eq!(net.node(2).reorg_counts().0, 1);
        assert!(net.node(2).pooled(hash).is_some(), "the abandoned transfer is pooled again");
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
