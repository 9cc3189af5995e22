//! The narrow view of the node the handlers read through, so they are plain (non-generic)
//! functions that utoipa can document and tests could serve from any implementation.

use alloy_primitives::{Address, B256};
use cairn_mempool::PooledTx;
use cairn_node::{Node, NodeError, TxLookup};
use cairn_primitives::{Block, ChainSpec, Header, Receipt};
use cairn_storage::{Account, AccountProof, KvStore, StateView};

/// A block with its senders and receipts, read from one snapshot.
pub(crate) struct FullBlock {
    pub(crate) block: Block,
    pub(crate) senders: Vec<Address>,
    pub(crate) receipts: Vec<Receipt>,
}

/// What the REST handlers need from a node. Every method reads one consistent snapshot.
pub(crate) trait NodeReads: Send + Sync + 'static {
    fn spec(&self) -> &ChainSpec;
    fn head(&self) -> Result<Header, NodeError>;
    fn header(&self, number: u64) -> Result<Option<Header>, NodeError>;
    /// The canonical height of the block with this hash.
    fn block_number(&self, hash: B256) -> Result<Option<u64>, NodeError>;
    /// Blocks `from` down to `to` (inclusive, `from >= to`), newest first.
    fn blocks_desc(&self, from: u64, to: u64) -> Result<Vec<Block>, NodeError>;
    fn full_block(&self, number: u64) -> Result<Option<FullBlock>, NodeError>;
    fn transaction(&self, hash: B256) -> Result<Option<TxLookup>, NodeError>;
    fn pooled(&self, hash: B256) -> Option<PooledTx>;
    fn submit_raw(&self, raw: &[u8]) -> Result<B256, NodeError>;
    fn account(&self, address: Address) -> Result<Option<Account>, NodeError>;
    /// The account's proof against block `number`'s state root; `None` if no such block.
    fn proof(&self, number: u64, address: Address) -> Result<Option<AccountProof>, NodeError>;
}

impl<K: KvStore> NodeReads for Node<K> {
    fn spec(&self) -> &ChainSpec {
        Node::spec(self)
    }

    fn head(&self) -> Result<Header, NodeError> {
        Node::head(self)
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

    fn account(&self, address: Address) -> Result<Option<Account>, NodeError> {
        Ok(self.store().snapshot()?.account(address)?)
    }

    fn proof(&self, number: u64, address: Address) -> Result<Option<AccountProof>, NodeError> {
        Node::proof(self, number, address, &[])
    }
}
