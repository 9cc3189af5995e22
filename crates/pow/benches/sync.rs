//! Initial sync: a new node joins a proof-of-work node holding 10,000 blocks and catches up
//! over libp2p on loopback (headers first, then bodies, imported in order), once with empty
//! blocks and once with ten transfers in each. The baseline, measured in the same run, is the
//! same blocks imported straight into a fresh node with no network between, so the ratio is
//! what the network and the sync protocol cost on top of import.
//!
//! `cargo bench -p cairn-pow --bench sync` (`SYNC_BLOCKS` changes the 10,000)

#![allow(missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy_primitives::{Address, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use cairn_consensus::test_utils::solve_work;
use cairn_consensus::{ConsensusRoles, PowConsensus};
use cairn_network::Keypair;
use cairn_node::{Imported, Node};
use cairn_pow::{PowNetwork, PowNetworkConfig};
use cairn_primitives::test_utils::{ManualClock, pow_dev_spec, signed_transfer};
use cairn_primitives::{Block, ChainSpec, GenesisAccount};
use cairn_storage::MemoryKv;

/// Transfers in every block of the second run, one per sender.
const PER_BLOCK: usize = 10;

fn node(spec: &ChainSpec, clock: &Arc<ManualClock>) -> Arc<Node<MemoryKv>> {
    let roles = ConsensusRoles::of(Arc::new(PowConsensus::new(spec, Address::ZERO)));
    Arc::new(
        Node::open(MemoryKv::new(), spec.clone(), roles).expect("node").with_clock(clock.clone()),
    )
}

/// `count` blocks mined on a fresh node, a second apart (every difficulty at the floor), each
/// holding `per_block` transfers.
fn chain(
    spec: &ChainSpec,
    senders: &[PrivateKeySigner],
    count: u64,
    per_block: usize,
) -> Vec<Block> {
    let clock = Arc::new(ManualClock::at(1000));
    let source = node(spec, &clock);
    (0..count)
        .map(|nonce| {
            for key in &senders[..per_block] {
                let raw = signed_transfer(key, spec.chain_id, nonce, Address::repeat_byte(0xee), 1)
                    .expect("sign");
                source.submit_raw(&raw).expect("admitted");
            }
            clock.advance(1000);
            let mut block = source.build_candidate(Address::ZERO).expect("candidate").block;
            assert_eq!(block.transactions.len(), per_block);
            solve_work(&mut block.header);
            assert!(matches!(source.import_block(block.clone()), Ok(Imported::Extended(_))));
            block
        })
        .collect()
}

fn import_locally(spec: &ChainSpec, blocks: &[Block]) -> Duration {
    let fresh = node(spec, &Arc::new(ManualClock::at(u64::MAX / 2)));
    let started = Instant::now();
    for block in blocks {
        assert!(matches!(fresh.import_block(block.clone()), Ok(Imported::Extended(_))));
    }
    started.elapsed()
}

async fn sync_over_libp2p(spec: &ChainSpec, blocks: &[Block]) -> Duration {
    let clock = Arc::new(ManualClock::at(u64::MAX / 2));
    let source = node(spec, &clock);
    for block in blocks {
        source.import_block(block.clone()).expect("imports");
    }
    let listen = "/ip4/127.0.0.1/tcp/0".parse().expect("multiaddr");
    let keypair = Keypair::generate_ed25519();
    let id = keypair.public().to_peer_id();
    let serving =
        PowNetwork::start(source.clone(), PowNetworkConfig { listen, peers: Vec::new(), keypair })
            .await
            .expect("starts");
    let address = serving.transport().listen_addrs().await.expect("running").remove(0);
    let address = address.with_p2p(id).expect("no peer id yet");

    let joining = node(spec, &clock);
    let head = source.head().expect("head").hash();
    let started = Instant::now();
    let config = PowNetworkConfig {
        listen: "/ip4/127.0.0.1/tcp/0".parse().expect("multiaddr"),
        peers: vec![address],
        keypair: Keypair::generate_ed25519(),
    };
    let syncing = PowNetwork::start(joining.clone(), config).await.expect("starts");
    while joining.head().expect("head").hash() != head {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let took = started.elapsed();
    syncing.stop().await;
    serving.stop().await;
    took
}

fn report(what: &str, blocks: u64, local: Duration, network: Duration) {
    let rate = |d: Duration| blocks as f64 / d.as_secs_f64();
    println!(
        "{what}: {blocks} blocks synced over libp2p in {:.2} s ({:.0} blocks/s); imported \
         locally in {:.2} s ({:.0} blocks/s); sync / local import = {:.2}",
        network.as_secs_f64(),
        rate(network),
        local.as_secs_f64(),
        rate(local),
        network.as_secs_f64() / local.as_secs_f64(),
    );
}

fn main() {
    let blocks: u64 =
        std::env::var("SYNC_BLOCKS").ok().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let senders: Vec<PrivateKeySigner> = (1..=PER_BLOCK as u64)
        .map(|i| PrivateKeySigner::from_bytes(&B256::from(U256::from(i))).expect("key"))
        .collect();
    let mut spec = pow_dev_spec(64).expect("proof-of-work spec");
    for key in &senders {
        let funded = GenesisAccount { balance: U256::from(10u128.pow(24)), ..Default::default() };
        spec.alloc.insert(key.address(), funded);
    }
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    for (what, per_block) in [("empty blocks", 0), ("10 transfers a block", PER_BLOCK)] {
        let mined = chain(&spec, &senders, blocks, per_block);
        let local = import_locally(&spec, &mined);
        let network = runtime.block_on(sync_over_libp2p(&spec, &mined));
        report(what, blocks, local, network);
    }
}
