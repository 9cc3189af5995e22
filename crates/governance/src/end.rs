//! The end of a governed block: on an epoch's last block the protocol calls `endEpoch()`,
//! which applies the proposals that passed and answers the next epoch's validator set; every
//! block's header commits to the set that signs it, the set that signs the next one and the
//! logs of its protocol calls. Ordinary blocks run no EVM code at their end: the contract
//! needs nothing per block (votes are transactions, proposals expire lazily).

use std::sync::Arc;

use alloy_primitives::{Bytes, Log, keccak256};
use alloy_sol_types::{SolCall, SolEvent};
use cairn_execution::{BlockEnd, EndOfBlock, ExecError, SystemCallOutcome, SystemCaller};
use cairn_primitives::{ConsensusCommitments, DoubleSign, ValidatorSetRecord};

use crate::{GOVERNANCE_ADDRESS, Governance, GovernanceError, describe_refusal, next_set_record};

/// The epoch a boundary block starts: read from the parent's state ([`crate::EpochState`]),
/// since a governed epoch's length is voted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochEnd {
    /// The number of the epoch that starts after this block.
    pub epoch: u64,
    /// Its first height: this block's number plus one.
    pub first_height: u64,
}

/// What the end of governed block `N` depends on besides state: the set deciding it and
/// whether it ends an epoch, both fixed before the block, so every node computes the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GovernanceInputs {
    /// The set deciding this block: its hash is the header's `validators_hash`.
    pub current_set: Arc<ValidatorSetRecord>,
    /// On an epoch's last block: the epoch that starts next and its first height.
    pub ends_epoch: Option<EpochEnd>,
    /// BFT: `endEpoch`'s answer becomes the next set. Dev (one local producer): it is checked
    /// and dropped, since nobody signs and a private dev chain may have no validators.
    pub records_sets: bool,
}

/// Whose block is being ended: a proposer reports a failing `endEpoch` loudly, an importer
/// refuses the block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Build,
    Import,
}

/// The protocol calls of one governed block, as a [`BlockEnd`] for `build_block` and
/// `execute_block`.
#[derive(Debug, Clone)]
pub struct GovernanceEnd {
    mode: Mode,
    inputs: GovernanceInputs,
}

/// The answer of a successful `endEpoch`.
struct Ended {
    output: Bytes,
    logs: Vec<Log>,
}

impl GovernanceEnd {
    /// For a block this node proposes. `endEpoch` never reverts by construction; if it does,
    /// no block can be built, which is logged as an error instead of building one nobody
    /// would accept.
    pub fn build(inputs: GovernanceInputs) -> Self {
        Self { mode: Mode::Build, inputs }
    }

    /// For a block from elsewhere (a proposal, sync, an audit): a failing or malformed
    /// `endEpoch` makes the block invalid ([`ExecError::InvalidBlock`]).
    pub fn import(inputs: GovernanceInputs) -> Self {
        Self { mode: Mode::Import, inputs }
    }

    /// `endEpoch()` from the system address; a revert or halt comes back as its description.
    fn end_epoch(calls: &mut dyn SystemCaller) -> Result<Result<Ended, String>, ExecError> {
        let input = Governance::endEpochCall {}.abi_encode().into();
        Ok(match calls.call(GOVERNANCE_ADDRESS, input)? {
            SystemCallOutcome::Success { output, logs, .. } => Ok(Ended { output, logs }),
            SystemCallOutcome::Failed { output, reason } if output.is_empty() => {
                Err(format!("failed without revert data: {reason}"))
            }
            SystemCallOutcome::Failed { output, .. } => {
                match GovernanceError::from_revert(output) {
                    GovernanceError::Refused(error) => {
                        Err(format!("reverted: {}", describe_refusal(&error)))
                    }
                    GovernanceError::UnknownRevert(data) => {
                        Err(format!("reverted with unrecognised data {data}"))
                    }
                    other => Err(format!("reverted: {other}")),
                }
            }
        })
    }

    /// Calls `endEpoch`, checks its answer and, on a chain whose sets are recorded, turns it
    /// into the next epoch's record.
    fn next_set(
        &self,
        calls: &mut dyn SystemCaller,
        end: EpochEnd,
    ) -> Result<(Option<ValidatorSetRecord>, Vec<Log>), ExecError> {
        let number = calls.block().number;
        let checked = Self::end_epoch(calls)?
            .map_err(|failure| format!("protocol call endEpoch {failure}"))
            .and_then(|ended| {
                let record = answer(&ended, end, self.inputs.records_sets)
                    .map_err(|reason| format!("protocol call endEpoch: {reason}"))?;
                Ok((record, ended.logs))
            });
        checked.map_err(|reason| {
            if self.mode == Mode::Build {
                tracing::error!(
                    number,
                    %reason,
                    "the governance contract's epoch end failed; no block can be built until \
                     this is fixed"
                );
            }
            ExecError::InvalidBlock { number, reason }
        })
    }
}

/// `endEpoch`'s answer checked against the contract's own account of the epoch it started
/// (its `EpochStarted` event) and decoded; the record of the next epoch when `records_sets`.
/// An empty or malformed set is refused here, never handed to consensus.
fn answer(
    ended: &Ended,
    end: EpochEnd,
    records_sets: bool,
) -> Result<Option<ValidatorSetRecord>, String> {
    let started = ended
        .logs
        .iter()
        .filter(|log| log.address == GOVERNANCE_ADDRESS)
        .find_map(|log| Governance::EpochStarted::decode_log(log).ok())
        .ok_or("endEpoch started no epoch")?;
    if (started.epoch, started.firstHeight) != (end.epoch, end.first_height) {
        return Err(format!(
            "endEpoch started epoch {} at height {}, the chain expects epoch {} at {}",
            started.epoch, started.firstHeight, end.epoch, end.first_height
        ));
    }
    let answer = Governance::endEpochCall::abi_decode_returns(&ended.output)
        .map_err(|e| format!("endEpoch's answer does not decode: {e}"))?;
    if !records_sets {
        return Ok(None);
    }
    next_set_record(answer, end.epoch, end.first_height).map(Some).map_err(|e| e.to_string())
}

impl BlockEnd for GovernanceEnd {
    fn finish(&self, calls: &mut dyn SystemCaller) -> Result<EndOfBlock, ExecError> {
        let (next_validators, logs) = match self.inputs.ends_epoch {
            None => (None, Vec::new()),
            Some(end) => self.next_set(calls, end)?,
        };
        let validators_hash = self.inputs.current_set.hash();
        let commitments = ConsensusCommitments {
            validators_hash,
            next_validators_hash: next_validators.as_ref().map_or(validators_hash, |s| s.hash()),
            // A governed block carries no parent certificate and no evidence: the hashes of
            // the empty ones, as a proof-of-stake block would commit to them.
            last_commit_hash: keccak256([]),
            evidence_hash: keccak256(alloy_rlp::encode(Vec::<DoubleSign>::new())),
            system_logs_hash: keccak256(alloy_rlp::encode(&logs)),
        };
        Ok(EndOfBlock { logs, next_validators, commitments: Some(commitments), consensus: None })
    }
}
