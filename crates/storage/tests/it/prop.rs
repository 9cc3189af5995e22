//! Random state changes, block by block, against the flat model (memory backend).

use std::collections::BTreeMap;

use alloy_primitives::{Address, Bytes, U256, keccak256};
use alloy_trie::KECCAK_EMPTY;
use cairn_storage::{AccountChange, AccountInfo, StateChanges};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::Index;

use crate::backend::Memory;
use crate::fixtures::Payload;
use crate::harness::Harness;

/// The one contract code accounts may have.
const CODE: &[u8] = &[0x60, 0x2a, 0x00];

/// A change of one account: mostly updates (maybe wiping storage), sometimes a deletion;
/// slot values include zero, which clears.
fn account_change() -> impl Strategy<Value = AccountChange> {
    let info = (0u64..3, 0u64..3, any::<bool>()).prop_map(|(nonce, balance, has_code)| {
        let code_hash = if has_code { keccak256(CODE) } else { KECCAK_EMPTY };
        AccountInfo { nonce, balance: U256::from(balance), code_hash }
    });
    let storage = btree_map(0u64..5, 0u64..3, 0..4)
        .prop_map(|slots| slots.into_iter().map(|(s, v)| (U256::from(s), U256::from(v))).collect());
    (proptest::option::weighted(0.85, info), proptest::bool::weighted(0.2), storage)
        .prop_map(|(info, wipe_storage, storage)| AccountChange { info, wipe_storage, storage })
}

/// One block's changes over a handful of addresses.
fn block_changes() -> impl Strategy<Value = StateChanges> {
    btree_map(1u8..5, account_change(), 0..4).prop_map(|accounts| {
        let accounts: BTreeMap<Address, AccountChange> = accounts
            .into_iter()
            .map(|(byte, change)| (Address::repeat_byte(byte), change))
            .collect();
        let deploys =
            accounts.values().any(|c| c.info.is_some_and(|i| i.code_hash != KECCAK_EMPTY));
        let code = if deploys {
            BTreeMap::from([(keccak256(CODE), Bytes::from_static(CODE))])
        } else {
            BTreeMap::new()
        };
        StateChanges { accounts, code }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// After each block the header root equals the independent root of the flat state (the
    /// harness checks it on every commit), and unwinding restores the state recorded then.
    #[test]
    fn roots_and_unwinds_match_the_flat_model(
        blocks in vec(block_changes(), 1..8),
        depth in any::<Index>(),
        more in vec(block_changes(), 0..3),
    ) {
        let mut harness = Harness::<Memory>::new();
        for changes in &blocks {
            harness.commit(changes, Payload::default(), 0);
        }
        let head = blocks.len();
        let target = head - depth.index(head + 1);
        let recorded = harness.blocks[target].state.clone();
        harness.unwind_to(target as u64);
        prop_assert_eq!(harness.state(), &recorded);
        for changes in &more {
            harness.commit(changes, Payload::default(), 1);
        }
    }
}
