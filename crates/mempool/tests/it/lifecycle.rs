//! Nonce gaps, replacement, block commits, the pending nonce, and removals when the chain's
//! rules change (gas limit, who may transact).

use alloy_consensus::TxEip1559;
use cairn_mempool::PoolError;

use crate::common::*;

#[test]
fn nonce_gap_is_queued_until_filled() {
    let k = key(0);
    let state = State::funded(&[&k]);
    let mut pool = pool();
    let h2 = pool.add_raw(&tx1559(&k, 2, GWEI, GWEI), &state, 0).unwrap();
    let h1 = pool.add_raw(&tx1559(&k, 1, GWEI, GWEI), &state, 0).unwrap();
    assert_eq!((pool.pending_count(), pool.queued_count()), (0, 2));
    assert!(pool.pending().is_empty());
    assert_eq!(pool.queued().iter().map(|t| t.hash).collect::<Vec<_>>(), vec![h1, h2]);
    assert!(pool.select(0, 30_000_000, &state).is_empty());
    assert_eq!(pool.pending_nonce(k.address(), &state), 0);
    assert!(pool.ready_from(k.address()).is_empty());

    let h0 = pool.add_raw(&tx1559(&k, 0, GWEI, GWEI), &state, 0).unwrap();
    assert_eq!((pool.pending_count(), pool.queued_count()), (3, 0));
    assert_eq!(pool.pending().iter().map(|t| t.hash).collect::<Vec<_>>(), vec![h0, h1, h2]);
    assert_eq!(pool.pending_nonce(k.address(), &state), 3);
    let ready: Vec<_> = pool.ready_from(k.address()).iter().map(|t| t.hash).collect();
    assert_eq!(ready, vec![h0, h1, h2]);
    assert!(pool.ready_from(key(1).address()).is_empty());
    let sel: Vec<_> = pool.select(0, 30_000_000, &state).iter().map(|t| t.nonce()).collect();
    assert_eq!(sel, vec![0, 1, 2]);
}

#[test]
fn replacement_needs_both_fees_bumped_by_ten_percent() {
    let k = key(0);
    let state = State::funded(&[&k]);
    let mut pool = pool();
    let old = pool.add_raw(&tx1559(&k, 0, 100 * GWEI, 10 * GWEI), &state, 0).unwrap();

    // +9% on both: refused.
    let err = pool.add_raw(&tx1559(&k, 0, 109 * GWEI, 109 * GWEI / 10), &state, 0).unwrap_err();
    assert_eq!(err, PoolError::ReplacementUnderpriced);
    assert_eq!(err.to_string(), "replacement transaction underpriced");
    // +10% on the fee cap only, or on the tip only: refused.
    let err = pool.add_raw(&tx1559(&k, 0, 110 * GWEI, 10 * GWEI), &state, 0).unwrap_err();
    assert_eq!(err, PoolError::ReplacementUnderpriced);
    let err = pool.add_raw(&tx1559(&k, 0, 100 * GWEI, 11 * GWEI), &state, 0).unwrap_err();
    assert_eq!(err, PoolError::ReplacementUnderpriced);
    // One wei short of +10% on the tip: refused.
    let err = pool.add_raw(&tx1559(&k, 0, 110 * GWEI, 11 * GWEI - 1), &state, 0).unwrap_err();
    assert_eq!(err, PoolError::ReplacementUnderpriced);
    assert!(pool.contains(&old));

    // Exactly +10% on both: accepted, old one gone.
    let new = pool.add_raw(&tx1559(&k, 0, 110 * GWEI, 11 * GWEI), &state, 0).unwrap();
    assert!(!pool.contains(&old));
    assert!(pool.contains(&new));
    assert_eq!(pool.len(), 1);
    assert_eq!(pool.pending_count(), 1);
}

#[test]
fn legacy_replacement() {
    let k = key(0);
    let state = State::funded(&[&k]);
    let mut pool = pool();
    pool.add_raw(&tx_legacy(&k, 0, 10 * GWEI), &state, 0).unwrap();
    assert_eq!(
        pool.add_raw(&tx_legacy(&k, 0, 10 * GWEI + 1), &state, 0),
        Err(PoolError::ReplacementUnderpriced)
    );
    pool.add_raw(&tx_legacy(&k, 0, 11 * GWEI), &state, 0).unwrap();
    assert_eq!(pool.len(), 1);
}

#[test]
fn on_block_drops_included_and_stale_and_promotes() {
    let (a, b) = (key(0), key(1));
    let mut state = State::funded(&[&a, &b]);
    let mut pool = pool();
    let a0 = pool.add_raw(&tx1559(&a, 0, GWEI, GWEI), &state, 0).unwrap();
    let a1 = pool.add_raw(&tx1559(&a, 1, GWEI, GWEI), &state, 0).unwrap();
    let a3 = pool.add_raw(&tx1559(&a, 3, GWEI, GWEI), &state, 0).unwrap();
    let b0 = pool.add_raw(&tx1559(&b, 0, GWEI, GWEI), &state, 0).unwrap();
    let b1 = pool.add_raw(&tx1559(&b, 1, GWEI, GWEI), &state, 0).unwrap();
    assert_eq!((pool.pending_count(), pool.queued_count()), (4, 1));

    // The block included a0 and a different transaction of `a` at nonce 1 plus a nonce-2 one
    // (e.g. from another node), and b0.
    state.set_nonce(a.address(), 3);
    state.set_nonce(b.address(), 1);
    pool.on_block(&[a0, b0], &state);
    assert!(!pool.contains(&a0) && !pool.contains(&a1) && !pool.contains(&b0));
    assert!(pool.contains(&a3) && pool.contains(&b1));
    // a3 was queued behind the gap at 2; now it is next.
    assert_eq!((pool.pending_count(), pool.queued_count()), (2, 0));
    assert_eq!(pool.pending_nonce(a.address(), &state), 4);
    assert_eq!(pool.pending_nonce(b.address(), &state), 2);

    state.set_nonce(a.address(), 4);
    state.set_nonce(b.address(), 2);
    pool.on_block(&[a3, b1], &state);
    assert!(pool.is_empty());
    assert_eq!(pool.pending_count() + pool.queued_count(), 0);
    // Unknown hashes are ignored.
    pool.on_block(&[a3], &state);
}

#[test]
fn pending_nonce_without_pool_txs_is_state_nonce() {
    let k = key(0);
    let mut state = State::funded(&[&k]);
    state.set_nonce(k.address(), 9);
    let pool = pool();
    assert_eq!(pool.pending_nonce(k.address(), &state), 9);
}

#[test]
fn listings_group_by_sender_then_nonce() {
    let keys: Vec<_> = (0..3).map(key).collect();
    let state = State::funded(&keys.iter().collect::<Vec<_>>());
    let mut pool = pool();
    for n in [2u64, 0, 1] {
        for k in keys.iter().rev() {
            pool.add_raw(&tx1559(k, n, GWEI, GWEI), &state, 0).unwrap();
        }
    }
    let listed: Vec<_> = pool.pending().iter().map(|t| (t.sender, t.nonce())).collect();
    let mut expected: Vec<_> =
        keys.iter().flat_map(|k| (0..3).map(move |n| (k.address(), n))).collect();
    expected.sort();
    assert_eq!(listed, expected);
    assert!(pool.queued().is_empty());
}

#[test]
fn retain_permitted_removing_a_middle_nonce_leaves_the_later_ones_queued() {
    let (a, b) = (key(0), key(1));
    let state = State::funded(&[&a, &b]);
    let mut pool = pool();
    let a_hashes: Vec<_> =
        (0..4).map(|n| pool.add_raw(&tx1559(&a, n, GWEI, GWEI), &state, 0).unwrap()).collect();
    let b0 = pool.add_raw(&tx1559(&b, 0, GWEI, GWEI), &state, 0).unwrap();
    assert_eq!((pool.pending_count(), pool.queued_count()), (5, 0));

    let removed = pool.retain_permitted(|tx| tx.hash != a_hashes[1]);
    assert_eq!(removed, vec![a_hashes[1]]);
    assert!(!pool.contains(&a_hashes[1]));
    // Nonce 0 is still executable; 2 and 3 wait behind the gap and are never selected.
    assert_eq!((pool.pending_count(), pool.queued_count()), (2, 2));
    let queued: Vec<_> = pool.queued().iter().map(|t| t.hash).collect();
    assert_eq!(queued, vec![a_hashes[2], a_hashes[3]]);
    let selected: Vec<_> = pool.select(0, 30_000_000, &state).iter().map(|t| t.hash).collect();
    assert_eq!(selected.len(), 2);
    assert!(selected.contains(&a_hashes[0]) && selected.contains(&b0));
    assert_eq!(pool.pending_nonce(a.address(), &state), 1);

    // A sender refused as a whole leaves the pool entirely.
    let removed = pool.retain_permitted(|tx| tx.sender != a.address());
    assert_eq!(removed.len(), 3);
    assert_eq!(pool.len(), 1);
    assert!(pool.contains(&b0));
    assert!(pool.retain_permitted(|_| true).is_empty());
}

#[test]
fn a_lower_block_gas_limit_drops_what_no_block_can_carry_and_refuses_it_after() {
    let k = key(0);
    let state = State::funded(&[&k]);
    let mut pool = pool();
    let heavy =
        |nonce| raw(&sign(&k, TxEip1559 { gas_limit: 100_000, ..eip1559_tx(nonce, GWEI, GWEI) }));
    let t0 = pool.add_raw(&tx1559(&k, 0, GWEI, GWEI), &state, 0).unwrap();
    let t1 = pool.add_raw(&heavy(1), &state, 0).unwrap();
    let t2 = pool.add_raw(&tx1559(&k, 2, GWEI, GWEI), &state, 0).unwrap();

    assert_eq!(pool.set_block_gas_limit(50_000), vec![t1]);
    assert_eq!(pool.config().block_gas_limit, 50_000);
    assert!(pool.contains(&t0) && pool.contains(&t2));
    assert_eq!((pool.pending_count(), pool.queued_count()), (1, 1));
    assert_eq!(
        pool.add_raw(&heavy(1), &state, 0),
        Err(PoolError::ExceedsBlockGasLimit { gas: 100_000, limit: 50_000 })
    );
    // Raised again, it is admitted and fills the gap.
    assert!(pool.set_block_gas_limit(30_000_000).is_empty());
    pool.add_raw(&heavy(1), &state, 0).unwrap();
    assert_eq!((pool.pending_count(), pool.queued_count()), (3, 0));
}
