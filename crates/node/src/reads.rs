//! The node's one implementation of the reader traits (`cairn-reads`): what JSON-RPC and the
//! REST API read through. Tags resolve in [`View::heads`] and [`View::resolve`] only, from the
//! engine's finality.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::{Address, B256, Bytes};
use alloy_rpc_types_eth::state::StateOverride;
use alloy_rpc_types_eth::{AccessListResult, BlockOverrides, Filter, TransactionRequest};
use cairn_consensus::{ConsensusError, ConsensusReads, ValidatorSets};
use cairn_execution::CallOutcome;
use cairn_mempool::{PoolError, PooledTx};
use cairn_primitives::{Block, ChainSpec, Header, Receipt, ValidatorSetRecord};
use cairn_reads::{
    BlockLog, BlockSelector, CallBlock, ChainEvent, ChainReader, ChainView, FeeSuggestion, Heads,
    NodeEvents, NodeReads, Origin, PoolReader, Simulator, TxLookup, TxSubmitter, VerifyFailure,
    VerifyProgress, VerifyReport,
};
use cairn_storage::{
    AccountProof, AddressTx, KvRead, KvStore, Snapshot, StateView, StoreError, TxLocation,
};
use tokio::sync::broadcast;

use crate::logs::scan_logs;
use crate::sets::StoreSets;
use crate::{Node, NodeError};

/// One store snapshot, the engine that says how final it is, and what decides its validator
/// sets.
struct View<'a, R> {
    snapshot: Snapshot<R>,
    consensus: &'a dyn ConsensusReads,
    genesis: &'a Arc<ValidatorSetRecord>,
    spec: &'a ChainSpec,
}

impl<K: KvStore> ChainReader for Node<K> {
    fn view(&self) -> Result<Box<dyn ChainView + '_>, NodeError> {
        let snapshot = self.store.snapshot()?;
        Ok(Box::new(View {
            snapshot,
            consensus: self.consensus(),
            genesis: &self.genesis_set,
            spec: self.spec(),
        }))
    }
}

/// The sets of the view's own snapshot, so an answer reads blocks and their sets alike.
impl<R: KvRead> ValidatorSets for View<'_, R> {
    fn set_at(&self, height: u64) -> Result<Arc<ValidatorSetRecord>, ConsensusError> {
        self.sets().set_at(height)
    }

    fn gas_limit_after(&self, parent: &Header) -> Result<u64, ConsensusError> {
        self.sets().gas_limit_after(parent)
    }
}

impl<R: KvRead> View<'_, R> {
    fn sets(&self) -> StoreSets<'_, R> {
        StoreSets { snapshot: &self.snapshot, genesis: self.genesis, spec: self.spec }
    }
}

impl<R: KvRead> ChainView for View<'_, R> {
    /// The one place finality is read: the engine's safe and finalized heights for this view's
    /// head.
    fn heads(&self) -> Result<Heads, NodeError> {
        let latest = self.snapshot.head()?;
        let finality = self.consensus.finality(latest.number);
        Ok(Heads::new(latest, finality))
    }

    fn resolve(&self, block: BlockSelector) -> Result<Option<u64>, NodeError> {
        match block {
            BlockSelector::Hash(hash) => Ok(self.snapshot.block_number(hash)?),
            BlockSelector::Number(number) => {
                let head = self.snapshot.head()?.number;
                Ok((number <= head).then_some(number))
            }
            BlockSelector::Tag(tag) => Ok(Some(self.heads()?.number(tag))),
        }
    }

    fn header(&self, number: u64) -> Result<Option<Header>, NodeError> {
        Ok(self.snapshot.header(number)?)
    }

    fn block(&self, number: u64) -> Result<Option<Block>, NodeError> {
        Ok(self.snapshot.block(number)?)
    }

    fn block_number(&self, hash: B256) -> Result<Option<u64>, NodeError> {
        Ok(self.snapshot.block_number(hash)?)
    }

    fn total_difficulty(&self, hash: B256) -> Result<Option<alloy_primitives::U256>, NodeError> {
        Ok(self.snapshot.total_difficulty(hash)?)
    }

    fn branch_of(
        &self,
        number: u64,
        hash: B256,
    ) -> Result<Option<(Header, Vec<Header>)>, NodeError> {
        if self.snapshot.side_block(number, hash)?.is_none() {
            return Ok(None);
        }
        let (ancestor, branch) = crate::fork_choice::side_branch(&self.snapshot, number, hash)?;
        Ok(Some((ancestor, branch.into_iter().map(|block| block.header).collect())))
    }

    fn senders(&self, number: u64) -> Result<Option<Vec<Address>>, NodeError> {
        Ok(self.snapshot.senders(number)?)
    }

    fn receipts(&self, number: u64) -> Result<Option<Vec<Receipt>>, NodeError> {
        Ok(self.snapshot.receipts(number)?)
    }

    fn tx_location(&self, hash: B256) -> Result<Option<TxLocation>, NodeError> {
        Ok(self.snapshot.tx_location(hash)?)
    }

    fn transaction(&self, hash: B256) -> Result<Option<TxLookup>, NodeError> {
        let snapshot = &self.snapshot;
        let Some(location) = snapshot.tx_location(hash)? else { return Ok(None) };
        let corrupt = |what: &str| StoreError::Corrupt {
            what: "transaction index",
            reason: format!("{what} missing for {hash}"),
        };
        let block = snapshot.block(location.block)?.ok_or_else(|| corrupt("block"))?;
        let index = location.index as usize;
        let tx = block.transactions.get(index).cloned().ok_or_else(|| corrupt("transaction"))?;
        let receipts = snapshot.receipts(location.block)?.ok_or_else(|| corrupt("receipts"))?;
        let receipt = receipts.get(index).cloned().ok_or_else(|| corrupt("receipt"))?;
        let senders = snapshot.senders(location.block)?.ok_or_else(|| corrupt("senders"))?;
        let sender = senders.get(index).copied().ok_or_else(|| corrupt("sender"))?;
        Ok(Some(TxLookup {
            tx,
            sender,
            block_number: location.block,
            block_hash: block.hash(),
            index: location.index,
            receipt,
        }))
    }

    fn address_transactions(
        &self,
        address: Address,
        start: Option<TxLocation>,
        limit: usize,
    ) -> Result<Vec<AddressTx>, NodeError> {
        Ok(self.snapshot.address_transactions(address, start, limit)?)
    }

    fn state_at(&self, number: u64) -> Result<Option<Box<dyn StateView + '_>>, NodeError> {
        if self.snapshot.head()?.number == number {
            return Ok(Some(Box::new(&self.snapshot)));
        }
        let Some(header) = self.snapshot.header(number)? else { return Ok(None) };
        Ok(Some(Box::new(self.snapshot.state_at(header.state_root))))
    }

    fn proof(
        &self,
        number: u64,
        address: Address,
        slots: &[B256],
    ) -> Result<Option<AccountProof>, NodeError> {
        let Some(header) = self.snapshot.header(number)? else { return Ok(None) };
        Ok(Some(self.snapshot.proof(header.state_root, address, slots)?))
    }

    fn logs(
        &self,
        filter: &Filter,
        from: u64,
        to: u64,
        skip: u64,
        visit: &mut dyn FnMut(BlockLog) -> ControlFlow<()>,
    ) -> Result<(), NodeError> {
        Ok(scan_logs(&self.snapshot, filter, from, to, skip, visit)?)
    }
}

impl<K: KvStore> PoolReader for Node<K> {
    fn pooled(&self, hash: B256) -> Option<PooledTx> {
        Node::pooled(self, hash)
    }

    fn pool_content(&self) -> (Vec<PooledTx>, Vec<PooledTx>) {
        Node::pool_content(self)
    }

    fn pool_counts(&self) -> (usize, usize) {
        (Node::pending_count(self), Node::queued_count(self))
    }

    fn pending_nonce(&self, address: Address) -> Result<u64, NodeError> {
        Node::pending_nonce(self, address)
    }

    fn pending_block(&self) -> Result<(Block, Vec<Address>), NodeError> {
        Node::pending_block(self)
    }
}

impl<K: KvStore> Simulator for Node<K> {
    fn call(
        &self,
        request: &TransactionRequest,
        block: CallBlock,
        state: Option<&StateOverride>,
        overrides: Option<&BlockOverrides>,
    ) -> Result<CallOutcome, NodeError> {
        Node::call(self, request, block, state, overrides)
    }

    fn estimate_gas(
        &self,
        request: &TransactionRequest,
        block: CallBlock,
        state: Option<&StateOverride>,
    ) -> Result<u64, NodeError> {
        Node::estimate_gas(self, request, block, state)
    }

    fn create_access_list(
        &self,
        request: &TransactionRequest,
        block: CallBlock,
    ) -> Result<AccessListResult, NodeError> {
        Node::create_access_list(self, request, block)
    }
}

impl<K: KvStore> TxSubmitter for Node<K> {
    fn submit_raw(&self, raw: &[u8]) -> Result<B256, NodeError> {
        Node::submit_raw(self, raw)
    }

    fn submit_raw_batch(
        &self,
        raws: &[Bytes],
        origin: Origin,
    ) -> Result<Vec<Result<B256, PoolError>>, NodeError> {
        Node::submit_raw_batch(self, raws, origin)
    }
}

impl<K: KvStore> NodeEvents for Node<K> {
    fn subscribe_chain(&self) -> broadcast::Receiver<ChainEvent> {
        Node::subscribe_chain(self)
    }

    fn subscribe_pending(&self) -> broadcast::Receiver<B256> {
        Node::subscribe_pending(self)
    }

    fn subscribe_local(&self) -> broadcast::Receiver<Bytes> {
        Node::subscribe_local(self)
    }
}

impl<K: KvStore> NodeReads for Node<K> {
    fn spec(&self) -> &ChainSpec {
        Node::spec(self)
    }

    fn consensus(&self) -> &dyn ConsensusReads {
        Node::consensus(self)
    }

    /// The node keeps no catching-up state yet, so it answers `false`, as the REST API always
    /// has.
    fn syncing(&self) -> bool {
        false
    }

    fn fee_suggestion(&self) -> Result<FeeSuggestion, NodeError> {
        Node::fee_suggestion(self)
    }

    fn production_time(&self, number: u64) -> Option<Duration> {
        Node::production_time(self, number)
    }

    fn tx_recoveries(&self) -> u64 {
        Node::tx_recoveries(self)
    }

    fn reorg_counts(&self) -> (u64, u64) {
        Node::reorg_counts(self)
    }

    fn storage_failure(&self) -> Option<Arc<StoreError>> {
        Node::storage_failure(self)
    }

    fn verify(
        &self,
        progress: &mut dyn FnMut(VerifyProgress),
    ) -> Result<VerifyReport, VerifyFailure> {
        Node::verify(self, progress)
    }
}
