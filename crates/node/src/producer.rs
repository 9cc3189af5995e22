use std::sync::Arc;
use std::time::Duration;

use cairn_storage::KvStore;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tracing::error;

use crate::Node;

/// The dev chain's block loop: a block as soon as transactions are waiting, and an empty one
/// every block time otherwise (on a governed chain the contract's, read at the head before each
/// wait, so a voted change is used from the block after its boundary; elsewhere the one given). A Tokio task that waits on Tokio's time (so a paused, simulated
/// clock drives it) racing the node's admissions, and builds each block on the blocking pool;
/// stopped by [`BlockProducer::stop`], or for good when the store fails.
pub struct BlockProducer {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl BlockProducer {
    /// Starts producing blocks on `node`, on the current Tokio runtime, `block_time` apart
    /// unless the chain governs its block time.
    pub fn start<K: KvStore>(node: Arc<Node<K>>, block_time: Duration) -> Self {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(node, block_time, stopped));
        Self { stop, task }
    }

    /// Stops after the block in progress, if any, is committed.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            error!(error = %e, "the block producer ended abnormally");
        }
    }

    /// Stops at once, for a crash: a block being built on the blocking pool may still commit.
    pub fn abort(self) {
        self.task.abort();
    }
}

async fn run<K: KvStore>(
    node: Arc<Node<K>>,
    block_time: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut last = Instant::now();
    let mut woken = false;
    while !*stop.borrow_and_update() {
        if let Some(failure) = node.storage_failure() {
            error!(error = %failure, "block production stopped: the store failed");
            return;
        }
        if !woken {
            // A block time too long to add to the clock means no empty blocks at all.
            let due = last.checked_add(pause(&node, block_time));
            tokio::select! {
                changed = stop.changed() => {
                    if changed.is_err() {
                        return;
                    }
                }
                () = node.admitted() => woken = true,
                () = sleep_until(due) => woken = true,
            }
            continue;
        }
        let producer = node.clone();
        match tokio::task::spawn_blocking(move || producer.produce_block()).await {
            // A block that took transactions while more wait is followed at once.
            Ok(Ok(header)) => woken = header.gas_used > 0 && node.pending_count() > 0,
            Ok(Err(e)) => {
                error!(error = %e, "block production failed");
                woken = false;
            }
            Err(e) => {
                error!(error = %e, "block production panicked");
                woken = false;
            }
        }
        last = Instant::now();
    }
}

/// The time until the next empty block: the chain's governed block time at the head, else the
/// one the producer was started with (the operator's choice, `cairn dev --block-time`). A
/// governed value that cannot be read keeps the configured one, and says so.
fn pause<K: KvStore>(node: &Node<K>, configured: Duration) -> Duration {
    if node.spec().governance.is_none() {
        return configured;
    }
    node.block_time().unwrap_or_else(|e| {
        error!(error = %e, "cannot read the governed block time; using the configured one");
        configured
    })
}

/// Sleeps until `due`, or forever without one.
async fn sleep_until(due: Option<Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due).await,
        None => std::future::pending().await,
    }
}
