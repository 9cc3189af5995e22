//! `cairn gov list` and `cairn gov show`: proposals as the contract's `proposal(id)` view
//! answers them, read at the node's head, in words — what each changes, where it stands, its
//! votes, deadline and effective height. `propose` and `vote` print a proposal's standing the
//! same way after their transaction.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use alloy_primitives::Address;
use cairn_governance::{Governance, Parameter, ProposalKind, ProposalStatus};
use clap::Args;
use serde_json::{Value, json};

use super::parse::{self, peer_id_text};
use super::{connect, describe};
use crate::contract_tx::{ContractRpc, DEFAULT_RPC};
use crate::jsonrpc::{hex_quantity, quantity};

#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Only proposals in this status: open, passed, rejected, expired, executed or failed.
    #[arg(long, value_parser = parse::status)]
    status: Option<ProposalStatus>,
    /// JSON-RPC endpoint of a node of the chain.
    #[arg(long, default_value = DEFAULT_RPC)]
    rpc: String,
}

#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// The proposal's id (from `cairn gov list`, or printed by `cairn gov propose`).
    id: u64,
    /// JSON-RPC endpoint of a node of the chain.
    #[arg(long, default_value = DEFAULT_RPC)]
    rpc: String,
}

pub(crate) async fn list(args: ListArgs) -> anyhow::Result<()> {
    let chain = connect(&args.rpc).await?;
    let state = State::read(&chain, None).await?;
    let count = chain.view(&Governance::proposalCountCall {}, &state.at).await?;
    let mut shown = 0;
    for id in 1..=count {
        let proposal = Proposal::read(&chain, id, &state.at).await?;
        if args.status.is_none_or(|status| status == proposal.status) {
            println!("{}", proposal.line(&state));
            shown += 1;
        }
    }
    let filter = args.status.map_or(String::new(), |status| format!(" {status}"));
    println!("{shown}{filter} of {count} proposals at block {}", state.block);
    Ok(())
}

pub(crate) async fn show(args: ShowArgs) -> anyhow::Result<()> {
    let chain = connect(&args.rpc).await?;
    let state = State::read(&chain, None).await?;
    let proposal = Proposal::read(&chain, args.id, &state.at).await?;
    print!("{}", proposal.details(&state));
    Ok(())
}

/// The contract's state a proposal is told against, read at one block.
pub(super) struct State {
    block: u64,
    /// `block` as the views' block parameter.
    at: Value,
    /// The last block of the current epoch: a passed proposal takes effect after it.
    epoch_last: u64,
    /// The existing organisations' names by id.
    names: BTreeMap<u32, String>,
}

impl State {
    /// The state at `block`, or at the head.
    pub(super) async fn read(chain: &ContractRpc, block: Option<u64>) -> anyhow::Result<Self> {
        let block = match block {
            Some(block) => block,
            None => quantity(&chain.rpc.call("eth_blockNumber", json!([])).await?)?,
        };
        let at = json!(hex_quantity(block));
        let epoch = chain.view(&Governance::currentEpochCall {}, &at).await?;
        let first = chain.view(&Governance::epochStartCall { epoch }, &at).await?;
        let length = chain.view(&Governance::paramsCall {}, &at).await?.epochLength.max(1);
        let mut names = BTreeMap::new();
        for org in chain.view(&Governance::organisationIdsCall {}, &at).await? {
            names.insert(org, chain.view(&Governance::organisationCall { org }, &at).await?.name);
        }
        Ok(Self { block, at, epoch_last: first.saturating_add(length - 1), names })
    }

    /// `organisation 2 (org2)`, or without a name once it was removed.
    pub(super) fn organisation(&self, org: u32) -> String {
        match self.names.get(&org) {
            Some(name) => format!("organisation {org} ({name})"),
            None => format!("organisation {org}"),
        }
    }
}

/// A proposal as the contract's `proposal(id)` answers it, with its enumerations decoded.
pub(super) struct Proposal {
    info: Governance::ProposalInfo,
    kind: ProposalKind,
    status: ProposalStatus,
}

impl Proposal {
    /// Proposal `id` at `at`.
    async fn read(chain: &ContractRpc, id: u64, at: &Value) -> anyhow::Result<Self> {
        let info = chain.view(&Governance::proposalCall { id }, at).await?;
        let kind = ProposalKind::try_from(info.kind)?;
        let status = ProposalStatus::try_from(info.status)?;
        Ok(Self { info, kind, status })
    }

    /// Proposal `id` as a transaction in `block` left it, with the state it is told against.
    pub(super) async fn after(
        chain: &ContractRpc,
        id: u64,
        block: u64,
    ) -> anyhow::Result<(State, Self)> {
        let state = State::read(chain, Some(block)).await?;
        let proposal = Self::read(chain, id, &state.at).await?;
        Ok((state, proposal))
    }

    /// One line of `cairn gov list`.
    fn line(&self, state: &State) -> String {
        let p = &self.info;
        format!(
            "#{}  {}  {}  {} yes {} no of {}  by {}  deadline {}  {}",
            p.id,
            self.kind,
            self.status,
            p.yes,
            p.no,
            p.organisations,
            state.organisation(p.proposerOrg),
            p.deadline,
            self.change(state)
        )
    }

    /// What `cairn gov show` prints.
    fn details(&self, state: &State) -> String {
        let p = &self.info;
        let mut out = String::new();
        let _ = writeln!(out, "proposal {}: {}", p.id, self.kind);
        let _ = writeln!(out, "  change    {}", self.change(state));
        let _ = writeln!(out, "  status    {}", self.standing(state));
        let _ = writeln!(
            out,
            "  proposed  by {} of {} at block {}",
            p.proposer,
            state.organisation(p.proposerOrg),
            p.createdHeight
        );
        let _ = writeln!(
            out,
            "  votes     {} yes, {} no of {} organisations ({} yes pass it)",
            p.yes,
            p.no,
            p.organisations,
            needed(p.organisations)
        );
        for vote in &p.votes {
            let _ = writeln!(
                out,
                "    {}: {} by {}",
                state.organisation(vote.org),
                if vote.support { "yes" } else { "no" },
                vote.voter
            );
        }
        let _ = writeln!(out, "  deadline  block {} (the last that may carry a vote)", p.deadline);
        let _ = writeln!(out, "  read at   block {}", state.block);
        out
    }

    /// Where the proposal stands, in a sentence: `passed at block 12; …`.
    pub(super) fn standing(&self, state: &State) -> String {
        let p = &self.info;
        match self.status {
            ProposalStatus::Open => format!(
                "open: {} yes, {} no of {} organisations ({} yes pass it); votes until block {}",
                p.yes,
                p.no,
                p.organisations,
                needed(p.organisations),
                p.deadline
            ),
            ProposalStatus::Passed => format!(
                "passed at block {} with {} yes of {} organisations; takes effect at the end of \
                 the epoch, in force from block {}",
                p.decidedHeight,
                p.yes,
                p.organisations,
                state.epoch_last + 1
            ),
            ProposalStatus::Rejected => format!(
                "rejected at block {} ({} no of {} organisations: two thirds can no longer say \
                 yes)",
                p.decidedHeight, p.no, p.organisations
            ),
            ProposalStatus::Expired => format!(
                "expired: voting ended at block {} with {} yes of {} organisations ({} needed)",
                p.deadline,
                p.yes,
                p.organisations,
                needed(p.organisations)
            ),
            ProposalStatus::Executed => format!(
                "executed at block {}: in force from block {}",
                p.decidedHeight, p.effectiveHeight
            ),
            ProposalStatus::Failed => format!(
                "failed at block {}: passed, but no longer applicable at the epoch's end: {}",
                p.decidedHeight,
                describe(&p.failure)
            ),
        }
    }

    /// What the proposal changes, in words.
    fn change(&self, state: &State) -> String {
        let p = &self.info;
        match self.kind {
            ProposalKind::AddOrganisation => {
                format!("add organisation {:?} with admins {}", p.name, addresses(&p.admins))
            }
            ProposalKind::RemoveOrganisation => {
                format!("remove {}", state.organisation(p.org))
            }
            ProposalKind::AddValidator => format!(
                "add validator with key {} and power {} to {}",
                p.data,
                p.value,
                state.organisation(p.org)
            ),
            ProposalKind::RemoveValidator => format!("remove validator {}", p.account),
            ProposalKind::AllowNode => {
                let role = if p.account.is_zero() {
                    "a full node".to_string()
                } else {
                    format!("consensus address {}", p.account)
                };
                format!(
                    "allow node {} ({role}) of {}",
                    peer_id_text(&p.data),
                    state.organisation(p.org)
                )
            }
            ProposalKind::RemoveNode => format!("remove node {}", peer_id_text(&p.data)),
            ProposalKind::SetParameter => {
                let name = Parameter::try_from(p.parameter)
                    .map_or_else(|_| format!("parameter {}", p.parameter), |p| p.to_string());
                format!("set {name} to {}", p.value)
            }
        }
    }
}

/// The yes votes that pass a proposal among `organisations`: at least two thirds.
fn needed(organisations: u32) -> u32 {
    (2 * organisations).div_ceil(3)
}

fn addresses(list: &[Address]) -> String {
    list.iter().map(Address::to_string).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{Bytes, address};
    use alloy_sol_types::SolError;

    fn state() -> State {
        State {
            block: 40,
            at: json!("0x28"),
            epoch_last: 49,
            names: BTreeMap::from([(1, "org1".to_string()), (2, "org2".to_string())]),
        }
    }

    fn proposal(kind: ProposalKind, status: ProposalStatus) -> Proposal {
        let info = Governance::ProposalInfo {
            id: 3,
            kind: 0,
            status: 0,
            proposerOrg: 1,
            proposer: address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
            createdHeight: 31,
            deadline: 51,
            decidedHeight: 35,
            effectiveHeight: 50,
            yes: 2,
            no: 0,
            organisations: 3,
            org: 2,
            account: Address::ZERO,
            value: 7,
            parameter: 1,
            name: String::new(),
            admins: Vec::new(),
            data: Bytes::new(),
            failure: Governance::LastValidator {}.abi_encode().into(),
            votes: vec![
                Governance::VoteRecord {
                    org: 1,
                    voter: address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
                    support: true,
                },
                Governance::VoteRecord {
                    org: 2,
                    voter: address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"),
                    support: true,
                },
            ],
        };
        Proposal { info, kind, status }
    }

    #[test]
    fn two_thirds_of_the_organisations_pass_a_proposal() {
        let needed: Vec<u32> = (1..=7).map(needed).collect();
        assert_eq!(needed, [1, 2, 2, 3, 4, 4, 5]);
    }

    #[test]
    fn a_proposal_reads_as_its_change_its_standing_and_its_votes() {
        let state = state();
        let passed = proposal(ProposalKind::SetParameter, ProposalStatus::Passed);
        assert_eq!(
            passed.standing(&state),
            "passed at block 35 with 2 yes of 3 organisations; takes effect at the end of the \
             epoch, in force from block 50"
        );
        assert_eq!(
            passed.line(&state),
            "#3  set-parameter  passed  2 yes 0 no of 3  by organisation 1 (org1)  deadline 51  \
             set block_time_ms to 7"
        );
        let executed = proposal(ProposalKind::AddValidator, ProposalStatus::Executed);
        let details = executed.details(&state);
        let expected = [
            "proposal 3: add-validator",
            "  change    add validator with key 0x and power 7 to organisation 2 (org2)",
            "  status    executed at block 35: in force from block 50",
            "  proposed  by 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 of organisation 1 (org1) \
             at block 31",
            "  votes     2 yes, 0 no of 3 organisations (2 yes pass it)",
            "    organisation 1 (org1): yes by 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
            "    organisation 2 (org2): yes by 0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
            "  deadline  block 51 (the last that may carry a vote)",
            "  read at   block 40",
        ];
        assert_eq!(details.lines().collect::<Vec<_>>(), expected);
        let failed = proposal(ProposalKind::RemoveValidator, ProposalStatus::Failed);
        assert!(
            failed.standing(&state).ends_with(
                "no longer applicable at the epoch's end: LastValidator(): the chain would be \
                 left without validators"
            ),
            "{}",
            failed.standing(&state)
        );
        let node = proposal(ProposalKind::RemoveOrganisation, ProposalStatus::Open);
        assert_eq!(node.change(&state), "remove organisation 2 (org2)");
        assert_eq!(
            node.standing(&state),
            "open: 2 yes, 0 no of 3 organisations (2 yes pass it); votes until block 51"
        );
    }
}
