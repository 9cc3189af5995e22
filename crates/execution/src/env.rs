use alloy_consensus::Transaction;
use alloy_primitives::{Address, B256};
use cairn_primitives::{Header, TxEnvelope, next_base_fee};
use revm::context::{BlockEnv, TxEnv};
use revm::context_interface::block::BlobExcessGasAndPrice;
use revm::primitives::U256;
use revm::primitives::hardfork::SpecId;

/// The Ethereum hard fork whose rules Cairn executes.
pub const SPEC: SpecId = SpecId::CANCUN;

/// Cancun's blob base fee update fraction, needed to price the (unused) blob gas.
const BLOB_UPDATE_FRACTION: u64 = 3_338_477;

/// The block-level facts execution needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockContext {
    /// Height of the block being executed.
    pub number: u64,
    /// Its timestamp in seconds, what the `TIMESTAMP` opcode reads.
    pub timestamp: u64,
    /// Its time in milliseconds (whose whole seconds are `timestamp`), recorded in the header.
    pub timestamp_ms: u64,
    /// Who receives the priority fees.
    pub beneficiary: Address,
    /// Most gas the block may use.
    pub gas_limit: u64,
    /// EIP-1559 base fee per gas.
    pub base_fee: u64,
    /// Value of the PREVRANDAO opcode (the parent hash: deterministic, not a randomness source).
    pub prevrandao: B256,
    /// Proof of work: the difficulty the block's header carries (set by the miner, absent on
    /// other engines). The EVM does not see it: under the post-merge rules Cairn runs,
    /// `DIFFICULTY` reads PREVRANDAO.
    pub difficulty: Option<U256>,
}

impl BlockContext {
    /// The context a stored block was executed in (PREVRANDAO is its parent hash).
    pub fn of(header: &Header) -> Self {
        Self {
            number: header.number,
            timestamp: header.timestamp,
            timestamp_ms: header.timestamp_ms,
            beneficiary: header.beneficiary,
            gas_limit: header.gas_limit,
            base_fee: header.base_fee,
            prevrandao: header.parent_hash,
            difficulty: header.difficulty,
        }
    }

    /// The context of a child of `parent` made at `timestamp_ms`, paying `beneficiary`, with
    /// the gas limit the chain decided for the child (the parent's, unless the chain governs
    /// it): the next height, the EIP-1559 base fee that follows the parent's, and the parent's
    /// hash as PREVRANDAO. Block builders and the pending block of simulations both start
    /// here, so they agree on everything but the time.
    pub fn child_of(
        parent: &Header,
        beneficiary: Address,
        timestamp_ms: u64,
        gas_limit: u64,
    ) -> Self {
        Self {
            number: parent.number + 1,
            timestamp: timestamp_ms / 1000,
            timestamp_ms,
            beneficiary,
            gas_limit,
            base_fee: next_base_fee(parent),
            prevrandao: parent.hash(),
            difficulty: None,
        }
    }

    pub(crate) fn block_env(&self) -> BlockEnv {
        BlockEnv {
            number: U256::from(self.number),
            beneficiary: self.beneficiary,
            timestamp: U256::from(self.timestamp),
            gas_limit: self.gas_limit,
            basefee: self.base_fee,
            difficulty: U256::ZERO,
            prevrandao: Some(self.prevrandao),
            blob_excess_gas_and_price: Some(BlobExcessGasAndPrice::new(0, BLOB_UPDATE_FRACTION)),
            ..Default::default()
        }
    }
}

/// revm's view of a signed transaction whose sender is already known.
pub(crate) fn tx_env(tx: &TxEnvelope, sender: Address) -> TxEnv {
    TxEnv {
        tx_type: tx.tx_type() as u8,
        caller: sender,
        gas_limit: tx.gas_limit(),
        gas_price: tx.max_fee_per_gas(),
        kind: tx.kind(),
        value: tx.value(),
        data: tx.input().clone(),
        nonce: tx.nonce(),
        chain_id: tx.chain_id(),
        access_list: tx.access_list().cloned().unwrap_or_default(),
        gas_priority_fee: tx.max_priority_fee_per_gas(),
        ..Default::default()
    }
}
