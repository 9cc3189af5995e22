use thiserror::Error;

/// Why a chain spec or a stored value could not be read.
#[derive(Debug, Error)]
pub enum PrimitivesError {
    /// The chain spec file is not valid JSON or TOML for a [`crate::ChainSpec`].
    #[error("invalid chain spec: {reason}")]
    Spec {
        /// What the parser said.
        reason: String,
    },
    /// Bytes that should hold an RLP value do not.
    #[error("invalid {what} encoding: {source}")]
    Rlp {
        /// Which kind of value was being decoded.
        what: &'static str,
        /// The decoder's error.
        source: alloy_rlp::Error,
    },
    /// Bytes that decode, but are not the one encoding of what they decode to.
    #[error("{what} is not in its canonical encoding")]
    NonCanonical {
        /// Which kind of value was being decoded.
        what: &'static str,
    },
    /// A part of a block is larger than any honest proposer makes it.
    #[error("{what} too large: {size} over the limit of {max}")]
    TooLarge {
        /// Which part.
        what: &'static str,
        /// Its size (bytes or items).
        size: usize,
        /// The limit.
        max: usize,
    },
    /// A validator set breaks a rule every engine relies on.
    #[error("invalid validator set: {reason}")]
    ValidatorSet {
        /// Which rule.
        reason: &'static str,
    },
    /// A share in a spec is not a decimal between 0 and 1 with at most four decimals.
    #[error("{text:?} is not a ratio between 0 and 1 with at most four decimals (e.g. \"0.05\")")]
    Ratio {
        /// What the spec said.
        text: String,
    },
    /// The development mnemonic could not produce a key (never expected; reported, not panicked).
    #[error("cannot derive development key {index}: {reason}")]
    DevKey {
        /// The derivation index.
        index: u32,
        /// What the signer library said.
        reason: String,
    },
    /// A compiled contract artifact (`contracts/out/<Name>.json`) does not parse.
    #[error("invalid contract artifact: {0}")]
    Artifact(serde_json::Error),
}
