//! Malachite's vocabulary in Cairn's terms: heights are block numbers, a value is a block
//! (named by its hash), validators are Ethereum addresses with secp256k1 consensus keys.

use std::fmt;

use alloy_primitives::{Address, B256};
use borsh::{BorshDeserialize, BorshSerialize};
use malachitebft_core_types::{
    self as mt, LinearTimeouts, NilOrVal, Round, SignedExtension, ValueId, VoteType, VotingPower,
};

use crate::keys::{ConsensusPublicKey, Secp256k1, domain_hash};

/// A block height as Malachite counts them: the number of the block being agreed.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    BorshSerialize,
    BorshDeserialize,
)]
pub struct Height(pub u64);

impl fmt::Display for Height {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl mt::Height for Height {
    const ZERO: Self = Height(0);
    const INITIAL: Self = Height(1);

    fn increment_by(&self, n: u64) -> Self {
        Height(self.0.saturating_add(n))
    }

    fn decrement_by(&self, n: u64) -> Option<Self> {
        self.0.checked_sub(n).map(Height)
    }

    fn as_u64(&self) -> u64 {
        self.0
    }
}

/// A validator's address: the Ethereum address of its consensus key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ValidatorAddress(pub Address);

impl fmt::Display for ValidatorAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl mt::Address for ValidatorAddress {}

impl BorshSerialize for ValidatorAddress {
    fn serialize<W: borsh::io::Write>(&self, writer: &mut W) -> borsh::io::Result<()> {
        writer.write_all(self.0.as_slice())
    }
}

impl BorshDeserialize for ValidatorAddress {
    fn deserialize_reader<R: borsh::io::Read>(reader: &mut R) -> borsh::io::Result<Self> {
        let bytes = <[u8; 20]>::deserialize_reader(reader)?;
        Ok(Self(Address::from(bytes)))
    }
}

/// The value validators agree on: a block, named by its hash (which excludes the seal, so the
/// certificate can be added to the header after agreement).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BlockId(pub B256);

impl fmt::Display for BlockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl mt::Value for BlockId {
    type Id = BlockId;

    fn id(&self) -> BlockId {
        *self
    }
}

impl BorshSerialize for BlockId {
    fn serialize<W: borsh::io::Write>(&self, writer: &mut W) -> borsh::io::Result<()> {
        writer.write_all(self.0.as_slice())
    }
}

impl BorshDeserialize for BlockId {
    fn deserialize_reader<R: borsh::io::Read>(reader: &mut R) -> borsh::io::Result<Self> {
        Ok(Self(B256::from(<[u8; 32]>::deserialize_reader(reader)?)))
    }
}

/// A member of the validator set.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Validator {
    /// Its address (derived from `public_key`).
    pub address: ValidatorAddress,
    /// Its consensus key.
    pub public_key: ConsensusPublicKey,
    /// Its weight in every vote.
    pub voting_power: VotingPower,
}

impl mt::Validator<CairnContext> for Validator {
    fn address(&self) -> &ValidatorAddress {
        &self.address
    }

    fn public_key(&self) -> &ConsensusPublicKey {
        &self.public_key
    }

    fn voting_power(&self) -> VotingPower {
        self.voting_power
    }
}

/// The validators of a height, sorted by address so every node indexes them alike.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatorSet {
    validators: Vec<Validator>,
}

impl ValidatorSet {
    /// A set from validators in any order; duplicates by address keep the first.
    pub fn new(mut validators: Vec<Validator>) -> Self {
        validators.sort_by_key(|v| v.address);
        validators.dedup_by_key(|v| v.address);
        Self { validators }
    }

    /// The validators, sorted by address.
    pub fn validators(&self) -> &[Validator] {
        &self.validators
    }
}

impl mt::ValidatorSet<CairnContext> for ValidatorSet {
    fn count(&self) -> usize {
        self.validators.len()
    }

    fn total_voting_power(&self) -> VotingPower {
        self.validators.iter().map(|v| v.voting_power).sum()
    }

    fn get_by_address(&self, address: &ValidatorAddress) -> Option<&Validator> {
        self.validators
            .binary_search_by_key(address, |v| v.address)
            .ok()
            .and_then(|i| self.validators.get(i))
    }

    fn get_by_index(&self, index: usize) -> Option<&Validator> {
        self.validators.get(index)
    }
}

/// A proposer's signed claim that `value` is its block for `height` and `round`.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Proposal {
    /// The height.
    pub height: Height,
    /// The round.
    pub round: Round,
    /// The proposed block.
    pub value: BlockId,
    /// The round in which the proposer saw a polka for this value, if any.
    pub pol_round: Round,
    /// The proposer.
    pub validator_address: ValidatorAddress,
}

impl Proposal {
    /// What the proposer signs on the chain `chain_id`.
    pub fn signing_hash(&self, chain_id: u64) -> B256 {
        domain_hash(b"cairn/proposal/2", chain_id, self)
    }
}

impl mt::Proposal<CairnContext> for Proposal {
    fn height(&self) -> Height {
        self.height
    }

    fn round(&self) -> Round {
        self.round
    }

    fn value(&self) -> &BlockId {
        &self.value
    }

    fn take_value(self) -> BlockId {
        self.value
    }

    fn pol_round(&self) -> Round {
        self.pol_round
    }

    fn validator_address(&self) -> &ValidatorAddress {
        &self.validator_address
    }
}

/// A whole proposed block in one part: blocks are bounded by the gas limit and fit one
/// gossip message. The proposal (signed separately) binds the block by hash, so a forged part
/// can only yield a value nobody voted for.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ProposalPart {
    /// The height.
    pub height: Height,
    /// The round.
    pub round: Round,
    /// The round of the polka that made the proposer re-propose it, or nil for a new block.
    pub pol_round: Round,
    /// Who claims to propose it.
    pub proposer: ValidatorAddress,
    /// The block, RLP-encoded without its seal.
    pub block: Vec<u8>,
}

impl mt::ProposalPart<CairnContext> for ProposalPart {
    fn is_first(&self) -> bool {
        true
    }

    fn is_last(&self) -> bool {
        true
    }
}

/// A prevote or precommit.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Vote {
    /// Prevote or precommit.
    pub vote_type: VoteType,
    /// The height.
    pub height: Height,
    /// The round.
    pub round: Round,
    /// The block voted for, or nil.
    pub value: NilOrVal<BlockId>,
    /// The voter.
    pub validator_address: ValidatorAddress,
    /// Extension attached to a precommit (unused by Cairn, carried for the protocol).
    pub extension: Option<SignedExtension<CairnContext>>,
}

/// The signed part of a vote: everything but the extension, which is signed on its own.
#[derive(BorshSerialize)]
struct VoteContent<'a> {
    vote_type: &'a VoteType,
    height: &'a Height,
    round: &'a Round,
    value: &'a NilOrVal<BlockId>,
    validator_address: &'a ValidatorAddress,
}

impl Vote {
    /// An unextended vote.
    pub fn new(
        vote_type: VoteType,
        height: Height,
        round: Round,
        value: NilOrVal<BlockId>,
        validator_address: ValidatorAddress,
    ) -> Self {
        Self { vote_type, height, round, value, validator_address, extension: None }
    }

    /// What the voter signs on the chain `chain_id`.
    pub fn signing_hash(&self, chain_id: u64) -> B256 {
        let content = VoteContent {
            vote_type: &self.vote_type,
            height: &self.height,
            round: &self.round,
            value: &self.value,
            validator_address: &self.validator_address,
        };
        domain_hash(b"cairn/vote/2", chain_id, &content)
    }
}

impl mt::Vote<CairnContext> for Vote {
    fn height(&self) -> Height {
        self.height
    }

    fn round(&self) -> Round {
        self.round
    }

    fn value(&self) -> &NilOrVal<BlockId> {
        &self.value
    }

    fn take_value(self) -> NilOrVal<BlockId> {
        self.value
    }

    fn vote_type(&self) -> VoteType {
        self.vote_type
    }

    fn validator_address(&self) -> &ValidatorAddress {
        &self.validator_address
    }

    fn extension(&self) -> Option<&SignedExtension<CairnContext>> {
        self.extension.as_ref()
    }

    fn take_extension(&mut self) -> Option<SignedExtension<CairnContext>> {
        self.extension.take()
    }

    fn extend(self, extension: SignedExtension<CairnContext>) -> Self {
        Self { extension: Some(extension), ..self }
    }
}

/// The fractional part of the golden ratio, 0.618…, in units of 10^-18.
const INVERSE_GOLDEN_RATIO_E18: u128 = 618_033_988_749_894_848;

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The index, in `powers`, of the validator whose turn `turn` is (a turn is height plus
/// round), in proportion to voting power.
///
/// Each validator owns a run of slots on a circle, as many as its power divided by the
/// greatest common divisor of all powers, in set order. Turn `k` takes slot
/// `k · stride mod total`, where `stride` is the first number at or above `total / φ` that is
/// coprime with `total`. Being coprime, any `total` consecutive turns take every slot once, so
/// each validator proposes exactly in proportion to its power; the golden-ratio stride
/// scatters a heavy validator's turns instead of giving them in one run (which would also
/// keep a crashed heavy proposer in charge of round after round). Equal powers give one slot
/// each, and the turns rotate through the set. A total that does not fit 64 bits (chain specs
/// refuse one) rotates by index.
fn proposer_index(powers: &[VotingPower], turn: u64) -> usize {
    let count = powers.len() as u64;
    let divisor = powers.iter().fold(0, |g, &p| gcd(g, p));
    let total = powers.iter().try_fold(0u64, |sum, &p| sum.checked_add(p / divisor.max(1)));
    let Some(total) = total.filter(|&t| t > 0) else {
        return (turn % count.max(1)) as usize;
    };
    let mut stride =
        ((u128::from(total) * INVERSE_GOLDEN_RATIO_E18 / 10u128.pow(18)) as u64).max(1);
    while gcd(stride, total) != 1 {
        stride += 1;
    }
    let slot = (u128::from(turn % total) * u128::from(stride) % u128::from(total)) as u64;
    let mut end = 0u64;
    for (index, &power) in powers.iter().enumerate() {
        end += power / divisor;
        if slot < end {
            return index;
        }
    }
    powers.len() - 1
}

/// Cairn's Malachite context: ties the types above together and picks proposers.
#[derive(Clone, Copy, Debug, Default)]
pub struct CairnContext;

impl mt::Context for CairnContext {
    type Address = ValidatorAddress;
    type Height = Height;
    type ProposalPart = ProposalPart;
    type Proposal = Proposal;
    type Validator = Validator;
    type ValidatorSet = ValidatorSet;
    type Timeouts = LinearTimeouts;
    type Value = BlockId;
    type Vote = Vote;
    type Extension = Vec<u8>;
    type SigningScheme = Secp256k1;

    /// Weighted by voting power, from the height, the round and the set alone (see
    /// [`proposer_index`]), so every node names the same proposer.
    fn select_proposer<'a>(
        &self,
        validator_set: &'a ValidatorSet,
        height: Height,
        round: Round,
    ) -> &'a Validator {
        let validators = validator_set.validators();
        assert!(!validators.is_empty(), "a validator set is never empty");
        let round = u64::from(round.as_u32().unwrap_or(0));
        let powers: Vec<VotingPower> = validators.iter().map(|v| v.voting_power).collect();
        &validators[proposer_index(&powers, height.0.wrapping_add(round))]
    }

    fn new_proposal(
        &self,
        height: Height,
        round: Round,
        value: BlockId,
        pol_round: Round,
        address: ValidatorAddress,
    ) -> Proposal {
        Proposal { height, round, value, pol_round, validator_address: address }
    }

    fn new_prevote(
        &self,
        height: Height,
        round: Round,
        value_id: NilOrVal<ValueId<Self>>,
        address: ValidatorAddress,
    ) -> Vote {
        Vote::new(VoteType::Prevote, height, round, value_id, address)
    }

    fn new_precommit(
        &self,
        height: Height,
        round: Round,
        value_id: NilOrVal<ValueId<Self>>,
        address: ValidatorAddress,
    ) -> Vote {
        Vote::new(VoteType::Precommit, height, round, value_id, address)
    }
}

#[cfg(test)]
mod tests {
    use malachitebft_core_types::Context as _;

    use super::*;
    use crate::signing::ConsensusSigner;

    fn set(powers: &[VotingPower]) -> ValidatorSet {
        ValidatorSet::new(
            powers
                .iter()
                .zip(1u8..)
                .map(|(&voting_power, i)| {
                    let key = k256::ecdsa::SigningKey::from_slice(&[i; 32]).expect("key");
                    let signer = ConsensusSigner::new(key, 1);
                    Validator {
                        address: signer.address(),
                        public_key: signer.public_key(),
                        voting_power,
                    }
                })
                .collect(),
        )
    }

    fn proposers(set: &ValidatorSet, heights: std::ops::Range<u64>) -> Vec<ValidatorAddress> {
        heights
            .map(|h| CairnContext.select_proposer(set, Height(h), Round::new(0)).address)
            .collect()
    }

    #[test]
    fn validators_propose_in_proportion_to_their_power() {
        let set = set(&[1, 2, 3, 4, 10]);
        let chosen = proposers(&set, 1..2_001);
        for validator in set.validators() {
            let turns = chosen.iter().filter(|a| **a == validator.address).count() as u64;
            assert_eq!(turns, 100 * validator.voting_power, "{}", validator.address);
        }
        // The heaviest validator (half the power) never proposes more than two heights running.
        let heaviest = set.validators().iter().max_by_key(|v| v.voting_power).expect("set").address;
        let longest =
            chosen.split(|a| *a != heaviest).map(<[ValidatorAddress]>::len).max().unwrap_or(0);
        assert!(longest <= 2, "a run of {longest} turns");
    }

    #[test]
    fn equal_powers_rotate_through_the_set() {
        for power in [1, 7, 1_000_000] {
            let set = set(&[power; 4]);
            let chosen = proposers(&set, 10..50);
            for window in chosen.chunks(4) {
                let mut distinct = window.to_vec();
                distinct.sort();
                distinct.dedup();
                assert_eq!(distinct.len(), 4, "power {power}: {window:?}");
            }
        }
    }

    #[test]
    fn the_next_round_moves_to_another_proposer_and_every_node_agrees() {
        let set = set(&[5, 1, 1, 1]);
        let ctx = CairnContext;
        for height in 1..200 {
            let rounds: Vec<_> = (0..8)
                .map(|r| ctx.select_proposer(&set, Height(height), Round::new(r)).address)
                .collect();
            let mut distinct = rounds.clone();
            distinct.sort();
            distinct.dedup();
            assert_eq!(distinct.len(), 4, "height {height}: {rounds:?}");
            let again = ctx.select_proposer(&set.clone(), Height(height), Round::new(3)).address;
            assert_eq!(again, rounds[3]);
        }
    }
}
