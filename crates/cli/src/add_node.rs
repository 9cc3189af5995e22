//! `cairn testnet add-node`: how an organisation brings a node the network did not have at
//! genesis. It writes one more node folder beside the ones `cairn testnet init` wrote (a new
//! network key, optionally an encrypted consensus key, and a config whose peers are the
//! existing nodes), never touching the genesis, and prints the node's peer id and the
//! governance proposal that lets a private or consortium network accept it, as `cairn gov`
//! and `cast send` commands.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use alloy_primitives::Address;
use anyhow::{Context, bail};
use cairn_bft::{ConsensusPublicKey, Keypair};
use cairn_keys::KeystoreDir;
use cairn_launch::{NodeConfig, read_secret, write_secret};
use cairn_primitives::{ChainSpec, GOVERNANCE_ADDRESS};
use clap::Args;

/// Longest node name, in bytes.
const MAX_NAME_BYTES: usize = 64;

#[derive(Debug, Args)]
pub(crate) struct AddNodeArgs {
    /// The network's folder, as `cairn testnet init --out` wrote it (genesis.json and one
    /// folder per node).
    #[arg(long)]
    dir: PathBuf,
    /// The new node's name and folder under --dir (letters, digits, `-` and `_`; default the
    /// first free `nodeI`).
    #[arg(long)]
    name: Option<String>,
    /// The address of the new node's machine, where it listens for consensus and gossip.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Write an encrypted consensus key too, so the node can sign once a proposal makes it a
    /// validator.
    #[arg(long)]
    validator_key: bool,
}

/// A node of the network as its folder describes it.
struct Existing {
    config: NodeConfig,
    peer_id: String,
}

pub(crate) fn run(args: &AddNodeArgs) -> anyhow::Result<()> {
    let added = add_node(args)?;
    println!(
        "wrote {} to {} (the genesis is unchanged)",
        added.name,
        added.config.parent().unwrap_or(&args.dir).display()
    );
    println!("  peer id {} (bytes {})", added.peer_id, added.peer_id_hex);
    if let Some(validator) = &added.validator {
        println!("  consensus address {} (key {})", validator.0, validator.1);
    }
    println!("  run it: cairn node --config {}", added.config.display());
    let Some(governance) = &added.spec.governance else {
        return Ok(());
    };
    let organisations: Vec<String> = governance
        .organisations
        .iter()
        .enumerate()
        .map(|(i, org)| format!("{} {}", i + 1, org.name))
        .collect();
    let consensus = added.validator.as_ref().map_or(Address::ZERO, |v| v.0);
    let rpc = format!("--rpc-url {} --private-key $ADMIN_KEY", added.rpc_url);
    let gov = format!("--rpc {} --from $ADMIN_KEY", added.rpc_url);
    let consensus_flag = added
        .validator
        .as_ref()
        .map(|v| format!(" --consensus-address {}", v.0))
        .unwrap_or_default();
    println!();
    println!(
        "This network is governed (organisations at genesis: {}). An admin of the node's \
         organisation $ORG proposes allowing it, with `cairn gov` or with `cast`:",
        organisations.join(", ")
    );
    println!(
        "  cairn gov propose allow-node --org $ORG --peer-id {}{consensus_flag} {gov}",
        added.peer_id
    );
    println!(
        "  cast send {GOVERNANCE_ADDRESS} \"proposeAllowNode(uint32,bytes,address)\" $ORG {} {consensus} {rpc}",
        added.peer_id_hex
    );
    if let Some((_, public_key)) = &added.validator {
        println!("and, to make it a validator of power 1:");
        println!(
            "  cairn gov propose add-validator --org $ORG --public-key {public_key} --power 1 {gov}"
        );
        println!(
            "  cast send {GOVERNANCE_ADDRESS} \"proposeAddValidator(uint32,bytes,uint64)\" $ORG {public_key} 1 {rpc}"
        );
    }
    println!(
        "A proposal passes once two thirds of the organisations voted yes (the proposer's \
         counts); the other admins vote with the id `cairn gov propose` prints (the id of its \
         ProposalCreated event):"
    );
    println!("  cairn gov vote $PROPOSAL_ID --yes --rpc {} --from $OTHER_ADMIN_KEY", added.rpc_url);
    println!(
        "  cast send {GOVERNANCE_ADDRESS} \"vote(uint64,bool)\" $PROPOSAL_ID true --rpc-url {} \
         --private-key $OTHER_ADMIN_KEY",
        added.rpc_url
    );
    println!(
        "It takes effect at the end of the epoch in which it passed (`cairn gov show \
         $PROPOSAL_ID` tells when). An admin key that `cairn testnet init` wrote is \
         DIR/orgI/admin/<file>: `cairn gov` takes it as `--from FILE --password-file \
         DIR/orgI/password`, `cast` as `--keystore FILE --password-file DIR/orgI/password` \
         instead of `--private-key`. Node permissioning is not enforced yet: the node can \
         connect and sync before the proposal is executed."
    );
    Ok(())
}

/// What `add_node` wrote.
struct Added {
    name: String,
    config: PathBuf,
    spec: ChainSpec,
    peer_id: String,
    /// The peer id as the multihash's bytes (what the governance contract stores), 0x hex.
    peer_id_hex: String,
    /// The consensus address and public key (0x hex, compressed) with --validator-key.
    validator: Option<(Address, String)>,
    /// JSON-RPC of the network's first node, for the printed commands.
    rpc_url: String,
}

fn add_node(args: &AddNodeArgs) -> anyhow::Result<Added> {
    let genesis = args.dir.join("genesis.json");
    if !genesis.exists() {
        bail!(
            "{} holds no network (no genesis.json); write one with `cairn testnet init --out {}`",
            args.dir.display(),
            args.dir.display()
        );
    }
    let spec = ChainSpec::from_file(&genesis)?;
    if args.validator_key && spec.consensus == cairn_primitives::ConsensusKind::Pow {
        bail!("--validator-key: a proof-of-work network has no validators (anyone may mine)");
    }
    let existing = existing_nodes(&args.dir)?;
    let Some(first) = existing.first() else {
        bail!("{} holds no node folders (nodeI/config.toml)", args.dir.display());
    };
    let rpc_url = format!("http://{}", first.config.rpc_addr);
    let name = match &args.name {
        Some(name) => checked_name(name)?,
        None => (0..)
            .map(|i| format!("node{i}"))
            .find(|name| !args.dir.join(name).exists())
            .context("no free node name")?,
    };
    let dir = args.dir.join(&name);
    if dir.exists() {
        bail!("{} exists already; choose another --name", dir.display());
    }
    let mut ports = Ports::taken_by(&existing);
    let rpc_port = ports.next(existing.iter().map(|n| Some(n.config.rpc_addr.port())))?;
    let api_port = ports.next(existing.iter().map(|n| Some(n.config.api_addr.port())))?;
    let p2p_port = ports.next(existing.iter().map(|n| tcp_port(&n.config.p2p_addr)))?;
    let gossip_port = ports.next(existing.iter().map(|n| tcp_port(&n.config.gossip_addr)))?;
    let family = if args.host.is_ipv4() { "ip4" } else { "ip6" };
    let listen = |port: u16| format!("/{family}/{}/tcp/{port}", args.host);

    let keys = dir.join("keys");
    std::fs::create_dir_all(&keys).with_context(|| format!("creating {}", keys.display()))?;
    let keypair = Keypair::generate_ed25519();
    let peer_id = keypair.public().to_peer_id();
    let encoded = keypair.to_protobuf_encoding().context("encoding a network key")?;
    write_secret(&keys.join("network.key"), alloy_primitives::hex::encode(encoded).as_bytes())?;
    let validator = if args.validator_key {
        let password = alloy_primitives::hex::encode(rand::random::<[u8; 16]>());
        write_secret(&keys.join("password"), password.as_bytes())?;
        let file = KeystoreDir::new(keys.join("validator")).create(&password)?;
        let signer = cairn_keys::decrypt(&file.path, &password)?;
        let public_key = ConsensusPublicKey::of(signer.credential());
        Some((file.path, signer.address(), alloy_primitives::hex::encode_prefixed(public_key.0)))
    } else {
        None
    };
    let loopback: IpAddr = Ipv4Addr::LOCALHOST.into();
    let config = NodeConfig {
        name: name.clone(),
        datadir: PathBuf::from("data"),
        genesis: PathBuf::from("../genesis.json"),
        rpc_addr: (loopback, rpc_port).into(),
        api_addr: (loopback, api_port).into(),
        p2p_addr: listen(p2p_port),
        peers: existing.iter().map(|n| n.config.p2p_addr.clone()).collect(),
        gossip_addr: listen(gossip_port),
        gossip_peers: existing
            .iter()
            .map(|n| format!("{}/p2p/{}", n.config.gossip_addr, n.peer_id))
            .collect(),
        gossip_max_txs_per_peer_per_sec: None,
        network_key: PathBuf::from("keys/network.key"),
        validator_key: validator.as_ref().map(|(path, _, _)| relative(&dir, path)),
        validator_password_file: validator.as_ref().map(|_| PathBuf::from("keys/password")),
        fee_recipient: validator.as_ref().map(|(_, address, _)| *address),
        rpc_tls_cert: None,
        rpc_tls_key: None,
        api_tls_cert: None,
        api_tls_key: None,
        webhook_allow_private: false,
        extra_data: None,
        mine: false,
        miner_threads: None,
        coinbase: None,
    };
    let path = dir.join("config.toml");
    config.save(&path)?;
    Ok(Added {
        name,
        config: path,
        spec,
        peer_id: peer_id.to_string(),
        peer_id_hex: alloy_primitives::hex::encode_prefixed(peer_id.to_bytes()),
        validator: validator.map(|(_, address, public_key)| (address, public_key)),
        rpc_url,
    })
}

/// The nodes in `dir`'s subfolders (each with a `config.toml`), by name, with the peer ids of
/// their network keys.
fn existing_nodes(dir: &Path) -> anyhow::Result<Vec<Existing>> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    let mut nodes = Vec::new();
    for entry in entries {
        let path = entry.with_context(|| format!("reading {}", dir.display()))?.path();
        let config_path = path.join("config.toml");
        if !config_path.is_file() {
            continue;
        }
        let config = NodeConfig::load(&config_path)?;
        let key = &config.network_key;
        let text = read_secret(key)?;
        let bytes = alloy_primitives::hex::decode(text.trim())
            .with_context(|| format!("{} is not a hex network key", key.display()))?;
        let keypair = Keypair::from_protobuf_encoding(&bytes)
            .with_context(|| format!("{} is not a network key", key.display()))?;
        nodes.push(Existing { peer_id: keypair.public().to_peer_id().to_string(), config });
    }
    nodes.sort_by(|a, b| a.config.name.cmp(&b.config.name));
    Ok(nodes)
}

/// The new node's ports: each one above the highest of its kind, so the node can run beside
/// the others on one machine, skipping any port an existing node (or an earlier pick) already
/// uses, so networks written with adjacent port ranges (`cairn testnet init --rpc-port 9000
/// --api-port 9005`) get no collision.
struct Ports {
    taken: BTreeSet<u16>,
}

impl Ports {
    fn taken_by(existing: &[Existing]) -> Self {
        let taken = existing
            .iter()
            .flat_map(|n| {
                let c = &n.config;
                [Some(c.rpc_addr.port()), Some(c.api_addr.port())]
                    .into_iter()
                    .chain([tcp_port(&c.p2p_addr), tcp_port(&c.gossip_addr)])
            })
            .flatten()
            .collect();
        Self { taken }
    }

    /// The first free port above the highest of `ports`; `None` is a config whose address
    /// has no TCP port.
    fn next(&mut self, ports: impl IntoIterator<Item = Option<u16>>) -> anyhow::Result<u16> {
        let mut highest = 0u16;
        for port in ports {
            highest = highest.max(port.context("a node config without a TCP port")?);
        }
        let mut port = highest.checked_add(1);
        while let Some(taken) = port.filter(|p| self.taken.contains(p)) {
            port = taken.checked_add(1);
        }
        let port = port.context("no free port above the existing nodes'")?;
        self.taken.insert(port);
        Ok(port)
    }
}

/// The TCP port of a multiaddr such as `/ip4/127.0.0.1/tcp/26656`.
fn tcp_port(multiaddr: &str) -> Option<u16> {
    let mut parts = multiaddr.split('/');
    parts.find(|part| *part == "tcp")?;
    parts.next()?.parse().ok()
}

/// `name` if it is a plain folder name: 1 to 64 letters, digits, `-` or `_`.
fn checked_name(name: &str) -> anyhow::Result<String> {
    let plain = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if name.is_empty() || name.len() > MAX_NAME_BYTES || !plain {
        bail!("--name must be 1 to {MAX_NAME_BYTES} letters, digits, '-' or '_' (got {name:?})");
    }
    Ok(name.to_string())
}

fn relative(base: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(base).map(Path::to_path_buf).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_read_from_multiaddrs() {
        assert_eq!(tcp_port("/ip4/127.0.0.1/tcp/26656"), Some(26656));
        assert_eq!(tcp_port("/ip6/::1/tcp/1/p2p/12D3KooW"), Some(1));
        assert_eq!(tcp_port("/ip4/127.0.0.1/udp/9"), None);
        assert_eq!(tcp_port("/ip4/127.0.0.1/tcp/x"), None);
    }

    #[test]
    fn each_new_port_is_above_its_kind_and_free() {
        let mut ports = Ports { taken: [9000, 9001, 9002, 9003, 9004, 9005, 9006].into() };
        // RPC ports 9000-9002 and API ports 9003-9005 of three nodes, 9006 also in use.
        assert_eq!(ports.next([Some(9000), Some(9001), Some(9002)]).unwrap(), 9007);
        assert_eq!(ports.next([Some(9003), Some(9004), Some(9005)]).unwrap(), 9008);
        assert_eq!(ports.next([Some(26656)]).unwrap(), 26657);
        assert!(ports.next([Some(1), None]).is_err(), "an address without a TCP port");
        assert!(Ports { taken: [u16::MAX].into() }.next([Some(u16::MAX - 1)]).is_err());
    }

    #[test]
    fn node_names_are_plain_folder_names() {
        assert_eq!(checked_name("acme-2_b").unwrap(), "acme-2_b");
        for refused in ["", "..", "a/b", "node 1", &"n".repeat(65)] {
            assert!(checked_name(refused).is_err(), "{refused:?}");
        }
    }
}
