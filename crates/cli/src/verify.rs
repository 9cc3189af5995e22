use std::path::PathBuf;

use alloy_primitives::Address;
use anyhow::bail;
use cairn_consensus::DevConsensus;
use cairn_node::audit::verify_chain;
use cairn_storage::ChainStore;
use clap::Args;

use crate::datadir::DataDir;

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The data directory to audit.
    #[arg(long)]
    datadir: PathBuf,
}

pub(crate) fn run(args: VerifyArgs) -> anyhow::Result<()> {
    let datadir = DataDir::new(&args.datadir);
    let Some(spec) = datadir.stored_spec()? else {
        bail!("{} holds no chain (no genesis.json)", args.datadir.display());
    };
    let store = ChainStore::open(datadir.open_store()?, &spec)?;
    let consensus = DevConsensus::new(Address::ZERO);
    match verify_chain(&store, &spec, &consensus) {
        Ok(report) => {
            println!("{report}");
            Ok(())
        }
        Err(failure) => {
            println!("{failure}");
            std::process::exit(1);
        }
    }
}
