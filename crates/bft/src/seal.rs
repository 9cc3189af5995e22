//! The BFT seal: a block's commit certificate, carried in its header so that any node, an
//! audit or a light client can check finality from the chain alone.

use std::sync::Arc;

use alloy_primitives::{Address, Bytes, U256};
use cairn_consensus::{
    BlockEndRules, BlockProduction, ConsensusError, ConsensusReads, Equivocation, Finality,
    HeaderValidator, Sealing, ValidatorPower, ValidatorSets, refuse_consensus_data,
    validate_parent_link,
};
use cairn_execution::{BlockEnd, NoBlockEnd};
use cairn_primitives::{Block, Header};
use cairn_storage::StateView;
use malachitebft_core_types::{
    CommitCertificate, Context as _, NilOrVal, Round, ValidatorSet as _, VoteType,
};

use crate::context::{BlockId, CairnContext, Height, ValidatorAddress, ValidatorSet, Vote};
use crate::error::SealError;
use crate::evidence::EvidenceLog;
use crate::schedule::ValidatorSchedule;

/// Encodes a certificate as a header seal, signatures sorted by address so a seal has one
/// canonical form.
pub fn encode_seal(certificate: &CommitCertificate<CairnContext>) -> Bytes {
    let mut certificate = certificate.clone();
    certificate.commit_signatures.sort_by_key(|s| s.address);
    // Writing into a Vec cannot fail.
    Bytes::from(borsh::to_vec(&certificate).unwrap_or_default())
}

/// Decodes a header seal into the certificate it carries.
pub fn decode_seal(seal: &[u8]) -> Result<CommitCertificate<CairnContext>, SealError> {
    borsh::from_slice(seal).map_err(|e| SealError::Malformed { len: seal.len(), kind: e.kind() })
}

/// Checks that `certificate` proves agreement on `header` by more than two thirds of the
/// voting power of `validators` (the set of the header's height), with precommits signed for
/// the chain `chain_id`.
pub fn verify_certificate(
    chain_id: u64,
    validators: &ValidatorSet,
    header: &Header,
    certificate: &CommitCertificate<CairnContext>,
) -> Result<(), SealError> {
    if certificate.height != Height(header.number) {
        return Err(SealError::WrongHeight { got: certificate.height.0, expected: header.number });
    }
    if certificate.value_id != BlockId(header.hash()) {
        return Err(SealError::WrongBlock { got: certificate.value_id.0, expected: header.hash() });
    }
    let mut signed = 0u64;
    let mut last: Option<ValidatorAddress> = None;
    for commit in &certificate.commit_signatures {
        if last.is_some_and(|previous| previous >= commit.address) {
            return Err(SealError::Unsorted);
        }
        last = Some(commit.address);
        let validator = validators
            .get_by_address(&commit.address)
            .ok_or(SealError::UnknownSigner { signer: commit.address.0, height: header.number })?;
        let vote = Vote::new(
            VoteType::Precommit,
            certificate.height,
            certificate.round,
            NilOrVal::Val(certificate.value_id),
            commit.address,
        );
        if !validator.public_key.verify(vote.signing_hash(chain_id), &commit.signature) {
            return Err(SealError::BadSignature { signer: commit.address.0 });
        }
        signed = signed.saturating_add(validator.voting_power);
    }
    let total = validators.total_voting_power();
    // More than two thirds, in integers: 3 * signed > 2 * total.
    if (signed as u128) * 3 <= (total as u128) * 2 {
        return Err(SealError::NoQuorum { signed, total });
    }
    Ok(())
}

/// A seal fault as the header rules report it.
fn invalid_seal(header: &Header, fault: SealError) -> ConsensusError {
    ConsensusError::Seal { number: header.number, source: Box::new(fault) }
}

/// The BFT engine's roles: the shared header rules plus a commit certificate seal checked
/// against the validators of the header's own height; proposers in proportion to power;
/// reads of the set, the signers and the evidence log.
#[derive(Debug, Clone)]
pub struct BftConsensus {
    chain_id: u64,
    schedule: ValidatorSchedule,
    beneficiary: Address,
    evidence: Arc<EvidenceLog>,
}

impl BftConsensus {
    /// Rules for validators signing for the chain `chain_id`, each height's set converted
    /// through `schedule` (shared with the engine's driver); blocks built
    /// locally pay `beneficiary` (this node's fee recipient, or zero on a full node, which
    /// never proposes); `evidence` is the log the engine records equivocations in.
    pub fn new(
        chain_id: u64,
        schedule: ValidatorSchedule,
        beneficiary: Address,
        evidence: Arc<EvidenceLog>,
    ) -> Self {
        Self { chain_id, schedule, beneficiary, evidence }
    }
}

impl HeaderValidator for BftConsensus {
    /// The certificate in the seal must carry more than two thirds of the power of the set
    /// of the header's own height.
    fn validate_header(
        &self,
        sets: &dyn ValidatorSets,
        parent: &Header,
        header: &Header,
    ) -> Result<(), ConsensusError> {
        validate_parent_link(parent, header, sets.gas_limit_after(parent)?)?;
        let certificate = decode_seal(&header.seal).map_err(|e| invalid_seal(header, e))?;
        let validators = self.schedule.at(sets, header.number)?;
        verify_certificate(self.chain_id, &validators, header, &certificate)
            .map_err(|e| invalid_seal(header, e))
    }
}

/// The proposer Malachite picks for `height` and `round` from `validators` (the same
/// selection).
fn proposer_in(validators: &ValidatorSet, height: u64, round: Round) -> Address {
    CairnContext.select_proposer(validators, Height(height), round).address.0
}

impl BlockProduction for BftConsensus {
    /// The proposer Malachite picks for this height and round (the same selection).
    fn proposer(
        &self,
        sets: &dyn ValidatorSets,
        height: u64,
        round: u32,
    ) -> Result<Option<Address>, ConsensusError> {
        let validators = self.schedule.at(sets, height)?;
        Ok(Some(proposer_in(&validators, height, Round::new(round))))
    }

    fn beneficiary(&self) -> Address {
        self.beneficiary
    }

    fn difficulty(&self, _parent: &Header, _timestamp_ms: u64) -> Option<U256> {
        None
    }

    /// The seal is the commit certificate, which the driver adds once the validators agree.
    fn seal(&self, _header: &Header) -> Result<Sealing, ConsensusError> {
        Ok(Sealing::AfterAgreement)
    }
}

impl ConsensusReads for BftConsensus {
    fn validators(
        &self,
        sets: &dyn ValidatorSets,
        height: u64,
    ) -> Result<Vec<ValidatorPower>, ConsensusError> {
        Ok(self
            .schedule
            .at(sets, height)?
            .validators()
            .iter()
            .map(|v| ValidatorPower { address: v.address.0, power: v.voting_power })
            .collect())
    }

    fn signers(&self, header: &Header) -> Result<Vec<Address>, ConsensusError> {
        let certificate = decode_seal(&header.seal).map_err(|e| invalid_seal(header, e))?;
        Ok(certificate.commit_signatures.iter().map(|s| s.address.0).collect())
    }

    /// The proposer of the round the block's certificate was decided in.
    fn proposer_of(
        &self,
        sets: &dyn ValidatorSets,
        header: &Header,
    ) -> Result<Option<Address>, ConsensusError> {
        let certificate = decode_seal(&header.seal).map_err(|e| invalid_seal(header, e))?;
        let validators = self.schedule.at(sets, header.number)?;
        Ok(Some(proposer_in(&validators, header.number, certificate.round)))
    }

    fn evidence(&self) -> Vec<Equivocation> {
        self.evidence.list()
    }

    /// Tendermint never reverts a committed block: each is final once its certificate is.
    fn finality(&self, head: u64) -> Finality {
        Finality { safe: head, finalized: head }
    }
}

/// BFT with a fixed set makes no protocol calls.
impl BlockEndRules for BftConsensus {
    fn import(
        &self,
        _sets: &dyn ValidatorSets,
        _state: &dyn StateView,
        _parent: &Header,
        block: &Block,
    ) -> Result<Box<dyn BlockEnd + '_>, ConsensusError> {
        refuse_consensus_data(block)?;
        Ok(Box::new(NoBlockEnd))
    }

    fn build(
        &self,
        _sets: &dyn ValidatorSets,
        _state: &dyn StateView,
        _parent: &Header,
    ) -> Result<Box<dyn BlockEnd + '_>, ConsensusError> {
        Ok(Box::new(NoBlockEnd))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use alloy_primitives::B256;
    use k256::ecdsa::SigningKey;
    use malachitebft_core_types::{CommitSignature, Round};

    use cairn_consensus::test_utils::FixedSets;
    use cairn_primitives::ChainSpec;

    use super::*;
    use crate::context::Validator;
    use crate::signing::ConsensusSigner;

    const CHAIN: u64 = 7;

    pub(crate) fn signers_for(chain_id: u64) -> Vec<ConsensusSigner> {
        (1u8..=4)
            .map(|i| ConsensusSigner::new(SigningKey::from_slice(&[i; 32]).expect("key"), chain_id))
            .collect()
    }

    fn signers() -> Vec<ConsensusSigner> {
        signers_for(CHAIN)
    }

    pub(crate) fn set(signers: &[ConsensusSigner]) -> ValidatorSet {
        ValidatorSet::new(
            signers
                .iter()
                .map(|s| Validator {
                    address: s.address(),
                    public_key: s.public_key(),
                    voting_power: 1,
                })
                .collect(),
        )
    }

    fn header() -> Header {
        Header { number: 5, parent_hash: B256::repeat_byte(9), ..Default::default() }
    }

    /// `base` as the spec of a BFT chain decided by `signers` with power 1 each.
    pub(crate) fn bft_spec(signers: &[ConsensusSigner], base: ChainSpec) -> ChainSpec {
        let validators = signers
            .iter()
            .map(|s| cairn_primitives::GenesisValidator {
                name: String::new(),
                address: s.address().0,
                public_key: s.public_key().0.to_vec().into(),
                power: 1,
                stake: None,
                operator: None,
                commission_bps: None,
            })
            .collect();
        ChainSpec {
            chain_id: signers[0].chain_id(),
            consensus: cairn_primitives::ConsensusKind::Bft,
            validators,
            ..base
        }
    }

    /// The set of `signers` for every height, apart from any store.
    pub(crate) fn fixed_sets(signers: &[ConsensusSigner]) -> FixedSets {
        let spec = bft_spec(signers, ChainSpec::dev().expect("spec"));
        FixedSets(Arc::new(spec.genesis_validator_set().expect("set")))
    }

    pub(crate) fn certificate(
        header: &Header,
        by: &[ConsensusSigner],
    ) -> CommitCertificate<CairnContext> {
        let value_id = BlockId(header.hash());
        let commit_signatures = by
            .iter()
            .map(|signer| {
                let vote = Vote {
                    vote_type: VoteType::Precommit,
                    height: Height(header.number),
                    round: Round::new(0),
                    value: NilOrVal::Val(value_id),
                    validator_address: signer.address(),
                    extension: None,
                };
                let signature =
                    signer.sign_digest(vote.signing_hash(signer.chain_id())).expect("sign");
                CommitSignature::new(signer.address(), signature)
            })
            .collect();
        CommitCertificate {
            height: Height(header.number),
            round: Round::new(0),
            value_id,
            commit_signatures,
        }
    }

    fn sealed(header: &Header, certificate: &CommitCertificate<CairnContext>) -> Header {
        Header { seal: encode_seal(certificate), ..header.clone() }
    }

    fn check(validators: &ValidatorSet, header: &Header) -> Result<(), SealError> {
        verify_certificate(CHAIN, validators, header, &decode_seal(&header.seal)?)
    }

    #[test]
    fn three_of_four_signatures_seal_a_block_and_keep_its_hash() {
        let signers = signers();
        let header = header();
        let block = sealed(&header, &certificate(&header, &signers[..3]));
        assert_eq!(block.hash(), header.hash());
        assert_eq!(check(&set(&signers), &block), Ok(()));
    }

    #[test]
    fn two_of_four_is_not_above_two_thirds() {
        let signers = signers();
        let header = header();
        let block = sealed(&header, &certificate(&header, &signers[..2]));
        assert_eq!(check(&set(&signers), &block), Err(SealError::NoQuorum { signed: 2, total: 4 }));
    }

    #[test]
    fn a_certificate_for_another_block_or_from_outsiders_is_refused() {
        let signers = signers();
        let header = header();
        let other = Header { number: 5, gas_used: 1, ..header.clone() };
        let block = sealed(&header, &certificate(&other, &signers[..3]));
        assert_eq!(
            check(&set(&signers), &block),
            Err(SealError::WrongBlock { got: other.hash(), expected: header.hash() })
        );
        let later = Header { number: 6, ..header.clone() };
        let block = sealed(&header, &certificate(&later, &signers[..3]));
        assert_eq!(
            check(&set(&signers), &block),
            Err(SealError::WrongHeight { got: 6, expected: 5 })
        );
        let outsiders: Vec<_> = (10u8..13)
            .map(|i| ConsensusSigner::new(SigningKey::from_slice(&[i; 32]).expect("key"), CHAIN))
            .collect();
        let block = sealed(&header, &certificate(&header, &outsiders));
        let first = outsiders.iter().map(|o| o.address().0).min().expect("outsiders");
        assert_eq!(
            check(&set(&signers), &block),
            Err(SealError::UnknownSigner { signer: first, height: 5 })
        );
    }

    #[test]
    fn a_forged_signature_or_a_duplicate_signer_is_refused() {
        let signers = signers();
        let header = header();
        let mut forged = certificate(&header, &signers[..3]);
        forged.commit_signatures[0].signature = forged.commit_signatures[1].signature;
        let forger = forged.commit_signatures[0].address.0;
        assert_eq!(
            check(&set(&signers), &sealed(&header, &forged)),
            Err(SealError::BadSignature { signer: forger })
        );
        let mut twice = certificate(&header, &signers[..3]);
        let first = twice.commit_signatures[0].clone();
        twice.commit_signatures.push(first);
        assert_eq!(check(&set(&signers), &sealed(&header, &twice)), Err(SealError::Unsorted));
    }

    #[test]
    fn a_certificate_signed_for_another_chain_is_refused() {
        let header = header();
        let elsewhere = signers_for(CHAIN + 1);
        let block = sealed(&header, &certificate(&header, &elsewhere));
        assert_eq!(
            verify_certificate(
                CHAIN + 1,
                &set(&elsewhere),
                &block,
                &decode_seal(&block.seal).expect("seal")
            ),
            Ok(())
        );
        let first = block_signer(&block);
        assert_eq!(check(&set(&elsewhere), &block), Err(SealError::BadSignature { signer: first }));
    }

    /// A node of a 4-validator chain on an in-memory store, under the BFT rules.
    fn node(signers: &[ConsensusSigner]) -> cairn_node::Node<cairn_storage::MemoryKv> {
        let spec = bft_spec(signers, ChainSpec::dev().expect("spec"));
        let evidence = Arc::new(EvidenceLog::in_memory());
        let schedule = ValidatorSchedule::from_spec(&spec).expect("set");
        let rules = BftConsensus::new(CHAIN, schedule, Address::ZERO, evidence);
        cairn_node::Node::open(cairn_storage::MemoryKv::new(), spec, Arc::new(rules)).expect("node")
    }

    /// Fork choice under instant finality, on the node's real commit path: of two blocks for
    /// one height, only the one a quorum certificate names is committed, and once committed
    /// it is never replaced, whatever seal a hostile peer's block carries.
    #[test]
    fn a_hostile_peers_block_never_displaces_the_certified_one() {
        let signers = signers();
        let node = node(&signers);
        let honest = node.build_candidate(Address::repeat_byte(1)).expect("build");
        let certificate = certificate(&honest.block.header, &signers[..3]);
        let hostile = |seal: &dyn Fn(&Header) -> Bytes| {
            let mut candidate = node.build_candidate(Address::repeat_byte(2)).expect("build");
            assert_ne!(candidate.block.hash(), honest.block.hash());
            candidate.block.header.seal = seal(&candidate.block.header);
            node.commit_candidate(candidate)
        };
        let refused = |result: Result<Header, cairn_node::NodeError>| {
            matches!(result, Err(cairn_node::NodeError::Consensus(_)))
        };
        // Before agreement: the honest block's certificate, or two of four signatures.
        assert!(refused(hostile(&|_| encode_seal(&certificate))));
        assert!(refused(hostile(&|h| encode_seal(&self::certificate(h, &signers[..2])))));
        let mut rival = node.build_candidate(Address::repeat_byte(2)).expect("build");
        let mut agreed = honest;
        agreed.block.header.seal = encode_seal(&certificate);
        let committed = node.commit_candidate(agreed).expect("commit");
        // After: even a quorum certificate of its own does not replace a final block.
        rival.block.header.seal =
            encode_seal(&self::certificate(&rival.block.header, &signers[..3]));
        assert_eq!(rival.block.header.number, committed.number);
        assert!(refused(node.commit_candidate(rival)));
        assert_eq!(node.head().expect("head").hash(), committed.hash());
    }

    /// BFT blocks never record a validator set, so every height, committed or far ahead,
    /// reads the genesis set, and existing data directories need no migration.
    #[test]
    fn a_bft_chain_reads_the_genesis_set_at_every_height() {
        let signers = signers();
        let node = node(&signers);
        for _ in 0..3 {
            let mut candidate = node.build_candidate(Address::repeat_byte(1)).expect("build");
            let seal = encode_seal(&certificate(&candidate.block.header, &signers[..3]));
            candidate.block.header.seal = seal;
            node.commit_candidate(candidate).expect("commit");
        }
        let genesis = node.spec().genesis_validator_set().expect("genesis set");
        for height in [0, 1, 3, 4, 1_000_000] {
            assert_eq!(*node.validator_set(height).expect("set"), genesis, "height {height}");
        }
    }

    /// The first signer of a sealed block's certificate (signatures are sorted by address).
    fn block_signer(block: &Header) -> Address {
        decode_seal(&block.seal).expect("seal").commit_signatures[0].address.0
    }

    #[test]
    fn garbage_seals_are_errors_not_panics() {
        assert!(matches!(decode_seal(&[]), Err(SealError::Malformed { len: 0, .. })));
        assert!(matches!(decode_seal(&[0xff; 100]), Err(SealError::Malformed { len: 100, .. })));
    }

    #[test]
    fn the_header_rules_carry_the_typed_seal_fault() {
        let signers = signers();
        let rules = BftConsensus::new(
            CHAIN,
            ValidatorSchedule::default(),
            Address::ZERO,
            Arc::new(EvidenceLog::in_memory()),
        );
        let sets = fixed_sets(&signers);
        let parent =
            Header { gas_limit: 30_000_000, base_fee: 1_000_000_000, ..Default::default() };
        let child = Header {
            parent_hash: parent.hash(),
            number: 1,
            timestamp_ms: 1_000,
            timestamp: 1,
            gas_limit: parent.gas_limit,
            base_fee: cairn_primitives::next_base_fee(&parent),
            ..Default::default()
        };
        let block = sealed(&child, &certificate(&child, &signers[..2]));
        match rules.validate_header(&sets, &parent, &block) {
            Err(ConsensusError::Seal { number: 1, source }) => assert_eq!(
                source.downcast_ref::<SealError>(),
                Some(&SealError::NoQuorum { signed: 2, total: 4 })
            ),
            other => panic!("{other:?}"),
        }
        let block = sealed(&child, &certificate(&child, &signers[..3]));
        assert!(rules.validate_header(&sets, &parent, &block).is_ok());
    }

    #[test]
    fn the_roles_answer_per_height_from_the_schedule() {
        use malachitebft_core_types::Context as _;

        let signers = signers();
        let rules = BftConsensus::new(
            CHAIN,
            ValidatorSchedule::default(),
            Address::repeat_byte(9),
            Arc::new(EvidenceLog::in_memory()),
        );
        let sets = fixed_sets(&signers);
        let validators = rules.validators(&sets, 12).expect("set");
        assert_eq!(validators.len(), 4);
        assert!(validators.iter().all(|v| v.power == 1));
        assert_eq!(rules.beneficiary(), Address::repeat_byte(9));
        assert_eq!(rules.seal(&header()).expect("seal"), Sealing::AfterAgreement);
        assert_eq!(rules.finality(12), Finality { safe: 12, finalized: 12 });
        // Equal powers: the proposer rotates through the whole set, as Malachite's does.
        let set = set(&signers);
        let mut proposers = std::collections::HashSet::new();
        for height in 1..=4u64 {
            let named = rules.proposer(&sets, height, 0).expect("proposer").expect("one");
            let malachite =
                CairnContext.select_proposer(&set, Height(height), Round::new(0)).address.0;
            assert_eq!(named, malachite);
            proposers.insert(named);
        }
        assert_eq!(proposers.len(), 4);
        let header = header();
        let block = sealed(&header, &certificate(&header, &signers[1..]));
        let mut expected: Vec<Address> = signers[1..].iter().map(|s| s.address().0).collect();
        expected.sort();
        assert_eq!(rules.signers(&block).expect("signers"), expected);
        // Who proposed a stored block: the proposer of its height in its certificate's round.
        let mut late = certificate(&header, &signers[1..]);
        late.round = Round::new(2);
        let decided_late = sealed(&header, &late);
        for (block, round) in [(&block, 0), (&decided_late, 2)] {
            assert_eq!(
                rules.proposer_of(&sets, block).expect("proposer"),
                rules.proposer(&sets, header.number, round).expect("proposer"),
            );
        }
        assert_ne!(
            rules.proposer_of(&sets, &block).expect("proposer"),
            rules.proposer_of(&sets, &decided_late).expect("proposer"),
        );
    }
}
