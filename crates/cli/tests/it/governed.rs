//! Private and consortium networks as the commands write them: `cairn testnet init --network`,
//! `cairn testnet add-node` and `cairn dev --network private`, their folders, the roles of the
//! dev accounts, and the refusals of arguments that do not fit together.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;

use alloy_primitives::{Address, Bytes, U256};
use cairn_bft::Keypair;
use cairn_consensus::{ConsensusRoles, DevConsensus};
use cairn_launch::NodeConfig;
use cairn_primitives::{ChainSpec, ConsensusKind, NetworkKind, dev_accounts};
use cairn_storage::MemoryKv;

use crate::storage::{Endpoints, wait_for_height};

fn cairn() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cairn"));
    command.env("RUST_LOG", "error");
    command
}

fn run(args: &[&str], out: &Path) -> Output {
    cairn().args(args).arg(out).output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn ether(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

/// The network key of the node whose folder is `dir`.
fn network_key(dir: &Path) -> Keypair {
    let text = std::fs::read_to_string(dir.join("keys/network.key")).unwrap();
    Keypair::from_protobuf_encoding(&alloy_primitives::hex::decode(text.trim()).unwrap()).unwrap()
}

/// Opens `spec` as a node does, through the governance genesis check.
fn opens_governed(spec: &ChainSpec) {
    let roles = ConsensusRoles::of(Arc::new(DevConsensus::new(Address::ZERO)));
    let roles = cairn_governance::govern(roles, spec).unwrap();
    cairn_node::Node::open(MemoryKv::new(), spec.clone(), roles).unwrap();
}

#[test]
fn a_consortium_testnet_has_organisations_admin_keys_members_and_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("net");
    let written = run(
        &["testnet", "init", "--network", "consortium", "--orgs", "3", "--validators", "4"]
            .into_iter()
            .chain(["--full-nodes", "1", "--epoch-length", "30", "--out"])
            .collect::<Vec<_>>(),
        &out,
    );
    assert!(written.status.success(), "{}", stderr(&written));
    let printed = String::from_utf8_lossy(&written.stdout);
    assert!(printed.contains("consortium (3 organisations, BFT)"), "{printed}");

    let spec = ChainSpec::from_file(&out.join("genesis.json")).unwrap();
    assert_eq!((spec.network, spec.consensus), (NetworkKind::Consortium, ConsensusKind::Bft));
    assert_eq!(spec.epoch_length, Some(30));
    let governance = spec.governance.clone().unwrap();
    assert_eq!(governance.voting_period_blocks, 100);
    assert!(governance.permission_accounts && governance.permission_nodes);
    assert!(!governance.permission_deployers);
    let orgs = &governance.organisations;
    let names: Vec<&str> = orgs.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["org1", "org2", "org3"]);

    // One encrypted admin key per organisation, its password 0600, the admin funded.
    for (i, org) in orgs.iter().enumerate() {
        let folder = out.join(format!("org{}", i + 1));
        let password_file = folder.join("password");
        let mode = std::fs::metadata(&password_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", password_file.display());
        let password = std::fs::read_to_string(&password_file).unwrap();
        let keystore = std::fs::read_dir(folder.join("admin")).unwrap().next().unwrap().unwrap();
        let admin = cairn_keys::decrypt(&keystore.path(), &password).unwrap().address();
        assert_eq!(org.admins, [admin]);
        assert_eq!(spec.alloc[&admin].balance, ether(1_000));
        assert!(printed.contains(&admin.to_string()), "{printed}");
    }
    // Dev accounts 0 to 6 are members round-robin, 7 to 9 are not.
    let dev = dev_accounts(10).unwrap();
    for (j, account) in dev.iter().enumerate() {
        let holder = orgs.iter().position(|o| o.members.contains(&account.address));
        assert_eq!(holder, (j < 7).then_some(j % 3), "dev account {j}");
    }
    // Node i (validators first, then the full node) belongs to organisation i mod 3.
    let mut owner = BTreeMap::new();
    for (i, org) in orgs.iter().enumerate() {
        for node in &org.nodes {
            owner.insert(node.peer_id.clone(), (i, node.consensus_address));
        }
    }
    for node in 0..5 {
        let folder = out.join(format!("node{node}"));
        let id = Bytes::from(network_key(&folder).public().to_peer_id().to_bytes());
        let (org, consensus) = owner[&id];
        assert_eq!(org, node % 3, "node{node}");
        let expected = spec.validators.get(node).map(|v| v.address);
        assert_eq!(consensus, expected, "node{node}");
        if let Some(address) = expected {
            assert!(orgs[org].validators.contains(&address), "node{node}");
        }
    }
    opens_governed(&spec);
}

#[test]
fn a_private_testnet_has_one_organisation_and_a_plain_one_is_public() {
    let dir = tempfile::tempdir().unwrap();
    let private = dir.path().join("private");
    let written =
        run(&["testnet", "init", "--network", "private", "--validators", "2", "--out"], &private);
    assert!(written.status.success(), "{}", stderr(&written));
    let spec = ChainSpec::from_file(&private.join("genesis.json")).unwrap();
    assert_eq!(spec.network, NetworkKind::Private);
    assert_eq!(spec.epoch_length, Some(20));
    let orgs = spec.governance.clone().unwrap().organisations;
    assert_eq!(orgs.len(), 1);
    assert_eq!(orgs[0].validators.len(), 2);
    assert_eq!(orgs[0].members.len(), 7);
    opens_governed(&spec);

    let public = dir.path().join("public");
    let written = run(&["testnet", "init", "--validators", "2", "--out"], &public);
    assert!(written.status.success(), "{}", stderr(&written));
    let spec = ChainSpec::from_file(&public.join("genesis.json")).unwrap();
    assert_eq!((spec.network, spec.governance), (NetworkKind::Public, None));
    assert!(!public.join("org1").exists());
}

#[test]
fn arguments_that_do_not_fit_together_are_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("net");
    let cases: [(&[&str], &str); 6] = [
        (&["--network", "consortium", "--consensus", "pos"], "do not mix on one chain"),
        (&["--orgs", "2"], "add --network consortium"),
        (&["--network", "private", "--orgs", "2"], "add --network consortium"),
        (&["--network", "consortium", "--orgs", "33"], "between 1 and 32"),
        (&["--network", "consortium", "--orgs", "0"], "between 1 and 32"),
        // 40 nodes of one organisation: more than the contract's 32 per organisation.
        (&["--network", "private", "--validators", "40"], "more than 32 nodes"),
    ];
    for (args, refusal) in cases {
        let mut command = vec!["testnet", "init"];
        command.extend(args);
        command.push("--out");
        let refused = run(&command, &out);
        assert!(!refused.status.success(), "{args:?}");
        assert!(stderr(&refused).contains(refusal), "{args:?}: {}", stderr(&refused));
        assert!(!out.exists(), "{args:?} wrote something");
    }
    let datadir = dir.path().join("dev");
    let cases: [(&[&str], &str); 6] = [
        (&["--network", "consortium"], "add --validators N"),
        (&["--network", "private", "--consensus", "pos", "--validators", "2"], "do not mix"),
        (&["--orgs", "2", "--validators", "2"], "add --network consortium"),
        (&["--network", "private", "--orgs", "2"], "add --network consortium"),
        (&["--network", "consortium", "--validators", "2", "--orgs", "8"], "between 1 and 7"),
        (&["--epoch-length", "5"], "--epoch-length applies to"),
    ];
    for (args, refusal) in cases {
        let mut command = vec!["dev"];
        command.extend(args);
        command.push("--datadir");
        let refused = run(&command, &datadir);
        assert!(!refused.status.success(), "{args:?}");
        assert!(stderr(&refused).contains(refusal), "{args:?}: {}", stderr(&refused));
        assert!(!datadir.exists(), "{args:?} wrote something");
    }
}

#[test]
fn add_node_writes_a_node_of_the_network_without_touching_its_genesis() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("net");
    let written =
        run(&["testnet", "init", "--network", "consortium", "--validators", "3", "--out"], &out);
    assert!(written.status.success(), "{}", stderr(&written));
    let genesis_path = out.join("genesis.json");
    let genesis = std::fs::read(&genesis_path).unwrap();

    let added = cairn()
        .args(["testnet", "add-node", "--validator-key", "--dir"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(added.status.success(), "{}", stderr(&added));
    assert_eq!(std::fs::read(&genesis_path).unwrap(), genesis);
    let printed = String::from_utf8_lossy(&added.stdout);
    let folder = out.join("node3");
    let keypair = network_key(&folder);
    let id = keypair.public().to_peer_id();
    let id_hex = alloy_primitives::hex::encode_prefixed(id.to_bytes());
    assert!(printed.contains(&format!("peer id {id}")), "{printed}");
    assert!(
        printed.contains(&format!(
            "cast send 0x0000000000000000000000000000000000001001 \
             \"proposeAllowNode(uint32,bytes,address)\" $ORG {id_hex} 0x"
        )),
        "{printed}"
    );
    assert!(printed.contains("\"proposeAddValidator(uint32,bytes,uint64)\" $ORG 0x"), "{printed}");
    assert!(printed.contains("1 org1, 2 org2, 3 org3"), "{printed}");
    assert!(printed.contains("not enforced yet"), "{printed}");

    let config = NodeConfig::load(&folder.join("config.toml")).unwrap();
    let existing: Vec<NodeConfig> = (0..3)
        .map(|i| NodeConfig::load(&out.join(format!("node{i}/config.toml"))).unwrap())
        .collect();
    let peers: Vec<String> = existing.iter().map(|c| c.p2p_addr.clone()).collect();
    assert_eq!(config.peers, peers);
    assert_eq!(config.gossip_peers.len(), 3);
    for (peer, node) in config.gossip_peers.iter().zip(&existing) {
        let id = network_key(&out.join(&node.name)).public().to_peer_id();
        assert_eq!(peer, &format!("{}/p2p/{id}", node.gossip_addr));
    }
    assert_eq!(config.p2p_addr, "/ip4/127.0.0.1/tcp/26659");
    assert_eq!(config.gossip_addr, "/ip4/127.0.0.1/tcp/27659");
    assert_eq!((config.rpc_addr.port(), config.api_addr.port()), (8548, 8083));
    assert_eq!(config.genesis.canonicalize().unwrap(), genesis_path.canonicalize().unwrap());
    let password = std::fs::read_to_string(config.validator_password_file.unwrap()).unwrap();
    let signer = cairn_keys::decrypt(&config.validator_key.unwrap(), &password).unwrap();
    assert_eq!(config.fee_recipient, Some(signer.address()));
    assert!(printed.contains(&signer.address().to_string()), "{printed}");
    // The same proposals as `cairn gov` commands, with the base58 peer id.
    let gov = format!(
        "cairn gov propose allow-node --org $ORG --peer-id {id} --consensus-address {} --rpc \
         http://127.0.0.1:8545 --from $ADMIN_KEY",
        signer.address()
    );
    assert!(printed.contains(&gov), "{printed}");
    assert!(printed.contains("cairn gov propose add-validator --org $ORG --public-key 0x"));
    assert!(printed.contains("cairn gov vote $PROPOSAL_ID --yes --rpc http://127.0.0.1:8545"));

    let again = cairn()
        .args(["testnet", "add-node", "--name", "node3", "--dir"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(stderr(&again).contains("exists already"), "{}", stderr(&again));
    let bad = cairn().args(["testnet", "add-node", "--name", "../x", "--dir"]).arg(&out).output();
    assert!(stderr(&bad.unwrap()).contains("--name must be"));
    let nowhere = cairn()
        .args(["testnet", "add-node", "--dir"])
        .arg(dir.path().join("none"))
        .output()
        .unwrap();
    assert!(stderr(&nowhere).contains("holds no network"), "{}", stderr(&nowhere));
}

/// Starts `cairn dev --network private` in `datadir` on random ports, with 50 ms blocks and
/// three-block epochs, its banner on a pipe.
pub(crate) fn spawn_private_dev(datadir: &Path) -> Child {
    cairn()
        .args(["dev", "--network", "private", "--rpc-addr", "127.0.0.1:0"])
        .args(["--api-addr", "127.0.0.1:0", "--block-time", "50ms", "--epoch-length", "3"])
        .arg("--datadir")
        .arg(datadir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn a_private_dev_chain_prints_each_accounts_role_and_verifies_across_epochs() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn_private_dev(dir.path());
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut banner = String::new();
    let listening = |banner: &str, prefix: &str| {
        let line = banner.lines().find_map(|line| line.strip_prefix(prefix))?;
        Some(line.to_string())
    };
    let endpoints = loop {
        let rpc = listening(&banner, "JSON-RPC listening on http://");
        let api = listening(&banner, "REST API listening on http://");
        if let (Some(rpc), Some(api)) = (rpc, api) {
            break Endpoints { rpc, api };
        }
        assert_ne!(stdout.read_line(&mut banner).unwrap(), 0, "dev exited early: {banner}");
    };
    // Keep draining stdout so the node never blocks on a full pipe.
    std::thread::spawn(move || for _ in stdout.lines() {});
    // Several three-block epochs.
    wait_for_height(&endpoints, 8);
    Command::new("kill").arg(child.id().to_string()).status().unwrap();
    assert!(child.wait().unwrap().success());
    assert!(banner.contains("A private network governed by dev (3-block epochs)"), "{banner}");
    let dev = dev_accounts(10).unwrap();
    for (i, account) in dev.iter().enumerate() {
        let role = match i {
            0 => "admin of dev",
            1..=6 => "member of dev",
            _ => "not a member",
        };
        let line = format!("({i}) {} (10000.000000000000000000 ETH) {role}\n", account.address);
        assert!(banner.contains(&line), "{line} in {banner}");
    }

    // The chain lives beside the plain dev chain, and verifies past its epoch ends.
    let datadir = dir.path().join("private");
    let verified = cairn().args(["verify", "--datadir"]).arg(&datadir).output().unwrap();
    assert!(verified.status.success(), "{}", stderr(&verified));
    let summary = String::from_utf8_lossy(&verified.stdout);
    let blocks: u64 = summary.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!(blocks >= 8, "{summary}");
    assert!(!dir.path().join("chain.redb").exists());

    // Its block time is governed now: a restart may not change it behind the contract's back.
    let other = cairn()
        .args(["dev", "--network", "private", "--block-time", "2s", "--datadir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!other.status.success());
    assert!(
        stderr(&other).contains("holds a private chain with 50 ms blocks"),
        "{}",
        stderr(&other)
    );
}
