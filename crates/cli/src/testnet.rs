//! `cairn testnet init`: everything a BFT network of N validators needs, one folder per node:
//! a shared chain spec, each validator's encrypted consensus key, a network key, and a node
//! config that `cairn node --config` runs.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use cairn_bft::{ConsensusPublicKey, Keypair};
use cairn_keys::KeystoreDir;
use cairn_primitives::{ChainSpec, ConsensusKind, GenesisValidator, NetworkKind};
use clap::{Args, Subcommand};

use cairn_launch::NodeConfig;
use cairn_launch::write_secret;

/// Most validators a testnet folder is written for.
const MAX_VALIDATORS: usize = 64;

#[derive(Debug, Args)]
pub(crate) struct TestnetArgs {
    #[command(subcommand)]
    command: TestnetCommand,
}

#[derive(Debug, Subcommand)]
enum TestnetCommand {
    /// Write the chain spec, keys and node configs of a BFT network.
    Init(InitArgs),
}

#[derive(Debug, Args, Clone)]
pub(crate) struct InitArgs {
    /// How many validators.
    #[arg(long, default_value_t = 4)]
    pub(crate) validators: usize,
    /// How many non-validator full nodes to add after them.
    #[arg(long, default_value_t = 0)]
    pub(crate) full_nodes: usize,
    /// The folder to write (must not hold a testnet already).
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// The address of each node's machine, in node order (comma-separated); one address
    /// serves every node (the default, loopback, runs them all on this machine).
    #[arg(long, value_delimiter = ',', default_value = "127.0.0.1")]
    pub(crate) hosts: Vec<IpAddr>,
    /// JSON-RPC port of node 0; node i uses this plus i.
    #[arg(long, default_value_t = 8545)]
    pub(crate) rpc_port: u16,
    /// REST API port of node 0; node i uses this plus i.
    #[arg(long, default_value_t = 8080)]
    pub(crate) api_port: u16,
    /// Consensus peer-to-peer port of node 0; node i uses this plus i.
    #[arg(long, default_value_t = 26656)]
    pub(crate) p2p_port: u16,
    /// Transaction gossip port of node 0; node i uses this plus i.
    #[arg(long, default_value_t = 27656)]
    pub(crate) gossip_port: u16,
    /// Time between blocks (e.g. 1s, 500ms; at least 1ms).
    #[arg(long, value_parser = crate::dev::parse_block_time, default_value = "1s")]
    pub(crate) block_time: std::time::Duration,
    /// Gas limit of every block (default 30,000,000); with the block time it bounds how many
    /// transactions a second the network can carry.
    #[arg(long)]
    pub(crate) gas_limit: Option<u64>,
}

pub(crate) fn run(args: TestnetArgs) -> anyhow::Result<()> {
    match args.command {
        TestnetCommand::Init(args) => {
            let configs = init(&args)?;
            println!("wrote a {}-validator network to {}", args.validators, args.out.display());
            for path in configs {
                println!("  cairn node --config {}", path.display());
            }
            Ok(())
        }
    }
}

fn port(base: u16, index: usize) -> anyhow::Result<u16> {
    u16::try_from(index).ok().and_then(|i| base.checked_add(i)).context("port out of range")
}

/// Writes the network; returns each node's config path, validators first.
pub(crate) fn init(args: &InitArgs) -> anyhow::Result<Vec<PathBuf>> {
    if args.validators == 0 || args.validators > MAX_VALIDATORS {
        bail!("--validators must be between 1 and {MAX_VALIDATORS}");
    }
    let nodes = args.validators + args.full_nodes;
    if args.hosts.len() != 1 && args.hosts.len() != nodes {
        bail!("--hosts needs one address, or one per node ({nodes})");
    }
    let dev = ChainSpec::dev()?;
    let spec = ChainSpec {
        network: NetworkKind::Consortium,
        block_time_ms: args.block_time.as_millis().try_into().context("block time too long")?,
        gas_limit: args.gas_limit.unwrap_or(dev.gas_limit),
        ..dev
    };
    // The block rules are checked before any key is written, so bad arguments leave nothing.
    spec.validate()?;
    let genesis_path = args.out.join("genesis.json");
    if genesis_path.exists() {
        bail!("{} already holds a testnet", args.out.display());
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let host = |i: usize| args.hosts.get(i).or(args.hosts.first()).copied();
    let mut validators = Vec::new();
    let mut layouts = Vec::new();
    for i in 0..nodes {
        let name = format!("node{i}");
        let dir = args.out.join(&name);
        let keys = dir.join("keys");
        std::fs::create_dir_all(&keys).with_context(|| format!("creating {}", keys.display()))?;
        let network_key = keys.join("network.key");
        let keypair = Keypair::generate_ed25519();
        let peer_id = keypair.public().to_peer_id();
        let encoded = keypair.to_protobuf_encoding().context("encoding a network key")?;
        write_secret(&network_key, alloy_primitives::hex::encode(encoded).as_bytes())?;
        let validator = if i < args.validators {
            let password = alloy_primitives::hex::encode(rand::random::<[u8; 16]>());
            let password_file = keys.join("password");
            write_secret(&password_file, password.as_bytes())?;
            let file = KeystoreDir::new(keys.join("validator")).create(&password)?;
            let signer = cairn_keys::decrypt(&file.path, &password)?;
            let public_key = ConsensusPublicKey::of(signer.credential());
            validators.push(GenesisValidator {
                name: name.clone(),
                address: signer.address(),
                public_key: public_key.0.to_vec().into(),
                power: 1,
                stake: None,
                operator: None,
                commission_bps: None,
            });
            Some((file.path, password_file, signer.address()))
        } else {
            None
        };
        layouts.push((name, dir, network_key, peer_id, validator));
    }
    let spec = ChainSpec { consensus: ConsensusKind::Bft, validators, ..spec };
    spec.validate()?;
    std::fs::write(&genesis_path, spec.render(false)?)
        .with_context(|| format!("writing {}", genesis_path.display()))?;
    let address = |i: usize, base: u16| -> anyhow::Result<String> {
        let ip = host(i).context("no host")?;
        let family = if ip.is_ipv4() { "ip4" } else { "ip6" };
        Ok(format!("/{family}/{ip}/tcp/{}", port(base, i)?))
    };
    let p2p = |i: usize| address(i, args.p2p_port);
    let peer_ids: Vec<_> = layouts.iter().map(|layout| layout.3).collect();
    let gossip = |i: usize| -> anyhow::Result<String> {
        Ok(format!("{}/p2p/{}", address(i, args.gossip_port)?, peer_ids[i]))
    };
    let mut paths = Vec::new();
    for (i, (name, dir, network_key, _, validator)) in layouts.into_iter().enumerate() {
        let loopback: IpAddr = std::net::Ipv4Addr::LOCALHOST.into();
        let peers = (0..nodes).filter(|&j| j != i).map(p2p).collect::<anyhow::Result<_>>()?;
        let config = NodeConfig {
            name,
            datadir: PathBuf::from("data"),
            genesis: PathBuf::from("../genesis.json"),
            rpc_addr: (loopback, port(args.rpc_port, i)?).into(),
            api_addr: (loopback, port(args.api_port, i)?).into(),
            p2p_addr: p2p(i)?,
            peers,
            gossip_addr: address(i, args.gossip_port)?,
            gossip_peers: (0..nodes)
                .filter(|&j| j != i)
                .map(gossip)
                .collect::<anyhow::Result<_>>()?,
            gossip_max_txs_per_peer_per_sec: None,
            network_key: relative(&dir, &network_key),
            validator_key: validator.as_ref().map(|(key, _, _)| relative(&dir, key)),
            validator_password_file: validator.as_ref().map(|(_, pw, _)| relative(&dir, pw)),
            fee_recipient: validator.as_ref().map(|(_, _, address)| *address),
            rpc_tls_cert: None,
            rpc_tls_key: None,
            api_tls_cert: None,
            api_tls_key: None,
            webhook_allow_private: false,
        };
        let path = dir.join("config.toml");
        config.save(&path)?;
        paths.push(path);
    }
    Ok(paths)
}

fn relative(base: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(base).map(Path::to_path_buf).unwrap_or_else(|_| path.to_path_buf())
}
