//! Byzantine-fault-tolerant consensus for Cairn: Malachite (Tendermint) embedded behind an
//! adapter. Validators agree on each block in rounds of propose, prevote and precommit; a
//! block is final once more than two thirds of the voting power precommit it, and that commit
//! certificate becomes the block's seal.
//!
//! ```text
//!  chain spec validators ──► ValidatorSet ──► Malachite engine (votes, proposals, value sync
//!                                               over its libp2p swarm, or over network and
//!                                               log actors the caller runs: Transport)
//!                                                  │ AppMsg
//!                                                  ▼
//!  Node (build / check / commit) ◄──────────── Driver ──► EvidenceLog (equivocations)
//!  BftConsensus::validate_header: certificate in the seal, > 2/3 of the power
//! ```
//!
//! This crate keeps Malachite's dependency tree out of crates that only need the
//! [`cairn_consensus::Consensus`] trait.

mod codec;
mod context;
mod driver;
mod engine;
mod error;
mod evidence;
mod seal;
mod signing;

pub use codec::{BorshCodec, CodecError};
pub use context::{
    BlockId, CairnContext, Height, Proposal, ProposalPart, Validator, ValidatorAddress,
    ValidatorSet, Vote,
};
pub use engine::{BftConfig, BftEngine, BftParams, Transport, start, start_with};
pub use error::BftError;
pub use evidence::EvidenceLog;
pub use malachitebft_app_channel::app::net::Multiaddr;
pub use malachitebft_app_channel::app::types::Keypair;
pub use seal::{BftConsensus, decode_seal, encode_seal, validator_set, verify_certificate};
pub use signing::{
    ConsensusPublicKey, ConsensusSignature, ConsensusSigner, ConsensusVerifier, Secp256k1,
};
