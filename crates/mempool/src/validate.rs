//! Admission checks that need no chain state: decoding, size, type, chain id, signature, fees
//! and intrinsic gas.

use alloy_consensus::transaction::SignerRecoverable;
use alloy_consensus::{Transaction, TxEnvelope};
use alloy_eips::eip2718::{Decodable2718, Encodable2718};

use crate::{PoolConfig, PoolError, PooledTx};

/// EIP-3860 limit on init code size (twice the EIP-170 code size limit), in bytes.
pub const MAX_INITCODE_SIZE: usize = 2 * 24_576;

const TX_BASE_GAS: u64 = 21_000;
const TX_CREATE_GAS: u64 = 32_000;
const TX_DATA_ZERO_GAS: u64 = 4;
const TX_DATA_NONZERO_GAS: u64 = 16;
const INITCODE_WORD_GAS: u64 = 2;
const ACCESS_LIST_ADDRESS_GAS: u64 = 2_400;
const ACCESS_LIST_STORAGE_KEY_GAS: u64 = 1_900;

/// Intrinsic gas of a transaction under Cancun rules: the gas charged before any EVM execution.
/// A transaction whose gas limit is below it can never execute, so the pool refuses it up front.
///
/// It is `21000`, plus `32000` for a contract creation, plus `16` per non-zero and `4` per zero
/// calldata byte, plus (EIP-3860) `2` per 32-byte init code word, plus (EIP-2930) `2400` per
/// access-list address and `1900` per storage key. Saturates instead of overflowing.
pub fn intrinsic_gas(tx: &TxEnvelope) -> u64 {
    let input = tx.input();
    let zeros = input.iter().filter(|b| **b == 0).count() as u64;
    let nonzeros = input.len() as u64 - zeros;
    let mut gas = TX_BASE_GAS
        .saturating_add(zeros.saturating_mul(TX_DATA_ZERO_GAS))
        .saturating_add(nonzeros.saturating_mul(TX_DATA_NONZERO_GAS));
    if tx.is_create() {
        let words = (input.len() as u64).div_ceil(32);
        gas = gas
            .saturating_add(TX_CREATE_GAS)
            .saturating_add(words.saturating_mul(INITCODE_WORD_GAS));
    }
    if let Some(list) = tx.access_list() {
        for item in list.iter() {
            gas = gas.saturating_add(ACCESS_LIST_ADDRESS_GAS).saturating_add(
                (item.storage_keys.len() as u64).saturating_mul(ACCESS_LIST_STORAGE_KEY_GAS),
            );
        }
    }
    gas
}

/// Decode, size, type, chain id and signature checks; see [`crate::Pool::recover`].
pub(crate) fn recover_raw(
    raw: &[u8],
    chain_id: u64,
    max_size: usize,
) -> Result<PooledTx, PoolError> {
    if raw.len() > max_size {
        return Err(PoolError::OversizedData { size: raw.len(), max: max_size });
    }
    let Some(&first) = raw.first() else {
        return Err(PoolError::Decode("empty input".into()));
    };
    // A first byte <= 0x7f is an EIP-2718 type; legacy transactions start with an RLP list
    // header (>= 0xc0). Refuse unsupported types before spending time decoding them.
    if first <= 0x7f && !matches!(first, 1 | 2) {
        return Err(PoolError::UnsupportedType(first));
    }
    let tx = TxEnvelope::decode_2718_exact(raw).map_err(|e| PoolError::Decode(e.to_string()))?;
    check_type(&tx)?;
    check_chain_id(&tx, chain_id)?;
    let mut pooled = recover_envelope(tx)?;
    pooled.encoded_len = raw.len();
    Ok(pooled)
}

/// Recovers the sender of an envelope and wraps it.
pub(crate) fn recover_envelope(tx: TxEnvelope) -> Result<PooledTx, PoolError> {
    let sender = tx.recover_signer().map_err(|_| PoolError::InvalidSignature)?;
    let hash = *tx.tx_hash();
    let encoded_len = tx.encode_2718_len();
    Ok(PooledTx { hash, sender, tx, encoded_len })
}

fn check_type(tx: &TxEnvelope) -> Result<(), PoolError> {
    match tx {
        TxEnvelope::Legacy(_) | TxEnvelope::Eip2930(_) | TxEnvelope::Eip1559(_) => Ok(()),
        TxEnvelope::Eip4844(_) => Err(PoolError::UnsupportedType(3)),
        TxEnvelope::Eip7702(_) => Err(PoolError::UnsupportedType(4)),
    }
}

fn check_chain_id(tx: &TxEnvelope, expected: u64) -> Result<(), PoolError> {
    match tx.chain_id() {
        Some(got) if got == expected => Ok(()),
        got => Err(PoolError::InvalidChainId { got, expected }),
    }
}

/// Every check that needs neither chain state nor signature recovery. Run again by
/// [`crate::Pool::add`] because a [`PooledTx`] can be built by hand.
pub(crate) fn check_static(tx: &PooledTx, config: &PoolConfig) -> Result<(), PoolError> {
    check_type(&tx.tx)?;
    let size = tx.tx.encode_2718_len();
    if size > config.max_tx_size {
        return Err(PoolError::OversizedData { size, max: config.max_tx_size });
    }
    check_chain_id(&tx.tx, config.chain_id)?;
    if tx.tx.nonce() == u64::MAX {
        return Err(PoolError::NonceMax(tx.tx.nonce()));
    }
    let gas = tx.gas_limit();
    if gas > config.block_gas_limit {
        return Err(PoolError::ExceedsBlockGasLimit { gas, limit: config.block_gas_limit });
    }
    if tx.tx.is_create() && tx.tx.input().len() > MAX_INITCODE_SIZE {
        return Err(PoolError::MaxInitCodeSizeExceeded {
            size: tx.tx.input().len(),
            max: MAX_INITCODE_SIZE,
        });
    }
    let intrinsic = intrinsic_gas(&tx.tx);
    if gas < intrinsic {
        return Err(PoolError::IntrinsicGasTooLow { gas, intrinsic });
    }
    let (tip, max_fee) = (tx.max_priority_fee(), tx.max_fee());
    if tip > max_fee {
        return Err(PoolError::TipAboveFeeCap { tip, max_fee });
    }
    if tip < config.min_priority_fee {
        return Err(PoolError::Underpriced { tip, min: config.min_priority_fee });
    }
    Ok(())
}

/// Whether `new` may replace `old` (same sender and nonce): both the fee cap and the tip cap
/// must be strictly higher and at least `bump_percent` above the old ones, so replacements
/// cost the sender something and cannot be used to flood the network for free.
pub(crate) fn is_sufficient_bump(old: &PooledTx, new: &PooledTx, bump_percent: u64) -> bool {
    fn bumped(old: u128, new: u128, pct: u64) -> bool {
        if new <= old {
            return false;
        }
        // new >= old * (100 + pct) / 100, computed without overflow or rounding down the bar.
        let lhs = alloy_primitives::U256::from(new) * alloy_primitives::U256::from(100u64);
        let rhs = alloy_primitives::U256::from(old)
            * alloy_primitives::U256::from(100u64.saturating_add(pct));
        lhs >= rhs
    }
    bumped(old.max_fee(), new.max_fee(), bump_percent)
        && bumped(old.max_priority_fee(), new.max_priority_fee(), bump_percent)
}

#[cfg(test)]
mod tests {
    use alloy_consensus::{Signed, TxEip1559, TxEip2930, TxLegacy};
    use alloy_eips::eip2930::{AccessList, AccessListItem};
    use alloy_primitives::{Address, B256, Bytes, Signature, TxKind, U256};

    use super::*;

    fn unsigned(tx: impl Into<TxEnvelope>) -> TxEnvelope {
        tx.into()
    }

    fn legacy(input: Vec<u8>, to: TxKind) -> TxEnvelope {
        let tx = TxLegacy { input: Bytes::from(input), to, ..Default::default() };
        unsigned(Signed::new_unchecked(tx, Signature::test_signature(), B256::ZERO))
    }

    fn pooled_1559(max_fee: u128, tip: u128) -> PooledTx {
        let tx = TxEip1559 {
            max_fee_per_gas: max_fee,
            max_priority_fee_per_gas: tip,
            gas_limit: 21_000,
            to: TxKind::Call(Address::ZERO),
            ..Default::default()
        };
        let tx = unsigned(Signed::new_unchecked(tx, Signature::test_signature(), B256::ZERO));
        PooledTx { hash: B256::ZERO, sender: Address::ZERO, tx, encoded_len: 0 }
    }

    #[test]
    fn intrinsic_gas_of_plain_transfer() {
        assert_eq!(intrinsic_gas(&legacy(vec![], TxKind::Call(Address::ZERO))), 21_000);
    }

    #[test]
    fn intrinsic_gas_counts_calldata_bytes() {
        let tx = legacy(vec![0, 0, 1, 2, 0], TxKind::Call(Address::ZERO));
        assert_eq!(intrinsic_gas(&tx), 21_000 + 3 * 4 + 2 * 16);
    }

    #[test]
    fn intrinsic_gas_of_create_counts_initcode_words() {
        assert_eq!(intrinsic_gas(&legacy(vec![], TxKind::Create)), 53_000);
        assert_eq!(intrinsic_gas(&legacy(vec![0; 32], TxKind::Create)), 53_000 + 32 * 4 + 2);
        assert_eq!(intrinsic_gas(&legacy(vec![0; 33], TxKind::Create)), 53_000 + 33 * 4 + 4);
    }

    #[test]
    fn intrinsic_gas_counts_access_list() {
        let list = AccessList(vec![
            AccessListItem { address: Address::ZERO, storage_keys: vec![B256::ZERO; 3] },
            AccessListItem { address: Address::with_last_byte(1), storage_keys: vec![] },
        ]);
        let tx =
            TxEip2930 { access_list: list, to: TxKind::Call(Address::ZERO), ..Default::default() };
        let tx = unsigned(Signed::new_unchecked(tx, Signature::test_signature(), B256::ZERO));
        assert_eq!(intrinsic_gas(&tx), 21_000 + 2 * 2_400 + 3 * 1_900);
    }

    #[test]
    fn bump_requires_both_caps_up_by_percent() {
        let old = pooled_1559(100, 10);
        assert!(is_sufficient_bump(&old, &pooled_1559(110, 11), 10));
        assert!(!is_sufficient_bump(&old, &pooled_1559(109, 11), 10));
        assert!(!is_sufficient_bump(&old, &pooled_1559(110, 10), 10));
        assert!(is_sufficient_bump(&old, &pooled_1559(101, 11), 0));
        assert!(!is_sufficient_bump(&old, &pooled_1559(100, 10), 0));
        // Zero tips must still strictly rise.
        let zero = pooled_1559(100, 0);
        assert!(!is_sufficient_bump(&zero, &pooled_1559(200, 0), 10));
        assert!(is_sufficient_bump(&zero, &pooled_1559(200, 1), 10));
        // No overflow near the top of the range.
        let top = pooled_1559(u128::MAX - 1, u128::MAX - 1);
        assert!(!is_sufficient_bump(&top, &pooled_1559(u128::MAX, u128::MAX), 10));
        assert!(is_sufficient_bump(&top, &pooled_1559(u128::MAX, u128::MAX), 0));
        let half = pooled_1559(u128::MAX / 2, u128::MAX / 2);
        assert!(!is_sufficient_bump(&half, &pooled_1559(u128::MAX, u128::MAX), 200));
        assert!(is_sufficient_bump(&half, &pooled_1559(u128::MAX, u128::MAX), 100));
        assert!(is_sufficient_bump(
            &pooled_1559(1, 1),
            &pooled_1559(u128::MAX, u128::MAX),
            u64::MAX
        ));
    }

    #[test]
    fn cost_saturates() {
        let mut tx = TxEip1559 {
            max_fee_per_gas: u128::MAX,
            gas_limit: u64::MAX,
            value: U256::MAX,
            ..Default::default()
        };
        tx.max_priority_fee_per_gas = 1;
        let tx = unsigned(Signed::new_unchecked(tx, Signature::test_signature(), B256::ZERO));
        let p = PooledTx { hash: B256::ZERO, sender: Address::ZERO, tx, encoded_len: 0 };
        assert_eq!(p.cost(), U256::MAX);
    }

    #[test]
    fn static_checks_do_not_panic_on_extremes() {
        let config = PoolConfig { chain_id: 0, ..PoolConfig::default() };
        let p = pooled_1559(u128::MAX, u128::MAX);
        assert_eq!(check_static(&p, &config), Ok(()));
        let p = pooled_1559(0, 1);
        assert_eq!(
            check_static(&p, &config),
            Err(PoolError::TipAboveFeeCap { tip: 1, max_fee: 0 })
        );
    }
}
