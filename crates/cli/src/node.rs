//! `cairn node --config FILE`: one node of a BFT network (a validator, or a full node that
//! follows and verifies), with its JSON-RPC and REST API.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use cairn_api::{ApiConfig, WebhookConfig};
use cairn_bft::{
    BftConfig, BftConsensus, ConsensusSigner, EvidenceLog, Keypair, Multiaddr, ValidatorSchedule,
};
use cairn_consensus::Equivocation;
use cairn_network::NetworkConfig;
use cairn_node::Node;
use cairn_primitives::{ChainSpec, ConsensusKind};
use cairn_rpc::RpcConfig;
use clap::Args;
use jsonrpsee::types::ErrorObjectOwned;

use crate::config::NodeConfig;
use crate::datadir::DataDir;
use crate::fail_stop;
use crate::gossip::Gossip;
use crate::listeners;
use crate::secret_file::read_secret;
use crate::signals::StopSignals;

/// How long requests in flight get to finish once a stop signal arrives.
const API_GRACE: Duration = Duration::from_secs(5);

#[derive(Debug, Args)]
pub(crate) struct NodeArgs {
    /// The node's config file, as `cairn testnet init` writes it.
    #[arg(long)]
    config: PathBuf,
    /// Set by `cairn dev --validators`: the supervisor's pid, so this node stops with it.
    #[arg(long, hide = true)]
    supervisor_pid: Option<u32>,
}

fn parse_multiaddr(text: &str) -> anyhow::Result<Multiaddr> {
    text.parse().with_context(|| format!("{text:?} is not a multiaddr"))
}

fn load_signer(config: &NodeConfig, chain_id: u64) -> anyhow::Result<Option<ConsensusSigner>> {
    let Some(key) = &config.validator_key else { return Ok(None) };
    let password = match &config.validator_password_file {
        Some(file) => read_secret(file)?,
        None => std::env::var("CAIRN_KEY_PASSWORD")
            .context("the validator key needs validator_password_file or CAIRN_KEY_PASSWORD")?,
    };
    let signer = cairn_keys::decrypt(key, &password)
        .with_context(|| format!("decrypting {}", key.display()))?;
    Ok(Some(ConsensusSigner::new(signer.credential().clone(), chain_id)))
}

fn load_network_key(config: &NodeConfig) -> anyhow::Result<Keypair> {
    let text = read_secret(&config.network_key)?;
    let bytes = alloy_primitives::hex::decode(text.trim())
        .with_context(|| format!("{} is not hex", config.network_key.display()))?;
    Keypair::from_protobuf_encoding(&bytes)
        .with_context(|| format!("{} is not a network key", config.network_key.display()))
}

pub(crate) fn run(args: NodeArgs) -> anyhow::Result<()> {
    if let Some(pid) = args.supervisor_pid {
        crate::devnet::follow_supervisor(pid)?;
    }
    let config = NodeConfig::load(&args.config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let stop = {
        let _context = runtime.enter();
        StopSignals::listen()?
    };
    let spec = ChainSpec::from_file(&config.genesis)?;
    if spec.consensus != ConsensusKind::Bft {
        anyhow::bail!("cairn node runs bft chains; use cairn dev for a dev chain");
    }
    let (spec, kv) = DataDir::new(&config.datadir).open_chain(Some(spec))?;
    let schedule = ValidatorSchedule::from_spec(&spec)?;
    let signer = load_signer(&config, spec.chain_id)?;
    let network_key = load_network_key(&config)?;
    let own_address = signer.as_ref().map(|s| s.address().0);
    let beneficiary =
        config.fee_recipient.or(own_address).unwrap_or(alloy_primitives::Address::ZERO);
    let home = config.datadir.join("consensus");
    std::fs::create_dir_all(&home).with_context(|| format!("cannot create {}", home.display()))?;
    let evidence = Arc::new(EvidenceLog::open(home.join("evidence.jsonl"))?);
    let consensus =
        Arc::new(BftConsensus::new(spec.chain_id, schedule.clone(), beneficiary, evidence.clone()));
    let node = Arc::new(Node::open(kv, spec.clone(), consensus)?);
    println!(
        "{} ({}) chain id {}, head at block {}",
        config.name,
        signer.as_ref().map_or("full node".to_string(), |s| format!("validator {}", s.address())),
        spec.chain_id,
        node.head()?.number
    );

    let bft = BftConfig {
        moniker: config.name.clone(),
        home,
        evidence: evidence.clone(),
        listen: parse_multiaddr(&config.p2p_addr)?,
        peers: config.peers.iter().map(|p| parse_multiaddr(p)).collect::<anyhow::Result<_>>()?,
        chain_id: spec.chain_id,
        signer,
        fee_recipient: beneficiary,
        network_key: network_key.clone(),
        block_time: Duration::from_millis(spec.block_time_ms),
    };
    let engine = runtime.block_on(cairn_bft::start(node.clone(), schedule, bft))?;
    println!("consensus listening on {}", config.p2p_addr);
    let mut gossip_config = NetworkConfig::new(network_key, parse_multiaddr(&config.gossip_addr)?);
    gossip_config.bootstrap =
        config.gossip_peers.iter().map(|p| parse_multiaddr(p)).collect::<anyhow::Result<_>>()?;
    if let Some(rate) = config.gossip_max_txs_per_peer_per_sec {
        gossip_config.max_txs_per_peer_per_sec = rate;
    }
    let gossip = runtime.block_on(Gossip::start(node.clone(), gossip_config))?;
    println!("transaction gossip listening on {}", config.gossip_addr);

    let rpc_tls =
        listeners::tls("JSON-RPC", config.rpc_tls_cert.as_deref(), config.rpc_tls_key.as_deref())?;
    let rpc = RpcConfig { addr: config.rpc_addr, tls: rpc_tls, ..RpcConfig::default() };
    let extra = evidence_methods(evidence)?;
    let (rpc_addr, rpc_server) =
        runtime.block_on(cairn_rpc::start_with(node.clone(), &rpc, extra))?;
    listeners::warn_if_plaintext(
        "JSON-RPC",
        rpc_addr,
        rpc.tls.is_some(),
        "rpc_tls_cert and rpc_tls_key in the node config",
    );
    println!("JSON-RPC listening on {}://{rpc_addr}", listeners::scheme(rpc.tls.is_some()));
    let api_tls =
        listeners::tls("REST API", config.api_tls_cert.as_deref(), config.api_tls_key.as_deref())?;
    let webhooks =
        WebhookConfig { allow_private: config.webhook_allow_private, ..WebhookConfig::default() };
    let api = ApiConfig {
        addr: config.api_addr,
        network: Some(gossip.handle()),
        tls: api_tls,
        webhooks,
        ..ApiConfig::default()
    };
    let api_server = runtime.block_on(cairn_api::start(node.clone(), node.clone(), &api))?;
    listeners::warn_if_plaintext(
        "The REST API",
        api_server.addr(),
        api.tls.is_some(),
        "api_tls_cert and api_tls_key in the node config",
    );
    println!(
        "REST API listening on {}://{}",
        listeners::scheme(api.tls.is_some()),
        api_server.addr()
    );
    let mut engine = Some(engine);
    // A failed store stops consensus at once: the node neither proposes nor votes.
    let failure = runtime.block_on(fail_stop::serve(stop, &node, || {
        if let Some(engine) = engine.take() {
            engine.stop();
        }
    }));
    tracing::info!("shutting down");
    if let Some(engine) = engine.take() {
        engine.stop();
    }
    runtime.block_on(gossip.stop());
    runtime.block_on(api_server.stop(API_GRACE));
    let _ = rpc_server.stop();
    runtime.shutdown_timeout(Duration::from_secs(2));
    match failure {
        Some(failure) => Err(fail_stop::exit_error(&failure)),
        None => Ok(()),
    }
}

/// `cairn_getEvidence`: every equivocation this node has seen (two conflicting signed votes or
/// proposals from one validator for one height and round), oldest first. Served in the shape
/// it has always had: the proposals' proof-of-lock rounds stay in the log, for slashing.
fn evidence_methods(log: Arc<EvidenceLog>) -> anyhow::Result<jsonrpsee::Methods> {
    let mut module = jsonrpsee::RpcModule::new(log);
    module.register_method("cairn_getEvidence", |_, log, _| {
        let served: Vec<_> =
            log.list().into_iter().map(|e| Equivocation { pol_rounds: None, ..e }).collect();
        Ok::<_, ErrorObjectOwned>(served)
    })?;
    Ok(module.into())
}
