//! e2e/ethers_flow.mjs: deploy an ERC-20, transfer, receipts, Transfer events by eth_getLogs,
//! eth_newFilter and a WebSocket subscription, revert reasons.

use crate::harness::{Node, Target, node_script, run_flow};

fn ethers_flow(target: Target) {
    let node = Node::start(target);
    run_flow(
        node_script("ethers_flow.mjs").args([&node.http, &node.ws]),
        "ethers flow: all checks passed",
    );
}

#[test]
fn ethers_flow_on_cairn() {
    ethers_flow(Target::Cairn);
}

#[test]
fn ethers_flow_on_anvil() {
    ethers_flow(Target::Anvil);
}
