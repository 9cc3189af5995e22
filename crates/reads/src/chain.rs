//! Reads of the stored chain, one consistent view per answer.

use std::ops::ControlFlow;

use alloy_primitives::{Address, B256, U256};
use alloy_rpc_types_eth::Filter;
use cairn_consensus::ValidatorSets;
use cairn_primitives::{Block, Header, Receipt};
use cairn_storage::{AccountProof, AddressTx, StateView, TxLocation};

use crate::{BlockLog, BlockSelector, Heads, NodeError, TxLookup};

/// A source of consistent views of the chain.
pub trait ChainReader: Send + Sync {
    /// A view of the chain as of now; every part of one answer is read from one view, so it
    /// never mixes two heads.
    fn view(&self) -> Result<Box<dyn ChainView + '_>, NodeError>;
}

/// One consistent view of the stored chain. It lives inside one synchronous read (the servers
/// run reads on the blocking pool) and is never held across an `.await`. Tags resolve here,
/// from the engine's finality, and nowhere else, so every server names the same block for
/// the same tag; later visibility rules and light-client proofs attach by wrapping it. It is
/// also the [`ValidatorSets`] of its chain: the engine's per-height reads
/// (`ConsensusReads::validators`) judge a block by the set this same view holds for it.
pub trait ChainView: ValidatorSets {
    /// The head and how final the chain is.
    fn heads(&self) -> Result<Heads, NodeError>;

    /// The canonical height `block` names, or `None` if no such block is stored (a number above
    /// the head, an unknown or non-canonical hash). `Pending` names the head (whose state is
    /// the pending block's starting point); `Earliest` names genesis.
    fn resolve(&self, block: BlockSelector) -> Result<Option<u64>, NodeError>;

    /// The canonical header at `number`.
    fn header(&self, number: u64) -> Result<Option<Header>, NodeError>;

    /// The canonical block at `number`.
    fn block(&self, number: u64) -> Result<Option<Block>, NodeError>;

    /// The canonical height of the block with this hash.
    fn block_number(&self, hash: B256) -> Result<Option<u64>, NodeError>;

    /// The total difficulty of the chain ending in the block `hash` (canonical or not) on a
    /// chain with work; `None` elsewhere or for a block this node does not hold.
    fn total_difficulty(&self, hash: B256) -> Result<Option<U256>, NodeError>;

    /// Where the block `hash` at `number` left the canonical chain, when it is a block this
    /// node keeps off it (a branch a reorg abandoned, a lighter one): the newest canonical
    /// block it descends from, then the headers of its branch up to it, oldest first. `None`
    /// when the block is canonical or unknown here.
    fn branch_of(
        &self,
        number: u64,
        hash: B256,
    ) -> Result<Option<(Header, Vec<Header>)>, NodeError>;

    /// The senders of block `number`'s transactions, in order.
    fn senders(&self, number: u64) -> Result<Option<Vec<Address>>, NodeError>;

    /// The receipts of block `number`'s transactions, in order.
    fn receipts(&self, number: u64) -> Result<Option<Vec<Receipt>>, NodeError>;

    /// Where an included transaction sits.
    fn tx_location(&self, hash: B256) -> Result<Option<TxLocation>, NodeError>;

    /// An included transaction with its block, position, sender and receipt.
    fn transaction(&self, hash: B256) -> Result<Option<TxLookup>, NodeError>;

    /// Up to `limit` entries of `address`'s history (sent or received), newest first, from
    /// `start` on.
    fn address_transactions(
        &self,
        address: Address,
        start: Option<TxLocation>,
        limit: usize,
    ) -> Result<Vec<AddressTx>, NodeError>;

    /// The state after block `number`: the flat tables at the head, the block's trie before
    /// it; `None` if no such block is stored.
    fn state_at(&self, number: u64) -> Result<Option<Box<dyn StateView + '_>>, NodeError>;

    /// An account (and slot) proof against block `number`'s state root; `None` if no such
    /// block is stored.
    fn proof(
        &self,
        number: u64,
        address: Address,
        slots: &[B256],
    ) -> Result<Option<AccountProof>, NodeError>;

    /// Visits, in chain order, the logs `filter` selects in blocks `from..=to`, skipping the
    /// first `skip` logs of block `from`, until `visit` breaks; blocks above the head end the
    /// scan. The filter's own block range is ignored.
    fn logs(
        &self,
        filter: &Filter,
        from: u64,
        to: u64,
        skip: u64,
        visit: &mut dyn FnMut(BlockLog) -> ControlFlow<()>,
    ) -> Result<(), NodeError>;
}
