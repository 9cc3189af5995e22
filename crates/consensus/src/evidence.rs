use alloy_primitives::Address;
use serde::{Deserialize, Serialize};

/// One equivocation: two conflicting signed messages from one validator for one height and
/// round, the proof that it broke the protocol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Equivocation {
    /// The height decided when it was found.
    pub height: u64,
    /// The round of the conflicting messages.
    pub round: i64,
    /// The validator that signed both.
    pub validator: Address,
    /// `prevote`, `precommit` or `proposal`.
    pub kind: String,
    /// What the first message named (a block hash, or `nil`).
    pub first: String,
    /// The first message's signature.
    pub first_signature: String,
    /// What the conflicting message named.
    pub second: String,
    /// The conflicting message's signature.
    pub second_signature: String,
}
