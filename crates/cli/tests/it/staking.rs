//! `cairn staking register` and `status` against a real node over JSON-RPC.
//!
//! No consensus engine runs proof of stake yet, so the node is a dev chain whose genesis alloc
//! holds the staking contract (an ordinary contract account, built by `staking_account` as
//! `testnet init --consensus pos` will build it). Registration, the contract's refusals and
//! its views are ordinary transactions and calls, the same on any chain; only the epoch
//! changes, which the dev engine never makes, are out of reach here.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use alloy_primitives::{Address, U256};
use cairn_bft::ConsensusPublicKey;
use cairn_keys::KeystoreDir;
use cairn_launch::{EngineSetup, NodeBuilder, RunningNode};
use cairn_primitives::{ChainSpec, StakingParams, dev_accounts};
use cairn_rpc::RpcConfig;
use cairn_staking::{GenesisValidator, STAKING_ADDRESS, staking_account};
use cairn_storage::MemoryKv;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";

fn ether(amount: u64) -> U256 {
    U256::from(amount) * U256::from(10u64).pow(U256::from(18u8))
}

/// A dev chain spec with the staking contract in genesis: one genesis validator (a throwaway
/// key, operated by dev account 9) bonding 100 ether, default parameters (minimum 100 ether).
fn spec_with_staking() -> ChainSpec {
    let mut spec = ChainSpec::dev().unwrap();
    let key = alloy_signer_local::PrivateKeySigner::random();
    let genesis = GenesisValidator {
        public_key: ConsensusPublicKey::of(key.credential()).0.to_vec().into(),
        operator: dev_accounts(10).unwrap()[9].address,
        stake: ether(100),
        commission_bps: 500,
    };
    spec.alloc
        .insert(STAKING_ADDRESS, staking_account(&StakingParams::default(), &[genesis]).unwrap());
    spec
}

async fn start(spec: ChainSpec) -> (RunningNode<MemoryKv>, String) {
    let engine =
        EngineSetup::Dev { block_time: Duration::from_millis(200), beneficiary: Address::ZERO };
    let rpc = RpcConfig { addr: "127.0.0.1:0".parse().unwrap(), ..RpcConfig::default() };
    let node = NodeBuilder::new(spec, MemoryKv::new(), engine).with_rpc(rpc).start().await.unwrap();
    let url = format!("http://{}", node.rpc_addr().unwrap());
    (node, url)
}

/// A node config as `cairn testnet init` writes one, with a fresh consensus keystore; returns
/// the config's path and the key's validator address.
fn node_config(dir: &Path, name: &str, genesis: &Path) -> (PathBuf, Address) {
    let home = dir.join(name);
    let key = KeystoreDir::new(home.join("keys")).create(PASSWORD).unwrap();
    let password_file = home.join("keys/password");
    std::fs::write(&password_file, format!("{PASSWORD}\n")).unwrap();
    let config = format!(
        r#"name = "{name}"
datadir = "data"
genesis = "{genesis}"
rpc_addr = "127.0.0.1:8545"
api_addr = "127.0.0.1:8080"
p2p_addr = "/ip4/127.0.0.1/tcp/26656"
gossip_addr = "/ip4/127.0.0.1/tcp/27656"
network_key = "keys/network.key"
validator_key = "{key}"
validator_password_file = "keys/password"
"#,
        genesis = genesis.display(),
        key = key.path.display(),
    );
    let path = home.join("config.toml");
    std::fs::write(&path, config).unwrap();
    (path, key.address)
}

/// Runs `cairn staking ...` off the async runtime, so the in-process node keeps serving.
async fn cairn(args: Vec<String>, env: Vec<(&'static str, String)>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_cairn"))
            .arg("staking")
            .args(args)
            .env_remove("CAIRN_KEY_PASSWORD")
            .env_remove("CAIRN_FROM_PASSWORD")
            .envs(env)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

async fn rpc(url: &str, method: &str, params: Value) -> Value {
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
    let reply: Value =
        reqwest::Client::new().post(url).json(&body).send().await.unwrap().json().await.unwrap();
    reply["result"].clone()
}

async fn pending_nonce(url: &str, account: Address) -> Value {
    rpc(url, "eth_getTransactionCount", json!([account, "pending"])).await
}

fn register_args(config: &Path, stake: &str, url: &str) -> Vec<String> {
    ["register", "--config", &config.display().to_string(), "--stake", stake, "--rpc", url]
        .map(str::to_string)
        .to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_bonds_a_candidate_and_refusals_send_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let genesis = dir.path().join("genesis.json");
    let spec = spec_with_staking();
    std::fs::write(&genesis, spec.render(false).unwrap()).unwrap();
    let (node, url) = start(spec).await;
    let accounts = dev_accounts(3).unwrap();
    let (config, validator) = node_config(dir.path(), "node1", &genesis);

    // A key on the command line works, with a warning that others can see it.
    let mut args = register_args(&config, "1000ether", &url);
    args.extend(["--commission", "7.5%", "--from"].map(str::to_string));
    args.push(accounts[0].private_key.to_string());
    let out = cairn(args, vec![]).await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "stdout: {stdout}\nstderr: {stderr}");
    assert!(
        stdout.starts_with(&format!(
            "registered validator {validator} (operator {}), tx 0x",
            accounts[0].address
        )),
        "{stdout}"
    );
    assert!(stdout.contains("stake 1000 ether, commission 7.50%"), "{stdout}");
    assert!(stdout.contains("this chain runs dev consensus"), "{stdout}");
    assert!(stderr.contains("visible to other users"), "{stderr}");
    assert!(!stderr.contains(&accounts[0].private_key.to_string()[2..]), "{stderr}");
    assert!(!stdout.contains(&accounts[0].private_key.to_string()[2..]), "{stdout}");
    assert_eq!(pending_nonce(&url, accounts[0].address).await, json!("0x1"));

    // The contract shows the new validator as a candidate with its stake and commission.
    let out = cairn(["status", "--rpc", &url, "--json"].map(str::to_string).to_vec(), vec![]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["chain_id"], json!(31337));
    assert_eq!(status["epoch"], json!(0));
    assert_eq!(status["set"]["members"].as_array().unwrap().len(), 1, "{status}");
    let registered = status["validators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["validator"] == json!(validator))
        .unwrap_or_else(|| panic!("{validator} missing from {status}"));
    assert_eq!(registered["status"], json!("candidate"));
    assert_eq!(registered["operator"], json!(accounts[0].address));
    assert_eq!(registered["stake"], json!(ether(1000).to_string()));
    assert_eq!(registered["self_stake"], json!(ether(1000).to_string()));
    assert_eq!(registered["commission_bps"], json!(750));
    assert_eq!(registered["power"], json!(0));
    // The set the epoch's end would choose holds it with power stake / 1 ether.
    assert!(
        status["projected_set"]
            .as_array()
            .unwrap()
            .contains(&json!({ "validator": validator, "power": 1000 })),
        "{status}"
    );
    let table = cairn(["status", "--rpc", &url].map(str::to_string).to_vec(), vec![]).await;
    let table = text(&table.stdout);
    assert!(
        table.contains(&format!(
            "  {validator}  power 0  stake 1000 ether  self 1000 ether  commission 7.50%  candidate"
        )),
        "{table}"
    );

    // The same key again, from another operator (key in the environment): refused by the
    // eth_call with the decoded error, and no transaction is sent.
    let mut args = register_args(&config, "1000ether", &url);
    args.extend(["--from-env", "OPERATOR_KEY"].map(str::to_string));
    let out = cairn(args, vec![("OPERATOR_KEY", accounts[1].private_key.to_string())]).await;
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains(&format!("KeyAlreadyRegistered({validator})")), "{stderr}");
    assert!(!stderr.contains("visible to other users"), "{stderr}");
    assert_eq!(pending_nonce(&url, accounts[1].address).await, json!("0x0"));

    // Below the minimum self-stake, from an operator keystore: refused the same way.
    let (other_config, _) = node_config(dir.path(), "node2", &genesis);
    let operator_keys = KeystoreDir::new(dir.path().join("operator"));
    let keystore =
        operator_keys.import_private_key(&accounts[2].private_key.to_string(), PASSWORD).unwrap();
    let mut args = register_args(&other_config, "1.5ether", &url);
    args.extend(["--from".to_string(), keystore.path.display().to_string()]);
    let out = cairn(args, vec![("CAIRN_FROM_PASSWORD", PASSWORD.to_string())]).await;
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("BelowMinimumSelfStake(1500000000000000000, 100000000000000000000)"),
        "{stderr}"
    );
    assert_eq!(pending_nonce(&url, accounts[2].address).await, json!("0x0"));

    // A config of another chain than the endpoint serves: refused before anything is sent.
    let other_genesis = dir.path().join("other.json");
    let other_chain = ChainSpec { chain_id: 4242, ..ChainSpec::from_file(&genesis).unwrap() };
    std::fs::write(&other_genesis, other_chain.render(false).unwrap()).unwrap();
    let (foreign_config, _) = node_config(dir.path(), "node3", &other_genesis);
    let mut args = register_args(&foreign_config, "1000ether", &url);
    args.extend(["--from-env", "OPERATOR_KEY"].map(str::to_string));
    let out = cairn(args, vec![("OPERATOR_KEY", accounts[2].private_key.to_string())]).await;
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("serves chain 31337, but"), "{stderr}");
    assert!(stderr.contains("chain spec is chain 4242"), "{stderr}");
    assert_eq!(pending_nonce(&url, accounts[2].address).await, json!("0x0"));

    node.stop(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chain_without_the_staking_contract_is_named_as_such() {
    let (node, url) = start(ChainSpec::dev().unwrap()).await;
    let out = cairn(["status", "--rpc", &url].map(str::to_string).to_vec(), vec![]).await;
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!(
            "no staking contract at {STAKING_ADDRESS}: it is not a proof-of-stake chain"
        )),
        "{stderr}"
    );
    node.stop(Duration::from_secs(1)).await;
}
