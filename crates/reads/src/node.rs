//! Everything else the JSON-RPC and REST servers need of a node: its pool, simulations,
//! submissions, events and the node itself.

use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::{Address, B256, Bytes};
use alloy_rpc_types_eth::state::StateOverride;
use alloy_rpc_types_eth::{AccessListResult, BlockOverrides, TransactionRequest};
use cairn_consensus::ConsensusReads;
use cairn_execution::CallOutcome;
use cairn_mempool::{PoolError, PooledTx};
use cairn_primitives::{Block, ChainSpec};
use cairn_storage::StoreError;
use tokio::sync::broadcast;

use crate::{
    CallBlock, ChainEvent, ChainReader, FeeSuggestion, NodeError, Origin, VerifyFailure,
    VerifyProgress, VerifyReport,
};

/// The transaction pool as readers see it.
pub trait PoolReader: Send + Sync {
    /// A transaction waiting in the pool.
    fn pooled(&self, hash: B256) -> Option<PooledTx>;

    /// Copies of the pool's ready and queued (nonce-gap) transactions, by sender then nonce.
    fn pool_content(&self) -> (Vec<PooledTx>, Vec<PooledTx>);

    /// How many transactions wait ready, and how many behind a nonce gap.
    fn pool_counts(&self) -> (usize, usize);

    /// The next nonce of `address`, counting its ready pool transactions (the `pending` tag).
    fn pending_nonce(&self, address: Address) -> Result<u64, NodeError>;

    /// The block the node would add next if it were made now, never committed, with its
    /// senders: what the `pending` block shows.
    fn pending_block(&self) -> Result<(Block, Vec<Address>), NodeError>;
}

/// Calls run against the chain without committing (`eth_call`, `eth_estimateGas`,
/// `eth_createAccessList`).
pub trait Simulator: Send + Sync {
    /// Runs `request` in `block`.
    fn call(
        &self,
        request: &TransactionRequest,
        block: CallBlock,
        state: Option<&StateOverride>,
        overrides: Option<&BlockOverrides>,
    ) -> Result<CallOutcome, NodeError>;

    /// Least gas that makes `request` succeed in `block`.
    fn estimate_gas(
        &self,
        request: &TransactionRequest,
        block: CallBlock,
        state: Option<&StateOverride>,
    ) -> Result<u64, NodeError>;

    /// The storage `request` touches in `block`, and the gas it uses with that access list.
    fn create_access_list(
        &self,
        request: &TransactionRequest,
        block: CallBlock,
    ) -> Result<AccessListResult, NodeError>;
}

/// Handing the node transactions: not a read, but what both servers need beside reads.
pub trait TxSubmitter: Send + Sync {
    /// Admits one raw signed transaction (EIP-2718 bytes) from a local client.
    fn submit_raw(&self, raw: &[u8]) -> Result<B256, NodeError>;

    /// Admits many at once (senders recovered in parallel, the pool lock taken once), one
    /// verdict each, in order; the outer error is a store failure that refused them all.
    fn submit_raw_batch(
        &self,
        raws: &[Bytes],
        origin: Origin,
    ) -> Result<Vec<Result<B256, PoolError>>, NodeError>;
}

/// What happens from now on.
pub trait NodeEvents: Send + Sync {
    /// The chain's changes from now on: each block as it becomes the head, and each switch to
    /// another branch (proof of work) before the adopted blocks.
    fn subscribe_chain(&self) -> broadcast::Receiver<ChainEvent>;

    /// Hashes of the transactions admitted to the pool from now on.
    fn subscribe_pending(&self) -> broadcast::Receiver<B256>;

    /// Transactions this node's own clients submitted, as admitted (what gossip announces).
    fn subscribe_local(&self) -> broadcast::Receiver<Bytes>;
}

/// Everything the JSON-RPC and REST servers read from a node.
pub trait NodeReads: ChainReader + PoolReader + Simulator + NodeEvents + 'static {
    /// The chain spec the node runs.
    fn spec(&self) -> &ChainSpec;

    /// The engine: its validators, who signed a block, what it saw go wrong. How final the
    /// chain is comes from [`crate::ChainView::heads`], not from here.
    fn consensus(&self) -> &dyn ConsensusReads;

    /// Whether the node is still catching up with its peers.
    fn syncing(&self) -> bool;

    /// The fees to offer now, by the rules JSON-RPC's fee suggestions follow.
    fn fee_suggestion(&self) -> Result<FeeSuggestion, NodeError>;

    /// How long producing block `number` took, if it is the newest one this node produced.
    fn production_time(&self, number: u64) -> Option<Duration>;

    /// Transaction senders recovered from signatures since the node started.
    fn tx_recoveries(&self) -> u64;

    /// Switches to a heavier branch since the node started, and switches refused as deeper
    /// than the store can unwind.
    fn reorg_counts(&self) -> (u64, u64);

    /// The store's failure, after which the node has stopped (fail-stop).
    fn storage_failure(&self) -> Option<Arc<StoreError>>;

    /// Re-checks the whole stored chain as `cairn verify` does, reporting progress.
    fn verify(
        &self,
        progress: &mut dyn FnMut(VerifyProgress),
    ) -> Result<VerifyReport, VerifyFailure>;
}

/// A node as the servers see it: its reads and transaction submission.
pub trait ServedNode: NodeReads + TxSubmitter {}

impl<T: NodeReads + TxSubmitter> ServedNode for T {}
