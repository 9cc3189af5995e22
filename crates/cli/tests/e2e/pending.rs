//! The next block as real tools use it, on Cairn and anvil: e2e/pending_flow.mjs (ethers v6)
//! estimates and sends a transaction whose gas depends on block.timestamp advancing right after
//! a block, calls at `pending`, and sends blocks of 1-wei-tip transfers; then cast sends a
//! legacy transaction at the suggested gas price and calls at `pending` itself.

use std::process::Command;

use crate::harness::{KEY0, Node, Target, cast_bin, node_script, run_flow, run_ok};

/// Where dev account 0's first contract lands, on any fresh dev chain: the flow's Clock.
const CLOCK: &str = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const RECIPIENT: &str = "0x000000000000000000000000000000000000bEEF";

fn cast(node: &Node, args: &[&str]) -> String {
    run_ok(Command::new(cast_bin()).args(args).args(["--rpc-url", &node.http]))
}

fn number(text: &str) -> u64 {
    let first = text.split_whitespace().next().unwrap_or_default();
    first.parse().unwrap_or_else(|e| panic!("not a number ({e}): {text}"))
}

fn pending_flow(target: Target) {
    let node = Node::start_on_demand(target);
    let mut flow = node_script("pending_flow.mjs");
    flow.arg(&node.http);
    if target == Target::Cairn {
        flow.arg("--strict");
    }
    run_flow(&mut flow, "pending flow: all checks passed");

    // The flow left blocks of 1-wei tips: cast's legacy pricing (eth_gasPrice, then
    // eth_estimateGas with that gasPrice) must go through.
    let sent = cast(
        &node,
        &["send", "--legacy", "--private-key", KEY0, "--json", RECIPIENT, "--value", "1"],
    );
    let receipt: serde_json::Value = serde_json::from_str(&sent).unwrap();
    assert_eq!(receipt["status"], "0x1", "cast send --legacy: {receipt}");
    assert_eq!(receipt["type"], "0x0", "a legacy transaction: {receipt}");

    let head = number(&cast(&node, &["block-number"]));
    let at = |block: &str| {
        number(&cast(&node, &["call", "--block", block, CLOCK, "blockNumber()(uint256)"]))
    };
    assert_eq!(at("latest"), head);
    assert_eq!(at("pending"), head + 1, "eth_call at pending runs in the next block");
}

#[test]
fn pending_flow_on_cairn() {
    pending_flow(Target::Cairn);
}

#[test]
fn pending_flow_on_anvil() {
    pending_flow(Target::Anvil);
}
