//! `cairn gov propose …`: one proposal of an organisation's admin, as the contract's
//! `propose*` functions take it. Proposing casts the proposer's organisation's yes, so on a
//! one-organisation network the proposal passes in the same transaction; what happened is read
//! back from the contract and printed.

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::SolCall;
use cairn_governance::Governance;
use clap::{Args, Subcommand};

use super::parse;
use super::proposals::Proposal;
use super::{event, transact};
use crate::contract_tx::{ContractCall, TxArgs};

#[derive(Debug, Args)]
pub(crate) struct ProposeArgs {
    #[command(subcommand)]
    proposal: ProposalArgs,
}

#[derive(Debug, Subcommand)]
enum ProposalArgs {
    /// A new organisation with its first admins (1 to 8 accounts in no organisation).
    AddOrg {
        /// Its unique name (1 to 64 bytes).
        #[arg(long)]
        name: String,
        /// An admin account; repeat for several.
        #[arg(long = "admin", value_name = "ADDR", required = true)]
        admins: Vec<Address>,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Remove an organisation with its members, nodes and validators.
    RemoveOrg {
        /// The organisation's id (`cairn gov members` lists them).
        #[arg(long, value_name = "ID")]
        org: u32,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// A validator of an organisation, from the next epoch on.
    AddValidator {
        /// The organisation the validator belongs to.
        #[arg(long, value_name = "ID")]
        org: u32,
        /// Its consensus public key: secp256k1, 33 bytes compressed or 64 bytes x‖y, in hex
        /// (`cairn testnet add-node --validator-key` prints it).
        #[arg(long, value_name = "HEX")]
        public_key: Bytes,
        /// Its voting power.
        #[arg(long, value_name = "N")]
        power: u64,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Remove a validator from the set, from the next epoch on.
    RemoveValidator {
        /// The validator's consensus address.
        #[arg(long, value_name = "ADDR")]
        validator: Address,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Allow a node of an organisation to connect.
    AllowNode {
        /// The organisation the node belongs to.
        #[arg(long, value_name = "ID")]
        org: u32,
        /// Its libp2p peer id, base58 as `cairn testnet add-node` prints it (or the multihash
        /// bytes in 0x hex).
        #[arg(long, value_parser = parse::peer_id)]
        peer_id: Bytes,
        /// The consensus address it validates with; without it, a full node.
        #[arg(long, value_name = "ADDR")]
        consensus_address: Option<Address>,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Remove a node: it may no longer connect.
    RemoveNode {
        /// Its libp2p peer id, base58 (or the multihash bytes in 0x hex).
        #[arg(long, value_parser = parse::peer_id)]
        peer_id: Bytes,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// A new value for a governable chain parameter.
    Param {
        /// gas_limit, block_time_ms, epoch_length, voting_period_blocks, permission_accounts,
        /// permission_nodes or permission_deployers.
        #[arg(long, value_parser = parse::parameter)]
        name: u8,
        /// The value: a number (milliseconds, blocks, gas), or on/off for a permission switch.
        #[arg(long, value_parser = parse::value)]
        value: u64,
        #[command(flatten)]
        tx: TxArgs,
    },
}

impl ProposalArgs {
    /// The contract call this proposal is, and the signing flags.
    fn call(&self) -> (ContractCall, &TxArgs) {
        fn of<C: SolCall>(call: C) -> ContractCall {
            ContractCall::new(&call, U256::ZERO)
        }
        match self {
            Self::AddOrg { name, admins, tx } => {
                let (name, admins) = (name.clone(), admins.clone());
                (of(Governance::proposeAddOrganisationCall { name, admins }), tx)
            }
            Self::RemoveOrg { org, tx } => {
                (of(Governance::proposeRemoveOrganisationCall { org: *org }), tx)
            }
            Self::AddValidator { org, public_key, power, tx } => {
                let key = public_key.clone();
                let call = Governance::proposeAddValidatorCall {
                    org: *org,
                    publicKey: key,
                    power: *power,
                };
                (of(call), tx)
            }
            Self::RemoveValidator { validator, tx } => {
                (of(Governance::proposeRemoveValidatorCall { validator: *validator }), tx)
            }
            Self::AllowNode { org, peer_id, consensus_address, tx } => {
                let call = Governance::proposeAllowNodeCall {
                    org: *org,
                    peerId: peer_id.clone(),
                    consensusAddress: consensus_address.unwrap_or(Address::ZERO),
                };
                (of(call), tx)
            }
            Self::RemoveNode { peer_id, tx } => {
                (of(Governance::proposeRemoveNodeCall { peerId: peer_id.clone() }), tx)
            }
            Self::Param { name, value, tx } => {
                (of(Governance::proposeParameterCall { parameter: *name, value: *value }), tx)
            }
        }
    }
}

pub(crate) async fn run(args: ProposeArgs) -> anyhow::Result<()> {
    let (call, tx) = args.proposal.call();
    let (chain, admin, sent) = transact(tx, &call, "no proposal was made").await?;
    let created = event::<Governance::ProposalCreated>(&sent.logs)?;
    let (state, proposal) = Proposal::after(&chain, created.id, sent.block).await?;
    println!(
        "proposal {} created by {admin} of {} (its yes counted), tx {} in block {}",
        created.id,
        state.organisation(created.org),
        sent.hash,
        sent.block
    );
    println!("  {}", proposal.standing(&state));
    Ok(())
}
