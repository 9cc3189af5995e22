//! `cairn_submitEvidence` over real HTTP JSON-RPC on a proof-of-stake node run in-process: what
//! it refuses changes nothing, what it accepts ends up on chain, and what waits for a block
//! survives a restart of the node.
//!
//! The chain has two validators: the node's own key holds three quarters of the power, so it
//! decides every block alone, and an offline validator holds the rest; the test holds that
//! validator's key and signs its double votes.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy_primitives::{Address, B256, B512, Bytes, U256};
use cairn_bft::{
    BlockId, ConsensusSigner, EvidenceLog, Height, Keypair, Transport, ValidatorAddress, Vote,
    evidence_hash,
};
use cairn_launch::{BftSetup, EngineSetup, NodeBuilder, RunningNode};
use cairn_primitives::{
    ChainSpec, ConsensusKind, DoubleSign, GenesisValidator, STAKING_ADDRESS, StakingParams,
};
use cairn_rpc::RpcConfig;
use cairn_storage::{KvStore, MemoryKv, RedbKv, StoreError};
use k256::ecdsa::SigningKey;
use malachitebft_core_types::{NilOrVal, Round, VoteType};
use serde_json::{Value, json};

/// How long a block may take to appear before the test fails (wall clock: the node runs
/// its real engine).
const PATIENCE: Duration = Duration::from_secs(60);

fn signer(byte: u8, chain_id: u64) -> ConsensusSigner {
    ConsensusSigner::new(SigningKey::from_slice(&[byte; 32]).unwrap(), chain_id)
}

/// The node's validator (byte 1, 3,000 ether) and the offline one (byte 2, 1,000 ether).
fn spec(epoch_length: u64) -> ChainSpec {
    let mut spec = ChainSpec::dev().unwrap();
    spec.consensus = ConsensusKind::Pos;
    spec.block_time_ms = 100;
    spec.epoch_length = Some(epoch_length);
    spec.staking = Some(StakingParams {
        unbonding_epochs: 1,
        block_reward: U256::ZERO,
        // The offline validator must stay in the set for the test's few dozen blocks.
        signed_blocks_window: 10_000,
        ..StakingParams::default()
    });
    let ether = U256::from(10u128.pow(18));
    spec.validators = [(1u8, 3_000u64), (2, 1_000)]
        .into_iter()
        .map(|(byte, stake)| {
            let signer = signer(byte, spec.chain_id);
            let stake = ether * U256::from(stake);
            GenesisValidator {
                name: format!("v{byte}"),
                address: signer.address().0,
                public_key: Bytes::copy_from_slice(&signer.public_key().0),
                power: spec.staking.as_ref().unwrap().power_of(stake),
                stake: Some(stake),
                operator: Some(Address::repeat_byte(0x40 + byte)),
                commission_bps: Some(0),
            }
        })
        .collect();
    spec.alloc.insert(STAKING_ADDRESS, cairn_staking::spec_staking_account(&spec).unwrap());
    spec.validate().unwrap();
    spec
}

/// Starts a node of `spec` on `kv`: validator 1 when `validating`, else a full node. Its
/// consensus write-ahead log goes under `home`: each run of a restarted node gets its own,
/// since `RunningNode::stop` returns before Malachite's log actor has released its file.
async fn start<K: KvStore>(
    spec: &ChainSpec,
    kv: K,
    home: &Path,
    evidence: Arc<EvidenceLog>,
    validating: bool,
) -> RunningNode<K> {
    let setup = BftSetup {
        moniker: "it".into(),
        evidence,
        signer: validating.then(|| signer(1, spec.chain_id)),
        fee_recipient: Address::ZERO,
        extra_data: Bytes::new(),
        transport: Transport::Libp2p {
            home: home.to_path_buf(),
            listen: "/ip4/127.0.0.1/tcp/0".parse().unwrap(),
            peers: Vec::new(),
            network_key: Keypair::ed25519_from_bytes([7u8; 32]).unwrap(),
        },
    };
    let loopback = "127.0.0.1:0".parse().unwrap();
    NodeBuilder::new(spec.clone(), kv, EngineSetup::Bft(setup))
        .with_rpc(RpcConfig { addr: loopback, ..RpcConfig::default() })
        .start()
        .await
        .unwrap()
}

/// Polls (the node runs on the wall clock) until `done` holds, failing after [`PATIENCE`].
async fn until<K: KvStore>(
    node: &RunningNode<K>,
    what: &str,
    done: impl Fn(&RunningNode<K>) -> bool,
) {
    let start = Instant::now();
    while !done(node) {
        assert!(start.elapsed() < PATIENCE, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Opens the store at `path` once the node stopped before has let go of it: `RunningNode::stop`
/// returns before the JSON-RPC server's and the engine's last handles on the node are dropped.
async fn reopen(path: &Path) -> RedbKv {
    let start = Instant::now();
    loop {
        match RedbKv::open(path) {
            Ok(kv) => return kv,
            Err(StoreError::InUse { .. }) if start.elapsed() < PATIENCE => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("cannot reopen the store: {e}"),
        }
    }
}

fn head<K: KvStore>(node: &RunningNode<K>) -> u64 {
    node.node().head().unwrap().number
}

/// Every evidence item the blocks `1..=head` carry.
fn on_chain<K: KvStore>(node: &RunningNode<K>) -> Vec<DoubleSign> {
    (1..=head(node))
        .filter_map(|n| node.node().block(n).unwrap())
        .filter_map(|block| block.consensus)
        .flat_map(|consensus| consensus.evidence)
        .collect()
}

/// One JSON-RPC request with raw `params`; answers the HTTP status and the decoded body.
async fn call(url: &str, method: &str, params: Value) -> (u16, Value) {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    raw(url, body.to_string()).await
}

async fn raw(url: &str, body: String) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// A signed precommit of `signer` for `value` (nil for `None`) at `height` and `round`.
fn precommit(signer: &ConsensusSigner, height: u64, round: u32, value: Option<u8>) -> B512 {
    let value = value.map_or(NilOrVal::Nil, |b| NilOrVal::Val(BlockId(B256::repeat_byte(b))));
    let vote = Vote::new(
        VoteType::Precommit,
        Height(height),
        Round::new(round),
        value,
        ValidatorAddress(signer.address().0),
    );
    B512::from(signer.sign_digest(vote.signing_hash(signer.chain_id())).unwrap().0)
}

fn voted(value: Option<u8>) -> Value {
    value.map_or(json!("nil"), |b| json!(B256::repeat_byte(b)))
}

/// The wire form of two precommits at `height`, round 0, named as `validator`'s.
fn entry(
    validator: Address,
    height: u64,
    first: (Option<u8>, B512),
    second: (Option<u8>, B512),
) -> Value {
    json!({
        "height": height,
        "round": 0,
        "validator": validator,
        "kind": "precommit",
        "first": voted(first.0),
        "first_signature": first.1,
        "second": voted(second.0),
        "second_signature": second.1,
    })
}

/// A real double precommit of `signer` at `height`: for block `0x11…` and for nil.
fn double_precommit(signer: &ConsensusSigner, height: u64) -> Value {
    entry(
        signer.address().0,
        height,
        (Some(0x11), precommit(signer, height, 0, Some(0x11))),
        (None, precommit(signer, height, 0, None)),
    )
}

/// Submits `evidence` and expects the invalid-params refusal with `reason` in its message.
async fn refused(url: &str, what: &str, params: Value, reason: &str) {
    let (status, answer) = call(url, "cairn_submitEvidence", params).await;
    assert_eq!(status, 200, "{what}: {answer}");
    assert_eq!(answer["error"]["code"], -32602, "{what}: {answer}");
    let message = answer["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(reason), "{what}: {message:?} lacks {reason:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submitted_evidence_is_refused_unless_valid_and_a_valid_one_goes_on_chain() {
    // Epochs of 4 blocks and one epoch of unbonding: by block 9, evidence of epoch 0 is too old.
    let spec = spec(4);
    let home = tempfile::tempdir().unwrap();
    let log = Arc::new(EvidenceLog::in_memory());
    let node = start(&spec, MemoryKv::new(), home.path(), log.clone(), true).await;
    let url = format!("http://{}", node.rpc_addr().unwrap());
    until(&node, "block 9", |n| head(n) >= 9).await;
    let chain = spec.chain_id;
    let (offline, stranger, other) = (signer(2, chain), signer(9, chain), signer(3, chain));
    let recent = head(&node);

    // Malformed: no entry, the wrong shape, a field of the wrong type, a signature of the
    // wrong length, a huge field, and a body beyond the server's limit.
    refused(&url, "no entry", json!([]), "invalid evidence").await;
    refused(&url, "not an object", json!([42]), "invalid evidence").await;
    let mut wrong_type = double_precommit(&offline, recent);
    wrong_type["height"] = json!("seven");
    refused(&url, "height as text", json!([wrong_type]), "invalid evidence").await;
    let mut short = double_precommit(&offline, recent);
    short["first_signature"] = json!(format!("0x{}", "ab".repeat(63)));
    refused(&url, "63-byte signature", json!([short]), "invalid evidence").await;
    let mut huge = double_precommit(&offline, recent);
    huge["second_signature"] = json!(format!("0x{}", "ab".repeat(200_000)));
    refused(&url, "400 kB signature", json!([huge]), "invalid evidence").await;
    let mut unknown_kind = double_precommit(&offline, recent);
    unknown_kind["kind"] = json!("prevote2");
    refused(&url, "unknown kind", json!([unknown_kind]), "invalid evidence").await;
    let too_big = format!("0x{}", "ab".repeat(RpcConfig::default().max_request_body as usize));
    let (status, answer) =
        call(&url, "cairn_submitEvidence", json!([{ "validator": too_big }])).await;
    assert!(answer["result"].is_null(), "oversized body accepted: {answer}");
    assert!(status == 413 || answer["error"].is_object(), "oversized body: {status} {answer}");

    // Forged: the second signature is another key's, in the offline validator's name.
    let forged = entry(
        offline.address().0,
        recent,
        (Some(0x11), precommit(&offline, recent, 0, Some(0x11))),
        (None, precommit(&other, recent, 0, None)),
    );
    refused(&url, "forged", json!([forged]), "signature 1 is not the validator's").await;

    // Not conflicting: one message twice; messages of two rounds or two heights named as one.
    let vote = precommit(&offline, recent, 0, Some(0x11));
    let same = entry(offline.address().0, recent, (Some(0x11), vote), (Some(0x11), vote));
    refused(&url, "one vote twice", json!([same]), "do not conflict").await;
    let rounds = entry(
        offline.address().0,
        recent,
        (Some(0x11), vote),
        (None, precommit(&offline, recent, 1, None)),
    );
    refused(&url, "two rounds", json!([rounds]), "signature 1 is not the validator's").await;
    let heights = entry(
        offline.address().0,
        recent,
        (Some(0x11), vote),
        (None, precommit(&offline, recent - 1, 0, None)),
    );
    refused(&url, "two heights", json!([heights]), "signature 1 is not the validator's").await;

    // A key that is no validator at that height, a height not decided yet, an old infraction.
    let foreign = double_precommit(&stranger, recent);
    refused(&url, "not in the set", json!([foreign]), "is not a validator at height").await;
    let future = double_precommit(&offline, recent + 1_000);
    refused(&url, "future height", json!([future]), "is not decided yet").await;
    let old = double_precommit(&offline, 2);
    refused(&url, "epoch 0 evidence", json!([old]), "older than the unbonding period").await;

    // Nothing changed: nothing recorded or waiting, no block carries evidence, the node serves
    // and keeps deciding blocks.
    let (_, listed) = call(&url, "cairn_getEvidence", json!([])).await;
    assert_eq!(listed["result"], json!([]));
    assert!(log.pool().is_empty());
    assert!(on_chain(&node).is_empty());
    let after = head(&node);
    until(&node, "a block after the refusals", |n| head(n) > after).await;
    let (_, number) = call(&url, "eth_blockNumber", json!([])).await;
    assert!(number["result"].is_string(), "{number}");

    // A valid double precommit is accepted, answered with its hash, recorded, and carried by
    // the next block; the offline validator is then out of the next epoch's set.
    let valid = double_precommit(&offline, recent);
    let (_, answer) = call(&url, "cairn_submitEvidence", json!([valid])).await;
    let hash: B256 = serde_json::from_value(answer["result"].clone())
        .unwrap_or_else(|_| panic!("a valid submission is accepted: {answer}"));
    let (_, listed) = call(&url, "cairn_getEvidence", json!([])).await;
    assert_eq!(listed["result"].as_array().map(Vec::len), Some(1), "{listed}");
    until(&node, "a block carries the evidence", |n| {
        on_chain(n).iter().any(|item| evidence_hash(item) == hash)
    })
    .await;
    let carried = on_chain(&node);
    assert_eq!(carried.len(), 1, "carried once");
    assert_eq!((carried[0].validator, carried[0].height), (offline.address().0, recent));
    until(&node, "the pool forgets the included item", |_| log.pool().is_empty()).await;
    let next_epoch = (head(&node) / 4 + 1) * 4 + 1;
    until(&node, "the next epoch", |n| head(n) >= next_epoch).await;
    let set = node.node().validator_set(next_epoch).unwrap();
    assert!(set.members.iter().all(|m| m.address != offline.address().0), "{set:?}");
    node.stop(Duration::from_secs(5)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evidence_pending_when_the_node_stops_is_put_on_chain_after_it_restarts() {
    let spec = spec(1_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.redb");
    let kv = RedbKv::create(&path).unwrap();
    let node =
        start(&spec, kv, &dir.path().join("run1"), Arc::new(EvidenceLog::in_memory()), true).await;
    until(&node, "block 3", |n| head(n) >= 3).await;
    node.stop(Duration::from_secs(5)).await;

    // As a full node it never proposes, so what it is given waits in its pool.
    let log = Arc::new(EvidenceLog::in_memory());
    let kv = reopen(&path).await;
    let node = start(&spec, kv, &dir.path().join("run2"), log.clone(), false).await;
    let url = format!("http://{}", node.rpc_addr().unwrap());
    let offline = signer(2, spec.chain_id);
    let (_, answer) =
        call(&url, "cairn_submitEvidence", json!([double_precommit(&offline, 2)])).await;
    let hash: B256 = serde_json::from_value(answer["result"].clone())
        .unwrap_or_else(|_| panic!("a valid submission is accepted: {answer}"));
    assert!(log.pool().contains(hash));
    node.stop(Duration::from_secs(5)).await;

    // Restarted as the validator with a fresh, empty evidence log: the pool comes back from
    // the store and the next block it proposes carries the item.
    let log = Arc::new(EvidenceLog::in_memory());
    let kv = reopen(&path).await;
    let node = start(&spec, kv, &dir.path().join("run3"), log.clone(), true).await;
    assert!(log.pool().contains(hash), "the pending item is read back on start");
    until(&node, "a block carries the evidence", |n| {
        on_chain(n).iter().any(|item| evidence_hash(item) == hash)
    })
    .await;
    until(&node, "the pool forgets the included item", |_| log.pool().is_empty()).await;
    node.stop(Duration::from_secs(5)).await;

    // Once included, it is gone from the store too: a further restart has nothing waiting.
    let log = Arc::new(EvidenceLog::in_memory());
    let kv = reopen(&path).await;
    let node = start(&spec, kv, &dir.path().join("run4"), log.clone(), false).await;
    assert!(log.pool().is_empty());
    node.stop(Duration::from_secs(5)).await;
}
