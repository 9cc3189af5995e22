//! `cairn dev --consensus pow` with real clients: ethers' whole flow (a contract, transfers,
//! logs, filters and subscriptions) on mined blocks; cast's transfer, and each header's work
//! checked from outside (keccak256 of the block hash and the nonce under the difficulty's
//! target); `finalized` twelve blocks behind; and after a `kill -9`, `cairn verify` accepts
//! every seal and difficulty.

use std::process::Command;

use alloy_primitives::{B256, U256, keccak256};
use serde_json::Value;

use crate::harness::{KEY0, Node, cast_bin, node_script, run_flow, run_ok};

const RECIPIENT: &str = "0x000000000000000000000000000000000000bEEF";

fn field<'v>(value: &'v Value, name: &str) -> &'v str {
    value[name].as_str().unwrap_or_else(|| panic!("no {name} in {value}"))
}

fn quantity(value: &Value, name: &str) -> U256 {
    field(value, name).parse().unwrap_or_else(|e| panic!("{name}: {e} in {value}"))
}

#[test]
fn a_mining_node_serves_ethers_and_cast_and_its_chain_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::start_cairn_in(dir.path(), &["--consensus", "pow"]);
    run_flow(
        node_script("ethers_flow.mjs").args([&node.http, &node.ws]),
        "ethers flow: all checks passed",
    );
    let cast = |args: &[&str]| {
        run_ok(Command::new(cast_bin()).args(args).args(["--rpc-url", node.http.as_str()]))
    };
    let sent = cast(&["send", "--private-key", KEY0, "--json", RECIPIENT, "--value", "7"]);
    let sent: Value = serde_json::from_str(&sent).unwrap();
    assert_eq!(field(&sent, "status"), "0x1", "{sent}");
    assert_eq!(cast(&["balance", RECIPIENT]), "7");

    // The first block and the twenty up to the transfer's carry work that checks out.
    let mined = quantity(&sent, "blockNumber").to::<u64>();
    for number in (mined.saturating_sub(19).max(1)..=mined).chain([1]) {
        let block: Value =
            serde_json::from_str(&cast(&["block", &number.to_string(), "--json"])).unwrap();
        let difficulty = quantity(&block, "difficulty");
        assert!(difficulty >= U256::from(131_072u64), "the spec's floor: {block}");
        let hash: B256 = field(&block, "hash").parse().unwrap();
        let nonce: alloy_primitives::B64 = field(&block, "nonce").parse().unwrap();
        let mut input = hash.to_vec();
        input.extend_from_slice(nonce.as_slice());
        let work = U256::from_be_bytes(keccak256(&input).0);
        assert!(work <= U256::MAX / difficulty, "block {number}: work {work} over the target");
    }

    // `finalized` trails the head by the spec's twelve confirmations.
    let finalized: Value = serde_json::from_str(&cast(&["block", "finalized", "--json"])).unwrap();
    let latest: u64 = cast(&["block-number"]).parse().unwrap();
    let finalized = quantity(&finalized, "number").to::<u64>();
    assert!(finalized + 12 <= latest && latest >= 12, "finalized {finalized}, head {latest}");

    node.kill9();
    let report = run_ok(
        Command::new(env!("CARGO_BIN_EXE_cairn"))
            .args(["verify", "--datadir"])
            .arg(dir.path().join("pow")),
    );
    assert!(report.starts_with("verified"), "{report}");
}
