//! A store that fails a write stops the node: no block is built, checked or committed and no
//! transaction admitted, and the block producer stops trying.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use alloy_primitives::Address;
use cairn_node::{BlockProducer, NodeError};
use cairn_storage::{KvStore, MemoryKv, StoreError, WriteBatch};

use crate::support::{Chain, PROPOSER, sign, transfer};

/// A memory store whose writes fail with "no space left" once `full` is set, and which then
/// keeps that failure as the real backend does.
#[derive(Clone, Default)]
struct FillableKv {
    inner: MemoryKv,
    full: Arc<AtomicBool>,
    writes: Arc<AtomicUsize>,
    failure: Arc<OnceLock<Arc<StoreError>>>,
}

fn no_space() -> StoreError {
    StoreError::Io(std::io::Error::from_raw_os_error(28))
}

impl KvStore for FillableKv {
    type Read = <MemoryKv as KvStore>::Read;

    fn read(&self) -> Result<Self::Read, StoreError> {
        self.inner.read()
    }

    fn write(&self, batch: WriteBatch) -> Result<(), StoreError> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        if let Some(failure) = self.failure.get() {
            return Err(StoreError::Failed(failure.clone()));
        }
        if self.full.load(Ordering::SeqCst) {
            self.failure.get_or_init(|| Arc::new(no_space()));
            return Err(no_space());
        }
        self.inner.write(batch)
    }

    fn failure(&self) -> Option<Arc<StoreError>> {
        self.failure.get().cloned()
    }
}

#[test]
fn a_failed_write_stops_blocks_and_transactions() {
    let kv = FillableKv::default();
    let chain = Chain::open(kv.clone());
    let to = Address::repeat_byte(0x21);
    chain.submit(&sign(chain.key(0), transfer(0, to, 1))).unwrap();
    let head = chain.mine();
    assert!(chain.node.storage_failure().is_none());

    chain.submit(&sign(chain.key(0), transfer(1, to, 1))).unwrap();
    kv.full.store(true, Ordering::SeqCst);
    let failed = chain.node.produce_block().unwrap_err();
    assert!(failed.to_string().contains("No space left on device"), "{failed}");
    assert_eq!(chain.node.head().unwrap(), head, "nothing was committed");

    let failure = chain.node.storage_failure().expect("the failure is kept");
    assert!(matches!(*failure, StoreError::Io(_)), "{failure}");
    let refused = chain.submit(&sign(chain.key(1), transfer(0, to, 1))).unwrap_err();
    assert!(matches!(refused, NodeError::NotAcceptingTransactions(_)), "{refused}");
    assert!(
        refused.to_string().starts_with(
            "node is not accepting transactions: storage error: I/O error: No space left on device"
        ),
        "{refused}"
    );
    let candidate = chain.node.build_candidate(PROPOSER).unwrap_err();
    assert!(matches!(candidate, NodeError::StorageFailed(_)), "{candidate}");
    let block = chain.node.block(head.number).unwrap().unwrap();
    let checked = chain.node.check_candidate(block).unwrap_err();
    assert!(matches!(checked, NodeError::StorageFailed(_)), "{checked}");

    // Reads still answer, from the last committed block.
    assert_eq!(chain.balance(to), alloy_primitives::U256::from(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_block_producer_stops_once_the_store_failed() {
    let kv = FillableKv::default();
    let chain = Chain::open(kv.clone());
    let producer = BlockProducer::start(chain.node.clone(), Duration::from_millis(5));
    let deadline = Instant::now() + Duration::from_secs(10);
    while chain.node.head().unwrap().number < 2 {
        assert!(Instant::now() < deadline, "no blocks produced");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    kv.full.store(true, Ordering::SeqCst);
    while chain.node.storage_failure().is_none() {
        assert!(Instant::now() < deadline, "the producer never hit the full store");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Forty block times later the producer has not tried again: it stopped.
    let attempts = kv.writes.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(kv.writes.load(Ordering::SeqCst), attempts);
    producer.stop().await;
}
