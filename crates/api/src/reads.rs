//! The narrow view of the node the handlers read through, so they are plain (non-generic)
//! functions that utoipa can document and tests could serve from any implementation.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::{Address, B256};
use alloy_rpc_types_eth::Filter;
use cairn_consensus::ConsensusReads;
use cairn_mempool::PooledTx;
use cairn_node::audit::{VerifyFailure, VerifyProgress, VerifyReport};
use cairn_node::logs::{BlockLog, scan_logs};
use cairn_node::{FeeSuggestion, Node, NodeError, TxLookup};
use cairn_primitives::{Block, ChainSpec, Header, Receipt};
use cairn_storage::{Account, AccountProof, KvStore, StateView, StoreError, TxLocation};
use tokio::sync::broadcast;

/// A block with its senders and receipts, read from one snapshot.
pub(crate) struct FullBlock {
    pub(crate) block: Block,
    pub(crate) senders: Vec<Address>,
    pub(crate) receipts: Vec<Receipt>,
}

/// One page of an account's history, read from one snapshot.
pub(crate) struct HistoryPage {
    /// The transactions, newest first.
    pub(crate) items: Vec<TxLookup>,
    /// Where the next page starts.
    pub(crate) next: Option<TxLocation>,
    /// The head height when the page was read.
    pub(crate) head: u64,
}

/// One page of logs, read from one snapshot.
pub(crate) struct LogPage {
    /// The logs, in chain order.
    pub(crate) items: Vec<BlockLog>,
    /// Block and log index of the next log, if more match.
    pub(crate) next: Option<(u64, u64)>,
}

/// What the REST handlers need from a node. Every method reads one consistent snapshot.
pub(crate) trait NodeReads: Send + Sync + 'static {
    fn spec(&self) -> &ChainSpec;
    fn consensus(&self) -> &dyn ConsensusReads;
    fn head(&self) -> Result<Header, NodeError>;
    /// The fees to offer now, by the rules JSON-RPC's fee suggestions follow.
    fn fee_suggestion(&self) -> Result<FeeSuggestion, NodeError>;
    fn header(&self, number: u64) -> Result<Option<Header>, NodeError>;
    /// The canonical height of the block with this hash.
    fn block_number(&self, hash: B256) -> Result<Option<u64>, NodeError>;
    /// Blocks `from` down to `to` (inclusive, `from >= to`), newest first.
    fn blocks_desc(&self, from: u64, to: u64) -> Result<Vec<Block>, NodeError>;
    fn full_block(&self, number: u64) -> Result<Option<FullBlock>, NodeError>;
    fn transaction(&self, hash: B256) -> Result<Option<TxLookup>, NodeError>;
    fn pooled(&self, hash: B256) -> Option<PooledTx>;
    fn submit_raw(&self, raw: &[u8]) -> Result<B256, NodeError>;
    /// The account in the head state and the size in bytes of its code, from one snapshot.
    fn account(&self, address: Address) -> Result<Option<(Account, u64)>, NodeError>;
    /// The account's proof against block `number`'s state root; `None` if no such block.
    fn proof(&self, number: u64, address: Address) -> Result<Option<AccountProof>, NodeError>;
    /// Up to `limit` transactions `address` sent or received, newest first from `start`.
    fn account_transactions(
        &self,
        address: Address,
        start: Option<TxLocation>,
        limit: usize,
    ) -> Result<HistoryPage, NodeError>;
    /// Up to `limit` logs `filter` selects in blocks `from..=to`, skipping the first `skip`
    /// logs of block `from`.
    fn logs(
        &self,
        filter: &Filter,
        from: u64,
        to: u64,
        skip: u64,
        limit: usize,
    ) -> Result<LogPage, NodeError>;
    /// The pool's ready and queued transactions, by sender then nonce.
    fn pool_content(&self) -> (Vec<PooledTx>, Vec<PooledTx>);
    /// Re-checks the whole chain as `cairn verify` does.
    fn verify(
        &self,
        progress: &mut dyn FnMut(VerifyProgress),
    ) -> Result<VerifyReport, VerifyFailure>;
    /// Headers of the blocks committed from now on.
    fn subscribe_blocks(&self) -> broadcast::Receiver<Arc<Header>>;
    /// Hashes of the transactions admitted to the pool from now on.
    fn subscribe_pending(&self) -> broadcast::Receiver<B256>;
    /// Transactions in the pool: ready, and waiting behind a nonce gap.
    fn pool_counts(&self) -> (usize, usize);
    /// How long producing block `number` took, if it is the newest one this node produced.
    fn production_time(&self, number: u64) -> Option<Duration>;
    /// Transaction senders recovered from signatures since the node started.
    fn tx_recoveries(&self) -> u64;
    /// Whether the node follows its chain's head (a dev node always does).
    fn syncing(&self) -> bool;
    /// The store's failure, after which the node has stopped (fail-stop).
    fn storage_failure(&self) -> Option<Arc<StoreError>>;
}

impl<K: KvStore> NodeReads for Node<K> {
    fn spec(&self) -> &ChainSpec {
        Node::spec(self)
    }

    fn consensus(&self) -> &dyn ConsensusReads {
        Node::consensus(self)
    }

    fn head(&self) -> Result<Header, NodeError> {
        Node::head(self)
    }

    fn fee_suggestion(&self) -> Result<FeeSuggestion, NodeError> {
        Node::fee_suggestion(self)
    }

    fn header(&self, number: u64) -> Result<Option<Header>, NodeError> {
        Ok(self.store().snapshot()?.header(number)?)
    }

    fn block_number(&self, hash: B256) -> Result<Option<u64>, NodeError> {
        Ok(self.store().snapshot()?.block_number(hash)?)
    }

    fn blocks_desc(&self, from: u64, to: u64) -> Result<Vec<Block>, NodeError> {
        let snapshot = self.store().snapshot()?;
        let mut blocks = Vec::new();
        for number in (to..=from).rev() {
            if let Some(block) = snapshot.block(number)? {
                blocks.push(block);
            }
        }
        Ok(blocks)
    }

    fn full_block(&self, number: u64) -> Result<Option<FullBlock>, NodeError> {
        let snapshot = self.store().snapshot()?;
        let Some(block) = snapshot.block(number)? else { return Ok(None) };
        let senders = snapshot.senders(number)?.unwrap_or_default();
        let receipts = snapshot.receipts(number)?.unwrap_or_default();
        Ok(Some(FullBlock { block, senders, receipts }))
    }

    fn transaction(&self, hash: B256) -> Result<Option<TxLookup>, NodeError> {
        Node::transaction(self, hash)
    }

    fn pooled(&self, hash: B256) -> Option<PooledTx> {
        Node::pooled(self, hash)
    }

    fn submit_raw(&self, raw: &[u8]) -> Result<B256, NodeError> {
        Node::submit_raw(self, raw)
    }

    fn account(&self, address: Address) -> Result<Option<(Account, u64)>, NodeError> {
        let snapshot = self.store().snapshot()?;
        let Some(account) = snapshot.account(address)? else { return Ok(None) };
        let code = snapshot.code(account.code_hash)?.unwrap_or_default();
        Ok(Some((account, code.len() as u64)))
    }

    fn proof(&self, number: u64, address: Address) -> Result<Option<AccountProof>, NodeError> {
        Node::proof(self, number, address, &[])
    }

    fn account_transactions(
        &self,
        address: Address,
        start: Option<TxLocation>,
        limit: usize,
    ) -> Result<HistoryPage, NodeError> {
        let snapshot = self.store().snapshot()?;
        let head = snapshot.head()?.number;
        let mut entries = snapshot.address_transactions(address, start, limit.saturating_add(1))?;
        let next = if entries.len() > limit { entries.pop().map(|e| e.location) } else { None };
        let mut items = Vec::with_capacity(entries.len());
        let mut loaded: Option<(u64, Block, Vec<Address>, Vec<Receipt>)> = None;
        for entry in entries {
            let TxLocation { block: number, index } = entry.location;
            if loaded.as_ref().is_none_or(|(n, ..)| *n != number) {
                let corrupt = |what: &str| StoreError::Corrupt {
                    what: "account history",
                    reason: format!("{what} of block {number} missing"),
                };
                let block = snapshot.block(number)?.ok_or_else(|| corrupt("block"))?;
                let senders = snapshot.senders(number)?.ok_or_else(|| corrupt("senders"))?;
                let receipts = snapshot.receipts(number)?.ok_or_else(|| corrupt("receipts"))?;
                loaded = Some((number, block, senders, receipts));
            }
            let Some((_, block, senders, receipts)) = loaded.as_ref() else { continue };
            let i = index as usize;
            let (Some(tx), Some(sender), Some(receipt)) =
                (block.transactions.get(i), senders.get(i), receipts.get(i))
            else {
                return Err(NodeError::Store(StoreError::Corrupt {
                    what: "account history",
                    reason: format!("block {number} has no transaction {index}"),
                }));
            };
            items.push(TxLookup {
                tx: tx.clone(),
                sender: *sender,
                block_number: number,
                block_hash: block.hash(),
                index,
                receipt: receipt.clone(),
            });
        }
        Ok(HistoryPage { items, next, head })
    }

    fn logs(
        &self,
        filter: &Filter,
        from: u64,
        to: u64,
        skip: u64,
        limit: usize,
    ) -> Result<LogPage, NodeError> {
        let snapshot = self.store().snapshot()?;
        let mut items = Vec::new();
        let mut next = None;
        scan_logs(&snapshot, filter, from, to, skip, &mut |log| {
            if items.len() == limit {
                next = Some((log.block_number, log.log_index));
                return ControlFlow::Break(());
            }
            items.push(log);
            ControlFlow::Continue(())
        })?;
        Ok(LogPage { items, next })
    }

    fn pool_content(&self) -> (Vec<PooledTx>, Vec<PooledTx>) {
        Node::pool_content(self)
    }

    fn verify(
        &self,
        progress: &mut dyn FnMut(VerifyProgress),
    ) -> Result<VerifyReport, VerifyFailure> {
        Node::verify(self, progress)
    }

    fn subscribe_blocks(&self) -> broadcast::Receiver<Arc<Header>> {
        Node::subscribe_blocks(self)
    }

    fn subscribe_pending(&self) -> broadcast::Receiver<B256> {
        Node::subscribe_pending(self)
    }

    fn pool_counts(&self) -> (usize, usize) {
        (Node::pending_count(self), Node::queued_count(self))
    }

    fn production_time(&self, number: u64) -> Option<Duration> {
        Node::production_time(self, number)
    }

    fn tx_recoveries(&self) -> u64 {
        Node::tx_recoveries(self)
    }

    /// The only engine today is the dev chain's single local validator: it never waits for
    /// peers, so it is never syncing.
    fn syncing(&self) -> bool {
        false
    }

    fn storage_failure(&self) -> Option<Arc<StoreError>> {
        Node::storage_failure(self)
    }
}
