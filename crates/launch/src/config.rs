//! The node config file (`config.toml`) that `cairn testnet init` writes and `cairn node`
//! reads. Relative paths are relative to the file's folder.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::LaunchError;

/// Largest config file read.
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// One node of a network, as its operator configured it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// The node's name in logs and peer lists.
    pub name: String,
    /// Where the chain is stored.
    pub datadir: PathBuf,
    /// The network's chain spec.
    pub genesis: PathBuf,
    /// Where Ethereum JSON-RPC listens.
    pub rpc_addr: SocketAddr,
    /// Where the REST API listens.
    pub api_addr: SocketAddr,
    /// Where the consensus network listens (a multiaddr such as `/ip4/10.0.0.1/tcp/26656`).
    pub p2p_addr: String,
    /// Other nodes' consensus addresses, kept connected.
    #[serde(default)]
    pub peers: Vec<String>,
    /// Where transaction gossip listens (a second swarm, beside consensus).
    pub gossip_addr: String,
    /// Other nodes' gossip addresses, each ending in `/p2p/<peer id>`.
    #[serde(default)]
    pub gossip_peers: Vec<String>,
    /// Transactions taken from one gossip peer per second before the excess is dropped
    /// (default 10,000); raise it for a network that carries more than that.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gossip_max_txs_per_peer_per_sec: Option<u32>,
    /// The node's network identity key (hex of libp2p's protobuf encoding, file mode 0600).
    pub network_key: PathBuf,
    /// The validator's consensus key, an encrypted V3 keystore; absent on a full node.
    #[serde(default)]
    pub validator_key: Option<PathBuf>,
    /// A file holding the keystore's password; without it `CAIRN_KEY_PASSWORD` is read.
    #[serde(default)]
    pub validator_password_file: Option<PathBuf>,
    /// Serve JSON-RPC over HTTPS and WSS with this PEM certificate chain (with
    /// `rpc_tls_key`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpc_tls_cert: Option<PathBuf>,
    /// The PEM private key of `rpc_tls_cert`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpc_tls_key: Option<PathBuf>,
    /// Serve the REST API over HTTPS with this PEM certificate chain (with `api_tls_key`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_tls_cert: Option<PathBuf>,
    /// The PEM private key of `api_tls_cert`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_tls_key: Option<PathBuf>,
    /// Deliver webhooks to loopback, private, link-local and this machine's own addresses
    /// too (local development); by default only public addresses receive webhooks.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub webhook_allow_private: bool,
    /// The account the blocks this validator proposes pay their priority fees to (the
    /// block's `beneficiary`, Ethereum's coinbase); the validator's own address when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_recipient: Option<alloy_primitives::Address>,
    /// What the headers of the blocks this validator proposes carry in `extra_data` (0x hex,
    /// at most 32 bytes); empty when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_data: Option<alloy_primitives::Bytes>,
    /// Proof of work: search for blocks (needs `coinbase`); a node without it follows the
    /// heaviest chain and serves it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mine: bool,
    /// Proof of work: the miner's search threads (1 to 256; default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub miner_threads: Option<usize>,
    /// Proof of work: the account the blocks this node mines pay their reward and priority
    /// fees to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coinbase: Option<alloy_primitives::Address>,
}

/// Most search threads a miner runs.
pub const MAX_MINER_THREADS: usize = 256;

impl NodeConfig {
    /// Reads a config and makes its paths absolute.
    pub fn load(path: &Path) -> Result<Self, LaunchError> {
        let read = |source| LaunchError::Read { path: path.to_path_buf(), source };
        let meta = std::fs::metadata(path).map_err(read)?;
        if meta.len() > MAX_CONFIG_BYTES {
            return Err(LaunchError::ConfigTooLarge { path: path.to_path_buf() });
        }
        let text = std::fs::read_to_string(path).map_err(read)?;
        let mut config: Self = toml::from_str(&text)
            .map_err(|source| LaunchError::ParseConfig { path: path.to_path_buf(), source })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let absolute = |p: &Path| if p.is_absolute() { p.to_path_buf() } else { base.join(p) };
        config.datadir = absolute(&config.datadir);
        config.genesis = absolute(&config.genesis);
        config.network_key = absolute(&config.network_key);
        config.validator_key = config.validator_key.as_deref().map(absolute);
        config.validator_password_file = config.validator_password_file.as_deref().map(absolute);
        for file in [
            &mut config.rpc_tls_cert,
            &mut config.rpc_tls_key,
            &mut config.api_tls_cert,
            &mut config.api_tls_key,
        ] {
            *file = file.as_deref().map(absolute);
        }
        Ok(config)
    }

    /// Writes the config as TOML.
    pub fn save(&self, path: &Path) -> Result<(), LaunchError> {
        let text = toml::to_string_pretty(self).map_err(LaunchError::RenderConfig)?;
        std::fs::write(path, text)
            .map_err(|source| LaunchError::Write { path: path.to_path_buf(), source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
name = "node0"
datadir = "data"
genesis = "../genesis.json"
rpc_addr = "127.0.0.1:8545"
api_addr = "127.0.0.1:8080"
p2p_addr = "/ip4/127.0.0.1/tcp/26656"
gossip_addr = "/ip4/127.0.0.1/tcp/27656"
network_key = "keys/network.key"
"#;

    #[test]
    fn the_gossip_rate_is_optional_and_read_when_given() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("config.toml");
        std::fs::write(&path, MINIMAL).expect("write");
        let config = NodeConfig::load(&path).expect("load");
        assert_eq!(config.gossip_max_txs_per_peer_per_sec, None);
        assert_eq!(config.network_key, dir.path().join("keys/network.key"));

        std::fs::write(&path, format!("{MINIMAL}gossip_max_txs_per_peer_per_sec = 50000\n"))
            .expect("write");
        assert_eq!(
            NodeConfig::load(&path).expect("load").gossip_max_txs_per_peer_per_sec,
            Some(50_000)
        );
    }

    #[test]
    fn mining_is_off_unless_asked_for() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("config.toml");
        std::fs::write(&path, MINIMAL).expect("write");
        let config = NodeConfig::load(&path).expect("load");
        assert_eq!((config.mine, config.miner_threads, config.coinbase), (false, None, None));

        let extra = "mine = true\nminer_threads = 2\n\
                     coinbase = \"0x00000000000000000000000000000000000000c0\"\n";
        std::fs::write(&path, format!("{MINIMAL}{extra}")).expect("write");
        let config = NodeConfig::load(&path).expect("load");
        assert!(config.mine);
        assert_eq!(config.miner_threads, Some(2));
        assert_eq!(config.coinbase, Some(alloy_primitives::Address::with_last_byte(0xc0)));
        let saved = dir.path().join("saved.toml");
        config.save(&saved).expect("save");
        assert_eq!(NodeConfig::load(&saved).expect("load"), config);
    }

    #[test]
    fn tls_files_and_the_webhook_rule_are_optional_and_read_when_given() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("config.toml");
        std::fs::write(&path, MINIMAL).expect("write");
        let config = NodeConfig::load(&path).expect("load");
        assert_eq!((config.rpc_tls_cert, config.api_tls_key), (None, None));
        assert!(!config.webhook_allow_private);

        let extra = "rpc_tls_cert = \"tls/rpc.pem\"\nrpc_tls_key = \"/etc/cairn/rpc.key\"\n\
                     api_tls_cert = \"tls/api.pem\"\napi_tls_key = \"tls/api.key\"\n\
                     webhook_allow_private = true\n";
        std::fs::write(&path, format!("{MINIMAL}{extra}")).expect("write");
        let config = NodeConfig::load(&path).expect("load");
        assert_eq!(config.rpc_tls_cert, Some(dir.path().join("tls/rpc.pem")));
        assert_eq!(config.rpc_tls_key, Some(PathBuf::from("/etc/cairn/rpc.key")));
        assert_eq!(config.api_tls_cert, Some(dir.path().join("tls/api.pem")));
        assert_eq!(config.api_tls_key, Some(dir.path().join("tls/api.key")));
        assert!(config.webhook_allow_private);
    }
}
