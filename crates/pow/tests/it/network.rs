use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy_primitives::{Address, B256, Bytes as AlloyBytes};
use bytes::Bytes;
use cairn_consensus::test_utils::solve_work;
use cairn_consensus::{ConsensusRoles, PowConsensus, pow};
use cairn_network::consensus::{self as net, ConsensusChannel, ConsensusConfig};
use cairn_network::{Keypair, Multiaddr};
use cairn_node::{Imported, Node};
use cairn_pow::{MAX_MESSAGE_BYTES, PowNetwork, PowNetworkConfig, wire};
use cairn_primitives::test_utils::{ManualClock, pow_dev_spec};
use cairn_primitives::{Block, ChainSpec};
use cairn_storage::MemoryKv;

/// Low enough that a block's work is found in a moment.
const FLOOR: u64 = 64;
/// How long a node may take to catch up before the test fails.
const PATIENCE: Duration = Duration::from_secs(60);

struct Peer {
    node: Arc<Node<MemoryKv>>,
    network: Option<PowNetwork>,
    address: Multiaddr,
}

fn spec() -> ChainSpec {
    pow_dev_spec(FLOOR).expect("spec")
}

/// A node of the test chain whose blocks are stamped by `clock` (a second apart keeps every
/// difficulty at the floor).
fn node(coinbase: u8, clock: &Arc<ManualClock>) -> Arc<Node<MemoryKv>> {
    let spec = spec();
    let roles =
        ConsensusRoles::of(Arc::new(PowConsensus::new(&spec, Address::repeat_byte(coinbase))));
    Arc::new(Node::open(MemoryKv::new(), spec, roles).expect("node").with_clock(clock.clone()))
}

/// Mines `count` blocks on `node`'s head, each a second after the last.
fn mine(node: &Node<MemoryKv>, clock: &ManualClock, count: usize) -> Vec<Block> {
    (0..count)
        .map(|_| {
            clock.advance(1000);
            let mut block = node.build_candidate(Address::ZERO).expect("candidate").block;
            solve_work(&mut block.header);
            let imported = node.import_block(block.clone()).expect("imports");
            assert!(matches!(imported, Imported::Extended(_)), "{imported:?}");
            block
        })
        .collect()
}

async fn connect(node: Arc<Node<MemoryKv>>, peers: Vec<Multiaddr>) -> Peer {
    let keypair = Keypair::generate_ed25519();
    let id = keypair.public().to_peer_id();
    let config = PowNetworkConfig {
        listen: "/ip4/127.0.0.1/tcp/0".parse().expect("multiaddr"),
        peers,
        keypair,
    };
    let network = PowNetwork::start(node.clone(), config).await.expect("starts");
    let address = network.transport().listen_addrs().await.expect("running").remove(0);
    let address = address.with_p2p(id).expect("no peer id yet");
    Peer { node, network: Some(network), address }
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn head_hash(node: &Node<MemoryKv>) -> B256 {
    node.head().expect("head").hash()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_node_syncs_headers_first_then_follows_new_blocks() {
    let clock = Arc::new(ManualClock::at(1000));
    let miner = node(0xa1, &clock);
    // More than one batch of headers (192) behind.
    mine(&miner, &clock, 250);
    let a = connect(miner.clone(), Vec::new()).await;
    let b = connect(node(0xb1, &clock), vec![a.address.clone()]).await;
    until("the late node has the miner's chain", || head_hash(&b.node) == head_hash(&miner)).await;
    assert_eq!(b.node.head().expect("head").number, 250);

    // Blocks mined now reach it as they are found.
    mine(&miner, &clock, 3);
    until("the new blocks arrive", || head_hash(&b.node) == head_hash(&miner)).await;
    for peer in [a, b] {
        peer.network.expect("running").stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_on_a_lighter_branch_switches_to_the_heavier_one() {
    let clock = Arc::new(ManualClock::at(1000));
    let (heavy, light) = (node(0xa1, &clock), node(0xb1, &clock));
    mine(&heavy, &clock, 6);
    mine(&light, &clock, 4);
    let light_head = head_hash(&light);
    let a = connect(heavy.clone(), Vec::new()).await;
    let b = connect(light.clone(), vec![a.address.clone()]).await;
    until("the light node took the heavy branch", || head_hash(&light) == head_hash(&heavy)).await;
    assert_eq!(light.reorg_counts().0, 1);
    assert_ne!(head_hash(&heavy), light_head);
    // The heavy node kept its chain (the light branch is not heavier); blocks mined on the
    // light node from here build on the shared chain and reach the heavy one.
    mine(&light, &clock, 1);
    until("the formerly light node's block arrives", || head_hash(&heavy) == head_hash(&light))
        .await;
    for peer in [a, b] {
        peer.network.expect("running").stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_sends_invalid_work_is_banned_and_nothing_changes() {
    let clock = Arc::new(ManualClock::at(1000));
    let honest = node(0xa1, &clock);
    mine(&honest, &clock, 2);
    let a = connect(honest.clone(), Vec::new()).await;
    let head = honest.head().expect("head");

    // A hostile peer speaks the protocol on its own swarm and gossips blocks whose work was
    // never done.
    let (hostile, mut events) = net::start(ConsensusConfig {
        listen: "/ip4/127.0.0.1/tcp/0".parse().expect("multiaddr"),
        peers: vec![a.address.clone()],
        keypair: Keypair::generate_ed25519(),
        max_message_bytes: MAX_MESSAGE_BYTES,
        allowed: None,
        channels: ConsensusChannel::POW,
    })
    .await
    .expect("hostile swarm");
    let hostile_id = hostile.local_peer_id();
    let deadline = Instant::now() + PATIENCE;
    let network = a.network.as_ref().expect("running").transport().clone();
    let mut nonce = 0u64;
    loop {
        assert!(Instant::now() < deadline, "the hostile peer was never banned");
        clock.advance(1000);
        let mut block = honest.build_candidate(Address::ZERO).expect("candidate").block;
        block.header.extra_data = AlloyBytes::from(nonce.to_be_bytes().to_vec());
        let difficulty = block.header.difficulty.expect("a work chain");
        let wrong = (0..).find(|n| !pow::meets(block.header.hash(), *n, difficulty));
        block.header.seal = pow::seal(wrong.expect("a nonce without the work"));
        nonce += 1;
        let _ = hostile
            .publish(ConsensusChannel::Blocks, Bytes::from(wire::encode_block(&block)))
            .await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        while events.try_recv().is_ok() {}
        let peers = network.peers().await.expect("running");
        if nonce > 3 && !peers.contains(&hostile_id) {
            break;
        }
    }
    assert_eq!(honest.head().expect("head"), head, "no invalid block was taken");
    // Banned: its redials are refused for as long as the ban lasts.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(!network.peers().await.expect("running").contains(&hostile_id));
    hostile.shutdown().await;
    a.network.expect("running").stop().await;
}
