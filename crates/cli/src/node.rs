//! `cairn node --config FILE`: one node of a BFT network (a validator, or a full node that
//! follows and verifies), with its JSON-RPC and REST API, started by the node library.

use std::path::PathBuf;
use std::time::Duration;

use cairn_launch::{NodeBuilder, NodeConfig};
use clap::Args;

use crate::signals::StopSignals;

#[derive(Debug, Args)]
pub(crate) struct NodeArgs {
    /// The node's config file, as `cairn testnet init` writes it.
    #[arg(long)]
    config: PathBuf,
    /// Set by `cairn dev --validators`: the supervisor's pid, so this node stops with it.
    #[arg(long, hide = true)]
    supervisor_pid: Option<u32>,
}

pub(crate) fn run(args: NodeArgs) -> anyhow::Result<()> {
    if let Some(pid) = args.supervisor_pid {
        crate::devnet::follow_supervisor(pid)?;
    }
    let config = NodeConfig::load(&args.config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    // Listen for Ctrl-C and SIGTERM before anything else, so a stop signal is never lost.
    let stop = {
        let _context = runtime.enter();
        StopSignals::listen()?
    };
    let builder = NodeBuilder::from_config(&config)?;
    let result = runtime.block_on(cairn_launch::run_until_stopped(builder, stop.wait()));
    runtime.shutdown_timeout(Duration::from_secs(2));
    Ok(result?)
}
