//! A BFT network of real `cairn node` processes on loopback, each with its own store on disk,
//! written by `cairn testnet init` and observed with cast: agreement, crash and recovery,
//! loss of quorum, and a late full node that syncs.

use std::fs::File;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{ACCOUNT1, KEY0, cast_bin, free_ports, get_json, run, run_ok};
use crate::proxy::Link;

/// How long the network gets to reach a height on a loaded 2-core machine.
const PROGRESS_TIMEOUT: Duration = Duration::from_secs(90);

/// A network written to a temporary folder; nodes are started and killed one by one.
struct Network {
    dir: tempfile::TempDir,
    rpc: Vec<String>,
    api: Vec<String>,
    children: Vec<Option<Child>>,
    p2p_base: u16,
}

impl Network {
    fn init(validators: usize, full_nodes: usize) -> Network {
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
                .args(["--block-time", "500ms"]),
        );
        let rpc = (0..nodes).map(|i| format!("http://127.0.0.1:{}", base + i)).collect();
        let api = (0..nodes).map(|i| format!("http://127.0.0.1:{}", base + nodes + i)).collect();
        let children = (0..nodes).map(|_| None).collect();
        Network { dir, rpc, api, children, p2p_base: base + 2 * nodes }
    }

    fn config(&self, i: usize) -> toml::Table {
        let text = std::fs::read_to_string(self.node_dir(i).join("config.toml")).unwrap();
        text.parse().unwrap()
    }

    fn set_config(&self, i: usize, config: &toml::Table) {
        std::fs::write(self.node_dir(i).join("config.toml"), config.to_string()).unwrap();
    }

    /// Makes every node dial every other through a proxy the test controls; returns the
    /// proxies by (dialer, dialed).
    fn route_through_proxies(&self) -> Vec<((usize, usize), Link)> {
        let nodes = self.rpc.len();
        let mut links = Vec::new();
        for i in 0..nodes {
            let mut peers = Vec::new();
            for j in (0..nodes).filter(|&j| j != i) {
                let target = SocketAddr::from(([127, 0, 0, 1], self.p2p_base + j as u16));
                let link = Link::start(target);
                peers.push(toml::Value::from(format!("/ip4/127.0.0.1/tcp/{}", link.port)));
                links.push(((i, j), link));
            }
            let mut config = self.config(i);
            config.insert("peers".into(), toml::Value::Array(peers));
            self.set_config(i, &config);
        }
        links
    }

    /// Turns full node `spare` into a second copy of validator `of`: same consensus key, its
    /// own store, network identity and ports, and another fee recipient, so whenever validator
    /// `of` proposes, its two copies sign different blocks for the same height and round.
    fn make_double(&self, spare: usize, of: usize) {
        let original = self.config(of);
        let keys = self.node_dir(of);
        let mut config = self.config(spare);
        for field in ["validator_key", "validator_password_file"] {
            let path = keys.join(original[field].as_str().unwrap());
            config.insert(field.into(), toml::Value::from(path.display().to_string()));
        }
        config.insert("fee_recipient".into(), toml::Value::from(ACCOUNT1));
        self.set_config(spare, &config);
    }

    /// Validator `i`'s address, from the chain spec.
    fn validator_address(&self, i: usize) -> String {
        let genesis = std::fs::read_to_string(self.dir.path().join("genesis.json")).unwrap();
        let spec: Value = serde_json::from_str(&genesis).unwrap();
        let name = format!("node{i}");
        let validator = spec["validators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == name.as_str())
            .unwrap_or_else(|| panic!("{name} is not in the validator set: {spec}"));
        validator["address"].as_str().unwrap().to_lowercase()
    }

    fn evidence(&self, i: usize) -> Value {
        serde_json::from_str(&run_ok(self.cast(i).args(["rpc", "cairn_getEvidence"]))).unwrap()
    }

    fn heights(&self, nodes: &[usize]) -> Vec<u64> {
        nodes.iter().map(|&i| self.height(i).unwrap()).collect()
    }

    fn node_dir(&self, i: usize) -> PathBuf {
        self.dir.path().join(format!("node{i}"))
    }

    fn start(&mut self, i: usize) {
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
    fn kill9(&mut self, i: usize) {
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

    fn height(&self, i: usize) -> Option<u64> {
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
    fn logs(&self) -> String {
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

    fn wait_height(&self, i: usize, target: u64) -> u64 {
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

    /// Asserts that the given nodes hold the same block (hash and state root) at `number`.
    fn assert_same_block(&self, nodes: &[usize], number: u64) {
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

#[test]
fn without_quorum_nothing_is_finalised_and_one_return_resumes() {
    let mut net = Network::init(4, 0);
    for i in 0..4 {
        net.start(i);
    }
    net.wait_height(0, 2);
    net.kill9(2);
    net.kill9(3);
    // A block already agreed when the two stopped may still land; then nothing more can.
    thread::sleep(Duration::from_secs(3));
    let stalled = net.height(0).unwrap();
    thread::sleep(Duration::from_secs(5));
    assert_eq!(net.height(0), Some(stalled), "finalised without a quorum\n{}", net.logs());
    assert_eq!(net.height(1).unwrap(), stalled, "{}", net.logs());
    net.assert_same_block(&[0, 1], stalled);

    net.start(2);
    net.wait_height(0, stalled + 2);
    net.wait_height(2, stalled + 2);
    net.assert_same_block(&[0, 1, 2], stalled + 2);
}

#[test]
fn a_partition_halts_finality_without_forks_and_healing_resumes_it() {
    let mut net = Network::init(4, 0);
    let links = net.route_through_proxies();
    for i in 0..4 {
        net.start(i);
    }
    for i in 0..4 {
        net.wait_height(i, 2);
    }

    // Every message delayed: slower, still live and in agreement.
    for (_, link) in &links {
        link.set_delay(Duration::from_millis(50));
    }
    let target = net.height(0).unwrap() + 3;
    for i in 0..4 {
        net.wait_height(i, target);
    }
    net.assert_same_block(&[0, 1, 2, 3], target);
    for (_, link) in &links {
        link.set_delay(Duration::ZERO);
    }

    // 2 + 2: neither side holds more than two thirds, so neither finalises.
    let side = |i: usize| i < 2;
    for ((from, to), link) in &links {
        link.set_cut(side(*from) != side(*to));
    }
    thread::sleep(Duration::from_secs(3));
    let stalled = net.heights(&[0, 1, 2, 3]);
    thread::sleep(Duration::from_secs(5));
    assert_eq!(net.heights(&[0, 1, 2, 3]), stalled, "finalised while split\n{}", net.logs());
    let common = *stalled.iter().min().unwrap();
    net.assert_same_block(&[0, 1, 2, 3], common);

    // Healed: finality resumes and everyone agrees.
    for (_, link) in &links {
        link.set_cut(false);
    }
    let target = stalled.iter().max().unwrap() + 2;
    for i in 0..4 {
        net.wait_height(i, target);
    }
    net.assert_same_block(&[0, 1, 2, 3], target);
}

#[test]
fn a_validator_running_twice_cannot_fork_the_chain() {
    let mut net = Network::init(4, 1);
    for i in 0..4 {
        net.start(i);
    }
    net.wait_height(0, 2);
    net.make_double(4, 3);
    net.start(4);
    net.wait_height(4, net.height(0).unwrap());

    // Validator 3 proposes every fourth height: each time, both copies sign a proposal and a
    // prevote for their own block, and every honest node records the pair as evidence.
    let double = net.validator_address(3);
    let by_double = |evidence: &Value| -> Vec<Value> {
        let entries = evidence.as_array().unwrap().iter();
        entries
            .filter(|e| e["validator"].as_str().map(str::to_lowercase) == Some(double.clone()))
            .cloned()
            .collect()
    };
    for i in 0..3 {
        let deadline = Instant::now() + PROGRESS_TIMEOUT;
        while by_double(&net.evidence(i)).is_empty() {
            assert!(Instant::now() < deadline, "node{i} recorded no evidence\n{}", net.logs());
            thread::sleep(Duration::from_millis(250));
        }
        let evidence = net.evidence(i);
        // Only the validator running twice equivocated, with two different blocks.
        assert_eq!(by_double(&evidence).len(), evidence.as_array().unwrap().len(), "{evidence}");
        assert!(
            by_double(&evidence).iter().any(|e| {
                (e["kind"] == "proposal" || e["kind"] == "prevote") && e["first"] != e["second"]
            }),
            "{evidence}"
        );
    }
    // The REST API serves the same evidence.
    let set = get_json(&net.api[0], "/v1/validators");
    assert!(!by_double(&set["evidence"]).is_empty(), "{set}");

    // Whichever copy won each height, every node holds the same chain and stays live.
    let target = net.height(0).unwrap() + 4;
    for i in 0..5 {
        net.wait_height(i, target);
    }
    net.assert_same_block(&[0, 1, 2, 3, 4], target);
}
