//! Byte layouts of keys and of the records only the store reads.

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_rlp::{Decodable, RlpDecodable, RlpEncodable};

use crate::StoreError;

pub(crate) const HEAD_KEY: &[u8] = b"head";
pub(crate) const CHAIN_ID_KEY: &[u8] = b"chain_id";

pub(crate) fn number_key(number: u64) -> [u8; 8] {
    number.to_be_bytes()
}

/// The key of a block off the canonical chain: its number, then its hash, so the side blocks
/// of one height are one prefix scan.
pub(crate) fn side_block_key(number: u64, hash: B256) -> [u8; 40] {
    let mut key = [0u8; 40];
    key[..8].copy_from_slice(&number.to_be_bytes());
    key[8..].copy_from_slice(hash.as_slice());
    key
}

/// The key of the validator set deciding heights from `first_height` on: inverted, so the
/// newest record at or below a height sorts first from that height's key.
pub(crate) fn validator_set_key(first_height: u64) -> [u8; 8] {
    number_key(u64::MAX - first_height)
}

pub(crate) fn decode_number(bytes: &[u8]) -> Result<u64, StoreError> {
    let array: [u8; 8] =
        bytes.try_into().map_err(|_| StoreError::corrupt("block number", "not 8 bytes"))?;
    Ok(u64::from_be_bytes(array))
}

pub(crate) fn storage_key(address: Address, slot: U256) -> [u8; 52] {
    let mut key = [0u8; 52];
    key[..20].copy_from_slice(address.as_slice());
    key[20..].copy_from_slice(&slot.to_be_bytes::<32>());
    key
}

pub(crate) fn split_storage_key(key: &[u8]) -> Result<(Address, U256), StoreError> {
    if key.len() != 52 {
        return Err(StoreError::corrupt("storage key", "not 52 bytes"));
    }
    Ok((Address::from_slice(&key[..20]), U256::from_be_slice(&key[20..])))
}

pub(crate) fn decode_u256(bytes: &[u8]) -> Result<U256, StoreError> {
    if bytes.len() != 32 {
        return Err(StoreError::corrupt("storage value", "not 32 bytes"));
    }
    Ok(U256::from_be_slice(bytes))
}

pub(crate) fn tx_location(block: u64, index: u32) -> [u8; 12] {
    let mut out = [0u8; 12];
    out[..8].copy_from_slice(&block.to_be_bytes());
    out[8..].copy_from_slice(&index.to_be_bytes());
    out
}

/// The address took part as the sender.
pub(crate) const ADDRESS_SENT: u8 = 1;
/// The address took part as the recipient (or as the contract a creation made).
pub(crate) const ADDRESS_RECEIVED: u8 = 2;

/// Key of the account history index: the address, then the block number and transaction
/// index inverted, so a forward scan of one address's entries runs newest first.
pub(crate) fn address_tx_key(address: Address, block: u64, index: u32) -> [u8; 32] {
    let mut key = [0u8; 32];
    key[..20].copy_from_slice(address.as_slice());
    key[20..28].copy_from_slice(&(!block).to_be_bytes());
    key[28..].copy_from_slice(&(!index).to_be_bytes());
    key
}

/// The block number and transaction index of an account history key.
pub(crate) fn split_address_tx_key(key: &[u8]) -> Result<(u64, u32), StoreError> {
    if key.len() != 32 {
        return Err(StoreError::corrupt("account history key", "not 32 bytes"));
    }
    let block = !decode_number(&key[20..28])?;
    let index = !u32::from_be_bytes([key[28], key[29], key[30], key[31]]);
    Ok((block, index))
}

/// Decodes an RLP value that must fill `bytes` exactly.
pub(crate) fn decode_exact<T: Decodable>(
    what: &'static str,
    bytes: &[u8],
) -> Result<T, StoreError> {
    alloy_rlp::decode_exact(bytes).map_err(|e| StoreError::corrupt(what, e))
}

/// What one block overwrote: the previous encoding of every account it changed (empty if the
/// account did not exist) and the previous value of every slot (zero if unset).
#[derive(Debug, Clone, Default, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub(crate) struct ChangeSet {
    pub(crate) accounts: Vec<AccountPrev>,
    pub(crate) storage: Vec<SlotPrev>,
}

#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub(crate) struct AccountPrev {
    pub(crate) address: Address,
    pub(crate) prev: Bytes,
}

#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub(crate) struct SlotPrev {
    pub(crate) address: Address,
    pub(crate) slot: B256,
    pub(crate) prev: U256,
}
