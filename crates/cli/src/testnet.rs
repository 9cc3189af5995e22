//! `cairn testnet init`: everything a BFT or proof-of-stake network of N validators, or a
//! proof-of-work network of N miners, needs, one folder per node: a shared chain spec, each
//! validator's encrypted consensus key (each miner's encrypted coinbase key), a network key,
//! and a node config that `cairn node --config` runs. A proof-of-stake network also gets
//! an operator key per genesis validator, a consensus key for every full node (so it can stake
//! and sign later without a restart), and the staking contract's genesis state in the spec. A
//! private or consortium network gets an encrypted admin key per organisation and the
//! governance contract's genesis state (its organisations, members, nodes and validators).
//! `cairn testnet add-node` writes one more node folder for a network written earlier.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use alloy_primitives::{Address, Bytes, U256};
use anyhow::{Context, bail};
use cairn_bft::{ConsensusPublicKey, Keypair};
use cairn_keys::KeystoreDir;
use cairn_primitives::{
    ChainSpec, ConsensusKind, GenesisAccount, GenesisValidator, NetworkKind, PowParams,
    STAKING_ADDRESS, StakingParams,
};
use clap::{Args, Subcommand, ValueEnum};

use cairn_launch::NodeConfig;
use cairn_launch::write_secret;

use crate::governed::{
    DEV_TRANSACTORS, DEV_VOTING_PERIOD_BLOCKS, Founders, Network, POS_REFUSAL,
    TESTNET_VOTING_PERIOD_BLOCKS, governed_spec, organisation_count,
};

/// Most validators (or miners) a testnet folder is written for.
const MAX_VALIDATORS: usize = 64;

/// Miners of a proof-of-work testnet when `--miners` is not given.
const DEFAULT_MINERS: usize = 3;

/// Commission of the genesis validators of a proof-of-stake testnet (5%).
const GENESIS_COMMISSION_BPS: u16 = 500;

/// What each genesis operator account holds to pay for its staking transactions.
const OPERATOR_FUNDS_ETHER: u64 = 100;

/// What each organisation's new admin account holds to pay for its governance transactions.
const ADMIN_FUNDS_ETHER: u64 = 1_000;

/// How the validators of the network are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Engine {
    /// A fixed set of validators named in the spec.
    Bft,
    /// Validators chosen by stake every epoch, from the staking contract.
    Pos,
    /// No validators: miners compete with proof of work, the heaviest chain wins.
    Pow,
}

/// The proof-of-stake choices of a testnet.
#[derive(Debug, Args, Clone)]
pub(crate) struct PosArgs {
    /// Blocks per epoch: the validator set changes at epoch boundaries (pos), passed
    /// proposals take effect at them (private and consortium networks).
    #[arg(long, default_value_t = 20)]
    pub(crate) epoch_length: u64,
    /// Epochs an undelegation waits before it can be withdrawn (pos).
    #[arg(long, default_value_t = 2)]
    pub(crate) unbonding_epochs: u64,
    /// New coins minted to the stakers each block (pos), e.g. 1ether, 0.5ether, 0.
    #[arg(long, value_parser = crate::staking::parse_amount, default_value = "1ether")]
    pub(crate) block_reward: U256,
    /// Self-stake of each genesis validator (pos), e.g. 1000ether.
    #[arg(long, value_parser = crate::staking::parse_amount, default_value = "1000ether")]
    pub(crate) stake: U256,
}

impl Default for PosArgs {
    fn default() -> Self {
        Self {
            epoch_length: 20,
            unbonding_epochs: 2,
            block_reward: whole_ether(1),
            stake: whole_ether(1_000),
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct TestnetArgs {
    #[command(subcommand)]
    command: TestnetCommand,
}

#[derive(Debug, Subcommand)]
enum TestnetCommand {
    /// Write the chain spec, keys and node configs of a BFT, proof-of-stake or proof-of-work
    /// network.
    Init(InitArgs),
    /// Write one more node's folder (network key, config) for a network written earlier,
    /// without touching its genesis.
    AddNode(crate::add_node::AddNodeArgs),
}

#[derive(Debug, Args, Clone)]
pub(crate) struct InitArgs {
    /// How blocks are made: a fixed set of validators (bft), validators chosen by stake every
    /// epoch (pos), or miners (pow).
    #[arg(long, value_enum, default_value_t = Engine::Bft)]
    pub(crate) consensus: Engine,
    /// How many validators (pos: the genesis validators).
    #[arg(long, default_value_t = 4)]
    pub(crate) validators: usize,
    /// How many mining nodes of a --consensus pow network (default 3).
    #[arg(long, conflicts_with = "validators")]
    pub(crate) miners: Option<usize>,
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
    #[command(flatten)]
    pub(crate) pos: PosArgs,
    /// Who may join: anyone (public), one organisation's nodes and accounts (private), or
    /// those of several organisations governing the chain together (consortium).
    #[arg(long, value_enum, default_value_t = Network::Public)]
    pub(crate) network: Network,
    /// How many organisations found a consortium network (1 to 32, default 3).
    #[arg(long)]
    pub(crate) orgs: Option<usize>,
    /// Pos: the genesis validators' operators are the dev accounts (`cairn dev`), not new
    /// operator keys; pow: so are the miners' coinbases.
    #[arg(skip)]
    pub(crate) dev_operators: bool,
    /// Private or consortium: the organisations' admins are dev accounts 0…K−1 (`cairn dev`),
    /// not new admin keys, and proposals are open for 20 blocks instead of 100.
    #[arg(skip)]
    pub(crate) dev_admins: bool,
}

/// What `init` wrote.
pub(crate) struct Written {
    /// Each node's config, validators first.
    pub(crate) configs: Vec<PathBuf>,
    /// Each organisation's new admin key (none for a public network, or with dev admins).
    pub(crate) admins: Vec<AdminKey>,
}

/// An organisation's admin key as `init` wrote it.
pub(crate) struct AdminKey {
    /// The organisation's name.
    pub(crate) organisation: String,
    /// The admin's account.
    pub(crate) address: Address,
    /// The V3 keystore file.
    pub(crate) keystore: PathBuf,
    /// The file holding its password (mode 0600).
    pub(crate) password: PathBuf,
}

pub(crate) fn run(args: TestnetArgs) -> anyhow::Result<()> {
    match args.command {
        TestnetCommand::Init(args) => {
            let written = init(&args)?;
            let kind = match (args.consensus, args.network) {
                (Engine::Pow, _) => "proof-of-work".to_string(),
                (Engine::Pos, _) => "proof-of-stake".to_string(),
                (Engine::Bft, Network::Public) => "BFT".to_string(),
                (Engine::Bft, Network::Private) => "private BFT".to_string(),
                (Engine::Bft, Network::Consortium) => {
                    format!("consortium ({} organisations, BFT)", written.admins.len())
                }
            };
            let (count, role) = match args.consensus {
                Engine::Pow => (args.miners.unwrap_or(DEFAULT_MINERS), "miner"),
                Engine::Bft | Engine::Pos => (args.validators, "validator"),
            };
            println!("wrote a {count}-{role} {kind} network to {}", args.out.display());
            for path in written.configs {
                println!("  cairn node --config {}", path.display());
            }
            if !written.admins.is_empty() {
                println!(
                    "organisation admins (V3 keystores; dev accounts 0 to 6 are members, 7 to 9 \
                     are not):"
                );
            }
            for admin in written.admins {
                println!(
                    "  {}: {}  keystore {}  password file {}",
                    admin.organisation,
                    admin.address,
                    admin.keystore.display(),
                    admin.password.display()
                );
            }
            Ok(())
        }
        TestnetCommand::AddNode(args) => crate::add_node::run(&args),
    }
}

fn port(base: u16, index: usize) -> anyhow::Result<u16> {
    u16::try_from(index).ok().and_then(|i| base.checked_add(i)).context("port out of range")
}

/// Writes the network: its spec, each node's folder and, on a private or consortium network,
/// each organisation's admin key.
pub(crate) fn init(args: &InitArgs) -> anyhow::Result<Written> {
    let pow = args.consensus == Engine::Pow;
    let governed = args.network != Network::Public;
    // The nodes that make blocks: validators, or miners.
    let makers = match (pow, args.miners) {
        (true, miners) => miners.unwrap_or(DEFAULT_MINERS),
        (false, None) => args.validators,
        (false, Some(_)) => {
            bail!("--miners is for --consensus pow; other networks have --validators")
        }
    };
    if makers == 0 || makers > MAX_VALIDATORS {
        let flag = if pow { "--miners" } else { "--validators" };
        bail!("{flag} must be between 1 and {MAX_VALIDATORS}");
    }
    if governed && args.consensus == Engine::Pos {
        bail!(POS_REFUSAL);
    }
    if governed && pow {
        bail!(
            "a proof-of-work network is public (anyone may mine); --network private and \
               consortium run BFT validators"
        );
    }
    let max_orgs = match args.dev_admins {
        true => DEV_TRANSACTORS,
        false => cairn_primitives::MAX_ORGANISATIONS,
    };
    let orgs = organisation_count(args.network, args.orgs, max_orgs)?;
    let nodes = makers + args.full_nodes;
    if args.hosts.len() != 1 && args.hosts.len() != nodes {
        bail!("--hosts needs one address, or one per node ({nodes})");
    }
    let dev = ChainSpec::dev()?;
    let spec = ChainSpec {
        network: NetworkKind::Public,
        block_time_ms: args.block_time.as_millis().try_into().context("block time too long")?,
        gas_limit: args.gas_limit.unwrap_or(dev.gas_limit),
        ..dev
    };
    let spec = match args.consensus {
        Engine::Bft => spec,
        Engine::Pos => pos_spec(spec, &args.pos),
        Engine::Pow => {
            ChainSpec { consensus: ConsensusKind::Pow, pow: Some(PowParams::default()), ..spec }
        }
    };
    // The block, staking and governance rules are checked before any key is written, so bad
    // arguments leave nothing.
    draft(&spec, args, orgs)?.validate()?;
    let genesis_path = args.out.join("genesis.json");
    if genesis_path.exists() {
        bail!("{} already holds a testnet", args.out.display());
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let host = |i: usize| args.hosts.get(i).or(args.hosts.first()).copied();
    let mut validators = Vec::new();
    let mut operators = Vec::new();
    let dev_operators = match args.dev_operators {
        true => cairn_primitives::dev_accounts(u32::try_from(makers)?)?,
        false => Vec::new(),
    };
    let admins = match governed && !args.dev_admins {
        true => (1..=orgs).map(|i| admin_key(&args.out, i)).collect::<anyhow::Result<_>>()?,
        false => Vec::new(),
    };
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
        let pos = args.consensus == Engine::Pos;
        let coinbase = match (pow && i < makers, args.dev_operators) {
            (false, _) => None,
            (true, true) => {
                Some(dev_operators.get(i).context("more miners than dev accounts")?.address)
            }
            (true, false) => Some(coinbase_key(&keys)?),
        };
        let validator = if (i < args.validators && !pow) || pos {
            let password = alloy_primitives::hex::encode(rand::random::<[u8; 16]>());
            let password_file = keys.join("password");
            write_secret(&password_file, password.as_bytes())?;
            let file = KeystoreDir::new(keys.join("validator")).create(&password)?;
            let signer = cairn_keys::decrypt(&file.path, &password)?;
            if i < args.validators {
                let mut validator = genesis_validator(name.clone(), &signer);
                if pos {
                    let operator = if args.dev_operators {
                        dev_operators.get(i).context("more validators than dev accounts")?.address
                    } else {
                        let file = KeystoreDir::new(keys.join("operator")).create(&password)?;
                        let operator = cairn_keys::decrypt(&file.path, &password)?.address();
                        operators.push(operator);
                        operator
                    };
                    staked(&mut validator, &spec, args.pos.stake, operator);
                }
                validators.push(validator);
            }
            Some((file.path, password_file, signer.address()))
        } else {
            None
        };
        layouts.push((name, dir, network_key, peer_id, validator, coinbase));
    }
    let spec = match args.consensus {
        Engine::Bft => ChainSpec { consensus: ConsensusKind::Bft, validators, ..spec },
        Engine::Pos => with_staking(ChainSpec { validators, ..spec }, &operators)?,
        Engine::Pow => spec,
    };
    let spec = match governed {
        true => {
            let nodes: Vec<_> = layouts
                .iter()
                .enumerate()
                .map(|(i, layout)| {
                    let validator = layout.4.as_ref().filter(|_| i < args.validators);
                    (Bytes::from(layout.3.to_bytes()), validator.map(|(_, _, address)| *address))
                })
                .collect();
            let addresses = admins.iter().map(|admin: &AdminKey| admin.address).collect();
            govern(spec, args, orgs, addresses, &nodes)?
        }
        false => spec,
    };
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
    for (i, (name, dir, network_key, _, validator, coinbase)) in layouts.into_iter().enumerate() {
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
            // On a proof-of-stake chain fees go to the stakers, never to a recipient.
            fee_recipient: match args.consensus {
                Engine::Bft => validator.as_ref().map(|(_, _, address)| *address),
                Engine::Pos | Engine::Pow => None,
            },
            rpc_tls_cert: None,
            rpc_tls_key: None,
            api_tls_cert: None,
            api_tls_key: None,
            webhook_allow_private: false,
            extra_data: None,
            mine: coinbase.is_some(),
            miner_threads: None,
            coinbase,
        };
        let path = dir.join("config.toml");
        config.save(&path)?;
        paths.push(path);
    }
    Ok(Written { configs: paths, admins })
}

/// Writes a miner's coinbase key, a V3 keystore in `keys/coinbase/` with its random password
/// in `keys/password` (mode 0600), and returns its address: the account its blocks pay.
fn coinbase_key(keys: &Path) -> anyhow::Result<Address> {
    let password = alloy_primitives::hex::encode(rand::random::<[u8; 16]>());
    write_secret(&keys.join("password"), password.as_bytes())?;
    Ok(KeystoreDir::new(keys.join("coinbase")).create(&password)?.address)
}

/// Writes organisation `index`'s admin key: a V3 keystore in `out/org<index>/admin/` and its
/// random password in `out/org<index>/password` (mode 0600), as validator keys are written.
fn admin_key(out: &Path, index: usize) -> anyhow::Result<AdminKey> {
    let organisation = format!("org{index}");
    let dir = out.join(&organisation);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let password = alloy_primitives::hex::encode(rand::random::<[u8; 16]>());
    let password_file = dir.join("password");
    write_secret(&password_file, password.as_bytes())?;
    let file = KeystoreDir::new(dir.join("admin")).create(&password)?;
    Ok(AdminKey {
        organisation,
        address: file.address,
        keystore: file.path,
        password: password_file,
    })
}

/// A BFT validator of power 1 signing with `key`.
fn genesis_validator(name: String, key: &alloy_signer_local::PrivateKeySigner) -> GenesisValidator {
    GenesisValidator {
        name,
        address: key.address(),
        public_key: ConsensusPublicKey::of(key.credential()).0.to_vec().into(),
        power: 1,
        stake: None,
        operator: None,
        commission_bps: None,
    }
}

/// `spec` (which holds its validators) governed by `orgs` organisations: their admins (the
/// dev accounts 0…K−1 with `dev_admins`, else `admins`, each funded), the dev accounts that
/// are members spread over them, and each node (peer id, consensus address) by index.
fn govern(
    mut spec: ChainSpec,
    args: &InitArgs,
    orgs: usize,
    admins: Vec<Address>,
    nodes: &[(Bytes, Option<Address>)],
) -> anyhow::Result<ChainSpec> {
    let dev = cairn_primitives::dev_accounts(DEV_TRANSACTORS as u32)?;
    let (admins, first_member, voting_period) = match args.dev_admins {
        true => (dev[..orgs].iter().map(|a| a.address).collect(), orgs, DEV_VOTING_PERIOD_BLOCKS),
        false => {
            for admin in &admins {
                let funds = whole_ether(ADMIN_FUNDS_ETHER);
                spec.alloc.insert(*admin, GenesisAccount { balance: funds, ..Default::default() });
            }
            (admins, 0, TESTNET_VOTING_PERIOD_BLOCKS)
        }
    };
    let mut founders = Founders::numbered(admins);
    for (i, account) in dev.iter().enumerate().skip(first_member) {
        founders.member(i, account.address);
    }
    for (i, (peer_id, validator)) in nodes.iter().enumerate() {
        founders.node(i, peer_id.clone(), *validator);
    }
    governed_spec(spec, args.network, founders, args.pos.epoch_length, voting_period)
}

/// The proof-of-stake parts of the spec that do not depend on keys.
fn pos_spec(spec: ChainSpec, pos: &PosArgs) -> ChainSpec {
    ChainSpec {
        network: NetworkKind::Public,
        consensus: ConsensusKind::Pos,
        epoch_length: Some(pos.epoch_length),
        staking: Some(StakingParams {
            unbonding_epochs: pos.unbonding_epochs,
            block_reward: pos.block_reward,
            ..StakingParams::default()
        }),
        ..spec
    }
}

/// `spec` with stand-in validators, nodes and admins, so the rules that involve them (a stake
/// below the minimum, a stake worth no power, too many nodes for an organisation) refuse bad
/// arguments before any key exists.
fn draft(spec: &ChainSpec, args: &InitArgs, orgs: usize) -> anyhow::Result<ChainSpec> {
    let governed = args.network != Network::Public;
    if args.consensus == Engine::Pow || (args.consensus == Engine::Bft && !governed) {
        return Ok(spec.clone());
    }
    let mut validators = Vec::new();
    let mut operators = Vec::new();
    for i in 0..args.validators {
        let key = alloy_signer_local::PrivateKeySigner::random();
        let mut validator = genesis_validator(format!("node{i}"), &key);
        if args.consensus == Engine::Pos {
            let operator = alloy_signer_local::PrivateKeySigner::random().address();
            staked(&mut validator, spec, args.pos.stake, operator);
            operators.push(operator);
        }
        validators.push(validator);
    }
    if args.consensus == Engine::Pos {
        return with_staking(ChainSpec { validators, ..spec.clone() }, &operators);
    }
    let nodes: Vec<_> = (0..args.validators + args.full_nodes)
        .map(|i| {
            let peer_id = Keypair::generate_ed25519().public().to_peer_id();
            (Bytes::from(peer_id.to_bytes()), validators.get(i).map(|v| v.address))
        })
        .collect();
    let admins = (0..orgs).map(|_| alloy_signer_local::PrivateKeySigner::random().address());
    let spec = ChainSpec { consensus: ConsensusKind::Bft, validators, ..spec.clone() };
    govern(spec, args, orgs, admins.collect(), &nodes)
}

/// Makes `validator` a genesis validator bonded with `stake` and run by `operator`.
fn staked(validator: &mut GenesisValidator, spec: &ChainSpec, stake: U256, operator: Address) {
    let power = spec.staking_params().power_of(stake);
    validator.power = power;
    validator.stake = Some(stake);
    validator.operator = Some(operator);
    validator.commission_bps = Some(GENESIS_COMMISSION_BPS);
}

/// Funds the new operator accounts and puts the staking contract's genesis state in `alloc`.
fn with_staking(mut spec: ChainSpec, operators: &[Address]) -> anyhow::Result<ChainSpec> {
    for operator in operators {
        let funds = whole_ether(OPERATOR_FUNDS_ETHER);
        spec.alloc.insert(*operator, GenesisAccount { balance: funds, ..Default::default() });
    }
    let min = spec.staking_params().min_self_stake;
    let staking = cairn_staking::spec_staking_account(&spec).with_context(|| {
        format!(
            "the staking contract refused the genesis validators (each needs a stake of at \
             least min_self_stake, {} ether)",
            alloy_primitives::utils::format_ether(min)
        )
    })?;
    spec.alloc.insert(STAKING_ADDRESS, staking);
    Ok(spec)
}

/// `n` ether in wei.
fn whole_ether(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18u8))
}

fn relative(base: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(base).map(Path::to_path_buf).unwrap_or_else(|_| path.to_path_buf())
}
