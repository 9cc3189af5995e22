//! What checking proof-of-work headers costs: the header rule over a mined chain (the link,
//! the difficulty and the work), which import, sync and `cairn verify` run on every header,
//! and the search itself (hashes a second on one core).
//!
//! `cargo bench -p cairn-consensus --bench pow`

#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use alloy_primitives::{Address, B256, U256};
use cairn_consensus::pow::{seal, search, work_hash};
use cairn_consensus::{
    BlockProduction, ConsensusError, HeaderValidator, PowConsensus, ValidatorSets,
};
use cairn_primitives::{
    ChainSpec, ConsensusKind, Header, PowParams, ValidatorSetRecord, next_base_fee,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// Headers in the chain each iteration checks.
const HEADERS: u64 = 1_000;

struct NoSets;

impl ValidatorSets for NoSets {
    fn set_at(&self, _height: u64) -> Result<Arc<ValidatorSetRecord>, ConsensusError> {
        Ok(Arc::new(ValidatorSetRecord { epoch: 0, first_height: 1, members: Vec::new() }))
    }
}

/// A chain of `HEADERS` mined headers on a low floor (so building it takes moments; checking
/// costs the same at any difficulty), each 900 ms after its parent.
fn mined_chain(engine: &PowConsensus) -> Vec<Header> {
    let mut chain = vec![Header {
        gas_limit: 30_000_000,
        base_fee: 1_000_000_000,
        difficulty: Some(U256::from(64)),
        ..Default::default()
    }];
    let stop = AtomicBool::new(false);
    for _ in 0..HEADERS {
        let parent = chain.last().expect("genesis");
        let timestamp_ms = parent.timestamp_ms + 900;
        let mut header = Header {
            parent_hash: parent.hash(),
            number: parent.number + 1,
            timestamp: timestamp_ms / 1000,
            timestamp_ms,
            beneficiary: Address::repeat_byte(0xc0),
            state_root: B256::repeat_byte(1),
            gas_limit: parent.gas_limit,
            base_fee: next_base_fee(parent),
            difficulty: engine.difficulty(parent, timestamp_ms),
            ..Default::default()
        };
        let difficulty = header.difficulty.expect("pow");
        let nonce = search(header.hash(), difficulty, 0..u64::MAX, &stop).expect("found");
        header.seal = seal(nonce);
        chain.push(header);
    }
    chain
}

fn headers(c: &mut Criterion) {
    let spec = ChainSpec {
        consensus: ConsensusKind::Pow,
        pow: Some(PowParams { min_difficulty: 64, ..PowParams::default() }),
        ..ChainSpec::dev().expect("dev spec")
    };
    let engine = PowConsensus::new(&spec, Address::ZERO);
    let chain = mined_chain(&engine);
    let mut group = c.benchmark_group("pow");
    group.throughput(Throughput::Elements(HEADERS));
    group.bench_function("validate_1000_headers", |b| {
        b.iter(|| {
            for pair in chain.windows(2) {
                engine.validate_header(&NoSets, &pair[0], &pair[1]).expect("valid");
            }
        })
    });
    group.throughput(Throughput::Elements(1));
    let seal_hash = B256::repeat_byte(9);
    let mut nonce = 0u64;
    group.bench_function("work_hash", |b| {
        b.iter(|| {
            nonce += 1;
            black_box(work_hash(seal_hash, nonce))
        })
    });
    group.finish();
}

criterion_group!(benches, headers);
criterion_main!(benches);
