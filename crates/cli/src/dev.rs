//! `cairn dev`: a development chain, one node started by the node library (with
//! `--consensus pow`, one node mining), or with
//! `--validators N` a local BFT (or, with `--consensus pos`, proof-of-stake) network of node
//! processes; with `--network private|consortium` the chain is governed on chain and only the
//! dev accounts its organisations list may transact.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::Duration;

use alloy_primitives::{Address, utils::format_ether};
use cairn_api::{ApiConfig, AuthConfig, Rate, WebhookConfig};
use cairn_launch::{DataDir, EngineSetup, NodeBuilder};
use cairn_primitives::{
    ChainSpec, ConsensusKind, DEV_MNEMONIC, NetworkKind, PowParams, dev_accounts,
};
use cairn_rpc::RpcConfig;
use clap::Args;

use crate::devnet::{self, DevNetwork};
use crate::governed::{
    self, DEV_EPOCH_LENGTH, DevNetwork as GovernedNetwork, Network, POS_REFUSAL,
};
use crate::signals::StopSignals;
use crate::testnet::{Engine, PosArgs};

#[derive(Debug, Args)]
pub(crate) struct DevArgs {
    /// Where the chain is stored.
    #[arg(long, default_value = "./.cairn/dev")]
    datadir: PathBuf,
    /// Use a temporary data directory, deleted on exit.
    #[arg(long, conflicts_with = "datadir")]
    ephemeral: bool,
    /// Time between blocks when no transactions are waiting (e.g. 1s, 500ms; at least 1ms).
    #[arg(long, value_parser = parse_block_time)]
    block_time: Option<Duration>,
    /// A chain spec file (JSON or TOML) written by `cairn init`.
    #[arg(long)]
    genesis: Option<PathBuf>,
    /// Where Ethereum JSON-RPC listens (HTTP and WebSocket).
    #[arg(long, default_value = "127.0.0.1:8545")]
    rpc_addr: SocketAddr,
    /// Where the REST API (/v1, OpenAPI at /v1/openapi.json, docs at /docs) listens.
    #[arg(long, default_value = "127.0.0.1:8080")]
    api_addr: SocketAddr,
    /// Require an API key (`cairn api-keys create`) for REST reads too; writes and admin
    /// routes always need one. Health checks and metrics stay open.
    #[arg(long)]
    api_require_key: bool,
    /// REST rate limit per client address for requests without a key (50/s, 600/min, 1000/h).
    #[arg(long, default_value = "20/s")]
    api_anon_rate: Rate,
    /// How many requests a client address without a key may send at once.
    #[arg(long, default_value = "40")]
    api_anon_burst: NonZeroU32,
    /// Wait before the first retry of a failed webhook delivery; each retry doubles it.
    #[arg(long, default_value = "1s", value_parser = humantime::parse_duration)]
    webhook_retry_base: Duration,
    /// Longest wait between two attempts at a webhook delivery.
    #[arg(long, default_value = "5m", value_parser = humantime::parse_duration)]
    webhook_retry_max: Duration,
    /// Deliver webhooks to loopback, private, link-local and this machine's own addresses
    /// too (local development); by default only public addresses receive webhooks.
    #[arg(long, conflicts_with = "validators")]
    webhook_allow_private: bool,
    /// Serve JSON-RPC over HTTPS and WSS with this PEM certificate chain (needs
    /// --rpc-tls-key).
    #[arg(long, requires = "rpc_tls_key", conflicts_with = "validators")]
    rpc_tls_cert: Option<PathBuf>,
    /// The PEM private key of --rpc-tls-cert.
    #[arg(long, requires = "rpc_tls_cert", conflicts_with = "validators")]
    rpc_tls_key: Option<PathBuf>,
    /// Serve the REST API over HTTPS with this PEM certificate chain (needs --api-tls-key).
    #[arg(long, requires = "api_tls_key", conflicts_with = "validators")]
    api_tls_cert: Option<PathBuf>,
    /// The PEM private key of --api-tls-cert.
    #[arg(long, requires = "api_tls_cert", conflicts_with = "validators")]
    api_tls_key: Option<PathBuf>,
    /// Run a BFT network of this many validator processes (1 to 7) instead of the
    /// single-node chain; node i serves JSON-RPC and REST on the given ports plus i.
    #[arg(long, conflicts_with = "genesis")]
    validators: Option<usize>,
    /// Consensus peer-to-peer port of node 0 with --validators; node i uses this plus i.
    #[arg(long, default_value_t = 26656, requires = "validators")]
    p2p_port: u16,
    /// How blocks are agreed: the validators of a --validators network are a fixed set
    /// (bft) or chosen by stake every epoch (pos); pow mines at the block time's difficulty,
    /// on a single node (data in ./.cairn/dev/pow) or on N mining nodes with --validators N
    /// (their coinbases dev accounts 0 to N−1).
    #[arg(long, value_enum, default_value_t = DevEngine::Bft)]
    consensus: DevEngine,
    /// Search threads of the single --consensus pow miner (1 to 256).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
    miner_threads: u16,
    /// Who the blocks of the single --consensus pow miner pay their reward and fees to.
    #[arg(long, default_value_t = Address::ZERO)]
    coinbase: Address,
    /// Blocks per epoch: of a --consensus pos network (default 20), or of a private or
    /// consortium one, where passed proposals take effect at epoch ends (default 10).
    #[arg(long)]
    epoch_length: Option<u64>,
    /// Govern the chain on chain: private (one organisation, dev account 0 its admin) or
    /// consortium (--orgs organisations, needs --validators); dev accounts 7 to 9 are not
    /// members and may not transact.
    #[arg(long, value_enum, conflicts_with = "genesis")]
    network: Option<GovernedNetwork>,
    /// How many organisations govern a --network consortium (1 to 7, default 3); dev accounts
    /// 0 to K−1 are their admins.
    #[arg(long)]
    orgs: Option<usize>,
}

/// The shortest block time: the chain spec counts it in whole milliseconds, and anything
/// shorter (`0s`, `1ns`) would only commit empty blocks as fast as the disk syncs them.
const MIN_BLOCK_TIME: Duration = Duration::from_millis(1);

/// Parses a `--block-time` and refuses one shorter than [`MIN_BLOCK_TIME`].
pub(crate) fn parse_block_time(text: &str) -> Result<Duration, String> {
    let time = humantime::parse_duration(text).map_err(|e| e.to_string())?;
    if time < MIN_BLOCK_TIME {
        return Err(format!(
            "the block time must be at least {} (got {text})",
            humantime::format_duration(MIN_BLOCK_TIME)
        ));
    }
    Ok(time)
}

/// How `cairn dev` agrees on blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum DevEngine {
    /// BFT: one validator alone, or a fixed set with --validators.
    Bft,
    /// Proof of stake (needs --validators).
    Pos,
    /// Proof of work: one node mining.
    Pow,
}

pub(crate) fn run(args: DevArgs) -> anyhow::Result<()> {
    let consensus = match args.consensus {
        DevEngine::Bft => Engine::Bft,
        DevEngine::Pos => Engine::Pos,
        DevEngine::Pow if args.validators.is_none() => return run_pow(args),
        DevEngine::Pow => Engine::Pow,
    };
    if args.network.is_some() && consensus == Engine::Pos {
        anyhow::bail!(POS_REFUSAL);
    }
    if args.network.is_some() && consensus == Engine::Pow {
        anyhow::bail!("--network private|consortium runs governed BFT, not proof of work");
    }
    if args.network == Some(GovernedNetwork::Consortium) && args.validators.is_none() {
        anyhow::bail!(
            "a consortium network runs BFT validators: add --validators N (1 to {})",
            devnet::MAX_DEV_VALIDATORS
        );
    }
    let network = args.network.map_or(Network::Public, Network::from);
    governed::organisation_count(network, args.orgs, governed::DEV_TRANSACTORS)?;
    let epoch_length = match (consensus, network, args.epoch_length) {
        (Engine::Pos, _, length) => length.unwrap_or(PosArgs::default().epoch_length),
        (_, Network::Private | Network::Consortium, length) => length.unwrap_or(DEV_EPOCH_LENGTH),
        (Engine::Pow, _, Some(_)) => {
            anyhow::bail!("--epoch-length does not apply to --consensus pow")
        }
        (_, Network::Public, None) => 0,
        (_, Network::Public, Some(_)) => anyhow::bail!(
            "--epoch-length applies to --consensus pos and --network private|consortium only"
        ),
    };
    let temp = if args.ephemeral { Some(tempfile::tempdir()?) } else { None };
    let root = temp.as_ref().map_or(args.datadir.clone(), |t| t.path().to_path_buf());
    if let Some(validators) = args.validators {
        let folder = match (consensus, network) {
            (Engine::Pos, _) => format!("pos-{validators}"),
            (Engine::Pow, _) => format!("pow-{validators}"),
            (Engine::Bft, Network::Public) => format!("bft-{validators}"),
            (Engine::Bft, Network::Private) => format!("private-{validators}"),
            (Engine::Bft, Network::Consortium) => format!(
                "consortium-{validators}-orgs{}",
                args.orgs.unwrap_or(governed::DEFAULT_ORGS)
            ),
        };
        return devnet::run(DevNetwork {
            root: root.join(folder),
            validators,
            rpc_addr: args.rpc_addr,
            api_addr: args.api_addr,
            p2p_port: args.p2p_port,
            block_time: args.block_time.unwrap_or(Duration::from_secs(1)),
            consensus,
            pos: PosArgs { epoch_length, ..PosArgs::default() },
            network,
            orgs: args.orgs,
        });
    }
    if consensus == Engine::Pos {
        anyhow::bail!("proof of stake needs a network: add --validators N");
    }
    // A private chain lives beside the plain dev chain, not in its place.
    let root = match network {
        Network::Private => root.join("private"),
        _ => root,
    };
    let given = match (&args.genesis, network) {
        (Some(file), _) => {
            let spec = ChainSpec::from_file(file)?;
            if spec.consensus == ConsensusKind::Pow {
                anyhow::bail!("{} is a proof-of-work spec: add --consensus pow", file.display());
            }
            Some(spec)
        }
        // A private chain written earlier keeps the spec it was made with.
        (None, Network::Private) => match DataDir::new(&root).stored_spec()? {
            None => Some(governed::dev_private_spec(
                epoch_length,
                args.block_time.unwrap_or(Duration::from_secs(1)),
            )?),
            Some(stored) if args.epoch_length.is_some_and(|e| stored.epoch_length != Some(e)) => {
                anyhow::bail!(
                    "{} holds a private chain with {}-block epochs; use another --datadir for \
                     other epochs",
                    root.display(),
                    stored.epoch_length.unwrap_or_default()
                )
            }
            Some(stored)
                if args
                    .block_time
                    .is_some_and(|t| t.as_millis() != stored.block_time_ms.into()) =>
            {
                anyhow::bail!(
                    "{} holds a private chain with {} ms blocks, a governed parameter: propose \
                     block_time_ms, or use another --datadir",
                    root.display(),
                    stored.block_time_ms
                )
            }
            Some(_) => None,
        },
        (None, _) => None,
    };
    start_single(&args, &root, given, |spec| EngineSetup::Dev {
        block_time: args.block_time.unwrap_or(Duration::from_millis(spec.block_time_ms)),
        beneficiary: Address::ZERO,
    })
}

/// `cairn dev --consensus pow`: one node mining its own chain, in `pow/` beside the dev
/// chain, at the difficulty that gives the block time (it starts at the spec's floor and
/// rises within about a hundred fast blocks to what this machine's hash rate needs).
fn run_pow(args: DevArgs) -> anyhow::Result<()> {
    if args.network.is_some() {
        anyhow::bail!("--network private|consortium runs governed BFT, not proof of work");
    }
    if args.epoch_length.is_some() {
        anyhow::bail!("--epoch-length does not apply to --consensus pow");
    }
    let temp = if args.ephemeral { Some(tempfile::tempdir()?) } else { None };
    let root = temp.as_ref().map_or(args.datadir.clone(), |t| t.path().to_path_buf()).join("pow");
    let given = match &args.genesis {
        Some(file) => {
            let spec = ChainSpec::from_file(file)?;
            if spec.consensus != ConsensusKind::Pow {
                anyhow::bail!(
                    "{} is not a proof-of-work spec (consensus = \"pow\")",
                    file.display()
                );
            }
            Some(spec)
        }
        // A chain written earlier keeps the spec it was made with.
        None => match DataDir::new(&root).stored_spec()? {
            None => Some(ChainSpec {
                consensus: ConsensusKind::Pow,
                block_time_ms: args.block_time.map_or(1_000, |t| t.as_millis() as u64),
                pow: Some(PowParams::default()),
                ..ChainSpec::dev()?
            }),
            Some(stored)
                if args
                    .block_time
                    .is_some_and(|t| t.as_millis() != stored.block_time_ms.into()) =>
            {
                anyhow::bail!(
                    "{} holds a proof-of-work chain aiming at {} ms blocks; use another \
                     --datadir for another block time",
                    root.display(),
                    stored.block_time_ms
                )
            }
            Some(_) => None,
        },
    };
    start_single(&args, &root, given, |_| EngineSetup::Pow {
        coinbase: args.coinbase,
        miner_threads: args.miner_threads.into(),
        network: None,
    })
}

/// Starts one node of the chain stored in `root` (made from `given` if new, else the stored
/// spec) with the engine `engine_of` gives for its spec, serving JSON-RPC and the REST API
/// as `args` say until a stop signal.
fn start_single(
    args: &DevArgs,
    root: &std::path::Path,
    given: Option<ChainSpec>,
    engine_of: impl FnOnce(&ChainSpec) -> EngineSetup,
) -> anyhow::Result<()> {
    let rpc_tls =
        cairn_launch::tls("JSON-RPC", args.rpc_tls_cert.as_deref(), args.rpc_tls_key.as_deref())?;
    let api_tls =
        cairn_launch::tls("REST API", args.api_tls_cert.as_deref(), args.api_tls_key.as_deref())?;
    // Listen for Ctrl-C and SIGTERM before anything else, so a stop signal is never lost.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let stop = {
        let _context = runtime.enter();
        StopSignals::listen()?
    };
    let (spec, kv) = DataDir::new(root).open_chain(given)?;
    let rpc = RpcConfig { addr: args.rpc_addr, tls: rpc_tls, ..RpcConfig::default() };
    let auth = AuthConfig {
        keys_dir: Some(root.to_path_buf()),
        require_key: args.api_require_key,
        anonymous_rate: args.api_anon_rate,
        anonymous_burst: args.api_anon_burst,
    };
    let webhooks = WebhookConfig {
        retry_base: args.webhook_retry_base,
        retry_max: args.webhook_retry_max,
        allow_private: args.webhook_allow_private,
        ..WebhookConfig::default()
    };
    let api =
        ApiConfig { addr: args.api_addr, auth, webhooks, tls: api_tls, ..ApiConfig::default() };
    let engine = engine_of(&spec);
    let builder = NodeBuilder::new(spec.clone(), kv, engine).with_rpc(rpc).with_api(api);
    let node = runtime.block_on(builder.start())?;
    print_banner(&spec, root, node.started_at())?;
    for line in node.banner() {
        println!("{line}");
    }
    Ok(runtime.block_on(node.serve_until(stop.wait()))?)
}

fn print_banner(spec: &ChainSpec, root: &std::path::Path, head: u64) -> anyhow::Result<()> {
    println!(
        "Cairn dev chain (chain id {}), data in {}, head at block {head}",
        spec.chain_id,
        root.display()
    );
    if spec.consensus == ConsensusKind::Pow {
        let params = spec.pow_params();
        println!(
            "Proof of work: one block every {} ms on average, {} ETH a block to the miner, \
             final after {} blocks",
            spec.block_time_ms,
            format_ether(params.block_reward),
            params.confirmations
        );
    }
    if let Some(governance) = &spec.governance {
        let names: Vec<&str> = governance.organisations.iter().map(|o| o.name.as_str()).collect();
        let kind = match spec.network {
            NetworkKind::Consortium => "consortium",
            _ => "private",
        };
        println!(
            "A {kind} network governed by {} ({}-block epochs): only admins and members may \
             transact",
            names.join(", "),
            spec.epoch_length.unwrap_or_default()
        );
    }
    println!();
    print_accounts(spec)
}

/// The ten dev accounts with their balances (and, on a governed chain, their roles), keys and
/// mnemonic, as anvil prints them.
pub(crate) fn print_accounts(spec: &ChainSpec) -> anyhow::Result<()> {
    let accounts = dev_accounts(10)?;
    println!("Available Accounts");
    println!("==================");
    for (i, account) in accounts.iter().enumerate() {
        let balance = spec.alloc.get(&account.address).map(|a| a.balance).unwrap_or_default();
        let role = governed::role(spec, account.address).map(|r| format!(" {r}"));
        println!(
            "({i}) {} ({} ETH){}",
            account.address,
            format_ether(balance),
            role.unwrap_or_default()
        );
    }
    println!();
    println!("Private Keys");
    println!("==================");
    for (i, account) in accounts.iter().enumerate() {
        println!("({i}) {}", account.private_key);
    }
    println!();
    println!("Wallet");
    println!("==================");
    println!("Mnemonic:          {DEV_MNEMONIC}");
    println!("Derivation path:   m/44'/60'/0'/0/");
    println!();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_times_start_at_a_millisecond() {
        for refused in ["0s", "1ns", "999us"] {
            assert!(parse_block_time(refused).is_err(), "{refused}");
        }
        assert_eq!(parse_block_time("1ms"), Ok(Duration::from_millis(1)));
        assert_eq!(parse_block_time("2s"), Ok(Duration::from_secs(2)));
        assert!(parse_block_time("soon").is_err());
    }
}
