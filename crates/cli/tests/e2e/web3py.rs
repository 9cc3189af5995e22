//! e2e/web3_flow.py: the ethers flow in Python with web3.py.

use std::process::Command;

use crate::harness::{Node, Target, e2e_dir, python, run_flow};

fn web3py_flow(target: Target) {
    let node = Node::start(target);
    run_flow(
        Command::new(python())
            .arg("web3_flow.py")
            .args([&node.http, &node.ws])
            .current_dir(e2e_dir()),
        "web3.py flow: all checks passed",
    );
}

#[test]
fn web3py_flow_on_cairn() {
    web3py_flow(Target::Cairn);
}

#[test]
fn web3py_flow_on_anvil() {
    web3py_flow(Target::Anvil);
}
