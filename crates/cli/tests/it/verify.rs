use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use alloy_primitives::Address;
use cairn_consensus::DevConsensus;
use cairn_execution::{BlockContext, NoBlockEnd, build_block};
use cairn_node::Node;
use cairn_primitives::test_utils::signed_transfer;
use cairn_primitives::{ChainSpec, dev_accounts};
use cairn_storage::{ChainStore, KvRead, KvStore, RedbKv, Table, WriteBatch};

/// The dev chain's node over a data directory's store, writing its spec there.
fn open_node(dir: &Path) -> Node<RedbKv> {
    let spec = ChainSpec::dev().unwrap();
    std::fs::write(dir.join("genesis.json"), spec.render(false).unwrap()).unwrap();
    let kv = RedbKv::create(&dir.join("chain.redb")).unwrap();
    Node::open(kv, spec, Arc::new(DevConsensus::new(Address::ZERO))).unwrap()
}

/// Writes a data directory with three blocks of transfers, as `cairn dev` would leave it.
pub(crate) fn make_chain(dir: &Path) -> u64 {
    let node = open_node(dir);
    let accounts = dev_accounts(3).unwrap();
    for nonce in 0..3 {
        for account in &accounts {
            let to = Address::repeat_byte(0x77);
            let raw = signed_transfer(&account.signer, 31337, nonce, to, 1).unwrap();
            node.submit_raw(&raw).unwrap();
        }
        node.produce_block().unwrap();
    }
    node.head().unwrap().number
}

fn verify(dir: &Path) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["verify", "--datadir"])
        .arg(dir)
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    (output.status.success(), String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// Copies the data directory and flips one byte of one stored record in the copy.
fn tampered_copy(
    source: &Path,
    table: Table,
    key: &[u8],
    byte_from_end: usize,
) -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    for file in ["genesis.json", "chain.redb"] {
        std::fs::copy(source.join(file), copy.path().join(file)).unwrap();
    }
    let kv = RedbKv::open(&copy.path().join("chain.redb")).unwrap();
    let mut value = kv.read().unwrap().get(table, key).unwrap().unwrap();
    let at = value.len() - byte_from_end;
    value[at] ^= 0x01;
    let mut batch = WriteBatch::default();
    batch.put(table, key, value);
    kv.write(batch).unwrap();
    copy
}

#[test]
fn verify_passes_on_an_honest_chain_and_names_the_first_tampered_height() {
    let dir = tempfile::tempdir().unwrap();
    let head = make_chain(dir.path());
    let (ok, summary) = verify(dir.path());
    assert!(ok, "{summary}");
    assert!(
        summary.starts_with(&format!("verified {head} blocks, 9 transactions, state root 0x")),
        "{summary}"
    );
    assert!(summary.ends_with(&format!("at height {head}")), "{summary}");

    let account = dev_accounts(1).unwrap()[0].address;
    let cases = [
        ("block body", Table::Bodies, 2u64.to_be_bytes().to_vec(), 1, 2),
        ("block header", Table::Headers, 2u64.to_be_bytes().to_vec(), 40, 2),
        ("receipt", Table::Receipts, 2u64.to_be_bytes().to_vec(), 1, 2),
        ("account", Table::Accounts, account.to_vec(), 40, head),
    ];
    for (what, table, key, byte_from_end, height) in cases {
        let copy = tampered_copy(dir.path(), table, &key, byte_from_end);
        let (ok, message) = verify(copy.path());
        assert!(!ok, "tampered {what} passed: {message}");
        assert!(
            message.starts_with(&format!("verification failed at height {height}:")),
            "tampered {what}: {message}"
        );
    }
}

#[test]
fn verify_refuses_a_block_timed_too_far_ahead_of_the_clock() {
    let dir = tempfile::tempdir().unwrap();
    let node = open_node(dir.path());
    node.produce_block().unwrap();
    let spec = node.spec().clone();
    drop(node);
    // Block 2 as a proposer whose clock ran an hour fast would make it, written straight into
    // the store, past the node's own checks.
    let kv = RedbKv::open(&dir.path().join("chain.redb")).unwrap();
    let store = ChainStore::open_existing(kv, &spec).unwrap();
    let snapshot = store.snapshot().unwrap();
    let parent = snapshot.head().unwrap();
    let an_hour_ahead = parent.timestamp_ms + 3_600_000;
    let context = BlockContext::child_of(&parent, Address::ZERO, an_hour_ahead, parent.gas_limit);
    let built = build_block(
        &snapshot,
        &spec,
        &parent,
        context,
        Vec::new(),
        Default::default(),
        &NoBlockEnd,
    )
    .unwrap();
    store.commit_block(&built.block, &[], &[], built.state, &Default::default()).unwrap();
    drop(snapshot);
    drop(store);
    let (ok, message) = verify(dir.path());
    assert!(!ok, "{message}");
    assert!(message.starts_with("verification failed at height 2:"), "{message}");
    assert!(message.contains("timestamp_ms") && message.contains("allowed drift"), "{message}");
}
