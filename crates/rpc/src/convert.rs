//! Cairn's stored types turned into alloy's RPC types, so every JSON shape is the one Ethereum
//! clients already parse.

use alloy_consensus::constants::EMPTY_OMMER_ROOT_HASH;
use alloy_consensus::{Transaction as _, transaction::Recovered};
use alloy_primitives::{Address, B64, B256, U256};
use alloy_rpc_types_eth::{self as rpc, BlockTransactions};
use alloy_serde::{OtherFields, WithOtherFields};
use cairn_primitives::{Block, Header, Receipt, TxEnvelope};

/// Where a transaction sits in the chain.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Position {
    pub(crate) block_hash: B256,
    pub(crate) block_number: u64,
    pub(crate) index: u64,
    pub(crate) base_fee: u64,
}

impl Position {
    pub(crate) fn in_block(header: &Header, block_hash: B256, index: usize) -> Self {
        Self {
            block_hash,
            block_number: header.number,
            index: index as u64,
            base_fee: header.base_fee,
        }
    }
}

/// The JSON field with a block's time in milliseconds, a hex quantity: the name BNB Chain's
/// nodes give it since BEP-520 (sub-second blocks), so tools that read it there read it here.
pub(crate) const MILLI_TIMESTAMP: &str = "milliTimestamp";

/// A header with the fields Ethereum clients expect and [`MILLI_TIMESTAMP`]. Fields Cairn
/// does not have (ommers; difficulty and nonce except on proof of work) take their post-merge
/// values; `mixHash` is the PREVRANDAO value (the parent hash).
pub(crate) type RpcHeader = WithOtherFields<rpc::Header>;

/// A block as JSON-RPC answers it.
pub(crate) type RpcBlock = rpc::Block<rpc::Transaction, RpcHeader>;

/// The header as Ethereum clients expect it, with its time in milliseconds ([`RpcHeader`]).
/// `total_difficulty` is the work of the chain up to it on a chain with work (as the store
/// keeps it); on other chains it is zero, as post-merge Ethereum answers.
pub(crate) fn header(
    header: &Header,
    size: Option<usize>,
    total_difficulty: Option<U256>,
) -> RpcHeader {
    let inner = alloy_consensus::Header {
        parent_hash: header.parent_hash,
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        beneficiary: header.beneficiary,
        state_root: header.state_root,
        transactions_root: header.transactions_root,
        receipts_root: header.receipts_root,
        logs_bloom: header.logs_bloom,
        difficulty: header.difficulty.unwrap_or_default(),
        number: header.number,
        gas_limit: header.gas_limit,
        gas_used: header.gas_used,
        timestamp: header.timestamp,
        extra_data: header.extra_data.clone(),
        mix_hash: header.parent_hash,
        // A proof-of-work seal is the 8-byte nonce.
        nonce: match header.difficulty {
            Some(_) => B64::try_from(header.seal.as_ref()).unwrap_or_default(),
            None => B64::ZERO,
        },
        base_fee_per_gas: Some(header.base_fee),
        withdrawals_root: None,
        blob_gas_used: None,
        excess_blob_gas: None,
        parent_beacon_block_root: None,
        requests_hash: None,
        block_access_list_hash: None,
        slot_number: None,
    };
    let mut other = OtherFields::default();
    other.insert(MILLI_TIMESTAMP.to_string(), format!("{:#x}", header.timestamp_ms).into());
    WithOtherFields {
        inner: rpc::Header {
            hash: header.hash(),
            inner,
            total_difficulty: match header.difficulty {
                Some(_) => total_difficulty,
                None => Some(U256::ZERO),
            },
            size: size.map(U256::from),
        },
        other,
    }
}

/// A block with transaction hashes, or full transactions when `full`. A block that is not
/// committed (the pending one) lists its transactions as pending ones, without a position.
/// `total_difficulty` as [`header`] takes it.
pub(crate) fn block(
    block: &Block,
    senders: &[Address],
    full: bool,
    committed: bool,
    total_difficulty: Option<U256>,
) -> RpcBlock {
    let hash = block.hash();
    let transactions = if full {
        let txs = block
            .transactions
            .iter()
            .zip(senders)
            .enumerate()
            .map(|(i, (tx, sender))| {
                let position = committed.then(|| Position::in_block(&block.header, hash, i));
                transaction(tx.clone(), *sender, position)
            })
            .collect();
        BlockTransactions::Full(txs)
    } else {
        BlockTransactions::Hashes(block.transactions.iter().map(|t| *t.tx_hash()).collect())
    };
    rpc::Block {
        header: header(&block.header, Some(block.encode_to_vec().len()), total_difficulty),
        uncles: Vec::new(),
        transactions,
        withdrawals: None,
    }
}

/// A transaction, included (with its position) or pending (without).
pub(crate) fn transaction(
    tx: TxEnvelope,
    sender: Address,
    position: Option<Position>,
) -> rpc::Transaction {
    let effective_gas_price = position.map(|p| tx.effective_gas_price(Some(p.base_fee)));
    rpc::Transaction {
        inner: Recovered::new_unchecked(tx, sender),
        block_hash: position.map(|p| p.block_hash),
        block_number: position.map(|p| p.block_number),
        transaction_index: position.map(|p| p.index),
        effective_gas_price,
        block_timestamp: None,
    }
}

/// A block's logs with their block-wide indices, one list per receipt.
pub(crate) fn block_logs(block: &Block, receipts: &[Receipt]) -> Vec<Vec<rpc::Log>> {
    let hash = block.hash();
    let mut log_index = 0u64;
    block
        .transactions
        .iter()
        .zip(receipts)
        .enumerate()
        .map(|(i, (tx, receipt))| {
            receipt
                .logs()
                .iter()
                .map(|log| {
                    let log = rpc::Log {
                        inner: log.clone(),
                        block_hash: Some(hash),
                        block_number: Some(block.header.number),
                        block_timestamp: None,
                        transaction_hash: Some(*tx.tx_hash()),
                        transaction_index: Some(i as u64),
                        log_index: Some(log_index),
                        removed: false,
                    };
                    log_index += 1;
                    log
                })
                .collect()
        })
        .collect()
}

/// A scanned log as Ethereum clients expect it.
pub(crate) fn log(log: cairn_reads::BlockLog) -> rpc::Log {
    rpc::Log {
        inner: log.log,
        block_hash: Some(log.block_hash),
        block_number: Some(log.block_number),
        block_timestamp: None,
        transaction_hash: Some(log.tx_hash),
        transaction_index: Some(log.tx_index),
        log_index: Some(log.log_index),
        removed: false,
    }
}

/// A log of a block a reorg abandoned, as filters and subscriptions report it again.
pub(crate) fn removed_log(log: cairn_reads::BlockLog) -> rpc::Log {
    rpc::Log { removed: true, ..self::log(log) }
}

/// Every receipt of a block, with logs, senders and positions filled in. A reverted
/// transaction's receipt also carries `revertReason`, its revert data in hex, as Besu's do (and
/// as `cast receipt` shows).
pub(crate) fn block_receipts(
    block: &Block,
    senders: &[Address],
    receipts: &[Receipt],
) -> Vec<WithOtherFields<rpc::TransactionReceipt>> {
    let hash = block.hash();
    let logs = block_logs(block, receipts);
    block
        .transactions
        .iter()
        .zip(senders)
        .zip(receipts.iter().zip(logs))
        .enumerate()
        .map(|(i, ((tx, sender), (receipt, logs)))| {
            let mut logs = logs.into_iter();
            let envelope = receipt.envelope.clone().map_logs(|_| logs.next().unwrap_or_default());
            let inner = rpc::TransactionReceipt {
                inner: envelope,
                transaction_hash: *tx.tx_hash(),
                transaction_index: Some(i as u64),
                block_hash: Some(hash),
                block_number: Some(block.header.number),
                gas_used: receipt.gas_used,
                effective_gas_price: receipt.effective_gas_price,
                blob_gas_used: None,
                blob_gas_price: None,
                from: *sender,
                to: tx.to(),
                contract_address: receipt.created(),
            };
            let mut other = OtherFields::default();
            if let Some(output) = &receipt.revert_output {
                other.insert("revertReason".to_string(), output.to_string().into());
            }
            WithOtherFields { inner, other }
        })
        .collect()
}
