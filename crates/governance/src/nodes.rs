//! Which nodes may connect to a governed network, read straight from the governance contract's
//! storage at a state: the set the node's peer gates enforce, equal to the peers for which the
//! contract's `isNodeAllowed` answers true. It is read when the contract's storage root changes
//! (at most once per block), so it reads every node of every organisation instead of one peer.

use alloy_primitives::{Address, B256, Bytes, U256};
use cairn_storage::StateView;

use crate::layout::{self, u64_at};
use crate::params::storage_root;
use crate::{GOVERNANCE_ADDRESS, GovernanceError};

/// The contract's `MAX_ORGANISATIONS`: a longer `orgIds` is not the contract's storage.
const MAX_ORGANISATIONS: u64 = 32;
/// The contract's `MAX_NODES`, per organisation.
const MAX_NODES: u64 = 32;
/// The longest peer id the contract accepts (an identity multihash of 42 bytes of key).
const MAX_PEER_ID_BYTES: u64 = 44;

/// A node an organisation allowed, as the contract records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedNode {
    /// Its libp2p peer id as multihash bytes (what `PeerId::to_bytes` gives).
    pub peer_id: Bytes,
    /// The consensus address the organisation declared for it (zero for a node that does not
    /// validate).
    pub consensus_address: Address,
    /// The organisation that allowed it.
    pub org: u32,
}

/// The nodes allowed to connect at `state`: `None` while the contract's `permissionNodes`
/// switch is off (anyone may connect), else every node of every existing organisation, by
/// organisation id then position. A node of a removed organisation is not in it, as the
/// contract's `isNodeAllowed` says.
pub fn read_allowed_nodes(
    state: &dyn StateView,
) -> Result<Option<Vec<AllowedNode>>, GovernanceError> {
    storage_root(state)?;
    let read = |slot| state.storage(GOVERNANCE_ADDRESS, slot);
    if read(layout::SWITCHES)?.byte(1) == 0 {
        return Ok(None);
    }
    let count = bounded(read(layout::ORG_IDS)?, MAX_ORGANISATIONS, "orgIds is too long")?;
    let ids = layout::data_slot(layout::ORG_IDS);
    let mut nodes = Vec::new();
    for i in 0..count {
        let word = read(ids + U256::from(i / 8))?;
        let org = (u64_at(word, (i % 8) as usize * 32) & u64::from(u32::MAX)) as u32;
        let list = layout::org_nodes_slot(org);
        let len = bounded(read(list)?, MAX_NODES, "an organisation has too many nodes")?;
        let first = layout::data_slot(list);
        for n in 0..len {
            let peer_id = read_bytes(state, first + U256::from(n))?;
            let record = read(layout::node_record_slot(&peer_id))?;
            if u64_at(record, 0) & u64::from(u32::MAX) != u64::from(org) {
                return Err(GovernanceError::UnexpectedStorage(
                    "a listed node's record names another organisation",
                ));
            }
            let consensus_address = Address::from_word(B256::from(record >> 64));
            nodes.push(AllowedNode { peer_id, consensus_address, org });
        }
    }
    Ok(Some(nodes))
}

/// A length word that must not exceed `max`.
fn bounded(word: U256, max: u64, what: &'static str) -> Result<u64, GovernanceError> {
    if word > U256::from(max) {
        return Err(GovernanceError::UnexpectedStorage(what));
    }
    Ok(word.as_limbs()[0])
}

/// A `bytes` value stored at `slot`, by Solidity's rules: shorter than 32 bytes, in the slot
/// itself (left-aligned, the lowest byte holding twice the length); longer, the slot holds
/// twice the length plus one and the data runs from `keccak256(slot)` on.
fn read_bytes(state: &dyn StateView, slot: U256) -> Result<Bytes, GovernanceError> {
    let word = state.storage(GOVERNANCE_ADDRESS, slot)?;
    if !word.bit(0) {
        let len = usize::from(word.byte(0) / 2);
        return Ok(Bytes::copy_from_slice(&word.to_be_bytes::<32>()[..len]));
    }
    let len = bounded(word >> 1, MAX_PEER_ID_BYTES, "a peer id is too long")? as usize;
    let first = layout::data_slot(slot);
    let mut data = Vec::with_capacity(len.div_ceil(32) * 32);
    for i in 0..len.div_ceil(32) {
        data.extend(state.storage(GOVERNANCE_ADDRESS, first + U256::from(i))?.to_be_bytes::<32>());
    }
    data.truncate(len);
    Ok(Bytes::from(data))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::test_state::MapState;

    fn peer(n: u8) -> Bytes {
        let mut id = vec![0x00, 0x24, 0x08, 0x01, 0x12, 0x20];
        id.extend([n; 32]);
        Bytes::from(id)
    }

    #[test]
    fn permissioning_off_allows_everyone_and_reads_one_word() {
        let state = MapState::new(1).switches(true, false).org_ids(&[1]).node(1, &peer(1), None);
        assert_eq!(read_allowed_nodes(&state).unwrap(), None);
        assert_eq!(state.take_reads(), 1);
    }

    #[test]
    fn the_set_is_every_node_of_every_existing_organisation() {
        let validator = Address::repeat_byte(0xaa);
        // Organisation 2 was removed: it is not in orgIds, and its node no longer counts.
        let state = MapState::new(1)
            .nodes_switch()
            .org_ids(&[1, 3])
            .node(1, &peer(1), Some(validator))
            .node(1, &peer(2), None)
            .node(2, &peer(3), None)
            .node(3, &peer(4), None)
            .node(3, &Bytes::from_static(&[0x00, 0x03, 1, 2, 3]), None);
        let nodes = read_allowed_nodes(&state).unwrap().unwrap();
        let summary: Vec<_> =
            nodes.iter().map(|n| (n.org, n.peer_id.clone(), n.consensus_address)).collect();
        assert_eq!(
            summary,
            vec![
                (1, peer(1), validator),
                (1, peer(2), Address::ZERO),
                (3, peer(4), Address::ZERO),
                (3, Bytes::from_static(&[0x00, 0x03, 1, 2, 3]), Address::ZERO),
            ]
        );
        let none = MapState::new(2).nodes_switch().org_ids(&[1]);
        assert_eq!(read_allowed_nodes(&none).unwrap(), Some(vec![]), "nobody, not everybody");
    }

    #[test]
    fn storage_the_contract_cannot_write_is_an_error() {
        let mut state = MapState::new(1).nodes_switch().org_ids(&[1]);
        state.slots.insert(layout::ORG_IDS, U256::from(MAX_ORGANISATIONS + 1));
        assert!(matches!(read_allowed_nodes(&state), Err(GovernanceError::UnexpectedStorage(_))));
        let mut state = MapState::new(1).nodes_switch().org_ids(&[1]).node(1, &peer(1), None);
        state.slots.insert(layout::node_record_slot(&peer(1)), U256::from(2));
        assert!(matches!(read_allowed_nodes(&state), Err(GovernanceError::UnexpectedStorage(_))));
        let mut absent = MapState::new(1).nodes_switch();
        absent.account = None;
        assert!(matches!(read_allowed_nodes(&absent), Err(GovernanceError::NoContract)));
    }
}
