//! Raw transactions as `eth_sendRawTransaction`, `POST /v1/transactions` and gossip deliver
//! them (EIP-2718 bytes): decoded and recovered (`Pool::recover`), then admitted to a small
//! pool (`Pool::add`) whose invariants are checked after every input, and from which a block
//! is selected and removed.
//!
//! Input: transactions, each behind a two-byte big-endian length (the last one may run to the
//! end of the input).

#![no_main]

use std::collections::HashMap;

use alloy_consensus::{SignableTransaction, Signed, TxEip2930, TxLegacy};
use alloy_eips::eip2718::{Decodable2718, Encodable2718};
use alloy_eips::eip2930::AccessListItem;
use alloy_primitives::{Address, B256, Signature, TxKind, U256, keccak256};
use alloy_signer::SignerSync as _;
use cairn_fuzz::chain::{CHAIN_ID, call, deploy_counter, keys, transfer};
use cairn_mempool::{AccountView, Pool, PoolConfig};
use cairn_primitives::TxEnvelope;
use libfuzzer_sys::fuzz_target;

const BASE_FEE: u64 = 1_000_000_000;
const BLOCK_GAS: u64 = 30_000_000;

/// Account state derived from the address, so some senders are poor or have sent before.
struct State;

impl AccountView for State {
    fn nonce(&self, who: Address) -> u64 {
        u64::from(who[1] % 3)
    }

    fn balance(&self, who: Address) -> U256 {
        U256::from(who[0]) * U256::from(10u64.pow(15))
    }
}

/// The state after a block: each sender's nonce moved past what the block included.
struct After(HashMap<Address, u64>);

impl AccountView for After {
    fn nonce(&self, who: Address) -> u64 {
        self.0.get(&who).copied().unwrap_or_else(|| State.nonce(who))
    }

    fn balance(&self, who: Address) -> U256 {
        State.balance(who)
    }
}

fn split(mut data: &[u8]) -> Vec<&[u8]> {
    let mut raws = Vec::new();
    while let [high, low, rest @ ..] = data {
        let len = usize::from(u16::from_be_bytes([*high, *low])).min(rest.len());
        let (raw, tail) = rest.split_at(len);
        raws.push(raw);
        data = tail;
    }
    raws
}

fuzz_target!(init: cairn_fuzz::seeds::offer("transaction", seeds), |data: &[u8]| {
    let config = PoolConfig {
        chain_id: CHAIN_ID,
        block_gas_limit: BLOCK_GAS,
        max_per_sender: 3,
        max_total: 6,
        min_priority_fee: 1,
        ..PoolConfig::default()
    };
    let mut pool = Pool::new(config.clone());
    for raw in split(data) {
        if let Ok(tx) = TxEnvelope::decode_2718_exact(raw) {
            // One transaction, one encoding: its hash (what clients, blocks and gossip
            // message ids name it by) is the hash of the bytes that were sent.
            assert_eq!(tx.encoded_2718(), raw, "a transaction decodes from a non-canonical encoding");
            assert_eq!(*tx.tx_hash(), keccak256(raw));
        }
        let Ok(pooled) = Pool::recover(raw, CHAIN_ID, config.max_tx_size) else { continue };
        assert_eq!(pooled.hash, keccak256(raw));
        assert_eq!(pooled.encoded_len, raw.len());
        if let Ok(hash) = pool.add(pooled, &State, BASE_FEE) {
            assert_eq!(hash, keccak256(raw));
            assert!(pool.contains(&hash));
        }
        assert!(pool.len() <= config.max_total, "the pool outgrew its limit");
        assert!(pool.pending_count() <= pool.len());
        assert_eq!(pool.pending().len() + pool.queued().len(), pool.len());
    }
    let block = pool.select(BASE_FEE, BLOCK_GAS, &State);
    let mut gas = 0u64;
    let mut next: HashMap<Address, u64> = HashMap::new();
    for tx in &block {
        gas += tx.gas_limit();
        let expected = next.get(&tx.sender).copied().unwrap_or_else(|| State.nonce(tx.sender));
        assert_eq!(tx.nonce(), expected, "a block skips or repeats a sender's nonce");
        assert!(tx.effective_tip(BASE_FEE).is_some(), "a block holds a tx below the base fee");
        next.insert(tx.sender, expected + 1);
    }
    assert!(gas <= BLOCK_GAS);
    let included: Vec<B256> = block.iter().map(|tx| tx.hash).collect();
    pool.on_block(&included, &After(next));
    assert!(included.iter().all(|hash| !pool.contains(hash)));
    assert_eq!(pool.pending().len() + pool.queued().len(), pool.len());
});

fn framed(raws: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for raw in raws {
        out.extend_from_slice(&(raw.len() as u16).to_be_bytes());
        out.extend_from_slice(raw);
    }
    out
}

/// Single transfers, a creation and a call, a nonce gap, a replacement, and one sender
/// over its limit.
fn seeds() -> Vec<Vec<u8>> {
    let counter = keys()[0].address().create(0);
    let mut seeds = vec![
        framed(&[transfer(1, 0, 2, 1)]),
        framed(&[deploy_counter(0, 0, 1), call(0, 1, counter, "increment()")]),
        framed(&[transfer(3, 0, 4, 1), transfer(3, 2, 4, 1), transfer(3, 1, 4, 1)]),
        framed(&(0..5).map(|nonce| transfer(5, nonce, 6, 1)).collect::<Vec<_>>()),
        framed(&(0..8).map(|i| transfer(i, 0, 9, 1)).collect::<Vec<_>>()),
    ];
    let legacy = TxLegacy {
        chain_id: Some(CHAIN_ID),
        gas_price: 2_000_000_000,
        gas_limit: 21_000,
        to: TxKind::Call(keys()[2].address()),
        ..Default::default()
    };
    let access_list = TxEip2930 {
        chain_id: CHAIN_ID,
        gas_price: 2_000_000_000,
        gas_limit: 30_000,
        to: TxKind::Call(counter),
        access_list: vec![AccessListItem { address: counter, storage_keys: vec![B256::ZERO] }]
            .into(),
        ..Default::default()
    };
    seeds.push(framed(&[signed(legacy), signed(access_list)]));
    seeds
}

/// A legacy or EIP-2930 transaction signed by development key 7.
fn signed<T>(tx: T) -> Vec<u8>
where
    T: SignableTransaction<Signature>,
    TxEnvelope: From<Signed<T>>,
{
    let signature = keys()[7].sign_hash_sync(&tx.signature_hash()).expect("signing");
    TxEnvelope::from(tx.into_signed(signature)).encoded_2718()
}
