use alloy_consensus::TxEnvelope;
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bloom, Bytes, U256, keccak256};
use alloy_rlp::{Encodable, RlpDecodable, RlpEncodable};

use crate::{BlockConsensusData, ConsensusCommitments, PrimitivesError};

/// A block header. Its hash is keccak256 of its RLP, so changing any field of a stored block
/// changes its hash and breaks the `parent_hash` link from its child.
#[derive(Debug, Clone, PartialEq, Eq, Default, RlpEncodable, RlpDecodable)]
#[rlp(trailing)]
pub struct Header {
    /// Hash of the previous block; zero for genesis.
    pub parent_hash: B256,
    /// Height of this block; genesis is 0.
    pub number: u64,
    /// Seconds since the Unix epoch: what the EVM's `TIMESTAMP` opcode reads. Always
    /// `timestamp_ms / 1000`, so it never decreases but repeats when blocks come faster
    /// than one a second (as on BNB Chain since BEP-520).
    pub timestamp: u64,
    /// Milliseconds since the Unix epoch: the block's full time, strictly later than its
    /// parent's, so blocks made within one second still have an order in time.
    pub timestamp_ms: u64,
    /// The proposer, who receives priority fees.
    pub beneficiary: Address,
    /// Ethereum-style ordered trie root of the transactions.
    pub transactions_root: B256,
    /// Ethereum-style ordered trie root of the receipts.
    pub receipts_root: B256,
    /// Merkle-Patricia root of the whole state after this block.
    pub state_root: B256,
    /// Union of the blooms of all receipts.
    pub logs_bloom: Bloom,
    /// Most gas the block may use.
    pub gas_limit: u64,
    /// Gas the block's transactions used.
    pub gas_used: u64,
    /// EIP-1559 base fee per gas of this block.
    pub base_fee: u64,
    /// Free-form bytes chosen by the proposer (at most 32).
    pub extra_data: Bytes,
    /// Proof from the consensus engine that this block is agreed (empty for the dev engine).
    pub seal: Bytes,
    /// What a chain with changing validator sets commits to beyond execution; absent on dev
    /// and fixed-set BFT chains, whose headers then encode and hash exactly as before it
    /// existed.
    pub commitments: Option<ConsensusCommitments>,
    /// Proof of work: how many hashes, on average, finding this block's seal took (the seal
    /// is then the nonce); what fork choice adds up. Absent on every other engine, whose
    /// headers then encode and hash exactly as before it existed.
    pub difficulty: Option<U256>,
}

impl Header {
    /// The block hash: keccak256 of the RLP-encoded header with an empty seal. The seal is
    /// left out because it proves agreement on this very hash (a BFT commit certificate signs
    /// it), so it can only be attached afterwards; every node then names the block alike,
    /// whichever valid certificate it holds.
    pub fn hash(&self) -> B256 {
        if self.seal.is_empty() {
            return keccak256(alloy_rlp::encode(self));
        }
        let unsealed = Self { seal: Bytes::new(), ..self.clone() };
        keccak256(alloy_rlp::encode(&unsealed))
    }
}

/// Most bytes a block's transactions may take together, in their EIP-2718 encodings. Every
/// proposal and every block a peer syncs travels as one network message, so a block must stay
/// well inside those messages' limits whatever its gas limit allows (a block of zero-byte
/// calldata costs 4 gas a byte); Ethereum bounds blocks the same way since EIP-7934.
pub const MAX_BLOCK_TX_BYTES: usize = 8 * 1024 * 1024;

/// A header with its ordered transactions.
#[derive(Debug, Clone, PartialEq, Eq, Default, RlpEncodable, RlpDecodable)]
#[rlp(trailing)]
pub struct Block {
    /// The header that commits to everything below.
    pub header: Header,
    /// Transactions in execution order.
    pub transactions: Vec<TxEnvelope>,
    /// What the block carries for consensus; present on chains with changing validator sets
    /// only (absent, the block encodes as before it existed).
    pub consensus: Option<BlockConsensusData>,
}

impl Block {
    /// The block hash (the header's hash).
    pub fn hash(&self) -> B256 {
        self.header.hash()
    }

    /// The bytes its transactions take together, the measure [`MAX_BLOCK_TX_BYTES`] bounds.
    pub fn transaction_bytes(&self) -> usize {
        self.transactions.iter().map(Encodable2718::encode_2718_len).sum()
    }

    /// The transactions root as Ethereum computes it.
    pub fn compute_transactions_root(transactions: &[TxEnvelope]) -> B256 {
        alloy_consensus::proofs::calculate_transaction_root(transactions)
    }

    /// RLP bytes as stored.
    pub fn encode_to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.length());
        self.encode(&mut out);
        out
    }

    /// Decodes a block as a peer sends it, accepting only the one encoding
    /// [`Block::encode_to_vec`] writes (so trailing garbage is refused too). alloy's decoder
    /// alone is looser: it ignores the length in the string header that wraps each typed
    /// transaction (alloy-eips 2.5, `Decodable2718::network_decode`), so many byte strings
    /// would otherwise decode to one block.
    pub fn decode_bytes(bytes: &[u8]) -> Result<Self, PrimitivesError> {
        let block: Self = alloy_rlp::decode_exact(bytes)
            .map_err(|source| PrimitivesError::Rlp { what: "block", source })?;
        if block.length() != bytes.len() || block.encode_to_vec() != bytes {
            return Err(PrimitivesError::NonCanonical { what: "block" });
        }
        if let Some(consensus) = &block.consensus {
            consensus.check_bounds()?;
        }
        Ok(block)
    }
}

#[cfg(test)]
mod tests {
    use alloy_consensus::SignableTransaction as _;

    use super::*;
    use crate::MAX_LAST_COMMIT_BYTES;

    /// A block with every header field set and a 70-byte seal, as encoded before consensus
    /// data existed.
    const GOLDEN_BLOCK: &str = "f90204f90200a001010101010101010101010101010101010101010101010101010101010101012a846553f10086018bcfe5687b940202020202020202020202020202020202020202a00303030303030303030303030303030303030303030303030303030303030303a00404040404040404040404040404040404040404040404040404040404040404a00505050505050505050505050505050505050505050505050505050505050505b90100060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606060606068401c9c3808252080785636169726eb84609090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909c0";

    /// A header and block as every engine wrote them before consensus data existed: their
    /// bytes and hash must never change, or stored chains would stop verifying.
    #[test]
    fn encodings_before_consensus_data_are_unchanged() {
        let header = Header {
            parent_hash: B256::repeat_byte(1),
            number: 42,
            timestamp: 1_700_000_000,
            timestamp_ms: 1_700_000_000_123,
            beneficiary: Address::repeat_byte(2),
            transactions_root: B256::repeat_byte(3),
            receipts_root: B256::repeat_byte(4),
            state_root: B256::repeat_byte(5),
            logs_bloom: Bloom::repeat_byte(6),
            gas_limit: 30_000_000,
            gas_used: 21_000,
            base_fee: 7,
            extra_data: Bytes::from_static(b"cairn"),
            seal: Bytes::from_static(&[9; 70]),
            ..Default::default()
        };
        let block = Block { header: header.clone(), transactions: vec![], ..Default::default() };
        let bytes = block.encode_to_vec();
        // Pinned from the encoder before `commitments` and `consensus` were added.
        let golden = alloy_primitives::hex::decode(GOLDEN_BLOCK).expect("hex");
        assert_eq!(bytes, golden);
        assert_eq!(
            header.hash(),
            B256::from(alloy_primitives::hex!(
                "130a9ceda78eb5e91f99de96da15f90e3ece7185571e432e6384ea069f7722a9"
            ))
        );
        let decoded = Block::decode_bytes(&golden).expect("decodes");
        assert!(decoded.header.commitments.is_none() && decoded.consensus.is_none());
        assert_eq!(decoded, block);
    }

    #[test]
    fn consensus_data_round_trips_inside_blocks_and_is_hashed() {
        let header = Header { number: 5, ..Default::default() };
        let committed = Header {
            commitments: Some(ConsensusCommitments {
                validators_hash: B256::repeat_byte(1),
                ..Default::default()
            }),
            ..header.clone()
        };
        assert_ne!(committed.hash(), header.hash(), "commitments are inside the hash");
        let block = Block {
            header: committed,
            transactions: vec![],
            consensus: Some(BlockConsensusData {
                last_commit: Bytes::from_static(&[1, 2, 3]),
                evidence: vec![],
            }),
        };
        assert_eq!(Block::decode_bytes(&block.encode_to_vec()).expect("decodes"), block);
        let oversized = Block {
            consensus: Some(BlockConsensusData {
                last_commit: Bytes::from(vec![0u8; MAX_LAST_COMMIT_BYTES + 1]),
                evidence: vec![],
            }),
            ..block
        };
        let err = Block::decode_bytes(&oversized.encode_to_vec()).expect_err("refused");
        assert!(matches!(err, PrimitivesError::TooLarge { what: "last commit", .. }), "{err}");
    }

    #[test]
    fn any_header_change_changes_the_hash() {
        let header = Header { number: 7, gas_limit: 30_000_000, ..Default::default() };
        let mut other = header.clone();
        other.gas_used = 1;
        assert_ne!(header.hash(), other.hash());
    }

    #[test]
    fn block_round_trips_and_rejects_trailing_bytes() {
        let block = Block {
            consensus: None,
            header: Header { number: 3, ..Default::default() },
            transactions: vec![],
        };
        let mut bytes = block.encode_to_vec();
        assert_eq!(Block::decode_bytes(&bytes).expect("decodes"), block);
        bytes.push(0);
        assert!(Block::decode_bytes(&bytes).is_err());
    }

    /// Found by fuzzing (fuzz/fuzz_targets/block.rs): a typed transaction whose wrapping
    /// string header names the wrong length decoded as if it named the right one.
    #[test]
    fn refuses_a_transaction_whose_wrapper_names_another_length() {
        let signer =
            alloy_signer_local::PrivateKeySigner::from_bytes(&B256::repeat_byte(1)).expect("a key");
        let tx = alloy_consensus::TxEip1559 {
            chain_id: 1,
            gas_limit: 21_000,
            to: alloy_primitives::TxKind::Call(Address::repeat_byte(2)),
            ..Default::default()
        };
        let signature =
            alloy_signer::SignerSync::sign_hash_sync(&signer, &tx.signature_hash()).expect("signs");
        let block = Block {
            consensus: None,
            header: Header { number: 1, ..Default::default() },
            transactions: vec![TxEnvelope::Eip1559(tx.into_signed(signature))],
        };
        let mut bytes = block.encode_to_vec();
        assert_eq!(Block::decode_bytes(&bytes).expect("canonical"), block);
        // The transaction is the last item: its wrapper is `b8 <len>`, then the type byte 2.
        let typed_len = block.transactions[0].encode_2718_len();
        let wrapper = bytes.len() - typed_len - 2;
        assert_eq!(bytes[wrapper..wrapper + 3], [0xb8, typed_len as u8, 2]);
        bytes[wrapper + 1] -= 1;
        let mislabelled: Block = alloy_rlp::decode_exact(&bytes).expect("alloy accepts it");
        assert_eq!(mislabelled, block, "alloy reads it as the same block");
        let err = Block::decode_bytes(&bytes).expect_err("refused");
        assert!(matches!(err, PrimitivesError::NonCanonical { what: "block" }), "{err}");
    }
}
