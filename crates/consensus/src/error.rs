use alloy_primitives::B256;
use cairn_storage::StoreError;
use thiserror::Error;

/// Why a header breaks the chain rules: one variant per rule, with the values that broke it,
/// so import, sync and `cairn verify` can tell faults apart without reading messages.
#[derive(Debug, Error)]
pub enum ConsensusError {
    /// The header does not point at its parent.
    #[error("parent hash {got} is not the hash of block {parent_number} ({expected})")]
    ParentHash {
        /// What the header says.
        got: B256,
        /// The parent's real hash.
        expected: B256,
        /// The parent's number.
        parent_number: u64,
    },
    /// The header's number does not follow its parent's.
    #[error("block {got}: number must be {expected}")]
    Number {
        /// What the header says.
        got: u64,
        /// The parent's number plus one.
        expected: u64,
    },
    /// The header's milliseconds do not come after its parent's.
    #[error("block {number}: timestamp_ms {got} is not after the parent's {parent}")]
    TimestampOrder {
        /// The header's number.
        number: u64,
        /// Its `timestamp_ms`.
        got: u64,
        /// The parent's `timestamp_ms`.
        parent: u64,
    },
    /// The header's seconds are not the whole seconds of its milliseconds.
    #[error("block {number}: timestamp {got}, expected {expected} (timestamp_ms / 1000)")]
    TimestampSeconds {
        /// The header's number.
        number: u64,
        /// Its `timestamp`.
        got: u64,
        /// Its `timestamp_ms / 1000`.
        expected: u64,
    },
    /// The header's time runs further ahead of the checking node's clock than the spec allows.
    #[error(
        "block {number}: timestamp_ms {got} is after {latest} (the clock {now_ms} plus the allowed drift of {max_drift_ms} ms)"
    )]
    ClockDrift {
        /// The header's number.
        number: u64,
        /// Its `timestamp_ms`.
        got: u64,
        /// The latest time accepted: `now_ms + max_drift_ms`.
        latest: u64,
        /// The checking node's clock, in milliseconds.
        now_ms: u64,
        /// The spec's `max_clock_drift_ms`.
        max_drift_ms: u64,
    },
    /// The gas limit differs from the one decided for the block (the parent's, unless the
    /// chain governs it).
    #[error("block {number}: gas limit {got}, expected {expected}")]
    GasLimit {
        /// The header's number.
        number: u64,
        /// Its gas limit.
        got: u64,
        /// The one decided for it.
        expected: u64,
    },
    /// More gas used than the limit.
    #[error("block {number}: gas used {used} above the limit {limit}")]
    GasUsed {
        /// The header's number.
        number: u64,
        /// Its gas used.
        used: u64,
        /// Its gas limit.
        limit: u64,
    },
    /// The base fee is not the EIP-1559 successor of the parent's.
    #[error("block {number}: base fee {got}, expected {expected}")]
    BaseFee {
        /// The header's number.
        number: u64,
        /// Its base fee.
        got: u64,
        /// What EIP-1559 gives after the parent.
        expected: u64,
    },
    /// Too much extra data.
    #[error("block {number}: extra data of {len} bytes, at most {max}")]
    ExtraData {
        /// The header's number.
        number: u64,
        /// Its extra data's length.
        len: usize,
        /// The most allowed.
        max: usize,
    },
    /// Validator-set commitments in a header of an engine whose set never changes (dev, BFT).
    #[error(
        "block {number}: unexpected consensus commitments (this engine's validator set never changes)"
    )]
    UnexpectedCommitments {
        /// The header's number.
        number: u64,
    },
    /// Consensus data in a block of an engine that takes none (dev, BFT).
    #[error("block {number}: unexpected consensus data in the body (this engine takes none)")]
    UnexpectedConsensusData {
        /// The block's number.
        number: u64,
    },
    /// A height whose validator set is not decided yet: it lies in a later epoch than the
    /// next block's, and the set of an epoch is written by the last block of the one before.
    #[error(
        "the validator set of height {height} is not known yet (a later epoch than the next block's)"
    )]
    UnknownHeight {
        /// The height asked about.
        height: u64,
    },
    /// A validator set the engine cannot use (a key that is not a curve point, an address
    /// that is not its key's). `source` is the engine's own typed error.
    #[error("the validator set deciding heights from {first_height} is unusable: {source}")]
    UnusableSet {
        /// The first height the set decides.
        first_height: u64,
        /// What the engine found wrong.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Reading the validator sets from the store failed.
    #[error("cannot read the validator sets: {0}")]
    Store(#[from] StoreError),
    /// A seal on a block of an engine that seals with nothing (dev).
    #[error("block {number}: a seal of {len} bytes, but this engine seals with nothing")]
    UnexpectedSeal {
        /// The header's number.
        number: u64,
        /// The seal's length.
        len: usize,
    },
    /// A header whose difficulty is not the one its parent and time give (a proof-of-work
    /// block), or that carries one where the chain has no work (any other engine). An
    /// `expected` of `Some(0)` means "some difficulty": the parent has one and the header none.
    #[error("block {number}: difficulty {got:?}, expected {expected:?}")]
    Difficulty {
        /// The header's number.
        number: u64,
        /// What the header carries.
        got: Option<alloy_primitives::U256>,
        /// What the rules give.
        expected: Option<alloy_primitives::U256>,
    },
    /// A proof-of-work seal that is not an 8-byte nonce.
    #[error("block {number}: a seal of {len} bytes, but a proof-of-work seal is an 8-byte nonce")]
    NonceLength {
        /// The header's number.
        number: u64,
        /// The seal's length.
        len: usize,
    },
    /// A nonce whose work hash is above the target its difficulty sets.
    #[error("block {number}: work hash {work_hash} is above the target of difficulty {difficulty}")]
    InsufficientWork {
        /// The header's number.
        number: u64,
        /// keccak256 of the seal hash and the nonce.
        work_hash: B256,
        /// The header's difficulty.
        difficulty: alloy_primitives::U256,
    },
    /// The seal does not prove agreement. `source` is the engine's own typed error (BFT's
    /// `cairn_bft::SealError`, later others), found with `downcast_ref`: a closed list of every
    /// engine's seal faults here would tie this crate to every engine.
    #[error("block {number}: invalid seal: {source}")]
    Seal {
        /// The header's number.
        number: u64,
        /// What the engine found wrong.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A block of a chain with changing validator sets whose header does not commit to them.
    #[error(
        "block {number}: no consensus commitments (this engine's headers commit to their sets)"
    )]
    MissingCommitments {
        /// The header's number.
        number: u64,
    },
    /// The header commits to another set than the one that decides its height.
    #[error(
        "block {number}: validators_hash {got}, but the set of this height hashes to {expected}"
    )]
    ValidatorsHash {
        /// The header's number.
        number: u64,
        /// What the header says.
        got: B256,
        /// The hash of the set of its height.
        expected: B256,
    },
    /// A block of an engine whose fees belong to the protocol pays another beneficiary.
    #[error("block {number}: beneficiary {got}, expected {expected}")]
    Beneficiary {
        /// The header's number.
        number: u64,
        /// The header's beneficiary.
        got: alloy_primitives::Address,
        /// The one the engine requires.
        expected: alloy_primitives::Address,
    },
    /// A block of an engine with protocol calls that carries no consensus data.
    #[error(
        "block {number}: no consensus data in the body (this engine needs the parent's certificate)"
    )]
    MissingConsensusData {
        /// The block's number.
        number: u64,
    },
    /// A transaction whose sender the chain's account rules refuse at the block's parent
    /// state: the block is invalid.
    #[error("transaction {index} ({tx}) of block {number}: {source}")]
    NotPermitted {
        /// The block's number.
        number: u64,
        /// The transaction's position in the block.
        index: usize,
        /// The transaction's hash.
        tx: B256,
        /// Which account, and what it may not do.
        #[source]
        source: crate::NotPermitted,
    },
    /// The rules in force could not be read from the parent's state (a governed chain keeps
    /// its epochs and account rules in a contract). `source` is the reader's own typed error,
    /// as for [`ConsensusError::Seal`]: naming every reader's errors here would tie this crate
    /// to them.
    #[error("cannot read the rules in force from the parent's state: {source}")]
    RulesState {
        /// What the reader found wrong.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The parent's certificate a block carries does not prove the parent. `source` is the
    /// engine's own typed error, as for [`ConsensusError::Seal`].
    #[error("block {number}: the parent's certificate it carries is invalid: {source}")]
    LastCommit {
        /// The number of the block that carries it.
        number: u64,
        /// What the engine found wrong.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}
