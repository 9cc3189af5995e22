//! Node permissioning on a governed BFT network, over real libp2p on loopback: three nodes of
//! a private chain whose contract allows the validator and one full node. A third node whose
//! peer id is not allowed gets no gossip connection and no block, not even the head; once a
//! proposal removes the allowed full node, it is disconnected within one block of the
//! proposal's effective height and syncs no further while the validator goes on.

use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy_primitives::{Address, Bytes, TxKind};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_sol_types::SolCall;
use cairn_api::ApiConfig;
use cairn_bft::{ConsensusSigner, EvidenceLog, Keypair, Multiaddr, Transport};
use cairn_governance::{Governance, ProposalStatus, governance_account};
use cairn_launch::{BftSetup, EngineSetup, NodeBuilder, RunningNode};
use cairn_network::{NetworkConfig, PeerId};
use cairn_primitives::test_utils::signed_call;
use cairn_primitives::{
    ChainSpec, ConsensusKind, GOVERNANCE_ADDRESS, GenesisValidator, GovernanceSpec, NetworkKind,
    NodeSpec, OrganisationSpec, dev_accounts,
};
use cairn_reads::{CallBlock, CallOutcome};
use cairn_storage::MemoryKv;
use k256::ecdsa::SigningKey;
use serde_json::Value;

/// How long a condition may take before the test fails (the nodes run on the wall clock).
const PATIENCE: Duration = Duration::from_secs(90);
/// Blocks per governance epoch: a passed proposal takes effect after the epoch's last block.
const EPOCH: u64 = 8;

fn signer(chain_id: u64) -> ConsensusSigner {
    ConsensusSigner::new(SigningKey::from_slice(&[1u8; 32]).unwrap(), chain_id)
}

/// A port nobody listens on now (the nodes must know each other's before they start).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// One node's identity and where it listens.
struct Peer {
    key: Keypair,
    consensus: u16,
    gossip: u16,
}

impl Peer {
    fn new(seed: u8) -> Self {
        let key = Keypair::ed25519_from_bytes([seed; 32]).unwrap();
        Self { key, consensus: free_port(), gossip: free_port() }
    }

    fn id(&self) -> PeerId {
        self.key.public().to_peer_id()
    }

    fn consensus_addr(&self) -> Multiaddr {
        format!("/ip4/127.0.0.1/tcp/{}/p2p/{}", self.consensus, self.id()).parse().unwrap()
    }

    fn gossip_addr(&self) -> Multiaddr {
        format!("/ip4/127.0.0.1/tcp/{}/p2p/{}", self.gossip, self.id()).parse().unwrap()
    }
}

/// A private BFT chain: dev account 0 administers the only organisation, whose nodes are
/// `allowed` (the first is the validator's), with node permissioning on.
fn spec(allowed: &[&Peer]) -> ChainSpec {
    let mut spec = ChainSpec::dev().unwrap();
    let validator = signer(spec.chain_id);
    let address = validator.address().0;
    spec.consensus = ConsensusKind::Bft;
    spec.network = NetworkKind::Private;
    spec.block_time_ms = 200;
    spec.epoch_length = Some(EPOCH);
    spec.validators = vec![GenesisValidator {
        name: "v1".into(),
        address,
        public_key: Bytes::copy_from_slice(&validator.public_key().0),
        power: 10,
        stake: None,
        operator: None,
        commission_bps: None,
    }];
    let nodes = allowed
        .iter()
        .enumerate()
        .map(|(i, peer)| NodeSpec {
            peer_id: Bytes::from(peer.id().to_bytes()),
            consensus_address: (i == 0).then_some(address),
        })
        .collect();
    spec.governance = Some(GovernanceSpec {
        voting_period_blocks: 10,
        permission_accounts: false,
        permission_nodes: true,
        permission_deployers: false,
        organisations: vec![OrganisationSpec {
            name: "org".into(),
            admins: vec![dev_accounts(1).unwrap()[0].address],
            members: vec![],
            deployers: vec![],
            nodes,
            validators: vec![address],
        }],
    });
    spec.alloc.insert(GOVERNANCE_ADDRESS, governance_account(&spec).unwrap());
    spec.validate().unwrap();
    spec
}

/// Starts `me` (the validator when `validating`) with consensus and gossip on loopback,
/// dialling `peers`, and the REST API (for its gossip peers).
async fn start(
    spec: &ChainSpec,
    home: &Path,
    me: &Peer,
    validating: bool,
    peers: &[&Peer],
) -> RunningNode<MemoryKv> {
    let listen = |port| format!("/ip4/127.0.0.1/tcp/{port}").parse().unwrap();
    let setup = BftSetup {
        moniker: me.id().to_string(),
        evidence: Arc::new(EvidenceLog::in_memory()),
        signer: validating.then(|| signer(spec.chain_id)),
        fee_recipient: Address::ZERO,
        extra_data: Bytes::new(),
        transport: Transport::Libp2p {
            home: home.to_path_buf(),
            listen: listen(me.consensus),
            peers: peers.iter().map(|p| p.consensus_addr()).collect(),
            network_key: me.key.clone(),
        },
    };
    let mut gossip = NetworkConfig::new(me.key.clone(), listen(me.gossip));
    gossip.bootstrap = peers.iter().map(|p| p.gossip_addr()).collect();
    let api = ApiConfig { addr: "127.0.0.1:0".parse().unwrap(), ..ApiConfig::default() };
    NodeBuilder::new(spec.clone(), MemoryKv::new(), EngineSetup::Bft(setup))
        .with_gossip(gossip)
        .with_api(api)
        .start()
        .await
        .unwrap()
}

fn head(node: &RunningNode<MemoryKv>) -> u64 {
    node.node().head().unwrap().number
}

/// Waits (polling: the nodes run on the wall clock) until `done` holds, failing after
/// [`PATIENCE`].
async fn until(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while !done().await {
        assert!(start.elapsed() < PATIENCE, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The peer ids a node's transaction gossip is connected to, from its REST API.
async fn gossip_peers(node: &RunningNode<MemoryKv>) -> Vec<String> {
    let url = format!("http://{}/v1/peers", node.api_addr().unwrap());
    let text = reqwest::get(url).await.unwrap().text().await.unwrap();
    let body: Value = serde_json::from_str(&text).unwrap();
    body["peers"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().into()).collect()
}

/// The contract's `proposal(id)` at the node's head; `None` before it exists.
fn proposal(node: &RunningNode<MemoryKv>, id: u64) -> Option<Governance::ProposalInfo> {
    let request = TransactionRequest::default()
        .to(GOVERNANCE_ADDRESS)
        .input(Governance::proposalCall { id }.abi_encode().into());
    match node.node().call(&request, CallBlock::Stored(head(node)), None, None).unwrap() {
        CallOutcome::Success { output, .. } => {
            Some(Governance::proposalCall::abi_decode_returns(&output).unwrap())
        }
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn only_allowed_nodes_connect_and_a_removed_node_is_dropped_within_a_block() {
    let (validator, follower, stranger) = (Peer::new(11), Peer::new(12), Peer::new(13));
    let spec = spec(&[&validator, &follower]);
    let dir = tempfile::tempdir().unwrap();
    // The validator's own configuration names the stranger too: the contract decides.
    let v = start(&spec, &dir.path().join("v"), &validator, true, &[&follower, &stranger]).await;
    let f = start(&spec, &dir.path().join("f"), &follower, false, &[&validator]).await;
    let s = start(&spec, &dir.path().join("s"), &stranger, false, &[&validator]).await;
    let (follower_id, stranger_id) = (follower.id().to_string(), stranger.id().to_string());

    // The allowed full node syncs and gossips; the stranger learns nothing, not even the head.
    until("the allowed full node follows", async || head(&f) >= 3).await;
    until("the allowed full node gossips", async || gossip_peers(&v).await.contains(&follower_id))
        .await;
    let height = head(&v);
    until("the validator is three blocks further", async || head(&v) >= height + 3).await;
    until("the allowed full node caught up", async || head(&f) >= height + 3).await;
    assert_eq!(head(&s), 0, "a refused node has no block");
    assert!(!gossip_peers(&v).await.contains(&stranger_id), "nor a gossip connection");

    // The admin removes the full node: on a private network the proposal passes at once and
    // takes effect after the epoch's last block.
    let accounts = dev_accounts(1).unwrap();
    let admin = &accounts[0];
    let call = Governance::proposeRemoveNodeCall { peerId: Bytes::from(follower.id().to_bytes()) };
    let raw = signed_call(
        &admin.signer,
        spec.chain_id,
        0,
        TxKind::Call(GOVERNANCE_ADDRESS),
        call.abi_encode().into(),
        1_000_000,
    )
    .unwrap();
    v.node().submit_raw(&raw).unwrap();
    until("the removal is executed", async || {
        proposal(&v, 1).is_some_and(|p| p.status == ProposalStatus::Executed as u8)
    })
    .await;
    let effective = proposal(&v, 1).unwrap().effectiveHeight;
    until("the removed node is off the validator's gossip", async || {
        !gossip_peers(&v).await.contains(&follower_id)
    })
    .await;
    until("the validator is five blocks past the effective height", async || {
        head(&v) >= effective + 5
    })
    .await;
    let last = head(&f);
    assert!(
        last <= effective,
        "the removed node followed to block {last}, the removal took effect at {effective}"
    );
    until("the validator is five blocks further", async || head(&v) >= effective + 10).await;
    assert_eq!(head(&f), last, "the removed node syncs no further");
    assert_eq!(head(&s), 0);

    for node in [s, f, v] {
        node.stop(Duration::from_secs(1)).await;
    }
}
