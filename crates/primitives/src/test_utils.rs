//! Helpers for tests in other crates (feature `test-utils`).

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, Bytes, TxKind, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;

/// A signed EIP-1559 transfer with a 10 gwei fee cap and a 1 gwei tip, as raw EIP-2718 bytes,
/// ready for `eth_sendRawTransaction`.
pub fn signed_transfer(
    key: &PrivateKeySigner,
    chain_id: u64,
    nonce: u64,
    to: Address,
    value: u64,
) -> Result<Vec<u8>, alloy_signer::Error> {
    let tx = eip1559(chain_id, nonce, TxKind::Call(to), U256::from(value), Bytes::new(), 21_000);
    sign(key, tx)
}

/// A signed EIP-1559 call or contract creation with a 10 gwei fee cap and a 1 gwei tip, as raw
/// EIP-2718 bytes.
pub fn signed_call(
    key: &PrivateKeySigner,
    chain_id: u64,
    nonce: u64,
    to: TxKind,
    input: Bytes,
    gas_limit: u64,
) -> Result<Vec<u8>, alloy_signer::Error> {
    sign(key, eip1559(chain_id, nonce, to, U256::ZERO, input, gas_limit))
}

/// Signs `tx` and encodes it as EIP-2718 bytes.
pub fn sign(key: &PrivateKeySigner, tx: TxEip1559) -> Result<Vec<u8>, alloy_signer::Error> {
    let signature = key.sign_hash_sync(&tx.signature_hash())?;
    Ok(TxEnvelope::Eip1559(tx.into_signed(signature)).encoded_2718())
}

/// An unsigned EIP-1559 transaction with a 10 gwei fee cap and a 1 gwei tip.
pub fn eip1559(
    chain_id: u64,
    nonce: u64,
    to: TxKind,
    value: U256,
    input: Bytes,
    gas_limit: u64,
) -> TxEip1559 {
    TxEip1559 {
        chain_id,
        nonce,
        gas_limit,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to,
        value,
        input,
        ..Default::default()
    }
}

/// A clock a test moves by hand: several nodes on one `Arc` of it share one time.
#[derive(Debug, Default)]
pub struct ManualClock(std::sync::atomic::AtomicU64);

impl ManualClock {
    /// A clock reading `unix_millis`.
    pub fn at(unix_millis: u64) -> Self {
        Self(std::sync::atomic::AtomicU64::new(unix_millis))
    }

    /// Moves the clock `millis` forward.
    pub fn advance(&self, millis: u64) {
        self.0.fetch_add(millis, std::sync::atomic::Ordering::SeqCst);
    }
}

impl crate::Clock for ManualClock {
    fn unix_millis(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// The dev chain sealed by work, aiming at 20 ms blocks from a floor of `min_difficulty`: a
/// test mines its blocks in moments, and on a [`ManualClock`] moved a second per block every
/// block's difficulty is the floor (so a branch's work is its length).
pub fn pow_dev_spec(min_difficulty: u64) -> Result<crate::ChainSpec, crate::PrimitivesError> {
    Ok(crate::ChainSpec {
        consensus: crate::ConsensusKind::Pow,
        block_time_ms: 20,
        pow: Some(crate::PowParams { min_difficulty, ..crate::PowParams::default() }),
        ..crate::ChainSpec::dev()?
    })
}
