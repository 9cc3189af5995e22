//! `cairn dev --validators 4` as a person runs it: one supervisor process and its four node
//! processes. Killing one node leaves the others finalising and the supervisor names the dead
//! node; killing the supervisor with SIGKILL leaves no node process behind.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::harness::free_ports;

/// How long the network gets to reach a height on a loaded 2-core machine.
const PROGRESS_TIMEOUT: Duration = Duration::from_secs(90);

/// The supervisor and everything it printed so far.
pub(crate) struct Supervisor {
    pub(crate) child: Child,
    output: Arc<Mutex<String>>,
    _dir: tempfile::TempDir,
    /// Each node's REST API (and explorer) URL.
    pub(crate) api: Vec<String>,
    /// Each node's JSON-RPC URL.
    pub(crate) rpc: Vec<String>,
}

impl Supervisor {
    fn start(validators: u16) -> Supervisor {
        Self::start_with(validators, &[])
    }

    /// `cairn dev --validators N` with `args` added.
    pub(crate) fn start_with(validators: u16, args: &[&str]) -> Supervisor {
        // Node i's gossip port is the consensus port plus 1000, outside the checked range.
        let base = loop {
            let base = free_ports(validators);
            let gossip = base + 2 * validators + 1000;
            if (0..validators).all(|i| TcpListener::bind(("127.0.0.1", gossip + i)).is_ok()) {
                break base;
            }
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new(env!("CARGO_BIN_EXE_cairn"))
            .args(["dev", "--validators", &validators.to_string(), "--block-time", "500ms"])
            .arg("--datadir")
            .arg(dir.path())
            .args(["--rpc-addr", &format!("127.0.0.1:{base}")])
            .args(["--api-addr", &format!("127.0.0.1:{}", base + validators)])
            .args(["--p2p-port", &(base + 2 * validators).to_string()])
            .args(args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start cairn dev --validators");
        let output = Arc::new(Mutex::new(String::new()));
        collect(child.stdout.take().expect("piped stdout"), output.clone());
        collect(child.stderr.take().expect("piped stderr"), output.clone());
        let api = (0..validators)
            .map(|i| format!("http://127.0.0.1:{}", base + validators + i))
            .collect();
        let rpc = (0..validators).map(|i| format!("http://127.0.0.1:{}", base + i)).collect();
        Supervisor { child, output, _dir: dir, api, rpc }
    }

    pub(crate) fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// Waits until the supervisor has printed a line containing `text`; returns that line.
    fn wait_line(&self, text: &str) -> String {
        let deadline = Instant::now() + PROGRESS_TIMEOUT;
        loop {
            if let Some(line) = self.output().lines().find(|l| l.contains(text)) {
                return line.to_string();
            }
            assert!(Instant::now() < deadline, "no line with {text:?}:\n{}", self.output());
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// The data folder given with `--datadir`.
    pub(crate) fn datadir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// The pid of node `i`, from the supervisor's banner.
    pub(crate) fn node_pid(&self, i: usize) -> u32 {
        let line = self.wait_line(&format!("node{i}: pid "));
        let pid = line.split("pid ").nth(1).and_then(|rest| rest.split_whitespace().next());
        pid.and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("no pid in {line:?}"))
    }

    /// Node `i`'s finalized height, or `None` while it does not answer.
    fn height(&self, i: usize) -> Option<u64> {
        let host = self.api[i].strip_prefix("http://")?;
        let mut stream = TcpStream::connect(host).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        let request =
            format!("GET /v1/status HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).ok()?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).ok()?;
        let body = answer.split_once("\r\n\r\n")?.1;
        let status: serde_json::Value = serde_json::from_str(body).ok()?;
        status["finalized_height"].as_u64()
    }

    pub(crate) fn wait_finalized(&self, i: usize, target: u64) {
        let deadline = Instant::now() + PROGRESS_TIMEOUT;
        while self.height(i) < Some(target) {
            assert!(
                Instant::now() < deadline,
                "node{i} did not finalise block {target}:\n{}",
                self.output()
            );
            thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn collect(source: impl Read + Send + 'static, into: Arc<Mutex<String>>) {
    thread::spawn(move || {
        for line in BufReader::new(source).lines() {
            let Ok(line) = line else { break };
            let mut text = into.lock().unwrap();
            text.push_str(&line);
            text.push('\n');
        }
    });
}

/// Whether process `pid` still runs (a zombie waiting to be reaped has ended).
pub(crate) fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name in parentheses, which may itself hold spaces.
        Ok(stat) => stat.rsplit_once(") ").is_some_and(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => false,
    }
}

pub(crate) fn kill9(pid: u32) {
    let status = Command::new("kill").args(["-9", &pid.to_string()]).status().expect("kill");
    assert!(status.success(), "kill -9 {pid} failed");
}

#[test]
fn a_killed_node_leaves_the_others_finalising_and_no_node_outlives_its_supervisor() {
    let mut net = Supervisor::start(4);
    let pids: Vec<u32> = (0..4).map(|i| net.node_pid(i)).collect();
    for i in 0..4 {
        net.wait_finalized(i, 2);
    }

    kill9(pids[2]);
    let report = net.wait_line(&format!("node2 (pid {}) ", pids[2]));
    assert!(report.contains("was killed by signal 9 (SIGKILL)"), "{report}");
    assert!(report.contains("3 of 4 nodes still running"), "{report}");
    let before = net.height(0).expect("node0 answers");
    for i in [0, 1, 3] {
        net.wait_finalized(i, before + 3);
    }
    assert!(matches!(net.child.try_wait(), Ok(None)), "the supervisor stopped:\n{}", net.output());

    kill9(net.child.id());
    let _ = net.child.wait();
    let deadline = Instant::now() + Duration::from_secs(20);
    for i in [0, 1, 3] {
        while alive(pids[i]) {
            assert!(Instant::now() < deadline, "node{i} (pid {}) outlived its supervisor", pids[i]);
            thread::sleep(Duration::from_millis(100));
        }
    }
}
