//! Storage faults through the real binary: a missing, empty or damaged store is a clear error
//! with a non-zero exit that creates or changes nothing; `verify` only reads (a read-only
//! file, a read-only mount, a crashed node's file); and a full disk makes `cairn dev`
//! fail-stop: readiness 503, transactions refused, exit 1, and nothing acknowledged lost.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use alloy_primitives::Address;
use cairn_primitives::test_utils::signed_transfer;
use cairn_primitives::{ChainSpec, dev_accounts};
use sha2::{Digest, Sha256};

use crate::verify::make_chain;

fn cairn() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cairn"));
    command.env("RUST_LOG", "error");
    command
}

fn sha256(path: &Path) -> Vec<u8> {
    Sha256::digest(std::fs::read(path).unwrap()).to_vec()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn verify(datadir: &Path) -> Output {
    cairn().args(["verify", "--datadir"]).arg(datadir).output().unwrap()
}

/// `cairn dev` on `datadir`, expected to refuse to start.
fn dev_refused(datadir: &Path) -> Output {
    let mut child = cairn()
        .args(["dev", "--rpc-addr", "127.0.0.1:0", "--api-addr", "127.0.0.1:0", "--datadir"])
        .arg(datadir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("cairn dev started on {}", datadir.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// A data directory with the dev spec and whatever `store` makes of `chain.redb`.
fn datadir_with(store: impl FnOnce(&Path)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let spec = ChainSpec::dev().unwrap();
    std::fs::write(dir.path().join("genesis.json"), spec.render(false).unwrap()).unwrap();
    store(&dir.path().join("chain.redb"));
    dir
}

#[test]
fn a_missing_store_is_an_error_and_none_is_created() {
    let dir = datadir_with(|_| {});
    let store = dir.path().join("chain.redb");
    for output in [verify(dir.path()), dev_refused(dir.path())] {
        assert_eq!(output.status.code(), Some(1), "{}", text(&output));
        let expected = format!("{} does not exist; restore it from a backup", store.display());
        assert!(text(&output).contains(&expected), "{}", text(&output));
        assert!(!store.exists(), "a store was created");
    }
}

#[test]
fn an_empty_store_is_an_error_and_stays_empty() {
    let dir = datadir_with(|store| std::fs::write(store, b"").unwrap());
    let store = dir.path().join("chain.redb");
    for output in [verify(dir.path()), dev_refused(dir.path())] {
        assert_eq!(output.status.code(), Some(1), "{}", text(&output));
        assert!(
            text(&output).contains("is empty (0 bytes) and holds no chain"),
            "{}",
            text(&output)
        );
        assert_eq!(std::fs::metadata(&store).unwrap().len(), 0);
    }
}

/// The issue's reproducer: the 512 bytes at offset 4096 flipped. Neither command panics
/// (exit 101); both name the damaged page, exit 1 and leave the file as it was.
#[test]
fn a_corrupted_page_is_a_clear_error_and_the_file_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    make_chain(dir.path());
    let store = dir.path().join("chain.redb");
    let mut bytes = std::fs::read(&store).unwrap();
    for byte in &mut bytes[4096..4096 + 512] {
        *byte ^= 0xff;
    }
    std::fs::write(&store, &bytes).unwrap();
    let before = sha256(&store);
    for output in [verify(dir.path()), verify(dir.path()), dev_refused(dir.path())] {
        assert_eq!(output.status.code(), Some(1), "{}", text(&output));
        assert!(text(&output).contains("store is corrupt at page 1 "), "{}", text(&output));
        assert!(text(&output).contains("; restore from a backup or resync"), "{}", text(&output));
        assert_eq!(sha256(&store), before, "the store file changed");
    }
}

#[test]
fn verify_only_reads_a_healthy_a_damaged_and_a_read_only_store() {
    let dir = tempfile::tempdir().unwrap();
    let head = make_chain(dir.path());
    let store = dir.path().join("chain.redb");
    let before = sha256(&store);
    for _ in 0..2 {
        let output = verify(dir.path());
        assert!(output.status.success(), "{}", text(&output));
        assert_eq!(sha256(&store), before, "verify wrote to a healthy store");
    }

    // A backup: the files read-only. (As root the permission bits do not stop a write; the
    // hash does.)
    let backup = tempfile::tempdir().unwrap();
    for file in ["genesis.json", "chain.redb"] {
        let copy = backup.path().join(file);
        std::fs::copy(dir.path().join(file), &copy).unwrap();
        std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o444)).unwrap();
    }
    std::fs::set_permissions(backup.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
    let output = verify(backup.path());
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout).starts_with(&format!("verified {head} blocks")),
        "{}",
        text(&output)
    );
    assert_eq!(sha256(&backup.path().join("chain.redb")), before);
    std::fs::set_permissions(backup.path(), std::fs::Permissions::from_mode(0o755)).unwrap();

    // A damaged record: verify names it, again and again, and never repairs anything.
    let damaged = tempfile::tempdir().unwrap();
    std::fs::copy(dir.path().join("genesis.json"), damaged.path().join("genesis.json")).unwrap();
    let mut bytes = std::fs::read(&store).unwrap();
    let len = bytes.len();
    for at in (len / 4..len).step_by(len / 16).take(16) {
        for byte in &mut bytes[at..at + 16] {
            *byte ^= 0x5a;
        }
    }
    let copy = damaged.path().join("chain.redb");
    std::fs::write(&copy, &bytes).unwrap();
    let first = verify(damaged.path());
    assert!(!first.status.success(), "{}", text(&first));
    assert_ne!(first.status.code(), Some(101), "verify panicked: {}", text(&first));
    for _ in 0..2 {
        assert_eq!(sha256(&copy), Sha256::digest(&bytes).to_vec(), "verify wrote");
        let again = verify(damaged.path());
        assert_eq!(text(&again), text(&first), "a second audit saw another store");
    }
}

/// The shell command, its arguments after the script, run in a new mount namespace (as root
/// here and on CI; otherwise as root of a new user namespace).
fn in_mount_namespace(script: &str, args: &[&Path]) -> Command {
    let root = Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    let mut command = Command::new("unshare");
    command.arg(if root { "-m" } else { "-rm" }).args(["sh", "-c", script, "sh"]).args(args);
    command.env("RUST_LOG", "error");
    command
}

#[test]
fn verify_works_on_a_read_only_mount() {
    let dir = tempfile::tempdir().unwrap();
    make_chain(dir.path());
    let before = sha256(&dir.path().join("chain.redb"));
    let cairn = PathBuf::from(env!("CARGO_BIN_EXE_cairn"));
    let output = in_mount_namespace(
        r#"mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" "$1" &&
           if touch "$1/probe" 2>/dev/null; then echo "the mount is writable"; exit 3; fi &&
           exec "$2" verify --datadir "$1""#,
        &[dir.path(), &cairn],
    )
    .output()
    .unwrap();
    assert!(output.status.success(), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("verified "), "{}", text(&output));
    assert_eq!(sha256(&dir.path().join("chain.redb")), before);
}

#[test]
fn verify_reads_a_killed_nodes_store_without_writing_it() {
    let dir = tempfile::tempdir().unwrap();
    let datadir = dir.path().join("data");
    let (mut child, endpoints) = start_dev(&mut cairn(), &datadir);
    let height = wait_for_height(&endpoints, 3);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let store = datadir.join("chain.redb");
    let before = sha256(&store);
    let output = verify(&datadir);
    assert!(output.status.success(), "{}", text(&output));
    let summary = String::from_utf8_lossy(&output.stdout);
    let verified: u64 = summary.split(' ').nth(1).unwrap().parse().unwrap();
    assert!(verified >= height, "{summary}");
    assert_eq!(sha256(&store), before, "verify wrote to the crashed node's store");
}

/// Where a running `cairn dev` serves.
/// Where a started node listens (host:port).
pub(crate) struct Endpoints {
    pub(crate) rpc: String,
    pub(crate) api: String,
}

/// Starts `command` (a `cairn dev`, or a wrapper that runs one) with `--datadir datadir` and
/// random ports, and reads its banner up to both listening addresses.
fn start_dev(command: &mut Command, datadir: &Path) -> (Child, Endpoints) {
    let mut child = command
        .args(["dev", "--rpc-addr", "127.0.0.1:0", "--api-addr", "127.0.0.1:0"])
        .args(["--block-time", "100ms", "--datadir"])
        .arg(datadir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (child, endpoints) = read_banner(child.stdout.take().unwrap(), child);
    (child, endpoints)
}

/// Reads a `cairn dev` banner from `stdout` up to both listening addresses, then keeps
/// draining it.
pub(crate) fn read_banner(stdout: impl Read + Send + 'static, child: Child) -> (Child, Endpoints) {
    let mut lines = BufReader::new(stdout).lines();
    let mut address = |prefix: &str| loop {
        let line = lines.next().unwrap_or_else(|| panic!("no {prefix} line")).unwrap();
        if let Some(address) = line.strip_prefix(prefix) {
            return address.to_string();
        }
    };
    let rpc = address("JSON-RPC listening on http://");
    let api = address("REST API listening on http://");
    // Keep draining stdout so the node never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, Endpoints { rpc, api })
}

/// One HTTP/1.1 request; the status and body of the answer.
fn http(address: &str, method: &str, path: &str, headers: &[&str], body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    for header in headers {
        request.push_str(&format!("{header}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

/// One JSON-RPC call; the whole answer object.
pub(crate) fn rpc(
    endpoints: &Endpoints,
    method: &str,
    params: serde_json::Value,
) -> serde_json::Value {
    let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let (_, answer) =
        http(&endpoints.rpc, "POST", "/", &["Content-Type: application/json"], &body.to_string());
    serde_json::from_str(&answer).unwrap_or_else(|e| panic!("{e}: {answer}"))
}

fn height(endpoints: &Endpoints) -> u64 {
    let answer = rpc(endpoints, "eth_blockNumber", serde_json::json!([]));
    u64::from_str_radix(answer["result"].as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

/// Polls the node until its head reaches `target` (at most 60 s); the head it reached.
pub(crate) fn wait_for_height(endpoints: &Endpoints, target: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let height = height(endpoints);
        if height >= target {
            return height;
        }
        assert!(Instant::now() < deadline, "stuck at height {height}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Fills the file system holding `dir` to its last byte.
fn fill(dir: &Path) {
    let mut file = std::fs::File::create(dir.join("fill")).unwrap();
    let mut chunk = 1 << 20;
    while chunk > 0 {
        if file.write_all(&vec![0xff; chunk]).is_err() {
            chunk /= 2;
        }
    }
    let _ = file.sync_all();
}

/// A `cairn dev` whose data directory is on a small tmpfs, mounted in a mount namespace of its
/// own. The disk is filled while it runs: it must stop producing, answer readiness with 503,
/// refuse transactions with the reason, exit 1 after its drain period, and have lost nothing
/// it committed (the same shell then frees the space and audits the store).
#[test]
fn a_full_disk_makes_the_node_fail_stop() {
    let dir = tempfile::tempdir().unwrap();
    let mount = dir.path().join("mnt");
    std::fs::create_dir(&mount).unwrap();
    let keys = dir.path().join("keys");
    let created = cairn()
        .args(["api-keys", "create", "--scopes", "tx:write", "--datadir"])
        .arg(&keys)
        .output()
        .unwrap();
    assert!(created.status.success(), "{}", text(&created));
    let key = String::from_utf8_lossy(&created.stdout).trim().to_string();
    let cairn_path = PathBuf::from(env!("CARGO_BIN_EXE_cairn"));
    let mut wrapper = in_mount_namespace(
        r#"mount -t tmpfs -o size=8m tmpfs "$1" && mkdir "$1/data" &&
           cp "$2/api-keys.json" "$1/data/" || exit 3
           mnt="$1"; cairn="$3"; shift 3
           "$cairn" "$@"
           echo "dev exited with $?"
           rm -f "$mnt/fill"
           exec "$cairn" verify --datadir "$mnt/data""#,
        &[&mount, &keys, &cairn_path],
    );
    let mut child = wrapper
        .args(["dev", "--rpc-addr", "127.0.0.1:0", "--api-addr", "127.0.0.1:0"])
        .args(["--block-time", "100ms", "--datadir"])
        .arg(mount.join("data"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    let mut address = |prefix: &str| loop {
        let mut line = String::new();
        assert_ne!(stdout.read_line(&mut line).unwrap(), 0, "no {prefix} line: {lines:?}");
        if let Some(address) = line.trim().strip_prefix(prefix) {
            return address.to_string();
        }
        lines.push(line);
    };
    let endpoints = Endpoints {
        rpc: address("JSON-RPC listening on http://"),
        api: address("REST API listening on http://"),
    };
    let acknowledged = wait_for_height(&endpoints, 3);
    let (status, _) = http(&endpoints.api, "GET", "/health/ready", &[], "");
    assert_eq!(status, 200);

    // The tmpfs as the node sees it, through its shell's root in the other mount namespace.
    fill(&PathBuf::from(format!("/proc/{}/root{}", child.id(), mount.display())));

    let deadline = Instant::now() + Duration::from_secs(30);
    let reason = loop {
        let (status, body) = http(&endpoints.api, "GET", "/health/ready", &[], "");
        if status == 503 {
            break body;
        }
        assert_eq!(status, 200, "{body}");
        assert!(Instant::now() < deadline, "still ready with a full disk");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(reason.contains("storage error"), "{reason}");
    assert!(reason.contains("No space left on device"), "{reason}");
    let stopped_at = height(&endpoints);

    let signer = &dev_accounts(1).unwrap()[0].signer;
    let raw = signed_transfer(signer, 31337, 0, Address::repeat_byte(0x42), 1).unwrap();
    let raw = format!("0x{}", hex::encode(&raw));
    let refused = rpc(&endpoints, "eth_sendRawTransaction", serde_json::json!([raw]));
    assert_eq!(refused["error"]["code"], -32000, "{refused}");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("node is not accepting transactions: storage error: "),
        "{message}"
    );
    let body = serde_json::json!({ "raw": raw }).to_string();
    let authorization = format!("Authorization: Bearer {key}");
    let (status, problem) = http(
        &endpoints.api,
        "POST",
        "/v1/transactions",
        &["Content-Type: application/json", &authorization],
        &body,
    );
    assert_eq!(status, 503, "{problem}");
    let problem: serde_json::Value = serde_json::from_str(&problem).unwrap();
    assert_eq!(problem["type"], "urn:cairn:problem:storage_unavailable", "{problem}");
    assert_eq!(problem["code"], "storage_unavailable", "{problem}");

    // Nothing more is produced, and the process exits 1 once its drain period is over.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(height(&endpoints), stopped_at, "blocks after the failure");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert!(rest.contains("dev exited with 1"), "{rest}\n{stderr}");
    assert!(stderr.contains("stopped after a storage failure"), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");

    // With the space freed, the store audits clean with every acknowledged block.
    assert!(status.success(), "{rest}\n{stderr}");
    let summary = rest.lines().find(|l| l.starts_with("verified ")).unwrap_or_default();
    let verified: u64 = summary.split(' ').nth(1).unwrap_or("0").parse().unwrap();
    assert!(verified >= acknowledged.max(stopped_at), "{rest}");
}
