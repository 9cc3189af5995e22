//! Consensus, sync and WAL messages as BFT peers send them (borsh, `BorshCodec`), and header
//! seals (commit certificates). Every message that decodes must re-encode to the very bytes
//! (the codec promises one encoding per message); signatures in it are then checked against
//! a four-validator set, the blocks it carries are decoded as the driver decodes them, and a
//! seal is verified against a header.
//!
//! Input: a selector byte (which message type), then the message's bytes.

#![no_main]

use std::future::Future;
use std::pin::pin;
use std::sync::OnceLock;
use std::task::{Context as TaskContext, Poll, Waker};

use alloy_primitives::{Address, B256};
use bytes::Bytes;
use cairn_bft::{
    BlockId, BorshCodec, CairnContext, ConsensusSigner, ConsensusVerifier, Height, Proposal,
    ProposalPart, Validator, ValidatorAddress, ValidatorSet, Vote, decode_seal, encode_seal,
    verify_certificate,
};
use cairn_fuzz::chain::transfer;
use cairn_fuzz::seeds::tagged;
use cairn_primitives::{Block, Header};
use k256::ecdsa::SigningKey;
use libfuzzer_sys::fuzz_target;
use malachitebft_codec::Codec;
use malachitebft_core_consensus::{LivenessMsg, ProposedValue, SignedConsensusMsg};
use malachitebft_core_types::{
    CommitCertificate, CommitSignature, ExtendedCommitCertificate, ExtendedCommitSignature,
    NilOrVal, PolkaCertificate, PolkaSignature, Round, RoundCertificate, RoundCertificateType,
    RoundSignature, SignedMessage, ValidatorProof, ValidatorSet as _, Validity, VoteType,
};
use malachitebft_engine::util::streaming::{StreamContent, StreamId, StreamMessage};
use malachitebft_signing::{Signer as _, Verifier as _};
use malachitebft_sync::{
    PeerId, RawDecidedValue, Request, Response, Status, ValueRequest, ValueResponse,
};

type Ctx = CairnContext;

const CHAIN_ID: u64 = 4242;

/// Four validators of power 1, keys 0x01…01 to 0x04…04.
fn signers() -> &'static [ConsensusSigner] {
    static SIGNERS: OnceLock<Vec<ConsensusSigner>> = OnceLock::new();
    SIGNERS.get_or_init(|| {
        (1u8..=4)
            .map(|i| {
                let key = SigningKey::from_slice(&[i; 32]).expect("a valid secret key");
                ConsensusSigner::new(key, CHAIN_ID)
            })
            .collect()
    })
}

fn validators() -> &'static ValidatorSet {
    static SET: OnceLock<ValidatorSet> = OnceLock::new();
    SET.get_or_init(|| {
        ValidatorSet::new(
            signers()
                .iter()
                .map(|s| Validator {
                    address: s.address(),
                    public_key: s.public_key(),
                    voting_power: 1,
                })
                .collect(),
        )
    })
}

/// The header the seeds' seals certify.
fn sealed_header() -> Header {
    Header {
        number: 5,
        parent_hash: B256::repeat_byte(9),
        gas_limit: 30_000_000,
        ..Default::default()
    }
}

/// Runs a future that never waits (the verifier and signer do no I/O).
fn now<T>(future: impl Future<Output = T>) -> T {
    match pin!(future).poll(&mut TaskContext::from_waker(Waker::noop())) {
        Poll::Ready(value) => value,
        Poll::Pending => panic!("a signature check waited"),
    }
}

/// Decodes `bytes` and checks they are the message's one encoding.
fn canonical<T>(bytes: &Bytes) -> Option<T>
where
    BorshCodec: Codec<T>,
{
    let message = Codec::<T>::decode(&BorshCodec, bytes.clone()).ok()?;
    let encoded = Codec::<T>::encode(&BorshCodec, &message).expect("encoding into memory");
    assert_eq!(encoded, *bytes, "a message decodes from a non-canonical encoding");
    Some(message)
}

/// Whether `signature` is a validator's over `digest`; false for an unknown address.
fn signed_by(
    address: &ValidatorAddress,
    digest: B256,
    signature: &cairn_bft::ConsensusSignature,
) -> bool {
    validators().get_by_address(address).is_some_and(|v| v.public_key.verify(digest, signature))
}

/// A proposed or synced block, decoded as the BFT driver decodes it (the block target
/// fuzzes what happens to it next).
fn proposed_block(bytes: &[u8]) {
    if let Ok(block) = Block::decode_bytes(bytes) {
        let _ = block.hash();
    }
}

fn vote_digest(vote: &Vote) -> B256 {
    vote.signing_hash(CHAIN_ID)
}

fuzz_target!(init: cairn_fuzz::seeds::offer("consensus", seeds), |data: &[u8]| {
    let Some((&tag, rest)) = data.split_first() else { return };
    let bytes = Bytes::copy_from_slice(rest);
    match tag % 11 {
        0 => {
            if let Some(part) = canonical::<ProposalPart>(&bytes) {
                proposed_block(&part.block);
            }
        }
        1 => match canonical::<SignedConsensusMsg<Ctx>>(&bytes) {
            Some(SignedConsensusMsg::Vote(vote)) => {
                let _ = signed_by(&vote.validator_address, vote_digest(&vote), &vote.signature);
                let _ = now(ConsensusVerifier::new(CHAIN_ID).verify_signed_vote(
                    &vote.message,
                    &vote.signature,
                    &signers()[0].public_key(),
                ));
            }
            Some(SignedConsensusMsg::Proposal(proposal)) => {
                let digest = proposal.signing_hash(CHAIN_ID);
                let _ = signed_by(&proposal.validator_address, digest, &proposal.signature);
            }
            None => {}
        },
        2 => {
            let _ = canonical::<LivenessMsg<Ctx>>(&bytes);
        }
        3 => {
            if let Some(message) = canonical::<StreamMessage<ProposalPart>>(&bytes)
                && let StreamContent::Data(part) = message.content
            {
                proposed_block(&part.block);
            }
        }
        4 => {
            let _ = canonical::<ProposedValue<Ctx>>(&bytes);
        }
        5 => {
            if let Some(polka) = canonical::<PolkaCertificate<Ctx>>(&bytes) {
                for signature in &polka.polka_signatures {
                    let vote = Vote::new(
                        VoteType::Prevote,
                        polka.height,
                        polka.round,
                        NilOrVal::Val(polka.value_id),
                        signature.address,
                    );
                    let _ = signed_by(&signature.address, vote_digest(&vote), &signature.signature);
                }
            }
        }
        6 => {
            let _ = canonical::<Status<Ctx>>(&bytes);
        }
        7 => {
            let _ = canonical::<Request<Ctx>>(&bytes);
        }
        8 => {
            if let Some(Response::ValueResponse(response)) = canonical::<Response<Ctx>>(&bytes) {
                for value in &response.values {
                    proposed_block(&value.value_bytes);
                }
            }
        }
        9 => {
            if let Some(proof) = canonical::<ValidatorProof<Ctx>>(&bytes) {
                let _ = now(ConsensusVerifier::new(CHAIN_ID).verify_validator_proof(&proof));
            }
        }
        _ => {
            let Ok(certificate) = decode_seal(&bytes) else { return };
            if verify_certificate(CHAIN_ID, validators(), &sealed_header(), &certificate).is_ok() {
                // A seal that verifies is the one encoding a node writes into a header.
                assert_eq!(encode_seal(&certificate), bytes, "a valid seal is not canonical");
            }
        }
    }
});

fn encode<T>(message: &T) -> Vec<u8>
where
    BorshCodec: Codec<T>,
{
    Codec::<T>::encode(&BorshCodec, message).expect("encoding into memory").to_vec()
}

fn signed_vote(
    signer: &ConsensusSigner,
    vote_type: VoteType,
    value: NilOrVal<BlockId>,
) -> SignedMessage<Ctx, Vote> {
    let vote = Vote::new(vote_type, Height(5), Round::new(0), value, signer.address());
    now(signer.sign_vote(vote)).expect("signing")
}

/// One valid message of each kind, signed by the validators, and seals by three and by all
/// four of them.
fn seeds() -> Vec<Vec<u8>> {
    let header = sealed_header();
    let value_id = BlockId(header.hash());
    let block = Block {
        header: Header { number: 5, gas_limit: 30_000_000, ..Default::default() },
        transactions: vec![
            alloy_eips::eip2718::Decodable2718::decode_2718(&mut transfer(1, 0, 2, 1).as_slice())
                .expect("a transaction"),
        ],
        consensus: None,
    }
    .encode_to_vec();
    let part = ProposalPart {
        height: Height(5),
        round: Round::new(0),
        pol_round: Round::Nil,
        proposer: signers()[0].address(),
        block: block.clone(),
    };
    let proposal = Proposal {
        height: Height(5),
        round: Round::new(1),
        value: value_id,
        pol_round: Round::new(0),
        validator_address: signers()[1].address(),
    };
    let proposal = now(signers()[1].sign_proposal(proposal)).expect("signing");
    let prevote = signed_vote(&signers()[2], VoteType::Prevote, NilOrVal::Val(value_id));
    let nil = signed_vote(&signers()[3], VoteType::Precommit, NilOrVal::Nil);
    let polka = PolkaCertificate {
        height: Height(5),
        round: Round::new(0),
        value_id,
        polka_signatures: signers()
            .iter()
            .map(|s| {
                let vote = signed_vote(s, VoteType::Prevote, NilOrVal::Val(value_id));
                PolkaSignature::new(s.address(), vote.signature)
            })
            .collect(),
    };
    let skip = RoundCertificate {
        height: Height(5),
        round: Round::new(2),
        cert_type: RoundCertificateType::Skip,
        round_signatures: vec![RoundSignature::new(
            VoteType::Precommit,
            NilOrVal::Nil,
            nil.validator_address,
            nil.signature,
        )],
    };
    let commits: Vec<SignedMessage<Ctx, Vote>> = signers()
        .iter()
        .map(|s| signed_vote(s, VoteType::Precommit, NilOrVal::Val(value_id)))
        .collect();
    let certificate = |by: usize| {
        let signatures =
            commits[..by].iter().map(|v| CommitSignature::new(v.validator_address, v.signature));
        CommitCertificate::<Ctx> {
            height: Height(5),
            round: Round::new(0),
            value_id,
            commit_signatures: signatures.collect(),
        }
    };
    let extended = ExtendedCommitCertificate {
        height: Height(5),
        round: Round::new(0),
        value_id,
        commit_signatures: commits
            .iter()
            .map(|v| ExtendedCommitSignature::new(v.validator_address, v.signature, None))
            .collect(),
    };
    let peer = cairn_bft::Keypair::ed25519_from_bytes([7u8; 32]).expect("an ed25519 key");
    let peer_id = peer.public().to_peer_id().to_bytes();
    let status = Status::<Ctx> {
        peer_id: PeerId::from_bytes(&peer_id).expect("a peer id"),
        tip_height: Height(9),
        history_min_height: Height(1),
    };
    let proof =
        now(signers()[0].sign_validator_proof(signers()[0].public_key().0.to_vec(), peer_id))
            .expect("signing");
    let stream = StreamId::new(Bytes::from_static(&[0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 1]));
    vec![
        tagged(0, &encode(&part)),
        tagged(1, &encode(&SignedConsensusMsg::<Ctx>::Proposal(proposal))),
        tagged(1, &encode(&SignedConsensusMsg::<Ctx>::Vote(prevote.clone()))),
        tagged(2, &encode(&LivenessMsg::<Ctx>::Vote(nil))),
        tagged(2, &encode(&LivenessMsg::<Ctx>::PolkaCertificate(polka.clone()))),
        tagged(2, &encode(&LivenessMsg::<Ctx>::SkipRoundCertificate(skip))),
        tagged(3, &encode(&StreamMessage::new(stream.clone(), 0, StreamContent::Data(part)))),
        tagged(3, &encode(&StreamMessage::<ProposalPart>::new(stream, 1, StreamContent::Fin))),
        tagged(
            4,
            &encode(&ProposedValue::<Ctx> {
                height: Height(5),
                round: Round::new(0),
                valid_round: Round::Nil,
                proposer: signers()[0].address(),
                value: value_id,
                validity: Validity::Valid,
            }),
        ),
        tagged(5, &encode(&polka)),
        tagged(6, &encode(&status)),
        tagged(7, &encode(&Request::<Ctx>::ValueRequest(ValueRequest::new(Height(3)..=Height(9))))),
        tagged(
            8,
            &encode(&Response::<Ctx>::ValueResponse(ValueResponse::new(
                Height(5),
                vec![RawDecidedValue::new(Bytes::from(block), extended)],
            ))),
        ),
        tagged(9, &encode(&proof)),
        tagged(10, &encode_seal(&certificate(3))),
        tagged(10, &encode_seal(&certificate(4))),
        tagged(10, &encode_seal(&certificate(1))),
        tagged(
            10,
            &encode_seal(&CommitCertificate { value_id: BlockId(B256::ZERO), ..certificate(4) }),
        ),
    ]
    .into_iter()
    .chain(std::iter::once(tagged(10, Address::ZERO.as_slice())))
    .collect()
}
