//! A BFT network of real `cairn node` processes on loopback, each with its own store on disk,
//! written by `cairn testnet init` and observed with cast: agreement, crash and recovery from
//! disk, and a late full node that syncs. The smoke layer over libp2p, real sockets and the
//! file write-ahead log; quorum loss, partitions, lossy links and double signing run on the
//! in-process network (`crates/simnet/tests/it`), in seconds and without sleeps.

use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{ACCOUNT1, KEY0, cast_bin, free_ports, get_json, run, run_ok};

/// How long the network gets to reach a height on a loaded 2-core machine.
const PROGRESS_TIMEOUT: Duration = Duration::from_secs(90);

/// A network written to a temporary folder; nodes are started and killed one by one.
pub(crate) struct Network {
    dir: tempfile::TempDir,
    pub(crate) rpc: Vec<String>,
    pub(crate) api: Vec<String>,
    children: Vec<Option<Child>>,
}

impl Network {
    fn init(validators: usize, full_nodes: usize) -> Network {
        Self::init_with(validators, full_nodes, &[])
    }

    /// `cairn testnet init` with `args` added.
    pub(crate) fn init_with(validators: usize, full_nodes: usize, args: &[&str]) -> Network {
        let dir = tempfile::tempdir().expect("temp dir");
        let nodes = (validators + full_nodes) as u16;
        let base = free_ports(nodes);
        run_ok(
            Command::new(env!("CARGO_BIN_EXE_cairn"))
                .args(["testnet", "init", "--validators", &validators.to_string()])
                .args(["--full-nodes", &full_nodes.to_string()])
                .arg("--out")
                .arg(dir.path())
                .args(["--rpc-port", &base.to_string()])
                .args(["--api-port", &(base + nodes).to_string()])
                .args(["--p2p-port", &(base + 2 * nodes).to_string()])
                .args(["--gossip-port", &(base + 3 * nodes).to_string()])
                .args(["--block-time", "500ms"])
                .args(args),
        );
        let rpc = (0..nodes).map(|i| format!("http://127.0.0.1:{}", base + i)).collect();
        let api = (0..nodes).map(|i| format!("http://127.0.0.1:{}", base + nodes + i)).collect();
        let children = (0..nodes).map(|_| None).collect();
        Network { dir, rpc, api, children }
    }

    fn evidence(&self, i: usize) -> Value {
        serde_json::from_str(&run_ok(self.cast(i).args(["rpc", "cairn_getEvidence"]))).unwrap()
    }

    pub(crate) fn node_dir(&self, i: usize) -> PathBuf {
        self.dir.path().join(format!("node{i}"))
    }

    /// Takes in node folder `i`, written after `init` (by `cairn testnet add-node`): its RPC
    /// and API addresses come from its config.
    pub(crate) fn adopt(&mut self, i: usize) {
        assert_eq!(i, self.rpc.len(), "node folders are adopted in order");
        let config = std::fs::read_to_string(self.node_dir(i).join("config.toml"))
            .expect("the node's config");
        let address = |key: &str| {
            config
                .lines()
                .find_map(|line| line.strip_prefix(key)?.trim_start().strip_prefix('='))
                .map(|value| value.trim().trim_matches('"').to_string())
                .unwrap_or_else(|| panic!("no {key} in node{i}'s config:\n{config}"))
        };
        self.rpc.push(format!("http://{}", address("rpc_addr")));
        self.api.push(format!("http://{}", address("api_addr")));
        self.children.push(None);
    }

    pub(crate) fn start(&mut self, i: usize) {
        let log = File::options()
            .create(true)
            .append(true)
            .open(self.dir.path().join(format!("node{i}.log")))
            .expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_cairn"))
            .arg("node")
            .arg("--config")
            .arg(self.node_dir(i).join("config.toml"))
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("start cairn node");
        self.children[i] = Some(child);
    }

    /// SIGKILL: no chance to flush anything that was not already durable.
    pub(crate) fn kill9(&mut self, i: usize) {
        if let Some(mut child) = self.children[i].take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn cast(&self, i: usize) -> Command {
        let mut command = Command::new(cast_bin());
        command.env("ETH_RPC_URL", &self.rpc[i]);
        command
    }

    pub(crate) fn height(&self, i: usize) -> Option<u64> {
        let output = run(self.cast(i).arg("block-number"));
        if !output.status.success() {
            return None;
        }
        output.stdout.trim().parse().ok()
    }

    fn block(&self, i: usize, number: u64) -> Value {
        let json = run_ok(self.cast(i).args(["block", &number.to_string(), "--json"]));
        serde_json::from_str(&json).expect("block JSON")
    }

    /// The last lines of every node's log, for failure messages.
    pub(crate) fn logs(&self) -> String {
        let mut text = String::new();
        for i in 0..self.rpc.len() {
            let path = self.dir.path().join(format!("node{i}.log"));
            let log = std::fs::read_to_string(&path).unwrap_or_default();
            let lines: Vec<&str> = log.lines().collect();
            let tail = lines[lines.len().saturating_sub(25)..].join("\n");
            text.push_str(&format!("--- node{i} (last 25 lines)\n{tail}\n"));
        }
        text
    }

    pub(crate) fn wait_height(&self, i: usize, target: u64) -> u64 {
        let deadline = Instant::now() + PROGRESS_TIMEOUT;
        loop {
            if let Some(height) = self.height(i)
                && height >= target
            {
                return height;
            }
            if Instant::now() > deadline {
                panic!(
                    "node{i} did not reach height {target} (at {:?})\n{}",
                    self.height(i),
                    self.logs()
                );
            }
            thread::sleep(Duration::from_millis(250));
        }
    }

    /// Asserts that the given nodes hold the same block (hash and state root) at `number`,
    /// waiting for each to reach it: a validator outside the deciding quorum may apply a
    /// decided block a moment after the others.
    fn assert_same_block(&self, nodes: &[usize], number: u64) {
        for &i in nodes {
            self.wait_height(i, number);
        }
        let reference = self.block(nodes[0], number);
        for &i in &nodes[1..] {
            let block = self.block(i, number);
            assert_eq!(block["hash"], reference["hash"], "node{i} differs at {number}");
            assert_eq!(block["stateRoot"], reference["stateRoot"], "node{i} state at {number}");
        }
    }

    fn receipt(&self, i: usize, hash: &str) -> Option<Value> {
        let output = run(self.cast(i).args(["rpc", "eth_getTransactionReceipt", hash]));
        let value: Value = serde_json::from_str(output.stdout.trim()).ok()?;
        (!value.is_null()).then_some(value)
    }

    fn wait_receipt(&self, i: usize, hash: &str) -> Value {
        let deadline = Instant::now() + PROGRESS_TIMEOUT;
        loop {
            if let Some(receipt) = self.receipt(i, hash) {
                return receipt;
            }
            assert!(Instant::now() < deadline, "no receipt for {hash} on node{i}\n{}", self.logs());
            thread::sleep(Duration::from_millis(250));
        }
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        for i in 0..self.children.len() {
            self.kill9(i);
        }
    }
}

#[test]
fn four_validators_agree_survive_a_crash_and_a_late_node_syncs() {
    let mut net = Network::init(4, 1);
    for i in 0..4 {
        net.start(i);
    }
    for i in 0..4 {
        net.wait_height(i, 3);
    }
    net.assert_same_block(&[0, 1, 2, 3], 3);
    // Honest validators leave no equivocation evidence.
    assert_eq!(net.evidence(0), serde_json::json!([]));

    // A transaction sent to one validator is included and visible from all.
    let hash = run_ok(net.cast(2).args([
        "send",
        "--async",
        "--private-key",
        KEY0,
        ACCOUNT1,
        "--value",
        "12345",
    ]));
    let receipt = net.wait_receipt(0, &hash);
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    let included: u64 =
        u64::from_str_radix(receipt["blockNumber"].as_str().unwrap().trim_start_matches("0x"), 16)
            .unwrap();
    for i in 1..4 {
        net.wait_height(i, included);
        assert_eq!(net.wait_receipt(i, &hash)["blockHash"], receipt["blockHash"]);
    }
    net.assert_same_block(&[0, 1, 2, 3], included);

    // One validator crashes: the other three keep finalising.
    net.kill9(3);
    let at_crash = net.height(0).unwrap();
    net.wait_height(0, at_crash + 4);
    net.wait_height(1, at_crash + 4);

    // It restarts from its own disk, catches up and agrees.
    net.start(3);
    let target = net.height(0).unwrap() + 2;
    net.wait_height(3, target);
    net.assert_same_block(&[0, 1, 2, 3], target);

    // The REST API shows the set, who signed each block and who missed blocks while down.
    let set = get_json(&net.api[0], "/v1/validators");
    assert_eq!(set["consensus"], "bft", "{set}");
    assert_eq!(set["total_power"], 4, "{set}");
    let validators = set["validators"].as_array().unwrap();
    assert_eq!(validators.len(), 4, "{set}");
    assert!(validators.iter().all(|v| v["last_signed_block"].is_u64()), "{set}");
    let missed: u64 = validators.iter().map(|v| v["missed_blocks"].as_u64().unwrap()).sum();
    assert!(missed >= 4, "the crashed validator missed blocks: {set}");
    let block = get_json(&net.api[0], &format!("/v1/blocks/{target}"));
    let signers = block["signers"].as_array().unwrap();
    assert!(signers.len() >= 3, "a certificate needs three of four: {block}");
    let deadline = Instant::now() + PROGRESS_TIMEOUT;
    while get_json(&net.api[0], "/v1/status")["peers"].as_u64() < Some(1) {
        assert!(Instant::now() < deadline, "node0 reports no peers\n{}", net.logs());
        thread::sleep(Duration::from_millis(250));
    }
    let peers = get_json(&net.api[0], "/v1/peers");
    assert!(peers["count"].as_u64() >= Some(1), "{peers}");

    // A full node started late with an empty store syncs everything, then follows the head.
    net.start(4);
    let target = net.height(0).unwrap();
    net.wait_height(4, target);
    net.assert_same_block(&[0, 4], target);
    net.wait_height(4, target + 3);

    // Its store audits clean: every certificate verifies against the validator set.
    net.kill9(4);
    let report = run_ok(
        Command::new(env!("CARGO_BIN_EXE_cairn"))
            .args(["verify", "--datadir"])
            .arg(net.node_dir(4).join("data")),
    );
    assert!(report.starts_with("verified"), "{report}");
}
