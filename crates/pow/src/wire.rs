//! What proof-of-work nodes say to each other, in RLP: a tip on the tips channel, a block on
//! the blocks channel, and requests for headers (after a locator) and blocks (by number and
//! hash) with their responses. Every decoder takes outside bytes: it refuses trailing bytes
//! and lists longer than a request may ask for.

use alloy_primitives::{B256, U256};
use alloy_rlp::{Decodable, Encodable, RlpDecodable, RlpEncodable};
use cairn_primitives::{Block, Header};

use crate::PowNetError;

/// Most headers one response carries.
pub const MAX_HEADERS: usize = 192;
/// Most blocks one request asks for.
pub const MAX_BLOCKS: usize = 128;
/// Most hashes in a locator: the head, then back in doubling steps to genesis.
pub const MAX_LOCATOR: usize = 64;

/// A node's head and the work behind it, published on every new head and every few seconds.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct Tip {
    /// The chain it is on, named by its genesis block.
    pub genesis: B256,
    /// The head's number.
    pub number: u64,
    /// The head's hash.
    pub hash: B256,
    /// The total difficulty of the chain ending in the head.
    pub total_difficulty: U256,
}

/// One block, named by number and hash (canonical or not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct BlockId {
    /// Its height.
    pub number: u64,
    /// Its hash.
    pub hash: B256,
}

/// What a node asks a peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Up to [`MAX_HEADERS`] headers of the peer's canonical chain, from the one after the
    /// first locator hash the peer has on it.
    Headers {
        /// Hashes of the asker's chain, newest first.
        locator: Vec<B256>,
    },
    /// These blocks, in order, as far as the peer has them.
    Blocks {
        /// At most [`MAX_BLOCKS`].
        wanted: Vec<BlockId>,
    },
}

/// What a peer answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// Consecutive canonical headers, oldest first.
    Headers(Vec<Header>),
    /// The blocks asked for, in the order asked, until the first one it lacks.
    Blocks(Vec<Block>),
}

const HEADERS: u8 = 0;
const BLOCKS: u8 = 1;

impl Request {
    /// The request's bytes: a kind byte, then its list.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Self::Headers { locator } => tagged(HEADERS, locator),
            Self::Blocks { wanted } => tagged(BLOCKS, wanted),
        }
    }

    /// Reads a peer's request.
    pub fn decode(bytes: &[u8]) -> Result<Self, PowNetError> {
        let (kind, mut body) = bytes.split_first().ok_or(PowNetError::Empty)?;
        let request = match *kind {
            HEADERS => Self::Headers { locator: list(&mut body, MAX_LOCATOR)? },
            BLOCKS => Self::Blocks { wanted: list(&mut body, MAX_BLOCKS)? },
            kind => return Err(PowNetError::UnknownKind { kind }),
        };
        finished(body)?;
        Ok(request)
    }
}

impl Response {
    /// The response's bytes: a kind byte, then its list.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Self::Headers(headers) => tagged(HEADERS, headers),
            Self::Blocks(blocks) => tagged(BLOCKS, blocks),
        }
    }

    /// Reads a peer's response.
    pub fn decode(bytes: &[u8]) -> Result<Self, PowNetError> {
        let (kind, mut body) = bytes.split_first().ok_or(PowNetError::Empty)?;
        let response = match *kind {
            HEADERS => Self::Headers(list(&mut body, MAX_HEADERS)?),
            BLOCKS => Self::Blocks(list(&mut body, MAX_BLOCKS)?),
            kind => return Err(PowNetError::UnknownKind { kind }),
        };
        finished(body)?;
        Ok(response)
    }
}

/// A block's bytes on the blocks channel.
pub fn encode_block(block: &Block) -> Vec<u8> {
    alloy_rlp::encode(block)
}

/// Reads a block from the blocks channel.
pub fn decode_block(mut bytes: &[u8]) -> Result<Block, PowNetError> {
    let block = Block::decode(&mut bytes)?;
    finished(bytes)?;
    Ok(block)
}

impl Tip {
    /// The tip's bytes on the tips channel.
    pub fn encode_to_vec(&self) -> Vec<u8> {
        alloy_rlp::encode(self)
    }

    /// Reads a tip from the tips channel.
    pub fn decode_from(mut bytes: &[u8]) -> Result<Self, PowNetError> {
        let tip = Self::decode(&mut bytes)?;
        finished(bytes)?;
        Ok(tip)
    }
}

fn tagged<T: Encodable>(kind: u8, items: &[T]) -> Vec<u8> {
    let mut out = vec![kind];
    alloy_rlp::encode_list::<T, T>(items, &mut out);
    out
}

/// A list of at most `max` items; the length is checked on the list's header before any item
/// is decoded.
fn list<T: Decodable>(body: &mut &[u8], max: usize) -> Result<Vec<T>, PowNetError> {
    let header = alloy_rlp::Header::decode(body)?;
    if !header.list {
        return Err(alloy_rlp::Error::UnexpectedString.into());
    }
    let (mut items, rest) =
        body.split_at_checked(header.payload_length).ok_or(alloy_rlp::Error::InputTooShort)?;
    *body = rest;
    let mut decoded = Vec::new();
    while !items.is_empty() {
        if decoded.len() == max {
            return Err(PowNetError::TooMany { max });
        }
        decoded.push(T::decode(&mut items)?);
    }
    Ok(decoded)
}

fn finished(rest: &[u8]) -> Result<(), PowNetError> {
    if rest.is_empty() { Ok(()) } else { Err(PowNetError::Trailing { bytes: rest.len() }) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(number: u64) -> Header {
        Header { number, difficulty: Some(U256::from(1000 + number)), ..Header::default() }
    }

    #[test]
    fn every_message_reads_back_as_written() {
        let tip = Tip {
            genesis: B256::repeat_byte(1),
            number: 7,
            hash: B256::repeat_byte(2),
            total_difficulty: U256::from(123_456),
        };
        assert_eq!(Tip::decode_from(&tip.encode_to_vec()).expect("tip"), tip);
        let requests = [
            Request::Headers { locator: vec![B256::repeat_byte(3), B256::ZERO] },
            Request::Blocks { wanted: vec![BlockId { number: 4, hash: B256::repeat_byte(4) }] },
            Request::Headers { locator: Vec::new() },
        ];
        for request in requests {
            assert_eq!(Request::decode(&request.encode()).expect("request"), request);
        }
        let block = Block { header: header(5), ..Block::default() };
        let responses =
            [Response::Headers(vec![header(1), header(2)]), Response::Blocks(vec![block.clone()])];
        for response in responses {
            assert_eq!(Response::decode(&response.encode()).expect("response"), response);
        }
        assert_eq!(decode_block(&encode_block(&block)).expect("block"), block);
    }

    #[test]
    fn bad_bytes_are_refused() {
        assert!(matches!(Request::decode(&[]), Err(PowNetError::Empty)));
        assert!(matches!(Request::decode(&[9, 0xc0]), Err(PowNetError::UnknownKind { kind: 9 })));
        let mut trailing = Request::Headers { locator: Vec::new() }.encode();
        trailing.push(0);
        assert!(matches!(Request::decode(&trailing), Err(PowNetError::Trailing { bytes: 1 })));
        let too_long = Request::Headers { locator: vec![B256::ZERO; MAX_LOCATOR + 1] }.encode();
        assert!(matches!(Request::decode(&too_long), Err(PowNetError::TooMany { .. })));
        let too_many = Response::Headers(vec![header(1); MAX_HEADERS + 1]).encode();
        assert!(matches!(Response::decode(&too_many), Err(PowNetError::TooMany { .. })));
        let mut cut = Response::Headers(vec![header(1)]).encode();
        cut.truncate(cut.len() - 3);
        assert!(matches!(Response::decode(&cut), Err(PowNetError::Rlp(_))));
        assert!(matches!(decode_block(&[0xc1, 0x80]), Err(PowNetError::Rlp(_))));
    }
}
