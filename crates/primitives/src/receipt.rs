use alloy_consensus::{ReceiptEnvelope, TxReceipt};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bloom, Bytes, Log};
use alloy_rlp::{Encodable, RlpDecodable, RlpEncodable};

use crate::PrimitivesError;

/// The most revert data a receipt keeps: enough for any `Error(string)` a contract writes in
/// practice, while one failing transaction cannot grow the store by its whole return data.
pub const MAX_REVERT_OUTPUT: usize = 4096;

/// A transaction's receipt: Ethereum's typed receipt (status, cumulative gas, bloom, logs) plus
/// the facts clients ask for that Ethereum derives rather than stores.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
#[rlp(trailing)]
pub struct Receipt {
    /// Ethereum's receipt exactly as it enters the receipts root.
    pub envelope: ReceiptEnvelope,
    /// Gas this transaction alone used.
    pub gas_used: u64,
    /// Price per gas the sender paid (base fee plus tip).
    pub effective_gas_price: u128,
    /// Address of the contract a creation made; the zero address otherwise.
    pub contract_address: Address,
    /// What a reverted transaction returned (its first [`MAX_REVERT_OUTPUT`] bytes), so that
    /// explorers can say why it failed without replaying it; `None` when it succeeded, halted,
    /// or reverted without data. Not part of the receipts root; receipts stored before this
    /// field existed decode with `None`.
    pub revert_output: Option<Bytes>,
}

impl Receipt {
    /// Whether execution succeeded (EIP-658 status 1).
    pub fn success(&self) -> bool {
        self.envelope.status()
    }

    /// Logs in emission order.
    pub fn logs(&self) -> &[Log] {
        self.envelope.logs()
    }

    /// Bloom over this receipt's logs.
    pub fn bloom(&self) -> Bloom {
        self.envelope.bloom()
    }

    /// Why the transaction reverted, decoded from its revert data when that is an
    /// `Error(string)` or a `Panic(uint256)`.
    pub fn revert_reason(&self) -> Option<String> {
        self.revert_output.as_deref().and_then(|output| crate::revert_reason(output))
    }

    /// The created contract, if this was a successful creation.
    pub fn created(&self) -> Option<Address> {
        (self.contract_address != Address::ZERO).then_some(self.contract_address)
    }

    /// The receipts root as Ethereum computes it.
    pub fn compute_root(receipts: &[Receipt]) -> B256 {
        let envelopes: Vec<&ReceiptEnvelope> = receipts.iter().map(|r| &r.envelope).collect();
        alloy_trie::root::ordered_trie_root_with_encoder(&envelopes, |r, buf| r.encode_2718(buf))
    }

    /// Encodes a block's receipts as stored.
    pub fn encode_list(receipts: &[Receipt]) -> Vec<u8> {
        let mut out = Vec::new();
        receipts.to_vec().encode(&mut out);
        out
    }

    /// Decodes a block's stored receipts, rejecting trailing garbage.
    pub fn decode_list(bytes: &[u8]) -> Result<Vec<Receipt>, PrimitivesError> {
        alloy_rlp::decode_exact(bytes)
            .map_err(|source| PrimitivesError::Rlp { what: "receipts", source })
    }
}
