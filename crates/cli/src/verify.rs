use std::path::PathBuf;
use std::sync::Arc;

use alloy_primitives::Address;
use cairn_bft::{
    BftConsensus, EvidenceLog, FinalizedCertificates, PosConsensus, ValidatorSchedule,
};
use cairn_consensus::{ConsensusRoles, DevConsensus, PowConsensus};
use cairn_node::audit::verify_chain;
use cairn_primitives::{ChainSpec, ConsensusKind};
use clap::Args;

use cairn_launch::DataDir;

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The data directory to audit; it is only read (a read-only copy or mount will do).
    #[arg(long)]
    datadir: PathBuf,
}

pub(crate) fn run(args: VerifyArgs) -> anyhow::Result<()> {
    let (spec, store) = DataDir::new(&args.datadir).open_audit()?;
    let consensus = chain_rules(&spec)?;
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

/// The rules a stored chain was built under, from its spec: an audit checks every seal, runs
/// every block's end and, on a governed chain, judges every sender by the governance
/// contract's state at the block's parent, exactly as the node did.
fn chain_rules(spec: &ChainSpec) -> anyhow::Result<ConsensusRoles> {
    Ok(cairn_governance::govern(engine_rules(spec)?, spec)?)
}

/// The engine's own roles for `spec`.
fn engine_rules(spec: &ChainSpec) -> anyhow::Result<ConsensusRoles> {
    Ok(match spec.consensus {
        ConsensusKind::Dev => ConsensusRoles::of(Arc::new(DevConsensus::new(Address::ZERO))),
        ConsensusKind::Bft => ConsensusRoles::of(Arc::new(BftConsensus::new(
            spec.chain_id,
            ValidatorSchedule::from_spec(spec)?,
            Address::ZERO,
            Arc::new(EvidenceLog::in_memory()),
        ))),
        // Importing a block runs its protocol calls; the engine's proposer-side state (its
        // evidence pool, the newest finalised certificate) plays no part in an audit.
        ConsensusKind::Pos => ConsensusRoles::of(Arc::new(PosConsensus::new(
            spec,
            ValidatorSchedule::from_spec(spec)?,
            Arc::new(EvidenceLog::in_memory()),
            Arc::new(FinalizedCertificates::default()),
        ))),
        // Every seal's work and every difficulty is checked against its parent.
        ConsensusKind::Pow => ConsensusRoles::of(Arc::new(PowConsensus::new(spec, Address::ZERO))),
    })
}
