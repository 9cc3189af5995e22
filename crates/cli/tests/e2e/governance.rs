//! A consortium of three organisations as its operators run it: `cairn testnet init --network
//! consortium`, real `cairn node` processes on loopback, the admins' keystores driving
//! `cairn gov` and `cast send`. A non-member is refused until its organisation adds it; a node
//! that `cairn testnet add-node` wrote is allowed and made a validator by proposal; a genesis
//! validator is removed and the network keeps finalising; a full node is removed and stops
//! following; the REST views report all of it; and every node's data verifies.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::bft::Network;
use crate::harness::{cast_bin, get_json, run, run_ok};

const GOVERNANCE: &str = "0x0000000000000000000000000000000000001001";
/// Dev account 8: funded at genesis, member of no organisation.
const OUTSIDER_KEY: &str = "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97";
const OUTSIDER: &str = "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f";
const EPOCH_LENGTH: u64 = 5;
const PROGRESS_TIMEOUT: Duration = Duration::from_secs(120);

/// Organisation `org`'s admin key as `cairn testnet init` wrote it: (keystore, password file).
fn admin(dir: &Path, org: usize) -> (PathBuf, PathBuf) {
    let org_dir = dir.join(format!("org{org}"));
    let keystore = std::fs::read_dir(org_dir.join("admin"))
        .expect("the admin keystore folder")
        .next()
        .expect("one keystore file")
        .expect("a keystore entry")
        .path();
    (keystore, org_dir.join("password"))
}

/// `cairn gov ARGS` signed by organisation `org`'s admin, against `rpc`.
fn gov_command(dir: &Path, org: usize, rpc: &str, args: &[&str]) -> Command {
    let (keystore, password) = admin(dir, org);
    let mut command = Command::new(env!("CARGO_BIN_EXE_cairn"));
    command
        .arg("gov")
        .args(args)
        .arg("--from")
        .arg(keystore)
        .arg("--password-file")
        .arg(password)
        .args(["--rpc", rpc]);
    command
}

fn gov(dir: &Path, org: usize, rpc: &str, args: &[&str]) -> String {
    run_ok(&mut gov_command(dir, org, rpc, args))
}

/// `cairn gov ARGS` that only reads (no key), against `rpc`.
fn gov_read(rpc: &str, args: &[&str]) -> String {
    run_ok(Command::new(env!("CARGO_BIN_EXE_cairn")).arg("gov").args(args).args(["--rpc", rpc]))
}

/// `cast send` to the governance contract signed by organisation `org`'s admin keystore.
fn cast_as_admin(dir: &Path, org: usize, rpc: &str, args: &[&str]) -> String {
    let (keystore, password) = admin(dir, org);
    run_ok(
        Command::new(cast_bin())
            .args(["send", GOVERNANCE])
            .args(args)
            .arg("--keystore")
            .arg(keystore)
            .arg("--password-file")
            .arg(password)
            .args(["--rpc-url", rpc]),
    )
}

/// The number after the first "proposal " in `text`.
fn proposal_id(text: &str) -> u64 {
    text.split("proposal ")
        .skip(1)
        .find_map(|rest| {
            let digits: String =
                rest.trim_start_matches('#').chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .unwrap_or_else(|| panic!("no proposal id in {text}"))
}

/// The word after `label` in `text`.
fn word_after<'a>(text: &'a str, label: &str) -> &'a str {
    text.split(label)
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no {label:?} in {text}"))
}

/// Waits for `/v1/governance/proposals/{id}` to report `status`, and returns it.
fn wait_status(api: &str, id: u64, status: &str, net: &Network) -> Value {
    let deadline = Instant::now() + PROGRESS_TIMEOUT;
    loop {
        let proposal = get_json(api, &format!("/v1/governance/proposals/{id}"));
        if proposal["status"] == status {
            return proposal;
        }
        assert!(Instant::now() < deadline, "proposal {id}: {proposal}\n{}", net.logs());
        thread::sleep(Duration::from_millis(300));
    }
}

/// The signers of node `i`'s newest block, lowercased.
fn signers(net: &Network, i: usize) -> (u64, Vec<String>) {
    let head = net.height(i).expect("the node answers");
    let block = get_json(&net.api[i], &format!("/v1/blocks/{head}"));
    let signers = block["signers"].as_array().expect("signers");
    (head, signers.iter().filter_map(|s| s.as_str().map(str::to_lowercase)).collect())
}

/// Genesis node `i` as REST lists it: node i belongs to org((i mod 3)+1), listed in order.
fn genesis_node(api: &str, i: usize) -> Value {
    let listed = get_json(api, "/v1/governance/organisations");
    listed["organisations"][i % 3]["nodes"][i / 3].clone()
}

#[test]
fn a_consortium_admits_members_validators_and_nodes_by_proposal() {
    let epoch = EPOCH_LENGTH.to_string();
    let mut net = Network::init_with(
        4,
        1,
        &["--network", "consortium", "--orgs", "3", "--epoch-length", &epoch],
    );
    let dir = net.node_dir(0).parent().expect("the network folder").to_path_buf();
    for i in 0..5 {
        net.start(i);
    }
    net.wait_height(4, 2);
    let rpc = net.rpc[0].clone();
    let api = net.api[0].clone();

    // A non-member is refused at the pool with the documented error, until its organisation's
    // admin adds it (no vote needed).
    let outsider_send = || {
        let mut command = Command::new(cast_bin());
        command
            .args(["send", OUTSIDER, "--value", "1", "--private-key", OUTSIDER_KEY])
            .args(["--rpc-url", &rpc]);
        command
    };
    let refused = run(&mut outsider_send());
    assert!(!refused.status.success(), "{}", refused.describe("outsider send"));
    assert!(
        refused.stderr.contains(&format!("account not permitted: {OUTSIDER}")),
        "{}",
        refused.describe("outsider send")
    );
    let permission = get_json(&api, &format!("/v1/governance/permissions/{OUTSIDER}"));
    assert_eq!(permission["can_transact"], false, "{permission}");
    gov(&dir, 1, &rpc, &["members", "add", OUTSIDER]);
    let sent = run_ok(&mut outsider_send());
    assert!(sent.contains("1 (success)"), "{sent}");
    let permission = get_json(&api, &format!("/v1/governance/permissions/{OUTSIDER}"));
    assert_eq!(permission["can_transact"], true, "{permission}");

    // A node the network did not have at genesis, with a consensus key.
    let written = run_ok(
        Command::new(env!("CARGO_BIN_EXE_cairn"))
            .args(["testnet", "add-node", "--dir"])
            .arg(&dir)
            .arg("--validator-key"),
    );
    let peer_id = word_after(&written, "peer id ").to_string();
    let consensus_address = word_after(&written, "consensus address ").to_lowercase();
    let public_key = word_after(&written, "(key ").trim_end_matches(')').to_string();
    net.adopt(5);

    // org2 proposes allowing it and making it a validator; the proposer's yes and org3's vote
    // (one with `cairn gov`, one with `cast send`) are two thirds.
    let allow = proposal_id(&gov(
        &dir,
        2,
        &rpc,
        &[
            "propose",
            "allow-node",
            "--org",
            "2",
            "--peer-id",
            &peer_id,
            "--consensus-address",
            &consensus_address,
        ],
    ));
    let validator = proposal_id(&gov(
        &dir,
        2,
        &rpc,
        &["propose", "add-validator", "--org", "2", "--public-key", &public_key, "--power", "1"],
    ));
    gov(&dir, 3, &rpc, &["vote", &allow.to_string(), "--yes"]);
    let voted =
        cast_as_admin(&dir, 3, &rpc, &["vote(uint64,bool)", &validator.to_string(), "true"]);
    assert!(voted.contains("1 (success)"), "{voted}");

    // org1 proposes removing validator 3 (genesis node 3 is org1's second node) and full node
    // 4 (org2's second node); org2 votes yes on both.
    let removed_validator = genesis_node(&api, 3)["consensus_address"]
        .as_str()
        .expect("node 3 validates")
        .to_lowercase();
    let node4 = genesis_node(&api, 4)["peer_id"].as_str().expect("node 4's peer id").to_string();
    let remove_validator = proposal_id(&gov(
        &dir,
        1,
        &rpc,
        &["propose", "remove-validator", "--validator", &removed_validator],
    ));
    let remove_node =
        proposal_id(&gov(&dir, 1, &rpc, &["propose", "remove-node", "--peer-id", &node4]));
    // The proposer's organisation cannot vote again: refused with the contract's error.
    let again = remove_validator.to_string();
    let twice = run(&mut gov_command(&dir, 1, &rpc, &["vote", &again, "--yes"]));
    assert!(!twice.status.success(), "{}", twice.describe("second vote"));
    let said = format!("{}{}", twice.stdout, twice.stderr);
    assert!(said.contains("AlreadyVoted"), "{}", twice.describe("second vote"));
    for id in [remove_validator, remove_node] {
        gov(&dir, 2, &rpc, &["vote", &id.to_string(), "--yes"]);
    }

    // Every proposal is executed after an epoch end, and REST and `cairn gov` say so.
    let mut effective = 0;
    for id in [allow, validator, remove_validator, remove_node] {
        let proposal = wait_status(&api, id, "executed", &net);
        assert_eq!(proposal["votes"].as_array().expect("votes").len(), 2, "{proposal}");
        let height = proposal["effective_height"].as_u64().expect("effective height");
        assert_eq!((height - 1) % EPOCH_LENGTH, 0, "effective after an epoch end: {proposal}");
        effective = effective.max(height);
    }
    let shown = gov_read(&rpc, &["show", &validator.to_string()]);
    assert!(shown.to_lowercase().contains("executed"), "{shown}");
    let listed = gov_read(&rpc, &["list"]);
    for id in [allow, validator, remove_validator, remove_node] {
        assert!(listed.contains(&id.to_string()), "{listed}");
    }
    let organisations = get_json(&api, "/v1/governance/organisations");
    let names: Vec<&str> = organisations["organisations"]
        .as_array()
        .expect("organisations")
        .iter()
        .filter_map(|o| o["name"].as_str())
        .collect();
    assert_eq!(names, ["org1", "org2", "org3"], "{organisations}");

    // The new node joins, syncs and signs; the removed validator does not sign any more, and
    // the network keeps finalising.
    net.start(5);
    net.wait_height(5, effective + EPOCH_LENGTH);
    let deadline = Instant::now() + PROGRESS_TIMEOUT;
    loop {
        let (head, signed) = signers(&net, 0);
        if head > effective + 1 && signed.contains(&consensus_address) {
            assert!(!signed.contains(&removed_validator), "block {head}: {signed:?}");
            break;
        }
        assert!(Instant::now() < deadline, "{consensus_address} never signed\n{}", net.logs());
        thread::sleep(Duration::from_millis(300));
    }

    // The removed full node stops following: it falls behind while the others go on.
    let stalled = net.height(4).expect("node4 answers");
    let target = net.wait_height(0, stalled + 3 * EPOCH_LENGTH);
    let behind = net.height(4).expect("node4 answers");
    assert!(behind < target, "node4 at {behind}, the network at {target}\n{}", net.logs());

    // Every node's data verifies with the rules of each height.
    for i in 0..6 {
        net.kill9(i);
    }
    for i in 0..6 {
        let data = net.node_dir(i).join("data");
        let verified = run_ok(
            Command::new(env!("CARGO_BIN_EXE_cairn")).arg("verify").arg("--datadir").arg(&data),
        );
        assert!(verified.starts_with("verified "), "node{i}: {verified}");
    }
}
