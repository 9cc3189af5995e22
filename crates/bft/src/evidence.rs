//! Equivocation evidence: two conflicting signed votes or proposals from one validator for
//! one height and round. Malachite detects them; the log keeps them on disk (one JSON line
//! each, flushed before it is acknowledged) so they survive restarts and can be served.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

use alloy_primitives::{Address, B256, B512};
use cairn_consensus::{Equivocation, EquivocationKind, VotedFor};
use cairn_primitives::DoubleSign;
use malachitebft_core_consensus::MisbehaviorEvidence;
use malachitebft_core_types::{NilOrVal, Round, SignedMessage, VoteType};
use tracing::{error, warn};

use crate::context::{BlockId, CairnContext, Proposal, Vote};
use crate::error::{BftError, EvidenceError};
use crate::evidence_pool::{EvidencePool, evidence_hash};

/// Records kept in memory (the file keeps all of them).
const MAX_KEPT: usize = 10_000;

/// The node's equivocation evidence.
#[derive(Debug)]
pub struct EvidenceLog {
    file: Option<Mutex<File>>,
    kept: Mutex<Vec<Equivocation>>,
    /// Verified items waiting for a block (proof-of-stake chains put them on chain).
    pool: EvidencePool,
}

fn voted_for(value: &NilOrVal<BlockId>) -> VotedFor {
    match value {
        NilOrVal::Nil => VotedFor::Nil,
        NilOrVal::Val(id) => VotedFor::Block(id.0),
    }
}

fn signature<M>(message: &SignedMessage<CairnContext, M>) -> B512 {
    B512::from(message.signature.0)
}

fn vote_kind(vote_type: VoteType) -> EquivocationKind {
    match vote_type {
        VoteType::Prevote => EquivocationKind::Prevote,
        VoteType::Precommit => EquivocationKind::Precommit,
    }
}

impl EvidenceLog {
    /// A log kept only in memory (tests, ephemeral nodes).
    pub fn in_memory() -> Self {
        Self { file: None, kept: Mutex::new(Vec::new()), pool: EvidencePool::default() }
    }

    /// Opens (or creates) the log at `path`, reading what earlier runs recorded.
    pub fn open(path: PathBuf) -> Result<Self, BftError> {
        let io = |source| BftError::Io { path: path.clone(), source };
        let mut kept = Vec::new();
        if path.exists() {
            for line in BufReader::new(File::open(&path).map_err(io)?).lines() {
                let line = line.map_err(io)?;
                match serde_json::from_str::<Equivocation>(&line) {
                    Ok(entry) => kept.push(entry),
                    Err(e) => warn!(error = %e, "skipping an unreadable evidence line"),
                }
            }
        }
        let start = kept.len().saturating_sub(MAX_KEPT);
        kept.drain(..start);
        let file = OpenOptions::new().create(true).append(true).open(&path).map_err(io)?;
        Ok(Self {
            file: Some(Mutex::new(file)),
            kept: Mutex::new(kept),
            pool: EvidencePool::default(),
        })
    }

    /// Everything recorded, oldest first.
    pub fn list(&self) -> Vec<Equivocation> {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Evidence waiting for a block this node builds.
    pub fn pool(&self) -> &EvidencePool {
        &self.pool
    }

    /// Records what Malachite reported when it finalised `height`; answers the entries.
    pub(crate) fn record(
        &self,
        height: u64,
        evidence: &MisbehaviorEvidence<CairnContext>,
    ) -> Vec<Equivocation> {
        let mut found = Vec::new();
        for (validator, doubles) in evidence.votes.iter() {
            for (first, second) in doubles {
                found.extend(vote_entry(height, validator.0, first, second));
            }
        }
        for (validator, doubles) in evidence.proposals.iter() {
            for (first, second) in doubles {
                found.extend(proposal_entry(height, validator.0, first, second));
            }
        }
        for entry in &found {
            warn!(validator = %entry.validator, height = entry.height, round = entry.round, kind = %entry.kind, "equivocation detected");
            self.append(entry.clone());
        }
        found
    }

    /// Records an equivocation a peer or operator submitted, already verified as `item`, and
    /// queues `item` for a block; answers its hash. An item already waiting is neither
    /// recorded nor queued again.
    pub fn submit(&self, entry: Equivocation, item: DoubleSign) -> Result<B256, EvidenceError> {
        let hash = evidence_hash(&item);
        if self.pool.contains(hash) {
            return Ok(hash);
        }
        self.pool.add(item)?;
        warn!(validator = %entry.validator, height = entry.height, round = entry.round, kind = %entry.kind, %hash, "equivocation submitted");
        self.append(entry);
        Ok(hash)
    }

    fn append(&self, entry: Equivocation) {
        if let Some(file) = &self.file {
            let mut file = file.lock().unwrap_or_else(PoisonError::into_inner);
            let written = serde_json::to_string(&entry)
                .map_err(std::io::Error::other)
                .and_then(|line| writeln!(file, "{line}"))
                .and_then(|()| file.sync_data());
            if let Err(e) = written {
                error!(error = %e, "cannot persist equivocation evidence");
            }
        }
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.len() >= MAX_KEPT {
            kept.remove(0);
        }
        kept.push(entry);
    }
}

/// The round both messages were signed for; `None` (and a warning) for the nil round, which no
/// honest engine signs and which no record can be re-verified for.
fn signed_round(round: Round, validator: Address) -> Option<u32> {
    let round = round.as_u32();
    if round.is_none() {
        warn!(%validator, "ignoring an equivocation report for the nil round");
    }
    round
}

fn vote_entry(
    height: u64,
    validator: Address,
    first: &SignedMessage<CairnContext, Vote>,
    second: &SignedMessage<CairnContext, Vote>,
) -> Option<Equivocation> {
    Some(Equivocation {
        height,
        round: signed_round(first.message.round, validator)?,
        validator,
        kind: vote_kind(first.message.vote_type),
        first: voted_for(&first.message.value),
        first_signature: signature(first),
        second: voted_for(&second.message.value),
        second_signature: signature(second),
        pol_rounds: None,
    })
}

fn proposal_entry(
    height: u64,
    validator: Address,
    first: &SignedMessage<CairnContext, Proposal>,
    second: &SignedMessage<CairnContext, Proposal>,
) -> Option<Equivocation> {
    Some(Equivocation {
        height,
        round: signed_round(first.message.round, validator)?,
        validator,
        kind: EquivocationKind::Proposal,
        first: VotedFor::Block(first.message.value.0),
        first_signature: signature(first),
        second: VotedFor::Block(second.message.value.0),
        second_signature: signature(second),
        pol_rounds: Some((first.message.pol_round.as_u32(), second.message.pol_round.as_u32())),
    })
}

#[cfg(test)]
mod tests {
    use alloy_primitives::B256;
    use k256::ecdsa::SigningKey;

    use super::*;
    use crate::context::{Height, ValidatorAddress};
    use crate::keys::ConsensusSignature;
    use crate::signing::ConsensusSigner;

    fn signed_prevote(
        signer: &ConsensusSigner,
        value: NilOrVal<BlockId>,
    ) -> SignedMessage<CairnContext, Vote> {
        let vote = Vote {
            vote_type: VoteType::Prevote,
            height: Height(7),
            round: Round::new(1),
            value,
            validator_address: signer.address(),
            extension: None,
        };
        let signature = signer.sign_digest(vote.signing_hash(signer.chain_id())).expect("sign");
        SignedMessage::new(vote, signature)
    }

    fn double_vote(signer: &ConsensusSigner) -> MisbehaviorEvidence<CairnContext> {
        let mut votes = malachitebft_core_votekeeper::EvidenceMap::new();
        let first = signed_prevote(signer, NilOrVal::Val(BlockId(B256::repeat_byte(1))));
        let second = signed_prevote(signer, NilOrVal::Val(BlockId(B256::repeat_byte(2))));
        votes.add(first, second);
        MisbehaviorEvidence {
            proposals: malachitebft_core_driver::proposal_keeper::EvidenceMap::new(),
            votes,
        }
    }

    #[test]
    fn a_double_vote_is_recorded_with_both_signatures_and_survives_a_restart() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("evidence.jsonl");
        let signer = ConsensusSigner::new(SigningKey::from_slice(&[7u8; 32]).expect("key"), 1);
        let log = EvidenceLog::open(path.clone()).expect("open");
        log.record(7, &double_vote(&signer));
        let entries = log.list();
        assert_eq!(entries.len(), 1);
        let entry = &entries[0];
        assert_eq!(entry.validator, signer.address().0);
        assert_eq!((entry.height, entry.round, entry.kind), (7, 1, EquivocationKind::Prevote));
        assert_eq!(entry.first, VotedFor::Block(B256::repeat_byte(1)));
        assert_eq!(entry.second, VotedFor::Block(B256::repeat_byte(2)));
        assert_ne!(entry.first_signature, entry.second_signature);
        assert_eq!(entry.pol_rounds, None);
        drop(log);
        let reopened = EvidenceLog::open(path).expect("reopen");
        assert_eq!(reopened.list(), entries);
    }

    #[test]
    fn an_empty_report_records_nothing() {
        let log = EvidenceLog::in_memory();
        let empty = MisbehaviorEvidence {
            proposals: malachitebft_core_driver::proposal_keeper::EvidenceMap::new(),
            votes: malachitebft_core_votekeeper::EvidenceMap::new(),
        };
        log.record(1, &empty);
        assert!(log.list().is_empty());
    }

    /// Lines the evidence log wrote before its fields were typed (signer `[7; 32]`, chain 1):
    /// a precommit for nil against one for block `0x02…`, and two proposals.
    const OLD_LINES: [&str; 2] = [
        r#"{"height":7,"round":1,"validator":"0x4a62316623ad457f02cdc5d997ded67a383ec569","kind":"precommit","first":"nil","first_signature":"0x6d04a03bb3f38a9e301abf428e47c1c67c866969052905bb52ac7ac32f0c577263023fc1094c2fefffc9de071d33a3d58cb731185766b673b8dc04bc04b49d3b","second":"0x0202020202020202020202020202020202020202020202020202020202020202","second_signature":"0xf315f6ae2a7a85ebe324c5f1cc4e1c95e431dda70f6039c62f4174f7bd7349bb79f232dd63f386110ce1ec8300d91158d5f7c205622d441eb92fb84d0aa7b476"}"#,
        r#"{"height":7,"round":1,"validator":"0x4a62316623ad457f02cdc5d997ded67a383ec569","kind":"proposal","first":"0x0303030303030303030303030303030303030303030303030303030303030303","first_signature":"0x194c333a8b857474af49a0aa4f388014f9c38c1ef9717894e00772d1993eee0b281ad1872af89a299be798312451a625023a25bff5a3044617efcc018badd882","second":"0x0404040404040404040404040404040404040404040404040404040404040404","second_signature":"0x64153f2bfd9dc5a54c43e79da0c3f2525e8ee1abab7ca99fd298706ef8ad8d88147d57c0acf20a2995cd40f7f341db3b29333d73363d1deffc7881771b00cedf"}"#,
    ];

    #[test]
    fn records_written_before_typing_still_load_and_write_back_the_same() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("evidence.jsonl");
        std::fs::write(&path, format!("{}\n{}\n", OLD_LINES[0], OLD_LINES[1])).expect("write");
        let entries = EvidenceLog::open(path).expect("open").list();
        assert_eq!(entries.len(), 2);
        for (entry, line) in entries.iter().zip(OLD_LINES) {
            assert_eq!(serde_json::to_string(entry).expect("json"), line);
        }
        let signer = ConsensusSigner::new(SigningKey::from_slice(&[7u8; 32]).expect("key"), 1);
        let (vote, proposal) = (&entries[0], &entries[1]);
        assert_eq!(vote.validator, signer.address().0);
        assert_eq!((vote.height, vote.round, vote.kind), (7, 1, EquivocationKind::Precommit));
        assert_eq!(vote.first, VotedFor::Nil);
        assert_eq!(vote.second, VotedFor::Block(B256::repeat_byte(2)));
        assert_eq!(proposal.kind, EquivocationKind::Proposal);
        assert_eq!(proposal.first, VotedFor::Block(B256::repeat_byte(3)));
        assert_eq!(proposal.pol_rounds, None);

        // The typed record is enough to re-check both signatures, as slashing will.
        for (value, signature) in
            [(vote.first, vote.first_signature), (vote.second, vote.second_signature)]
        {
            let value = match value {
                VotedFor::Nil => NilOrVal::Nil,
                VotedFor::Block(hash) => NilOrVal::Val(BlockId(hash)),
            };
            let signed = Vote::new(
                VoteType::Precommit,
                Height(vote.height),
                Round::new(vote.round),
                value,
                ValidatorAddress(vote.validator),
            );
            let signature = ConsensusSignature(signature.0);
            assert!(signer.public_key().verify(signed.signing_hash(1), &signature));
        }
    }

    #[test]
    fn a_double_proposal_keeps_its_proof_of_lock_rounds() {
        let signer = ConsensusSigner::new(SigningKey::from_slice(&[7u8; 32]).expect("key"), 1);
        let proposal = |value: u8, pol_round: Round| {
            let proposal = Proposal {
                height: Height(9),
                round: Round::new(2),
                value: BlockId(B256::repeat_byte(value)),
                pol_round,
                validator_address: signer.address(),
            };
            let signature = signer.sign_digest(proposal.signing_hash(1)).expect("sign");
            SignedMessage::new(proposal, signature)
        };
        let mut proposals = malachitebft_core_driver::proposal_keeper::EvidenceMap::new();
        proposals.add(proposal(3, Round::Nil), proposal(4, Round::new(1)));
        let log = EvidenceLog::in_memory();
        log.record(
            9,
            &MisbehaviorEvidence {
                proposals,
                votes: malachitebft_core_votekeeper::EvidenceMap::new(),
            },
        );
        let entries = log.list();
        assert_eq!(entries.len(), 1);
        assert_eq!((entries[0].kind, entries[0].round), (EquivocationKind::Proposal, 2));
        assert_eq!(entries[0].pol_rounds, Some((None, Some(1))));
        let json = serde_json::to_string(&entries[0]).expect("json");
        assert!(json.ends_with(r#","pol_rounds":[null,1]}"#), "{json}");
    }
}
