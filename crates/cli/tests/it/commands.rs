use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use cairn_primitives::ChainSpec;

fn cairn() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cairn"));
    command.env("RUST_LOG", "error");
    command
}

#[test]
fn init_writes_a_spec_that_dev_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let spec_path = dir.path().join("chain.toml");
    let status =
        cairn().args(["init", "--chain-id", "4242", "--out"]).arg(&spec_path).status().unwrap();
    assert!(status.success());
    let spec = ChainSpec::from_file(&spec_path).unwrap();
    assert_eq!(spec.chain_id, 4242);

    let datadir = dir.path().join("data");
    let mut child = cairn()
        .args(["dev", "--rpc-addr", "127.0.0.1:0", "--api-addr", "127.0.0.1:0"])
        .args(["--block-time", "100ms", "--genesis"])
        .arg(&spec_path)
        .arg("--datadir")
        .arg(&datadir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut banner = String::new();
    while !banner.contains("JSON-RPC listening on http://127.0.0.1:") {
        assert_ne!(stdout.read_line(&mut banner).unwrap(), 0, "dev exited early: {banner}");
    }
    std::thread::sleep(Duration::from_millis(500));
    // SIGTERM: a clean stop.
    Command::new("kill").arg(child.id().to_string()).status().unwrap();
    assert!(child.wait().unwrap().success());
    assert!(banner.contains("chain id 4242"), "{banner}");
    assert!(
        banner.contains(
            "(0) 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 (10000.000000000000000000 ETH)"
        )
    );
    assert!(banner.contains("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"));

    let verified = cairn().args(["verify", "--datadir"]).arg(&datadir).output().unwrap();
    assert!(verified.status.success());
    let summary = String::from_utf8_lossy(&verified.stdout);
    assert!(summary.starts_with("verified "), "{summary}");
}
