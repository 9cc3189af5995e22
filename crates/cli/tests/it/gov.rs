//! `cairn gov` against real governed chains: `cairn dev --network private` (one organisation,
//! whose admin's proposals pass with its own vote) and a one-validator `cairn dev --network
//! consortium --orgs 3` (a proposal needs two organisations). Members are added and removed by
//! the admin, refusals print the contract's error and send nothing, proposals pass by vote and
//! take effect at the epoch's end, as `list` and `show` tell.

use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use alloy_primitives::Address;
use cairn_keys::KeystoreDir;
use cairn_primitives::{DevAccount, dev_accounts};
use serde_json::{Value, json};

use crate::governed::spawn_private_dev;
use crate::storage::{Endpoints, read_banner, rpc, wait_for_height};

const PASSWORD: &str = "correct horse battery staple";

/// A running `cairn dev`, stopped when dropped (also when a test fails).
struct Dev {
    child: Child,
    endpoints: Endpoints,
}

impl Drop for Dev {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}

fn cairn() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cairn"));
    command.env("RUST_LOG", "error").env_remove("CAIRN_FROM_PASSWORD");
    command
}

/// `cairn gov ARGS --rpc URL`, the signer's key (if any) in `$GOV_KEY`.
fn gov(dev: &Dev, args: &[&str], key: Option<&DevAccount>) -> Output {
    let mut command = cairn();
    command.arg("gov").args(args).args(["--rpc", &format!("http://{}", dev.endpoints.rpc)]);
    if let Some(account) = key {
        command.args(["--from-env", "GOV_KEY"]).env("GOV_KEY", account.private_key.to_string());
    }
    command.output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs `cairn gov`, which must succeed; its stdout.
fn ok(dev: &Dev, args: &[&str], key: Option<&DevAccount>) -> String {
    let output = gov(dev, args, key);
    assert!(output.status.success(), "{args:?}: {}{}", stdout(&output), stderr(&output));
    stdout(&output)
}

/// Runs `cairn gov` as `account`, which must be refused with `error` and send nothing.
fn refused(dev: &Dev, args: &[&str], account: &DevAccount, error: &str) {
    let before = nonce(dev, account.address);
    let output = gov(dev, args, Some(account));
    assert!(!output.status.success(), "{args:?}: {}", stdout(&output));
    assert!(stderr(&output).contains(error), "{args:?}: {}", stderr(&output));
    assert_eq!(nonce(dev, account.address), before, "{args:?} sent a transaction");
}

fn nonce(dev: &Dev, account: Address) -> Value {
    rpc(&dev.endpoints, "eth_getTransactionCount", json!([account, "pending"]))["result"].clone()
}

/// Polls `cairn gov show ID` until it reports `status` (at most 60 s); its output.
fn wait_for_status(dev: &Dev, id: &str, status: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let shown = ok(dev, &["show", id], None);
        if shown.contains(&format!("  status    {status}")) {
            return shown;
        }
        assert!(Instant::now() < deadline, "proposal {id} never {status}: {shown}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Asserts that `text` contains every one of `parts`.
fn has(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(text.contains(part), "{part:?} missing from:\n{text}");
    }
}

#[test]
fn an_admin_governs_a_private_dev_chain_with_cairn_gov() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn_private_dev(dir.path());
    let stdout_pipe = child.stdout.take().unwrap();
    let (child, endpoints) = read_banner(stdout_pipe, child);
    let dev = Dev { child, endpoints };
    wait_for_height(&dev.endpoints, 1);
    let accounts = dev_accounts(10).unwrap();
    let (admin, member, outsider, newcomer) =
        (&accounts[0], &accounts[1], &accounts[7], &accounts[8]);
    let newcomer_line = format!("  member     {}\n", newcomer.address);

    let listed = ok(&dev, &["members"], None);
    has(
        &listed,
        &[
            "account permissioning on, node permissioning on",
            "organisation 1 (dev)\n",
            &format!("  admin      {}\n", admin.address),
            &format!("  member     {}\n", member.address),
        ],
    );
    assert!(!listed.contains(&newcomer_line), "{listed}");

    // Neither a non-member nor a member is an admin: the contract's error, nothing sent.
    let add = ["members", "add", &newcomer.address.to_string()];
    refused(&dev, &add, outsider, &format!("NotAnAdmin(caller: {:?})", outsider.address));
    refused(&dev, &add, member, &format!("NotAnAdmin(caller: {:?})", member.address));

    // The admin adds and removes a member without a vote, signing from a keystore.
    let keystore = KeystoreDir::new(dir.path().join("admin"))
        .import_private_key(&admin.private_key.to_string(), PASSWORD)
        .unwrap();
    let password_file = dir.path().join("password");
    std::fs::write(&password_file, PASSWORD).unwrap();
    let (keystore, password_file) =
        (keystore.path.display().to_string(), password_file.display().to_string());
    let mut with_keystore = add.to_vec();
    with_keystore.extend(["--from", &keystore, "--password-file", &password_file]);
    let added = ok(&dev, &with_keystore, None);
    has(
        &added,
        &[&format!(
            "{} is now a member of organisation 1 (dev), by its admin {}; tx 0x",
            newcomer.address, admin.address
        )],
    );
    has(&ok(&dev, &["members", "--org", "1"], None), &[&newcomer_line]);
    let remove = ["members", "remove", &newcomer.address.to_string()];
    has(&ok(&dev, &remove, Some(admin)), &["is no longer a member of organisation 1 (dev)"]);
    let not_in = format!("NotInOrganisation(account: {:?}, org: 1)", newcomer.address);
    refused(&dev, &remove, admin, &not_in);
    assert!(!ok(&dev, &["members"], None).contains(&newcomer_line));

    // A proposal passes with the one organisation's own vote, and executes at the epoch's end.
    let param = ["propose", "param", "--name", "gas_limit", "--value", "25000000"];
    let proposed = ok(&dev, &param, Some(admin));
    has(
        &proposed,
        &[&format!(
            "proposal 1 created by {} of organisation 1 (dev) (its yes counted), tx 0x",
            admin.address
        )],
    );
    // Passed by its one vote; executed already if it landed in an epoch's last block.
    assert!(
        (proposed.contains("\n  passed at block ")
            && proposed.contains("with 1 yes of 1 organisations"))
            || proposed.contains("\n  executed at block "),
        "{proposed}"
    );
    // Its organisation has voted: a second vote is refused and sends nothing.
    refused(&dev, &["vote", "1", "--yes"], admin, "ProposalNotOpen(id: 1, status: ");
    let shown = wait_for_status(&dev, "1", "executed");
    has(
        &shown,
        &[
            "proposal 1: set-parameter\n",
            "  change    set gas_limit to 25000000\n",
            "  votes     1 yes, 0 no of 1 organisations (1 yes pass it)\n",
            &format!("    organisation 1 (dev): yes by {}\n", admin.address),
        ],
    );
    let effective: u64 = shown
        .split("in force from block ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no effective height in {shown}"));
    wait_for_height(&dev.endpoints, effective);
    let block =
        rpc(&dev.endpoints, "eth_getBlockByNumber", json!([format!("{effective:#x}"), false]));
    assert_eq!(block["result"]["gasLimit"], json!("0x17d7840"), "{block}");

    // Refused proposals print the contract's error too.
    let last = "LastOrganisation(): the last organisation cannot be removed";
    refused(&dev, &["propose", "remove-org", "--org", "1"], admin, last);
    let low = ["propose", "param", "--name", "gas_limit", "--value", "5"];
    refused(&dev, &low, admin, "ParameterOutOfRange(parameter: 0, value: 5)");

    has(
        &ok(&dev, &["list"], None),
        &[
            "#1  set-parameter  executed  1 yes 0 no of 1  by organisation 1 (dev)",
            "\n1 of 1 proposals at block ",
        ],
    );
    has(&ok(&dev, &["list", "--status", "open"], None), &["0 open of 1 proposals at block "]);
    let unknown = gov(&dev, &["show", "9"], None);
    assert!(!unknown.status.success());
    has(&stderr(&unknown), &["UnknownProposal(id: 9): there is no proposal 9"]);
}

/// A free TCP port on 127.0.0.1 (the OS's choice), for processes that take fixed ports.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn three_organisations_pass_a_proposal_by_two_votes() {
    let dir = tempfile::tempdir().unwrap();
    let (rpc_port, api_port, p2p_port) = (free_port(), free_port(), free_port());
    let child = cairn()
        .args(["dev", "--validators", "1", "--network", "consortium", "--orgs", "3"])
        .args(["--block-time", "100ms", "--epoch-length", "5"])
        .args(["--rpc-addr", &format!("127.0.0.1:{rpc_port}")])
        .args(["--api-addr", &format!("127.0.0.1:{api_port}")])
        .args(["--p2p-port", &p2p_port.to_string(), "--datadir"])
        .arg(dir.path())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let endpoints =
        Endpoints { rpc: format!("127.0.0.1:{rpc_port}"), api: format!("127.0.0.1:{api_port}") };
    let mut dev = Dev { child, endpoints };
    let deadline = Instant::now() + Duration::from_secs(120);
    while std::net::TcpStream::connect(&dev.endpoints.rpc).is_err() {
        assert!(dev.child.try_wait().unwrap().is_none(), "cairn dev exited");
        assert!(Instant::now() < deadline, "the node never listened on {}", dev.endpoints.rpc);
        std::thread::sleep(Duration::from_millis(100));
    }
    wait_for_height(&dev.endpoints, 1);
    let accounts = dev_accounts(10).unwrap();
    let (org1, org2, newcomer) = (&accounts[0], &accounts[1], &accounts[9]);

    let newcomer_address = newcomer.address.to_string();
    let add_org = ["propose", "add-org", "--name", "org4", "--admin", &newcomer_address];
    has(
        &ok(&dev, &add_org, Some(org1)),
        &[
            &format!("proposal 1 created by {} of organisation 1 (org1)", org1.address),
            "\n  open: 1 yes, 0 no of 3 organisations (2 yes pass it)",
        ],
    );
    // Organisation 1 voted by proposing: a second vote is refused, nothing sent.
    let voted = "AlreadyVoted(id: 1, org: 1): organisation 1 has already voted on proposal 1";
    refused(&dev, &["vote", "1", "--yes"], org1, voted);
    let vote = ok(&dev, &["vote", "1", "--yes"], Some(org2));
    has(&vote, &[&format!("organisation 2 (org2) voted yes on proposal 1 (by {})", org2.address)]);
    // The vote passes it; when the vote lands in an epoch's last block (one block in five
    // here), that block executes it too, and the standing says so instead.
    let passed =
        vote.contains("\n  passed at block ") && vote.contains("with 2 yes of 3 organisations");
    assert!(passed || vote.contains("\n  executed at block "), "{vote}");

    has(
        &wait_for_status(&dev, "1", "executed"),
        &[
            &format!("  change    add organisation \"org4\" with admins {newcomer_address}\n"),
            &format!("    organisation 2 (org2): yes by {}\n", org2.address),
        ],
    );
    has(
        &ok(&dev, &["members", "--org", "4"], None),
        &[&format!("organisation 4 (org4)\n  admin      {newcomer_address}\n")],
    );
}
