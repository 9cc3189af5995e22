//! Consensus key material: secp256k1 ECDSA over keccak256 digests (k256), so a validator's
//! consensus key is an ordinary Ethereum key kept in an encrypted V3 keystore. Held apart from
//! the messages that are signed (`context`) and the signing (`signing`), which both use it.

use std::fmt;

use alloy_primitives::{Address, B256, keccak256};
use borsh::{BorshDeserialize, BorshSerialize};
use k256::ecdsa::signature::hazmat::PrehashVerifier;
use k256::ecdsa::{Signature as K256Signature, SigningKey, VerifyingKey};
use malachitebft_core_types as mt;
use malachitebft_signing::Error as SigningError;

/// Malachite's signing scheme for Cairn: secp256k1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Secp256k1;

/// A 64-byte (r, s) ECDSA signature.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConsensusSignature(pub [u8; 64]);

impl fmt::Debug for ConsensusSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", alloy_primitives::hex::encode(self.0))
    }
}

impl BorshSerialize for ConsensusSignature {
    fn serialize<W: borsh::io::Write>(&self, writer: &mut W) -> borsh::io::Result<()> {
        writer.write_all(&self.0)
    }
}

impl BorshDeserialize for ConsensusSignature {
    fn deserialize_reader<R: borsh::io::Read>(reader: &mut R) -> borsh::io::Result<Self> {
        Ok(Self(<[u8; 64]>::deserialize_reader(reader)?))
    }
}

/// A validator's consensus public key (SEC1 compressed, 33 bytes).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConsensusPublicKey(pub [u8; 33]);

impl fmt::Debug for ConsensusPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", alloy_primitives::hex::encode(self.0))
    }
}

impl ConsensusPublicKey {
    /// Parses a compressed or uncompressed SEC1 key, refusing points not on the curve.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, SigningError> {
        let key = VerifyingKey::from_sec1_bytes(bytes).map_err(SigningError::from_source)?;
        Ok(Self::from_verifying_key(&key))
    }

    /// The public key of a secret consensus key.
    pub fn of(key: &SigningKey) -> Self {
        Self::from_verifying_key(key.verifying_key())
    }

    fn from_verifying_key(key: &VerifyingKey) -> Self {
        let point = key.to_encoded_point(true);
        let mut bytes = [0u8; 33];
        bytes.copy_from_slice(point.as_bytes());
        Self(bytes)
    }

    fn verifying_key(&self) -> Result<VerifyingKey, SigningError> {
        VerifyingKey::from_sec1_bytes(&self.0).map_err(SigningError::from_source)
    }

    /// The Ethereum address of this key, which names the validator.
    pub fn address(&self) -> Result<Address, SigningError> {
        Ok(Address::from_public_key(&self.verifying_key()?))
    }

    /// Whether `signature` is this key's signature of `digest`.
    pub fn verify(&self, digest: B256, signature: &ConsensusSignature) -> bool {
        let Ok(key) = self.verifying_key() else { return false };
        let Ok(signature) = K256Signature::from_slice(&signature.0) else { return false };
        key.verify_prehash(digest.as_slice(), &signature).is_ok()
    }
}

impl BorshSerialize for ConsensusPublicKey {
    fn serialize<W: borsh::io::Write>(&self, writer: &mut W) -> borsh::io::Result<()> {
        writer.write_all(&self.0)
    }
}

impl BorshDeserialize for ConsensusPublicKey {
    fn deserialize_reader<R: borsh::io::Read>(reader: &mut R) -> borsh::io::Result<Self> {
        Ok(Self(<[u8; 33]>::deserialize_reader(reader)?))
    }
}

/// A signature or key that does not decode.
#[derive(Debug, thiserror::Error)]
#[error("invalid consensus key material: {0}")]
pub struct DecodingError(String);

impl mt::SigningScheme for Secp256k1 {
    type DecodingError = DecodingError;
    type Signature = ConsensusSignature;
    type PublicKey = ConsensusPublicKey;
    type PrivateKey = SigningKey;

    fn decode_signature(bytes: &[u8]) -> Result<ConsensusSignature, DecodingError> {
        let array: [u8; 64] = bytes
            .try_into()
            .map_err(|_| DecodingError(format!("{} signature bytes", bytes.len())))?;
        Ok(ConsensusSignature(array))
    }

    fn encode_signature(signature: &ConsensusSignature) -> Vec<u8> {
        signature.0.to_vec()
    }

    fn decode_public_key(bytes: &[u8]) -> Result<ConsensusPublicKey, DecodingError> {
        ConsensusPublicKey::from_slice(bytes).map_err(|e| DecodingError(e.to_string()))
    }

    fn encode_public_key(public_key: &ConsensusPublicKey) -> Vec<u8> {
        public_key.0.to_vec()
    }
}

/// keccak256 of a domain tag, the chain id (8 bytes, big-endian) and the borsh encoding of
/// `content`: the digest every consensus signature covers, so a signature for one kind of
/// message never verifies as another, nor on another chain run by the same keys.
pub(crate) fn domain_hash(domain: &[u8], chain_id: u64, content: &impl BorshSerialize) -> B256 {
    let mut bytes = domain.to_vec();
    bytes.extend_from_slice(&chain_id.to_be_bytes());
    // Writing into a Vec cannot fail.
    let _ = content.serialize(&mut bytes);
    keccak256(bytes)
}
