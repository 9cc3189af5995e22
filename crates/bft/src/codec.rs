//! The wire and WAL format of every consensus message: borsh, which Malachite's types derive,
//! with decode refusing trailing bytes so one message has exactly one encoding.

use borsh::{BorshDeserialize, BorshSerialize};
use bytes::Bytes;
use malachitebft_codec::{Codec, HasEncodedLen};
use malachitebft_core_consensus::{LivenessMsg, ProposedValue, SignedConsensusMsg};
use malachitebft_core_types::{
    ExtendedCommitCertificate, ExtendedCommitSignature, PolkaCertificate, Round, SignedExtension,
    ValidatorProof,
};
use malachitebft_engine::util::streaming::StreamMessage;
use malachitebft_sync::{RawDecidedValue, Request, Response, Status, ValueResponse};

use crate::context::{BlockId, CairnContext, Height, ProposalPart, ValidatorAddress};
use crate::keys::ConsensusSignature;

/// Encodes consensus, sync and WAL messages with borsh.
#[derive(Clone, Copy, Debug, Default)]
pub struct BorshCodec;

/// Why bytes do not decode into a message.
#[derive(Debug, thiserror::Error)]
#[error("malformed consensus message: {0}")]
pub struct CodecError(#[from] borsh::io::Error);

fn encode(message: &impl BorshSerialize) -> Result<Bytes, CodecError> {
    Ok(Bytes::from(borsh::to_vec(message)?))
}

fn decode<T: BorshDeserialize>(bytes: &[u8]) -> Result<T, CodecError> {
    Ok(borsh::from_slice(bytes)?)
}

macro_rules! borsh_codec {
    ($($message:ty),* $(,)?) => {$(
        impl Codec<$message> for BorshCodec {
            type Error = CodecError;

            fn decode(&self, bytes: Bytes) -> Result<$message, CodecError> {
                decode(&bytes)
            }

            fn encode(&self, message: &$message) -> Result<Bytes, CodecError> {
                encode(message)
            }
        }
    )*};
}

borsh_codec!(
    ProposalPart,
    SignedConsensusMsg<CairnContext>,
    LivenessMsg<CairnContext>,
    StreamMessage<ProposalPart>,
    ProposedValue<CairnContext>,
    PolkaCertificate<CairnContext>,
    Status<CairnContext>,
    Request<CairnContext>,
);

/// A sync response in borsh; upstream derives borsh for the response but not for the extended
/// certificate inside it, so the whole response is mirrored here field by field.
#[derive(BorshSerialize, BorshDeserialize)]
struct RawResponse {
    start_height: Height,
    values: Vec<RawValue>,
}

#[derive(BorshSerialize, BorshDeserialize)]
struct RawValue {
    value_bytes: Vec<u8>,
    height: Height,
    round: Round,
    value_id: BlockId,
    signatures: Vec<RawCommitSignature>,
}

#[derive(BorshSerialize, BorshDeserialize)]
struct RawCommitSignature {
    address: ValidatorAddress,
    signature: ConsensusSignature,
    extension: Option<SignedExtension<CairnContext>>,
}

impl From<&Response<CairnContext>> for RawResponse {
    fn from(response: &Response<CairnContext>) -> Self {
        let Response::ValueResponse(response) = response;
        let values = response
            .values
            .iter()
            .map(|value| RawValue {
                value_bytes: value.value_bytes.to_vec(),
                height: value.certificate.height,
                round: value.certificate.round,
                value_id: value.certificate.value_id,
                signatures: value
                    .certificate
                    .commit_signatures
                    .iter()
                    .map(|s| RawCommitSignature {
                        address: s.address,
                        signature: s.signature,
                        extension: s.extension.clone(),
                    })
                    .collect(),
            })
            .collect();
        Self { start_height: response.start_height, values }
    }
}

impl From<RawResponse> for Response<CairnContext> {
    fn from(raw: RawResponse) -> Self {
        let values = raw
            .values
            .into_iter()
            .map(|value| {
                let certificate = ExtendedCommitCertificate {
                    height: value.height,
                    round: value.round,
                    value_id: value.value_id,
                    commit_signatures: value
                        .signatures
                        .into_iter()
                        .map(|s| ExtendedCommitSignature::new(s.address, s.signature, s.extension))
                        .collect(),
                };
                RawDecidedValue::new(Bytes::from(value.value_bytes), certificate)
            })
            .collect();
        Response::ValueResponse(ValueResponse::new(raw.start_height, values))
    }
}

impl Codec<Response<CairnContext>> for BorshCodec {
    type Error = CodecError;

    fn decode(&self, bytes: Bytes) -> Result<Response<CairnContext>, CodecError> {
        Ok(decode::<RawResponse>(&bytes)?.into())
    }

    fn encode(&self, response: &Response<CairnContext>) -> Result<Bytes, CodecError> {
        encode(&RawResponse::from(response))
    }
}

impl HasEncodedLen<Response<CairnContext>> for BorshCodec {
    fn encoded_len(&self, response: &Response<CairnContext>) -> Result<usize, CodecError> {
        Ok(borsh::object_length(&RawResponse::from(response))?)
    }
}

/// `ValidatorProof` has no borsh derive upstream; its three fields in order.
#[derive(BorshSerialize, BorshDeserialize)]
struct RawValidatorProof {
    public_key: Vec<u8>,
    peer_id: Vec<u8>,
    signature: ConsensusSignature,
}

impl Codec<ValidatorProof<CairnContext>> for BorshCodec {
    type Error = CodecError;

    fn decode(&self, bytes: Bytes) -> Result<ValidatorProof<CairnContext>, CodecError> {
        let raw: RawValidatorProof = decode(&bytes)?;
        Ok(ValidatorProof::new(raw.public_key, raw.peer_id, raw.signature))
    }

    fn encode(&self, proof: &ValidatorProof<CairnContext>) -> Result<Bytes, CodecError> {
        encode(&RawValidatorProof {
            public_key: proof.public_key.clone(),
            peer_id: proof.peer_id.clone(),
            signature: proof.signature,
        })
    }
}
