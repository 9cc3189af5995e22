use cairn_consensus::ConsensusError;
use cairn_execution::ExecError;
use cairn_mempool::PoolError;
use cairn_storage::StoreError;
use thiserror::Error;

/// Everything that can go wrong inside a node, one variant per component.
#[derive(Debug, Error)]
pub enum NodeError {
    /// The mempool refused a transaction.
    #[error(transparent)]
    Pool(#[from] PoolError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Execution failed.
    #[error(transparent)]
    Exec(#[from] ExecError),
    /// A header broke the consensus rules.
    #[error(transparent)]
    Consensus(#[from] ConsensusError),
}
