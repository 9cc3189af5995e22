//! REST requests as hostile clients send them: bodies of every POST, path segments and query
//! strings of every route, over HTTP on loopback against a node with history, with a key
//! holding every scope. Whatever arrives, the answer is a success or an RFC 9457 problem
//! (`application/problem+json` with a `code` and the right `status`), never a 500 (the store
//! is in memory and cannot fail) nor a dropped connection.
//!
//! Input: a selector byte (which route), then the body, or the path segment(s) (a second one
//! after a newline) and query.

#![no_main]

use std::sync::{Mutex, OnceLock};

use alloy_primitives::hex;
use cairn_fuzz::chain::{keys, transfer};
use cairn_fuzz::http::{Call, Reply, Servers, percent_encode};
use cairn_fuzz::seeds::tagged;
use hyper::Method;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn servers() -> &'static Mutex<Servers> {
    static SERVERS: OnceLock<Mutex<Servers>> = OnceLock::new();
    SERVERS.get_or_init(|| Mutex::new(Servers::start()))
}

/// What part of a route the input fills.
#[derive(Clone, Copy)]
enum Fill {
    /// The JSON body.
    Body,
    /// The `{}` path segment(s).
    Path,
    /// The query string.
    Query,
}

/// The routes: method, path template (`{}` for segments) and what the input fills.
const ROUTES: &[(Method, &str, Fill)] = &[
    (Method::POST, "/v1/transactions", Fill::Body),
    (Method::POST, "/v1/webhooks", Fill::Body),
    (Method::POST, "/v1/audit", Fill::Body),
    (Method::GET, "/v1/blocks/{}", Fill::Path),
    (Method::GET, "/v1/blocks/{}/transactions", Fill::Path),
    (Method::GET, "/v1/transactions/{}", Fill::Path),
    (Method::GET, "/v1/accounts/{}", Fill::Path),
    (Method::GET, "/v1/accounts/{}/proof", Fill::Path),
    (Method::GET, "/v1/audit/{}", Fill::Path),
    (Method::GET, "/v1/webhooks/{}", Fill::Path),
    (Method::DELETE, "/v1/webhooks/{}", Fill::Path),
    (Method::GET, "/v1/webhooks/{}/deliveries", Fill::Path),
    (Method::POST, "/v1/webhooks/{}/deliveries/{}/replay", Fill::Path),
    (Method::GET, "/v1/blocks", Fill::Query),
    (Method::GET, "/v1/events", Fill::Query),
    (Method::GET, "/v1/validators", Fill::Query),
    (Method::GET, "/v1/accounts/{counter}/proof", Fill::Query),
    (Method::GET, "/v1/accounts/{sender}/transactions", Fill::Query),
    (Method::GET, "/v1/mempool", Fill::Query),
    (Method::GET, "/v1/stream", Fill::Query),
    (Method::GET, "/v1/status", Fill::Query),
];

/// The request path for `route` filled with `input`.
fn target(template: &str, fill: Fill, input: &[u8], servers: &Servers) -> String {
    let template = template
        .replace("{counter}", &servers.counter.to_string())
        .replace("{sender}", &keys()[1].address().to_string());
    match fill {
        Fill::Body => template,
        Fill::Query => format!("{template}?{}", percent_encode(input, b"=&,")),
        Fill::Path => {
            let mut segments = input.splitn(2, |&b| b == b'\n');
            let first = percent_encode(segments.next().unwrap_or_default(), b"");
            let second = percent_encode(segments.next().unwrap_or_default(), b"");
            template.replacen("{}", &first, 1).replacen("{}", &second, 1)
        }
    }
}

fn check(method: &Method, target: &str, reply: &Reply) {
    let what = || {
        format!("{method} {target}: {} {:?}", reply.status, String::from_utf8_lossy(&reply.body))
    };
    assert_ne!(reply.status, 500, "{}", what());
    if reply.status >= 400 {
        assert_eq!(reply.content_type(), "application/problem+json", "{}", what());
        let problem: Value = serde_json::from_slice(&reply.body).expect("a problem is JSON");
        assert!(problem["code"].is_string(), "{}", what());
        assert_eq!(problem["status"].as_u64(), Some(u64::from(reply.status)), "{}", what());
    } else if !reply.body.is_empty() && target != "/v1/stream" {
        assert!(serde_json::from_slice::<Value>(&reply.body).is_ok(), "{}", what());
    }
}

fuzz_target!(init: cairn_fuzz::seeds::offer("rest", seeds), |data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else { return };
    let (method, template, fill) = &ROUTES[usize::from(selector) % ROUTES.len()];
    let mut servers = servers().lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let target = target(template, *fill, input, &servers);
    let writer = servers.writer.clone();
    let call = Call {
        method: method.clone(),
        target: &target,
        bearer: Some(&writer),
        content_type: Some("application/json"),
        body: if matches!(fill, Fill::Body) { input } else { b"" },
    };
    if template.starts_with("/v1/stream") {
        // A stream never ends: only its status and headers are read.
        let reply = servers.rest_head(&call);
        assert_ne!(reply.status, 500, "GET {target}");
        return;
    }
    let reply = servers.rest(&call);
    check(method, &target, &reply);
    if *template == "/v1/webhooks" && reply.status == 201 {
        // Each registration is removed again, so the limit on webhooks is never reached.
        let created: Value = serde_json::from_slice(&reply.body).expect("JSON");
        let path = format!("/v1/webhooks/{}", created["webhook"]["id"].as_str().expect("an id"));
        let call = Call { method: Method::DELETE, target: &path, bearer: Some(&writer), content_type: None, body: b"" };
        let deleted = servers.rest(&call).status;
        assert!((200..300).contains(&deleted), "DELETE {path}: {deleted}");
    }
});

/// A valid request for each route.
fn seeds() -> Vec<Vec<u8>> {
    let servers = servers().lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let node = &servers.node;
    let block = node.block(2).expect("memory").expect("block 2");
    let tx = block.transactions[0].tx_hash().to_string();
    let counter = servers.counter.to_string();
    let sender = keys()[1].address().to_string();
    let topic = alloy_primitives::keccak256("Incremented(address,uint256)").to_string();
    let raw = hex::encode_prefixed(transfer(9, 0, 8, 1));
    let index =
        |template: &str| ROUTES.iter().position(|(_, t, _)| *t == template).expect("a route") as u8;
    let mut seeds = vec![
        tagged(index("/v1/transactions"), format!(r#"{{"raw":"{raw}"}}"#).as_bytes()),
        tagged(
            index("/v1/webhooks"),
            format!(
                r#"{{"url":"http://127.0.0.1:9/hook","events":["log","transaction"],"address":"{counter}","topic0":"{topic}","from_height":4}}"#
            )
            .as_bytes(),
        ),
        tagged(index("/v1/webhooks"), br#"{"url":"https://example.invalid/x?y=1","events":["finalized"]}"#),
        tagged(index("/v1/audit"), b""),
        tagged(index("/v1/audit/{}"), b"1"),
        tagged(index("/v1/webhooks/{}"), b"0123456789abcdef"),
        tagged(index("/v1/webhooks/{}/deliveries"), b"0123456789abcdef"),
        tagged(index("/v1/webhooks/{}/deliveries/{}/replay"), b"0123456789abcdef\n0123456789abcdef-1-0"),
        tagged(index("/v1/blocks"), b"limit=2"),
        tagged(index("/v1/events"), format!("address={counter}&topic0={topic}&from_block=1&to_block=3&limit=5").as_bytes()),
        tagged(index("/v1/validators"), b"window=3"),
        tagged(index("/v1/accounts/{counter}/proof"), b"block=2"),
        tagged(index("/v1/accounts/{sender}/transactions"), b"limit=1"),
        tagged(index("/v1/mempool"), b"limit=1"),
        tagged(index("/v1/stream"), format!("from=1&kinds=events,finalized&address={counter}").as_bytes()),
        tagged(index("/v1/status"), b""),
    ];
    for id in ["2", "0", "latest", &block.hash().to_string()] {
        seeds.push(tagged(index("/v1/blocks/{}"), id.as_bytes()));
        seeds.push(tagged(index("/v1/blocks/{}/transactions"), id.as_bytes()));
    }
    seeds.push(tagged(index("/v1/transactions/{}"), tx.as_bytes()));
    for address in [&counter, &sender] {
        seeds.push(tagged(index("/v1/accounts/{}"), address.as_bytes()));
        seeds.push(tagged(index("/v1/accounts/{}/proof"), address.as_bytes()));
    }
    seeds
}
