use std::path::PathBuf;

use alloy_primitives::{Address, B256};

/// Why BFT consensus cannot start or run.
#[derive(Debug, thiserror::Error)]
pub enum BftError {
    /// A validator set (the chain spec's, or one a block recorded) has no validators.
    #[error("invalid validator set: it names no validators")]
    NoValidators,
    /// The chain spec's validators do not form a valid set (unsorted after sorting means
    /// duplicates, a zero power, a total too large).
    #[error("invalid validator set: {0}")]
    InvalidSet(#[source] cairn_primitives::PrimitivesError),
    /// A validator's public key in a validator set does not parse.
    #[error("invalid validator set: validator {address}: bad public key: {source}")]
    BadPublicKey {
        /// The validator's address in the spec.
        address: Address,
        /// Why the key was refused.
        #[source]
        source: malachitebft_signing::Error,
    },
    /// A validator's public key in a validator set belongs to another address.
    #[error("invalid validator set: validator {address}: the public key belongs to {derived}")]
    KeyMismatch {
        /// The address the spec names.
        address: Address,
        /// The address of the key it gives.
        derived: Address,
    },
    /// The validator key was made for another chain than the node runs.
    #[error("the validator key signs for chain {key}, the node runs chain {node}")]
    ChainIdMismatch {
        /// The key's chain id.
        key: u64,
        /// The node's chain id.
        node: u64,
    },
    /// A file or directory of the engine (its home, the evidence log) cannot be used.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The consensus network could not start, or has stopped.
    #[error("consensus network: {0}")]
    Network(#[from] cairn_network::NetworkError),
    /// Malachite failed to start.
    #[error("the consensus engine failed to start: {0}")]
    Start(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Why an equivocation cannot become double-sign evidence for the staking contract.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    /// A proposal equivocation without the proof-of-lock rounds its signatures cover.
    #[error("a proposal equivocation needs pol_rounds, which its signatures cover")]
    MissingPolRounds,
    /// Votes have no proof-of-lock round.
    #[error("a vote equivocation has no pol_rounds")]
    PolRoundsOnVotes,
    /// A proposal always names a block.
    #[error("a proposal names a block, not nil")]
    NilProposal,
    /// The signer is not a member of the set of the height.
    #[error("{validator} is not a validator at height {height}")]
    NotInSet {
        /// The signer named.
        validator: Address,
        /// The height.
        height: u64,
    },
    /// Both messages are the same message.
    #[error("the two messages do not conflict")]
    NotConflicting,
    /// A signature is not the validator's over its message.
    #[error("signature {index} is not the validator's over its message")]
    BadSignature {
        /// 0 for the first message, 1 for the second.
        index: usize,
    },
    /// The height has no block yet.
    #[error("height {height} is not decided yet")]
    FromTheFuture {
        /// The height named.
        height: u64,
    },
    /// The pool holds as many items as it may.
    #[error("the evidence pool is full ({limit} items wait)")]
    PoolFull {
        /// Its bound.
        limit: usize,
    },
    /// The infraction is older than the unbonding period: the stake it could slash has left,
    /// and the staking contract refuses it.
    #[error(
        "evidence from epoch {epoch} is older than the unbonding period of {unbonding_epochs} epochs (the next block is in epoch {current})"
    )]
    TooOld {
        /// The infraction's epoch.
        epoch: u64,
        /// The epoch of the next block.
        current: u64,
        /// The spec's unbonding period.
        unbonding_epochs: u64,
    },
    /// The node whose store kept the waiting evidence has shut down.
    #[error("the node's store is closed")]
    StoreClosed,
    /// The node's store failed to keep or read the waiting evidence.
    #[error("cannot keep pending evidence in the store: {source}")]
    Store {
        /// The store's failure.
        #[source]
        source: std::sync::Arc<cairn_storage::StoreError>,
    },
}

/// Why a seal does not prove that the validators agreed on a header: the typed fault that
/// `ConsensusError::Seal` carries as its source.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    /// The seal's bytes are not a borsh commit certificate.
    #[error("seal is not a commit certificate ({kind:?} after {len} bytes)")]
    Malformed {
        /// The seal's length.
        len: usize,
        /// What the decoder found.
        kind: std::io::ErrorKind,
    },
    /// A certificate of genesis, which no vote decides (block 1 carries an empty one).
    #[error("a certificate of {len} bytes for genesis, which no certificate decides")]
    OfGenesis {
        /// Its length.
        len: usize,
    },
    /// The certificate is for another height.
    #[error("certificate is for height {got}, the header is {expected}")]
    WrongHeight {
        /// The certificate's height.
        got: u64,
        /// The header's number.
        expected: u64,
    },
    /// The certificate is for another block.
    #[error("certificate is for block {got}, the header hashes to {expected}")]
    WrongBlock {
        /// The block the certificate names.
        got: B256,
        /// The header's hash.
        expected: B256,
    },
    /// The signatures are out of order or one signer appears twice.
    #[error("certificate signatures are not sorted by distinct address")]
    Unsorted,
    /// A signer is not in the validator set of the header's height.
    #[error("{signer} is not a validator at height {height}")]
    UnknownSigner {
        /// The signer.
        signer: Address,
        /// The height whose set was asked.
        height: u64,
    },
    /// A precommit signature does not verify against its validator's key for this chain.
    #[error("bad precommit signature from {signer}")]
    BadSignature {
        /// The validator it claims to be from.
        signer: Address,
    },
    /// The signers hold two thirds of the voting power or less.
    #[error("signed voting power {signed} of {total} is not above two thirds")]
    NoQuorum {
        /// The signers' power.
        signed: u64,
        /// The set's power.
        total: u64,
    },
}
