//! Transaction gossip for a node of a network: transactions this node's own clients submitted are
//! published to peers once the pool admits them, and peers' transactions enter the pool,
//! relayed onwards by gossipsub only when the pool admits them (cairn-network forwards nothing
//! before that verdict) and never published again by this node.

use std::sync::Arc;

use alloy_primitives::B256;
use cairn_mempool::PoolError;
use cairn_network::{InboundTx, NetworkConfig, NetworkHandle, Verdict};
use cairn_node::{Node, Origin};
use cairn_storage::KvStore;
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;
use tracing::debug;

/// Most gossiped transactions admitted together: what arrived while the previous batch was
/// being admitted, so a burst is recovered in parallel and a lone transaction is not delayed.
const GOSSIP_BATCH: usize = 512;

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
    ) -> Result<Self, cairn_network::NetworkError> {
        let (handle, mut inbound) = cairn_network::start(config).await?;
        let admit = {
            let (node, handle) = (node.clone(), handle.clone());
            tokio::spawn(async move {
                let mut batch = Vec::with_capacity(GOSSIP_BATCH);
                while inbound.recv_many(&mut batch, GOSSIP_BATCH).await > 0 {
                    let txs = std::mem::take(&mut batch);
                    for (tx, verdict) in admit(node.clone(), txs).await {
                        let _ = handle.validated(tx.id, tx.from, verdict);
                    }
                }
            })
        };
        let publish = {
            let handle = handle.clone();
            let mut local = node.subscribe_local();
            tokio::spawn(async move {
                loop {
                    match local.recv().await {
                        Ok(raw) => {
                            // A transaction peers already relayed is a duplicate; fine.
                            let _ = handle.broadcast_tx(raw.0);
                        }
                        Err(RecvError::Lagged(_)) => {}
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

/// Admits gossiped transactions together on the blocking pool, pairing each with its verdict
/// for the network.
async fn admit<K: KvStore>(node: Arc<Node<K>>, txs: Vec<InboundTx>) -> Vec<(InboundTx, Verdict)> {
    let raws: Vec<_> = txs.iter().map(|tx| tx.raw.clone()).collect();
    let admitted = tokio::task::spawn_blocking(move || node.submit_raw_batch(&raws, Origin::Peer));
    let verdicts = match admitted.await {
        Ok(Ok(admitted)) => admitted.into_iter().map(verdict).collect(),
        Ok(Err(e)) => {
            debug!(error = %e, "gossiped transactions not admitted here");
            vec![Verdict::Ignore; txs.len()]
        }
        Err(_) => vec![Verdict::Ignore; txs.len()],
    };
    txs.into_iter().zip(verdicts).collect()
}

/// What the network should do with a gossiped transaction the pool judged.
fn verdict(admitted: Result<B256, PoolError>) -> Verdict {
    match admitted {
        Ok(_) => Verdict::Accept,
        Err(e) if e.is_invalid_everywhere() => Verdict::Reject { reason: e.to_string() },
        Err(e) => {
            debug!(error = %e, "gossiped transaction not admitted here");
            Verdict::Ignore
        }
    }
}
