//! Starting the nodes under test (the real `cairn` binary, anvil) and running the client tools.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// How long a node may take to print its listening address.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one client command or flow script may run.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// Dev account 0 of the "test test ... junk" mnemonic (anvil's and Cairn's).
pub const ACCOUNT0: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
/// Dev account 0's private key.
pub const KEY0: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
/// Dev account 1.
pub const ACCOUNT1: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

/// Which node a test runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// `cairn dev --ephemeral --block-time 1s`.
    Cairn,
    /// anvil, the reference (automine).
    Anvil,
}

/// A running node, stopped (SIGTERM, then SIGKILL) when dropped.
pub struct Node {
    pub http: String,
    pub ws: String,
    /// The REST API's WebSocket base (`ws://host:port`); empty for anvil.
    pub api_ws: String,
    child: Child,
}

impl Node {
    pub fn start(target: Target) -> Node {
        let (mut command, banner, api_banner) = match target {
            Target::Cairn => {
                let mut command = Command::new(env!("CARGO_BIN_EXE_cairn"));
                command
                    .args([
                        "dev",
                        "--ephemeral",
                        "--rpc-addr",
                        "127.0.0.1:0",
                        "--api-addr",
                        "127.0.0.1:0",
                    ])
                    .args(["--block-time", "1s"])
                    .env("RUST_LOG", "warn");
                (command, "JSON-RPC listening on http://", Some("REST API listening on http://"))
            }
            Target::Anvil => {
                let mut command =
                    Command::new(tool("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"));
                command.args(["--port", "0"]);
                (command, "Listening on ", None)
            }
        };
        Self::launch(&mut command, &format!("{target:?}"), banner, api_banner)
    }

    /// A node that makes blocks only for transactions: anvil's automine, or `cairn dev` with a
    /// block time of an hour. No empty block then moves time between two steps of a flow.
    pub fn start_on_demand(target: Target) -> Node {
        match target {
            Target::Cairn => {
                let mut command = Command::new(env!("CARGO_BIN_EXE_cairn"));
                command
                    .args(["dev", "--ephemeral", "--rpc-addr", "127.0.0.1:0"])
                    .args(["--api-addr", "127.0.0.1:0", "--block-time", "1h"])
                    .env("RUST_LOG", "warn");
                let api_banner = Some("REST API listening on http://");
                Self::launch(&mut command, "cairn dev", "JSON-RPC listening on http://", api_banner)
            }
            Target::Anvil => Self::start(Target::Anvil),
        }
    }

    /// anvil with extra arguments (interval mining, finality depth).
    pub fn start_anvil(args: &[&str]) -> Node {
        let mut command =
            Command::new(tool("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"));
        command.args(["--port", "0"]).args(args);
        Self::launch(&mut command, "anvil", "Listening on ", None)
    }

    /// `cairn dev --ephemeral` with extra arguments.
    pub fn start_cairn_ephemeral(args: &[&str]) -> Node {
        let mut command = Command::new(env!("CARGO_BIN_EXE_cairn"));
        command
            .args(["dev", "--ephemeral", "--rpc-addr", "127.0.0.1:0", "--api-addr", "127.0.0.1:0"])
            .args(["--block-time", "1s"])
            .args(args)
            .env("RUST_LOG", "warn");
        let api_banner = Some("REST API listening on http://");
        Self::launch(&mut command, "cairn dev", "JSON-RPC listening on http://", api_banner)
    }

    /// `cairn dev` keeping its chain (and API keys) in `datadir`, with extra arguments.
    pub fn start_cairn_in(datadir: &Path, args: &[&str]) -> Node {
        let mut command = Command::new(env!("CARGO_BIN_EXE_cairn"));
        command
            .arg("dev")
            .arg("--datadir")
            .arg(datadir)
            .args(["--rpc-addr", "127.0.0.1:0", "--api-addr", "127.0.0.1:0"])
            .args(["--block-time", "1s"])
            .args(args)
            .env("RUST_LOG", "warn");
        let api_banner = Some("REST API listening on http://");
        Self::launch(&mut command, "cairn dev", "JSON-RPC listening on http://", api_banner)
    }

    /// `cairn dev --ephemeral` serving JSON-RPC and the REST API over TLS with this
    /// certificate chain and key: `http`, `ws` and the REST base are `https://` and `wss://`.
    pub fn start_cairn_tls(cert: &Path, key: &Path) -> Node {
        let mut command = Command::new(env!("CARGO_BIN_EXE_cairn"));
        command
            .args(["dev", "--ephemeral", "--rpc-addr", "127.0.0.1:0", "--api-addr", "127.0.0.1:0"])
            .args(["--block-time", "1s"])
            .arg("--rpc-tls-cert")
            .arg(cert)
            .arg("--rpc-tls-key")
            .arg(key)
            .arg("--api-tls-cert")
            .arg(cert)
            .arg("--api-tls-key")
            .arg(key)
            .env("RUST_LOG", "warn");
        let api_banner = Some("REST API listening on https://");
        let mut node =
            Self::launch(&mut command, "cairn dev", "JSON-RPC listening on https://", api_banner);
        node.http = node.http.replacen("http://", "https://", 1);
        node.ws = node.ws.replacen("ws://", "wss://", 1);
        node.api_ws = node.api_ws.replacen("ws://", "wss://", 1);
        node
    }

    /// The REST API's HTTP base (`http://host:port`); empty for anvil.
    pub fn api_http(&self) -> String {
        self.api_ws.replacen("wss://", "https://", 1).replacen("ws://", "http://", 1)
    }

    /// Spawns `command` and waits for its listening address (after `banner` on stdout) and
    /// the REST API's (after `api_banner`).
    fn launch(command: &mut Command, target: &str, banner: &str, api_banner: Option<&str>) -> Node {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {target}: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        // One thread reads stdout for the node's whole life (anvil logs every call there), and
        // hands over the line that carries the listening address.
        let (lines, line) = mpsc::channel();
        thread::spawn(move || {
            for text in BufReader::new(stdout).lines() {
                let Ok(text) = text else { break };
                let _ = lines.send(text);
            }
        });
        let deadline = Instant::now() + START_TIMEOUT;
        let mut seen = String::new();
        let mut wait_for = |banner: &str| loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match line.recv_timeout(left) {
                Ok(text) => {
                    if let Some(at) = text.find(banner) {
                        break text[at + banner.len()..].trim().to_string();
                    }
                    seen.push_str(&text);
                    seen.push('\n');
                }
                Err(_) => {
                    let _ = child.kill();
                    panic!(
                        "{target} printed no \"{banner}\" line within {START_TIMEOUT:?}:\n{seen}"
                    );
                }
            }
        };
        let address = wait_for(banner);
        let api_ws = api_banner.map(|banner| format!("ws://{}", wait_for(banner)));
        Node {
            http: format!("http://{address}"),
            ws: format!("ws://{address}"),
            api_ws: api_ws.unwrap_or_default(),
            child,
        }
    }
}

impl Node {
    /// Kills the node at once (SIGKILL, as `kill -9`): no shutdown code runs.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        // SIGTERM first, so cairn removes its ephemeral data directory.
        let _ = Command::new("kill").arg(self.child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The repository's e2e directory: scripts, contracts and the installed client tools.
pub fn e2e_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../e2e")
}

/// A file installed under e2e/ by `scripts/test`; panics with how to install it when missing.
pub fn tool(relative: &str) -> PathBuf {
    let path = e2e_dir().join(relative);
    assert!(
        path.exists(),
        "{} is missing: run scripts/test, which installs the e2e dependencies \
         (npm ci --prefix e2e, and a Python venv in e2e/.venv)",
        path.display()
    );
    path
}

/// Checks that the browser flows can run: playwright-core from the npm packages and Debian's
/// chromium (or the one `$CHROMIUM` names).
pub fn require_browser() {
    tool("node_modules/playwright-core/package.json");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "{chromium} is missing: scripts/test installs Debian's chromium (apt-get install chromium)"
    );
}

/// Where a browser flow's screenshots go, created: `$CAIRN_SCREENSHOTS`, else `name` beside
/// the test binaries' temporary directory.
pub fn screenshot_dir(name: &str) -> PathBuf {
    let dir = match std::env::var_os("CAIRN_SCREENSHOTS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_TARGET_TMPDIR")).join("..").join(name),
    };
    std::fs::create_dir_all(&dir).unwrap();
    dir.canonicalize().unwrap()
}

/// The cast binary from the npm package.
pub fn cast_bin() -> PathBuf {
    tool("node_modules/@foundry-rs/cast-linux-amd64/bin/cast")
}

/// A console script of the e2e virtualenv (schemathesis, openapi-spec-validator).
pub fn venv_bin(name: &str) -> PathBuf {
    tool(&format!(".venv/bin/{name}"))
}

/// The e2e virtualenv's Python (with web3 and trie).
pub fn python() -> PathBuf {
    tool(".venv/bin/python")
}

/// `node` from PATH, run in e2e/ after checking that its packages are installed.
pub fn node_script(script: &str) -> Command {
    tool("node_modules/ethers/package.json");
    tool("node_modules/solc/package.json");
    let mut command = Command::new("node");
    command.arg(script).current_dir(e2e_dir());
    command
}

/// What a finished command printed.
pub struct Output {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// The command line and everything it printed, for failure messages.
    pub fn describe(&self, what: &str) -> String {
        format!("{what}: {}\n--- stdout\n{}\n--- stderr\n{}", self.status, self.stdout, self.stderr)
    }
}

/// Runs `command` to completion (killed after RUN_TIMEOUT), capturing its output.
pub fn run(command: &mut Command) -> Output {
    run_within(command, RUN_TIMEOUT)
}

/// Runs `command` to completion (killed after `limit`), capturing its output.
pub fn run_within(command: &mut Command, limit: Duration) -> Output {
    let what = shown(command);
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    let stdout = drain(child.stdout.take().expect("piped stdout"));
    let stderr = drain(child.stderr.take().expect("piped stderr"));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for child") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{what} still running after {limit:?}\n--- stdout\n{}\n--- stderr\n{}",
                stdout.join().unwrap_or_default(),
                stderr.join().unwrap_or_default()
            );
        }
        thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

/// Runs `command`, asserts it succeeded, and returns its trimmed stdout.
pub fn run_ok(command: &mut Command) -> String {
    let what = shown(command);
    let output = run(command);
    assert!(output.status.success(), "{}", output.describe(&what));
    output.stdout.trim().to_string()
}

/// Runs a flow script (one that prints `ok: ...` lines and exits non-zero on a failed check),
/// echoes what it checked, and asserts it reached its final line.
pub fn run_flow(command: &mut Command, final_line: &str) {
    run_flow_within(command, final_line, RUN_TIMEOUT);
}

/// [`run_flow`] for a flow that may run up to `limit`.
pub fn run_flow_within(command: &mut Command, final_line: &str, limit: Duration) {
    let what = shown(command);
    let output = run_within(command, limit);
    println!("{}", output.stdout);
    assert!(
        output.status.success() && output.stdout.contains(final_line),
        "{}",
        output.describe(&what)
    );
}

/// The command line, with long arguments (bytecode) cut short.
fn shown(command: &Command) -> String {
    let mut line = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        let arg = arg.to_string_lossy();
        if arg.len() > 80 {
            line.push_str(&format!(" {}...({} bytes)", &arg[..40], arg.len()));
        } else {
            line.push_str(&format!(" {arg}"));
        }
    }
    line
}

fn drain(mut source: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = source.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Compiles e2e/contracts/`name`.sol with solc-js (e2e/compile.mjs); returns the 0x bytecode.
pub fn compile_bytecode(name: &str) -> String {
    let json = run_ok(node_script("compile.mjs").arg(name));
    let artifact: serde_json::Value = serde_json::from_str(&json).expect("compile.mjs prints JSON");
    artifact["bytecode"].as_str().expect("bytecode string").to_string()
}

/// One HTTP/1.1 request; returns the status and the whole answer (headers and body).
pub fn http(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let host = base.strip_prefix("http://").expect("http URL");
    let mut stream = TcpStream::connect(host).unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status line");
    (status, answer)
}

/// `GET path` of a REST API, as JSON; panics unless the answer is 200.
pub fn get_json(base: &str, path: &str) -> serde_json::Value {
    let (status, answer) = http(base, "GET", path, &[], "");
    assert_eq!(status, 200, "GET {path}: {answer}");
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    serde_json::from_str(body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
}

/// A base port with `4 * count` free ports after it (RPC, REST, consensus, gossip): each
/// network of this test process takes its own range, and the range is checked to be free.
/// Ranges stay below 32768, where Linux's ephemeral ports begin: a node started late (a
/// restart, the syncing full node) must not find its port taken by some outgoing connection.
pub fn free_ports(count: u16) -> u16 {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    const SLOT: u16 = 100;
    const SLOTS: u16 = 127;
    assert!(4 * count <= SLOT, "too many nodes for one port slot");
    let process_offset = (std::process::id() % 21) as u16 * 6;
    for _ in 0..100 {
        let slot = (process_offset + NEXT.fetch_add(1, Ordering::SeqCst)) % SLOTS;
        let base = 20_000 + slot * SLOT;
        if (0..4 * count).all(|i| TcpListener::bind(("127.0.0.1", base + i)).is_ok()) {
            return base;
        }
    }
    panic!("no free port range found");
}
