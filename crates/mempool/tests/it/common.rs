//! Signing helpers and an in-memory account view.

use std::collections::HashMap;

use alloy_consensus::{SignableTransaction, TxEip1559, TxEip2930, TxEnvelope, TxLegacy};
use alloy_eips::eip2718::Encodable2718;
use alloy_eips::eip2930::AccessList;
use alloy_primitives::{Address, B256, Bytes, Signature, TxKind, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use cairn_mempool::{AccountView, Pool, PoolConfig};

pub const CHAIN_ID: u64 = 1337;
pub const GWEI: u128 = 1_000_000_000;

/// Deterministic key number `i` (i >= 0).
pub fn key(i: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::with_last_byte(i.wrapping_add(1))).unwrap()
}

pub fn config() -> PoolConfig {
    PoolConfig { chain_id: CHAIN_ID, ..PoolConfig::default() }
}

pub fn pool() -> Pool {
    Pool::new(config())
}

#[derive(Default, Clone, Debug)]
pub struct State {
    pub accounts: HashMap<Address, (u64, U256)>,
}

impl State {
    /// Every given key funded with 1000 ETH at nonce 0.
    pub fn funded(keys: &[&PrivateKeySigner]) -> Self {
        let mut s = Self::default();
        for k in keys {
            s.accounts.insert(k.address(), (0, U256::from(10u128.pow(21))));
        }
        s
    }
    pub fn set_nonce(&mut self, who: Address, nonce: u64) {
        self.accounts.entry(who).or_default().0 = nonce;
    }
    pub fn set_balance(&mut self, who: Address, balance: U256) {
        self.accounts.entry(who).or_default().1 = balance;
    }
}

impl AccountView for State {
    fn nonce(&self, who: Address) -> u64 {
        self.accounts.get(&who).map_or(0, |a| a.0)
    }
    fn balance(&self, who: Address) -> U256 {
        self.accounts.get(&who).map_or(U256::ZERO, |a| a.1)
    }
}

pub fn sign<T>(signer: &PrivateKeySigner, tx: T) -> TxEnvelope
where
    T: SignableTransaction<Signature>,
    TxEnvelope: From<alloy_consensus::Signed<T>>,
{
    let sig = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
    TxEnvelope::from(tx.into_signed(sig))
}

pub fn raw(tx: &TxEnvelope) -> Vec<u8> {
    tx.encoded_2718()
}

pub fn recipient() -> TxKind {
    TxKind::Call(Address::with_last_byte(0xaa))
}

pub fn eip1559_tx(nonce: u64, max_fee: u128, tip: u128) -> TxEip1559 {
    TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: max_fee,
        max_priority_fee_per_gas: tip,
        to: recipient(),
        value: U256::from(1u64),
        access_list: AccessList::default(),
        input: Bytes::new(),
    }
}

/// A signed EIP-1559 transfer.
pub fn tx1559(signer: &PrivateKeySigner, nonce: u64, max_fee: u128, tip: u128) -> Vec<u8> {
    raw(&sign(signer, eip1559_tx(nonce, max_fee, tip)))
}

pub fn legacy_tx(nonce: u64, gas_price: u128, chain_id: Option<u64>) -> TxLegacy {
    TxLegacy {
        chain_id,
        nonce,
        gas_price,
        gas_limit: 21_000,
        to: recipient(),
        value: U256::from(1u64),
        input: Bytes::new(),
    }
}

/// A signed legacy transfer with EIP-155 replay protection.
pub fn tx_legacy(signer: &PrivateKeySigner, nonce: u64, gas_price: u128) -> Vec<u8> {
    raw(&sign(signer, legacy_tx(nonce, gas_price, Some(CHAIN_ID))))
}

pub fn eip2930_tx(nonce: u64, gas_price: u128) -> TxEip2930 {
    TxEip2930 {
        chain_id: CHAIN_ID,
        nonce,
        gas_price,
        gas_limit: 21_000,
        to: recipient(),
        value: U256::from(1u64),
        access_list: AccessList::default(),
        input: Bytes::new(),
    }
}

/// Hash of raw EIP-2718 bytes, as the pool reports it.
pub fn hash_of(raw: &[u8]) -> B256 {
    alloy_primitives::keccak256(raw)
}
