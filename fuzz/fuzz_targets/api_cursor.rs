//! REST list cursors (`?cursor=&limit=`) as clients send them back, against every list of a
//! node with history, over HTTP on loopback. A cursor the API did not make is a 400 problem
//! (`invalid_cursor` or `invalid_query`), never a 500 or a wrong page; a page's `next` cursor
//! always leads to another page.
//!
//! Input: a selector byte (which list; with its high bit set the rest is the cursor's
//! plaintext, which the harness base64url-encodes as the API does), a limit byte (0: none),
//! then the cursor.

#![no_main]

use std::sync::{Mutex, OnceLock};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cairn_fuzz::http::{Call, Reply, Servers, percent_encode};
use cairn_fuzz::seeds::tagged;
use hyper::Method;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// The servers, and the paths of every list (webhook lists last: they need the key).
struct Lists {
    servers: Servers,
    paths: Vec<String>,
}

fn lists() -> &'static Mutex<Lists> {
    static LISTS: OnceLock<Mutex<Lists>> = OnceLock::new();
    LISTS.get_or_init(|| {
        let mut servers = Servers::start();
        let writer = servers.writer.clone();
        let body = br#"{"url":"http://1.1.1.1:9/hook","events":["block","log"]}"#;
        let created = servers.rest(&Call {
            method: Method::POST,
            target: "/v1/webhooks",
            bearer: Some(&writer),
            content_type: Some("application/json"),
            body,
        });
        assert_eq!(created.status, 201, "registering a webhook: {:?}", created.body);
        let webhook: Value = serde_json::from_slice(&created.body).expect("JSON");
        let id = webhook["webhook"]["id"].as_str().expect("an id").to_string();
        let sender = cairn_fuzz::chain::keys()[1].address();
        let counter = servers.counter;
        let paths = vec![
            "/v1/blocks".to_string(),
            "/v1/blocks/1/transactions".to_string(),
            format!("/v1/accounts/{sender}/transactions"),
            format!("/v1/accounts/{counter}/transactions"),
            "/v1/events".to_string(),
            format!("/v1/events?address={counter}&from_block=0"),
            "/v1/mempool".to_string(),
            "/v1/webhooks".to_string(),
            format!("/v1/webhooks/{id}/deliveries"),
        ];
        Mutex::new(Lists { servers, paths })
    })
}

fn get(lists: &mut Lists, target: &str) -> Reply {
    let writer = lists.servers.writer.clone();
    let bearer = target.starts_with("/v1/webhooks").then_some(writer.as_str());
    lists.servers.rest(&Call { method: Method::GET, target, bearer, content_type: None, body: b"" })
}

fn with_query(path: &str, query: &str) -> String {
    let separator = if path.contains('?') { '&' } else { '?' };
    format!("{path}{separator}{query}")
}

fuzz_target!(init: cairn_fuzz::seeds::offer("api_cursor", seeds), |data: &[u8]| {
    let [selector, limit, cursor @ ..] = data else { return };
    let mut lists = lists().lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let path = lists.paths[usize::from(selector & 0x7f) % lists.paths.len()].clone();
    let cursor = if selector & 0x80 != 0 {
        URL_SAFE_NO_PAD.encode(cursor)
    } else {
        percent_encode(cursor, b"")
    };
    let mut query = format!("cursor={cursor}");
    if *limit != 0 {
        query.push_str(&format!("&limit={limit}"));
    }
    let reply = get(&mut lists, &with_query(&path, &query));
    match reply.status {
        200 => {
            let page: Value = serde_json::from_slice(&reply.body).expect("a page is JSON");
            if let Some(next) = page["next"].as_str() {
                let query = format!("cursor={}", percent_encode(next.as_bytes(), b""));
                let following = get(&mut lists, &with_query(&path, &query));
                assert_eq!(following.status, 200, "a next cursor was refused: {next}");
            }
        }
        400 => {
            assert_eq!(reply.content_type(), "application/problem+json");
            let problem: Value = serde_json::from_slice(&reply.body).expect("a problem is JSON");
            let code = problem["code"].as_str().unwrap_or_default();
            assert!(
                matches!(code, "invalid_cursor" | "invalid_query"),
                "{path}?{query}: 400 with code {code:?}"
            );
        }
        status => panic!("{path}?{query}: {status} {:?}", String::from_utf8_lossy(&reply.body)),
    }
});

/// The first page's `next` cursor of each list at limit 1, and hand-made cursor texts of
/// every kind.
fn seeds() -> Vec<Vec<u8>> {
    let mut lists = lists().lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut seeds = Vec::new();
    for index in 0..lists.paths.len() {
        let path = lists.paths[index].clone();
        let reply = get(&mut lists, &with_query(&path, "limit=1"));
        let page: Value = serde_json::from_slice(&reply.body).expect("a page is JSON");
        if let Some(next) = page["next"].as_str() {
            seeds.push([&[index as u8, 1], next.as_bytes()].concat());
        }
    }
    let sender = cairn_fuzz::chain::keys()[5].address();
    for (index, text) in [
        (0u8, "b:2".to_string()),
        (1, "t:1".to_string()),
        (2, "a:3.0".to_string()),
        (4, "e:2.1".to_string()),
        (6, format!("m:0.{sender:x}.0")),
        (6, format!("m:1.{sender:x}.3")),
        (7, "w:0000000000000000".to_string()),
        (8, "d:1.0".to_string()),
    ] {
        seeds.push(tagged(index | 0x80, &[&[10], text.as_bytes()].concat()));
    }
    seeds
}
