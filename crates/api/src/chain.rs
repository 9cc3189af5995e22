//! What handlers compose from one view of the chain (`cairn-reads`): a block with its senders
//! and receipts, a range of blocks, an account with its code size, a page of an account's
//! history or of logs. Each takes the view, so one answer never mixes two heads.

use std::ops::ControlFlow;

use alloy_primitives::Address;
use alloy_rpc_types_eth::Filter;
use cairn_primitives::{Block, Receipt};
use cairn_reads::{BlockLog, ChainView, NodeError, TxLookup};
use cairn_storage::{Account, StoreError, TxLocation};

/// A block with its senders and receipts.
pub(crate) struct FullBlock {
    pub(crate) block: Block,
    pub(crate) senders: Vec<Address>,
    pub(crate) receipts: Vec<Receipt>,
}

/// Block `number` with its senders and receipts, if stored.
pub(crate) fn full_block(
    view: &dyn ChainView,
    number: u64,
) -> Result<Option<FullBlock>, NodeError> {
    let Some(block) = view.block(number)? else { return Ok(None) };
    let senders = view.senders(number)?.unwrap_or_default();
    let receipts = view.receipts(number)?.unwrap_or_default();
    Ok(Some(FullBlock { block, senders, receipts }))
}

/// Blocks `from` down to `to` (inclusive, `from >= to`), newest first.
pub(crate) fn blocks_desc(
    view: &dyn ChainView,
    from: u64,
    to: u64,
) -> Result<Vec<Block>, NodeError> {
    let mut blocks = Vec::new();
    for number in (to..=from).rev() {
        if let Some(block) = view.block(number)? {
            blocks.push(block);
        }
    }
    Ok(blocks)
}

/// The account in the head state and the size in bytes of its code.
pub(crate) fn account(
    view: &dyn ChainView,
    address: Address,
) -> Result<Option<(Account, u64)>, NodeError> {
    let head = view.heads()?.latest.number;
    let state = view.state_at(head)?.ok_or(NodeError::UnknownBlock(head))?;
    let Some(account) = state.account(address)? else { return Ok(None) };
    let code = state.code(account.code_hash)?.unwrap_or_default();
    Ok(Some((account, code.len() as u64)))
}

/// One page of an account's history.
pub(crate) struct HistoryPage {
    /// The transactions, newest first.
    pub(crate) items: Vec<TxLookup>,
    /// Where the next page starts.
    pub(crate) next: Option<TxLocation>,
}

/// Up to `limit` transactions `address` sent or received, newest first from `start`.
pub(crate) fn account_transactions(
    view: &dyn ChainView,
    address: Address,
    start: Option<TxLocation>,
    limit: usize,
) -> Result<HistoryPage, NodeError> {
    let mut entries = view.address_transactions(address, start, limit.saturating_add(1))?;
    let next = if entries.len() > limit { entries.pop().map(|e| e.location) } else { None };
    let mut items = Vec::with_capacity(entries.len());
    let mut loaded: Option<(u64, FullBlock)> = None;
    for entry in entries {
        let TxLocation { block: number, index } = entry.location;
        if loaded.as_ref().is_none_or(|(n, _)| *n != number) {
            let corrupt = |what: &str| StoreError::Corrupt {
                what: "account history",
                reason: format!("{what} of block {number} missing"),
            };
            let block = view.block(number)?.ok_or_else(|| corrupt("block"))?;
            let senders = view.senders(number)?.ok_or_else(|| corrupt("senders"))?;
            let receipts = view.receipts(number)?.ok_or_else(|| corrupt("receipts"))?;
            loaded = Some((number, FullBlock { block, senders, receipts }));
        }
        let Some((_, full)) = loaded.as_ref() else { continue };
        let i = index as usize;
        let (Some(tx), Some(sender), Some(receipt)) =
            (full.block.transactions.get(i), full.senders.get(i), full.receipts.get(i))
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
            block_hash: full.block.hash(),
            index,
            receipt: receipt.clone(),
        });
    }
    Ok(HistoryPage { items, next })
}

/// One page of logs.
pub(crate) struct LogPage {
    /// The logs, in chain order.
    pub(crate) items: Vec<BlockLog>,
    /// Block and log index of the next log, if more match.
    pub(crate) next: Option<(u64, u64)>,
}

/// Up to `limit` logs `filter` selects in blocks `from..=to`, skipping the first `skip` logs
/// of block `from`.
pub(crate) fn logs(
    view: &dyn ChainView,
    filter: &Filter,
    from: u64,
    to: u64,
    skip: u64,
    limit: usize,
) -> Result<LogPage, NodeError> {
    let mut items = Vec::new();
    let mut next = None;
    view.logs(filter, from, to, skip, &mut |log| {
        if items.len() == limit {
            next = Some((log.block_number, log.log_index));
            return ControlFlow::Break(());
        }
        items.push(log);
        ControlFlow::Continue(())
    })?;
    Ok(LogPage { items, next })
}
