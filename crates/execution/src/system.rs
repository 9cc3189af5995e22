//! The protocol's own calls at the end of a block (issuance, rewards, slashing, epoch change):
//! what consensus engines with state in system contracts run after a block's transactions, in
//! the same way when a block is built, imported, synced or audited.

use alloy_primitives::{Address, Bytes, Log, U256};
use cairn_primitives::{BlockConsensusData, ConsensusCommitments, ValidatorSetRecord};
use cairn_storage::BlockExtras;
pub use revm::handler::SYSTEM_ADDRESS;

use crate::{BlockContext, ExecError};

/// The outcome of one protocol call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SystemCallOutcome {
    /// Committed: its return data, logs and gas.
    Success {
        /// What the call returned.
        output: Bytes,
        /// The logs it emitted.
        logs: Vec<Log>,
        /// Gas it used (not counted in the block's gas used).
        gas_used: u64,
    },
    /// Reverted or halted; nothing it did is kept.
    Failed {
        /// The revert data (a custom error), empty for a halt.
        output: Bytes,
        /// revm's account of the failure.
        reason: String,
    },
}

/// What protocol code may do to a block's state after its transactions. The caller is
/// [`SYSTEM_ADDRESS`] (EIP-4788's system address): it has no key, pays nothing and keeps no
/// nonce, so no transaction can make these calls.
pub trait SystemCaller {
    /// The block being executed.
    fn block(&self) -> &BlockContext;
    /// Priority fees the block's transactions paid its beneficiary (wei).
    fn priority_fees(&self) -> U256;
    /// Adds `amount` to `to`'s balance: issuance, not a transfer (no log, no code runs).
    fn mint(&mut self, to: Address, amount: U256) -> Result<(), ExecError>;
    /// Calls `to` with `input` from [`SYSTEM_ADDRESS`]: no fee, revm's system-call gas budget,
    /// not counted in the block's gas used, no receipt.
    fn call(&mut self, to: Address, input: Bytes) -> Result<SystemCallOutcome, ExecError>;
}

/// The protocol's part of a block after its transactions, chosen by the consensus engine for
/// the block: deterministic in the block and the parent's state.
pub trait BlockEnd {
    /// Runs the block's protocol calls.
    fn finish(&self, calls: &mut dyn SystemCaller) -> Result<EndOfBlock, ExecError>;
}

/// What the end of a block produced besides state.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct EndOfBlock {
    /// Logs the protocol calls emitted, in call order.
    pub logs: Vec<Log>,
    /// The next epoch's set, when this block ended an epoch.
    pub next_validators: Option<ValidatorSetRecord>,
    /// What the header must commit to (`None` on engines without commitments).
    pub commitments: Option<ConsensusCommitments>,
    /// What the block body carries for consensus.
    pub consensus: Option<BlockConsensusData>,
}

impl EndOfBlock {
    /// What the store keeps of it beside the block (its consensus data travels in the block).
    pub fn into_extras(self) -> BlockExtras {
        BlockExtras { next_validators: self.next_validators, system_logs: self.logs }
    }
}

/// The end of a block on engines with no protocol state (dev, BFT with a fixed set).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoBlockEnd;

impl BlockEnd for NoBlockEnd {
    fn finish(&self, _calls: &mut dyn SystemCaller) -> Result<EndOfBlock, ExecError> {
        Ok(EndOfBlock::default())
    }
}
