//! `cairn bench` drives a real `cairn dev` and anvil: every transaction it sends is accepted,
//! included and seen final, for plain transfers and for the ERC-20 mix. No timing is asserted.

use std::path::Path;
use std::process::Command;

use crate::harness::{Node, Target, compile_bytecode, run};

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
}

#[test]
fn bench_runs_unchanged_against_anvil() {
    // Interval mining as in bench/compare.sh; `finalized` trails the head by two blocks.
    let node = Node::start_anvil(&["--block-time", "1", "--slots-in-an-epoch", "1"]);
    let dir = tempfile::tempdir().unwrap();
    assert_nothing_lost(&bench(&node, "transfers", dir.path()));
}

#[test]
fn committed_token_bytecode_is_the_compiled_source() {
    let committed = include_str!("../../src/bench/token.hex").trim();
    assert_eq!(compile_bytecode("Token"), format!("0x{committed}"));
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
