//! Fail-stop on storage errors: once the store fails (a full disk, an I/O error, a damaged
//! file), the node stops producing, voting and admitting transactions, answers readiness with
//! 503 and the reason for [`DRAIN`], and then exits non-zero, so a supervisor restarts it once
//! the cause is fixed. A restart reopens the store, which redb recovers to its last commit.

use std::sync::Arc;
use std::time::Duration;

use cairn_node::Node;
use cairn_storage::{KvStore, StoreError};
use tracing::error;

use crate::signals::StopSignals;

/// How long a node whose store failed keeps answering (readiness 503, transactions refused
/// with the reason) before it exits, so load balancers and clients learn why it goes away.
pub(crate) const DRAIN: Duration = Duration::from_secs(10);

/// How often the serving loop looks at the store's health.
const POLL: Duration = Duration::from_millis(100);

/// Serves until a stop signal (`None`) or a storage failure. On a failure `halt` runs at once
/// (stopping block production or consensus), the node keeps answering for [`DRAIN`] or until
/// a stop signal, and the failure is returned for the process to exit non-zero.
pub(crate) async fn serve<K: KvStore>(
    stop: StopSignals,
    node: &Node<K>,
    halt: impl FnOnce(),
) -> Option<Arc<StoreError>> {
    let stopped = stop.wait();
    tokio::pin!(stopped);
    let mut poll = tokio::time::interval(POLL);
    let failure = loop {
        tokio::select! {
            () = &mut stopped => return None,
            _ = poll.tick() => {
                if let Some(failure) = node.storage_failure() {
                    break failure;
                }
            }
        }
    };
    error!(
        error = %failure,
        drain = ?DRAIN,
        "the store failed: blocks and transactions stopped; exiting after the drain period"
    );
    halt();
    tokio::select! {
        () = &mut stopped => {}
        () = tokio::time::sleep(DRAIN) => {}
    }
    Some(failure)
}

/// The error a node exits with after a storage failure.
pub(crate) fn exit_error(failure: &StoreError) -> anyhow::Error {
    anyhow::anyhow!(
        "stopped after a storage failure: {failure}; fix the cause (free disk space, restore a damaged store) and restart"
    )
}
