//! Answers to peers' requests, read from one snapshot of the chain.

use alloy_primitives::B256;
use alloy_rlp::Encodable;
use cairn_primitives::{Block, Header};
use cairn_storage::{KvRead, Snapshot, StoreError};

use crate::wire::{BlockId, MAX_HEADERS, Request, Response};

/// The answer to `request`, at most about `max_bytes` long.
pub(crate) fn answer<R: KvRead>(
    snapshot: &Snapshot<R>,
    request: &Request,
    max_bytes: usize,
) -> Result<Response, StoreError> {
    Ok(match request {
        Request::Headers { locator } => Response::Headers(headers_after(snapshot, locator)?),
        Request::Blocks { wanted } => Response::Blocks(blocks(snapshot, wanted, max_bytes)?),
    })
}

/// The canonical headers after the first locator hash that is canonical here; none when no
/// locator hash is (another chain, or a peer with nothing in common).
fn headers_after<R: KvRead>(
    snapshot: &Snapshot<R>,
    locator: &[B256],
) -> Result<Vec<Header>, StoreError> {
    let mut from = None;
    for hash in locator {
        if let Some(number) = snapshot.block_number(*hash)? {
            from = Some(number);
            break;
        }
    }
    let Some(from) = from else { return Ok(Vec::new()) };
    let head = snapshot.head()?.number;
    let last = head.min(from.saturating_add(MAX_HEADERS as u64));
    let mut headers = Vec::with_capacity((last - from) as usize);
    for number in from + 1..=last {
        match snapshot.header(number)? {
            Some(header) => headers.push(header),
            None => break,
        }
    }
    Ok(headers)
}

/// The wanted blocks this node has (canonical or side), in order, up to the first it lacks
/// and within `max_bytes` (always at least one it has).
fn blocks<R: KvRead>(
    snapshot: &Snapshot<R>,
    wanted: &[BlockId],
    max_bytes: usize,
) -> Result<Vec<Block>, StoreError> {
    let mut blocks = Vec::with_capacity(wanted.len());
    let mut bytes = 0usize;
    for id in wanted {
        let block = if snapshot.block_number(id.hash)? == Some(id.number) {
            snapshot.block(id.number)?
        } else {
            snapshot.side_block(id.number, id.hash)?
        };
        let Some(block) = block else { break };
        bytes = bytes.saturating_add(block.length());
        if bytes > max_bytes && !blocks.is_empty() {
            break;
        }
        blocks.push(block);
    }
    Ok(blocks)
}

/// The locator of a chain whose head is `head`: its hash, the nine before it, then back in
/// doubling steps, ending with genesis.
pub(crate) fn locator<R: KvRead>(snapshot: &Snapshot<R>) -> Result<Vec<B256>, StoreError> {
    let head = snapshot.head()?.number;
    let mut numbers = Vec::new();
    let (mut number, mut step) = (head, 1u64);
    loop {
        numbers.push(number);
        if number == 0 || numbers.len() == crate::wire::MAX_LOCATOR - 1 {
            break;
        }
        if numbers.len() >= 10 {
            step = step.saturating_mul(2);
        }
        number = number.saturating_sub(step);
    }
    if numbers.last() != Some(&0) {
        numbers.push(0);
    }
    let mut hashes = Vec::with_capacity(numbers.len());
    for number in numbers {
        if let Some(header) = snapshot.header(number)? {
            hashes.push(header.hash());
        }
    }
    Ok(hashes)
}
