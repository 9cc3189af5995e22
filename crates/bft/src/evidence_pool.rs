//! Double-sign evidence on its way into blocks: each equivocation this node learns (from its
//! own engine or submitted by a peer) turned into the item the staking contract judges, held
//! until a block this node builds carries it or the contract refuses it.

use std::sync::{Mutex, PoisonError};

use alloy_primitives::{B256, keccak256};
use cairn_consensus::{Equivocation, EquivocationKind, VotedFor};
use cairn_primitives::{DoubleSign, SignedValue, ValidatorSetRecord};
use malachitebft_core_types::{NilOrVal, Round, VoteType};

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

/// Evidence waiting for a block, oldest first, each item once.
#[derive(Debug, Default)]
pub struct EvidencePool {
    items: Mutex<Vec<(B256, DoubleSign)>>,
}

impl EvidencePool {
    /// Adds `item` unless it is already waiting; answers its hash. A full pool refuses new
    /// items (those waiting are older and as good).
    pub fn add(&self, item: DoubleSign) -> Result<B256, EvidenceError> {
        let hash = evidence_hash(&item);
        let mut items = self.items.lock().unwrap_or_else(PoisonError::into_inner);
        if items.iter().any(|(h, _)| *h == hash) {
            return Ok(hash);
        }
        if items.len() >= MAX_PENDING_EVIDENCE {
            return Err(EvidenceError::PoolFull { limit: MAX_PENDING_EVIDENCE });
        }
        items.push((hash, item));
        Ok(hash)
    }

    /// Whether the item named `hash` waits.
    pub fn contains(&self, hash: B256) -> bool {
        self.items.lock().unwrap_or_else(PoisonError::into_inner).iter().any(|(h, _)| *h == hash)
    }

    /// Up to `n` waiting items, oldest first.
    pub fn pending(&self, n: usize) -> Vec<DoubleSign> {
        let items = self.items.lock().unwrap_or_else(PoisonError::into_inner);
        items.iter().take(n).map(|(_, item)| item.clone()).collect()
    }

    /// Forgets `done`: items a committed block carried, or the contract refused.
    pub fn remove(&self, done: &[DoubleSign]) {
        if done.is_empty() {
            return;
        }
        let hashes: Vec<B256> = done.iter().map(evidence_hash).collect();
        let mut items = self.items.lock().unwrap_or_else(PoisonError::into_inner);
        items.retain(|(hash, _)| !hashes.contains(hash));
    }

    /// How many items wait.
    pub fn len(&self) -> usize {
        self.items.lock().unwrap_or_else(PoisonError::into_inner).len()
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
        assert_eq!(
            verify_equivocation(CHAIN, &set_of(&signer), &without),
            Err(EvidenceError::MissingPolRounds)
        );
        // The signature covers the proof-of-lock round: another one does not verify.
        let moved =
            Equivocation { pol_rounds: Some((Some(1), Some(0))), ..double_proposal(&signer) };
        assert_eq!(
            verify_equivocation(CHAIN, &set_of(&signer), &moved),
            Err(EvidenceError::BadSignature { index: 0 })
        );
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
        assert_eq!(
            verify_equivocation(CHAIN, &set, &forged),
            Err(EvidenceError::BadSignature { index: 1 })
        );
        let same =
            Equivocation { second: e.first, second_signature: e.first_signature, ..e.clone() };
        assert_eq!(verify_equivocation(CHAIN, &set, &same), Err(EvidenceError::NotConflicting));
        let stranger = Equivocation { validator: Address::repeat_byte(1), ..e.clone() };
        assert!(matches!(
            verify_equivocation(CHAIN, &set, &stranger),
            Err(EvidenceError::NotInSet { height: 5, .. })
        ));
        // Signed for another chain.
        assert_eq!(
            verify_equivocation(CHAIN + 1, &set, &e),
            Err(EvidenceError::BadSignature { index: 0 })
        );
        let with_pol = Equivocation { pol_rounds: Some((None, None)), ..e };
        assert_eq!(
            verify_equivocation(CHAIN, &set, &with_pol),
            Err(EvidenceError::PolRoundsOnVotes)
        );
    }

    #[test]
    fn the_pool_keeps_each_item_once_oldest_first_and_is_bounded() {
        let signer = signer();
        let item = verify_equivocation(CHAIN, &set_of(&signer), &double_precommit(&signer))
            .expect("valid");
        let pool = EvidencePool::default();
        let hash = pool.add(item.clone()).expect("added");
        assert_eq!(hash, evidence_hash(&item));
        assert_eq!(pool.add(item.clone()), Ok(hash));
        assert_eq!(pool.len(), 1);
        for height in 1..MAX_PENDING_EVIDENCE as u64 {
            pool.add(DoubleSign { height: 1_000 + height, ..item.clone() }).expect("room");
        }
        assert_eq!(
            pool.add(DoubleSign { height: 0, ..item.clone() }),
            Err(EvidenceError::PoolFull { limit: MAX_PENDING_EVIDENCE })
        );
        let first = pool.pending(8);
        assert_eq!(first.len(), 8);
        assert_eq!(first[0], item);
        pool.remove(&first);
        assert_eq!(pool.len(), MAX_PENDING_EVIDENCE - 8);
        assert!(!pool.contains(hash));
        assert_eq!(pool.pending(1)[0].height, 1_008);
    }
}
