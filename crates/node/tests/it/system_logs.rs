//! A block's system logs (what its protocol calls emitted) follow its transaction logs in the
//! one log scan, under a transaction hash that no transaction has.

use std::ops::ControlFlow;

use alloy_primitives::{B256, Bytes, Log, TxKind, U256};
use alloy_rpc_types_eth::Filter;
use cairn_node::logs::{BlockLog, system_logs_tx_hash};
use cairn_primitives::{Header, STAKING_ADDRESS};
use cairn_reads::ChainReader as _;

use crate::contract::{call_data, deploy};
use crate::support::{Chain, PROPOSER, eip1559, sign};

fn staking_log(topic: u8) -> Log {
    Log::new_unchecked(STAKING_ADDRESS, vec![B256::repeat_byte(topic)], Bytes::from(vec![topic]))
}

/// Commits the next block from the pool carrying `logs` as its protocol calls' logs, folded
/// into its bloom if `in_bloom` (as execution does). No engine makes protocol calls yet.
fn commit_with_system_logs(chain: &Chain, logs: Vec<Log>, in_bloom: bool) -> Header {
    let mut candidate = chain.node.build_candidate(PROPOSER).unwrap();
    if in_bloom {
        for log in &logs {
            candidate.block.header.logs_bloom.accrue_log(log);
        }
    }
    candidate.extras.system_logs = logs;
    chain.node.commit_candidate(candidate).unwrap()
}

fn scan(chain: &Chain, filter: &Filter, from: u64, to: u64, skip: u64) -> Vec<BlockLog> {
    let mut found = Vec::new();
    let view = chain.node.view().unwrap();
    view.logs(filter, from, to, skip, &mut |log| {
        found.push(log);
        ControlFlow::Continue(())
    })
    .unwrap();
    found
}

#[test]
fn system_logs_follow_the_transaction_logs_under_a_synthetic_hash() {
    let chain = Chain::new();
    let counter = deploy(&chain, 0);
    let increment =
        eip1559(1, TxKind::Call(counter), U256::ZERO, call_data("increment()", None), 200_000);
    let sent = chain.submit(&sign(chain.key(0), increment)).unwrap();
    let header = commit_with_system_logs(&chain, vec![staking_log(1), staking_log(2)], true);
    let number = header.number;
    let synthetic = system_logs_tx_hash(header.hash());

    let all = scan(&chain, &Filter::new(), number, number, 0);
    assert_eq!(all.len(), 3);
    assert_eq!((all[0].tx_hash, all[0].tx_index, all[0].log_index), (sent, 0, 0));
    assert_eq!(all[0].log.address, counter);
    for (i, log) in all[1..].iter().enumerate() {
        assert_eq!(log.log, staking_log(i as u8 + 1));
        assert_eq!((log.tx_hash, log.tx_index, log.log_index), (synthetic, 1, i as u64 + 1));
        assert_eq!((log.block_number, log.block_hash), (number, header.hash()));
        assert_eq!(log.block_timestamp, header.timestamp);
    }
    assert_ne!(synthetic, sent);
    assert!(chain.node.transaction(synthetic).unwrap().is_none(), "no transaction has it");

    let by_address = scan(&chain, &Filter::new().address(STAKING_ADDRESS), 0, number, 0);
    assert_eq!(by_address, all[1..].to_vec());
    let by_topic = scan(&chain, &Filter::new().event_signature(B256::repeat_byte(2)), 0, number, 0);
    assert_eq!(by_topic, all[2..].to_vec());
    // A page that stopped after the block's second log resumes at its third.
    assert_eq!(scan(&chain, &Filter::new(), number, number, 2), all[2..].to_vec());
}

#[test]
fn a_block_whose_bloom_rules_the_filter_out_is_not_read() {
    let chain = Chain::new();
    let hidden = commit_with_system_logs(&chain, vec![staking_log(1)], false);
    let shown = commit_with_system_logs(&chain, vec![staking_log(1)], true);
    let found = scan(&chain, &Filter::new().address(STAKING_ADDRESS), 1, shown.number, 0);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].block_number, shown.number);
    // Without an address or topic the bloom rules nothing out.
    let unfiltered = scan(&chain, &Filter::new(), hidden.number, hidden.number, 0);
    assert_eq!(unfiltered.len(), 1);
}
