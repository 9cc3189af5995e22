//! The end of a proof-of-stake block: the protocol calls into the staking contract after the
//! block's transactions, in one order on every node (mint the issuance, slash the evidence,
//! pay the parent's signers, choose the next set at an epoch's end), and the header
//! commitments to what they took and produced.

use std::sync::Arc;

use alloy_primitives::{Bytes, Log, U256, keccak256};
use alloy_sol_types::{SolCall, SolEvent};
use cairn_execution::{BlockEnd, EndOfBlock, ExecError, SystemCallOutcome, SystemCaller};
use cairn_primitives::{
    BlockConsensusData, ConsensusCommitments, DoubleSign, MAX_EVIDENCE_PER_BLOCK,
    ValidatorSetRecord,
};

use crate::{NextSet, STAKING_ADDRESS, Staking, StakingError};

/// What the end of PoS block `N` depends on besides state: all of it comes from the block
/// itself, the spec, or chain data fixed before the block, so every node computes the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StakingInputs {
    /// Wei minted to the staking contract for this block (the spec's `block_reward`).
    pub block_reward: U256,
    /// Who signed block `N − 1`'s certificate carried in `last_commit`: a bitmap over the
    /// members of the set that decided `N − 1` ([`crate::signed_bitmap`]), empty for block 1.
    /// The contract checks it against its own copy of that set.
    pub signed: Vec<u8>,
    /// The set deciding block `N`: its hash is the header's `validators_hash`.
    pub current_set: Arc<ValidatorSetRecord>,
    /// The parent's certificate the block carries (a seal's encoding); only its hash is
    /// committed here, its verification is the consensus engine's.
    pub last_commit: Bytes,
    /// Double-sign evidence, in body order.
    pub evidence: Vec<DoubleSign>,
    /// On an epoch's last block, the number of the epoch that starts at `N + 1`.
    pub ends_epoch: Option<u64>,
}

/// Whose block is being ended: a proposer may still shape its block, an importer may not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Build,
    Import,
}

/// The protocol calls of one PoS block, as a [`BlockEnd`] for `build_block` and
/// `execute_block`.
#[derive(Debug, Clone)]
pub struct StakingEnd {
    mode: Mode,
    inputs: StakingInputs,
}

/// A protocol call that succeeded: its return data and logs.
struct Success {
    output: Bytes,
    logs: Vec<Log>,
}

impl StakingEnd {
    /// For a block this node proposes: evidence whose `slashDoubleSign` fails (already
    /// tombstoned, too old, forged) is left out of the block and logged, so one bad item never
    /// costs the block. `endBlock` or `endEpoch` failing is a bug that would halt the chain: it
    /// is logged as an error and the block is not built.
    pub fn build(inputs: StakingInputs) -> Self {
        Self { mode: Mode::Build, inputs }
    }

    /// For a block from elsewhere (a proposal, sync, audit): every call must succeed, else the
    /// block is invalid ([`ExecError::InvalidBlock`] naming the call and the contract's error).
    pub fn import(inputs: StakingInputs) -> Self {
        Self { mode: Mode::Import, inputs }
    }

    /// Calls the staking contract with `call`; a revert or halt comes back as its description.
    fn call<C: SolCall>(
        calls: &mut dyn SystemCaller,
        call: &C,
    ) -> Result<Result<Success, String>, ExecError> {
        Ok(match calls.call(STAKING_ADDRESS, call.abi_encode().into())? {
            SystemCallOutcome::Success { output, logs, .. } => Ok(Success { output, logs }),
            SystemCallOutcome::Failed { output, reason } if output.is_empty() => {
                Err(format!("failed without revert data: {reason}"))
            }
            SystemCallOutcome::Failed { output, .. } => match StakingError::from_revert(output) {
                StakingError::Refused(error) => {
                    Err(format!("reverted: {}", crate::describe_refusal(&error)))
                }
                StakingError::UnknownRevert(data) => {
                    Err(format!("reverted with unrecognised data {data}"))
                }
                other => Err(format!("reverted: {other}")),
            },
        })
    }

    /// A call every block needs: its failure refuses the block on import and stops the build.
    fn required<C: SolCall>(
        &self,
        calls: &mut dyn SystemCaller,
        name: &str,
        call: &C,
    ) -> Result<Success, ExecError> {
        let number = calls.block().number;
        Self::call(calls, call)?.map_err(|failure| {
            let reason = format!("protocol call {name} {failure}");
            if self.mode == Mode::Build {
                tracing::error!(
                    number,
                    %reason,
                    "the staking contract refused a protocol call every block needs; no block \
                     can be built until this is fixed"
                );
            }
            ExecError::InvalidBlock { number, reason }
        })
    }
}

/// `endEpoch`'s answer as the next epoch's record, checked against the contract's own account
/// of the epoch it started (its `EpochStarted` event).
fn next_set(number: u64, epoch: u64, ended: &Success) -> Result<ValidatorSetRecord, String> {
    let first_height = number + 1;
    let started = ended
        .logs
        .iter()
        .filter(|log| log.address == STAKING_ADDRESS)
        .find_map(|log| Staking::EpochStarted::decode_log(log).ok())
        .ok_or("endEpoch started no epoch")?;
    if (started.epoch, started.firstHeight) != (epoch, first_height) {
        return Err(format!(
            "endEpoch started epoch {} at height {}, the chain expects epoch {epoch} at {first_height}",
            started.epoch, started.firstHeight
        ));
    }
    let answer = Staking::endEpochCall::abi_decode_returns(&ended.output)
        .map_err(|e| format!("endEpoch's answer does not decode: {e}"))?;
    NextSet::try_from(answer)
        .and_then(|set| set.into_record(epoch, first_height))
        .map_err(|e| e.to_string())
}

impl BlockEnd for StakingEnd {
    fn finish(&self, calls: &mut dyn SystemCaller) -> Result<EndOfBlock, ExecError> {
        let block = *calls.block();
        let number = block.number;
        let invalid = |reason: String| ExecError::InvalidBlock { number, reason };
        let inputs = &self.inputs;
        if block.beneficiary != STAKING_ADDRESS {
            // The contract pays out the fees as rewards, so they must be in its balance.
            return Err(invalid(format!(
                "a proof-of-stake block pays its fees to the staking contract \
                 {STAKING_ADDRESS}, not {}",
                block.beneficiary
            )));
        }
        if inputs.evidence.len() > MAX_EVIDENCE_PER_BLOCK {
            return Err(invalid(format!(
                "{} evidence items, more than the {MAX_EVIDENCE_PER_BLOCK} a block may carry",
                inputs.evidence.len()
            )));
        }

        // 1. Issuance.
        if !inputs.block_reward.is_zero() {
            calls.mint(STAKING_ADDRESS, inputs.block_reward)?;
        }

        // 2. Evidence, in body order: before the epoch's end, so a validator tombstoned here
        // is already out of the next set.
        let mut logs = Vec::new();
        let mut kept = Vec::with_capacity(inputs.evidence.len());
        for (index, item) in inputs.evidence.iter().enumerate() {
            let result = match Staking::DoubleSign::try_from(item) {
                Ok(e) => Self::call(calls, &Staking::slashDoubleSignCall { e })?,
                Err(e) => Err(format!("refused: {e}")),
            };
            match (result, self.mode) {
                (Ok(done), _) => {
                    logs.extend(done.logs);
                    kept.push(item.clone());
                }
                (Err(failure), Mode::Build) => tracing::warn!(
                    number,
                    validator = %item.validator,
                    height = item.height,
                    %failure,
                    "left double-sign evidence out of the block: the staking contract refused it"
                ),
                (Err(failure), Mode::Import) => {
                    return Err(invalid(format!(
                        "protocol call slashDoubleSign (evidence {index}) {failure}"
                    )));
                }
            }
        }

        // 3. Rewards for the parent's signers and downtime tracking.
        let reward = inputs
            .block_reward
            .checked_add(calls.priority_fees())
            .ok_or_else(|| invalid("block reward plus fees overflows".into()))?;
        let signed = Bytes::from(inputs.signed.clone());
        logs.extend(
            self.required(calls, "endBlock", &Staking::endBlockCall { signed, reward })?.logs,
        );

        // 4. The next epoch's set.
        let next_validators = match inputs.ends_epoch {
            None => None,
            Some(epoch) => {
                let ended = self.required(calls, "endEpoch", &Staking::endEpochCall {})?;
                let record = next_set(number, epoch, &ended).map_err(|reason| {
                    let reason = format!("protocol call endEpoch: {reason}");
                    if self.mode == Mode::Build {
                        tracing::error!(number, %reason, "the epoch's next set is unusable");
                    }
                    invalid(reason)
                })?;
                logs.extend(ended.logs);
                Some(record)
            }
        };

        // 5. What the header commits to.
        let validators_hash = inputs.current_set.hash();
        let commitments = ConsensusCommitments {
            validators_hash,
            next_validators_hash: next_validators.as_ref().map_or(validators_hash, |s| s.hash()),
            last_commit_hash: keccak256(&inputs.last_commit),
            evidence_hash: keccak256(alloy_rlp::encode(&kept)),
            system_logs_hash: keccak256(alloy_rlp::encode(&logs)),
        };
        Ok(EndOfBlock {
            logs,
            next_validators,
            commitments: Some(commitments),
            consensus: Some(BlockConsensusData {
                last_commit: inputs.last_commit.clone(),
                evidence: kept,
            }),
        })
    }
}
