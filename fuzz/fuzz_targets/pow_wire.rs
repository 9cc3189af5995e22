//! What proof-of-work peers send: tips, gossiped blocks, sync requests and responses
//! (`cairn_pow::wire`). Nothing panics or allocates beyond the input's size; whatever decodes
//! encodes to bytes that decode to the same message, and no list is longer than the protocol
//! allows.
//!
//! Input: a selector byte (0 tip, 1 block, 2 request, 3 response), then the message.

#![no_main]

use alloy_primitives::{B256, U256};
use cairn_fuzz::seeds::tagged;
use cairn_pow::wire::{
    self, BlockId, MAX_BLOCKS, MAX_HEADERS, MAX_LOCATOR, Request, Response, Tip,
};
use cairn_primitives::{Block, Header};
use libfuzzer_sys::fuzz_target;

fuzz_target!(init: cairn_fuzz::seeds::offer("pow_wire", seeds), |data: &[u8]| {
    let [selector, message @ ..] = data else { return };
    match selector % 4 {
        0 => {
            if let Ok(tip) = Tip::decode_from(message) {
                assert_eq!(Tip::decode_from(&tip.encode_to_vec()).expect("re-decodes"), tip);
            }
        }
        1 => {
            if let Ok(block) = wire::decode_block(message) {
                let again = wire::decode_block(&wire::encode_block(&block)).expect("re-decodes");
                assert_eq!(again, block);
            }
        }
        2 => {
            if let Ok(request) = Request::decode(message) {
                match &request {
                    Request::Headers { locator } => assert!(locator.len() <= MAX_LOCATOR),
                    Request::Blocks { wanted } => assert!(wanted.len() <= MAX_BLOCKS),
                }
                assert_eq!(Request::decode(&request.encode()).expect("re-decodes"), request);
            }
        }
        _ => {
            if let Ok(response) = Response::decode(message) {
                match &response {
                    Response::Headers(headers) => assert!(headers.len() <= MAX_HEADERS),
                    Response::Blocks(blocks) => assert!(blocks.len() <= MAX_BLOCKS),
                }
                assert_eq!(Response::decode(&response.encode()).expect("re-decodes"), response);
            }
        }
    }
});

/// One message of each kind, as a node sends it.
fn seeds() -> Vec<Vec<u8>> {
    let header = |number: u64| Header {
        number,
        difficulty: Some(U256::from(64u64 + number)),
        ..Header::default()
    };
    let block = Block { header: header(3), ..Block::default() };
    let tip = Tip {
        genesis: B256::repeat_byte(1),
        number: 3,
        hash: block.hash(),
        total_difficulty: U256::from(201u64),
    };
    vec![
        tagged(0, &tip.encode_to_vec()),
        tagged(1, &wire::encode_block(&block)),
        tagged(2, &Request::Headers { locator: vec![block.hash(), B256::ZERO] }.encode()),
        tagged(
            2,
            &Request::Blocks { wanted: vec![BlockId { number: 3, hash: block.hash() }] }.encode(),
        ),
        tagged(3, &Response::Headers(vec![header(1), header(2)]).encode()),
        tagged(3, &Response::Blocks(vec![block]).encode()),
    ]
}
