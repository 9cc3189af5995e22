//! The JSON resources: amounts as decimal strings, hashes and addresses as 0x hex.

use alloy_consensus::Transaction as _;
use alloy_primitives::{Address, B256, Bytes};
use cairn_consensus::{ConsensusError, ConsensusReads};
use cairn_primitives::{Block, ConsensusKind, Header, NetworkKind, Receipt, TxEnvelope};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The node and its chain at this instant.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Status {
    /// EIP-155 chain id.
    pub(crate) chain_id: u64,
    /// Who may join: `public`, `private` or `consortium`.
    #[schema(value_type = String, example = "public")]
    pub(crate) network: NetworkKind,
    /// How blocks are agreed: `dev`, `bft`, `pos` or `pow`.
    #[schema(value_type = String, example = "dev")]
    pub(crate) consensus: ConsensusKind,
    /// The newest block.
    pub(crate) head: BlockRef,
    /// The highest block that can no longer be reverted.
    pub(crate) finalized_height: u64,
    /// Connected peers.
    pub(crate) peers: u32,
    /// Whether the node is still catching up with its peers.
    pub(crate) syncing: bool,
}

/// What to offer so a transaction is included soon: the node's fee rules, the same that
/// answer JSON-RPC's `eth_maxPriorityFeePerGas` and `eth_gasPrice`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Fees {
    /// The newest block, whose base fee and predecessors' tips these follow from.
    pub(crate) block_number: u64,
    /// The newest block's base fee per gas, in wei (decimal string).
    #[schema(example = "875000000")]
    pub(crate) base_fee_per_gas: String,
    /// The next block's base fee per gas (EIP-1559), in wei (decimal string).
    #[schema(example = "765625000")]
    pub(crate) next_base_fee_per_gas: String,
    /// The suggested tip per gas: the 60th percentile of the lowest tips of the last 20
    /// blocks, tips of 2 wei or less left out, 1 gwei without any (decimal string).
    #[schema(example = "1000000000")]
    pub(crate) max_priority_fee_per_gas: String,
    /// The suggested price of a legacy transaction: the tip on top of the higher of the two
    /// base fees (decimal string).
    #[schema(example = "1875000000")]
    pub(crate) gas_price: String,
}

/// A block named by number and hash.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct BlockRef {
    /// Height.
    pub(crate) number: u64,
    /// Block hash.
    #[schema(value_type = String, example = "0x7d5a…")]
    pub(crate) hash: B256,
    /// Seconds since the Unix epoch.
    pub(crate) timestamp: u64,
}

impl BlockRef {
    pub(crate) fn of(header: &cairn_primitives::Header) -> Self {
        Self { number: header.number, hash: header.hash(), timestamp: header.timestamp }
    }
}

/// A block's header fields and how many transactions it holds.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct BlockSummary {
    /// Height.
    pub(crate) number: u64,
    /// Block hash (keccak256 of the RLP header).
    #[schema(value_type = String)]
    pub(crate) hash: B256,
    /// The previous block's hash.
    #[schema(value_type = String)]
    pub(crate) parent_hash: B256,
    /// Seconds since the Unix epoch, as the EVM's `TIMESTAMP` reads it: `timestamp_ms / 1000`,
    /// never decreasing, shared by blocks made within one second.
    pub(crate) timestamp: u64,
    /// Milliseconds since the Unix epoch: the block's full time, strictly later than its
    /// parent's.
    pub(crate) timestamp_ms: u64,
    /// Who received the priority fees.
    #[schema(value_type = String)]
    pub(crate) beneficiary: Address,
    /// State trie root after the block.
    #[schema(value_type = String)]
    pub(crate) state_root: B256,
    /// Transactions trie root.
    #[schema(value_type = String)]
    pub(crate) transactions_root: B256,
    /// Receipts trie root.
    #[schema(value_type = String)]
    pub(crate) receipts_root: B256,
    /// Gas used by all transactions.
    pub(crate) gas_used: u64,
    /// Most gas the block may use.
    pub(crate) gas_limit: u64,
    /// EIP-1559 base fee per gas, in wei (decimal string).
    #[schema(example = "1000000000")]
    pub(crate) base_fee_per_gas: String,
    /// Number of transactions.
    pub(crate) transaction_count: u64,
    /// The validators that vouched for the block: the signers of its commit certificate (the
    /// proposer alone on a dev chain).
    #[schema(value_type = Vec<String>)]
    pub(crate) signers: Vec<Address>,
}

impl BlockSummary {
    pub(crate) fn new(
        block: &Block,
        consensus: &dyn ConsensusReads,
    ) -> Result<Self, ConsensusError> {
        let header: &Header = &block.header;
        Ok(Self {
            number: header.number,
            hash: header.hash(),
            parent_hash: header.parent_hash,
            timestamp: header.timestamp,
            timestamp_ms: header.timestamp_ms,
            beneficiary: header.beneficiary,
            state_root: header.state_root,
            transactions_root: header.transactions_root,
            receipts_root: header.receipts_root,
            gas_used: header.gas_used,
            gas_limit: header.gas_limit,
            base_fee_per_gas: header.base_fee.to_string(),
            transaction_count: block.transactions.len() as u64,
            signers: consensus.signers(header)?,
        })
    }
}

/// A block with the hashes of its transactions, in order.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct BlockDetail {
    /// The header fields.
    #[serde(flatten)]
    pub(crate) summary: BlockSummary,
    /// Transaction hashes in block order.
    #[schema(value_type = Vec<String>)]
    pub(crate) transactions: Vec<B256>,
}

/// One page of blocks, newest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct BlockPage {
    /// The blocks on this page.
    pub(crate) items: Vec<BlockSummary>,
    /// Cursor of the next page; null on the last page.
    pub(crate) next: Option<String>,
}

/// One page of a block's transactions, in block order.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct TransactionPage {
    /// The transactions on this page.
    pub(crate) items: Vec<TransactionView>,
    /// Cursor of the next page; null on the last page.
    pub(crate) next: Option<String>,
}

/// Where a transaction is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum TxStatus {
    /// Waiting in the mempool.
    Pending,
    /// In a block that could still be reverted.
    Included,
    /// In a block at or below the finalized height.
    Finalized,
}

/// Where an included transaction sits.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct TxPosition {
    /// Block height.
    pub(crate) block_number: u64,
    /// Block hash.
    #[schema(value_type = String)]
    pub(crate) block_hash: B256,
    /// Index within the block.
    pub(crate) index: u64,
}

/// A transaction, with its receipt once included.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct TransactionView {
    /// Transaction hash.
    #[schema(value_type = String)]
    pub(crate) hash: B256,
    /// `pending`, `included` or `finalized`.
    pub(crate) status: TxStatus,
    /// EIP-2718 type: 0 legacy, 1 access list, 2 dynamic fee.
    pub(crate) r#type: u8,
    /// Sender, recovered from the signature.
    #[schema(value_type = String)]
    pub(crate) from: Address,
    /// Recipient; null for a contract creation.
    #[schema(value_type = Option<String>)]
    pub(crate) to: Option<Address>,
    /// Sender's nonce.
    pub(crate) nonce: u64,
    /// Wei transferred (decimal string).
    pub(crate) value: String,
    /// Gas limit.
    pub(crate) gas_limit: u64,
    /// Most wei per gas the sender pays (the gas price of legacy and access-list
    /// transactions), decimal string.
    pub(crate) max_fee_per_gas: String,
    /// Most tip per gas (dynamic-fee transactions only, else null), decimal string.
    pub(crate) max_priority_fee_per_gas: Option<String>,
    /// Call data or init code, 0x hex.
    #[schema(value_type = String)]
    pub(crate) input: Bytes,
    /// The block that includes it; null while pending.
    pub(crate) position: Option<TxPosition>,
    /// What it did; null while pending.
    pub(crate) receipt: Option<ReceiptView>,
}

/// An included transaction's outcome.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ReceiptView {
    /// Whether execution succeeded.
    pub(crate) success: bool,
    /// Gas this transaction used.
    pub(crate) gas_used: u64,
    /// Gas used by the block up to and including this transaction.
    pub(crate) cumulative_gas_used: u64,
    /// Wei per gas paid (base fee plus tip), decimal string.
    pub(crate) effective_gas_price: String,
    /// The contract a creation made; null for calls.
    #[schema(value_type = Option<String>)]
    pub(crate) contract_address: Option<Address>,
    /// Logs in emission order.
    pub(crate) logs: Vec<LogView>,
    /// Why it reverted, when its revert data is an `Error(string)` or a `Panic(uint256)`;
    /// null otherwise (see `revert_data` for custom errors).
    pub(crate) revert_reason: Option<String>,
    /// The data it reverted with (at most 4096 bytes), 0x hex; null if it did not revert or
    /// reverted without data.
    #[schema(value_type = Option<String>)]
    pub(crate) revert_data: Option<Bytes>,
}

/// A log a contract emitted.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct LogView {
    /// The emitting contract.
    #[schema(value_type = String)]
    pub(crate) address: Address,
    /// Indexed topics.
    #[schema(value_type = Vec<String>)]
    pub(crate) topics: Vec<B256>,
    /// Unindexed data, 0x hex.
    #[schema(value_type = String)]
    pub(crate) data: Bytes,
}

impl TransactionView {
    /// A pending transaction, or an included one with its position and receipt.
    pub(crate) fn new(
        tx: &TxEnvelope,
        sender: Address,
        included: Option<(TxPosition, &Receipt)>,
        status: TxStatus,
    ) -> Self {
        let (position, receipt) = match included {
            Some((position, receipt)) => (Some(position), Some(ReceiptView::new(receipt))),
            None => (None, None),
        };
        Self {
            hash: *tx.tx_hash(),
            status,
            r#type: tx.tx_type() as u8,
            from: sender,
            to: tx.to(),
            nonce: tx.nonce(),
            value: tx.value().to_string(),
            gas_limit: tx.gas_limit(),
            max_fee_per_gas: tx.max_fee_per_gas().to_string(),
            max_priority_fee_per_gas: tx.max_priority_fee_per_gas().map(|fee| fee.to_string()),
            input: tx.input().clone(),
            position,
            receipt,
        }
    }
}

impl ReceiptView {
    fn new(receipt: &Receipt) -> Self {
        Self {
            success: receipt.success(),
            gas_used: receipt.gas_used,
            cumulative_gas_used: receipt.envelope.cumulative_gas_used(),
            effective_gas_price: receipt.effective_gas_price.to_string(),
            contract_address: receipt.created(),
            logs: receipt
                .logs()
                .iter()
                .map(|log| LogView {
                    address: log.address,
                    topics: log.topics().to_vec(),
                    data: log.data.data.clone(),
                })
                .collect(),
            revert_reason: receipt.revert_reason(),
            revert_data: receipt.revert_output.clone(),
        }
    }
}

/// An account in the head state.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct AccountView {
    /// The address.
    #[schema(value_type = String)]
    pub(crate) address: Address,
    /// Balance in wei (decimal string).
    #[schema(example = "10000000000000000000000")]
    pub(crate) balance: String,
    /// Transactions sent (or, for a contract, contracts created).
    pub(crate) nonce: u64,
    /// Whether code is deployed at the address.
    pub(crate) is_contract: bool,
    /// keccak256 of the code (of empty code for plain accounts).
    #[schema(value_type = String)]
    pub(crate) code_hash: B256,
    /// Bytes of code deployed at the address (0 for plain accounts).
    pub(crate) code_size: u64,
}

/// An account and its Merkle proof against one block's state root.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct AccountProofView {
    /// The address.
    #[schema(value_type = String)]
    pub(crate) address: Address,
    /// The block the proof is against.
    pub(crate) block_number: u64,
    /// That block's state root: the proof's anchor.
    #[schema(value_type = String)]
    pub(crate) state_root: B256,
    /// Whether the account exists (an absent one is proven absent).
    pub(crate) exists: bool,
    /// Balance in wei (decimal string).
    pub(crate) balance: String,
    /// Nonce.
    pub(crate) nonce: u64,
    /// keccak256 of the code.
    #[schema(value_type = String)]
    pub(crate) code_hash: B256,
    /// Root of the account's storage trie.
    #[schema(value_type = String)]
    pub(crate) storage_root: B256,
    /// RLP trie nodes from the state root towards the account, 0x hex.
    #[schema(value_type = Vec<String>)]
    pub(crate) proof: Vec<Bytes>,
}

/// A raw signed transaction to admit to the mempool.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SubmitTransaction {
    /// EIP-2718 bytes, 0x hex (what `eth_sendRawTransaction` takes).
    #[schema(value_type = String, pattern = "^0x([0-9a-fA-F]{2})+$")]
    pub(crate) raw: Bytes,
}

/// An admitted transaction.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Submitted {
    /// Its hash, to poll `GET /v1/transactions/{hash}` with.
    #[schema(value_type = String)]
    pub(crate) hash: B256,
}

/// One page of an account's history, newest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct AccountTransactionPage {
    /// Transactions the account sent or received (or whose creation made it), newest first.
    pub(crate) items: Vec<TransactionView>,
    /// Cursor of the next page; null on the last page.
    pub(crate) next: Option<String>,
}

/// A log a contract emitted, with where.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct EventView {
    /// The emitting contract.
    #[schema(value_type = String)]
    pub(crate) address: Address,
    /// Indexed topics; the first is usually the event signature's hash.
    #[schema(value_type = Vec<String>)]
    pub(crate) topics: Vec<B256>,
    /// Unindexed data, 0x hex.
    #[schema(value_type = String)]
    pub(crate) data: Bytes,
    /// Height of the block that holds it.
    pub(crate) block_number: u64,
    /// That block's hash.
    #[schema(value_type = String)]
    pub(crate) block_hash: B256,
    /// That block's timestamp (seconds since the Unix epoch).
    pub(crate) block_timestamp: u64,
    /// The emitting transaction.
    #[schema(value_type = String)]
    pub(crate) transaction_hash: B256,
    /// The transaction's index in the block.
    pub(crate) transaction_index: u64,
    /// The log's index among all logs of the block.
    pub(crate) log_index: u64,
}

impl EventView {
    pub(crate) fn new(log: cairn_reads::BlockLog) -> Self {
        Self {
            address: log.log.address,
            topics: log.log.topics().to_vec(),
            data: log.log.data.data,
            block_number: log.block_number,
            block_hash: log.block_hash,
            block_timestamp: log.block_timestamp,
            transaction_hash: log.tx_hash,
            transaction_index: log.tx_index,
            log_index: log.log_index,
        }
    }
}

/// One page of events, in chain order.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct EventPage {
    /// The events on this page.
    pub(crate) items: Vec<EventView>,
    /// First block searched.
    pub(crate) from_block: u64,
    /// Last block searched (the head when the query named a later one).
    pub(crate) to_block: u64,
    /// Cursor of the next page; null on the last page.
    pub(crate) next: Option<String>,
}

/// A transaction waiting in the mempool.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct MempoolTransaction {
    /// The transaction (status `pending`).
    #[serde(flatten)]
    pub(crate) transaction: TransactionView,
    /// Whether it waits behind a nonce gap (queued) rather than being ready for the next
    /// block.
    pub(crate) queued: bool,
}

/// One page of the mempool: ready transactions first, then queued ones, each by sender and
/// nonce.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct MempoolPage {
    /// Transactions ready for the next block, in the whole pool.
    pub(crate) ready_count: u64,
    /// Transactions waiting behind a nonce gap, in the whole pool.
    pub(crate) queued_count: u64,
    /// The transactions on this page.
    pub(crate) items: Vec<MempoolTransaction>,
    /// Cursor of the next page; null on the last page.
    pub(crate) next: Option<String>,
}
