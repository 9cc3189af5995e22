//! `cairn bench` drives a real `cairn dev` and anvil: every transaction it sends is accepted,
//! included and seen final, for plain transfers, the ERC-20 mix and the contract-heavy mix. No
//! timing is asserted.

use std::path::Path;
use std::process::Command;

use crate::harness::{Node, Target, compile_bytecode, http, run};

/// Runs `cairn bench` against `node` and returns its JSON summary.
fn bench(node: &Node, mix: &str, dir: &Path) -> serde_json::Value {
    let json = dir.join(format!("{mix}.json"));
    let mut command = Command::new(env!("CARGO_BIN_EXE_cairn"));
    command
        .args(["bench", "--rpc", &node.http, "--ws", &node.ws, "--mix", mix])
        .args(["--txs", "400", "--accounts", "8", "--batch", "100", "--wait", "60s"])
        .arg("--json")
        .arg(&json)
        .env("RUST_LOG", "warn");
    let output = run(&mut command);
    assert!(output.status.success(), "{}", output.describe("cairn bench"));
    println!("{}", output.stdout);
    let text = std::fs::read(&json).expect("bench wrote its JSON summary");
    serde_json::from_slice(&text).expect("JSON summary")
}

/// Everything sent was accepted, included and final: nothing rejected, nothing lost.
fn assert_nothing_lost(report: &serde_json::Value) {
    let summary = &report["summary"];
    assert_eq!(summary["sent"], 400, "{report}");
    assert_eq!(summary["rejected"], 0, "{report}");
    assert_eq!(summary["lost"], 0, "{report}");
    assert_eq!(summary["included"], 400, "{report}");
    assert_eq!(summary["finalized"], 400, "{report}");
}

#[test]
fn bench_loses_nothing_on_cairn_dev() {
    let node = Node::start(Target::Cairn);
    let dir = tempfile::tempdir().unwrap();
    assert_nothing_lost(&bench(&node, "transfers", dir.path()));
    assert_nothing_lost(&bench(&node, "erc20", dir.path()));
    assert_nothing_lost(&bench(&node, "contract", dir.path()));
    assert_every_receipt_succeeded(&node);
}

/// Every transaction on the chain succeeded: the load's gas limits are enough, and the
/// contract mix did its work rather than revert.
fn assert_every_receipt_succeeded(node: &Node) {
    let call = |method: &str, params: &str| {
        let body = format!(r#"{{"jsonrpc":"2.0","id":1,"method":"{method}","params":{params}}}"#);
        let (status, answer) =
            http(&node.http, "POST", "/", &[("content-type", "application/json")], &body);
        assert_eq!(status, 200, "{method}: {answer}");
        let body = answer.split_once("\r\n\r\n").map_or("", |(_, body)| body);
        let reply: serde_json::Value = serde_json::from_str(body).expect("JSON-RPC reply");
        reply["result"].clone()
    };
    let head = call("eth_blockNumber", "[]");
    let head = u64::from_str_radix(head.as_str().expect("hex").trim_start_matches("0x"), 16);
    let mut receipts = 0;
    for number in 1..=head.expect("block number") {
        for receipt in call("eth_getBlockReceipts", &format!(r#"["{number:#x}"]"#))
            .as_array()
            .expect("receipts")
        {
            assert_eq!(receipt["status"], "0x1", "{receipt}");
            receipts += 1;
        }
    }
    assert!(receipts >= 1200, "{receipts} receipts");
}

#[test]
fn bench_runs_unchanged_against_anvil() {
    // Interval mining as in bench/compare.sh; `finalized` trails the head by two blocks.
    let node = Node::start_anvil(&["--block-time", "1", "--slots-in-an-epoch", "1"]);
    let dir = tempfile::tempdir().unwrap();
    assert_nothing_lost(&bench(&node, "transfers", dir.path()));
}

#[test]
fn committed_bytecode_is_the_compiled_source() {
    let token = include_str!("../../src/bench/token.hex").trim();
    assert_eq!(compile_bytecode("Token"), format!("0x{token}"));
    let heavy = include_str!("../../src/bench/heavy.hex").trim();
    assert_eq!(compile_bytecode("Heavy"), format!("0x{heavy}"));
}

#[test]
fn api_bench_reads_blocks_and_accounts_without_errors() {
    let dir = tempfile::tempdir().unwrap();
    let unlimited = ["--api-anon-rate", "1000000/s", "--api-anon-burst", "1000000"];
    let node = Node::start_cairn_in(&dir.path().join("dev"), &unlimited);
    let paths = "/v1/blocks/0,/v1/accounts/0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
    let mut command = Command::new(env!("CARGO_BIN_EXE_cairn"));
    command.args(["api-bench", "--url", &node.api_http(), "--paths", paths]).args([
        "--concurrency",
        "4",
        "--duration",
        "1s",
    ]);
    let output = run(&mut command);
    assert!(output.status.success(), "{}", output.describe("cairn api-bench"));
    let rows: Vec<Vec<&str>> =
        output.stdout.lines().skip(1).map(|line| line.split('\t').collect()).collect();
    assert_eq!(rows.len(), 2, "{}", output.stdout);
    for row in rows {
        let requests: f64 = row[1].parse().expect("requests per second");
        assert!(requests > 0.0, "{}", output.stdout);
        assert_eq!(row[6], "0", "errors: {}", output.stdout);
    }
}
