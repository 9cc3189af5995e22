//! Byzantine-fault-tolerant consensus for Cairn: Malachite (Tendermint) embedded behind an
//! adapter. Validators agree on each block in rounds of propose, prevote and precommit; a
//! block is final once more than two thirds of the voting power precommit it, and that commit
//! certificate becomes the block's seal.
//!
//! ```text
//!  chain spec validators ──► ValidatorSet ──► Malachite engine (votes, proposals, value sync
//!                                               over Cairn's consensus network, or over
//!                                               network and log actors the caller runs:
//!                                               Transport)
//!                                                  │ AppMsg
//!                                                  ▼
//!  Node (build / check / commit) ◄──────────── Driver ──► EvidenceLog (equivocations)
//!  BftConsensus (HeaderValidator): certificate in the seal, > 2/3 of the power of the
//!  set of the block's height; (ConsensusReads): validators per height, signers, evidence
//! ```
//!
//! This crate keeps Malachite's dependency tree out of crates that only need the roles of
//! `cairn_consensus`.

mod codec;
mod context;
mod driver;
mod engine;
mod error;
mod evidence;
mod evidence_pool;
mod finalized;
mod keys;
mod network;
mod peers;
mod pos;
mod schedule;
mod seal;
mod signing;
pub mod wire;

pub use codec::{BorshCodec, CodecError};
pub use context::{
    BlockId, CairnContext, Height, Proposal, ProposalPart, Validator, ValidatorAddress,
    ValidatorSet, Vote,
};
pub use engine::{BftConfig, BftEngine, BftParams, Transport, start, start_with};
pub use error::{BftError, EvidenceError, SealError};
pub use evidence::EvidenceLog;
pub use evidence_pool::{
    EvidencePool, MAX_PENDING_EVIDENCE, check_evidence_age, double_sign, evidence_hash,
    verify_equivocation,
};
pub use finalized::FinalizedCertificates;
pub use keys::{ConsensusPublicKey, ConsensusSignature, Secp256k1};
pub use malachitebft_app_channel::app::net::Multiaddr;
pub use malachitebft_app_channel::app::net::PeerId;
pub use malachitebft_app_channel::app::types::Keypair;
pub use peers::ConsensusPeers;
pub use pos::PosConsensus;
pub use schedule::ValidatorSchedule;
pub use seal::{BftConsensus, decode_seal, encode_seal, verify_certificate};
pub use signing::{ConsensusSigner, ConsensusVerifier};
