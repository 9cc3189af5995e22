//! The validator sets of the simulated chain: one record per epoch, read through the node's
//! own [`ValidatorSets`] interface and converted by its [`ValidatorSchedule`], so a height is
//! decided, certified and checked with the set the node would use for it.

use std::sync::Arc;

use alloy_primitives::Address;
use cairn_bft::{ConsensusSigner, ValidatorSchedule, ValidatorSet};
use cairn_consensus::{ConsensusError, ValidatorSets};
use cairn_primitives::{SetMember, ValidatorSetRecord};
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// Heights per epoch when sets change.
pub(crate) const EPOCH_LENGTH: u64 = 3;
/// The smallest set a change may leave: four members tolerate one faulty validator.
const MIN_MEMBERS: usize = 4;
/// Members of the first set when sets change; the rest of the pool waits to be added.
const FIRST_MEMBERS: usize = 4;
/// The largest voting power a member is given.
const MAX_POWER: u64 = 5;

/// What changed at one epoch boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    Added(Address),
    Removed(Address),
    Repowered(Address),
}

/// The set of every height: `records[e]` decides epoch `e`, the last one every later epoch.
pub(crate) struct Schedule {
    epoch_length: u64,
    records: Vec<Arc<ValidatorSetRecord>>,
    changes: Vec<Change>,
    converted: ValidatorSchedule,
}

impl ValidatorSets for Schedule {
    fn set_at(&self, height: u64) -> Result<Arc<ValidatorSetRecord>, ConsensusError> {
        let epoch = usize::try_from(self.epoch(height)).unwrap_or(usize::MAX);
        Ok(self.records[epoch.min(self.records.len() - 1)].clone())
    }
}

impl Schedule {
    /// Every signer of the pool with power 1, for every height.
    pub(crate) fn fixed(pool: &[ConsensusSigner]) -> Self {
        let members = pool.iter().map(|s| member(s, 1)).collect();
        Self::new(u64::MAX, vec![record(0, 1, members)], Vec::new())
    }

    /// `epochs` sets drawn from the seed: the first holds [`FIRST_MEMBERS`] of the pool, and
    /// each later one makes one change to the one before, adding a pool member that is out,
    /// removing one (never below [`MIN_MEMBERS`]) or giving one a new power.
    pub(crate) fn changing(rng: &mut StdRng, pool: &[ConsensusSigner], epochs: u64) -> Self {
        let mut order: Vec<&ConsensusSigner> = pool.iter().collect();
        order.shuffle(rng);
        let mut members: Vec<SetMember> = order[..FIRST_MEMBERS]
            .iter()
            .map(|s| member(s, rng.random_range(1..=MAX_POWER)))
            .collect();
        let mut records = vec![record(0, 1, members.clone())];
        let mut changes = Vec::new();
        for epoch in 1..epochs {
            let out: Vec<&ConsensusSigner> = pool
                .iter()
                .filter(|s| members.iter().all(|m| m.address != s.address().0))
                .collect();
            let change = match rng.random_range(0..3) {
                0 if !out.is_empty() => {
                    let joining = out[rng.random_range(0..out.len())];
                    members.push(member(joining, rng.random_range(1..=MAX_POWER)));
                    Change::Added(joining.address().0)
                }
                1 if members.len() > MIN_MEMBERS => {
                    Change::Removed(members.remove(rng.random_range(0..members.len())).address)
                }
                _ => {
                    let i = rng.random_range(0..members.len());
                    // Uniform over the powers other than the member's current one.
                    let power = rng.random_range(1..MAX_POWER);
                    members[i].power = if power >= members[i].power { power + 1 } else { power };
                    Change::Repowered(members[i].address)
                }
            };
            changes.push(change);
            records.push(record(epoch, epoch * EPOCH_LENGTH + 1, members.clone()));
        }
        Self::new(EPOCH_LENGTH, records, changes)
    }

    fn new(epoch_length: u64, records: Vec<ValidatorSetRecord>, changes: Vec<Change>) -> Self {
        for record in &records {
            record.check().expect("a drawn set is one a node would accept");
        }
        Self {
            epoch_length,
            records: records.into_iter().map(Arc::new).collect(),
            changes,
            converted: ValidatorSchedule::default(),
        }
    }

    /// The epoch of `height` (heights start at 1).
    pub(crate) fn epoch(&self, height: u64) -> u64 {
        height.saturating_sub(1) / self.epoch_length
    }

    /// The Malachite set deciding `height`, as the node's driver hands it to the core.
    pub(crate) fn at(&self, height: u64) -> Arc<ValidatorSet> {
        self.converted.at(self, height).expect("every drawn set converts")
    }

    /// The members of `height`'s set.
    pub(crate) fn members(&self, height: u64) -> Vec<Address> {
        self.set_at(height).expect("set").members.iter().map(|m| m.address).collect()
    }

    pub(crate) fn is_member(&self, height: u64, address: Address) -> bool {
        self.members(height).contains(&address)
    }

    /// The changes made at each epoch boundary, in order.
    pub(crate) fn changes(&self) -> &[Change] {
        &self.changes
    }
}

fn member(signer: &ConsensusSigner, power: u64) -> SetMember {
    SetMember {
        address: signer.address().0,
        public_key: signer.public_key().0.to_vec().into(),
        power,
    }
}

fn record(epoch: u64, first_height: u64, mut members: Vec<SetMember>) -> ValidatorSetRecord {
    members.sort_by_key(|m| m.address);
    ValidatorSetRecord { epoch, first_height, members }
}
