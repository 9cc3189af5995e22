//! Plain data the reader traits answer with.

use std::sync::Arc;

use alloy_primitives::{Address, B256, Log};
use alloy_rpc_types_eth::Filter;
use cairn_primitives::{Block, Header, Receipt, TxEnvelope};

/// A transaction found in the chain, with where it sits and what it did.
#[derive(Debug, Clone)]
pub struct TxLookup {
    /// The transaction.
    pub tx: TxEnvelope,
    /// Its recovered sender.
    pub sender: Address,
    /// The block that includes it.
    pub block_number: u64,
    /// That block's hash.
    pub block_hash: B256,
    /// Its index in the block.
    pub index: u32,
    /// Its receipt.
    pub receipt: Receipt,
}

/// A log with where it was emitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockLog {
    /// The block's height.
    pub block_number: u64,
    /// The block's hash.
    pub block_hash: B256,
    /// The block's timestamp.
    pub block_timestamp: u64,
    /// The emitting transaction's hash.
    pub tx_hash: B256,
    /// The emitting transaction's index in the block.
    pub tx_index: u64,
    /// The log's index among all logs of the block.
    pub log_index: u64,
    /// The log itself.
    pub log: Log,
}

/// What a client should offer so its transaction is included soon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeSuggestion {
    /// The newest block, which the suggestion follows.
    pub block_number: u64,
    /// The newest block's base fee per gas.
    pub latest_base_fee: u64,
    /// The base fee per gas of the next block (the pending block's).
    pub next_base_fee: u64,
    /// The suggested priority fee per gas (`eth_maxPriorityFeePerGas`).
    pub tip: u128,
    /// The suggested price of a legacy transaction (`eth_gasPrice`): the tip on top of the
    /// higher of the two base fees.
    pub gas_price: u128,
}

/// Who handed the node a transaction. Its own clients' transactions are announced to peers
/// ([`crate::NodeEvents::subscribe_local`]); a peer's is relayed by the gossip network itself once admitted,
/// so announcing it again would only cost every node a duplicate message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// JSON-RPC, the REST API, or anything else local.
    Local,
    /// Transaction gossip.
    Peer,
}

/// The block a simulation runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallBlock {
    /// A stored block (at most the head): its own context and the state after it.
    Stored(u64),
    /// The block after the head, as the node's pending context describes it.
    Pending,
}

impl From<u64> for CallBlock {
    fn from(number: u64) -> Self {
        Self::Stored(number)
    }
}

/// A verified chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Height of the newest block.
    pub height: u64,
    /// Blocks checked, genesis excluded.
    pub blocks: u64,
    /// Transactions checked.
    pub transactions: u64,
    /// State root at `height`.
    pub state_root: B256,
}

impl std::fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "verified {} blocks, {} transactions, state root {} at height {}",
            self.blocks, self.transactions, self.state_root, self.height
        )
    }
}

/// The first thing found wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("verification failed at height {height}: {what}")]
pub struct VerifyFailure {
    /// The first bad height.
    pub height: u64,
    /// What differs.
    pub what: String,
}

/// How far a running verification is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyProgress {
    /// Blocks re-checked so far (genesis excluded).
    pub checked: u64,
    /// Blocks to check: the head height when the verification started.
    pub total: u64,
}

/// A switch of the canonical chain to a heavier branch (proof of work), as readers are told of
/// it: what they showed from the abandoned blocks is no longer part of the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reorg {
    /// The newest block both branches share.
    pub ancestor: Header,
    /// The blocks taken off the chain, oldest first, each with the receipts it had (its logs
    /// are now removed).
    pub abandoned: Vec<(Block, Vec<Receipt>)>,
    /// The headers of the branch now canonical, oldest first; the last is the new head.
    pub adopted: Vec<Header>,
}

impl Reorg {
    /// The logs `filter` selects in the abandoned blocks, oldest first, positioned as they
    /// were served before the switch: what subscribers and filters now report as removed.
    pub fn removed_logs(&self, filter: &Filter) -> Vec<BlockLog> {
        let mut removed = Vec::new();
        for (block, receipts) in &self.abandoned {
            if !filter.matches_bloom(block.header.logs_bloom) {
                continue;
            }
            let block_hash = block.hash();
            let mut log_index = 0u64;
            for (tx_index, (tx, receipt)) in block.transactions.iter().zip(receipts).enumerate() {
                for log in receipt.logs() {
                    let index = log_index;
                    log_index += 1;
                    if !filter.matches(log) {
                        continue;
                    }
                    removed.push(BlockLog {
                        block_number: block.header.number,
                        block_hash,
                        block_timestamp: block.header.timestamp,
                        tx_hash: *tx.tx_hash(),
                        tx_index: tx_index as u64,
                        log_index: index,
                        log: log.clone(),
                    });
                }
            }
        }
        removed
    }
}

/// A change of the canonical chain, in the order it happened: what a block subscriber follows.
#[derive(Debug, Clone)]
pub enum ChainEvent {
    /// A block became the head, on top of the one before.
    Head(Arc<Header>),
    /// The chain switched to another branch. The adopted blocks' [`ChainEvent::Head`] events
    /// follow, oldest first.
    Reorg(Arc<Reorg>),
}
