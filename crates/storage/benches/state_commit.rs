//! State-root update and commit per block on the real on-disk store, at growing state sizes.
//!
//! For each size (10k, 100k, 1M accounts; `CAIRN_BENCH_MAX_ACCOUNTS` caps it) a redb chain is
//! created whose genesis holds that many accounts; then each measured block changes the
//! balance of 1,000 random accounts: `prepare_state` (flat reads, trie update, new root) plus
//! `commit_block` (one fsynced redb write). Peak resident memory (VmHWM) is printed after the
//! largest size. Run: `cargo bench -p cairn-storage --bench state_commit`.

#![allow(missing_docs)]

use std::time::{Duration, Instant};

use alloy_primitives::{Address, B256, Bytes, U256};
use cairn_primitives::{Block, ChainSpec, GenesisAccount, Header};
use cairn_storage::{AccountChange, AccountInfo, ChainStore, RedbKv, StateChanges};
use criterion::{Criterion, criterion_group, criterion_main};

const CHANGED_PER_BLOCK: u64 = 1_000;

fn address(i: u64) -> Address {
    let mut bytes = [0u8; 20];
    bytes[12..].copy_from_slice(&i.to_be_bytes());
    Address::from(bytes)
}

fn spec_with(accounts: u64) -> ChainSpec {
    let mut spec = ChainSpec::dev().expect("dev spec");
    spec.alloc = (0..accounts)
        .map(|i| {
            (address(i), GenesisAccount { balance: U256::from(1_000_000u64), ..Default::default() })
        })
        .collect();
    spec
}

fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM")).map(str::to_owned))
        .unwrap_or_else(|| "VmHWM unavailable".to_owned())
}

/// Commits one empty block whose state changes touch `CHANGED_PER_BLOCK` pseudo-random accounts.
fn commit_changes(store: &ChainStore<RedbKv>, accounts: u64, seed: &mut u64) -> Duration {
    let head = store.head().expect("head");
    let mut changes = StateChanges::default();
    for _ in 0..CHANGED_PER_BLOCK {
        *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let info = AccountInfo {
            nonce: head.number,
            balance: U256::from(*seed),
            code_hash: alloy_trie::KECCAK_EMPTY,
        };
        changes.accounts.insert(
            address((*seed >> 16) % accounts),
            AccountChange { info: Some(info), ..Default::default() },
        );
    }
    let started = Instant::now();
    let snapshot = store.snapshot().expect("snapshot");
    let update = snapshot.prepare_state(head.state_root, &changes).expect("prepare");
    let header = Header {
        parent_hash: head.hash(),
        number: head.number + 1,
        state_root: update.root,
        gas_limit: head.gas_limit,
        extra_data: Bytes::new(),
        transactions_root: B256::ZERO,
        ..head.clone()
    };
    let block = Block { consensus: None, header, transactions: vec![] };
    store.commit_block(&block, &[], &[], update, &Default::default()).expect("commit");
    started.elapsed()
}

fn state_commit(c: &mut Criterion) {
    let max: u64 = std::env::var("CAIRN_BENCH_MAX_ACCOUNTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let mut group = c.benchmark_group("state_commit_1000_changed_accounts");
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    for accounts in [10_000u64, 100_000, 1_000_000].into_iter().filter(|n| *n <= max) {
        let dir = tempfile::tempdir().expect("tempdir");
        let started = Instant::now();
        let store = ChainStore::open(
            RedbKv::create(&dir.path().join("chain.redb")).expect("redb"),
            &spec_with(accounts),
        )
        .expect("genesis");
        eprintln!("{accounts} accounts: genesis written in {:.1?}", started.elapsed());
        let mut seed = accounts;
        group.bench_function(format!("{accounts}_accounts"), |b| {
            b.iter_custom(|iters| {
                (0..iters).map(|_| commit_changes(&store, accounts, &mut seed)).sum()
            });
        });
        eprintln!("after {accounts} accounts: {}", peak_rss());
    }
    group.finish();
}

criterion_group!(benches, state_commit);
criterion_main!(benches);
