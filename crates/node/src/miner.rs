//! The proof-of-work miner: builds the head's child from the pool, searches nonces on its
//! own threads, and commits the block when one works. It starts again on a new head (a
//! mined block's or a peer's), on new transactions (at most every [`MIN_REBUILD`]), and
//! every block time (the child's time moves on, which lowers the difficulty it must carry).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use alloy_primitives::{B256, U256};
use cairn_consensus::{ConsensusError, pow};
use cairn_storage::KvStore;
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tracing::{debug, error, info, warn};

use crate::Node;

/// Least time between two rebuilds for transactions that arrived while mining: a stream of
/// transactions must leave the search time to find something.
const MIN_REBUILD: Duration = Duration::from_millis(250);

/// A running miner: a Tokio task that builds and commits, and the search threads of the
/// block in progress. Stopped by [`Miner::stop`], or for good when the store fails.
pub struct Miner {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Miner {
    /// Starts mining on `node` with `threads` search threads (at least one), paying the
    /// engine's beneficiary (the configured coinbase).
    pub fn start<K: KvStore>(node: Arc<Node<K>>, threads: usize) -> Self {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(node, threads.max(1), stopped));
        Self { stop, task }
    }

    /// Stops after the block being committed, if any; the search threads end within a few
    /// milliseconds.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            error!(error = %e, "the miner ended abnormally");
        }
    }

    /// Stops at once, for a crash: a block being committed on the blocking pool may still
    /// commit.
    pub fn abort(self) {
        self.task.abort();
    }
}

/// Why the search for one candidate ended.
enum Outcome {
    Found(u64),
    Rebuild,
    Stop,
}

async fn run<K: KvStore>(node: Arc<Node<K>>, threads: usize, mut stop: watch::Receiver<bool>) {
    let recommit = Duration::from_millis(node.spec().block_time_ms.max(1));
    let mut blocks = node.subscribe_chain();
    info!(threads, coinbase = %node.beneficiary(), "mining");
    while !*stop.borrow_and_update() {
        if let Some(failure) = node.storage_failure() {
            error!(error = %failure, "mining stopped: the store failed");
            return;
        }
        let builder = node.clone();
        let built =
            tokio::task::spawn_blocking(move || builder.build_candidate(builder.beneficiary()))
                .await;
        let mut candidate = match built {
            Ok(Ok(candidate)) => candidate,
            Ok(Err(e)) => {
                error!(error = %e, "cannot build a block to mine; trying again");
                if wait_or_stop(&mut stop, recommit).await {
                    return;
                }
                continue;
            }
            Err(e) => {
                error!(error = %e, "building a block to mine panicked; trying again");
                if wait_or_stop(&mut stop, recommit).await {
                    return;
                }
                continue;
            }
        };
        let Some(difficulty) = candidate.block.header.difficulty else {
            error!("this chain's blocks carry no difficulty: there is nothing to mine");
            return;
        };
        let Some(search) = Search::start(candidate.block.header.hash(), difficulty, threads) else {
            if wait_or_stop(&mut stop, recommit).await {
                return;
            }
            continue;
        };
        match search_until(search, &mut blocks, &node, &mut stop, recommit).await {
            Outcome::Found(nonce) => {
                candidate.block.header.seal = pow::seal(nonce);
                let committer = node.clone();
                match tokio::task::spawn_blocking(move || committer.commit_candidate(candidate))
                    .await
                {
                    Ok(Ok(header)) => debug!(number = header.number, %difficulty, "block mined"),
                    // A peer's block took the head while this one was sealed: the race every
                    // miner loses now and then, not a fault.
                    Ok(Err(crate::NodeError::Consensus(ConsensusError::ParentHash { .. }))) => {
                        info!("a mined block went stale: a peer's block took the head first");
                    }
                    Ok(Err(e)) => warn!(error = %e, "a mined block was not committed"),
                    Err(e) => error!(error = %e, "committing a mined block panicked"),
                }
                // Our own block is the new head, already known: skip its announcement.
                blocks = blocks.resubscribe();
            }
            Outcome::Rebuild => {}
            Outcome::Stop => return,
        }
    }
}

/// Waits for the search to find a nonce, or for a reason to start again.
async fn search_until<K: KvStore>(
    mut search: Search,
    blocks: &mut broadcast::Receiver<crate::ChainEvent>,
    node: &Node<K>,
    stop: &mut watch::Receiver<bool>,
    recommit: Duration,
) -> Outcome {
    let started = Instant::now();
    let rebuild_at = started + recommit;
    let mut transactions_waiting = false;
    loop {
        let early = if transactions_waiting { Some(started + MIN_REBUILD) } else { None };
        tokio::select! {
            found = search.found.recv() => {
                return found.map_or(Outcome::Rebuild, Outcome::Found);
            }
            block = blocks.recv() => {
                return match block {
                    Err(broadcast::error::RecvError::Closed) => Outcome::Stop,
                    _ => Outcome::Rebuild,
                };
            }
            () = node.admitted(), if !transactions_waiting => transactions_waiting = true,
            () = sleep_until(early) => return Outcome::Rebuild,
            () = tokio::time::sleep_until(rebuild_at) => return Outcome::Rebuild,
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    return Outcome::Stop;
                }
            }
        }
    }
}

/// Sleeps for `pause` unless told to stop first; true when told to stop.
async fn wait_or_stop(stop: &mut watch::Receiver<bool>, pause: Duration) -> bool {
    tokio::select! {
        changed = stop.changed() => changed.is_err() || *stop.borrow(),
        () = tokio::time::sleep(pause) => false,
    }
}

/// Sleeps until `due`, or forever without one.
async fn sleep_until(due: Option<Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due).await,
        None => std::future::pending().await,
    }
}

/// The nonce search for one candidate: each thread walks its own share of the nonces; the
/// first nonce found is sent, and dropping the search stops every thread.
struct Search {
    stop: Arc<AtomicBool>,
    found: mpsc::UnboundedReceiver<u64>,
}

impl Search {
    /// `None` when not one thread could be started (said in the log).
    fn start(seal_hash: B256, difficulty: U256, threads: usize) -> Option<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let (sender, found) = mpsc::unbounded_channel();
        let share = u64::MAX / threads as u64;
        let mut started = 0;
        for index in 0..threads as u64 {
            let (stop, sender) = (stop.clone(), sender.clone());
            let nonces = index * share..(index + 1) * share;
            let spawned =
                thread::Builder::new().name(format!("cairn-miner-{index}")).spawn(move || {
                    if let Some(nonce) = pow::search(seal_hash, difficulty, nonces, &stop) {
                        stop.store(true, Ordering::Relaxed);
                        let _ = sender.send(nonce);
                    }
                });
            match spawned {
                Ok(_) => started += 1,
                Err(e) => error!(error = %e, "cannot start a mining thread"),
            }
        }
        (started > 0).then_some(Self { stop, found })
    }
}

impl Drop for Search {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
