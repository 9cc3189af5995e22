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
    let status = cairn()
        .args(["init", "--chain-id", "4242", "--gas-limit", "100000000", "--out"])
        .arg(&spec_path)
        .status()
        .unwrap();
    assert!(status.success());
    let spec = ChainSpec::from_file(&spec_path).unwrap();
    assert_eq!((spec.chain_id, spec.gas_limit), (4242, 100_000_000));
    let too_big = dir.path().join("too_big.json");
    let refused = cairn()
        .args(["init", "--gas-limit", "1000000001", "--out"])
        .arg(&too_big)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("gas_limit must be between"));
    assert!(!too_big.exists());

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

#[test]
fn testnet_init_sets_the_block_rules_and_refuses_bad_ones_before_writing_keys() {
    let dir = tempfile::tempdir().unwrap();
    let refused_dir = dir.path().join("refused");
    let refused = cairn()
        .args(["testnet", "init", "--validators", "2", "--gas-limit", "20000", "--out"])
        .arg(&refused_dir)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("gas_limit must be between"));
    assert!(!refused_dir.exists(), "nothing written for a refused network");

    let out = dir.path().join("net");
    let status = cairn()
        .args(["testnet", "init", "--validators", "2", "--gas-limit", "100000000"])
        .args(["--block-time", "250ms", "--out"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let spec = ChainSpec::from_file(&out.join("genesis.json")).unwrap();
    assert_eq!((spec.gas_limit, spec.block_time_ms, spec.validators.len()), (100_000_000, 250, 2));
}

#[test]
fn block_times_under_a_millisecond_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let datadir = dir.path().join("data");
    for time in ["0s", "1ns", "999us"] {
        let refused = cairn()
            .args(["dev", "--block-time", time, "--datadir"])
            .arg(&datadir)
            .output()
            .unwrap();
        assert_eq!(refused.status.code(), Some(2), "{time}");
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains("the block time must be at least 1ms"), "{time}: {stderr}");
        let out = dir.path().join("net");
        let refused = cairn()
            .args(["testnet", "init", "--validators", "1", "--block-time", time, "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert_eq!(refused.status.code(), Some(2), "{time}");
        assert!(!out.exists());
    }
    assert!(!datadir.exists(), "nothing written for a refused block time");
}

#[test]
fn a_log_written_to_a_pipe_has_no_colour_codes() {
    let mut child = cairn()
        .args(["dev", "--ephemeral", "--rpc-addr", "127.0.0.1:0", "--api-addr", "127.0.0.1:0"])
        .args(["--block-time", "50ms"])
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut log = String::new();
    while !log.contains("block committed") {
        assert_ne!(stderr.read_line(&mut log).unwrap(), 0, "dev exited early: {log}");
    }
    Command::new("kill").arg(child.id().to_string()).status().unwrap();
    child.wait().unwrap();
    assert!(log.contains(" INFO "), "{log}");
    assert!(!log.contains('\u{1b}'), "escape sequences in a piped log: {log:?}");
}

#[test]
fn testnet_init_pos_writes_staked_validators_keys_for_every_node_and_the_staking_contract() {
    let dir = tempfile::tempdir().unwrap();
    let refused_dir = dir.path().join("refused");
    let refused = cairn()
        .args(["testnet", "init", "--consensus", "pos", "--validators", "2", "--stake", "1ether"])
        .arg("--out")
        .arg(&refused_dir)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("min_self_stake"), "{stderr}");
    assert!(!refused_dir.exists(), "nothing written for a refused network");

    let out = dir.path().join("net");
    let status = cairn()
        .args(["testnet", "init", "--consensus", "pos", "--validators", "3", "--full-nodes", "1"])
        .args(["--epoch-length", "10", "--unbonding-epochs", "3", "--block-reward", "0.5ether"])
        .args(["--stake", "2000ether", "--out"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let spec = ChainSpec::from_file(&out.join("genesis.json")).unwrap();
    spec.validate().unwrap();
    assert_eq!(spec.consensus, cairn_primitives::ConsensusKind::Pos);
    assert_eq!(spec.network, cairn_primitives::NetworkKind::Public);
    assert_eq!(spec.epoch_length, Some(10));
    let staking = spec.staking_params();
    assert_eq!(staking.unbonding_epochs, 3);
    assert_eq!(staking.block_reward, alloy_primitives::U256::from(5u64) * ether() / ten());
    assert_eq!(spec.validators.len(), 3);
    for validator in &spec.validators {
        assert_eq!(validator.stake, Some(alloy_primitives::U256::from(2_000) * ether()));
        assert_eq!(validator.power, 2_000);
        let operator = validator.operator.expect("an operator");
        assert_eq!(spec.alloc[&operator].balance, alloy_primitives::U256::from(100) * ether());
    }
    let contract = &spec.alloc[&cairn_primitives::STAKING_ADDRESS];
    assert_eq!(contract.balance, alloy_primitives::U256::from(6_000) * ether());
    assert_eq!(contract, &cairn_staking::spec_staking_account(&spec).unwrap());
    for node in 0..4 {
        let keys = out.join(format!("node{node}/keys"));
        assert!(keys.join("validator").read_dir().unwrap().next().is_some(), "node{node}");
        assert_eq!(keys.join("operator").exists(), node < 3, "node{node}");
        let config = std::fs::read_to_string(out.join(format!("node{node}/config.toml"))).unwrap();
        assert!(config.contains("validator_key"), "{config}");
        assert!(!config.contains("fee_recipient"), "fees go to the stakers: {config}");
    }
}

fn ether() -> alloy_primitives::U256 {
    alloy_primitives::U256::from(10u64).pow(alloy_primitives::U256::from(18))
}

fn ten() -> alloy_primitives::U256 {
    alloy_primitives::U256::from(10)
}
