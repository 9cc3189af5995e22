//! Block building: ordering by tip, nonce order, gas limit and base fee.

use alloy_primitives::Address;

use crate::common::*;

fn picked(txs: &[std::sync::Arc<cairn_mempool::PooledTx>]) -> Vec<(Address, u64)> {
    txs.iter().map(|t| (t.sender, t.nonce())).collect()
}

#[test]
fn orders_by_tip_across_senders_keeping_nonce_order() {
    let (a, b, c) = (key(0), key(1), key(2));
    let state = State::funded(&[&a, &b, &c]);
    let mut pool = pool();
    // a: cheap nonce 0 in front of an expensive nonce 1.
    pool.add_raw(&tx1559(&a, 0, 100 * GWEI, GWEI), &state, 0).unwrap();
    pool.add_raw(&tx1559(&a, 1, 100 * GWEI, 10 * GWEI), &state, 0).unwrap();
    pool.add_raw(&tx1559(&b, 0, 100 * GWEI, 5 * GWEI), &state, 0).unwrap();
    pool.add_raw(&tx_legacy(&c, 0, 3 * GWEI), &state, 0).unwrap();
    // c's nonce 2 is behind a gap: never selected.
    pool.add_raw(&tx_legacy(&c, 2, 90 * GWEI), &state, 0).unwrap();

    let sel = pool.select(0, 30_000_000, &state);
    assert_eq!(
        picked(&sel),
        vec![(b.address(), 0), (c.address(), 0), (a.address(), 0), (a.address(), 1)]
    );
}

#[test]
fn effective_tip_depends_on_base_fee() {
    let (a, b) = (key(0), key(1));
    let state = State::funded(&[&a, &b]);
    let mut pool = pool();
    // x: max fee 10, tip 9; y: max fee 100, tip 5 (gwei).
    pool.add_raw(&tx1559(&a, 0, 10 * GWEI, 9 * GWEI), &state, 0).unwrap();
    pool.add_raw(&tx1559(&b, 0, 100 * GWEI, 5 * GWEI), &state, 0).unwrap();
    // Base fee 0: x tips 9, y tips 5.
    assert_eq!(picked(&pool.select(0, 30_000_000, &state))[0].0, a.address());
    // Base fee 6: x tips 4, y tips 5.
    assert_eq!(picked(&pool.select(6 * GWEI as u64, 30_000_000, &state))[0].0, b.address());
    // Base fee 11: x cannot pay at all.
    assert_eq!(picked(&pool.select(11 * GWEI as u64, 30_000_000, &state)), vec![(b.address(), 0)]);
}

#[test]
fn unpayable_tx_blocks_its_sender_later_nonces() {
    let (a, b) = (key(0), key(1));
    let state = State::funded(&[&a, &b]);
    let mut pool = pool();
    pool.add_raw(&tx1559(&a, 0, 2 * GWEI, GWEI), &state, 0).unwrap();
    pool.add_raw(&tx1559(&a, 1, 100 * GWEI, 50 * GWEI), &state, 0).unwrap();
    pool.add_raw(&tx1559(&b, 0, 100 * GWEI, GWEI), &state, 0).unwrap();
    assert_eq!(picked(&pool.select(5 * GWEI as u64, 30_000_000, &state)), vec![(b.address(), 0)]);
}

#[test]
fn respects_gas_limit_skipping_what_does_not_fit() {
    let (a, b, c) = (key(0), key(1), key(2));
    let state = State::funded(&[&a, &b, &c]);
    let mut pool = pool();
    // a: a big, well-paying tx at nonce 0 and a small one after it.
    let mut big = eip1559_tx(0, 100 * GWEI, 50 * GWEI);
    big.gas_limit = 100_000;
    pool.add_raw(&raw(&sign(&a, big)), &state, 0).unwrap();
    pool.add_raw(&tx1559(&a, 1, 100 * GWEI, 40 * GWEI), &state, 0).unwrap();
    pool.add_raw(&tx1559(&b, 0, 100 * GWEI, 2 * GWEI), &state, 0).unwrap();
    pool.add_raw(&tx1559(&b, 1, 100 * GWEI, 2 * GWEI), &state, 0).unwrap();
    pool.add_raw(&tx1559(&c, 0, 100 * GWEI, GWEI), &state, 0).unwrap();

    // 90k gas: a's big tx does not fit, so a is skipped entirely; b0, b1, c0 fit (63k).
    let sel = pool.select(0, 90_000, &state);
    assert_eq!(picked(&sel), vec![(b.address(), 0), (b.address(), 1), (c.address(), 0)]);
    // 50k gas: only two transfers fit.
    let sel = pool.select(0, 50_000, &state);
    assert_eq!(picked(&sel), vec![(b.address(), 0), (b.address(), 1)]);
    // Plenty of gas: everything, best first.
    let sel = pool.select(0, 30_000_000, &state);
    assert_eq!(sel.len(), 5);
    assert_eq!(picked(&sel)[..2], [(a.address(), 0), (a.address(), 1)]);
    assert!(sel.iter().map(|t| t.gas_limit()).sum::<u64>() <= 30_000_000);
    // Nothing fits.
    assert!(pool.select(0, 20_000, &state).is_empty());
}

#[test]
fn uses_current_state_nonce() {
    let a = key(0);
    let mut state = State::funded(&[&a]);
    let mut pool = pool();
    for n in 0..3 {
        pool.add_raw(&tx1559(&a, n, GWEI, GWEI), &state, 0).unwrap();
    }
    // State moved on without on_block yet: select starts from the state nonce.
    state.set_nonce(a.address(), 1);
    assert_eq!(
        picked(&pool.select(0, 30_000_000, &state)),
        vec![(a.address(), 1), (a.address(), 2)]
    );
    state.set_nonce(a.address(), 3);
    assert!(pool.select(0, 30_000_000, &state).is_empty());
}

#[test]
fn equal_tips_keep_arrival_order() {
    let keys: Vec<_> = (0..4).map(key).collect();
    let state = State::funded(&keys.iter().collect::<Vec<_>>());
    let mut pool = pool();
    for k in keys.iter().rev() {
        pool.add_raw(&tx1559(k, 0, GWEI, GWEI), &state, 0).unwrap();
    }
    let got: Vec<_> =
        picked(&pool.select(0, 30_000_000, &state)).into_iter().map(|p| p.0).collect();
    let want: Vec<_> = keys.iter().rev().map(|k| k.address()).collect();
    assert_eq!(got, want);
}
