//! The vocabulary every Cairn crate shares: blocks, headers, receipts and the chain spec.
//!
//! ```text
//!  ChainSpec ──genesis──► Block 0 ──parent_hash──► Block 1 ──► …
//!                          │
//!                          └─ Header { roots, gas, base fee, seal } ── keccak256(rlp) = block hash
//! ```
//!
//! Transactions and receipts are Ethereum's own types from alloy, so that wallets and tools
//! recognise everything Cairn stores; this crate adds only what Ethereum does not define
//! (the consensus seal, the chain spec).

mod artifact;
mod block;
mod clock;
mod consensus_data;
mod dev;
mod error;
mod fees;
mod governance;
mod pow;
mod receipt;
mod revert;
mod spec;
mod staking;
#[cfg(feature = "test-utils")]
pub mod test_utils;
mod validators;

pub use alloy_consensus::{Signed, TxEnvelope, TxType};
pub use alloy_primitives::{Address, B256, Bloom, Bytes, Log, U256, keccak256};
pub use artifact::ContractArtifact;
pub use block::{Block, Header, MAX_BLOCK_TX_BYTES};
pub use clock::{Clock, SystemClock};
pub use consensus_data::{
    BlockConsensusData, ConsensusCommitments, DoubleSign, MAX_EVIDENCE_PER_BLOCK,
    MAX_LAST_COMMIT_BYTES, SignedValue,
};
pub use dev::{DEV_MNEMONIC, DevAccount, dev_accounts};
pub use error::PrimitivesError;
pub use fees::next_base_fee;
pub use governance::{
    GOVERNANCE_ADDRESS, GovernanceSpec, MAX_ADMINS, MAX_GOVERNED_BLOCK_TIME_MS,
    MAX_GOVERNED_BLOCKS, MAX_GOVERNED_VALIDATORS, MAX_MEMBERS, MAX_NAME_BYTES, MAX_NODES,
    MAX_ORGANISATIONS, NodeSpec, OrganisationSpec, is_peer_id,
};
pub use pow::{MAX_CONFIRMATIONS, PowParams};
pub use receipt::{MAX_REVERT_OUTPUT, Receipt};
pub use revert::{custom_error_text, revert_reason};
pub use spec::{ChainSpec, ConsensusKind, GenesisAccount, GenesisValidator, NetworkKind};
pub use staking::{Ratio, STAKING_ADDRESS, StakingParams};
pub use validators::{MAX_TOTAL_POWER, SetMember, ValidatorSetRecord};
