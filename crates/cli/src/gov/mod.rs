//! `cairn gov`: what an organisation's admin runs against any node's JSON-RPC on a private or
//! consortium network — propose changes, vote, read proposals and organisations, and manage
//! the organisation's own members — through the governance contract at `0x…1001`.
//!
//! Every sending command first makes the same call by `eth_call`, so a refusal prints the
//! contract's custom error and sends nothing.

mod members;
mod parse;
mod proposals;
mod propose;
mod vote;

use alloy_primitives::Address;
use alloy_sol_types::{SolEvent, SolInterface};
use anyhow::Context;
use cairn_governance::Governance::GovernanceErrors;
use cairn_governance::{GOVERNANCE_ADDRESS, ProposalStatus, describe_refusal};
use clap::Subcommand;
use serde_json::Value;

use crate::contract_tx::{
    ContractCall, ContractRpc, Included, SystemContract, TxArgs, decode_log, other_revert,
};

/// The `cairn gov` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum GovCommand {
    /// Propose a change as an admin of an organisation; proposing casts the organisation's
    /// yes (on a one-organisation network that passes it at once).
    Propose(propose::ProposeArgs),
    /// Cast the caller's organisation's vote on a proposal (once per organisation).
    Vote(vote::VoteArgs),
    /// List the proposals with their status and votes.
    List(proposals::ListArgs),
    /// Print one proposal: what it changes, its status, votes, deadline and effective height.
    Show(proposals::ShowArgs),
    /// Print the organisations with their admins, members, nodes and validators, or add or
    /// remove a member of the caller's own organisation (no vote needed).
    Members(members::MembersArgs),
}

pub(crate) fn run(command: GovCommand) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async move {
        match command {
            GovCommand::Propose(args) => propose::run(args).await,
            GovCommand::Vote(args) => vote::run(args).await,
            GovCommand::List(args) => proposals::list(args).await,
            GovCommand::Show(args) => proposals::show(args).await,
            GovCommand::Members(args) => members::run(args).await,
        }
    })
}

/// The governance contract at `0x…1001`, on private and consortium networks.
static GOVERNANCE: SystemContract = SystemContract {
    name: "governance",
    address: GOVERNANCE_ADDRESS,
    absent: "it is not a private or consortium network",
    describe,
};

/// Connects to the node at `url`, which must serve a governed chain.
async fn connect(url: &str) -> anyhow::Result<ContractRpc> {
    ContractRpc::connect(url, &GOVERNANCE).await
}

/// Checks `call` by `eth_call` as the `--from` account (a refusal is an error and nothing is
/// sent), then signs and sends it and waits for its receipt; `failed` says what did not happen
/// if it fails in its block.
async fn transact(
    tx: &TxArgs,
    call: &ContractCall,
    failed: &str,
) -> anyhow::Result<(ContractRpc, Address, Included)> {
    let signer = tx.signer()?;
    let chain = connect(&tx.rpc).await?;
    chain.check(signer.address(), call).await?;
    let sent = chain.send(&signer, call, tx.wait, failed).await?;
    Ok((chain, signer.address(), sent))
}

/// The governance contract's first event of type `E` among a receipt's logs.
fn event<E: SolEvent>(logs: &[Value]) -> anyhow::Result<E> {
    let governance = |log: &&Value| {
        log["address"].as_str().and_then(|a| a.parse::<Address>().ok()) == Some(GOVERNANCE_ADDRESS)
    };
    logs.iter()
        .filter(governance)
        .filter_map(decode_log)
        .find_map(|log| E::decode_log_data(&log).ok())
        .with_context(|| format!("the transaction succeeded but emitted no {} event", E::SIGNATURE))
}

/// Revert data as the contract's error with its arguments, `AlreadyVoted(id: 3, org: 2)`, as
/// the REST API and node logs write it, followed by what it means for common refusals.
fn describe(data: &[u8]) -> String {
    let Ok(error) = GovernanceErrors::abi_decode(data) else {
        return other_revert(data);
    };
    let call = describe_refusal(&error);
    match meaning(&error) {
        Some(meaning) => format!("{call}: {meaning}"),
        None => call,
    }
}

/// What the refusals an admin meets mean, in words.
fn meaning(error: &GovernanceErrors) -> Option<String> {
    Some(match error {
        GovernanceErrors::NotAnAdmin(e) => format!(
            "{} is not an admin of an organisation (only admins propose, vote and manage \
             members)",
            e.caller
        ),
        GovernanceErrors::AlreadyVoted(e) => {
            format!("organisation {} has already voted on proposal {}", e.org, e.id)
        }
        GovernanceErrors::ProposalNotOpen(e) => {
            let status = ProposalStatus::try_from(e.status)
                .map_or_else(|_| e.status.to_string(), |status| status.to_string());
            format!("proposal {} is {status}, no longer open for votes", e.id)
        }
        GovernanceErrors::VotingClosed(e) => {
            format!("proposal {}'s voting ended at block {}", e.id, e.deadline)
        }
        GovernanceErrors::UnknownProposal(e) => format!("there is no proposal {}", e.id),
        GovernanceErrors::UnknownOrganisation(e) => {
            format!("there is no organisation {} (see `cairn gov members`)", e.org)
        }
        GovernanceErrors::AccountInOrganisation(e) => {
            format!("{} already belongs to organisation {}", e.account, e.org)
        }
        GovernanceErrors::NotInOrganisation(e) => {
            format!("{} is not a member of organisation {}", e.account, e.org)
        }
        GovernanceErrors::LastOrganisation(_) => {
            "the last organisation cannot be removed".to_string()
        }
        GovernanceErrors::LastValidator(_) => {
            "the chain would be left without validators".to_string()
        }
        GovernanceErrors::ParameterOutOfRange(e) => {
            format!("{} is outside the bounds of parameter {}", e.value, e.parameter)
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;
    use alloy_sol_types::SolError;
    use cairn_governance::Governance;

    #[test]
    fn refusals_print_the_custom_error_and_what_it_means() {
        let caller = address!("0x14dC79964da2C08b23698B3D3cc7Ca32193d9955");
        assert_eq!(
            describe(&Governance::NotAnAdmin { caller }.abi_encode()),
            "NotAnAdmin(caller: 0x14dc79964da2c08b23698b3d3cc7ca32193d9955): \
             0x14dC79964da2C08b23698B3D3cc7Ca32193d9955 is not an admin of an organisation \
             (only admins propose, vote and manage members)"
        );
        assert_eq!(
            describe(&Governance::AlreadyVoted { id: 3, org: 2 }.abi_encode()),
            "AlreadyVoted(id: 3, org: 2): organisation 2 has already voted on proposal 3"
        );
        assert_eq!(
            describe(&Governance::ProposalNotOpen { id: 4, status: 4 }.abi_encode()),
            "ProposalNotOpen(id: 4, status: 4): proposal 4 is executed, no longer open for votes"
        );
        assert_eq!(describe(&Governance::InvalidPeerId {}.abi_encode()), "InvalidPeerId()");
        assert_eq!(describe(&[]), "a revert without data");
    }
}
