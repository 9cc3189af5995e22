//! Logs of stored blocks chosen by a filter: the one scan behind `eth_getLogs`, log filters
//! and subscriptions, and the REST API's events and streams.

use std::ops::ControlFlow;

use alloy_rpc_types_eth::Filter;
pub use cairn_reads::BlockLog;
use cairn_storage::{KvRead, Snapshot, StoreError};

/// Visits, in chain order, the logs `filter` selects in blocks `from..=to`, skipping the first
/// `skip` logs of block `from` (where a previous page stopped), until `visit` breaks or a
/// block is missing (above the head). Blocks whose bloom rules the filter out are not read.
/// The filter's own block range is ignored; callers bound `from..=to`.
pub fn scan_logs<R: KvRead>(
    snapshot: &Snapshot<R>,
    filter: &Filter,
    from: u64,
    to: u64,
    skip: u64,
    visit: &mut dyn FnMut(BlockLog) -> ControlFlow<()>,
) -> Result<(), StoreError> {
    for number in from..=to {
        let Some(header) = snapshot.header(number)? else { break };
        if !filter.matches_bloom(header.logs_bloom) {
            continue;
        }
        let Some(block) = snapshot.block(number)? else { break };
        let receipts = snapshot.receipts(number)?.unwrap_or_default();
        let block_hash = header.hash();
        let mut log_index = 0u64;
        for (tx_index, (tx, receipt)) in block.transactions.iter().zip(&receipts).enumerate() {
            for log in receipt.logs() {
                let index = log_index;
                log_index += 1;
                if (number == from && index < skip) || !filter.matches(log) {
                    continue;
                }
                let found = BlockLog {
                    block_number: number,
                    block_hash,
                    block_timestamp: header.timestamp,
                    tx_hash: *tx.tx_hash(),
                    tx_index: tx_index as u64,
                    log_index: index,
                    log: log.clone(),
                };
                if visit(found).is_break() {
                    return Ok(());
                }
            }
        }
    }
    Ok(())
}
