//! A node of a BFT, proof-of-stake or proof-of-work network from its config file: what
//! `cairn node --config` runs.

use std::sync::Arc;

use alloy_primitives::Address;
use cairn_api::{ApiConfig, WebhookConfig};
use cairn_bft::{ConsensusSigner, EvidenceLog, Keypair, Multiaddr, Transport};
use cairn_consensus::MAX_EXTRA_DATA;
use cairn_network::NetworkConfig;
use cairn_pow::PowNetworkConfig;
use cairn_primitives::{ChainSpec, ConsensusKind};
use cairn_rpc::RpcConfig;
use cairn_storage::RedbKv;

use crate::LaunchError;
use crate::builder::{BftSetup, EngineSetup, NodeBuilder};
use crate::config::{MAX_MINER_THREADS, NodeConfig};
use crate::datadir::DataDir;
use crate::listeners;
use crate::secret::read_secret;

impl NodeBuilder<RedbKv> {
    /// The node `config` describes: its data directory (opened, or created when new), its
    /// engine (a BFT or proof-of-stake validator or full node, or a proof-of-work node that
    /// mines or follows) with its peers over libp2p, transaction gossip, JSON-RPC and the
    /// REST API. A validator's key is decrypted with the password from
    /// `validator_password_file` or `CAIRN_KEY_PASSWORD`.
    pub fn from_config(config: &NodeConfig) -> Result<Self, LaunchError> {
        // Every file is checked before the data directory is touched.
        let spec = ChainSpec::from_file(&config.genesis)?;
        let pow = match spec.consensus {
            ConsensusKind::Bft | ConsensusKind::Pos => false,
            ConsensusKind::Pow => true,
            ConsensusKind::Dev => return Err(LaunchError::DevChain),
        };
        check_engine_fields(config, spec.consensus)?;
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
        let network_key = load_network_key(config)?;
        let (spec, kv) = DataDir::new(&config.datadir).open_chain(Some(spec))?;

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
        let engine = if pow {
            EngineSetup::Pow {
                coinbase: config.coinbase.unwrap_or(Address::ZERO),
                miner_threads: if config.mine { config.miner_threads.unwrap_or(1) } else { 0 },
                network: Some(PowNetworkConfig { listen, peers, keypair: network_key }),
            }
        } else {
            let signer = load_signer(config, spec.chain_id)?;
            let fee_recipient = config
                .fee_recipient
                .or(signer.as_ref().map(|s| s.address().0))
                .unwrap_or(Address::ZERO);
            let home = config.datadir.join("consensus");
            std::fs::create_dir_all(&home)
                .map_err(|source| LaunchError::CreateDir { path: home.clone(), source })?;
            let evidence = Arc::new(EvidenceLog::open(home.join("evidence.jsonl"))?);
            EngineSetup::Bft(BftSetup {
                moniker: config.name.clone(),
                evidence,
                signer,
                fee_recipient,
                extra_data,
                transport: Transport::Libp2p { home, listen, peers, network_key },
            })
        };
        Ok(Self::new(spec, kv, engine).with_gossip(gossip).with_rpc(rpc).with_api(api))
    }
}

/// Refuses config fields the chain's engine does not use, so a mistake is said rather than
/// ignored: validator keys, fee recipients and extra data on proof of work; mining on BFT.
fn check_engine_fields(config: &NodeConfig, consensus: ConsensusKind) -> Result<(), LaunchError> {
    let not_for = |field| Err(LaunchError::NotForEngine { field, consensus });
    if consensus == ConsensusKind::Pow {
        if config.validator_key.is_some() {
            return not_for("validator_key");
        }
        if config.fee_recipient.is_some() {
            return not_for("fee_recipient (proof of work pays the coinbase)");
        }
        if config.extra_data.is_some() {
            return not_for("extra_data");
        }
        if config.mine && config.coinbase.is_none() {
            return Err(LaunchError::NoCoinbase);
        }
        if let Some(threads) = config.miner_threads
            && !(1..=MAX_MINER_THREADS).contains(&threads)
        {
            return Err(LaunchError::MinerThreads { threads, max: MAX_MINER_THREADS });
        }
        return Ok(());
    }
    if config.mine {
        return not_for("mine");
    }
    if config.miner_threads.is_some() {
        return not_for("miner_threads");
    }
    if config.coinbase.is_some() {
        return not_for("coinbase (fee_recipient names who a validator's blocks pay)");
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn config() -> NodeConfig {
        NodeConfig {
            name: "node0".into(),
            datadir: PathBuf::from("data"),
            genesis: PathBuf::from("genesis.json"),
            rpc_addr: "127.0.0.1:8545".parse().expect("address"),
            api_addr: "127.0.0.1:8080".parse().expect("address"),
            p2p_addr: "/ip4/127.0.0.1/tcp/26656".into(),
            peers: Vec::new(),
            gossip_addr: "/ip4/127.0.0.1/tcp/27656".into(),
            gossip_peers: Vec::new(),
            gossip_max_txs_per_peer_per_sec: None,
            network_key: PathBuf::from("keys/network.key"),
            validator_key: None,
            validator_password_file: None,
            rpc_tls_cert: None,
            rpc_tls_key: None,
            api_tls_cert: None,
            api_tls_key: None,
            webhook_allow_private: false,
            fee_recipient: None,
            extra_data: None,
            mine: false,
            miner_threads: None,
            coinbase: None,
        }
    }

    #[test]
    fn each_engine_refuses_the_other_engines_fields() {
        let pow = ConsensusKind::Pow;
        assert!(check_engine_fields(&config(), pow).is_ok());
        let miner = NodeConfig { mine: true, coinbase: Some(Address::ZERO), ..config() };
        assert!(check_engine_fields(&miner, pow).is_ok());
        let no_coinbase = NodeConfig { mine: true, ..config() };
        assert!(matches!(check_engine_fields(&no_coinbase, pow), Err(LaunchError::NoCoinbase)));
        let threads = NodeConfig { miner_threads: Some(0), ..miner.clone() };
        assert!(matches!(
            check_engine_fields(&threads, pow),
            Err(LaunchError::MinerThreads { threads: 0, .. })
        ));
        let keyed = NodeConfig { validator_key: Some(PathBuf::from("k")), ..config() };
        assert!(matches!(
            check_engine_fields(&keyed, pow),
            Err(LaunchError::NotForEngine { field: "validator_key", .. })
        ));
        for bft in [ConsensusKind::Bft, ConsensusKind::Pos] {
            assert!(check_engine_fields(&keyed, bft).is_ok());
            assert!(matches!(
                check_engine_fields(&miner, bft),
                Err(LaunchError::NotForEngine { field: "mine", .. })
            ));
        }
    }
}
