//! The `cairn` binary: runs a node, writes chain specs, audits a data directory.

mod add_node;
mod api_keys;
mod bench;
mod contract_tx;
mod dev;
mod devnet;
mod gov;
mod governed;
mod init;
mod jsonrpc;
mod keys;
mod node;
mod signals;
mod staking;
mod testnet;
mod verify;

use clap::{Parser, Subcommand};

/// Cairn: a blockchain node that executes Ethereum transactions.
#[derive(Debug, Parser)]
#[command(name = "cairn", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start a development chain with ten funded accounts: one node, or with --validators N
    /// a local BFT network of N validator processes; --network private|consortium governs it.
    Dev(dev::DevArgs),
    /// Run one node of a BFT network from its config file.
    Node(node::NodeArgs),
    /// Write the files of a BFT network (chain spec, keys, node configs), or one more node
    /// of it.
    Testnet(testnet::TestnetArgs),
    /// Write a chain spec file to edit and pass to `cairn dev --genesis`.
    Init(init::InitArgs),
    /// Re-verify a data directory's whole chain from genesis.
    Verify(verify::VerifyArgs),
    /// Manage Ethereum V3 keystore files (readable by geth and Foundry).
    Keys(keys::KeysArgs),
    /// Manage the REST API's keys (stored hashed in the data directory).
    ApiKeys(api_keys::ApiKeysArgs),
    /// Load generator: funds senders, submits signed transactions to JSON-RPC endpoints and
    /// reports throughput and latency to inclusion and finality (works against any node).
    Bench(bench::BenchArgs),
    /// REST read benchmark: requests per second and latency percentiles per path, from
    /// concurrent clients for a fixed time.
    ApiBench(bench::api::ApiBenchArgs),
    /// Register a node's consensus key as a proof-of-stake validator, or print the validator
    /// set, from any node's JSON-RPC.
    Staking(staking::StakingArgs),
    /// Govern a private or consortium network as an organisation's admin: propose, vote, list
    /// and show proposals, list organisations, add or remove the organisation's members.
    #[command(subcommand)]
    Gov(gov::GovCommand),
}

/// Cairn's own events at info; Malachite and libp2p log every vote and dial at info, so only
/// their warnings by default (targets match by prefix; `RUST_LOG` overrides).
const DEFAULT_LOG: &str = "info,arc_malachitebft=warn,libp2p=warn";

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_LOG)),
        )
        .with_writer(std::io::stderr)
        // Colour only for a terminal: a log redirected to a file or a pipe stays plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    // redb may panic on a damaged page; the store turns that into an error naming the page,
    // so the panic itself is not printed as if the program had crashed.
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |panic| {
        if !cairn_storage::panic_is_contained() {
            report(panic);
        }
    }));
    match Cli::parse().command {
        Command::Dev(args) => dev::run(args),
        Command::Node(args) => node::run(args),
        Command::Testnet(args) => testnet::run(args),
        Command::Init(args) => init::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Keys(args) => keys::run(args),
        Command::ApiKeys(args) => api_keys::run(args),
        Command::Bench(args) => bench::run(args),
        Command::ApiBench(args) => bench::api::run(args),
        Command::Staking(args) => staking::run(args),
        Command::Gov(args) => gov::run(args),
    }
}
