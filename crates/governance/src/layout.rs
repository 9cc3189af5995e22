//! Where `Governance.sol` keeps what the node reads straight from storage, by Solidity's
//! storage-layout rules and the contract's declaration order. The integration test
//! `the_storage_layout_a_direct_reader_relies_on` pins these slots on the real bytecode, and
//! the contract's `ABI_VERSION` must change with any reordering (the node checks it at
//! genesis), so a direct read can never silently read another field.

use alloy_primitives::{Address, B256, U256, keccak256};

/// `Params config`: gasLimit, blockTimeMs, epochLength, votingPeriodBlocks, a `uint64` each,
/// packed low first into one word.
pub(crate) const PARAMS: U256 = U256::ZERO;
/// `Params config`, second word: permissionAccounts, permissionNodes, permissionDeployers, a
/// byte each, low first.
pub(crate) const SWITCHES: U256 = U256::from_limbs([1, 0, 0, 0]);
/// `uint64 currentEpoch`.
pub(crate) const CURRENT_EPOCH: U256 = U256::from_limbs([2, 0, 0, 0]);
/// `uint64[] epochStarts`: its length here, its elements from `keccak256(3)` on, four
/// `uint64`s to a word, low first.
pub(crate) const EPOCH_STARTS: U256 = U256::from_limbs([3, 0, 0, 0]);
/// `uint32[] orgIds`: the existing organisations, eight ids to a word from `keccak256(4)` on,
/// low first.
pub(crate) const ORG_IDS: U256 = U256::from_limbs([4, 0, 0, 0]);
/// `mapping(uint32 => Organisation) orgs`; `exists` is the entry's second word, `nodes` (a
/// `bytes[]`) its fifth.
const ORGS: U256 = U256::from_limbs([6, 0, 0, 0]);
/// `mapping(address => Account) accounts`, one word per entry: org (`uint32`), role (`uint8`),
/// deployer (`bool`), index (`uint32`), low first.
const ACCOUNTS: U256 = U256::from_limbs([8, 0, 0, 0]);
/// `mapping(bytes32 => Node) nodeRecords`, keyed by `keccak256(peerId)`, one word per entry:
/// org (`uint32`), index (`uint32`), consensusAddress (`address`), low first.
const NODE_RECORDS: U256 = U256::from_limbs([9, 0, 0, 0]);

/// The `Role` the contract gives admins (`None` 0, `Admin` 1, `Member` 2).
pub(crate) const ROLE_ADMIN: u8 = 1;

/// Solidity's slot of `mapping[key]` for a mapping declared at `base`.
fn mapping_slot(key: B256, base: U256) -> U256 {
    let base = B256::from(base);
    U256::from_be_bytes(keccak256([key.as_slice(), base.as_slice()].concat()).0)
}

/// The word of `accounts[account]`.
pub(crate) fn account_slot(account: Address) -> U256 {
    mapping_slot(account.into_word(), ACCOUNTS)
}

/// The word holding `orgs[org].exists`.
pub(crate) fn org_exists_slot(org: u32) -> U256 {
    mapping_slot(B256::from(U256::from(org)), ORGS) + U256::from(1)
}

/// The length word of `orgs[org].nodes`.
pub(crate) fn org_nodes_slot(org: u32) -> U256 {
    mapping_slot(B256::from(U256::from(org)), ORGS) + U256::from(4)
}

/// The word of `nodeRecords[keccak256(peer_id)]`.
pub(crate) fn node_record_slot(peer_id: &[u8]) -> U256 {
    mapping_slot(keccak256(peer_id), NODE_RECORDS)
}

/// The first element word of the dynamic array (or long `bytes`) whose length is at `slot`.
pub(crate) fn data_slot(slot: U256) -> U256 {
    U256::from_be_bytes(keccak256(B256::from(slot)).0)
}

/// The word and bit offset of `epochStarts[epoch]`: four `uint64` elements share a word.
pub(crate) fn epoch_start_slot(epoch: u64) -> (U256, usize) {
    let first = U256::from_be_bytes(keccak256(B256::from(EPOCH_STARTS)).0);
    (first + U256::from(epoch / 4), (epoch % 4) as usize * 64)
}

/// The `uint64` at bit `shift` of a packed word.
pub(crate) fn u64_at(word: U256, shift: usize) -> u64 {
    (word >> shift).as_limbs()[0]
}

/// An `accounts` entry, unpacked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AccountWord {
    /// 0: no organisation (never one, or removed from it).
    pub(crate) org: u32,
    pub(crate) role: u8,
    pub(crate) deployer: bool,
}

impl AccountWord {
    pub(crate) fn decode(word: U256) -> Self {
        Self {
            org: (word.as_limbs()[0] & u64::from(u32::MAX)) as u32,
            role: word.byte(4),
            deployer: word.byte(5) != 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_fields_are_read_low_first() {
        let word = U256::from(7u64)
            | (U256::from(11u64) << 64)
            | (U256::from(13u64) << 128)
            | (U256::from(u64::MAX) << 192);
        assert_eq!(
            [u64_at(word, 0), u64_at(word, 64), u64_at(word, 128), u64_at(word, 192)],
            [7, 11, 13, u64::MAX]
        );
        let entry = U256::from(0xdead_beefu64) | (U256::from(2) << 32) | (U256::from(1) << 40);
        let entry = entry | (U256::from(u32::MAX) << 48);
        assert_eq!(
            AccountWord::decode(entry),
            AccountWord { org: 0xdead_beef, role: 2, deployer: true }
        );
    }

    #[test]
    fn epoch_starts_pack_four_to_a_word() {
        let (first, shift) = epoch_start_slot(0);
        assert_eq!(first, U256::from_be_bytes(keccak256(B256::from(U256::from(3))).0));
        assert_eq!(shift, 0);
        assert_eq!(epoch_start_slot(3), (first, 192));
        assert_eq!(epoch_start_slot(4), (first + U256::from(1), 0));
        assert_eq!(epoch_start_slot(9), (first + U256::from(2), 64));
    }
}
