//! Transactions as gossip peers deliver them: a burst of raw payloads, each within the
//! network's size limit, admitted together by `Node::submit_raw_batch` as the node's gossip
//! task does, against a development chain's state. Each payload gets exactly one verdict; an
//! admitted one is pooled under the hash gossip names its message by (keccak-256 of the
//! payload).
//!
//! Input: payloads, each behind a two-byte big-endian length (the last one may run to the
//! end of the input).

#![no_main]

use std::sync::{Arc, OnceLock};

use alloy_primitives::keccak256;
use cairn_fuzz::chain::{call, deploy_counter, genesis_node, keys, transfer};
use cairn_network::DEFAULT_MAX_TX_BYTES;
use cairn_node::{Node, Origin};
use cairn_storage::MemoryKv;
use libfuzzer_sys::fuzz_target;

fn node() -> &'static Arc<Node<MemoryKv>> {
    static NODE: OnceLock<Arc<Node<MemoryKv>>> = OnceLock::new();
    NODE.get_or_init(genesis_node)
}

fn split(mut data: &[u8]) -> Vec<&[u8]> {
    let mut payloads = Vec::new();
    while let [high, low, rest @ ..] = data {
        let len = usize::from(u16::from_be_bytes([*high, *low])).min(rest.len());
        let (payload, tail) = rest.split_at(len);
        payloads.push(payload);
        data = tail;
    }
    payloads
}

fuzz_target!(init: cairn_fuzz::seeds::offer("gossip", seeds), |data: &[u8]| {
    // The network drops oversized payloads before the node sees them.
    let payloads: Vec<&[u8]> =
        split(data).into_iter().filter(|p| p.len() <= DEFAULT_MAX_TX_BYTES).collect();
    let verdicts = node().submit_raw_batch(&payloads, Origin::Peer).expect("the store in memory");
    assert_eq!(verdicts.len(), payloads.len(), "one verdict per gossiped payload");
    for (payload, verdict) in payloads.iter().zip(verdicts) {
        match verdict {
            Ok(hash) => {
                assert_eq!(hash, keccak256(payload), "admitted under another hash than its id");
                assert!(node().pooled(hash).is_some(), "admitted but not pooled");
            }
            // Whether the peer is blamed must be decidable for every refusal.
            Err(e) => {
                let _ = e.is_invalid_everywhere();
            }
        }
    }
});

fn framed(payloads: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for payload in payloads {
        out.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        out.extend_from_slice(payload);
    }
    out
}

/// Bursts of valid transactions from funded development accounts: one, several senders,
/// one sender's consecutive nonces, a duplicate, and a creation followed by a call.
fn seeds() -> Vec<Vec<u8>> {
    let counter = keys()[8].address().create(0);
    vec![
        framed(&[transfer(1, 0, 2, 1)]),
        framed(&(0..6).map(|i| transfer(i, 0, 9, 1)).collect::<Vec<_>>()),
        framed(&(0..4).map(|nonce| transfer(7, nonce, 6, 1)).collect::<Vec<_>>()),
        framed(&[transfer(3, 0, 4, 1), transfer(3, 0, 4, 1)]),
        framed(&[deploy_counter(8, 0, 3), call(8, 1, counter, "increment()")]),
    ]
}
