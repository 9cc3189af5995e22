//! A node of a BFT or proof-of-stake network from its config file: what `cairn node --config`
//! runs.

use std::sync::Arc;

use alloy_primitives::Address;
use cairn_api::{ApiConfig, WebhookConfig};
use cairn_bft::{ConsensusSigner, EvidenceLog, Keypair, Multiaddr, Transport};
use cairn_consensus::MAX_EXTRA_DATA;
use cairn_network::NetworkConfig;
use cairn_primitives::{ChainSpec, ConsensusKind};
use cairn_rpc::RpcConfig;
use cairn_storage::RedbKv;

use crate::LaunchError;
use crate::builder::{BftSetup, EngineSetup, NodeBuilder};
use crate::config::NodeConfig;
use crate::datadir::DataDir;
use crate::listeners;
use crate::secret::read_secret;

impl NodeBuilder<RedbKv> {
    /// The node `config` describes: its data directory (opened, or created when new), its
    /// validator key (password from `validator_password_file` or `CAIRN_KEY_PASSWORD`), its
    /// consensus peers over libp2p, transaction gossip, JSON-RPC and the REST API.
    pub fn from_config(config: &NodeConfig) -> Result<Self, LaunchError> {
        // Every file is checked before the data directory is touched.
        let spec = ChainSpec::from_file(&config.genesis)?;
        if !matches!(spec.consensus, ConsensusKind::Bft | ConsensusKind::Pos) {
            return Err(LaunchError::NotBft);
        }
        if spec.consensus == ConsensusKind::Pos && config.fee_recipient.is_some() {
            tracing::warn!(
                "fee_recipient is ignored on a proof-of-stake chain: fees go to the stakers"
            );
        }
        let extra_data = config.extra_data.clone().unwrap_or_default();
        if extra_data.len() > MAX_EXTRA_DATA {
            return Err(LaunchError::ExtraDataTooLong {
                len: extra_data.len(),
                max: MAX_EXTRA_DATA,
            });
        }
        let rpc_tls = listeners::tls(
            "JSON-RPC",
            config.rpc_tls_cert.as_deref(),
            config.rpc_tls_key.as_deref(),
        )?;
        let api_tls = listeners::tls(
            "REST API",
            config.api_tls_cert.as_deref(),
            config.api_tls_key.as_deref(),
        )?;
        let listen = multiaddr(&config.p2p_addr)?;
        let peers = config.peers.iter().map(|p| multiaddr(p)).collect::<Result<_, _>>()?;
        let gossip_listen = multiaddr(&config.gossip_addr)?;
        let gossip_peers =
            config.gossip_peers.iter().map(|p| multiaddr(p)).collect::<Result<_, _>>()?;
        let (spec, kv) = DataDir::new(&config.datadir).open_chain(Some(spec))?;
        let signer = load_signer(config, spec.chain_id)?;
        let network_key = load_network_key(config)?;
        let fee_recipient = config
            .fee_recipient
            .or(signer.as_ref().map(|s| s.address().0))
            .unwrap_or(Address::ZERO);
        let home = config.datadir.join("consensus");
        std::fs::create_dir_all(&home)
            .map_err(|source| LaunchError::CreateDir { path: home.clone(), source })?;
        let evidence = Arc::new(EvidenceLog::open(home.join("evidence.jsonl"))?);

        let mut gossip = NetworkConfig::new(network_key.clone(), gossip_listen);
        gossip.bootstrap = gossip_peers;
        if let Some(rate) = config.gossip_max_txs_per_peer_per_sec {
            gossip.max_txs_per_peer_per_sec = rate;
        }
        let rpc = RpcConfig { addr: config.rpc_addr, tls: rpc_tls, ..RpcConfig::default() };
        let webhooks = WebhookConfig {
            allow_private: config.webhook_allow_private,
            ..WebhookConfig::default()
        };
        let api =
            ApiConfig { addr: config.api_addr, tls: api_tls, webhooks, ..ApiConfig::default() };
        let engine = EngineSetup::Bft(BftSetup {
            moniker: config.name.clone(),
            evidence,
            signer,
            fee_recipient,
            extra_data,
            transport: Transport::Libp2p { home, listen, peers, network_key },
        });
        Ok(Self::new(spec, kv, engine).with_gossip(gossip).with_rpc(rpc).with_api(api))
    }
}

fn multiaddr(text: &str) -> Result<Multiaddr, LaunchError> {
    text.parse().map_err(|_| LaunchError::Multiaddr { text: text.to_string() })
}

/// The validator's consensus key, decrypted; `None` on a full node.
fn load_signer(config: &NodeConfig, chain_id: u64) -> Result<Option<ConsensusSigner>, LaunchError> {
    let Some(key) = &config.validator_key else { return Ok(None) };
    let password = match &config.validator_password_file {
        Some(file) => read_secret(file)?,
        None => std::env::var("CAIRN_KEY_PASSWORD").map_err(|_| LaunchError::NoPassword)?,
    };
    let signer = cairn_keys::decrypt(key, &password)
        .map_err(|source| LaunchError::Key { path: key.clone(), source })?;
    Ok(Some(ConsensusSigner::new(signer.credential().clone(), chain_id)))
}

/// The node's libp2p identity, from the hex file `cairn testnet init` wrote.
fn load_network_key(config: &NodeConfig) -> Result<Keypair, LaunchError> {
    let path = &config.network_key;
    let text = read_secret(path)?;
    let bytes = alloy_primitives::hex::decode(text.trim())
        .map_err(|source| LaunchError::NetworkKeyHex { path: path.clone(), source })?;
    Keypair::from_protobuf_encoding(&bytes)
        .map_err(|source| LaunchError::NetworkKey { path: path.clone(), source })
}
