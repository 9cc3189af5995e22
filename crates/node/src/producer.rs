use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use cairn_storage::KvStore;
use tracing::error;

use crate::Node;

/// The dev chain's block loop: a block as soon as transactions are waiting, and an empty one
/// every `block_time` otherwise. Runs on its own thread; stopped by [`BlockProducer::stop`],
/// or for good when the store fails.
pub struct BlockProducer {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl BlockProducer {
    /// Starts producing blocks on `node`.
    pub fn start<K: KvStore>(node: Arc<Node<K>>, block_time: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("block-producer".into())
            .spawn(move || run(&node, block_time, &flag))
            .ok();
        if thread.is_none() {
            error!("cannot start the block producer thread");
        }
        Self { stop, thread }
    }

    /// Stops after the block in progress, if any, is committed.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// How often the loop looks at the stop flag while idle.
const POLL: Duration = Duration::from_millis(100);

fn run<K: KvStore>(node: &Node<K>, block_time: Duration, stop: &AtomicBool) {
    let mut last = Instant::now();
    let mut woken = false;
    while !stop.load(Ordering::SeqCst) {
        if let Some(failure) = node.storage_failure() {
            error!(error = %failure, "block production stopped: the store failed");
            return;
        }
        // A block time too long to add to the clock means no empty blocks at all.
        let due = last.checked_add(block_time);
        let now = Instant::now();
        if !woken && due.is_none_or(|due| now < due) {
            let wait = due.map_or(POLL, |due| (due - now).min(POLL));
            match node.woken().recv_timeout(wait) {
                Ok(()) => woken = true,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
            continue;
        }
        match node.produce_block() {
            // A block that took transactions while more wait is followed at once.
            Ok(header) => woken = header.gas_used > 0 && node.pending_count() > 0,
            Err(e) => {
                error!(error = %e, "block production failed");
                woken = false;
            }
        }
        last = Instant::now();
    }
}
