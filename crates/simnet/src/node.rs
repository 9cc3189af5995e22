//! Starting and crashing one life of a simulated node: the node library (`cairn-launch`, the
//! code `cairn node` starts nodes with) over an in-memory store, the in-process transport and
//! the network's simulated clock, plus the hub's transaction relay in place of libp2p gossip.

use std::sync::Arc;

use alloy_primitives::Address;
use bytes::Bytes;
use cairn_bft::{ConsensusSigner, EvidenceLog, Transport};
use cairn_consensus::AnyTransaction;
use cairn_launch::{BftSetup, EngineSetup, NodeBuilder, RunningNode};
use cairn_node::{Node, Origin};
use cairn_primitives::Clock;
use cairn_storage::MemoryKv;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::genesis::Genesis;
use crate::hub::Hub;
use crate::network::SimNetwork;
use crate::store::SimKv;
use crate::wal::{SharedWal, SimWal};

/// What a node keeps across its crashes: its identity and what its disk would hold.
pub(crate) struct Slot {
    pub(crate) index: usize,
    pub(crate) name: String,
    /// Its consensus key; `None` for a full node.
    pub(crate) signer: Option<ConsensusSigner>,
    pub(crate) fee_recipient: Address,
    /// What its proposals carry in `extra_data` (the double signer's copy differs).
    pub(crate) extra_data: alloy_primitives::Bytes,
    /// It ignores the chain's account rules ([`crate::NetBuilder::hostile`]).
    pub(crate) lawless: bool,
    pub(crate) memory: MemoryKv,
    pub(crate) wal: SharedWal,
    /// Equivocations it saw (a file beside its store on a real node; `reset_db` keeps it).
    pub(crate) evidence: Arc<EvidenceLog>,
}

/// One life of a running node.
pub(crate) struct Life {
    pub(crate) node: Arc<Node<SimKv>>,
    running: RunningNode<SimKv>,
    store: SimKv,
    tasks: Vec<JoinHandle<()>>,
}

/// Starts `slot`'s node over what its store and log hold, with its links in `hub` and its time
/// from `clock`; every block it commits wakes `progress`.
pub(crate) async fn start(
    slot: &Slot,
    genesis: &Genesis,
    hub: &Hub,
    clock: &Arc<dyn Clock>,
    progress: &Arc<Notify>,
) -> Life {
    let span = tracing::info_span!("node", i = slot.index);
    let store = SimKv::new(slot.memory.clone());
    let (txs, inbox) = mpsc::unbounded_channel();
    let life = hub.begin_life(slot.index, txs);
    let network = SimNetwork::spawn(slot.index, life, hub.clone())
        .instrument(span.clone())
        .await
        .expect("network actor");
    let wal = SimWal::spawn(slot.wal.clone()).instrument(span.clone()).await.expect("log actor");
    let engine = EngineSetup::Bft(BftSetup {
        moniker: slot.name.clone(),
        evidence: slot.evidence.clone(),
        signer: slot.signer.clone(),
        fee_recipient: slot.fee_recipient,
        extra_data: slot.extra_data.clone(),
        transport: Transport::InProcess { network, wal },
    });
    let mut builder =
        NodeBuilder::new(genesis.spec.clone(), store.clone(), engine).with_clock(clock.clone());
    if slot.lawless {
        builder = builder.with_account_rules(Arc::new(AnyTransaction));
    }
    let running = builder.start().instrument(span.clone()).await.expect("node");
    let node = running.node().clone();
    let tasks = vec![
        tokio::spawn(
            announce_blocks(node.subscribe_chain(), progress.clone()).instrument(span.clone()),
        ),
        tokio::spawn(
            relay_local(node.subscribe_local(), hub.clone(), slot.index, life)
                .instrument(span.clone()),
        ),
        tokio::spawn(admit_relayed(inbox, node.clone()).instrument(span)),
    ];
    Life { node, running, store, tasks }
}

impl Life {
    /// Ends this life as `kill -9` would: the store refuses further writes, consensus is
    /// killed mid-message, and the write-ahead log keeps only what was flushed.
    pub(crate) async fn crash(self, wal: &SharedWal) {
        self.store.close();
        for task in &self.tasks {
            task.abort();
        }
        self.running.abort().await;
        wal.lock().unwrap_or_else(std::sync::PoisonError::into_inner).crash();
    }
}

async fn announce_blocks(
    mut blocks: tokio::sync::broadcast::Receiver<cairn_node::ChainEvent>,
    progress: Arc<Notify>,
) {
    loop {
        match blocks.recv().await {
            Ok(_) | Err(RecvError::Lagged(_)) => progress.notify_one(),
            Err(RecvError::Closed) => return,
        }
    }
}

/// Hands the transactions this node's clients submit to the hub, which relays them to peers.
async fn relay_local(
    mut local: tokio::sync::broadcast::Receiver<alloy_primitives::Bytes>,
    hub: Hub,
    index: usize,
    life: u64,
) {
    loop {
        match local.recv().await {
            Ok(raw) => hub.relay_tx(index, life, raw.0),
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!(missed, "relay fell behind; transactions not relayed");
            }
            Err(RecvError::Closed) => return,
        }
    }
}

/// Admits transactions peers relayed, as gossip does: in batches, on the blocking pool.
async fn admit_relayed(mut inbox: mpsc::UnboundedReceiver<Bytes>, node: Arc<Node<SimKv>>) {
    while let Some(raw) = inbox.recv().await {
        let mut batch = vec![raw];
        while let Ok(more) = inbox.try_recv() {
            batch.push(more);
        }
        let node = node.clone();
        let admitted =
            tokio::task::spawn_blocking(move || node.submit_raw_batch(&batch, Origin::Peer)).await;
        if let Ok(Err(e)) = admitted {
            tracing::warn!(error = %e, "relayed transactions refused");
        }
    }
}
