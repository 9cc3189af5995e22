use cairn_storage::StoreError;
use thiserror::Error;

/// Why a transaction or a block could not be executed.
#[derive(Debug, Error)]
pub enum ExecError {
    /// The transaction is not valid in this state (nonce, balance, gas, fee); nothing changed.
    #[error("invalid transaction: {reason}")]
    InvalidTx {
        /// What revm or the block rules rejected.
        reason: String,
    },
    /// A block's contents disagree with its header or with the rules.
    #[error("invalid block {number}: {reason}")]
    InvalidBlock {
        /// The block's number.
        number: u64,
        /// What differs.
        reason: String,
    },
    /// The store failed while executing; the node cannot continue this block.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// revm failed for a reason that is not the transaction's fault.
    #[error("evm failure: {0}")]
    Evm(String),
}

/// The store error as revm's database error type.
#[derive(Debug, Error)]
#[error(transparent)]
pub(crate) struct DbError(#[from] pub(crate) StoreError);

impl revm::database_interface::DBErrorMarker for DbError {}
