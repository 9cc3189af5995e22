//! Block execution throughput with 1,000 plain EIP-1559 ETH transfers per block, each from a
//! distinct sender funded at genesis to a recipient that does not exist yet:
//!
//! - `block/execute_1000_transfers`: [`BlockExecutor`] over a [`Snapshot`] of a
//!   `ChainStore<MemoryKv>`, executing all 1,000 transactions and `finish()` (no state root).
//! - `block/build_and_commit_1000_transfers`: [`build_block`] (execution, state root,
//!   transactions and receipts roots) plus [`ChainStore::commit_block`] (one durable redb write)
//!   on a `ChainStore<RedbKv>` in a temporary directory. Every iteration commits a new block on
//!   top of the previous one, so the state grows by 1,000 accounts per iteration.
//! - `sender_recovery_1000/{sequential,rayon}`: `recover_signer` on 1,000 signed transactions,
//!   one after another and with rayon's global pool.
//!
//! Transactions are signed outside the measured code. Throughput is reported in transactions
//! per second (criterion's `elem/s`).
//!
//! Run with:
//!
//! ```text
//! cargo bench -p cairn-execution --bench block
//! ```

#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use alloy_consensus::transaction::SignerRecoverable;
use alloy_consensus::{SignableTransaction, TxEip1559};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use cairn_execution::{BlockContext, BlockExecutor, NoBlockEnd, build_block};
use cairn_primitives::{ChainSpec, GenesisAccount, Header, TxEnvelope};
use cairn_storage::{ChainStore, KvRead, MemoryKv, RedbKv, Snapshot};
use criterion::measurement::WallTime;
use criterion::{
    BatchSize, BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main,
};
use rayon::prelude::*;

/// Transactions per block (and funded senders).
const TXS: usize = 1_000;
/// Genesis balance of every sender: one million ether, far more than any run can spend.
const SENDER_BALANCE: u128 = 1_000_000 * 10u128.pow(18);
/// Priority fee of every transaction: 1 gwei.
const TIP: u128 = 1_000_000_000;
/// Who receives the priority fees.
const BENEFICIARY: Address = Address::repeat_byte(0xbe);

/// `count` deterministic keys (secret `keccak256(i)`), not the mnemonic: deriving 1,000 BIP-32
/// keys would take longer than the benchmarks.
fn keys(count: usize) -> Vec<PrivateKeySigner> {
    (0..count as u64)
        .map(|i| {
            PrivateKeySigner::from_bytes(&keccak256(i.to_be_bytes())).expect("valid secret key")
        })
        .collect()
}

/// The development chain with every key funded at genesis.
fn spec_with(keys: &[PrivateKeySigner]) -> ChainSpec {
    let mut spec = ChainSpec::dev().expect("dev spec");
    for key in keys {
        spec.alloc.insert(
            key.address(),
            GenesisAccount { balance: U256::from(SENDER_BALANCE), ..Default::default() },
        );
    }
    spec
}

/// A recipient no one else uses: unique per block height and sender index.
fn fresh_recipient(number: u64, index: usize) -> Address {
    let mut bytes = [0u8; 20];
    bytes[0] = 0xee;
    bytes[4..12].copy_from_slice(&number.to_be_bytes());
    bytes[12..20].copy_from_slice(&(index as u64).to_be_bytes());
    Address::from(bytes)
}

/// The context of the child of `parent`, as a proposer would set it.
fn child_context(spec: &ChainSpec, parent: &Header) -> BlockContext {
    let context =
        BlockContext::child_of(parent, BENEFICIARY, parent.timestamp_ms + 1000, parent.gas_limit);
    assert_eq!(context.gas_limit, spec.gas_limit);
    context
}

/// One transfer of 1 wei from every key to a fresh recipient, valid in block `context.number`
/// when each key has sent `nonce` transactions before; paired with the known sender.
fn sign_transfers(
    keys: &[PrivateKeySigner],
    chain_id: u64,
    context: &BlockContext,
    nonce: u64,
) -> Vec<(TxEnvelope, Address)> {
    keys.iter()
        .enumerate()
        .map(|(index, key)| {
            let tx = TxEip1559 {
                chain_id,
                nonce,
                gas_limit: 21_000,
                max_fee_per_gas: 2 * u128::from(context.base_fee) + TIP,
                max_priority_fee_per_gas: TIP,
                to: TxKind::Call(fresh_recipient(context.number, index)),
                value: U256::from(1u64),
                ..Default::default()
            };
            let signature = key.sign_hash_sync(&tx.signature_hash()).expect("signs");
            (TxEnvelope::from(tx.into_signed(signature)), key.address())
        })
        .collect()
}

/// Executes every transaction on top of `snapshot` and finishes the block.
fn execute_all<R: KvRead>(
    snapshot: &Snapshot<R>,
    chain_id: u64,
    context: BlockContext,
    txs: &[(TxEnvelope, Address)],
) -> cairn_execution::ExecutionOutcome {
    let mut executor = BlockExecutor::new(snapshot, chain_id, context);
    for (tx, sender) in txs {
        executor.execute(tx, *sender).expect("transfer executes");
    }
    executor.finish()
}

fn execute_transfers(c: &mut Criterion) {
    let keys = keys(TXS);
    let spec = spec_with(&keys);
    let store = ChainStore::open(MemoryKv::new(), &spec).expect("open memory store");
    let snapshot = store.snapshot().expect("snapshot");
    let parent = snapshot.head().expect("genesis");
    let context = child_context(&spec, &parent);
    let txs = sign_transfers(&keys, spec.chain_id, &context, 0);

    // The block must really be 1,000 successful transfers, or the figure means nothing.
    let outcome = execute_all(&snapshot, spec.chain_id, context, &txs);
    assert_eq!(outcome.receipts.len(), TXS);
    assert!(outcome.receipts.iter().all(|r| r.success()), "every transfer succeeds");
    assert_eq!(outcome.gas_used, 21_000 * TXS as u64);
    // Senders, recipients and the beneficiary.
    assert_eq!(outcome.changes.accounts.len(), 2 * TXS + 1);

    let mut group = block_group(c, Duration::from_secs(5));
    group.bench_function("execute_1000_transfers", |b| {
        b.iter_with_large_drop(|| execute_all(&snapshot, spec.chain_id, context, black_box(&txs)))
    });
    group.finish();
}

/// The `block` group: few samples (each is a whole block), throughput in transactions.
fn block_group(c: &mut Criterion, measurement: Duration) -> BenchmarkGroup<'_, WallTime> {
    let mut group = c.benchmark_group("block");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(measurement);
    group.throughput(Throughput::Elements(TXS as u64));
    group
}

fn build_and_commit(c: &mut Criterion) {
    let keys = keys(TXS);
    let spec = spec_with(&keys);
    let dir = tempfile::tempdir().expect("temporary directory");
    let kv = RedbKv::create(&dir.path().join("chain.redb")).expect("create redb");
    let store = ChainStore::open(kv, &spec).expect("open redb store");

    let mut group = block_group(c, Duration::from_secs(8));
    group.bench_function("build_and_commit_1000_transfers", |b| {
        b.iter_batched(
            // Unmeasured: sign the next block's transfers against the current head (each
            // sender has sent one transaction per block so far, so its nonce is the height).
            || {
                let parent = store.head().expect("head");
                let context = child_context(&spec, &parent);
                let txs = sign_transfers(&keys, spec.chain_id, &context, parent.number);
                (parent, context, txs)
            },
            |(parent, context, txs)| {
                let snapshot = store.snapshot().expect("snapshot");
                let built =
                    build_block(&snapshot, &spec, &parent, context, txs, Bytes::new(), &NoBlockEnd)
                        .expect("block builds");
                assert!(built.rejected.is_empty(), "rejected: {:?}", built.rejected.first());
                assert_eq!(built.block.transactions.len(), TXS);
                store
                    .commit_block(
                        &built.block,
                        &built.senders,
                        &built.receipts,
                        built.state,
                        &Default::default(),
                    )
                    .expect("block commits");
            },
            // Setup must run right before its routine: it reads the head the previous
            // iteration committed.
            BatchSize::PerIteration,
        )
    });
    group.finish();

    let head = store.head().expect("head");
    eprintln!(
        "build_and_commit: committed {} blocks ({} transfers), state now {} accounts, base fee {} wei",
        head.number,
        head.number * TXS as u64,
        spec.alloc.len() as u64 + 1 + head.number * TXS as u64,
        head.base_fee,
    );
}

fn sender_recovery(c: &mut Criterion) {
    let keys = keys(TXS);
    let context = BlockContext {
        number: 1,
        timestamp: 1,
        timestamp_ms: 1000,
        beneficiary: BENEFICIARY,
        gas_limit: 30_000_000,
        base_fee: 1_000_000_000,
        prevrandao: B256::ZERO,
        difficulty: None,
    };
    let signed = sign_transfers(&keys, 31337, &context, 0);
    let (txs, senders): (Vec<TxEnvelope>, Vec<Address>) = signed.into_iter().unzip();
    let recovered: Vec<Address> =
        txs.iter().map(|tx| tx.recover_signer().expect("valid signature")).collect();
    assert_eq!(recovered, senders);

    let mut group = c.benchmark_group("sender_recovery_1000");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(TXS as u64));
    group.bench_function("sequential", |b| {
        b.iter(|| {
            black_box(&txs)
                .iter()
                .map(|tx| tx.recover_signer().expect("valid signature"))
                .collect::<Vec<Address>>()
        })
    });
    group.bench_function("rayon", |b| {
        b.iter(|| {
            black_box(&txs)
                .par_iter()
                .map(|tx| tx.recover_signer().expect("valid signature"))
                .collect::<Vec<Address>>()
        })
    });
    group.finish();
    eprintln!("sender_recovery: rayon pool has {} threads", rayon::current_num_threads());
}

criterion_group!(benches, execute_transfers, build_and_commit, sender_recovery);
criterion_main!(benches);
