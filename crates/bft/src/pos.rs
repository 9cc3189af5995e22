//! Proof of stake on the BFT engine: the same certificates and proposer choice, over validator
//! sets the staking contract chooses each epoch, with the protocol calls of
//! [`cairn_staking::StakingEnd`] ending every block and the header committing to the set that
//! signs it.

use std::sync::Arc;

use alloy_primitives::{Address, Bytes, U256};
use cairn_consensus::{
    BlockEndRules, BlockProduction, ConsensusError, ConsensusReads, Equivocation, Finality,
    HeaderValidator, Sealing, ValidatorPower, ValidatorSets, validate_validators_hash,
};
use cairn_execution::{BlockEnd, EndOfBlock, ExecError, SystemCaller};
use cairn_primitives::{
    Block, ChainSpec, DoubleSign, Header, MAX_EVIDENCE_PER_BLOCK, STAKING_ADDRESS,
};
use cairn_staking::{StakingEnd, StakingInputs, signed_bitmap};
use cairn_storage::StateView;

use crate::error::SealError;
use crate::evidence::EvidenceLog;
use crate::evidence_pool::EvidencePool;
use crate::finalized::FinalizedCertificates;
use crate::schedule::ValidatorSchedule;
use crate::seal::{BftConsensus, decode_seal, verify_certificate};

/// The proof-of-stake engine's roles: BFT's certificate rules, judged by each height's set,
/// plus what a staking chain adds (fees and rewards to the staking contract, header
/// commitments to the signing set, the parent's certificate in every body).
#[derive(Debug, Clone)]
pub struct PosConsensus {
    bft: BftConsensus,
    chain_id: u64,
    schedule: ValidatorSchedule,
    block_reward: U256,
    /// The spec's epoch rules (`ends_epoch`, `epoch_of`).
    spec: Arc<ChainSpec>,
    /// The newest block's `Finalized` certificate, which the driver notes.
    finalized: Arc<FinalizedCertificates>,
    /// Where the evidence this node's blocks carry waits.
    evidence: Arc<EvidenceLog>,
}

impl PosConsensus {
    /// Rules for the proof-of-stake chain of `spec`; each height's set converted through
    /// `schedule` (shared with the driver); `evidence` is the log equivocations are recorded in
    /// (its pool holds the evidence this node's blocks carry); `finalized` is where the driver
    /// leaves the newest block's fullest certificate.
    pub fn new(
        spec: &ChainSpec,
        schedule: ValidatorSchedule,
        evidence: Arc<EvidenceLog>,
        finalized: Arc<FinalizedCertificates>,
    ) -> Self {
        let bft =
            BftConsensus::new(spec.chain_id, schedule.clone(), STAKING_ADDRESS, evidence.clone());
        Self {
            bft,
            chain_id: spec.chain_id,
            schedule,
            block_reward: spec.staking_params().block_reward,
            spec: Arc::new(spec.clone()),
            finalized,
            evidence,
        }
    }

    /// Whether `height` is the last block of its epoch, and the epoch that follows it.
    fn ends_epoch(&self, height: u64) -> Option<u64> {
        self.spec.ends_epoch(height).then(|| self.spec.epoch_of(height) + 1)
    }

    /// The bitmap of who signed `parent`'s certificate `last_commit` over the set of
    /// `parent`'s height, after checking the certificate as a seal of `parent` is checked.
    /// Block 1's parent is genesis, which no certificate decided: its `last_commit` is empty.
    fn signed(
        &self,
        sets: &dyn ValidatorSets,
        parent: &Header,
        last_commit: &Bytes,
    ) -> Result<Vec<u8>, ConsensusError> {
        let number = parent.number + 1;
        let fault =
            |source: SealError| ConsensusError::LastCommit { number, source: Box::new(source) };
        if parent.number == 0 {
            if !last_commit.is_empty() {
                return Err(fault(SealError::OfGenesis { len: last_commit.len() }));
            }
            return Ok(Vec::new());
        }
        let certificate = decode_seal(last_commit).map_err(fault)?;
        let validators = self.schedule.at(sets, parent.number)?;
        verify_certificate(self.chain_id, &validators, parent, &certificate).map_err(fault)?;
        let signers: Vec<Address> =
            certificate.commit_signatures.iter().map(|s| s.address.0).collect();
        let set = sets.set_at(parent.number)?;
        signed_bitmap(&set, &signers)
            .map_err(|e| ConsensusError::LastCommit { number, source: Box::new(e) })
    }

    fn inputs(
        &self,
        sets: &dyn ValidatorSets,
        number: u64,
        last_commit: Bytes,
        signed: Vec<u8>,
        evidence: Vec<DoubleSign>,
    ) -> Result<StakingInputs, ConsensusError> {
        Ok(StakingInputs {
            block_reward: self.block_reward,
            signed,
            current_set: sets.set_at(number)?,
            last_commit,
            evidence,
            ends_epoch: self.ends_epoch(number),
        })
    }
}

impl HeaderValidator for PosConsensus {
    /// BFT's rules (the seal carries more than two thirds of the power of the height's set),
    /// fees paid to the staking contract, and the header committing to that set.
    fn validate_header(
        &self,
        sets: &dyn ValidatorSets,
        parent: &Header,
        header: &Header,
    ) -> Result<(), ConsensusError> {
        self.bft.validate_header(sets, parent, header)?;
        let number = header.number;
        if header.beneficiary != STAKING_ADDRESS {
            return Err(ConsensusError::Beneficiary {
                number,
                got: header.beneficiary,
                expected: STAKING_ADDRESS,
            });
        }
        validate_validators_hash(sets, header)
    }
}

impl BlockProduction for PosConsensus {
    fn proposer(
        &self,
        sets: &dyn ValidatorSets,
        height: u64,
        round: u32,
    ) -> Result<Option<Address>, ConsensusError> {
        self.bft.proposer(sets, height, round)
    }

    /// Fees go to the staking contract, which pays them out with the block reward.
    fn beneficiary(&self) -> Address {
        STAKING_ADDRESS
    }

    fn difficulty(&self, _parent: &Header, _timestamp_ms: u64) -> Option<U256> {
        None
    }

    fn seal(&self, header: &Header) -> Result<Sealing, ConsensusError> {
        self.bft.seal(header)
    }
}

impl ConsensusReads for PosConsensus {
    fn validators(
        &self,
        sets: &dyn ValidatorSets,
        height: u64,
    ) -> Result<Vec<ValidatorPower>, ConsensusError> {
        self.bft.validators(sets, height)
    }

    fn signers(&self, header: &Header) -> Result<Vec<Address>, ConsensusError> {
        self.bft.signers(header)
    }

    fn proposer_of(
        &self,
        sets: &dyn ValidatorSets,
        header: &Header,
    ) -> Result<Option<Address>, ConsensusError> {
        self.bft.proposer_of(sets, header)
    }

    fn evidence(&self) -> Vec<Equivocation> {
        self.bft.evidence()
    }

    fn finality(&self, head: u64) -> Finality {
        self.bft.finality(head)
    }
}

impl BlockEndRules for PosConsensus {
    /// The block must carry the parent's certificate, valid for the parent's set; its
    /// protocol calls must all succeed.
    fn import(
        &self,
        sets: &dyn ValidatorSets,
        _state: &dyn StateView,
        parent: &Header,
        block: &Block,
    ) -> Result<Box<dyn BlockEnd + '_>, ConsensusError> {
        let number = block.header.number;
        let data =
            block.consensus.as_ref().ok_or(ConsensusError::MissingConsensusData { number })?;
        let signed = self.signed(sets, parent, &data.last_commit)?;
        let inputs =
            self.inputs(sets, number, data.last_commit.clone(), signed, data.evidence.clone())?;
        Ok(Box::new(StakingEnd::import(inputs)))
    }

    /// The parent's fullest certificate (the `Finalized` one when the driver noted it for the
    /// parent and it verifies, else the seal the parent was committed with), and the oldest
    /// evidence waiting in the pool, as much as a block may carry; what the contract refuses
    /// is left out of the block and forgotten.
    fn build(
        &self,
        sets: &dyn ValidatorSets,
        _state: &dyn StateView,
        parent: &Header,
    ) -> Result<Box<dyn BlockEnd + '_>, ConsensusError> {
        let finalized = self.finalized.of(parent.number).and_then(|last_commit| {
            let signed = self.signed(sets, parent, &last_commit).ok()?;
            Some((last_commit, signed))
        });
        let (last_commit, signed) = match finalized {
            Some(found) => found,
            None => (parent.seal.clone(), self.signed(sets, parent, &parent.seal)?),
        };
        let offered = self.evidence.pool().pending(MAX_EVIDENCE_PER_BLOCK);
        let inputs = self.inputs(sets, parent.number + 1, last_commit, signed, offered.clone())?;
        Ok(Box::new(PooledEnd {
            end: StakingEnd::build(inputs),
            offered,
            pool: self.evidence.pool(),
        }))
    }
}

/// A built block's end that forgets, once the contract has judged them, the offered items it
/// refused: they can never succeed later (a forged signature stays forged, a tombstoned
/// validator stays tombstoned, old evidence only gets older).
struct PooledEnd<'a> {
    end: StakingEnd,
    offered: Vec<DoubleSign>,
    pool: &'a EvidencePool,
}

impl BlockEnd for PooledEnd<'_> {
    fn finish(&self, calls: &mut dyn SystemCaller) -> Result<EndOfBlock, ExecError> {
        let end = self.end.finish(calls)?;
        let kept = end.consensus.as_ref().map(|c| c.evidence.as_slice()).unwrap_or_default();
        let refused: Vec<DoubleSign> =
            self.offered.iter().filter(|item| !kept.contains(item)).cloned().collect();
        self.pool.remove(&refused);
        Ok(end)
    }
}
