//! `eth_getProof` checked by an independent verifier: e2e/verify_proof.py walks the proofs with
//! Python's `trie` package (HexaryTrie.get_from_proof) from the block's state root.

use std::process::Command;

use serde_json::Value;

use crate::harness::{
    ACCOUNT1, KEY0, Node, Target, cast_bin, compile_bytecode, e2e_dir, python, run_flow, run_ok,
};

/// Deploys the token and moves 1234 units to account 1 with cast; returns the token's address
/// and the number of the block that holds the transfer.
fn token_with_a_holder(node: &Node) -> (String, u64) {
    let send = |args: &[&str]| -> Value {
        let out = run_ok(
            Command::new(cast_bin())
                .args(["send", "--rpc-url", &node.http, "--private-key", KEY0, "--json"])
                .args(args),
        );
        let receipt: Value = serde_json::from_str(&out).expect("cast send --json prints JSON");
        assert_eq!(receipt["status"], "0x1", "{receipt}");
        receipt
    };
    let bytecode = compile_bytecode("Token");
    let created = send(&["--create", &bytecode, "constructor(uint256)", "1000000"]);
    let token = created["contractAddress"].as_str().expect("contractAddress").to_string();
    let moved = send(&[&token, "transfer(address,uint256)", ACCOUNT1, "1234"]);
    let block = moved["blockNumber"].as_str().expect("blockNumber");
    (token, u64::from_str_radix(block.trim_start_matches("0x"), 16).expect("hex block number"))
}

fn proof_verified_independently(target: Target) {
    let node = Node::start(target);
    let (token, block) = token_with_a_holder(&node);
    run_flow(
        Command::new(python())
            .arg("verify_proof.py")
            .args([&node.http, &block.to_string(), &token, ACCOUNT1, "1234"])
            .current_dir(e2e_dir()),
        "proof verification: all checks passed",
    );
}

#[test]
fn proof_verified_independently_on_cairn() {
    proof_verified_independently(Target::Cairn);
}

/// The verifier itself, checked against the reference node.
#[test]
fn proof_verified_independently_on_anvil() {
    proof_verified_independently(Target::Anvil);
}
