//! The dev block loop's timing edge: a block time too long to add to the clock.

use std::time::{Duration, Instant};

use alloy_primitives::Address;
use cairn_node::BlockProducer;

use crate::support::{Chain, sign, transfer};

#[test]
fn a_block_time_beyond_the_clock_means_blocks_only_for_transactions() {
    let chain = Chain::new();
    let producer = BlockProducer::start(chain.node.clone(), Duration::MAX);
    chain.submit(&sign(chain.key(0), transfer(0, Address::repeat_byte(0x31), 1))).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while chain.node.head().unwrap().number < 1 {
        assert!(Instant::now() < deadline, "the transaction was never mined");
        std::thread::sleep(Duration::from_millis(5));
    }
    producer.stop();
    assert_eq!(chain.node.head().unwrap().number, 1, "no empty blocks");
}
