//! `cairn staking`: what a validator's operator runs against any node's JSON-RPC on a
//! proof-of-stake chain — register a node's consensus key, and read the validator set from
//! the staking contract at `0x…1000`.

mod amounts;
mod contract;
mod register;
mod status;

pub(crate) use amounts::parse_amount;

use clap::{Args, Subcommand};

#[derive(Debug, Args)]
pub(crate) struct StakingArgs {
    #[command(subcommand)]
    command: StakingCommand,
}

#[derive(Debug, Subcommand)]
enum StakingCommand {
    /// Register a node's consensus key as a validator candidate, bonding its operator's
    /// self-stake (checks the call first, so a refusal costs no gas).
    Register(register::RegisterArgs),
    /// Print the epoch, the validator set, the candidates, the projected next set and recent
    /// slashes, from the staking contract.
    Status(status::StatusArgs),
}

pub(crate) fn run(args: StakingArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    match args.command {
        StakingCommand::Register(args) => runtime.block_on(register::run(args)),
        StakingCommand::Status(args) => runtime.block_on(status::run(args)),
    }
}
