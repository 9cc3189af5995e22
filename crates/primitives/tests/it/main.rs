//! Decoders of stored and received bytes: arbitrary input never panics, and encodings round-trip.
#![allow(clippy::unwrap_used, missing_docs)]

use alloy_primitives::{Address, B256, Bloom, Bytes};
use cairn_primitives::{Block, Header, Receipt};
use proptest::prelude::*;

fn header() -> impl Strategy<Value = Header> {
    (
        any::<[u8; 32]>(),
        any::<u64>(),
        any::<u64>(),
        any::<[u8; 20]>(),
        any::<u64>(),
        any::<u64>(),
        proptest::collection::vec(any::<u8>(), 0..40),
    )
        .prop_map(|(parent, number, timestamp, beneficiary, gas_limit, base_fee, extra)| {
            Header {
                parent_hash: B256::from(parent),
                number,
                timestamp,
                beneficiary: Address::from(beneficiary),
                state_root: B256::from(parent),
                logs_bloom: Bloom::ZERO,
                gas_limit,
                gas_used: gas_limit / 2,
                base_fee,
                extra_data: Bytes::from(extra.clone()),
                seal: Bytes::from(extra),
                // Present on chains with changing validator sets, absent elsewhere.
                commitments: (number % 2 == 0).then(|| cairn_primitives::ConsensusCommitments {
                    validators_hash: B256::from(parent),
                    ..Default::default()
                }),
                ..Default::default()
            }
        })
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_the_decoders(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = Block::decode_bytes(&bytes);
        let _ = Receipt::decode_list(&bytes);
        let _ = alloy_rlp::decode_exact::<Header>(&bytes);
    }

    #[test]
    fn blocks_round_trip(header in header()) {
        let block = Block { consensus: None, header, transactions: vec![] };
        let bytes = block.encode_to_vec();
        prop_assert_eq!(Block::decode_bytes(&bytes).unwrap(), block.clone());
        let mut flipped = bytes.clone();
        let at = bytes.len() / 2;
        flipped[at] ^= 0x01;
        if let Ok(decoded) = Block::decode_bytes(&flipped) {
            prop_assert_ne!(decoded.hash(), block.hash());
        }
    }
}

fn receipt(revert_output: Option<Bytes>) -> Receipt {
    let inner = alloy_consensus::Receipt {
        status: revert_output.is_none().into(),
        cumulative_gas_used: 30_000,
        logs: vec![],
    };
    Receipt {
        envelope: alloy_consensus::ReceiptEnvelope::Eip1559(inner.with_bloom()),
        gas_used: 30_000,
        effective_gas_price: 7,
        contract_address: Address::ZERO,
        revert_output,
    }
}

proptest! {
    #[test]
    fn receipts_round_trip_with_and_without_revert_data(data in proptest::collection::vec(any::<u8>(), 1..200)) {
        let receipts = vec![receipt(None), receipt(Some(Bytes::from(data)))];
        let bytes = Receipt::encode_list(&receipts);
        prop_assert_eq!(Receipt::decode_list(&bytes).unwrap(), receipts);
    }
}

/// The four-field layout receipts were stored in before they kept revert data.
#[derive(alloy_rlp::RlpEncodable)]
struct EarlierReceipt {
    envelope: alloy_consensus::ReceiptEnvelope,
    gas_used: u64,
    effective_gas_price: u128,
    contract_address: Address,
}

#[test]
fn receipts_stored_before_revert_data_still_decode() {
    let current = receipt(None);
    let earlier = vec![EarlierReceipt {
        envelope: current.envelope.clone(),
        gas_used: current.gas_used,
        effective_gas_price: current.effective_gas_price,
        contract_address: current.contract_address,
    }];
    let bytes = alloy_rlp::encode(&earlier);
    assert_eq!(Receipt::decode_list(&bytes).unwrap(), vec![current.clone()]);
    assert_eq!(Receipt::encode_list(&[current]), bytes);
}
