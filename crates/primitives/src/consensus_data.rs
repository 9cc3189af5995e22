//! What blocks of chains with changing validator sets carry for consensus: header commitments
//! a light client can follow set changes by, and body data every node must execute alike
//! (the parent's certificate its proposer chose, double-sign evidence).

use alloy_primitives::{Address, B256, B512, Bytes};
use alloy_rlp::{RlpDecodable, RlpEncodable};

use crate::PrimitivesError;

/// Most double-sign evidence items one block may carry.
pub const MAX_EVIDENCE_PER_BLOCK: usize = 8;

/// Most bytes of the parent's certificate a block may carry (a certificate of 200 validators'
/// signatures is about 13 KiB).
pub const MAX_LAST_COMMIT_BYTES: usize = 64 * 1024;

/// What a header of a chain with changing validator sets commits to beyond execution, as
/// CometBFT's header does, so a light client can follow set changes from headers alone.
#[derive(Debug, Clone, PartialEq, Eq, Default, RlpEncodable, RlpDecodable)]
pub struct ConsensusCommitments {
    /// Hash of the set that signs this block.
    pub validators_hash: B256,
    /// Hash of the set that signs the next block (differs at an epoch's last block).
    pub next_validators_hash: B256,
    /// keccak256 of the body's `last_commit` bytes.
    pub last_commit_hash: B256,
    /// keccak256 of the RLP of the body's evidence list.
    pub evidence_hash: B256,
    /// keccak256 of the RLP of the logs the block's protocol calls emitted.
    pub system_logs_hash: B256,
}

/// What a block body carries for consensus besides transactions. It is an input of the
/// block's protocol calls (who signed the parent earns rewards, evidence gets slashed), so it
/// travels with the block: each node's own certificate of the parent may hold a different
/// subset of signatures and cannot be the input.
#[derive(Debug, Clone, PartialEq, Eq, Default, RlpEncodable, RlpDecodable)]
pub struct BlockConsensusData {
    /// The parent's commit certificate chosen by this block's proposer (a seal's encoding);
    /// empty for block 1.
    pub last_commit: Bytes,
    /// Double-sign evidence to act on, at most [`MAX_EVIDENCE_PER_BLOCK`] items.
    pub evidence: Vec<DoubleSign>,
}

impl BlockConsensusData {
    /// Refuses data larger than any honest proposer makes, before anything reads it.
    pub fn check_bounds(&self) -> Result<(), PrimitivesError> {
        if self.last_commit.len() > MAX_LAST_COMMIT_BYTES {
            return Err(PrimitivesError::TooLarge {
                what: "last commit",
                size: self.last_commit.len(),
                max: MAX_LAST_COMMIT_BYTES,
            });
        }
        if self.evidence.len() > MAX_EVIDENCE_PER_BLOCK {
            return Err(PrimitivesError::TooLarge {
                what: "evidence list",
                size: self.evidence.len(),
                max: MAX_EVIDENCE_PER_BLOCK,
            });
        }
        Ok(())
    }
}

/// Two conflicting signed consensus messages of one validator for one height and round.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct DoubleSign {
    /// 0 prevote, 1 precommit, 2 proposal.
    pub kind: u8,
    /// The height both messages are for.
    pub height: u64,
    /// The round both messages are for.
    pub round: u32,
    /// The consensus address of the signer.
    pub validator: Address,
    /// The epoch of `height`, whose set the signer belonged to.
    pub epoch: u64,
    /// One message.
    pub first: SignedValue,
    /// The other, conflicting message.
    pub second: SignedValue,
}

/// One signed vote or proposal as evidence carries it.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct SignedValue {
    /// The value voted for or proposed; zero with `nil`.
    pub value: B256,
    /// A vote for nothing (votes only).
    pub nil: bool,
    /// Proposals: 0 for no proof-of-lock round, `r + 1` for round `r`; votes: 0.
    pub pol_round: u64,
    /// The signature's `(r, s)`.
    pub signature: B512,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence() -> DoubleSign {
        let signed = |byte| SignedValue {
            value: B256::repeat_byte(byte),
            nil: false,
            pol_round: 0,
            signature: B512::repeat_byte(byte),
        };
        DoubleSign {
            kind: 1,
            height: 41,
            round: 0,
            validator: Address::repeat_byte(9),
            epoch: 2,
            first: signed(1),
            second: SignedValue { nil: true, value: B256::ZERO, ..signed(2) },
        }
    }

    #[test]
    fn consensus_data_round_trips() {
        let data = BlockConsensusData {
            last_commit: Bytes::from(vec![7u8; 100]),
            evidence: vec![evidence(), evidence()],
        };
        let bytes = alloy_rlp::encode(&data);
        assert_eq!(alloy_rlp::decode_exact::<BlockConsensusData>(&bytes).expect("decodes"), data);
        let commitments = ConsensusCommitments {
            validators_hash: B256::repeat_byte(1),
            next_validators_hash: B256::repeat_byte(2),
            ..Default::default()
        };
        let bytes = alloy_rlp::encode(&commitments);
        assert_eq!(
            alloy_rlp::decode_exact::<ConsensusCommitments>(&bytes).expect("decodes"),
            commitments
        );
    }

    #[test]
    fn oversized_consensus_data_is_refused() {
        let mut data = BlockConsensusData {
            last_commit: Bytes::from(vec![0u8; MAX_LAST_COMMIT_BYTES]),
            evidence: vec![evidence(); MAX_EVIDENCE_PER_BLOCK],
        };
        data.check_bounds().expect("at the bounds");
        data.evidence.push(evidence());
        assert!(data.check_bounds().is_err());
        data.evidence.pop();
        data.last_commit = Bytes::from(vec![0u8; MAX_LAST_COMMIT_BYTES + 1]);
        assert!(data.check_bounds().is_err());
    }
}
