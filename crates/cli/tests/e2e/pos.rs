//! `cairn dev --validators 4 --consensus pos` as a person runs it, driven with cast: blocks pay
//! their fees to the staking contract, stakers earn rewards, and a delegation made with
//! `cast send` raises a validator's power from the next epoch on. The epoch changes, logs of
//! the protocol's end-of-epoch call, come back from `cast logs`, ethers' `getLogs`
//! (e2e/system_logs_flow.mjs) and web3.py's `get_logs` (e2e/system_logs.py) with a
//! transaction hash that has no receipt.

use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use alloy_primitives::{B256, U256, keccak256};

use crate::bft::Network;
use crate::devnet::Supervisor;
use crate::harness::{KEY0, cast_bin, e2e_dir, get_json, node_script, python, run_flow, run_ok};

const STAKING: &str = "0x0000000000000000000000000000000000001000";
/// Dev account 5 (anvil's sixth key): a delegator with no other role.
const DELEGATOR_KEY: &str = "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba";
const DELEGATOR: &str = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc";
/// Dev account 0 operates genesis validator 0 in `cairn dev --consensus pos`.
const OPERATOR0: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const EPOCH_LENGTH: u64 = 5;
/// The staking contract's event for a new epoch, emitted by the protocol's end-of-epoch call.
const EPOCH_STARTED: &str = "EpochStarted(uint64,uint64,uint256,uint256)";
/// Each genesis validator's power in `cairn dev --consensus pos` (1,000 ether bonded).
const GENESIS_POWER: u64 = 1_000;
const PROGRESS_TIMEOUT: Duration = Duration::from_secs(120);

fn cast(rpc: &str, args: &[&str]) -> String {
    run_ok(Command::new(cast_bin()).args(args).args(["--rpc-url", rpc]))
}

/// The set `activeSet()` reports: its epoch and each member's (address, power).
fn active_set(rpc: &str) -> (u64, Vec<(String, u64)>) {
    active_set_at(rpc, "latest")
}

/// [`active_set`] as of block `block` (a number or a tag).
fn active_set_at(rpc: &str, block: &str) -> (u64, Vec<(String, u64)>) {
    let signature = "activeSet()(uint64,(address,uint64)[],uint256)";
    let out = cast(rpc, &["call", STAKING, signature, "--block", block]);
    let mut lines = out.lines();
    let epoch = lines.next().expect("epoch").trim().parse().expect("epoch number");
    let members = lines.next().expect("members");
    let members = members
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split("), (")
        .map(|m| {
            let m = m.trim_matches(|c| c == '(' || c == ')');
            let (address, power) = m.split_once(", ").expect("address, power");
            (address.to_string(), power.split_whitespace().next().unwrap().parse().unwrap())
        })
        .collect();
    (epoch, members)
}

fn number(text: &str) -> u128 {
    text.split_whitespace().next().expect("a number").parse().expect("decimal")
}

#[test]
fn a_pos_dev_network_pays_its_stakers_and_a_delegation_counts_from_the_next_epoch() {
    let net = Supervisor::start_with(4, &["--consensus", "pos", "--epoch-length", "5"]);
    net.wait_finalized(0, 2);
    let rpc = net.rpc[0].as_str();

    let miner = cast(rpc, &["block", "latest", "--field", "miner"]);
    assert_eq!(miner.to_lowercase(), STAKING, "fees go to the staking contract");
    let (epoch, members) = active_set(rpc);
    assert_eq!(members.len(), 4);
    assert!(members.iter().all(|(_, power)| *power == GENESIS_POWER), "{members:?}");
    let (validator, _) = members[0].clone();

    let sent = cast(
        rpc,
        &[
            "send",
            STAKING,
            "delegate(address)",
            &validator,
            "--value",
            "500ether",
            "--private-key",
            DELEGATOR_KEY,
        ],
    );
    assert!(sent.contains("status") && sent.contains("1 (success)"), "{sent}");

    // The set changes at the next epoch boundary, not before.
    let deadline = Instant::now() + PROGRESS_TIMEOUT;
    let raised = loop {
        let (now, members) = active_set(rpc);
        let power = members.iter().find(|(a, _)| *a == validator).map(|(_, p)| *p);
        if now == epoch {
            assert_eq!(power, Some(GENESIS_POWER), "the set of an epoch never changes within it");
        }
        if now >= epoch + 2 {
            break power;
        }
        assert!(Instant::now() < deadline, "epoch {now}; output:\n{}", net.output());
        thread::sleep(Duration::from_millis(300));
    };
    assert_eq!(raised, Some(1_500), "the delegated stake counts from the epoch after it");

    let head = number(&cast(rpc, &["block-number"]));
    assert!(head >= 2 * u128::from(EPOCH_LENGTH), "head {head}");
    let listed = cast(
        rpc,
        &[
            "call",
            STAKING,
            "listValidators()((address,address,bytes,uint8,uint256,uint256,uint256,uint16,\
             uint16,uint64,uint64,uint64,uint64,uint256)[])",
        ],
    );
    assert!(listed.to_lowercase().contains(&OPERATOR0.to_lowercase()), "{listed}");
    let owed = cast(
        rpc,
        &["call", STAKING, "pendingRewards(address,address)(uint256)", DELEGATOR, &validator],
    );
    assert!(number(&owed) > 0, "the delegator earned rewards: {owed}");

    let delegated_in: u64 = sent
        .lines()
        .find_map(|line| line.strip_prefix("blockNumber"))
        .and_then(|rest| rest.trim().parse().ok())
        .unwrap_or_else(|| panic!("no blockNumber in {sent}"));
    epoch_changes_seen_by_cast(rpc, delegated_in);
    run_flow(
        node_script("system_logs_flow.mjs").args([rpc, &EPOCH_LENGTH.to_string()]),
        "system logs flow: all checks passed",
    );
    run_flow(
        Command::new(python())
            .arg("system_logs.py")
            .args([rpc, &EPOCH_LENGTH.to_string()])
            .current_dir(e2e_dir()),
        "web3.py system logs: all checks passed",
    );
}

/// A 32-byte word of a log's topics or data, as a number.
fn word(hex: &str) -> U256 {
    hex.parse::<B256>().map(|w| U256::from_be_bytes(w.0)).expect("a 32-byte word")
}

/// `cast logs --address 0x…1000 EpochStarted(…)` returns every epoch change, each in the last
/// block of the epoch before, carrying the system logs' transaction hash (which has no
/// receipt), with the set's total power rising by the delegation from the first epoch end
/// after the block that carried it.
fn epoch_changes_seen_by_cast(rpc: &str, delegated_in: u64) {
    let out = cast(
        rpc,
        &[
            "logs",
            "--address",
            STAKING,
            "--from-block",
            "0",
            "--to-block",
            "latest",
            "--json",
            EPOCH_STARTED,
        ],
    );
    let logs: Vec<serde_json::Value> = serde_json::from_str(&out).expect("cast logs --json");
    assert!(logs.len() >= 2, "at least two epoch changes: {out}");
    let topic0 = keccak256(EPOCH_STARTED).to_string();
    for (i, log) in logs.iter().enumerate() {
        let epoch = i as u64 + 1;
        let field = |name: &str| log[name].as_str().unwrap_or_else(|| panic!("{name} in {log}"));
        assert_eq!(log["topics"][0].as_str(), Some(topic0.as_str()), "{log}");
        assert_eq!(word(log["topics"][1].as_str().expect("topic 1")), U256::from(epoch), "{log}");
        let block = u64::from_str_radix(field("blockNumber").trim_start_matches("0x"), 16).unwrap();
        assert_eq!(block, epoch * EPOCH_LENGTH, "epoch {epoch} is chosen by the block before it");
        let data = field("data").trim_start_matches("0x");
        let words: Vec<U256> =
            (0..3).map(|w| word(&format!("0x{}", &data[w * 64..][..64]))).collect();
        assert_eq!(words[0], U256::from(block + 1), "epoch {epoch}'s first height");
        assert_eq!(words[1], U256::from(4), "epoch {epoch}'s set size");
        let delegated = if block >= delegated_in { 500 } else { 0 };
        assert_eq!(
            words[2],
            U256::from(4 * GENESIS_POWER + delegated),
            "epoch {epoch}'s total power (delegation in block {delegated_in})"
        );
        let block_hash: B256 = field("blockHash").parse().unwrap();
        let synthetic =
            keccak256([b"cairn/system-logs".as_slice(), block_hash.as_slice()].concat());
        assert_eq!(field("transactionHash"), synthetic.to_string(), "{log}");
        let receipt = cast(rpc, &["rpc", "eth_getTransactionReceipt", &synthetic.to_string()]);
        assert_eq!(receipt, "null", "no receipt for the system logs' transaction hash");
    }
    let last = logs.len() as u64 * EPOCH_LENGTH;
    assert!(last >= delegated_in, "an epoch ended after the delegation (block {delegated_in})");
}

/// The addresses `activeSet()` lists as of block `block` (a number or a tag).
fn set_members(rpc: &str, block: &str) -> Vec<String> {
    active_set_at(rpc, block).1.into_iter().map(|(address, _)| address.to_lowercase()).collect()
}

#[test]
fn a_full_node_registered_with_cairn_staking_signs_from_the_next_epoch() {
    let mut net = Network::init_with(4, 1, &["--consensus", "pos", "--epoch-length", "5"]);
    for i in 0..5 {
        net.start(i);
    }
    net.wait_height(4, 2);
    let rpc = net.rpc[4].clone();
    let config = net.node_dir(4).join("config.toml");
    let registered = run_ok(
        Command::new(env!("CARGO_BIN_EXE_cairn"))
            .args(["staking", "register", "--config"])
            .arg(&config)
            .args(["--stake", "2000ether", "--commission", "10%", "--from-env", "OPERATOR_KEY"])
            .args(["--rpc", &rpc])
            .env("OPERATOR_KEY", KEY0),
    );
    assert!(registered.contains("registered validator 0x"), "{registered}");
    let validator = registered
        .split("registered validator ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the validator's address")
        .to_lowercase();
    // Read at the block that registered it: a later read may already fall in the next epoch.
    let block = registered
        .split(" in block ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .expect("the registration's block");
    assert!(!set_members(&rpc, block).contains(&validator), "a candidate signs nothing yet");

    // Two epoch ends later the new validator is in the set, and blocks carry its signature.
    let (epoch, _) = active_set(&rpc);
    let deadline = Instant::now() + PROGRESS_TIMEOUT;
    while active_set(&rpc).0 < epoch + 2 {
        assert!(Instant::now() < deadline, "no epoch change:\n{}", net.logs());
        thread::sleep(Duration::from_millis(300));
    }
    assert!(set_members(&rpc, "latest").contains(&validator), "{validator} not in the set");
    let deadline = Instant::now() + PROGRESS_TIMEOUT;
    loop {
        let head = net.height(0).expect("node0 answers");
        let block = get_json(&net.api[0], &format!("/v1/blocks/{head}"));
        let signers = block["signers"].as_array().expect("signers").clone();
        if signers.iter().any(|s| s.as_str().map(str::to_lowercase) == Some(validator.clone())) {
            break;
        }
        assert!(Instant::now() < deadline, "{validator} never signed:\n{}", net.logs());
        thread::sleep(Duration::from_millis(300));
    }

    // A plain `cast send` delegation from a dev account raises its power an epoch later, and
    // /v1/validators shows it signing.
    let sent = cast(
        &rpc,
        &[
            "send",
            STAKING,
            "delegate(address)",
            &validator,
            "--value",
            "100ether",
            "--private-key",
            DELEGATOR_KEY,
        ],
    );
    assert!(sent.contains("1 (success)"), "{sent}");
    let (epoch, _) = active_set(&rpc);
    let deadline = Instant::now() + PROGRESS_TIMEOUT;
    while active_set(&rpc).0 < epoch + 2 {
        assert!(Instant::now() < deadline, "no epoch change:\n{}", net.logs());
        thread::sleep(Duration::from_millis(300));
    }
    let power = active_set(&rpc).1.into_iter().find(|(a, _)| a.to_lowercase() == validator);
    assert_eq!(power.map(|(_, p)| p), Some(2_100), "self-stake 2,000 plus 100 delegated");
    let listed = get_json(&net.api[0], "/v1/validators");
    let entry = listed["validators"]
        .as_array()
        .expect("validators")
        .iter()
        .find(|v| v["address"].as_str().map(str::to_lowercase) == Some(validator.clone()))
        .unwrap_or_else(|| panic!("{validator} not listed: {listed}"))
        .clone();
    assert!(entry["last_signed_block"].as_u64().is_some(), "{entry}");

    // Every node's data audits clean, the new validator's certificates included.
    for i in 0..5 {
        net.kill9(i);
    }
    for i in 0..5 {
        let data = net.node_dir(i).join("data");
        let verified = run_ok(
            Command::new(env!("CARGO_BIN_EXE_cairn")).arg("verify").arg("--datadir").arg(&data),
        );
        assert!(verified.starts_with("verified "), "node{i}: {verified}");
    }
}
