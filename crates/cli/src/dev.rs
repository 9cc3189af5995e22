//! `cairn dev`: a development chain, one node started by the node library, or with
//! `--validators N` a local BFT (or, with `--consensus pos`, proof-of-stake) network of node
//! processes.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::Duration;

use alloy_primitives::{Address, utils::format_ether};
use cairn_api::{ApiConfig, AuthConfig, Rate, WebhookConfig};
use cairn_launch::{DataDir, EngineSetup, NodeBuilder};
use cairn_primitives::{ChainSpec, DEV_MNEMONIC, dev_accounts};
use cairn_rpc::RpcConfig;
use clap::Args;

use crate::devnet::{self, DevNetwork};
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
    /// How the validators of a --validators network are chosen: a fixed set (bft) or by
    /// stake every epoch (pos).
    #[arg(long, value_enum, default_value_t = Engine::Bft)]
    consensus: Engine,
    /// Blocks per epoch of a --consensus pos network.
    #[arg(long, default_value_t = 20)]
    epoch_length: u64,
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

pub(crate) fn run(args: DevArgs) -> anyhow::Result<()> {
    let temp = if args.ephemeral { Some(tempfile::tempdir()?) } else { None };
    let root = temp.as_ref().map_or(args.datadir.clone(), |t| t.path().to_path_buf());
    if let Some(validators) = args.validators {
        let kind = match args.consensus {
            Engine::Bft => "bft",
            Engine::Pos => "pos",
        };
        return devnet::run(DevNetwork {
            root: root.join(format!("{kind}-{validators}")),
            validators,
            rpc_addr: args.rpc_addr,
            api_addr: args.api_addr,
            p2p_port: args.p2p_port,
            block_time: args.block_time.unwrap_or(Duration::from_secs(1)),
            consensus: args.consensus,
            pos: PosArgs { epoch_length: args.epoch_length, ..PosArgs::default() },
        });
    }
    if args.consensus == Engine::Pos {
        anyhow::bail!("proof of stake needs a network: add --validators N");
    }
    let rpc_tls =
        cairn_launch::tls("JSON-RPC", args.rpc_tls_cert.as_deref(), args.rpc_tls_key.as_deref())?;
    let api_tls =
        cairn_launch::tls("REST API", args.api_tls_cert.as_deref(), args.api_tls_key.as_deref())?;
    let given = args.genesis.as_deref().map(ChainSpec::from_file).transpose()?;
    // Listen for Ctrl-C and SIGTERM before anything else, so a stop signal is never lost.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let stop = {
        let _context = runtime.enter();
        StopSignals::listen()?
    };
    let (spec, kv) = DataDir::new(&root).open_chain(given)?;
    let block_time = args.block_time.unwrap_or(Duration::from_millis(spec.block_time_ms));
    let rpc = RpcConfig { addr: args.rpc_addr, tls: rpc_tls, ..RpcConfig::default() };
    let auth = AuthConfig {
        keys_dir: Some(root.clone()),
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
    let engine = EngineSetup::Dev { block_time, beneficiary: Address::ZERO };
    let builder = NodeBuilder::new(spec.clone(), kv, engine).with_rpc(rpc).with_api(api);
    let node = runtime.block_on(builder.start())?;
    print_banner(&spec, &root, node.started_at())?;
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
    println!();
    let accounts = dev_accounts(10)?;
    println!("Available Accounts");
    println!("==================");
    for (i, account) in accounts.iter().enumerate() {
        let balance = spec.alloc.get(&account.address).map(|a| a.balance).unwrap_or_default();
        println!("({i}) {} ({} ETH)", account.address, format_ether(balance));
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
