//! Capacity limits: per-sender cap, total cap, who gets evicted.

use cairn_mempool::{Pool, PoolConfig, PoolError};

use crate::common::*;

fn small(max_total: usize, max_per_sender: usize) -> Pool {
    Pool::new(PoolConfig { max_total, max_per_sender, ..config() })
}

#[test]
fn evicts_lowest_payer_when_full() {
    let keys: Vec<_> = (0..5).map(key).collect();
    let state = State::funded(&keys.iter().collect::<Vec<_>>());
    let mut pool = small(3, 64);
    let h: Vec<_> = (0..3)
        .map(|i| {
            let tip = (i as u128 + 1) * GWEI;
            pool.add_raw(&tx1559(&keys[i], 0, 10 * GWEI, tip), &state, 0).unwrap()
        })
        .collect();
    // Pays more than the cheapest (1 gwei): evicts it.
    let new = pool.add_raw(&tx1559(&keys[3], 0, 10 * GWEI, 5 * GWEI), &state, 0).unwrap();
    assert_eq!(pool.len(), 3);
    assert!(!pool.contains(&h[0]));
    assert!(pool.contains(&h[1]) && pool.contains(&h[2]) && pool.contains(&new));

    // Pays less than (or the same as) everything: refused, nothing evicted.
    let err = pool.add_raw(&tx1559(&keys[4], 0, 10 * GWEI, GWEI), &state, 0).unwrap_err();
    assert_eq!(err, PoolError::PoolFull { max: 3 });
    assert!(err.to_string().contains("txpool is full"));
    let err = pool.add_raw(&tx1559(&keys[4], 0, 10 * GWEI, 2 * GWEI), &state, 0).unwrap_err();
    assert_eq!(err, PoolError::PoolFull { max: 3 });
    assert_eq!(pool.len(), 3);
    assert!(pool.contains(&h[1]));
}

#[test]
fn ranks_by_effective_tip_at_base_fee() {
    let keys: Vec<_> = (0..3).map(key).collect();
    let state = State::funded(&keys.iter().collect::<Vec<_>>());
    let mut pool = small(2, 64);
    // High tip but fee cap below the base fee: pays nothing now.
    let stuck = pool.add_raw(&tx1559(&keys[0], 0, 5 * GWEI, 5 * GWEI), &state, 0).unwrap();
    let fine = pool.add_raw(&tx1559(&keys[1], 0, 50 * GWEI, 2 * GWEI), &state, 0).unwrap();
    let base = 10 * GWEI as u64;
    let new = pool.add_raw(&tx1559(&keys[2], 0, 50 * GWEI, GWEI), &state, base).unwrap();
    assert!(!pool.contains(&stuck));
    assert!(pool.contains(&fine) && pool.contains(&new));
}

#[test]
fn prefers_evicting_queued_and_never_opens_gaps() {
    let keys: Vec<_> = (0..4).map(key).collect();
    let state = State::funded(&keys.iter().collect::<Vec<_>>());
    let mut pool = small(4, 64);
    // Sender 0: a ready run 0,1,2 paying little.
    let a: Vec<_> = (0..3)
        .map(|n| pool.add_raw(&tx1559(&keys[0], n, 10 * GWEI, GWEI), &state, 0).unwrap())
        .collect();
    // Sender 1: a queued (gapped) transaction paying a lot.
    let q = pool.add_raw(&tx1559(&keys[1], 5, 100 * GWEI, 50 * GWEI), &state, 0).unwrap();
    assert_eq!((pool.pending_count(), pool.queued_count()), (3, 1));

    // A ready newcomer evicts the queued one even though it pays more.
    let n1 = pool.add_raw(&tx1559(&keys[2], 0, 10 * GWEI, 2 * GWEI), &state, 0).unwrap();
    assert!(!pool.contains(&q));
    assert_eq!(pool.queued_count(), 0);

    // Next, the cheapest ready tail is sender 0's highest nonce, never its nonce 0 or 1.
    let n2 = pool.add_raw(&tx1559(&keys[3], 0, 10 * GWEI, 3 * GWEI), &state, 0).unwrap();
    assert!(!pool.contains(&a[2]));
    assert!(pool.contains(&a[0]) && pool.contains(&a[1]));
    assert!(pool.contains(&n1) && pool.contains(&n2));
    assert_eq!(pool.pending_count(), 4);
    assert_eq!(pool.pending_nonce(keys[0].address(), &state), 2);

    // A queued newcomer cannot displace ready transactions, whatever it pays.
    let err = pool.add_raw(&tx1559(&keys[1], 9, 100 * GWEI, 90 * GWEI), &state, 0).unwrap_err();
    assert_eq!(err, PoolError::PoolFull { max: 4 });
}

#[test]
fn sender_does_not_evict_its_own_earlier_nonces() {
    let keys: Vec<_> = (0..2).map(key).collect();
    let state = State::funded(&keys.iter().collect::<Vec<_>>());
    let mut pool = small(2, 64);
    pool.add_raw(&tx1559(&keys[0], 0, 10 * GWEI, 5 * GWEI), &state, 0).unwrap();
    pool.add_raw(&tx1559(&keys[1], 0, 10 * GWEI, GWEI), &state, 0).unwrap();
    // Sender 0's nonce 1 pays more than sender 1, so sender 1 goes.
    pool.add_raw(&tx1559(&keys[0], 1, 10 * GWEI, 2 * GWEI), &state, 0).unwrap();
    assert_eq!(pool.pending_nonce(keys[0].address(), &state), 2);
    // Sender 0's nonce 2 pays less than its own nonce 1: its own tail is not a candidate for
    // itself, and nothing else is cheaper, so it is refused.
    let err = pool.add_raw(&tx1559(&keys[0], 2, 10 * GWEI, 9 * GWEI), &state, 0).unwrap_err();
    assert_eq!(err, PoolError::PoolFull { max: 2 });
    assert_eq!(pool.len(), 2);
}

#[test]
fn per_sender_cap() {
    let (a, b) = (key(0), key(1));
    let state = State::funded(&[&a, &b]);
    let mut pool = small(100, 3);
    for n in [0u64, 1, 5] {
        pool.add_raw(&tx1559(&a, n, GWEI, GWEI), &state, 0).unwrap();
    }
    let err = pool.add_raw(&tx1559(&a, 6, GWEI, GWEI), &state, 0).unwrap_err();
    assert_eq!(err, PoolError::SenderLimit { sender: a.address(), max: 3 });
    assert!(err.to_string().contains("account limit exceeded"));
    // Other senders are unaffected.
    pool.add_raw(&tx1559(&b, 0, GWEI, GWEI), &state, 0).unwrap();
    // A nonce that fills the gap displaces the sender's own highest nonce.
    let h5 = hash_of(&tx1559(&a, 5, GWEI, GWEI));
    pool.add_raw(&tx1559(&a, 2, GWEI, GWEI), &state, 0).unwrap();
    assert!(!pool.contains(&h5));
    assert_eq!(pool.pending_nonce(a.address(), &state), 3);
    // Replacing within the cap is still allowed.
    pool.add_raw(&tx1559(&a, 2, 2 * GWEI, 2 * GWEI), &state, 0).unwrap();
    assert_eq!(pool.len(), 4);
}
