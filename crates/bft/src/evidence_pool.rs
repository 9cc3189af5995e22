//! Double-sign evidence on its way into blocks: each equivocation this node learns (from its
//! own engine or submitted by a peer) turned into the item the staking contract judges, held
//! until a block this node builds carries it or the contract refuses it. Once the node's store
//! is attached, the waiting items are kept in it too, so a restart does not lose them.

use std::ops::ControlFlow;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use alloy_primitives::{B256, keccak256};
use alloy_rlp::Decodable;
use cairn_consensus::{Equivocation, EquivocationKind, VotedFor};
use cairn_primitives::{ChainSpec, DoubleSign, SignedValue, ValidatorSetRecord};
use cairn_storage::{RecordBatch, RecordStore, RecordTable};
use malachitebft_core_types::{NilOrVal, Round, VoteType};
use tracing::{error, warn};

use crate::context::{BlockId, Height, Proposal, ValidatorAddress, Vote};
use crate::error::EvidenceError;
use crate::keys::{ConsensusPublicKey, ConsensusSignature};

/// Most items waiting for a block: far beyond what honest validators can produce between two
/// blocks, and a bound on what submissions can make a node hold.
pub const MAX_PENDING_EVIDENCE: usize = 1_000;

/// The hash that names an evidence item: keccak-256 of its RLP encoding, as a block body
/// carries it.
pub fn evidence_hash(item: &DoubleSign) -> B256 {
    keccak256(alloy_rlp::encode(item))
}

fn store_error(source: cairn_storage::StoreError) -> EvidenceError {
    EvidenceError::Store { source: Arc::new(source) }
}

/// The contract's message kind (0 prevote, 1 precommit, 2 proposal).
fn kind_code(kind: EquivocationKind) -> u8 {
    match kind {
        EquivocationKind::Prevote => 0,
        EquivocationKind::Precommit => 1,
        EquivocationKind::Proposal => 2,
    }
}

fn signed_value(
    voted: VotedFor,
    pol_round: Option<u32>,
    signature: alloy_primitives::B512,
) -> SignedValue {
    let (value, nil) = match voted {
        VotedFor::Nil => (B256::ZERO, true),
        VotedFor::Block(id) => (id, false),
    };
    SignedValue { value, nil, pol_round: pol_round.map_or(0, |r| u64::from(r) + 1), signature }
}

/// `e` as the staking contract's `slashDoubleSign` takes it, for the set `set` that decided
/// `e.height`: votes carry no proof-of-lock round, proposals carry both of theirs.
pub fn double_sign(
    e: &Equivocation,
    set: &ValidatorSetRecord,
) -> Result<DoubleSign, EvidenceError> {
    let (first_pol, second_pol) = match (e.kind, e.pol_rounds) {
        (EquivocationKind::Proposal, Some(pols)) => pols,
        (EquivocationKind::Proposal, None) => return Err(EvidenceError::MissingPolRounds),
        (_, Some(_)) => return Err(EvidenceError::PolRoundsOnVotes),
        (_, None) => (None, None),
    };
    Ok(DoubleSign {
        kind: kind_code(e.kind),
        height: e.height,
        round: e.round,
        validator: e.validator,
        epoch: set.epoch,
        first: signed_value(e.first, first_pol, e.first_signature),
        second: signed_value(e.second, second_pol, e.second_signature),
    })
}

/// What the validator signed for one side of `e` on chain `chain_id`.
fn signing_hash(
    chain_id: u64,
    e: &Equivocation,
    voted: VotedFor,
    pol: Option<u32>,
) -> Result<B256, EvidenceError> {
    let height = Height(e.height);
    let round = Round::new(e.round);
    let validator_address = ValidatorAddress(e.validator);
    let value = match voted {
        VotedFor::Nil => NilOrVal::Nil,
        VotedFor::Block(id) => NilOrVal::Val(BlockId(id)),
    };
    let vote = |vote_type| Vote::new(vote_type, height, round, value, validator_address);
    Ok(match e.kind {
        EquivocationKind::Prevote => vote(VoteType::Prevote).signing_hash(chain_id),
        EquivocationKind::Precommit => vote(VoteType::Precommit).signing_hash(chain_id),
        EquivocationKind::Proposal => {
            let NilOrVal::Val(value) = value else { return Err(EvidenceError::NilProposal) };
            let pol_round = pol.map_or(Round::Nil, Round::new);
            Proposal { height, round, value, pol_round, validator_address }.signing_hash(chain_id)
        }
    })
}

/// Checks `e` as the staking contract will, against `set`, the validator set of `e.height` on
/// chain `chain_id`: the validator is a member, the two messages differ (proposals name
/// blocks), and both signatures are its key's over what Cairn's consensus signs. Answers the
/// item a block carries.
pub fn verify_equivocation(
    chain_id: u64,
    set: &ValidatorSetRecord,
    e: &Equivocation,
) -> Result<DoubleSign, EvidenceError> {
    let item = double_sign(e, set)?;
    let member = set
        .members
        .iter()
        .find(|m| m.address == e.validator)
        .ok_or(EvidenceError::NotInSet { validator: e.validator, height: e.height })?;
    let key = ConsensusPublicKey::from_slice(&member.public_key)
        .map_err(|_| EvidenceError::NotInSet { validator: e.validator, height: e.height })?;
    let (first_pol, second_pol) = e.pol_rounds.unwrap_or_default();
    let first = signing_hash(chain_id, e, e.first, first_pol)?;
    let second = signing_hash(chain_id, e, e.second, second_pol)?;
    if first == second {
        return Err(EvidenceError::NotConflicting);
    }
    for (index, (digest, signature)) in
        [(first, e.first_signature), (second, e.second_signature)].into_iter().enumerate()
    {
        if !key.verify(digest, &ConsensusSignature(signature.0)) {
            return Err(EvidenceError::BadSignature { index });
        }
    }
    Ok(item)
}

/// The record table the waiting items are kept in, beside the chain in the node's store: key
/// the item's arrival number (8 bytes, big endian, so a scan reads them oldest first) and its
/// hash, value its RLP. The name is the table's name in the store: never change it.
const PENDING_TABLE: RecordTable = RecordTable::new("evidence_pool");

/// One waiting item.
#[derive(Debug)]
struct Waiting {
    /// Its place in arrival order, part of its key in the store.
    sequence: u64,
    hash: B256,
    item: DoubleSign,
}

impl Waiting {
    fn key(&self) -> Vec<u8> {
        [self.sequence.to_be_bytes().as_slice(), self.hash.as_slice()].concat()
    }
}

/// The waiting items and where they are kept. The store is held weakly: it is the node, which
/// holds its consensus roles, which hold this pool; a strong handle would keep the node (and
/// its open database) alive forever.
#[derive(Default)]
struct Pending {
    items: Vec<Waiting>,
    next_sequence: u64,
    store: Option<Weak<dyn RecordStore>>,
}

impl Pending {
    /// The attached store, if any; [`EvidenceError::StoreClosed`] once the node is gone.
    fn store(&self) -> Result<Option<Arc<dyn RecordStore>>, EvidenceError> {
        match &self.store {
            None => Ok(None),
            Some(weak) => weak.upgrade().map(Some).ok_or(EvidenceError::StoreClosed),
        }
    }
}

/// Refuses `item` when the block at `next_height` can no longer slash for it: the staking
/// contract refuses evidence from more than `unbonding_epochs` epochs before that block's
/// epoch, since the stake it could slash has been paid out.
pub fn check_evidence_age(
    spec: &ChainSpec,
    item: &DoubleSign,
    next_height: u64,
) -> Result<(), EvidenceError> {
    let Some(unbonding_epochs) = spec.staking.as_ref().map(|s| s.unbonding_epochs) else {
        return Ok(());
    };
    let current = spec.epoch_of(next_height);
    if current > item.epoch.saturating_add(unbonding_epochs) {
        return Err(EvidenceError::TooOld { epoch: item.epoch, current, unbonding_epochs });
    }
    Ok(())
}

/// Evidence waiting for a block, oldest first, each item once; kept in the node's store once
/// [`EvidencePool::keep_in`] attached it, so evidence learned but not yet in a block survives a
/// restart.
#[derive(Default)]
pub struct EvidencePool {
    pending: Mutex<Pending>,
}

impl std::fmt::Debug for EvidencePool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EvidencePool").field("len", &self.len()).finish()
    }
}

impl EvidencePool {
    /// From now on keeps the waiting items in `store` as well: first takes back, oldest first,
    /// the items an earlier run of the node left there, then writes what this pool already
    /// held and the store lacks (one atomic batch), within [`MAX_PENDING_EVIDENCE`] items in
    /// all. Reading an empty store writes nothing. An entry that does not decode is left alone
    /// and skipped.
    pub fn keep_in(&self, store: &Arc<dyn RecordStore>) -> Result<(), EvidenceError> {
        let mut stored = Vec::new();
        let mut scan = |key: &[u8], value: &[u8]| {
            let sequence = key.get(..8).and_then(|b| <[u8; 8]>::try_from(b).ok());
            match (sequence, DoubleSign::decode(&mut &value[..])) {
                (Some(sequence), Ok(item)) if key.len() == 40 => {
                    stored.push(Waiting {
                        sequence: u64::from_be_bytes(sequence),
                        hash: evidence_hash(&item),
                        item,
                    });
                }
                _ => {
                    warn!(key = %alloy_primitives::hex::encode(key), "skipping an unreadable pending evidence entry")
                }
            }
            Ok(ControlFlow::Continue(()))
        };
        store.scan(PENDING_TABLE, &[], &[], &mut scan).map_err(store_error)?;
        stored.truncate(MAX_PENDING_EVIDENCE);
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let mut next_sequence = stored.last().map_or(0, |w| w.sequence + 1);
        let mut batch = RecordBatch::default();
        let mut fresh = Vec::new();
        for waiting in pending.items.drain(..) {
            let room = stored.len() + fresh.len() < MAX_PENDING_EVIDENCE;
            if room && stored.iter().all(|w| w.hash != waiting.hash) {
                let waiting = Waiting { sequence: next_sequence, ..waiting };
                next_sequence += 1;
                batch.put(PENDING_TABLE, waiting.key(), alloy_rlp::encode(&waiting.item));
                fresh.push(waiting);
            }
        }
        if !fresh.is_empty() {
            store.write(batch).map_err(store_error)?;
        }
        stored.extend(fresh);
        pending.items = stored;
        pending.next_sequence = next_sequence;
        pending.store = Some(Arc::downgrade(store));
        Ok(())
    }

    /// Adds `item` unless it is already waiting; answers its hash. A full pool refuses new
    /// items (those waiting are older and as good). With a store attached, the item is waiting
    /// only once the store holds it.
    pub fn add(&self, item: DoubleSign) -> Result<B256, EvidenceError> {
        let hash = evidence_hash(&item);
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        if pending.items.iter().any(|w| w.hash == hash) {
            return Ok(hash);
        }
        if pending.items.len() >= MAX_PENDING_EVIDENCE {
            return Err(EvidenceError::PoolFull { limit: MAX_PENDING_EVIDENCE });
        }
        let waiting = Waiting { sequence: pending.next_sequence, hash, item };
        if let Some(store) = pending.store()? {
            let mut batch = RecordBatch::default();
            batch.put(PENDING_TABLE, waiting.key(), alloy_rlp::encode(&waiting.item));
            store.write(batch).map_err(store_error)?;
        }
        pending.next_sequence += 1;
        pending.items.push(waiting);
        Ok(hash)
    }

    /// Whether the item named `hash` waits.
    pub fn contains(&self, hash: B256) -> bool {
        let pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        pending.items.iter().any(|w| w.hash == hash)
    }

    /// Up to `n` waiting items, oldest first.
    pub fn pending(&self, n: usize) -> Vec<DoubleSign> {
        let pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        pending.items.iter().take(n).map(|w| w.item.clone()).collect()
    }

    /// Forgets `done`: items a committed block carried, or the contract refused; with a store
    /// attached, deletes them from it in one batch. A failed delete is logged: an item that
    /// comes back after a restart is refused by the contract again (already slashed, or still
    /// invalid) and forgotten then.
    pub fn remove(&self, done: &[DoubleSign]) {
        if done.is_empty() {
            return;
        }
        let hashes: Vec<B256> = done.iter().map(evidence_hash).collect();
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let mut batch = RecordBatch::default();
        let mut any = false;
        for waiting in pending.items.iter().filter(|w| hashes.contains(&w.hash)) {
            batch.delete(PENDING_TABLE, waiting.key());
            any = true;
        }
        if any {
            let deleted = pending.store().and_then(|store| match store {
                Some(store) => store.write(batch).map_err(store_error),
                None => Ok(()),
            });
            if let Err(e) = deleted {
                error!(error = %e, "cannot delete evidence no longer pending from the store");
            }
        }
        pending.items.retain(|w| !hashes.contains(&w.hash));
    }

    /// How many items wait.
    pub fn len(&self) -> usize {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner).items.len()
    }

    /// Whether none waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{Address, B512, Bytes};
    use cairn_primitives::SetMember;
    use k256::ecdsa::SigningKey;

    use super::*;
    use crate::signing::ConsensusSigner;

    const CHAIN: u64 = 7;

    fn signer() -> ConsensusSigner {
        ConsensusSigner::new(SigningKey::from_slice(&[9u8; 32]).expect("key"), CHAIN)
    }

    fn set_of(signer: &ConsensusSigner) -> ValidatorSetRecord {
        ValidatorSetRecord {
            epoch: 3,
            first_height: 1,
            members: vec![SetMember {
                address: signer.address().0,
                public_key: Bytes::copy_from_slice(&signer.public_key().0),
                power: 1,
            }],
        }
    }

    fn sign(signer: &ConsensusSigner, digest: B256) -> B512 {
        B512::from(signer.sign_digest(digest).expect("sign").0)
    }

    /// Two precommits of one round, for a block and for nil, signed as Malachite's engine
    /// signs them.
    fn double_precommit(signer: &ConsensusSigner) -> Equivocation {
        let vote = |value| {
            Vote::new(VoteType::Precommit, Height(5), Round::new(2), value, signer.address())
        };
        let block = vote(NilOrVal::Val(BlockId(B256::repeat_byte(4))));
        let nil = vote(NilOrVal::Nil);
        Equivocation {
            height: 5,
            round: 2,
            validator: signer.address().0,
            kind: EquivocationKind::Precommit,
            first: VotedFor::Block(B256::repeat_byte(4)),
            first_signature: sign(signer, block.signing_hash(CHAIN)),
            second: VotedFor::Nil,
            second_signature: sign(signer, nil.signing_hash(CHAIN)),
            pol_rounds: None,
        }
    }

    fn double_proposal(signer: &ConsensusSigner) -> Equivocation {
        let proposal = |byte, pol_round| Proposal {
            height: Height(5),
            round: Round::new(0),
            value: BlockId(B256::repeat_byte(byte)),
            pol_round,
            validator_address: signer.address(),
        };
        let first = proposal(1, Round::Nil);
        let second = proposal(2, Round::new(0));
        Equivocation {
            height: 5,
            round: 0,
            validator: signer.address().0,
            kind: EquivocationKind::Proposal,
            first: VotedFor::Block(B256::repeat_byte(1)),
            first_signature: sign(signer, first.signing_hash(CHAIN)),
            second: VotedFor::Block(B256::repeat_byte(2)),
            second_signature: sign(signer, second.signing_hash(CHAIN)),
            pol_rounds: Some((None, Some(0))),
        }
    }

    #[test]
    fn a_signed_double_precommit_becomes_the_contracts_item() {
        let signer = signer();
        let e = double_precommit(&signer);
        let item = verify_equivocation(CHAIN, &set_of(&signer), &e).expect("valid");
        assert_eq!((item.kind, item.height, item.round, item.epoch), (1, 5, 2, 3));
        assert_eq!(item.validator, signer.address().0);
        assert_eq!((item.first.value, item.first.nil), (B256::repeat_byte(4), false));
        assert_eq!((item.second.value, item.second.nil), (B256::ZERO, true));
        assert_eq!((item.first.pol_round, item.second.pol_round), (0, 0));
        assert_eq!(item.first.signature, e.first_signature);
    }

    #[test]
    fn a_double_proposal_carries_its_pol_rounds_as_the_block_counts_them() {
        let signer = signer();
        let item =
            verify_equivocation(CHAIN, &set_of(&signer), &double_proposal(&signer)).expect("valid");
        assert_eq!(item.kind, 2);
        assert_eq!((item.first.pol_round, item.second.pol_round), (0, 1));
        let without = Equivocation { pol_rounds: None, ..double_proposal(&signer) };
        assert!(matches!(
            verify_equivocation(CHAIN, &set_of(&signer), &without),
            Err(EvidenceError::MissingPolRounds)
        ));
        // The signature covers the proof-of-lock round: another one does not verify.
        let moved =
            Equivocation { pol_rounds: Some((Some(1), Some(0))), ..double_proposal(&signer) };
        assert!(matches!(
            verify_equivocation(CHAIN, &set_of(&signer), &moved),
            Err(EvidenceError::BadSignature { index: 0 })
        ));
    }

    #[test]
    fn forged_repeated_or_foreign_evidence_is_refused() {
        let signer = signer();
        let set = set_of(&signer);
        let e = double_precommit(&signer);
        let other = ConsensusSigner::new(SigningKey::from_slice(&[8u8; 32]).expect("key"), CHAIN);
        let forged = Equivocation {
            second_signature: double_precommit(&other).second_signature,
            ..e.clone()
        };
        assert!(matches!(
            verify_equivocation(CHAIN, &set, &forged),
            Err(EvidenceError::BadSignature { index: 1 })
        ));
        let same =
            Equivocation { second: e.first, second_signature: e.first_signature, ..e.clone() };
        assert!(matches!(
            verify_equivocation(CHAIN, &set, &same),
            Err(EvidenceError::NotConflicting)
        ));
        let stranger = Equivocation { validator: Address::repeat_byte(1), ..e.clone() };
        assert!(matches!(
            verify_equivocation(CHAIN, &set, &stranger),
            Err(EvidenceError::NotInSet { height: 5, .. })
        ));
        // Signed for another chain.
        assert!(matches!(
            verify_equivocation(CHAIN + 1, &set, &e),
            Err(EvidenceError::BadSignature { index: 0 })
        ));
        let with_pol = Equivocation { pol_rounds: Some((None, None)), ..e };
        assert!(matches!(
            verify_equivocation(CHAIN, &set, &with_pol),
            Err(EvidenceError::PolRoundsOnVotes)
        ));
    }

    #[test]
    fn the_pool_keeps_each_item_once_oldest_first_and_is_bounded() {
        let signer = signer();
        let item = verify_equivocation(CHAIN, &set_of(&signer), &double_precommit(&signer))
            .expect("valid");
        let pool = EvidencePool::default();
        let hash = pool.add(item.clone()).expect("added");
        assert_eq!(hash, evidence_hash(&item));
        assert!(matches!(pool.add(item.clone()), Ok(h) if h == hash));
        assert_eq!(pool.len(), 1);
        for height in 1..MAX_PENDING_EVIDENCE as u64 {
            pool.add(DoubleSign { height: 1_000 + height, ..item.clone() }).expect("room");
        }
        assert!(matches!(
            pool.add(DoubleSign { height: 0, ..item.clone() }),
            Err(EvidenceError::PoolFull { limit: MAX_PENDING_EVIDENCE })
        ));
        let first = pool.pending(8);
        assert_eq!(first.len(), 8);
        assert_eq!(first[0], item);
        pool.remove(&first);
        assert_eq!(pool.len(), MAX_PENDING_EVIDENCE - 8);
        assert!(!pool.contains(hash));
        assert_eq!(pool.pending(1)[0].height, 1_008);
    }

    fn store_of(kv: &cairn_storage::MemoryKv) -> Arc<dyn RecordStore> {
        let spec = cairn_primitives::ChainSpec::dev().expect("spec");
        Arc::new(cairn_storage::ChainStore::open(kv.clone(), &spec).expect("store"))
    }

    #[test]
    fn waiting_items_kept_in_the_store_come_back_in_order_until_removed() {
        let signer = signer();
        let item = verify_equivocation(CHAIN, &set_of(&signer), &double_precommit(&signer))
            .expect("valid");
        let items: Vec<DoubleSign> =
            (0..3).map(|i| DoubleSign { height: 10 + i, ..item.clone() }).collect();
        let kv = cairn_storage::MemoryKv::new();

        // An item learned before the store is attached is written when it is.
        let pool = EvidencePool::default();
        pool.add(items[0].clone()).expect("added");
        let store = store_of(&kv);
        pool.keep_in(&store).expect("attached");
        pool.add(items[1].clone()).expect("added");
        pool.add(items[2].clone()).expect("added");
        drop(pool);

        // A restart: a new pool over the same store holds them again, oldest first.
        let pool = EvidencePool::default();
        let store = store_of(&kv);
        pool.keep_in(&store).expect("reattached");
        assert_eq!(pool.pending(8), items);
        pool.remove(&items[1..2]);
        let hash = pool.add(items[1].clone()).expect("added again, as the newest");
        assert_eq!(hash, evidence_hash(&items[1]));
        pool.remove(&items[..1]);
        drop(pool);

        let pool = EvidencePool::default();
        let store = store_of(&kv);
        pool.keep_in(&store).expect("reattached");
        assert_eq!(pool.pending(8), vec![items[2].clone(), items[1].clone()]);
        pool.remove(&items);
        drop(pool);
        let pool = EvidencePool::default();
        let store = store_of(&kv);
        pool.keep_in(&store).expect("reattached");
        assert!(pool.is_empty());

        // The pool does not keep its node's store alive; once it is gone, nothing is pooled
        // that could not be kept.
        drop(store);
        assert!(matches!(pool.add(items[0].clone()), Err(EvidenceError::StoreClosed)));
        assert!(pool.is_empty());
    }

    #[test]
    fn attaching_a_store_with_nothing_pending_writes_nothing() {
        let kv = cairn_storage::MemoryKv::new();
        let store = store_of(&kv);
        let before = format!("{kv:?}");
        EvidencePool::default().keep_in(&store).expect("attached");
        assert_eq!(format!("{kv:?}"), before);
    }

    #[test]
    fn evidence_older_than_the_unbonding_period_is_refused() {
        let mut spec = cairn_primitives::ChainSpec::dev().expect("spec");
        spec.epoch_length = Some(10);
        spec.staking =
            Some(cairn_primitives::StakingParams { unbonding_epochs: 2, ..Default::default() });
        let signer = signer();
        let item = verify_equivocation(CHAIN, &set_of(&signer), &double_precommit(&signer))
            .expect("valid, from epoch 3");
        // Epoch 5 (heights 51..=60) is the last that may slash for epoch 3.
        assert!(check_evidence_age(&spec, &item, 60).is_ok());
        assert!(matches!(
            check_evidence_age(&spec, &item, 61),
            Err(EvidenceError::TooOld { epoch: 3, current: 6, unbonding_epochs: 2 })
        ));
        spec.staking = None;
        assert!(check_evidence_age(&spec, &item, 1_000).is_ok(), "no staking, no age rule");
    }
}
