//! Property test: random sequences of adds, blocks and garbage keep the pool's invariants.

use std::collections::{BTreeMap, HashSet};

use alloy_primitives::{Address, B256};
use cairn_mempool::{AccountView, Pool, PoolConfig};
use proptest::prelude::*;

use crate::common::*;

const SENDERS: u8 = 4;
const MAX_TOTAL: usize = 8;
const MAX_PER_SENDER: usize = 4;

#[derive(Debug, Clone)]
enum Op {
    /// Add a transfer from `sender` at `state nonce + offset - 1` (offset 0 is too low).
    Add { sender: u8, offset: u64, tip: u8, extra_fee: u8, legacy: bool },
    /// Build a block at `base_fee` gwei with room for `slots` transfers, commit it.
    Block { base_fee: u8, slots: u8 },
    /// The state nonce of `sender` advances by a transaction the pool never saw.
    External { sender: u8 },
    /// Random bytes, or a valid transaction with one byte changed.
    Garbage { bytes: Vec<u8>, flip: Option<(usize, u8)> },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..SENDERS, 0u64..6, 1u8..6, 0u8..6, any::<bool>()).prop_map(
            |(sender, offset, tip, extra_fee, legacy)| Op::Add { sender, offset, tip, extra_fee, legacy }
        ),
        2 => (0u8..8, 0u8..6).prop_map(|(base_fee, slots)| Op::Block { base_fee, slots }),
        1 => (0..SENDERS).prop_map(|sender| Op::External { sender }),
        1 => (proptest::collection::vec(any::<u8>(), 0..64), proptest::option::of((any::<usize>(), 1u8..=255)))
            .prop_map(|(bytes, flip)| Op::Garbage { bytes, flip }),
    ]
}

fn hashes(pool: &Pool) -> HashSet<B256> {
    pool.pending().iter().chain(&pool.queued()).map(|t| t.hash).collect()
}

fn check(pool: &Pool, state: &State, base_fee: u64) {
    let pending = pool.pending();
    let queued = pool.queued();
    assert_eq!(pending.len(), pool.pending_count());
    assert_eq!(queued.len(), pool.queued_count());
    assert_eq!(pending.len() + queued.len(), pool.len());
    assert!(pool.len() <= MAX_TOTAL);

    let mut hashes = HashSet::new();
    let mut per_sender: BTreeMap<Address, Vec<u64>> = BTreeMap::new();
    for t in pending.iter().chain(&queued) {
        assert!(hashes.insert(t.hash), "duplicate hash");
        assert!(pool.contains(&t.hash));
        assert_eq!(pool.get(&t.hash).map(|g| g.hash), Some(t.hash));
        per_sender.entry(t.sender).or_default().push(t.nonce());
    }
    for (who, nonces) in &per_sender {
        assert!(nonces.len() <= MAX_PER_SENDER);
        let set: HashSet<_> = nonces.iter().collect();
        assert_eq!(set.len(), nonces.len(), "two txs with one nonce");
        assert!(nonces.iter().all(|n| *n >= state.nonce(*who)), "stale tx kept");
    }
    // Pending runs are contiguous from the state nonce.
    let mut runs: BTreeMap<Address, Vec<u64>> = BTreeMap::new();
    for t in &pending {
        runs.entry(t.sender).or_default().push(t.nonce());
    }
    for (who, nonces) in &runs {
        let start = state.nonce(*who);
        assert_eq!(*nonces, (start..start + nonces.len() as u64).collect::<Vec<_>>());
        assert_eq!(pool.pending_nonce(*who, state), start + nonces.len() as u64);
    }
    // Selection: nonce order per sender, contiguous from the state nonce, within gas and fee.
    let gas_limit = 21_000 * 5;
    let sel = pool.select(base_fee, gas_limit, state);
    assert!(sel.iter().map(|t| t.gas_limit()).sum::<u64>() <= gas_limit);
    let mut next: BTreeMap<Address, u64> = BTreeMap::new();
    for t in &sel {
        assert!(t.max_fee() >= base_fee as u128);
        let want = next.entry(t.sender).or_insert_with(|| state.nonce(t.sender));
        assert_eq!(t.nonce(), *want, "selection broke nonce order");
        *want += 1;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_operations_keep_invariants(ops in proptest::collection::vec(op(), 1..40)) {
        let keys: Vec<_> = (0..SENDERS).map(key).collect();
        let mut state = State::funded(&keys.iter().collect::<Vec<_>>());
        let mut pool = Pool::new(PoolConfig {
            max_total: MAX_TOTAL,
            max_per_sender: MAX_PER_SENDER,
            ..config()
        });
        let mut base_fee = 0u64;
        let mut last_valid: Option<Vec<u8>> = None;
        for op in ops {
            match op {
                Op::Add { sender, offset, tip, extra_fee, legacy } => {
                    let k = &keys[sender as usize];
                    let nonce = (state.nonce(k.address()) + offset).saturating_sub(1);
                    let tip = tip as u128 * GWEI;
                    let r = if legacy {
                        tx_legacy(k, nonce, tip + extra_fee as u128 * GWEI)
                    } else {
                        tx1559(k, nonce, tip + extra_fee as u128 * GWEI, tip)
                    };
                    let before = pool.len();
                    let snapshot = hashes(&pool);
                    match pool.add_raw(&r, &state, base_fee) {
                        Ok(h) => {
                            prop_assert_eq!(h, hash_of(&r));
                            prop_assert!(pool.contains(&h));
                            prop_assert!(pool.len() <= before + 1);
                        }
                        // A refusal changes nothing (no stale txs exist here: on_block ran).
                        Err(_) => prop_assert_eq!(hashes(&pool), snapshot),
                    }
                    last_valid = Some(r);
                }
                Op::Block { base_fee: b, slots } => {
                    base_fee = b as u64 * GWEI as u64;
                    let sel = pool.select(base_fee, 21_000 * slots as u64, &state);
                    let hashes: Vec<B256> = sel.iter().map(|t| t.hash).collect();
                    for t in &sel {
                        state.set_nonce(t.sender, t.nonce() + 1);
                    }
                    pool.on_block(&hashes, &state);
                    for h in &hashes {
                        prop_assert!(!pool.contains(h));
                    }
                }
                Op::External { sender } => {
                    let who = keys[sender as usize].address();
                    state.set_nonce(who, state.nonce(who) + 1);
                    pool.on_block(&[], &state);
                }
                Op::Garbage { bytes, flip } => {
                    let before = pool.len();
                    let input = match (flip, &last_valid) {
                        (Some((at, x)), Some(valid)) => {
                            let mut v = valid.clone();
                            let i = at % v.len();
                            v[i] ^= x;
                            v
                        }
                        _ => bytes,
                    };
                    // Must not panic; a flipped byte may still decode (e.g. into another
                    // sender), in which case the pool grows by at most one.
                    let _ = pool.add_raw(&input, &state, base_fee);
                    prop_assert!(pool.len() <= before + 1);
                }
            }
            check(&pool, &state, base_fee);
        }
    }
}
