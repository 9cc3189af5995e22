//! Proof of stake as the REST API shows it: `GET /v1/staking/delegations/{address}` and the
//! staking part of `GET /v1/validators`. Both ask the staking contract itself, through its
//! own views (the ABI of `cairn-staking`), run in the state after the block the answer reads,
//! so every figure is what `cast call` on that block would answer.

use std::collections::HashMap;

use alloy_primitives::{Address, Bytes, U256};
use axum::Json;
use axum::extract::State;
use cairn_primitives::{ChainSpec, ConsensusKind};
use cairn_reads::ServedNode;
use cairn_staking::{STAKING_ADDRESS, Staking, StakingError, ValidatorStatus};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::blocking::blocking;
use crate::contract_views::SystemContract;
use crate::error::ApiError;
use crate::extract::ApiPath;
use crate::params::parse_address;
use crate::state::AppState;
use crate::validators::{ValidatorView, ValidatorsView};

/// The staking contract, read through its views.
const STAKING: SystemContract = SystemContract {
    name: "staking",
    address: STAKING_ADDRESS,
    describe_revert: |output| StakingError::from_revert(output).to_string(),
};

/// One delegator's stake: its positions, its unbonding entries and their totals.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct DelegationsView {
    /// The delegator.
    #[schema(value_type = String)]
    pub(crate) delegator: Address,
    /// The block whose state answered (the head).
    pub(crate) height: u64,
    /// The staking contract's current epoch: the one the next block belongs to.
    pub(crate) epoch: u64,
    /// Its delegations, one per validator (at most 32).
    pub(crate) delegations: Vec<DelegationView>,
    /// Its unbonding entries (at most 32).
    pub(crate) unbonding: Vec<UnbondingView>,
    /// Wei bonded across its delegations.
    pub(crate) total_staked: String,
    /// Wei unbonding across its entries.
    pub(crate) total_unbonding: String,
    /// Reward wei it could claim now across its delegations (an operator's commission is not
    /// included: `commission_owed` in `/v1/validators`).
    pub(crate) total_pending_rewards: String,
}

/// Stake bonded to one validator.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct DelegationView {
    /// The validator's consensus address.
    #[schema(value_type = String)]
    pub(crate) validator: Address,
    /// Its shares of the validator's pool.
    pub(crate) shares: String,
    /// What those shares are worth now, in wei (less after a slash).
    pub(crate) stake: String,
    /// Reward wei claimable now (`claimRewards(validator)`).
    pub(crate) pending_rewards: String,
}

/// Stake leaving a validator, still slashable until it completes.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct UnbondingView {
    /// The validator it leaves.
    #[schema(value_type = String)]
    pub(crate) validator: Address,
    /// What it is worth now, in wei.
    pub(crate) amount: String,
    /// The epoch it started in.
    pub(crate) start_epoch: u64,
    /// The epoch from which `withdraw()` pays it.
    pub(crate) completion_epoch: u64,
    /// Whether `withdraw()` would pay it now.
    pub(crate) withdrawable: bool,
}

/// The staking contract's current epoch.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct EpochView {
    /// Its number: the epoch the next block belongs to.
    pub(crate) number: u64,
    /// Its first block.
    pub(crate) first_height: u64,
    /// Its last block, whose end chooses the next epoch's set.
    pub(crate) last_height: u64,
    /// Blocks per epoch (the spec's `epoch_length`).
    pub(crate) length: u64,
}

/// A member of a validator set.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct SetMemberView {
    /// Its consensus address.
    #[schema(value_type = String)]
    pub(crate) address: Address,
    /// Its consensus public key, 0x hex.
    #[schema(value_type = String)]
    pub(crate) public_key: Bytes,
    /// Its weight in every vote (stake / `power_reduction`).
    pub(crate) power: u64,
}

/// A registered validator as the staking contract records it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct CandidateView {
    /// Its consensus address.
    #[schema(value_type = String)]
    pub(crate) address: Address,
    /// Its consensus public key, 0x hex.
    #[schema(value_type = String)]
    pub(crate) public_key: Bytes,
    /// `candidate`, `active`, `jailed`, `tombstoned` or `unbonding`.
    #[schema(example = "candidate")]
    pub(crate) status: String,
    /// The account that controls it.
    #[schema(value_type = String)]
    pub(crate) operator: Address,
    /// Wei bonded to it, self-stake included.
    pub(crate) stake: String,
    /// Wei its operator bonded.
    pub(crate) self_stake: String,
    /// Its commission in basis points.
    pub(crate) commission_bps: u16,
    /// The commission from the next epoch on.
    pub(crate) pending_commission_bps: u16,
    /// The block until which it stays jailed (0 if it never was).
    pub(crate) jailed_until: u64,
    /// Blocks it missed in the current downtime window.
    pub(crate) missed_in_window: u64,
    /// Commission wei its operator could claim now.
    pub(crate) commission_owed: String,
}

/// `GET /v1/staking/delegations/{address}`: one delegator's delegations, unbonding entries and
/// pending rewards in the head state, read from the staking contract's `delegationsOf` and
/// `currentEpoch` views. Proof-of-stake chains only.
#[utoipa::path(
    get,
    path = "/v1/staking/delegations/{address}",
    tag = "staking",
    params(("address" = String, Path, description = "The delegator: 0x + 40 hex digits", pattern = "^0x[0-9a-fA-F]{40}$")),
    responses(
        (status = 200, description = "Its delegations, unbonding entries and pending rewards (empty lists if it never delegated)", body = DelegationsView),
        (status = 400, description = "Malformed address", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "This chain has no staking (`staking_unavailable`: its consensus is not proof of stake)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The store failed, or the staking contract did not answer", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many concurrent requests (retry after `Retry-After` seconds)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn get_delegations(
    State(state): State<AppState>,
    ApiPath(address): ApiPath<String>,
) -> Result<Json<DelegationsView>, ApiError> {
    let delegator = parse_address(&address)?;
    let node = state.node.clone();
    require_staking(node.spec())?;
    let view = blocking(move || {
        let height = node.view()?.heads()?.latest.number;
        let epoch = STAKING.view(node.as_ref(), height, Staking::currentEpochCall {})?;
        let held = STAKING.view(node.as_ref(), height, Staking::delegationsOfCall { delegator })?;
        let delegations: Vec<DelegationView> = held
            .positions
            .iter()
            .map(|p| DelegationView {
                validator: p.validator,
                shares: p.shares.to_string(),
                stake: p.stake.to_string(),
                pending_rewards: p.pendingRewards.to_string(),
            })
            .collect();
        let unbonding: Vec<UnbondingView> = held
            .entries
            .iter()
            .map(|e| UnbondingView {
                validator: e.validator,
                amount: e.amount.to_string(),
                start_epoch: e.startEpoch,
                completion_epoch: e.completionEpoch,
                withdrawable: e.withdrawable,
            })
            .collect();
        let sum = |values: &mut dyn Iterator<Item = U256>| {
            values.fold(U256::ZERO, U256::saturating_add).to_string()
        };
        Ok(DelegationsView {
            delegator,
            height,
            epoch,
            total_staked: sum(&mut held.positions.iter().map(|p| p.stake)),
            total_unbonding: sum(&mut held.entries.iter().map(|e| e.amount)),
            total_pending_rewards: sum(&mut held.positions.iter().map(|p| p.pendingRewards)),
            delegations,
            unbonding,
        })
    })
    .await?;
    Ok(Json(view))
}

/// Adds to `/v1/validators` what the staking contract knows, in the state after block
/// `height`: the epoch, the next block's set, the set `endEpoch` would choose now, each
/// member's staking record and the registered validators outside the set. Leaves other
/// chains' answer as it is.
pub(crate) fn add_staking(
    node: &dyn ServedNode,
    height: u64,
    view: &mut ValidatorsView,
) -> Result<(), ApiError> {
    let spec = node.spec();
    if spec.consensus != ConsensusKind::Pos {
        return Ok(());
    }
    let listed = STAKING.view(node, height, Staking::listValidatorsCall {})?;
    let active = STAKING.view(node, height, Staking::activeSetCall {})?;
    let projected = STAKING.view(node, height, Staking::projectedSetCall {})?;
    let by_address: HashMap<Address, &Staking::ValidatorInfo> =
        listed.iter().map(|info| (info.validator, info)).collect();
    let members = |set: &[Staking::SetMember]| -> Vec<SetMemberView> {
        set.iter()
            .map(|m| SetMemberView {
                address: m.validator,
                public_key: by_address
                    .get(&m.validator)
                    .map(|info| info.publicKey.clone())
                    .unwrap_or_default(),
                power: m.power,
            })
            .collect()
    };
    for validator in &mut view.validators {
        if let Some(info) = by_address.get(&validator.address) {
            add_record(validator, info)?;
        }
    }
    let length = spec.epoch_length.unwrap_or(1).max(1);
    let first_height = active.epoch.saturating_mul(length).saturating_add(1);
    view.epoch = Some(EpochView {
        number: active.epoch,
        first_height,
        last_height: first_height.saturating_add(length - 1),
        length,
    });
    view.next_validators = Some(members(&active.members));
    view.projected_next_set = Some(members(&projected));
    view.candidates = Some(
        listed.iter().filter(|info| info.power == 0).map(candidate).collect::<Result<_, _>>()?,
    );
    Ok(())
}

/// A set member's staking record, beside what consensus says of it.
fn add_record(
    validator: &mut ValidatorView,
    info: &Staking::ValidatorInfo,
) -> Result<(), ApiError> {
    validator.status = Some(status(info.status)?);
    validator.operator = Some(info.operator);
    validator.stake = Some(info.totalStake.to_string());
    validator.self_stake = Some(info.selfStake.to_string());
    validator.commission_bps = Some(info.commissionBps);
    validator.pending_commission_bps = Some(info.pendingCommissionBps);
    validator.jailed_until = Some(info.jailedUntil);
    validator.missed_in_window = Some(info.missedInWindow);
    validator.commission_owed = Some(info.commissionOwed.to_string());
    Ok(())
}

fn candidate(info: &Staking::ValidatorInfo) -> Result<CandidateView, ApiError> {
    Ok(CandidateView {
        address: info.validator,
        public_key: info.publicKey.clone(),
        status: status(info.status)?,
        operator: info.operator,
        stake: info.totalStake.to_string(),
        self_stake: info.selfStake.to_string(),
        commission_bps: info.commissionBps,
        pending_commission_bps: info.pendingCommissionBps,
        jailed_until: info.jailedUntil,
        missed_in_window: info.missedInWindow,
        commission_owed: info.commissionOwed.to_string(),
    })
}

fn status(status: u8) -> Result<String, ApiError> {
    ValidatorStatus::try_from(status)
        .map(|s| s.as_str().to_string())
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// Refuses chains whose consensus has no staking contract.
fn require_staking(spec: &ChainSpec) -> Result<(), ApiError> {
    let kind = match spec.consensus {
        ConsensusKind::Pos => return Ok(()),
        ConsensusKind::Dev => "dev",
        ConsensusKind::Bft => "bft",
        ConsensusKind::Pow => "pow",
    };
    Err(ApiError::StakingUnavailable(kind))
}
