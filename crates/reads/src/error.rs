//! What a node answers with when it cannot answer: one variant per component behind it.

use std::sync::Arc;

use alloy_primitives::B256;
use cairn_consensus::ConsensusError;
use cairn_execution::{CallError, CallOutcome, ExecError};
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
    /// A simulated call reverted or halted where it had to succeed (gas estimation); the
    /// message is geth's ("execution reverted: <reason>", "out of gas", ...) and the outcome
    /// keeps the revert data for the caller.
    #[error("{0}")]
    CallFailed(CallOutcome),
    /// A call request cannot run on the chosen state ("insufficient funds for gas * price +
    /// value", "intrinsic gas too low", ...), worded as geth words it.
    #[error("{0}")]
    InvalidCall(String),
    /// A block proposed by another node is not acceptable as the child of the head.
    #[error("invalid block {number}: {reason}")]
    InvalidBlock {
        /// Its number.
        number: u64,
        /// What is wrong.
        reason: String,
    },
    /// The store failed (a write or read error, a damaged file) and the node has stopped: it
    /// builds, checks and commits no block until it is restarted.
    #[error("storage error: {0}")]
    StorageFailed(Arc<StoreError>),
    /// A transaction refused because the store failed: a block that includes it could not be
    /// written.
    #[error("node is not accepting transactions: storage error: {0}")]
    NotAcceptingTransactions(Arc<StoreError>),
    /// The node was asked to make a block alone, but its engine seals blocks only once the
    /// validators agree (BFT): its consensus driver builds and commits them instead.
    #[error("this engine seals blocks after the validators agree; its driver commits them")]
    SealedAfterAgreement,
    /// The node was asked to make a block alone, but its engine seals blocks by work (proof
    /// of work): its miner searches for the seal and commits them.
    #[error("this engine seals blocks by work; its miner commits them")]
    SealedByWork,
    /// A block from elsewhere whose parent this node does not hold (yet): its sender should
    /// send the parent first.
    #[error("block {number} has an unknown parent {parent}")]
    UnknownParent {
        /// The block's number.
        number: u64,
        /// The parent hash it names.
        parent: B256,
    },
    /// A heavier branch forks further back than the store can unwind (its change sets): the
    /// node stays on its chain, and an operator has to decide.
    #[error(
        "refusing a reorg of {depth} blocks (more than the {limit} blocks the store can unwind) \
         to the heavier branch ending in {tip}"
    )]
    ReorgTooDeep {
        /// How many canonical blocks the switch would take off.
        depth: u64,
        /// The deepest switch the store can make.
        limit: u64,
        /// The heavier branch's newest block.
        tip: B256,
    },
    /// The chain spec breaks its own rules.
    #[error("invalid chain spec: {0}")]
    Spec(#[from] cairn_primitives::PrimitivesError),
    /// A proof-of-stake spec whose staking contract state (its `alloc` at `0x…1000`) disagrees
    /// with its `[staking]` table or validators: the chain would change to validators nobody
    /// intended at its first epoch end, so the node does not open it.
    #[error(
        "the staking contract's genesis state differs from the spec's [staking]/validators: \
         {field} is {contract} in the contract but {spec} in the spec; regenerate the spec with \
         cairn testnet init"
    )]
    StakingGenesis {
        /// What differs (a parameter, a validator's field, the set of epoch 0).
        field: String,
        /// The contract's value.
        contract: String,
        /// The spec's value.
        spec: String,
    },
    /// The governance contract's genesis state disagrees with the spec's `[governance]`,
    /// parameters or validators (a hand-edited spec): the chain would run under rules nobody
    /// wrote down, so the node refuses it before writing anything.
    #[error(
        "the governance contract's genesis state differs from the spec's [governance]: \
         {field} is {contract} in the contract but {spec} in the spec; regenerate the spec's \
         governance account from its [governance] section"
    )]
    GovernanceGenesis {
        /// What differs first (a parameter, an organisation's field, the validator set).
        field: String,
        /// The contract's value.
        contract: String,
        /// The spec's value.
        spec: String,
    },
    /// The requested block is not in the canonical chain (geth's wording).
    #[error("header not found")]
    UnknownBlock(u64),
}

impl NodeError {
    /// Whether checking a block (whose work and body root passed) failed through the block's
    /// own fault: remembered as invalid, and held against the peer that sent it. A store
    /// failure, a head that moved, or a block from a little in the future is not its fault.
    pub fn blames_block(&self) -> bool {
        match self {
            Self::InvalidBlock { .. } => true,
            Self::Exec(e) => {
                matches!(e, ExecError::InvalidTx { .. } | ExecError::InvalidBlock { .. })
            }
            Self::Consensus(e) => !matches!(
                e,
                ConsensusError::Store(_)
                    | ConsensusError::ParentHash { .. }
                    | ConsensusError::Number { .. }
                    | ConsensusError::ClockDrift { .. }
            ),
            _ => false,
        }
    }
}

impl From<CallError> for NodeError {
    fn from(e: CallError) -> Self {
        match e {
            CallError::Invalid(message) => Self::InvalidCall(message),
            CallError::Failed(outcome) => Self::CallFailed(outcome),
            CallError::Store(e) => Self::Store(e),
            CallError::Evm(message) => Self::Exec(ExecError::Evm(message)),
        }
    }
}
