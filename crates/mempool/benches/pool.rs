//! The pool's share of the hot path, on EIP-1559 transfers signed outside the measured code:
//!
//! - `pool/recover_1000/{sequential,rayon}`: [`Pool::recover`] (decode, stateless checks and
//!   sender recovery) of 1,000 raw transactions, one after another and on rayon's pool.
//! - `pool/add_1000`: [`Pool::add`] of 1,000 recovered transactions (100 senders × 10 nonces)
//!   into an empty pool: the part of admission that runs under the node's pool lock.
//! - `pool/select_from_10000`: [`Pool::select`] of a 30M-gas block (1,428 transfers) from a
//!   full pool of 10,000 (1,000 senders × 10 nonces).
//!
//! Throughput is reported in transactions per second (criterion's `elem/s`). Run with:
//!
//! ```text
//! cargo bench -p cairn-mempool --bench pool
//! ```

#![allow(missing_docs)]

use std::collections::HashMap;
use std::hint::black_box;

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, TxKind, U256, keccak256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use cairn_mempool::{AccountView, Pool, PoolConfig, PooledTx};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use rayon::prelude::*;

const CHAIN_ID: u64 = 1337;
const GWEI: u128 = 1_000_000_000;
const BASE_FEE: u64 = 1_000_000_000;
const GAS_LIMIT: u64 = 30_000_000;
/// Nonces per sender in every workload.
const NONCES: u64 = 10;

/// Every sender funded with 1,000 ether at nonce 0.
struct Funded(HashMap<Address, U256>);

impl AccountView for Funded {
    fn nonce(&self, _: Address) -> u64 {
        0
    }
    fn balance(&self, who: Address) -> U256 {
        self.0.get(&who).copied().unwrap_or_default()
    }
}

/// `senders` keys with `NONCES` signed transfers each, nonce level by level, as raw bytes.
fn workload(senders: usize) -> (Funded, Vec<Vec<u8>>) {
    let keys: Vec<PrivateKeySigner> = (0..senders as u64)
        .map(|i| PrivateKeySigner::from_bytes(&keccak256(i.to_be_bytes())).expect("valid key"))
        .collect();
    let funded = Funded(keys.iter().map(|k| (k.address(), U256::from(10u128.pow(21)))).collect());
    let raws = (0..NONCES)
        .flat_map(|nonce| keys.iter().enumerate().map(move |(i, key)| (nonce, i, key)))
        .map(|(nonce, i, key)| {
            let tx = TxEip1559 {
                chain_id: CHAIN_ID,
                nonce,
                gas_limit: 21_000,
                // Tips differ by sender so selection has an order to find.
                max_fee_per_gas: 3 * GWEI + i as u128,
                max_priority_fee_per_gas: GWEI + i as u128,
                to: TxKind::Call(Address::from_word(B256::from(U256::from(i)))),
                value: U256::from(1),
                ..Default::default()
            };
            let signature = key.sign_hash_sync(&tx.signature_hash()).expect("signs");
            TxEnvelope::from(tx.into_signed(signature)).encoded_2718()
        })
        .collect();
    (funded, raws)
}

fn config() -> PoolConfig {
    PoolConfig { chain_id: CHAIN_ID, block_gas_limit: GAS_LIMIT, ..PoolConfig::default() }
}

fn recover_all(raws: &[Vec<u8>]) -> Vec<PooledTx> {
    let max = config().max_tx_size;
    raws.iter().map(|raw| Pool::recover(raw, CHAIN_ID, max).expect("valid")).collect()
}

fn filled(funded: &Funded, txs: Vec<PooledTx>) -> Pool {
    let mut pool = Pool::new(config());
    for tx in txs {
        pool.add(tx, funded, BASE_FEE).expect("admitted");
    }
    pool
}

fn pool_benches(c: &mut Criterion) {
    let max = config().max_tx_size;
    let (funded, raws) = workload(100);
    let mut group = c.benchmark_group("pool");
    group.throughput(Throughput::Elements(raws.len() as u64));
    group.bench_function("recover_1000/sequential", |b| b.iter(|| recover_all(black_box(&raws))));
    group.bench_function("recover_1000/rayon", |b| {
        b.iter(|| {
            raws.par_iter()
                .map(|raw| Pool::recover(raw, CHAIN_ID, max).expect("valid"))
                .collect::<Vec<_>>()
        })
    });

    let recovered = recover_all(&raws);
    // The figure counts only if every transaction is admitted and ready.
    assert_eq!(filled(&funded, recovered.clone()).pending_count(), raws.len());
    group.bench_function("add_1000", |b| {
        b.iter_batched(|| recovered.clone(), |txs| filled(&funded, txs), BatchSize::SmallInput)
    });

    let (funded, raws) = workload(1_000);
    let pool = filled(&funded, recover_all(&raws));
    assert_eq!(pool.pending_count(), 10_000);
    let chosen = pool.select(BASE_FEE, GAS_LIMIT, &funded).len();
    assert_eq!(chosen as u64, GAS_LIMIT / 21_000);
    group.throughput(Throughput::Elements(chosen as u64));
    group.bench_function("select_from_10000", |b| {
        b.iter(|| pool.select(BASE_FEE, GAS_LIMIT, black_box(&funded)))
    });
    group.finish();
}

criterion_group!(benches, pool_benches);
criterion_main!(benches);
