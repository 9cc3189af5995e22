//! A dev node started through the library runs on an injected, simulated clock: its empty
//! blocks come at simulated block times and carry the injected clock's time.

use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::Address;
use cairn_launch::{EngineSetup, NodeBuilder};
use cairn_primitives::{ChainSpec, Clock};
use cairn_storage::MemoryKv;
use tokio::time::Instant;

/// 2023-11-14T22:13:20Z, where the simulated clock starts.
const EPOCH_MS: u64 = 1_700_000_000_000;

/// Unix time that moves with Tokio's (paused) clock.
#[derive(Debug)]
pub(crate) struct Simulated {
    start: Instant,
}

impl Simulated {
    /// A clock at `EPOCH_MS` now, moving with Tokio's.
    pub(crate) fn starting_now() -> Arc<Self> {
        Arc::new(Self { start: Instant::now() })
    }
}

impl Clock for Simulated {
    fn unix_millis(&self) -> u64 {
        EPOCH_MS + self.start.elapsed().as_millis() as u64
    }
}

#[tokio::test(start_paused = true)]
async fn a_dev_node_makes_its_blocks_on_simulated_time() {
    let clock = Simulated::starting_now();
    let engine =
        EngineSetup::Dev { block_time: Duration::from_secs(2), beneficiary: Address::ZERO };
    let node = NodeBuilder::new(ChainSpec::dev().unwrap(), MemoryKv::new(), engine)
        .with_clock(clock)
        .start()
        .await
        .unwrap();
    // Ten simulated seconds pass at once; the clock stands still while a block is built.
    tokio::time::sleep(Duration::from_millis(10_500)).await;
    let head = node.node().head().unwrap();
    assert_eq!(head.number, 5);
    for number in 1..=5 {
        let block = node.node().block(number).unwrap().unwrap();
        assert_eq!(block.header.timestamp_ms, EPOCH_MS + 2_000 * number, "block {number}");
    }
    node.stop(Duration::from_secs(1)).await;
}
