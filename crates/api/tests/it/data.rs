//! Account history, events and the mempool: what they list, in which order, and their pages.

use alloy_primitives::{Address, B256, Bytes, TxKind, keccak256};
use cairn_node::logs::system_logs_tx_hash;
use cairn_primitives::STAKING_ADDRESS;
use cairn_primitives::test_utils::{signed_call, signed_transfer};
use serde_json::Value;

use crate::pagination::walk;
use crate::{Harness, harness, key, staking_log, transfer};
use cairn_reads::ChainReader as _;

fn hashes(items: &[Value]) -> Vec<B256> {
    items.iter().map(|item| item["hash"].as_str().unwrap().parse().unwrap()).collect()
}

/// Calls `increment()` on `counter` from dev account `signer` at `nonce` (pooled, not mined).
fn increment(h: &Harness, signer: usize, nonce: u64, counter: Address) -> B256 {
    let input = Bytes::from(keccak256("increment()")[..4].to_vec());
    let raw = signed_call(&key(signer).signer, 31337, nonce, TxKind::Call(counter), input, 200_000);
    h.node.submit_raw(&raw.unwrap()).unwrap()
}

#[tokio::test]
async fn account_history_lists_both_directions_newest_first_across_pages() {
    let h = harness().await;
    let alice = key(0).address;
    let bob = key(1).address;
    let mut expected = Vec::new();
    for round in 0..4u64 {
        expected.push(h.node.submit_raw(&transfer(round * 2, bob, 1)).unwrap());
        expected
            .push(h.node.submit_raw(&transfer(round * 2 + 1, Address::repeat_byte(9), 1)).unwrap());
        h.node.produce_block().unwrap();
        let back = signed_transfer(&key(1).signer, 31337, round, alice, 2).unwrap();
        expected.push(h.node.submit_raw(&back).unwrap());
        h.node.produce_block().unwrap();
    }
    let counter = h.deploy_counter(8, 0);
    let creation = h.node.view().unwrap().block(9).unwrap().unwrap();
    expected.push(*creation.transactions[0].tx_hash());
    expected.reverse();

    let pages = walk(&h, &format!("/v1/accounts/{alice}/transactions?limit=3")).await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), vec![3, 3, 3, 3, 1]);
    let items: Vec<Value> = pages.concat();
    assert_eq!(hashes(&items), expected, "every transaction once, newest first");
    for item in &items {
        assert_eq!(item["status"], "finalized");
        let from = item["from"].as_str().unwrap().parse::<Address>().unwrap();
        let to = item["to"].as_str().map(|to| to.parse::<Address>().unwrap());
        assert!(from == alice || to == Some(alice), "{item}");
        assert!(item["receipt"]["success"].as_bool().unwrap());
    }

    let bob_items: Vec<Value> =
        walk(&h, &format!("/v1/accounts/{bob}/transactions")).await.concat();
    assert_eq!(bob_items.len(), 8);
    let created: Vec<Value> =
        walk(&h, &format!("/v1/accounts/{counter}/transactions")).await.concat();
    assert_eq!(hashes(&created), vec![expected[0]], "a creation is in the contract's history");
    let nobody =
        h.get_json(&format!("/v1/accounts/{}/transactions", Address::repeat_byte(7))).await;
    assert_eq!(nobody["items"], Value::Array(vec![]));
    assert!(nobody["next"].is_null());
    h.stop().await;
}

#[tokio::test]
async fn account_history_pages_stay_put_while_blocks_arrive() {
    let h = harness().await;
    let bob = key(1).address;
    for nonce in 0..6 {
        h.node.submit_raw(&transfer(nonce, bob, 1)).unwrap();
        h.node.produce_block().unwrap();
    }
    let first = h.get(&format!("/v1/accounts/{bob}/transactions?limit=4")).await.json();
    let cursor = first["next"].as_str().unwrap().to_string();
    for nonce in 6..9 {
        h.node.submit_raw(&transfer(nonce, bob, 1)).unwrap();
        h.node.produce_block().unwrap();
    }
    let second =
        h.get_json(&format!("/v1/accounts/{bob}/transactions?limit=4&cursor={cursor}")).await;
    let nonces = |page: &Value| -> Vec<u64> {
        page["items"].as_array().unwrap().iter().map(|i| i["nonce"].as_u64().unwrap()).collect()
    };
    assert_eq!(nonces(&first), vec![5, 4, 3, 2]);
    assert_eq!(nonces(&second), vec![1, 0], "no repeat and no skip after new blocks");
    h.stop().await;
}

#[tokio::test]
async fn events_filter_by_contract_topics_and_range_in_chain_order() {
    let h = harness().await;
    let counter = h.deploy_counter(0, 10);
    let other = h.deploy_counter(1, 100);
    let mut nonces = [2u64, 0];
    for _ in 0..3 {
        for (signer, target) in [(0, counter), (1, counter), (0, other)] {
            let nonce = &mut nonces[signer];
            increment(&h, signer, *nonce, target);
            *nonce += 1;
        }
        h.node.produce_block().unwrap();
    }
    let signature = keccak256("Incremented(address,uint256)");
    let by_bob = B256::left_padding_from(key(1).address.as_slice());

    let all: Vec<Value> = walk(&h, "/v1/events?limit=4").await.concat();
    assert_eq!(all.len(), 9);
    let positions: Vec<(u64, u64)> = all
        .iter()
        .map(|e| (e["block_number"].as_u64().unwrap(), e["log_index"].as_u64().unwrap()))
        .collect();
    let mut sorted = positions.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(positions, sorted, "chain order, each once");

    let path = format!("/v1/events?address={counter}&topic0={signature}&limit=2");
    let mine: Vec<Value> = walk(&h, &path).await.concat();
    assert_eq!(mine.len(), 6);
    let counts: Vec<u64> = mine
        .iter()
        .map(|e| {
            assert_eq!(e["address"].as_str().unwrap().parse::<Address>().unwrap(), counter);
            assert_eq!(e["topics"][0].as_str().unwrap().parse::<B256>().unwrap(), signature);
            let data: Bytes = e["data"].as_str().unwrap().parse().unwrap();
            alloy_primitives::U256::from_be_slice(&data).to::<u64>()
        })
        .collect();
    assert_eq!(counts, (11..=16).collect::<Vec<_>>());

    let bobs = h.get_json(&format!("/v1/events?address={counter}&topic1={by_bob}")).await;
    assert_eq!(bobs["items"].as_array().unwrap().len(), 3);
    let one_block = h.get_json("/v1/events?from_block=4&to_block=4").await;
    assert_eq!(one_block["items"].as_array().unwrap().len(), 3);
    assert!(one_block["items"].as_array().unwrap().iter().all(|e| e["block_number"] == 4));
    let beyond = h.get_json("/v1/events?from_block=1&to_block=999").await;
    assert_eq!(beyond["to_block"], 5, "clamped to the head");
    h.stop().await;
}

#[tokio::test]
async fn events_include_system_logs_after_the_blocks_transaction_logs() {
    let h = harness().await;
    let counter = h.deploy_counter(0, 0);
    let sent = increment(&h, 0, 1, counter);
    let header = h.produce_block_with_system_logs(vec![staking_log(1), staking_log(2)]);
    let synthetic = system_logs_tx_hash(header.hash());

    let path = format!("/v1/events?from_block={0}&to_block={0}", header.number);
    let all = h.get_json(&path).await["items"].as_array().unwrap().clone();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0]["transaction_hash"].as_str().unwrap().parse::<B256>().unwrap(), sent);
    for (i, event) in all[1..].iter().enumerate() {
        assert_eq!(event["address"].as_str().unwrap().parse::<Address>().unwrap(), STAKING_ADDRESS);
        assert_eq!(event["transaction_hash"].as_str().unwrap().parse::<B256>().unwrap(), synthetic);
        assert_eq!(event["transaction_index"], 1);
        assert_eq!(event["log_index"], i as u64 + 1);
        assert_eq!(event["block_number"], header.number);
    }
    let by_contract = h.get_json(&format!("/v1/events?address={STAKING_ADDRESS}")).await;
    assert_eq!(by_contract["items"].as_array().unwrap()[..], all[1..]);
    let topic = B256::repeat_byte(2);
    let by_topic =
        h.get_json(&format!("/v1/events?address={STAKING_ADDRESS}&topic0={topic}")).await;
    assert_eq!(by_topic["items"].as_array().unwrap()[..], all[2..]);
    // Pages resume inside the block's system logs.
    let pages: Vec<Value> =
        walk(&h, &format!("/v1/events?address={STAKING_ADDRESS}&limit=1")).await.concat();
    assert_eq!(pages[..], all[1..]);
    // No transaction has the synthetic hash.
    h.get(&format!("/v1/transactions/{synthetic}")).await.problem(404, "transaction_not_found");
    h.stop().await;
}

#[tokio::test]
async fn events_refuse_bad_filters_and_too_wide_ranges() {
    let h = harness().await;
    let wide = h.get("/v1/events?from_block=0&to_block=10000").await;
    let problem = wide.problem(400, "block_range_too_wide");
    assert!(problem["detail"].as_str().unwrap().contains("10000"), "{problem}");
    for _ in 0..3 {
        h.node.produce_block().unwrap();
    }
    h.get("/v1/events?from_block=3&to_block=1").await.problem(400, "invalid_query");
    h.get("/v1/events?address=0x12").await.problem(400, "invalid_query");
    h.get("/v1/events?topic2=0xzz").await.problem(400, "invalid_query");
    h.get("/v1/events?topic4=0x00").await.problem(400, "invalid_query");
    h.get("/v1/events?from_block=-1").await.problem(400, "invalid_query");
    h.get("/v1/events?limit=0").await.problem(400, "invalid_query");
    h.get("/v1/events?cursor=YjoxMA").await.problem(400, "invalid_cursor");
    let ahead = h.get_json("/v1/events?from_block=50&to_block=60").await;
    assert_eq!(ahead["items"], Value::Array(vec![]));
    assert!(ahead["next"].is_null());
    h.stop().await;
}

#[tokio::test]
async fn mempool_lists_ready_then_queued_with_counts() {
    let h = harness().await;
    let bob = key(1).address;
    let mut ready = Vec::new();
    for nonce in 0..3 {
        ready.push(h.node.submit_raw(&transfer(nonce, bob, 1)).unwrap());
    }
    let gap = signed_transfer(&key(2).signer, 31337, 5, bob, 1).unwrap();
    let queued = h.node.submit_raw(&gap).unwrap();

    let first = h.get_json("/v1/mempool?limit=2").await;
    assert_eq!(first["ready_count"], 3);
    assert_eq!(first["queued_count"], 1);
    let items: Vec<Value> = walk(&h, "/v1/mempool?limit=2").await.concat();
    let mut expected = ready.clone();
    expected.push(queued);
    assert_eq!(hashes(&items), expected);
    assert!(items.iter().all(|i| i["status"] == "pending" && i["position"].is_null()));
    assert_eq!(
        items.iter().map(|i| i["queued"].as_bool().unwrap()).collect::<Vec<_>>(),
        vec![false, false, false, true]
    );

    h.node.produce_block().unwrap();
    let after = h.get_json("/v1/mempool").await;
    assert_eq!((after["ready_count"].as_u64(), after["queued_count"].as_u64()), (Some(0), Some(1)));
    h.get("/v1/mempool?cursor=bTox").await.problem(400, "invalid_cursor");
    h.stop().await;
}
