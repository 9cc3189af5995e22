//! State-root update cost per block: update 1,000 random accounts in a trie of N accounts and
//! commit. Sizes: 10k, 100k and 1M accounts; `CAIRN_BENCH_MAX_ACCOUNTS` caps them.

#![allow(missing_docs)]

use std::{hint::black_box, time::Instant};

use alloy_primitives::{B256, Bytes, keccak256};
use alloy_trie::EMPTY_ROOT_HASH;
use cairn_trie::{MemoryNodes, Trie};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

const SIZES: [u64; 3] = [10_000, 100_000, 1_000_000];
const UPDATES: u64 = 1_000;

/// A ~70-byte account-like RLP blob: [nonce, balance, storage_root, code_hash].
fn account(nonce: u64, balance: u64) -> Bytes {
    let storage_root = EMPTY_ROOT_HASH;
    let code_hash = keccak256([]);
    let mut payload = Vec::new();
    alloy_rlp::Encodable::encode(&nonce, &mut payload);
    alloy_rlp::Encodable::encode(&balance, &mut payload);
    alloy_rlp::Encodable::encode(&storage_root, &mut payload);
    alloy_rlp::Encodable::encode(&code_hash, &mut payload);
    let mut out = Vec::new();
    alloy_rlp::Header { list: true, payload_length: payload.len() }.encode(&mut out);
    out.extend(payload);
    out.into()
}

fn key(i: u64) -> B256 {
    keccak256(i.to_be_bytes())
}

/// Peak resident set size of this process, from `/proc/self/status`.
fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM")).map(str::to_owned))
        .unwrap_or_else(|| "VmHWM unavailable".to_owned())
}

fn build(n: u64) -> (MemoryNodes, B256) {
    let start = Instant::now();
    let mut store = MemoryNodes::new();
    let mut trie = Trie::new(&store, EMPTY_ROOT_HASH);
    for i in 0..n {
        trie.insert(key(i).as_slice(), account(i, 1_000_000_000 + i)).expect("in-memory insert");
    }
    let update = trie.commit();
    let nodes = update.nodes.len();
    store.insert_all(update.nodes);
    eprintln!(
        "built {n} accounts in {:.2?} ({nodes} nodes); peak memory {}",
        start.elapsed(),
        peak_rss()
    );
    (store, update.root)
}

fn state_root(c: &mut Criterion) {
    let max = std::env::var("CAIRN_BENCH_MAX_ACCOUNTS")
        .ok()
        .and_then(|v| v.replace('_', "").parse::<u64>().ok())
        .unwrap_or(u64::MAX);
    let mut group = c.benchmark_group("state_root");
    group.sample_size(10);
    for n in SIZES.into_iter().filter(|n| *n <= max) {
        let (store, root) = build(n);
        let mut block = 0u64;
        group.bench_function(format!("update_{UPDATES}_of_{n}_accounts+commit"), |b| {
            b.iter_batched(
                || {
                    // A pseudo-random set of accounts per block (keccak as the generator).
                    block += 1;
                    (0..UPDATES)
                        .map(|j| {
                            let r = keccak256([block.to_be_bytes(), j.to_be_bytes()].concat());
                            let index = u64::from_be_bytes(r[..8].try_into().unwrap_or([0; 8]));
                            (key(index % n), account(block, index))
                        })
                        .collect::<Vec<_>>()
                },
                |updates| {
                    let mut trie = Trie::new(&store, root);
                    for (k, v) in updates {
                        trie.insert(k.as_slice(), v).expect("insert");
                    }
                    black_box(trie.commit())
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, state_root);
criterion_main!(benches);
