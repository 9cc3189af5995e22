//! Equivocation evidence: two conflicting signed votes or proposals from one validator for
//! one height and round. Malachite detects them; the log keeps them on disk (one JSON line
//! each, flushed before it is acknowledged) so they survive restarts and can be served.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

use alloy_primitives::{Address, B256, hex};
use cairn_consensus::Equivocation;
use malachitebft_core_consensus::MisbehaviorEvidence;
use malachitebft_core_types::{NilOrVal, SignedMessage};
use tracing::{error, warn};

use crate::context::{CairnContext, Proposal, Vote};
use crate::error::BftError;

/// Records kept in memory (the file keeps all of them).
const MAX_KEPT: usize = 10_000;

/// The node's equivocation evidence.
#[derive(Debug)]
pub struct EvidenceLog {
    file: Option<Mutex<File>>,
    kept: Mutex<Vec<Equivocation>>,
}

fn value_name(value: &NilOrVal<crate::context::BlockId>) -> String {
    match value {
        NilOrVal::Nil => "nil".into(),
        NilOrVal::Val(id) => id.0.to_string(),
    }
}

fn signature_hex<M>(message: &SignedMessage<CairnContext, M>) -> String {
    hex::encode_prefixed(message.signature.0)
}

impl EvidenceLog {
    /// A log kept only in memory (tests, ephemeral nodes).
    pub fn in_memory() -> Self {
        Self { file: None, kept: Mutex::new(Vec::new()) }
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
        Ok(Self { file: Some(Mutex::new(file)), kept: Mutex::new(kept) })
    }

    /// Everything recorded, oldest first.
    pub fn list(&self) -> Vec<Equivocation> {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    pub(crate) fn record(&self, height: u64, evidence: &MisbehaviorEvidence<CairnContext>) {
        let mut found = Vec::new();
        for (validator, doubles) in evidence.votes.iter() {
            for (first, second) in doubles {
                let kind = format!("{:?}", first.message.vote_type).to_lowercase();
                found.push(vote_entry(height, validator.0, kind, first, second));
            }
        }
        for (validator, doubles) in evidence.proposals.iter() {
            for (first, second) in doubles {
                found.push(proposal_entry(height, validator.0, first, second));
            }
        }
        for entry in found {
            warn!(validator = %entry.validator, height = entry.height, round = entry.round, kind = %entry.kind, "equivocation detected");
            self.append(entry);
        }
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

fn vote_entry(
    height: u64,
    validator: Address,
    kind: String,
    first: &SignedMessage<CairnContext, Vote>,
    second: &SignedMessage<CairnContext, Vote>,
) -> Equivocation {
    Equivocation {
        height,
        round: first.message.round.as_i64(),
        validator,
        kind,
        first: value_name(&first.message.value),
        first_signature: signature_hex(first),
        second: value_name(&second.message.value),
        second_signature: signature_hex(second),
    }
}

fn proposal_entry(
    height: u64,
    validator: Address,
    first: &SignedMessage<CairnContext, Proposal>,
    second: &SignedMessage<CairnContext, Proposal>,
) -> Equivocation {
    let name = |p: &Proposal| B256::from(p.value.0).to_string();
    Equivocation {
        height,
        round: first.message.round.as_i64(),
        validator,
        kind: "proposal".into(),
        first: name(&first.message),
        first_signature: signature_hex(first),
        second: name(&second.message),
        second_signature: signature_hex(second),
    }
}

#[cfg(test)]
mod tests {
    use k256::ecdsa::SigningKey;
    use malachitebft_core_types::{Round, VoteType};

    use super::*;
    use crate::context::{BlockId, Height};
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
        assert_eq!((entry.height, entry.round, entry.kind.as_str()), (7, 1, "prevote"));
        assert_eq!(entry.first, B256::repeat_byte(1).to_string());
        assert_eq!(entry.second, B256::repeat_byte(2).to_string());
        assert_ne!(entry.first_signature, entry.second_signature);
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
}
