use std::fmt;
use std::str::FromStr;

use alloy_primitives::{Address, B256, B512};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One equivocation: two conflicting signed messages from one validator for one height and
/// round, the proof that it broke the protocol. Typed so that slashing (issue 17) can re-check
/// both signatures: with the chain id, each message is rebuilt from these fields alone.
///
/// Its JSON is the evidence log's line format and `cairn_getEvidence`'s answer: field names
/// and value spellings (`"prevote"`, `"nil"`, 0x hex) are the ones written before these fields
/// were typed, so old logs still load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Equivocation {
    /// The height decided when it was found.
    pub height: u64,
    /// The round of the conflicting messages.
    pub round: u32,
    /// The validator that signed both.
    pub validator: Address,
    /// Which kind of message it signed twice.
    pub kind: EquivocationKind,
    /// What the first message named.
    pub first: VotedFor,
    /// The first message's signature: 64 bytes, (r, s).
    pub first_signature: B512,
    /// What the conflicting message named.
    pub second: VotedFor,
    /// The conflicting message's signature.
    pub second_signature: B512,
    /// For proposals, each one's proof-of-lock round (`None`: no lock), which its signature
    /// also covers; absent for votes and in records written before it was kept, which then
    /// cannot be re-verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pol_rounds: Option<(Option<u32>, Option<u32>)>,
}

/// The kind of message signed twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EquivocationKind {
    /// Two proposals for one height and round.
    Proposal,
    /// Two prevotes.
    Prevote,
    /// Two precommits.
    Precommit,
}

impl fmt::Display for EquivocationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Proposal => "proposal",
            Self::Prevote => "prevote",
            Self::Precommit => "precommit",
        })
    }
}

/// What a signed message named: no block (a nil vote) or one block by hash. In JSON, `"nil"`
/// or the hash in 0x hex.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VotedFor {
    /// A vote for no block.
    Nil,
    /// A block, by hash.
    Block(B256),
}

impl fmt::Display for VotedFor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Nil => f.write_str("nil"),
            Self::Block(hash) => write!(f, "{hash}"),
        }
    }
}

impl FromStr for VotedFor {
    type Err = alloy_primitives::hex::FromHexError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "nil" => Ok(Self::Nil),
            hash => Ok(Self::Block(hash.parse()?)),
        }
    }
}

impl Serialize for VotedFor {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for VotedFor {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voted_for_reads_back_what_it_writes() {
        for value in [VotedFor::Nil, VotedFor::Block(B256::repeat_byte(0xab))] {
            let json = serde_json::to_string(&value).expect("json");
            assert_eq!(serde_json::from_str::<VotedFor>(&json).expect("parse"), value);
        }
        assert_eq!(serde_json::to_string(&VotedFor::Nil).expect("json"), r#""nil""#);
        assert!(serde_json::from_str::<VotedFor>(r#""0x12""#).is_err());
        assert!(serde_json::from_str::<VotedFor>(r#""none""#).is_err());
    }
}
