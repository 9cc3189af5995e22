//! Logs of stored blocks chosen by a filter: the one scan behind `eth_getLogs`, log filters
//! and subscriptions, and the REST API's events, streams and webhooks.
//!
//! A block's logs are its transactions' logs in order, then the logs its protocol calls
//! emitted (proof of stake's end-of-block calls: `Slashed`, `Jailed`, `EpochStarted`, ...).
//! Those belong to no transaction, so they are served as if one more transaction at index
//! `transactions.len()` had emitted them, under [`system_logs_tx_hash`], a hash no
//! transaction can have.

use std::ops::ControlFlow;

use alloy_primitives::{B256, keccak256};
use alloy_rpc_types_eth::Filter;
pub use cairn_reads::BlockLog;
use cairn_storage::{KvRead, Snapshot, StoreError};

/// What the transaction hash of a block's system logs is derived from, with the block's hash.
const SYSTEM_LOGS_DOMAIN: &[u8] = b"cairn/system-logs";

/// The transaction hash a block's system logs are served under:
/// `keccak256("cairn/system-logs" ‖ block hash)`. Clients that group logs by transaction see
/// one group per block; no transaction has this hash, so looking it up finds nothing.
pub fn system_logs_tx_hash(block_hash: B256) -> B256 {
    keccak256([SYSTEM_LOGS_DOMAIN, block_hash.as_slice()].concat())
}

/// Visits, in chain order, the logs `filter` selects in blocks `from..=to`, skipping the first
/// `skip` logs of block `from` (where a previous page stopped), until `visit` breaks or a
/// block is missing (above the head). Blocks whose bloom rules the filter out are not read
/// (a header's bloom covers its system logs too). The filter's own block range is ignored;
/// callers bound `from..=to`.
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
        let system_logs = snapshot.system_logs(number)?;
        let block_hash = header.hash();
        let by_transaction = block
            .transactions
            .iter()
            .zip(&receipts)
            .map(|(tx, receipt)| (*tx.tx_hash(), receipt.logs()));
        let system = (!system_logs.is_empty())
            .then(|| (system_logs_tx_hash(block_hash), system_logs.as_slice()));
        let mut log_index = 0u64;
        for (tx_index, (tx_hash, logs)) in by_transaction.chain(system).enumerate() {
            for log in logs {
                let index = log_index;
                log_index += 1;
                if (number == from && index < skip) || !filter.matches(log) {
                    continue;
                }
                let found = BlockLog {
                    block_number: number,
                    block_hash,
                    block_timestamp: header.timestamp,
                    tx_hash,
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
