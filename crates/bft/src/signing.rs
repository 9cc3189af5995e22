//! Signing and checking consensus messages: what each signature covers (votes, proposals,
//! vote extensions, validator proofs, each bound to its chain) and the validator's signer.

use std::fmt;

use alloy_primitives::{Address, B256};
use async_trait::async_trait;
use borsh::BorshSerialize;
use k256::ecdsa::signature::hazmat::PrehashSigner;
use k256::ecdsa::{Signature as K256Signature, SigningKey};
use malachitebft_core_types::{self as mt, SignedMessage, ValidatorProof, VoteExtensionScope};
use malachitebft_signing::{Error as SigningError, Signer, VerificationResult, Verifier};

use crate::context::{BlockId, CairnContext, Height, Proposal, ValidatorAddress, Vote};
use crate::keys::{ConsensusPublicKey, ConsensusSignature, domain_hash};

/// The scope of a vote extension, as signed.
#[derive(BorshSerialize)]
struct ExtensionContent<'a> {
    height: &'a Height,
    round: &'a mt::Round,
    value_id: &'a BlockId,
    validator_address: &'a ValidatorAddress,
    extension: &'a [u8],
}

fn extension_hash(
    chain_id: u64,
    scope: &VoteExtensionScope<CairnContext>,
    extension: &[u8],
) -> B256 {
    let content = ExtensionContent {
        height: &scope.height,
        round: &scope.round,
        value_id: &scope.value_id,
        validator_address: &scope.validator_address,
        extension,
    };
    domain_hash(b"cairn/vote-extension/2", chain_id, &content)
}

fn validator_proof_hash(chain_id: u64, public_key: &[u8], peer_id: &[u8]) -> B256 {
    let bytes = ValidatorProof::<CairnContext>::signing_bytes(public_key, peer_id);
    domain_hash(b"cairn/validator-proof/2", chain_id, &bytes)
}

/// Checks consensus signatures made for one chain; holds no secret, so full nodes run it too.
#[derive(Clone, Copy, Debug)]
pub struct ConsensusVerifier {
    chain_id: u64,
}

impl ConsensusVerifier {
    /// A verifier that accepts only signatures made for the chain `chain_id`.
    pub fn new(chain_id: u64) -> Self {
        Self { chain_id }
    }
}

fn verdict(valid: bool) -> Result<VerificationResult, SigningError> {
    Ok(VerificationResult::from_bool(valid))
}

#[async_trait]
impl Verifier<CairnContext> for ConsensusVerifier {
    async fn verify_signed_vote(
        &self,
        vote: &Vote,
        signature: &ConsensusSignature,
        public_key: &ConsensusPublicKey,
    ) -> Result<VerificationResult, SigningError> {
        verdict(public_key.verify(vote.signing_hash(self.chain_id), signature))
    }

    async fn verify_signed_proposal(
        &self,
        proposal: &Proposal,
        signature: &ConsensusSignature,
        public_key: &ConsensusPublicKey,
    ) -> Result<VerificationResult, SigningError> {
        verdict(public_key.verify(proposal.signing_hash(self.chain_id), signature))
    }

    async fn verify_signed_vote_extension(
        &self,
        scope: &VoteExtensionScope<CairnContext>,
        extension: &Vec<u8>,
        signature: &ConsensusSignature,
        public_key: &ConsensusPublicKey,
    ) -> Result<VerificationResult, SigningError> {
        verdict(public_key.verify(extension_hash(self.chain_id, scope, extension), signature))
    }

    async fn verify_validator_proof(
        &self,
        proof: &ValidatorProof<CairnContext>,
    ) -> Result<VerificationResult, SigningError> {
        let Ok(key) = ConsensusPublicKey::from_slice(&proof.public_key) else {
            return verdict(false);
        };
        let digest = validator_proof_hash(self.chain_id, &proof.public_key, &proof.peer_id);
        verdict(key.verify(digest, &proof.signature))
    }
}

/// A validator's signing key and the chain its signatures are for.
#[derive(Clone)]
pub struct ConsensusSigner {
    key: SigningKey,
    chain_id: u64,
}

impl fmt::Debug for ConsensusSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsensusSigner")
            .field("public_key", &self.public_key())
            .field("chain_id", &self.chain_id)
            .finish()
    }
}

impl ConsensusSigner {
    /// A signer from a secp256k1 secret key, signing for the chain `chain_id` only.
    pub fn new(key: SigningKey, chain_id: u64) -> Self {
        Self { key, chain_id }
    }

    /// The chain its signatures are for.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// Its public key.
    pub fn public_key(&self) -> ConsensusPublicKey {
        ConsensusPublicKey::of(&self.key)
    }

    /// Its validator address.
    pub fn address(&self) -> ValidatorAddress {
        ValidatorAddress(Address::from_public_key(self.key.verifying_key()))
    }

    /// Signs a 32-byte digest.
    pub fn sign_digest(&self, digest: B256) -> Result<ConsensusSignature, SigningError> {
        let signature: K256Signature =
            self.key.sign_prehash(digest.as_slice()).map_err(SigningError::from_source)?;
        let mut bytes = [0u8; 64];
        bytes.copy_from_slice(&signature.to_bytes());
        Ok(ConsensusSignature(bytes))
    }
}

#[async_trait]
impl Signer<CairnContext> for ConsensusSigner {
    async fn sign_vote(
        &self,
        vote: Vote,
    ) -> Result<SignedMessage<CairnContext, Vote>, SigningError> {
        let signature = self.sign_digest(vote.signing_hash(self.chain_id))?;
        Ok(SignedMessage::new(vote, signature))
    }

    async fn sign_proposal(
        &self,
        proposal: Proposal,
    ) -> Result<SignedMessage<CairnContext, Proposal>, SigningError> {
        let signature = self.sign_digest(proposal.signing_hash(self.chain_id))?;
        Ok(SignedMessage::new(proposal, signature))
    }

    async fn sign_vote_extension(
        &self,
        scope: VoteExtensionScope<CairnContext>,
        extension: Vec<u8>,
    ) -> Result<SignedMessage<CairnContext, Vec<u8>>, SigningError> {
        let signature = self.sign_digest(extension_hash(self.chain_id, &scope, &extension))?;
        Ok(SignedMessage::new(extension, signature))
    }

    async fn sign_validator_proof(
        &self,
        public_key: Vec<u8>,
        peer_id: Vec<u8>,
    ) -> Result<ValidatorProof<CairnContext>, SigningError> {
        let signature =
            self.sign_digest(validator_proof_hash(self.chain_id, &public_key, &peer_id))?;
        Ok(ValidatorProof::new(public_key, peer_id, signature))
    }
}

#[cfg(test)]
mod tests {
    use malachitebft_core_types::{NilOrVal, Round, VoteType};

    use super::*;

    const CHAIN_A: u64 = 1001;
    const CHAIN_B: u64 = 1002;

    fn key() -> SigningKey {
        SigningKey::from_slice(&[3u8; 32]).expect("key")
    }

    fn precommit(address: ValidatorAddress) -> Vote {
        Vote::new(
            VoteType::Precommit,
            Height(4),
            Round::new(0),
            NilOrVal::Val(BlockId(B256::repeat_byte(5))),
            address,
        )
    }

    #[tokio::test]
    async fn a_vote_signed_for_chain_a_does_not_verify_on_chain_b() {
        let signer = ConsensusSigner::new(key(), CHAIN_A);
        let signed = signer.sign_vote(precommit(signer.address())).await.expect("sign");
        for (chain_id, valid) in [(CHAIN_A, true), (CHAIN_B, false)] {
            let verdict = ConsensusVerifier::new(chain_id)
                .verify_signed_vote(&signed.message, &signed.signature, &signer.public_key())
                .await
                .expect("verify");
            assert_eq!(verdict.is_valid(), valid, "vote on chain {chain_id}");
        }
    }

    #[tokio::test]
    async fn proposals_and_validator_proofs_are_bound_to_their_chain() {
        let signer = ConsensusSigner::new(key(), CHAIN_A);
        let proposal = Proposal {
            height: Height(4),
            round: Round::new(1),
            value: BlockId(B256::repeat_byte(5)),
            pol_round: Round::Nil,
            validator_address: signer.address(),
        };
        let signed = signer.sign_proposal(proposal).await.expect("sign");
        let proof = signer
            .sign_validator_proof(signer.public_key().0.to_vec(), b"peer".to_vec())
            .await
            .expect("sign");
        for (chain_id, valid) in [(CHAIN_A, true), (CHAIN_B, false)] {
            let verifier = ConsensusVerifier::new(chain_id);
            let verdict = verifier
                .verify_signed_proposal(&signed.message, &signed.signature, &signer.public_key())
                .await
                .expect("verify");
            assert_eq!(verdict.is_valid(), valid, "proposal on chain {chain_id}");
            let verdict = verifier.verify_validator_proof(&proof).await.expect("verify");
            assert_eq!(verdict.is_valid(), valid, "validator proof on chain {chain_id}");
        }
    }
}
