//! `cairn api-keys` and the REST API's keys end to end: a key made by the real command lets a
//! transaction through `POST /v1/transactions` of a real `cairn dev`; without it, or after it is
//! revoked, the node answers 401.

use std::path::Path;
use std::process::Command;
use std::thread;
use std::time::Duration;

use alloy_primitives::{Address, hex};
use cairn_primitives::dev_accounts;
use cairn_primitives::test_utils::signed_transfer;

use crate::harness::{Node, http, run, run_ok};

fn api_keys(datadir: &Path, args: &[&str]) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cairn"));
    command.arg("api-keys").arg("--datadir").arg(datadir).args(args);
    run_ok(&mut command)
}

fn submit(api: &str, nonce: u64, key: Option<&str>) -> (u16, String) {
    let account = &dev_accounts(1).unwrap()[0];
    let raw = signed_transfer(&account.signer, 31337, nonce, Address::repeat_byte(7), 1).unwrap();
    let body = format!(r#"{{"raw":"0x{}"}}"#, hex::encode(raw));
    let bearer = key.map(|k| format!("Bearer {k}"));
    let mut headers = vec![("content-type", "application/json")];
    if let Some(bearer) = &bearer {
        headers.push(("authorization", bearer));
    }
    http(api, "POST", "/v1/transactions", &headers, &body)
}

#[test]
fn a_key_from_cairn_api_keys_lets_a_transaction_through() {
    let dir = tempfile::tempdir().unwrap();
    let datadir = dir.path().join("dev");
    let key =
        api_keys(&datadir, &["create", "--scopes", "tx:write,webhooks:write", "--rate", "50/s"]);
    assert!(key.starts_with("cairn_"), "{key}");
    let id = key.split('_').nth(1).unwrap().to_string();
    let stored = std::fs::read_to_string(datadir.join("api-keys.json")).unwrap();
    assert!(!stored.contains(&key), "the key itself is stored");
    let listed = api_keys(&datadir, &["list"]);
    let line = listed.lines().find(|l| l.starts_with(&id)).expect("listed");
    assert!(line.contains("tx:write,webhooks:write") && line.contains("50/s"), "{line}");
    assert!(line.contains("never") && line.ends_with("active"), "{line}");

    let node = Node::start_cairn_in(&datadir, &[]);
    let api = node.api_http();
    let (status, answer) = submit(&api, 0, None);
    assert_eq!(status, 401, "{answer}");
    assert!(answer.to_ascii_lowercase().contains("www-authenticate: bearer"), "{answer}");
    assert!(answer.contains("missing_api_key"), "{answer}");
    let (status, answer) = submit(&api, 0, Some("cairn_0000000000000000_00"));
    assert_eq!(status, 401, "{answer}");

    let (status, answer) = submit(&api, 0, Some(&key));
    assert_eq!(status, 202, "{answer}");
    let lower = answer.to_ascii_lowercase();
    assert!(lower.contains("ratelimit-limit: 50"), "{answer}");
    assert!(lower.contains("x-request-id: "), "{answer}");
    let (status, answer) = http(&api, "GET", "/health/ready", &[], "");
    assert_eq!(status, 200, "{answer}");

    // The node records the key's use; the command shows it.
    let mut used = false;
    for _ in 0..100 {
        let listed = api_keys(&datadir, &["list"]);
        let line = listed.lines().find(|l| l.starts_with(&id)).expect("listed").to_string();
        if !line.contains("never") {
            used = true;
            break;
        }
        thread::sleep(Duration::from_millis(100));
    }
    assert!(used, "last use never recorded");

    // Revoked while the node runs: refused from its next reload on.
    assert_eq!(api_keys(&datadir, &["revoke", &id]), format!("revoked {id}"));
    let mut refused = false;
    for _ in 0..100 {
        if submit(&api, 1, Some(&key)).0 == 401 {
            refused = true;
            break;
        }
        thread::sleep(Duration::from_millis(100));
    }
    assert!(refused, "the revoked key still works");
    let listed = api_keys(&datadir, &["list"]);
    assert!(listed.lines().any(|l| l.starts_with(&id) && l.contains("revoked")), "{listed}");
    drop(node);

    let mut command = Command::new(env!("CARGO_BIN_EXE_cairn"));
    command.arg("api-keys").arg("--datadir").arg(&datadir).args(["revoke", "feedface"]);
    let output = run(&mut command);
    assert!(!output.status.success());
    assert!(output.stderr.contains("no API key with id feedface"), "{}", output.stderr);
    let mut command = Command::new(env!("CARGO_BIN_EXE_cairn"));
    command.arg("api-keys").arg("--datadir").arg(&datadir).args(["create", "--scopes", "root"]);
    let output = run(&mut command);
    assert!(!output.status.success());
    assert!(output.stderr.contains("unknown scope"), "{}", output.stderr);
}
