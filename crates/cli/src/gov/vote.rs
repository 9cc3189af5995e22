//! `cairn gov vote ID --yes|--no`: the caller's organisation's one vote on a proposal, and
//! where the proposal stands after it.

use alloy_primitives::U256;
use cairn_governance::Governance;
use clap::{ArgGroup, Args};

use super::proposals::Proposal;
use super::{event, transact};
use crate::contract_tx::{ContractCall, TxArgs};

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("support").required(true).args(["yes", "no"])))]
pub(crate) struct VoteArgs {
    /// The proposal's id.
    id: u64,
    /// Vote for the proposal.
    #[arg(long)]
    yes: bool,
    /// Vote against the proposal.
    #[arg(long)]
    no: bool,
    #[command(flatten)]
    tx: TxArgs,
}

pub(crate) async fn run(args: VoteArgs) -> anyhow::Result<()> {
    let call = Governance::voteCall { id: args.id, support: args.yes };
    let call = ContractCall::new(&call, U256::ZERO);
    let (chain, admin, sent) = transact(&args.tx, &call, "the vote was not counted").await?;
    let voted = event::<Governance::Voted>(&sent.logs)?;
    let (state, proposal) = Proposal::after(&chain, voted.id, sent.block).await?;
    println!(
        "{} voted {} on proposal {} (by {admin}), tx {} in block {}",
        state.organisation(voted.org),
        if voted.support { "yes" } else { "no" },
        voted.id,
        sent.hash,
        sent.block
    );
    println!("  {}", proposal.standing(&state));
    Ok(())
}
