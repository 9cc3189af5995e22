//! Cursor pages: Link headers, the last page, and stability while blocks arrive.

use alloy_primitives::{Address, B256};
use serde_json::Value;

use crate::{Harness, harness, transfer};
use cairn_reads::ChainReader as _;

/// Follows `Link: <…>; rel="next"` from `first` to the last page; checks that the header and
/// the body's `next` agree on every page. Returns every page's items in order.
pub(crate) async fn walk(h: &Harness, first: &str) -> Vec<Vec<Value>> {
    walk_with(h, first, || {}).await
}

/// [`walk`], calling `between` after each page is read and before the next is asked for.
async fn walk_with(h: &Harness, first: &str, mut between: impl FnMut()) -> Vec<Vec<Value>> {
    let mut pages = Vec::new();
    let mut path = Some(first.to_string());
    while let Some(current) = path.take() {
        let reply = h.get(&current).await;
        assert_eq!(reply.status, 200, "{current}: {}", reply.body);
        let body = reply.json();
        pages.push(body["items"].as_array().unwrap().clone());
        between();
        match (reply.header("link"), body["next"].as_str()) {
            (None, None) => {}
            (Some(link), Some(next)) => {
                let target = link.strip_prefix('<').unwrap().split_once(">; rel=\"next\"");
                let target = target.unwrap().0.to_string();
                assert!(target.ends_with(&format!("&cursor={next}")), "{link}");
                path = Some(target);
            }
            (link, next) => panic!("Link {link:?} and next {next:?} disagree"),
        }
    }
    pages
}

fn numbers(items: &[Value]) -> Vec<u64> {
    items.iter().map(|b| b["number"].as_u64().unwrap()).collect()
}

#[tokio::test]
async fn blocks_page_newest_first_down_to_genesis() {
    let h = harness().await;
    for _ in 0..7 {
        h.node.produce_block().unwrap();
    }
    let pages = walk(&h, "/v1/blocks?limit=3").await;
    let pages: Vec<Vec<u64>> = pages.iter().map(|p| numbers(p)).collect();
    assert_eq!(pages, vec![vec![7, 6, 5], vec![4, 3, 2], vec![1, 0]]);

    let default = h.get_json("/v1/blocks").await;
    assert_eq!(numbers(default["items"].as_array().unwrap()), vec![7, 6, 5, 4, 3, 2, 1, 0]);
    assert!(default["next"].is_null());
    h.stop().await;
}

#[tokio::test]
async fn pages_neither_repeat_nor_skip_blocks_while_new_ones_arrive() {
    let h = harness().await;
    for _ in 0..40 {
        h.node.produce_block().unwrap();
    }
    // Two new blocks land after every page is read, before the next one is asked for.
    let node = h.node.clone();
    let mut produced = 0;
    let pages = walk_with(&h, "/v1/blocks?limit=4", || {
        for _ in 0..2 {
            node.produce_block().unwrap();
            produced += 1;
        }
    })
    .await;
    // The walk pins the 41 blocks of its first page's time: 11 pages, 22 blocks newer.
    assert_eq!((pages.len(), produced), (11, 22));
    let mut seen = Vec::new();
    let mut hashes = Vec::new();
    for page in pages {
        seen.extend(numbers(&page));
        hashes.extend(page.iter().map(|b| b["hash"].as_str().unwrap().parse::<B256>().unwrap()));
    }

    let first = seen[0];
    assert!(first >= 40);
    let expected: Vec<u64> = (0..=first).rev().collect();
    assert_eq!(seen, expected, "every height once, newest first");
    let view = h.node.view().unwrap();
    for (number, hash) in seen.iter().zip(&hashes) {
        assert_eq!(view.header(*number).unwrap().unwrap().hash(), *hash);
    }
    drop(view);
    h.stop().await;
}

#[tokio::test]
async fn a_blocks_transactions_page_in_block_order() {
    let h = harness().await;
    for nonce in 0..5 {
        h.node.submit_raw(&transfer(nonce, Address::repeat_byte(0x10), nonce + 1)).unwrap();
    }
    let header = h.node.produce_block().unwrap();
    let path = format!("/v1/blocks/{}/transactions?limit=2", header.hash());
    let pages = walk(&h, &path).await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![2, 2, 1]);
    let items: Vec<&Value> = pages.iter().flatten().collect();
    for (i, item) in items.iter().enumerate() {
        assert_eq!(item["position"]["index"], i as u64);
        assert_eq!(item["nonce"], i as u64);
    }
    h.stop().await;
}
