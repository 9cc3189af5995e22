//! The validator set of each height, and the gas limit of the next block, read from one store
//! snapshot.

use std::sync::Arc;

use cairn_consensus::{ConsensusError, ValidatorSets};
use cairn_governance::{EpochState, read_params};
use cairn_primitives::{ChainSpec, Header, ValidatorSetRecord};
use cairn_storage::{KvRead, Snapshot};

/// [`ValidatorSets`] over one snapshot of a chain: the node's store for import, building and
/// reads, `cairn verify`'s replay store for an audit, so each judges by the sets its own
/// chain history selected.
pub(crate) struct StoreSets<'a, R> {
    /// The chain read.
    pub(crate) snapshot: &'a Snapshot<R>,
    /// The spec's genesis set (epoch 0), computed once.
    pub(crate) genesis: &'a Arc<ValidatorSetRecord>,
    /// The chain's spec (its epochs).
    pub(crate) spec: &'a ChainSpec,
}

impl<R: KvRead> StoreSets<'_, R> {
    /// Whether `height`, beyond the next block's `next`, lies in a later epoch than `next`. A
    /// governed chain's epochs come from its state at the head (their length is governable); a
    /// proof-of-stake chain's from the spec's fixed length.
    fn in_later_epoch(&self, height: u64, next: u64) -> Result<bool, ConsensusError> {
        if self.spec.governance.is_some() {
            return Ok(height > EpochState::read(self.snapshot)?.last_height());
        }
        Ok(self.spec.epoch_of(height) > self.spec.epoch_of(next))
    }
}

impl<R: KvRead> ValidatorSets for StoreSets<'_, R> {
    /// The newest stored record whose first height is at or below `height`, else the genesis
    /// set. A height in a later epoch than the next block's is unknown: its set is written by
    /// the last block of the epoch before it, and the newest record would wrongly answer with
    /// the current epoch's set. (Chains without epochs never meet that case.)
    fn set_at(&self, height: u64) -> Result<Arc<ValidatorSetRecord>, ConsensusError> {
        // A store without a head holds no chain: nothing decided yet beyond genesis.
        let next = self.snapshot.head_number()?.unwrap_or_default() + 1;
        if height > next && self.in_later_epoch(height, next)? {
            return Err(ConsensusError::UnknownHeight { height });
        }
        Ok(match self.snapshot.validator_set_record(height)? {
            Some(record) => Arc::new(record),
            None => self.genesis.clone(),
        })
    }

    /// The parent's gas limit, or on a governed chain the contract's `params().gasLimit` at
    /// the parent's state, which is this snapshot's head: a voted change applies from the
    /// first block after the boundary that executed it. Judging the child of another block
    /// would need that block's state, which this snapshot does not hold: such a question is
    /// [`ConsensusError::UnknownHeight`].
    fn gas_limit_after(&self, parent: &Header) -> Result<u64, ConsensusError> {
        if self.spec.governance.is_none() {
            return Ok(parent.gas_limit);
        }
        if self.snapshot.head()? != *parent {
            return Err(ConsensusError::UnknownHeight { height: parent.number.saturating_add(1) });
        }
        Ok(read_params(self.snapshot)?.gasLimit)
    }
}

/// The genesis set of `spec`, refused when the engine could not run on it.
pub(crate) fn genesis_set(spec: &ChainSpec) -> Result<Arc<ValidatorSetRecord>, ConsensusError> {
    spec.genesis_validator_set()
        .map(Arc::new)
        .map_err(|e| ConsensusError::UnusableSet { first_height: 1, source: Box::new(e) })
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{Address, Bytes};
    use cairn_primitives::{Block, ConsensusKind, GenesisValidator, Header, SetMember};
    use cairn_storage::{BlockExtras, ChainStore, MemoryKv};

    use super::*;

    fn member(byte: u8) -> SetMember {
        SetMember {
            address: Address::repeat_byte(byte),
            public_key: Bytes::from([2u8; 33]),
            power: 1,
        }
    }

    fn spec(epoch_length: Option<u64>) -> ChainSpec {
        ChainSpec {
            consensus: ConsensusKind::Bft,
            epoch_length,
            validators: vec![GenesisValidator {
                name: String::new(),
                address: Address::repeat_byte(1),
                public_key: Bytes::from([2u8; 33]),
                power: 1,
                stake: None,
                operator: None,
                commission_bps: None,
            }],
            ..ChainSpec::dev().expect("dev spec")
        }
    }

    /// Appends an empty child of the head, recording `next` as the set from the next height.
    fn commit(store: &ChainStore<MemoryKv>, next: Option<ValidatorSetRecord>) {
        let parent = store.head().expect("head");
        let header = Header {
            parent_hash: parent.hash(),
            number: parent.number + 1,
            state_root: parent.state_root,
            ..parent
        };
        let block = Block { header, transactions: Vec::new(), consensus: None };
        let state = store
            .snapshot()
            .expect("snapshot")
            .prepare_state(block.header.state_root, &Default::default())
            .expect("no changes");
        let extras = BlockExtras { next_validators: next, system_logs: Vec::new() };
        store.commit_block(&block, &[], &[], state, &extras).expect("commit");
    }

    fn at(
        store: &ChainStore<MemoryKv>,
        spec: &ChainSpec,
        height: u64,
    ) -> Result<Arc<ValidatorSetRecord>, ConsensusError> {
        let genesis = genesis_set(spec).expect("genesis set");
        let snapshot = store.snapshot().expect("snapshot");
        StoreSets { snapshot: &snapshot, genesis: &genesis, spec }.set_at(height)
    }

    #[test]
    fn a_chain_that_never_records_a_set_reads_the_genesis_set_at_every_height() {
        let spec = spec(None);
        let store = ChainStore::open(MemoryKv::new(), &spec).expect("store");
        for _ in 0..3 {
            commit(&store, None);
        }
        let genesis = spec.genesis_validator_set().expect("genesis set");
        for height in [0, 1, 3, 4, 5, 1_000_000] {
            assert_eq!(*at(&store, &spec, height).expect("set"), genesis, "height {height}");
        }
    }

    #[test]
    fn a_recorded_set_decides_from_its_first_height_and_a_later_epoch_is_unknown() {
        let spec = spec(Some(2));
        let store = ChainStore::open(MemoryKv::new(), &spec).expect("store");
        let genesis = spec.genesis_validator_set().expect("genesis set");
        let next = ValidatorSetRecord { epoch: 1, first_height: 3, members: vec![member(5)] };
        commit(&store, None);
        // Head 1: heights 1 and 2 are epoch 0, whose set is known; epoch 1 is not yet.
        assert_eq!(*at(&store, &spec, 2).expect("set"), genesis);
        assert!(matches!(at(&store, &spec, 3), Err(ConsensusError::UnknownHeight { height: 3 })));
        commit(&store, Some(next.clone()));
        // Block 2 ended epoch 0: heights 1 and 2 keep the genesis set, 3 and 4 take the record.
        for height in [1, 2] {
            assert_eq!(*at(&store, &spec, height).expect("set"), genesis, "height {height}");
        }
        for height in [3, 4] {
            assert_eq!(*at(&store, &spec, height).expect("set"), next, "height {height}");
        }
        assert!(matches!(at(&store, &spec, 5), Err(ConsensusError::UnknownHeight { height: 5 })));
    }
}
