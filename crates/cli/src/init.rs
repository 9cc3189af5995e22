use std::path::PathBuf;

use anyhow::{Context, bail};
use cairn_primitives::ChainSpec;
use clap::Args;

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// File to write; `.toml` writes TOML, anything else JSON.
    #[arg(long, default_value = "genesis.json")]
    out: PathBuf,
    /// Chain id (EIP-155).
    #[arg(long)]
    chain_id: Option<u64>,
    /// Gas limit of every block (default 30,000,000); with the block time it bounds how many
    /// transactions a second the chain can carry.
    #[arg(long)]
    gas_limit: Option<u64>,
    /// Overwrite an existing file.
    #[arg(long)]
    force: bool,
}

pub(crate) fn run(args: InitArgs) -> anyhow::Result<()> {
    if args.out.exists() && !args.force {
        bail!("{} exists; pass --force to overwrite", args.out.display());
    }
    let mut spec = ChainSpec::dev()?;
    if let Some(chain_id) = args.chain_id {
        spec.chain_id = chain_id;
    }
    if let Some(gas_limit) = args.gas_limit {
        spec.gas_limit = gas_limit;
    }
    spec.validate()?;
    let toml_format = args.out.extension().is_some_and(|e| e == "toml");
    std::fs::write(&args.out, spec.render(toml_format)?)
        .with_context(|| format!("writing {}", args.out.display()))?;
    println!("wrote chain spec to {}", args.out.display());
    Ok(())
}
