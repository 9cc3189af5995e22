//! A transaction that passed the stateless checks, with its sender recovered.

use alloy_consensus::{Transaction, TxEnvelope};
use alloy_primitives::{Address, B256, U256};

use crate::{PoolError, validate};

/// A transaction checked and recovered once; the sender is never recovered again downstream
/// (execution reuses it), because secp256k1 recovery is the most expensive step of admission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PooledTx {
    /// Transaction hash (keccak of the EIP-2718 encoding); the pool's key.
    pub hash: B256,
    /// Address recovered from the signature.
    pub sender: Address,
    /// The signed transaction itself.
    pub tx: TxEnvelope,
    /// Length of the EIP-2718 encoding in bytes, for size limits and block size accounting.
    pub encoded_len: usize,
}

impl PooledTx {
    /// Wraps an already-decoded envelope (e.g. from a block or a peer), recovering its sender.
    /// Does not check chain id, type or size; [`crate::Pool::add`] does.
    pub fn from_envelope(tx: TxEnvelope) -> Result<Self, PoolError> {
        validate::recover_envelope(tx)
    }

    /// The sender nonce this transaction consumes.
    pub fn nonce(&self) -> u64 {
        self.tx.nonce()
    }

    /// Gas limit; block building packs by it.
    pub fn gas_limit(&self) -> u64 {
        self.tx.gas_limit()
    }

    /// Most the sender pays per gas: `max_fee_per_gas`, or `gas_price` for legacy/EIP-2930.
    pub fn max_fee(&self) -> u128 {
        self.tx.max_fee_per_gas()
    }

    /// Most the sender tips per gas: `max_priority_fee_per_gas`, or `gas_price` for legacy.
    pub fn max_priority_fee(&self) -> u128 {
        self.tx.priority_fee_or_price()
    }

    /// Value transferred, in wei.
    pub fn value(&self) -> U256 {
        self.tx.value()
    }

    /// Tip per gas the block producer earns at `base_fee`; `None` when the fee cap is below the
    /// base fee, i.e. the transaction cannot be included in such a block.
    pub fn effective_tip(&self, base_fee: u64) -> Option<u128> {
        self.tx.effective_tip_per_gas(base_fee)
    }

    /// Worst-case cost `gas_limit * max_fee + value`, saturating at `U256::MAX`; the balance the
    /// sender needs.
    pub fn cost(&self) -> U256 {
        U256::from(self.gas_limit())
            .saturating_mul(U256::from(self.max_fee()))
            .saturating_add(self.value())
    }
}
