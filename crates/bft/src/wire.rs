//! Consensus messages as bytes on a network, and the events the engine's actors get for bytes
//! a peer sent: what every network actor (libp2p's, the in-process test network's) shares.

use bytes::Bytes;
use malachitebft_codec::Codec;
use malachitebft_core_consensus::{LivenessMsg, SignedConsensusMsg};
use malachitebft_engine::network::NetworkEvent;
use malachitebft_engine::util::streaming::StreamMessage;
use malachitebft_sync::{self as sync, InboundRequestId, OutboundRequestId};

use malachitebft_network::PeerId;

use crate::codec::{BorshCodec, CodecError};
use crate::context::{CairnContext, ProposalPart};

/// A node's sync status as it is gossiped: its head, signed for by `peer`, the network identity
/// that publishes it.
pub fn encode_status(
    peer: PeerId,
    status: &malachitebft_engine::network::Status<CairnContext>,
) -> Result<Bytes, CodecError> {
    BorshCodec.encode(&sync::Status::<CairnContext> {
        peer_id: peer,
        tip_height: status.tip_height,
        history_min_height: status.history_min_height,
    })
}

/// A vote or proposal from `from`.
pub fn consensus_event(
    from: PeerId,
    bytes: Bytes,
) -> Result<NetworkEvent<CairnContext>, CodecError> {
    Ok(match BorshCodec.decode(bytes)? {
        SignedConsensusMsg::Vote(vote) => NetworkEvent::Vote(from, vote),
        SignedConsensusMsg::Proposal(proposal) => NetworkEvent::Proposal(from, proposal),
    })
}

/// A liveness message (a rebroadcast vote or a round certificate) from `from`.
pub fn liveness_event(
    from: PeerId,
    bytes: Bytes,
) -> Result<NetworkEvent<CairnContext>, CodecError> {
    Ok(match BorshCodec.decode(bytes)? {
        LivenessMsg::Vote(vote) => NetworkEvent::Vote(from, vote),
        LivenessMsg::PolkaCertificate(c) => NetworkEvent::PolkaCertificate(from, c),
        LivenessMsg::SkipRoundCertificate(c) => NetworkEvent::RoundCertificate(from, c),
    })
}

/// A part of a proposal's stream, published by `from`.
pub fn proposal_part_event(
    from: PeerId,
    bytes: Bytes,
) -> Result<NetworkEvent<CairnContext>, CodecError> {
    let part: StreamMessage<ProposalPart> = BorshCodec.decode(bytes)?;
    Ok(NetworkEvent::ProposalPart(from, Some(from), part))
}

/// A status `from` published; `None` when it names another peer (only a peer's own status
/// tells whom to ask for blocks).
pub fn status_event(
    from: PeerId,
    bytes: Bytes,
) -> Result<Option<NetworkEvent<CairnContext>>, CodecError> {
    let status: sync::Status<CairnContext> = BorshCodec.decode(bytes)?;
    Ok((status.peer_id == from).then(|| {
        NetworkEvent::Status(
            from,
            malachitebft_engine::network::Status::new(status.tip_height, status.history_min_height),
        )
    }))
}

/// A sync request `from` sent, to be answered under `id`.
pub fn request_event(
    id: InboundRequestId,
    from: PeerId,
    bytes: Bytes,
) -> Result<NetworkEvent<CairnContext>, CodecError> {
    Ok(NetworkEvent::SyncRequest(id, from, BorshCodec.decode(bytes)?))
}

/// `from`'s answer to the request `id`; an undecodable answer is reported as no answer, so
/// sync asks someone else.
pub fn response_event(
    id: OutboundRequestId,
    from: PeerId,
    bytes: Bytes,
) -> NetworkEvent<CairnContext> {
    NetworkEvent::SyncResponse(id, from, BorshCodec.decode(bytes).ok())
}
