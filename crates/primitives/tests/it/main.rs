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
        let block = Block { header, transactions: vec![] };
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
