//! `cairn gov members`: the organisations with their admins, members (and deployer flags),
//! nodes and validators; `members add|remove ADDR`: an admin manages its own organisation's
//! members without a vote (`addMember`, `removeMember`).

use std::fmt::Write as _;

use alloy_primitives::{Address, U256};
use cairn_governance::Governance;
use clap::{Args, Subcommand};
use serde_json::json;

use super::parse::peer_id_text;
use super::{connect, transact};
use crate::contract_tx::{ContractCall, DEFAULT_RPC, TxArgs};
use crate::jsonrpc::{hex_quantity, quantity};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct MembersArgs {
    #[command(subcommand)]
    action: Option<MemberAction>,
    /// Only this organisation.
    #[arg(long, value_name = "ID")]
    org: Option<u32>,
    /// JSON-RPC endpoint of a node of the chain.
    #[arg(long, default_value = DEFAULT_RPC)]
    rpc: String,
}

#[derive(Debug, Subcommand)]
enum MemberAction {
    /// Make an account a member of the caller's organisation (addMember; no vote needed).
    Add {
        /// The account (in no organisation yet).
        #[arg(value_name = "ADDR")]
        account: Address,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Remove a member of the caller's organisation (removeMember).
    Remove {
        /// The member account.
        #[arg(value_name = "ADDR")]
        account: Address,
        #[command(flatten)]
        tx: TxArgs,
    },
}

pub(crate) async fn run(args: MembersArgs) -> anyhow::Result<()> {
    let (call, account, tx, done, failed) = match args.action {
        None => return print(args.org, &args.rpc).await,
        Some(MemberAction::Add { account, tx }) => {
            let call = ContractCall::new(&Governance::addMemberCall { account }, U256::ZERO);
            (call, account, tx, "is now a member of", "no member was added")
        }
        Some(MemberAction::Remove { account, tx }) => {
            let call = ContractCall::new(&Governance::removeMemberCall { account }, U256::ZERO);
            (call, account, tx, "is no longer a member of", "no member was removed")
        }
    };
    let (chain, admin, sent) = transact(&tx, &call, failed).await?;
    // The admin's own organisation is the one the call changed.
    let at = json!(hex_quantity(sent.block));
    let org = chain.view(&Governance::accountInfoCall { account: admin }, &at).await?.org;
    let name = chain.view(&Governance::organisationCall { org }, &at).await?.name;
    println!(
        "{account} {done} organisation {org} ({name}), by its admin {admin}; tx {} in block {}",
        sent.hash, sent.block
    );
    Ok(())
}

/// Prints every organisation, or only `only`, at the node's head.
async fn print(only: Option<u32>, rpc: &str) -> anyhow::Result<()> {
    let chain = connect(rpc).await?;
    let block = quantity(&chain.rpc.call("eth_blockNumber", json!([])).await?)?;
    let at = json!(hex_quantity(block));
    let params = chain.view(&Governance::paramsCall {}, &at).await?;
    let organisations = match only {
        Some(org) => vec![chain.view(&Governance::organisationCall { org }, &at).await?],
        None => chain.view(&Governance::organisationsCall {}, &at).await?,
    };
    println!(
        "at block {block}: account permissioning {}, node permissioning {}, deployer \
         permissioning {}",
        switch(params.permissionAccounts),
        switch(params.permissionNodes),
        switch(params.permissionDeployers)
    );
    for org in &organisations {
        print!("{}", render(org));
    }
    Ok(())
}

fn switch(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}

/// One organisation, an account, node or validator a line.
fn render(org: &Governance::OrganisationInfo) -> String {
    let mut out = format!("organisation {} ({})\n", org.id, org.name);
    for admin in &org.admins {
        let _ = writeln!(out, "  admin      {admin}");
    }
    for member in &org.members {
        let deployer = if member.deployer { "  deployer" } else { "" };
        let _ = writeln!(out, "  member     {}{deployer}", member.account);
    }
    for node in &org.nodes {
        let role = if node.consensusAddress.is_zero() {
            "full node".to_string()
        } else {
            format!("validator {}", node.consensusAddress)
        };
        let _ = writeln!(out, "  node       {}  {role}", peer_id_text(&node.peerId));
    }
    for validator in &org.validators {
        let _ = writeln!(
            out,
            "  validator  {}  power {}  key {}",
            validator.validator, validator.power, validator.publicKey
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::Bytes;

    #[test]
    fn an_organisation_lists_its_accounts_nodes_and_validators() {
        let [admin, member, validator] = [1, 2, 3].map(Address::repeat_byte);
        let org = Governance::OrganisationInfo {
            id: 1,
            name: "dev".to_string(),
            admins: vec![admin],
            members: vec![
                Governance::MemberInfo { account: member, deployer: true },
                Governance::MemberInfo { account: validator, deployer: false },
            ],
            nodes: vec![Governance::NodeInfo {
                peerId: Bytes::from_static(&[0xff]),
                consensusAddress: validator,
                org: 1,
            }],
            validators: vec![Governance::ValidatorInfo {
                validator,
                publicKey: Bytes::from_static(&[2, 1]),
                power: 3,
                org: 1,
            }],
        };
        let expected = [
            "organisation 1 (dev)".to_string(),
            format!("  admin      {admin}"),
            format!("  member     {member}  deployer"),
            format!("  member     {validator}"),
            format!("  node       0xff  validator {validator}"),
            format!("  validator  {validator}  power 3  key 0x0201"),
        ];
        assert_eq!(render(&org).lines().collect::<Vec<_>>(), expected);
    }
}
