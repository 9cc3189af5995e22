//! Governance of private and consortium networks as the REST API shows it:
//! `/v1/governance/organisations`, `/v1/governance/proposals` (and one by id) and
//! `/v1/governance/permissions/{address}`. Every answer asks the governance contract itself,
//! through its own views (the ABI of `cairn-governance`), in the state after the head block, so
//! it is what `cast call` on that block would answer and what the node enforces there.

use alloy_primitives::{Address, Bytes};
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use cairn_governance::{
    GOVERNANCE_ADDRESS, Governance, GovernanceError, Parameter, ProposalKind, ProposalStatus,
    describe_refusal,
};
use cairn_network::PeerId;
use cairn_reads::ServedNode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::blocking::blocking;
use crate::contract_views::SystemContract;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use crate::page::{CursorKind, PageQuery, encode, paged};
use crate::params::parse_address;
use crate::state::AppState;

/// The governance contract, read through its views.
const GOVERNANCE: SystemContract = SystemContract {
    name: "governance",
    address: GOVERNANCE_ADDRESS,
    describe_revert: |output| GovernanceError::from_revert(output).to_string(),
};

/// Most proposals one filtered `/v1/governance/proposals` request inspects: each is one view
/// call, so a filter that matches rarely answers a short page with a `next` cursor instead of
/// scanning the whole history in one request.
const MAX_INSPECTED: u64 = 1_000;

/// The organisations governing the chain, with the epoch and parameters in force.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct OrganisationsView {
    /// The block whose state answered (the head).
    pub(crate) height: u64,
    /// The governance contract's current epoch.
    pub(crate) epoch: GovernanceEpochView,
    /// The governable chain parameters in force.
    pub(crate) params: ParamsView,
    /// Every existing organisation, ascending by id.
    pub(crate) organisations: Vec<OrganisationView>,
}

/// The governance contract's current epoch: passed proposals take effect after its last block.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct GovernanceEpochView {
    /// Its number: the epoch the next block belongs to.
    pub(crate) number: u64,
    /// Its first block.
    pub(crate) first_height: u64,
    /// Its last block, whose end applies the passed proposals.
    pub(crate) last_height: u64,
    /// Blocks per epoch (governable, so it may differ from the spec's).
    pub(crate) length: u64,
}

/// The governable chain parameters in force.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ParamsView {
    /// Gas limit of every block.
    pub(crate) gas_limit: u64,
    /// Target milliseconds between blocks.
    pub(crate) block_time_ms: u64,
    /// Blocks per epoch.
    pub(crate) epoch_length: u64,
    /// Blocks a proposal collects votes for.
    pub(crate) voting_period_blocks: u64,
    /// Only members may send transactions.
    pub(crate) permission_accounts: bool,
    /// Only allowed nodes may connect.
    pub(crate) permission_nodes: bool,
    /// Only deployers (and admins) may create contracts.
    pub(crate) permission_deployers: bool,
}

/// One organisation with its accounts, nodes and validators.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct OrganisationView {
    /// Its id (never reused).
    pub(crate) id: u32,
    /// Its unique name.
    pub(crate) name: String,
    /// Its admin accounts: they vote, propose and manage its members.
    #[schema(value_type = Vec<String>)]
    pub(crate) admins: Vec<Address>,
    /// Its member accounts.
    pub(crate) members: Vec<MemberView>,
    /// Its nodes.
    pub(crate) nodes: Vec<NodeView>,
    /// Its validators in the set in force.
    pub(crate) validators: Vec<GovernedValidatorView>,
}

/// A member account.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct MemberView {
    /// The account.
    #[schema(value_type = String)]
    pub(crate) account: Address,
    /// Whether it may create contracts when deployer permissioning is on.
    pub(crate) deployer: bool,
}

/// A node allowed to connect.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct NodeView {
    /// Its libp2p peer id, base58 as logs show it (0x hex if the bytes are no peer id).
    pub(crate) peer_id: String,
    /// The consensus address it validates with; null for a full node.
    #[schema(value_type = Option<String>)]
    pub(crate) consensus_address: Option<Address>,
}

/// A validator in the set in force.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct GovernedValidatorView {
    /// Its consensus address.
    #[schema(value_type = String)]
    pub(crate) address: Address,
    /// Its consensus public key, 0x hex.
    #[schema(value_type = String)]
    pub(crate) public_key: Bytes,
    /// Its weight in every vote.
    pub(crate) power: u64,
}

/// A page of proposals, newest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ProposalPage {
    /// The block whose state answered (the head).
    pub(crate) height: u64,
    /// The proposals, newest first (with `status`, possibly fewer than `limit`).
    pub(crate) items: Vec<ProposalView>,
    /// Cursor of the next page; null on the last.
    pub(crate) next: Option<String>,
}

/// One proposal as the contract records it, with its votes.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ProposalView {
    /// The block whose state answered (the head).
    pub(crate) height: u64,
    /// Its id: proposals are numbered from 1 in the order they were made.
    pub(crate) id: u64,
    /// `add-organisation`, `remove-organisation`, `add-validator`, `remove-validator`,
    /// `allow-node`, `remove-node` or `set-parameter`.
    #[schema(example = "add-validator")]
    pub(crate) kind: String,
    /// `open`, `passed` (waits for the epoch's end), `rejected`, `expired`, `executed` or
    /// `failed` (passed, but no longer applicable at the epoch's end).
    #[schema(example = "open")]
    pub(crate) status: String,
    /// The admin who proposed it.
    #[schema(value_type = String)]
    pub(crate) proposer: Address,
    /// The proposer's organisation (its yes vote is cast with the proposal).
    pub(crate) proposer_organisation: u32,
    /// The block that created it.
    pub(crate) created_height: u64,
    /// The last block that may carry a vote.
    pub(crate) deadline: u64,
    /// The block at which it passed, was rejected, expired or failed; null while open.
    pub(crate) decided_height: Option<u64>,
    /// The first block it is in force at; null unless executed.
    pub(crate) effective_height: Option<u64>,
    /// Organisations that voted yes.
    pub(crate) yes: u32,
    /// Organisations that voted no.
    pub(crate) no: u32,
    /// Organisations that exist now: more than two thirds of them must vote yes.
    pub(crate) organisations: u32,
    /// Its votes, in the order they were cast.
    pub(crate) votes: Vec<VoteView>,
    /// The organisation it adds a validator or node to, or removes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) organisation: Option<u32>,
    /// The name of the organisation it adds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    /// The first admins of the organisation it adds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<String>>)]
    pub(crate) admins: Option<Vec<Address>>,
    /// The validator it removes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub(crate) validator: Option<Address>,
    /// The consensus key of the validator it adds, 0x hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub(crate) public_key: Option<Bytes>,
    /// The power of the validator it adds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) power: Option<u64>,
    /// The node it allows or removes (base58 libp2p peer id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) peer_id: Option<String>,
    /// The consensus address of the node it allows; null for a full node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub(crate) consensus_address: Option<Option<Address>>,
    /// The parameter it sets (`gas_limit`, `block_time_ms`, `epoch_length`,
    /// `voting_period_blocks`, `permission_accounts`, `permission_nodes`,
    /// `permission_deployers`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) parameter: Option<String>,
    /// The value it sets the parameter to (switches: 0 off, 1 on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) value: Option<u64>,
    /// Why it could not be applied (`failed` only): the contract's error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) failure: Option<String>,
}

/// One organisation's vote.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct VoteView {
    /// The organisation.
    pub(crate) organisation: u32,
    /// The admin who cast it.
    #[schema(value_type = String)]
    pub(crate) voter: Address,
    /// Yes or no.
    pub(crate) support: bool,
}

/// What an account may do on the chain, as the node enforces it at the next block.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct PermissionsView {
    /// The account.
    #[schema(value_type = String)]
    pub(crate) address: Address,
    /// The block whose state answered (the head).
    pub(crate) height: u64,
    /// Its organisation; null if it belongs to none.
    pub(crate) organisation: Option<OrganisationRef>,
    /// `admin`, `member` or `none`.
    #[schema(example = "member")]
    pub(crate) role: String,
    /// Whether its organisation marked it a deployer.
    pub(crate) deployer: bool,
    /// Whether it may send transactions.
    pub(crate) can_transact: bool,
    /// Whether it may create contracts.
    pub(crate) can_deploy: bool,
    /// Whether only members may send transactions.
    pub(crate) permission_accounts: bool,
    /// Whether only deployers (and admins) may create contracts.
    pub(crate) permission_deployers: bool,
}

/// An organisation by id and name.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct OrganisationRef {
    /// Its id.
    pub(crate) id: u32,
    /// Its name.
    pub(crate) name: String,
}

/// `GET /v1/governance/proposals` query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProposalsQuery {
    /// Only proposals with this status (`open`, `passed`, `rejected`, `expired`, `executed`,
    /// `failed`); at most 1,000 proposals are inspected per request, so a page may be short
    /// and still have a `next` cursor.
    #[param(pattern = "^(open|passed|rejected|expired|executed|failed)$")]
    status: Option<String>,
    /// Items per page, 1 to 100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u64>,
    /// The `next` cursor of the previous page.
    #[param(max_length = 128, pattern = "^[A-Za-z0-9_-]+$")]
    cursor: Option<String>,
}

/// `GET /v1/governance/organisations`: every organisation with its admins, members, nodes and
/// validators, and the epoch and parameters in force, from the governance contract's
/// `organisationIds`, `organisation`, `currentEpoch`, `epochStart` and `params` views.
#[utoipa::path(
    get,
    path = "/v1/governance/organisations",
    tag = "governance",
    responses(
        (status = 200, description = "The organisations, epoch and parameters at the head", body = OrganisationsView),
        (status = 404, description = "This chain is not governed (`governance_unavailable`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The store failed, or the governance contract did not answer", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many concurrent requests (retry after `Retry-After` seconds)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn list_organisations(
    State(state): State<AppState>,
) -> Result<Json<OrganisationsView>, ApiError> {
    let node = require_governance(&state)?;
    let view = blocking(move || {
        let node = node.as_ref();
        let height = head(node)?;
        let params = GOVERNANCE.view(node, height, Governance::paramsCall {})?;
        let number = GOVERNANCE.view(node, height, Governance::currentEpochCall {})?;
        let first_height =
            GOVERNANCE.view(node, height, Governance::epochStartCall { epoch: number })?;
        let length = params.epochLength.max(1);
        let epoch = GovernanceEpochView {
            number,
            first_height,
            last_height: first_height.saturating_add(length - 1),
            length,
        };
        let organisations = GOVERNANCE
            .view(node, height, Governance::organisationIdsCall {})?
            .into_iter()
            .map(|org| {
                let info = GOVERNANCE.view(node, height, Governance::organisationCall { org })?;
                Ok(organisation_view(info))
            })
            .collect::<Result<_, ApiError>>()?;
        Ok(OrganisationsView { height, epoch, params: params_view(&params), organisations })
    })
    .await?;
    Ok(Json(view))
}

/// `GET /v1/governance/proposals`: proposals newest first, with their votes; the cursor is
/// the id of the next proposal to look at, so pages stay put while new proposals arrive.
#[utoipa::path(
    get,
    path = "/v1/governance/proposals",
    tag = "governance",
    params(ProposalsQuery),
    responses(
        (status = 200, description = "A page of proposals, newest first; a `Link: <…>; rel=\"next\"` header names the next page", body = ProposalPage,
            headers(("Link" = String, description = "RFC 8288 link to the next page"))),
        (status = 400, description = "Bad `status`, `limit` or `cursor`", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "This chain is not governed (`governance_unavailable`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The store failed, or the governance contract did not answer", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many concurrent requests (retry after `Retry-After` seconds)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn list_proposals(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ProposalsQuery>,
) -> Result<Response, ApiError> {
    let node = require_governance(&state)?;
    let status = query.status.as_deref().map(parse_status).transpose()?;
    let page_query = PageQuery::new(query.limit, query.cursor.clone());
    let limit = page_query.limit()?;
    let cursor = page_query.position(CursorKind::Proposals)?;
    let page = blocking(move || {
        let node = node.as_ref();
        let height = head(node)?;
        let count = GOVERNANCE.view(node, height, Governance::proposalCountCall {})?;
        let start = match cursor {
            // Ids are never reused or removed, so every cursor this list issued stays in range.
            Some(id) if (1..=count).contains(&id) => id,
            Some(_) => return Err(ApiError::InvalidCursor),
            None => count,
        };
        let budget = if status.is_some() { MAX_INSPECTED } else { limit };
        let mut items = Vec::new();
        let mut id = start;
        while id >= 1 && items.len() < limit as usize && start - id < budget {
            let info = GOVERNANCE.view(node, height, Governance::proposalCall { id })?;
            let view = proposal_view(height, info)?;
            if status.is_none_or(|status| view.status == status.as_str()) {
                items.push(view);
            }
            id -= 1;
        }
        let next = (id >= 1).then(|| encode(CursorKind::Proposals, id));
        Ok(ProposalPage { height, items, next })
    })
    .await?;
    let path = match status {
        Some(status) => format!("/v1/governance/proposals?status={status}"),
        None => "/v1/governance/proposals".to_string(),
    };
    let next = page.next.clone();
    Ok(paged(&path, limit, next.as_deref(), page))
}

/// `GET /v1/governance/proposals/{id}`: one proposal with its votes.
#[utoipa::path(
    get,
    path = "/v1/governance/proposals/{id}",
    tag = "governance",
    params(("id" = String, Path, description = "The proposal's id: a decimal number from 1", pattern = "^[0-9]{1,20}$")),
    responses(
        (status = 200, description = "The proposal", body = ProposalView),
        (status = 400, description = "Malformed id", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such proposal (`proposal_not_found`), or this chain is not governed (`governance_unavailable`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The store failed, or the governance contract did not answer", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many concurrent requests (retry after `Retry-After` seconds)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn get_proposal(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ProposalView>, ApiError> {
    let node = require_governance(&state)?;
    let id = parse_id(&id)?;
    let view = blocking(move || {
        let node = node.as_ref();
        let height = head(node)?;
        let count = GOVERNANCE.view(node, height, Governance::proposalCountCall {})?;
        if !(1..=count).contains(&id) {
            return Err(ApiError::ProposalNotFound(id));
        }
        proposal_view(height, GOVERNANCE.view(node, height, Governance::proposalCall { id })?)
    })
    .await?;
    Ok(Json(view))
}

/// `GET /v1/governance/permissions/{address}`: the account's organisation and role, and
/// whether it may transact and deploy, from the contract's `accountInfo`, `canTransact` and
/// `canDeploy` (the rules the node enforces on the next block).
#[utoipa::path(
    get,
    path = "/v1/governance/permissions/{address}",
    tag = "governance",
    params(("address" = String, Path, description = "The account: 0x + 40 hex digits", pattern = "^0x[0-9a-fA-F]{40}$")),
    responses(
        (status = 200, description = "What the account may do", body = PermissionsView),
        (status = 400, description = "Malformed address", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "This chain is not governed (`governance_unavailable`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The store failed, or the governance contract did not answer", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many concurrent requests (retry after `Retry-After` seconds)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn get_permissions(
    State(state): State<AppState>,
    ApiPath(address): ApiPath<String>,
) -> Result<Json<PermissionsView>, ApiError> {
    let node = require_governance(&state)?;
    let account = parse_address(&address)?;
    let view = blocking(move || {
        let node = node.as_ref();
        let height = head(node)?;
        let info = GOVERNANCE.view(node, height, Governance::accountInfoCall { account })?;
        let organisation = match info.org {
            0 => None,
            org => {
                let name =
                    GOVERNANCE.view(node, height, Governance::organisationCall { org })?.name;
                Some(OrganisationRef { id: org, name })
            }
        };
        let role = match info.role {
            0 => "none",
            1 => "admin",
            2 => "member",
            other => return Err(ApiError::Internal(format!("unknown governance role {other}"))),
        };
        let params = GOVERNANCE.view(node, height, Governance::paramsCall {})?;
        Ok(PermissionsView {
            address: account,
            height,
            organisation,
            role: role.to_string(),
            deployer: info.deployer,
            can_transact: GOVERNANCE.view(node, height, Governance::canTransactCall { account })?,
            can_deploy: GOVERNANCE.view(node, height, Governance::canDeployCall { account })?,
            permission_accounts: params.permissionAccounts,
            permission_deployers: params.permissionDeployers,
        })
    })
    .await?;
    Ok(Json(view))
}

/// The node, if its chain is governed: the contract exists from genesis exactly when the spec
/// has `[governance]`.
fn require_governance(state: &AppState) -> Result<std::sync::Arc<dyn ServedNode>, ApiError> {
    if state.node.spec().governance.is_none() {
        return Err(ApiError::GovernanceUnavailable);
    }
    Ok(state.node.clone())
}

fn head(node: &dyn ServedNode) -> Result<u64, ApiError> {
    Ok(node.view()?.heads()?.latest.number)
}

fn parse_status(text: &str) -> Result<ProposalStatus, ApiError> {
    (0..=u8::MAX)
        .map_while(|n| ProposalStatus::try_from(n).ok())
        .find(|status| status.as_str() == text)
        .ok_or_else(|| {
            ApiError::InvalidQuery(format!(
                "status must be open, passed, rejected, expired, executed or failed, got {:?}",
                text.chars().take(80).collect::<String>()
            ))
        })
}

fn parse_id(text: &str) -> Result<u64, ApiError> {
    match text.parse::<u64>() {
        Ok(id) if text.bytes().all(|b| b.is_ascii_digit()) => Ok(id),
        _ => Err(ApiError::InvalidPath(format!(
            "a proposal id is a decimal number, got {:?}",
            text.chars().take(80).collect::<String>()
        ))),
    }
}

fn params_view(params: &Governance::Params) -> ParamsView {
    ParamsView {
        gas_limit: params.gasLimit,
        block_time_ms: params.blockTimeMs,
        epoch_length: params.epochLength,
        voting_period_blocks: params.votingPeriodBlocks,
        permission_accounts: params.permissionAccounts,
        permission_nodes: params.permissionNodes,
        permission_deployers: params.permissionDeployers,
    }
}

fn organisation_view(info: Governance::OrganisationInfo) -> OrganisationView {
    OrganisationView {
        id: info.id,
        name: info.name,
        admins: info.admins,
        members: info
            .members
            .into_iter()
            .map(|m| MemberView { account: m.account, deployer: m.deployer })
            .collect(),
        nodes: info
            .nodes
            .into_iter()
            .map(|n| NodeView {
                peer_id: peer_id(&n.peerId),
                consensus_address: non_zero(n.consensusAddress),
            })
            .collect(),
        validators: info
            .validators
            .into_iter()
            .map(|v| GovernedValidatorView {
                address: v.validator,
                public_key: v.publicKey,
                power: v.power,
            })
            .collect(),
    }
}

/// The proposal's common fields, and those its kind uses.
fn proposal_view(height: u64, info: Governance::ProposalInfo) -> Result<ProposalView, ApiError> {
    let unknown = |e: GovernanceError| ApiError::Internal(e.to_string());
    let kind = ProposalKind::try_from(info.kind).map_err(unknown)?;
    let status = ProposalStatus::try_from(info.status).map_err(unknown)?;
    let mut view = ProposalView {
        height,
        id: info.id,
        kind: kind.as_str().to_string(),
        status: status.as_str().to_string(),
        proposer: info.proposer,
        proposer_organisation: info.proposerOrg,
        created_height: info.createdHeight,
        deadline: info.deadline,
        decided_height: (info.decidedHeight != 0).then_some(info.decidedHeight),
        effective_height: (status == ProposalStatus::Executed).then_some(info.effectiveHeight),
        yes: info.yes,
        no: info.no,
        organisations: info.organisations,
        votes: info
            .votes
            .into_iter()
            .map(|v| VoteView { organisation: v.org, voter: v.voter, support: v.support })
            .collect(),
        organisation: None,
        name: None,
        admins: None,
        validator: None,
        public_key: None,
        power: None,
        peer_id: None,
        consensus_address: None,
        parameter: None,
        value: None,
        failure: (status == ProposalStatus::Failed).then(|| failure(info.failure)),
    };
    match kind {
        ProposalKind::AddOrganisation => {
            view.name = Some(info.name);
            view.admins = Some(info.admins);
        }
        ProposalKind::RemoveOrganisation => view.organisation = Some(info.org),
        ProposalKind::AddValidator => {
            view.organisation = Some(info.org);
            view.public_key = Some(info.data);
            view.power = Some(info.value);
        }
        ProposalKind::RemoveValidator => view.validator = Some(info.account),
        ProposalKind::AllowNode => {
            view.organisation = Some(info.org);
            view.peer_id = Some(peer_id(&info.data));
            view.consensus_address = Some(non_zero(info.account));
        }
        ProposalKind::RemoveNode => view.peer_id = Some(peer_id(&info.data)),
        ProposalKind::SetParameter => {
            let parameter = Parameter::try_from(info.parameter).map_err(unknown)?;
            view.parameter = Some(parameter.as_str().to_string());
            view.value = Some(info.value);
        }
    }
    Ok(view)
}

/// A failed proposal's reason: the contract's custom error as text.
fn failure(data: Bytes) -> String {
    match GovernanceError::from_revert(data) {
        GovernanceError::Refused(error) => describe_refusal(&error),
        other => other.to_string(),
    }
}

/// A peer id as logs and `cairn gov` show it (base58); bytes that are no peer id as 0x hex.
fn peer_id(bytes: &Bytes) -> String {
    PeerId::from_bytes(bytes).map(|id| id.to_base58()).unwrap_or_else(|_| bytes.to_string())
}

/// The contract writes the zero address for "none".
fn non_zero(address: Address) -> Option<Address> {
    (!address.is_zero()).then_some(address)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_ids_parse_strictly() {
        assert_eq!(parse_status("executed").ok(), Some(ProposalStatus::Executed));
        assert_eq!(parse_status("open").ok(), Some(ProposalStatus::Open));
        for bad in ["", "Open", "closed", "open "] {
            assert!(parse_status(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_id("7").ok(), Some(7));
        for bad in ["", "+7", "-7", "7.0", "0x7", "18446744073709551616"] {
            assert!(parse_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn peer_ids_read_as_base58_and_other_bytes_as_hex() {
        let id = cairn_network::Keypair::generate_ed25519().public().to_peer_id();
        assert_eq!(peer_id(&Bytes::from(id.to_bytes())), id.to_base58());
        assert_eq!(peer_id(&Bytes::from_static(&[0xff, 0x01])), "0xff01");
    }
}
