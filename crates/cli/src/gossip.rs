//! Transaction gossip for `cairn node`: transactions admitted to this node's pool are
//! published to peers, and peers' transactions enter the pool, relayed onwards only when the
//! pool admits them (cairn-network forwards nothing before that verdict).

use std::sync::Arc;

use alloy_eips::eip2718::Encodable2718;
use cairn_network::{NetworkConfig, NetworkHandle, Verdict};
use cairn_node::{Node, NodeError, NodeEvent};
use cairn_storage::KvStore;
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;
use tracing::debug;

/// The gossip network and the two tasks that connect it to the node.
pub(crate) struct Gossip {
    handle: NetworkHandle,
    tasks: [JoinHandle<()>; 2],
}

impl Gossip {
    /// Starts the network and connects it to `node`.
    pub(crate) async fn start<K: KvStore>(
        node: Arc<Node<K>>,
        config: NetworkConfig,
    ) -> anyhow::Result<Self> {
        let (handle, mut inbound) = cairn_network::start(config).await?;
        let admit = {
            let (node, handle) = (node.clone(), handle.clone());
            tokio::spawn(async move {
                while let Some(tx) = inbound.recv().await {
                    let pool = node.clone();
                    let raw = tx.raw.clone();
                    let verdict =
                        match tokio::task::spawn_blocking(move || pool.submit_raw(&raw)).await {
                            Ok(Ok(_)) => Verdict::Accept,
                            Ok(Err(NodeError::Pool(e))) if e.is_invalid_everywhere() => {
                                Verdict::Reject { reason: e.to_string() }
                            }
                            Ok(Err(e)) => {
                                debug!(error = %e, "gossiped transaction not admitted here");
                                Verdict::Ignore
                            }
                            Err(_) => Verdict::Ignore,
                        };
                    let _ = handle.validated(tx.id, tx.from, verdict);
                }
            })
        };
        let publish = {
            let handle = handle.clone();
            let mut events = node.subscribe();
            tokio::spawn(async move {
                loop {
                    match events.recv().await {
                        Ok(NodeEvent::PendingTx(hash)) => {
                            if let Some(pooled) = node.pooled(hash) {
                                let raw = pooled.tx.encoded_2718();
                                // A transaction peers already relayed is a duplicate; fine.
                                let _ = handle.broadcast_tx(raw.into());
                            }
                        }
                        Ok(NodeEvent::Block(_)) | Err(RecvError::Lagged(_)) => {}
                        Err(RecvError::Closed) => break,
                    }
                }
            })
        };
        Ok(Self { handle, tasks: [admit, publish] })
    }

    /// The network itself, for reporting its peers.
    pub(crate) fn handle(&self) -> NetworkHandle {
        self.handle.clone()
    }

    /// Stops the network and its tasks.
    pub(crate) async fn stop(self) {
        for task in &self.tasks {
            task.abort();
        }
        self.handle.shutdown().await;
    }
}
