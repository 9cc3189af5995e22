//! `cairn dev --consensus pow` with real clients: ethers' whole flow (a contract, transfers,
//! logs, filters and subscriptions) on mined blocks; cast's transfer, and each header's work
//! checked from outside (keccak256 of the block hash and the nonce under the difficulty's
//! target); `finalized` twelve blocks behind; and after a `kill -9`, `cairn verify` accepts
//! every seal and difficulty. Then `cairn dev --validators 3 --consensus pow`, three `cairn node`
//! miners: one chain whatever miner a client talks to, a miner killed with `kill -9` that
//! catches up when restarted, and stores that all verify.

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use alloy_primitives::{B256, U256, keccak256};
use serde_json::Value;

use crate::devnet::{Supervisor, alive, kill9};
use crate::harness::{KEY0, Node, cast_bin, node_script, run, run_flow, run_ok};

/// How long the miners get to agree on a block on a loaded 2-core machine.
const AGREE_TIMEOUT: Duration = Duration::from_secs(120);

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

/// Block `number` as the node at `rpc` holds it, once it has it.
fn block_at(rpc: &str, number: u64) -> Value {
    let deadline = Instant::now() + AGREE_TIMEOUT;
    loop {
        let output = run(Command::new(cast_bin()).args([
            "block",
            &number.to_string(),
            "--json",
            "--rpc-url",
            rpc,
        ]));
        if output.status.success() {
            return serde_json::from_str(output.stdout.trim()).expect("block JSON");
        }
        assert!(Instant::now() < deadline, "{rpc} has no block {number}: {}", output.stderr);
        thread::sleep(Duration::from_millis(250));
    }
}

/// Waits until every node in `rpcs` holds the same block at `number` (a branch near the head
/// may still be replaced, so they are given time to settle on the heaviest one); returns it.
fn agreed_block(rpcs: &[&str], number: u64) -> Value {
    let deadline = Instant::now() + AGREE_TIMEOUT;
    loop {
        let blocks: Vec<Value> = rpcs.iter().map(|rpc| block_at(rpc, number)).collect();
        if blocks.iter().all(|block| block["hash"] == blocks[0]["hash"]) {
            return blocks[0].clone();
        }
        assert!(Instant::now() < deadline, "the miners disagree at {number}: {blocks:?}");
        thread::sleep(Duration::from_millis(250));
    }
}

fn height(rpc: &str) -> u64 {
    run_ok(Command::new(cast_bin()).args(["block-number", "--rpc-url", rpc]))
        .parse()
        .expect("a height")
}

#[test]
fn three_dev_miners_share_one_chain_and_a_killed_miner_catches_up() {
    let mut net = Supervisor::start_with(3, &["--consensus", "pow"]);
    let rpc: Vec<&str> = net.rpc.iter().map(String::as_str).collect();
    agreed_block(&rpc, 3);

    // ethers' whole flow against one miner while the others mine too.
    let ws = rpc[1].replacen("http://", "ws://", 1);
    run_flow(node_script("ethers_flow.mjs").args([rpc[1], &ws]), "ethers flow: all checks passed");

    // A transfer sent to one miner with cast is mined (by whichever wins) and all hold it.
    let cast = |i: usize, args: &[&str]| {
        run_ok(Command::new(cast_bin()).args(args).args(["--rpc-url", rpc[i]]))
    };
    let sent = cast(2, &["send", "--private-key", KEY0, "--json", RECIPIENT, "--value", "9"]);
    let sent: Value = serde_json::from_str(&sent).unwrap();
    assert_eq!(field(&sent, "status"), "0x1", "{sent}");
    let included = quantity(&sent, "blockNumber").to::<u64>();
    agreed_block(&rpc, included + 2);
    for i in 0..3 {
        assert_eq!(cast(i, &["balance", RECIPIENT]), "9", "node{i}");
    }

    // A miner killed mid-run: the other two go on; restarted from its disk, it catches up.
    let pids: Vec<u32> = (0..3).map(|i| net.node_pid(i)).collect();
    kill9(pids[2]);
    agreed_block(&rpc[..2], height(rpc[0]) + 3);
    let network = net.datadir().join("pow-3");
    let mut restarted = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .arg("node")
        .arg("--config")
        .arg(network.join("node2/config.toml"))
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("restart node2");
    let target = height(rpc[0]) + 2;
    agreed_block(&rpc, target);

    // Blocks of more than one miner made the chain.
    let miners: HashSet<String> = (1..=target)
        .map(|number| field(&block_at(rpc[0], number), "miner").to_lowercase())
        .collect();
    assert!(miners.len() >= 2, "one miner made every block: {miners:?}");

    // Every store holds work and difficulties that check out, once its node has stopped.
    let _ = restarted.kill();
    let _ = restarted.wait();
    kill9(net.child.id());
    let _ = net.child.wait();
    let deadline = Instant::now() + AGREE_TIMEOUT;
    for (i, pid) in pids.iter().enumerate().take(2) {
        while alive(*pid) {
            assert!(Instant::now() < deadline, "node{i} outlived its supervisor");
            thread::sleep(Duration::from_millis(100));
        }
    }
    for i in 0..3 {
        let report = run_ok(
            Command::new(env!("CARGO_BIN_EXE_cairn"))
                .args(["verify", "--datadir"])
                .arg(network.join(format!("node{i}/data"))),
        );
        assert!(report.starts_with("verified"), "node{i}: {report}");
    }
}
