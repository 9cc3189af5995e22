//! Validation on entry: every rejection reason, and every supported type accepted.

use alloy_consensus::{Signed, TxEip7702, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_eips::eip2930::{AccessList, AccessListItem};
use alloy_primitives::{Address, B256, Bytes, Signature, TxKind, U256};
use cairn_mempool::{Pool, PoolConfig, PoolError, PooledTx, intrinsic_gas};

use crate::common::*;

#[test]
fn accepts_legacy_eip155_eip2930_and_eip1559() {
    let k = key(0);
    let state = State::funded(&[&k]);
    let mut pool = pool();
    let a = tx_legacy(&k, 0, GWEI);
    let b = raw(&sign(&k, eip2930_tx(1, GWEI)));
    let c = tx1559(&k, 2, 2 * GWEI, GWEI);
    for r in [&a, &b, &c] {
        let hash = pool.add_raw(r, &state, 0).unwrap();
        assert_eq!(hash, hash_of(r));
        let pooled = pool.get(&hash).unwrap();
        assert_eq!(pooled.sender, k.address());
        assert_eq!(pooled.encoded_len, r.len());
    }
    assert_eq!(pool.len(), 3);
    assert_eq!(pool.pending_count(), 3);
    assert_eq!(pool.queued_count(), 0);
}

#[test]
fn rejects_legacy_without_chain_id() {
    let k = key(0);
    let state = State::funded(&[&k]);
    let r = raw(&sign(&k, legacy_tx(0, GWEI, None)));
    let err = pool().add_raw(&r, &state, 0).unwrap_err();
    assert_eq!(err, PoolError::InvalidChainId { got: None, expected: CHAIN_ID });
    assert!(err.to_string().contains("invalid chain id"));
}

#[test]
fn rejects_wrong_chain_id() {
    let k = key(0);
    let state = State::funded(&[&k]);
    let mut tx = eip1559_tx(0, GWEI, GWEI);
    tx.chain_id = 1;
    let err = pool().add_raw(&raw(&sign(&k, tx)), &state, 0).unwrap_err();
    assert_eq!(err, PoolError::InvalidChainId { got: Some(1), expected: CHAIN_ID });
    let err = pool()
        .add_raw(&raw(&sign(&k, legacy_tx(0, GWEI, Some(CHAIN_ID + 1)))), &state, 0)
        .unwrap_err();
    assert_eq!(err, PoolError::InvalidChainId { got: Some(CHAIN_ID + 1), expected: CHAIN_ID });
}

#[test]
fn rejects_bad_encoding() {
    let state = State::default();
    let mut pool = pool();
    for bad in [&[][..], &[0xc0][..], &[0xf8, 0x01, 0x02][..], &[0x02, 0xc1, 0x80][..], &[0xff][..]]
    {
        let err = pool.add_raw(bad, &state, 0).unwrap_err();
        assert!(matches!(err, PoolError::Decode(_)), "{bad:?} -> {err:?}");
        assert!(err.to_string().starts_with("invalid transaction encoding"));
    }
    // A valid transaction followed by junk is not one transaction.
    let mut r = tx1559(&key(0), 0, GWEI, GWEI);
    r.push(0);
    assert!(matches!(pool.add_raw(&r, &state, 0), Err(PoolError::Decode(_))));
    // Truncated.
    let r = tx1559(&key(0), 0, GWEI, GWEI);
    assert!(matches!(pool.add_raw(&r[..r.len() - 1], &state, 0), Err(PoolError::Decode(_))));
    assert!(pool.is_empty());
}

#[test]
fn rejects_blob_set_code_and_unknown_types() {
    let k = key(0);
    let state = State::funded(&[&k]);
    let mut pool = pool();
    // Raw bytes with a blob / set-code / unknown / reserved type prefix.
    for ty in [0u8, 3, 4, 5, 0x7f] {
        let err = pool.add_raw(&[ty, 0xc0], &state, 0).unwrap_err();
        assert_eq!(err, PoolError::UnsupportedType(ty));
    }
    // A real signed EIP-7702 transaction, by raw bytes and as a recovered envelope.
    let tx = TxEip7702 {
        chain_id: CHAIN_ID,
        gas_limit: 100_000,
        max_fee_per_gas: GWEI,
        max_priority_fee_per_gas: GWEI,
        to: Address::with_last_byte(1),
        ..Default::default()
    };
    let env = sign(&k, tx);
    assert_eq!(pool.add_raw(&raw(&env), &state, 0), Err(PoolError::UnsupportedType(4)));
    let pooled = PooledTx::from_envelope(env).unwrap();
    assert_eq!(pool.add(pooled, &state, 0), Err(PoolError::UnsupportedType(4)));
    assert!(PoolError::UnsupportedType(3).to_string().contains("0x03"));
}

#[test]
fn rejects_oversized() {
    let k = key(0);
    let state = State::funded(&[&k]);
    let mut tx = eip1559_tx(0, GWEI, GWEI);
    tx.input = Bytes::from(vec![1u8; 128 * 1024]);
    tx.gas_limit = 10_000_000;
    let r = raw(&sign(&k, tx));
    let err = pool().add_raw(&r, &state, 0).unwrap_err();
    assert_eq!(err, PoolError::OversizedData { size: r.len(), max: 128 * 1024 });
    assert!(err.to_string().contains("oversized data"));
}

#[test]
fn rejects_invalid_signatures() {
    let k = key(0);
    let state = State::funded(&[&k]);
    let tx = eip1559_tx(0, GWEI, GWEI);
    // r = 0 recovers nothing.
    let bogus = Signature::new(U256::ZERO, U256::from(1u64), false);
    let env: TxEnvelope = Signed::new_unhashed(tx.clone(), bogus).into();
    let err = pool().add_raw(&env.encoded_2718(), &state, 0).unwrap_err();
    assert_eq!(err, PoolError::InvalidSignature);
    assert_eq!(err.to_string(), "invalid sender signature");

    // High-s (malleated) signature: valid for ecrecover but forbidden by EIP-2.
    let good = match sign(&k, tx.clone()) {
        TxEnvelope::Eip1559(s) => *s.signature(),
        _ => unreachable!(),
    };
    let n = U256::from_str_radix(
        "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
        16,
    )
    .unwrap();
    let malleated = Signature::new(good.r(), n - good.s(), !good.v());
    let env: TxEnvelope = Signed::new_unhashed(tx, malleated).into();
    assert_eq!(pool().add_raw(&env.encoded_2718(), &state, 0), Err(PoolError::InvalidSignature));
}

#[test]
fn rejects_nonce_too_low() {
    let k = key(0);
    let mut state = State::funded(&[&k]);
    state.set_nonce(k.address(), 5);
    let err = pool().add_raw(&tx1559(&k, 3, GWEI, GWEI), &state, 0).unwrap_err();
    assert_eq!(err, PoolError::NonceTooLow { tx: 3, state: 5 });
    assert!(err.to_string().contains("nonce too low"));
}

#[test]
fn refuses_the_max_nonce_eip2681() {
    let k = key(0);
    let state = State::funded(&[&k]);
    let mut pool = pool();
    let err = pool.add_raw(&tx1559(&k, u64::MAX, GWEI, GWEI), &state, 0).unwrap_err();
    assert_eq!(err, PoolError::NonceMax(u64::MAX));
    assert!(err.to_string().starts_with("nonce has max value"));
    assert_eq!(pool.len(), 0, "neither pending nor queued");
    // One below the cap is a valid (queued, nonce-gapped) transaction.
    pool.add_raw(&tx1559(&k, u64::MAX - 1, GWEI, GWEI), &state, 0).unwrap();
}

#[test]
fn rejects_insufficient_funds() {
    let k = key(0);
    let mut state = State::default();
    // Exactly enough for one transfer: 21000 * 1 gwei + 1 wei.
    let one = U256::from(21_000 * GWEI + 1);
    state.set_balance(k.address(), one);
    let mut pool = pool();
    pool.add_raw(&tx1559(&k, 0, GWEI, GWEI), &state, 0).unwrap();
    // The second one is affordable alone but not after the first.
    let err = pool.add_raw(&tx1559(&k, 1, GWEI, GWEI), &state, 0).unwrap_err();
    assert_eq!(err, PoolError::InsufficientFunds { cost: one * U256::from(2u64), balance: one });
    assert!(err.to_string().contains("insufficient funds for gas * price + value"));
    // Alone it is too expensive when the fee cap is higher.
    let k2 = key(1);
    state.set_balance(k2.address(), one);
    let err = pool.add_raw(&tx1559(&k2, 0, 2 * GWEI, GWEI), &state, 0).unwrap_err();
    assert!(matches!(err, PoolError::InsufficientFunds { .. }));
    // Value counts too.
    let mut tx = eip1559_tx(0, GWEI, GWEI);
    tx.value = U256::from(2u64);
    let err = pool.add_raw(&raw(&sign(&k2, tx)), &state, 0).unwrap_err();
    assert!(matches!(err, PoolError::InsufficientFunds { .. }));
}

#[test]
fn rejects_gas_above_block_limit() {
    let k = key(0);
    let state = State::funded(&[&k]);
    let mut tx = eip1559_tx(0, GWEI, GWEI);
    tx.gas_limit = 30_000_001;
    let err = pool().add_raw(&raw(&sign(&k, tx)), &state, 0).unwrap_err();
    assert_eq!(err, PoolError::ExceedsBlockGasLimit { gas: 30_000_001, limit: 30_000_000 });
    assert!(err.to_string().contains("exceeds block gas limit"));
}

#[test]
fn rejects_intrinsic_gas_too_low() {
    let k = key(0);
    let state = State::funded(&[&k]);
    let mut pool = pool();

    let mut tx = eip1559_tx(0, GWEI, GWEI);
    tx.gas_limit = 20_999;
    let err = pool.add_raw(&raw(&sign(&k, tx)), &state, 0).unwrap_err();
    assert_eq!(err, PoolError::IntrinsicGasTooLow { gas: 20_999, intrinsic: 21_000 });
    assert!(err.to_string().contains("intrinsic gas too low"));

    // 3 non-zero + 2 zero calldata bytes, one access-list address with two keys.
    let mut tx = eip1559_tx(0, GWEI, GWEI);
    tx.input = Bytes::from(vec![1, 0, 2, 0, 3]);
    tx.access_list = AccessList(vec![AccessListItem {
        address: Address::with_last_byte(7),
        storage_keys: vec![B256::ZERO, B256::with_last_byte(1)],
    }]);
    let want = 21_000 + 3 * 16 + 2 * 4 + 2_400 + 2 * 1_900;
    tx.gas_limit = want - 1;
    let err = pool.add_raw(&raw(&sign(&k, tx.clone())), &state, 0).unwrap_err();
    assert_eq!(err, PoolError::IntrinsicGasTooLow { gas: want - 1, intrinsic: want });
    tx.gas_limit = want;
    pool.add_raw(&raw(&sign(&k, tx)), &state, 0).unwrap();

    // Contract creation: +32000 and 2 gas per init code word (33 bytes = 2 words).
    let mut tx = legacy_tx(1, GWEI, Some(CHAIN_ID));
    tx.to = TxKind::Create;
    tx.input = Bytes::from(vec![0xff; 33]);
    let want = 21_000 + 32_000 + 33 * 16 + 2 * 2;
    assert_eq!(intrinsic_gas(&sign(&k, tx.clone())), want);
    tx.gas_limit = want - 1;
    let err = pool.add_raw(&raw(&sign(&k, tx)), &state, 0).unwrap_err();
    assert_eq!(err, PoolError::IntrinsicGasTooLow { gas: want - 1, intrinsic: want });
}

#[test]
fn rejects_oversized_initcode() {
    let k = key(0);
    let state = State::funded(&[&k]);
    let mut tx = eip1559_tx(0, GWEI, GWEI);
    tx.to = TxKind::Create;
    tx.input = Bytes::from(vec![0u8; 49_153]);
    tx.gas_limit = 1_000_000;
    let err = pool().add_raw(&raw(&sign(&k, tx)), &state, 0).unwrap_err();
    assert_eq!(err, PoolError::MaxInitCodeSizeExceeded { size: 49_153, max: 49_152 });
    assert!(err.to_string().contains("max initcode size exceeded"));
}

#[test]
fn rejects_underpriced_and_tip_above_fee_cap() {
    let k = key(0);
    let state = State::funded(&[&k]);
    let mut pool = Pool::new(PoolConfig { min_priority_fee: GWEI, ..config() });
    let err = pool.add_raw(&tx1559(&k, 0, 10 * GWEI, GWEI - 1), &state, 0).unwrap_err();
    assert_eq!(err, PoolError::Underpriced { tip: GWEI - 1, min: GWEI });
    assert!(err.to_string().contains("transaction underpriced"));
    let err = pool.add_raw(&tx_legacy(&k, 0, GWEI - 1), &state, 0).unwrap_err();
    assert_eq!(err, PoolError::Underpriced { tip: GWEI - 1, min: GWEI });

    let err = pool.add_raw(&tx1559(&k, 0, 2 * GWEI, 3 * GWEI), &state, 0).unwrap_err();
    assert_eq!(err, PoolError::TipAboveFeeCap { tip: 3 * GWEI, max_fee: 2 * GWEI });
    assert!(
        err.to_string().contains("max priority fee per gas higher than max fee per gas"),
        "{err}"
    );
    pool.add_raw(&tx1559(&k, 0, 2 * GWEI, GWEI), &state, 0).unwrap();
}

#[test]
fn fee_cap_below_base_fee_waits_instead_of_failing() {
    let k = key(0);
    let state = State::funded(&[&k]);
    let mut pool = pool();
    let h = pool.add_raw(&tx1559(&k, 0, GWEI, GWEI), &state, 100 * GWEI as u64).unwrap();
    assert!(pool.contains(&h));
    assert!(pool.select(100 * GWEI as u64, 30_000_000, &state).is_empty());
    assert_eq!(pool.select(GWEI as u64, 30_000_000, &state).len(), 1);
}

#[test]
fn rejects_already_known() {
    let k = key(0);
    let state = State::funded(&[&k]);
    let mut pool = pool();
    let r = tx1559(&k, 0, GWEI, GWEI);
    pool.add_raw(&r, &state, 0).unwrap();
    let err = pool.add_raw(&r, &state, 0).unwrap_err();
    assert_eq!(err, PoolError::AlreadyKnown);
    assert_eq!(err.to_string(), "already known");
    assert_eq!(pool.len(), 1);
}

#[test]
fn recover_is_usable_alone() {
    let k = key(3);
    let r = tx1559(&k, 7, GWEI, GWEI);
    let tx = Pool::recover(&r, CHAIN_ID, 128 * 1024).unwrap();
    assert_eq!(tx.sender, k.address());
    assert_eq!(tx.hash, hash_of(&r));
    assert_eq!(tx.nonce(), 7);
    assert_eq!(tx.gas_limit(), 21_000);
    assert_eq!(tx.max_fee(), GWEI);
    assert_eq!(tx.effective_tip(GWEI as u64 / 2), Some(GWEI / 2));
    assert_eq!(tx.effective_tip(GWEI as u64 + 1), None);
    assert_eq!(
        Pool::recover(&r, 1, 128 * 1024).unwrap_err(),
        PoolError::InvalidChainId { got: Some(CHAIN_ID), expected: 1 }
    );
    assert!(matches!(Pool::recover(&r, CHAIN_ID, 10), Err(PoolError::OversizedData { .. })));
}
