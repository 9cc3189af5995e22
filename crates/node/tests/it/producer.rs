//! The dev block loop: it runs on Tokio's time (a paused, simulated clock drives it), and a
//! block time too long to add to the clock means blocks only for transactions.

use std::time::Duration;

use tokio::time::Instant;

use alloy_primitives::Address;
use cairn_node::BlockProducer;

use crate::support::{Chain, sign, transfer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_time_beyond_the_clock_means_blocks_only_for_transactions() {
    let chain = Chain::new();
    let producer = BlockProducer::start(chain.node.clone(), Duration::MAX);
    chain.submit(&sign(chain.key(0), transfer(0, Address::repeat_byte(0x31), 1))).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while chain.node.head().unwrap().number < 1 {
        assert!(Instant::now() < deadline, "the transaction was never mined");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    producer.stop().await;
    assert_eq!(chain.node.head().unwrap().number, 1, "no empty blocks");
}

#[tokio::test(start_paused = true)]
async fn empty_blocks_follow_the_simulated_clock() {
    let chain = Chain::new();
    let producer = BlockProducer::start(chain.node.clone(), Duration::from_secs(3600));
    // Three simulated hours pass in moments; the clock stands still while a block is built.
    tokio::time::sleep(Duration::from_secs(3 * 3600 + 1)).await;
    assert_eq!(chain.node.head().unwrap().number, 3);
    // A transaction is mined at once, not at the next block time.
    chain.submit(&sign(chain.key(0), transfer(0, Address::repeat_byte(0x32), 1))).unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(chain.node.head().unwrap().number, 4);
    assert_eq!(chain.node.pending_count(), 0);
    producer.stop().await;
}
