//! `GET /v1/validators`: who decides the chain, how much each signed lately, and who lied.

use std::collections::HashSet;

use alloy_primitives::{Address, Bytes};
use axum::Json;
use axum::extract::State;
use cairn_consensus::Equivocation;
use cairn_primitives::ConsensusKind;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::blocking::blocking;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::staking::{CandidateView, EpochView, SetMemberView, add_staking};
use crate::state::AppState;

/// Blocks examined for signing activity unless the request asks otherwise.
const DEFAULT_WINDOW: u64 = 100;
/// Most blocks one request examines.
const MAX_WINDOW: u64 = 1_000;

/// `?window=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct WindowQuery {
    /// How many of the newest blocks to examine for signatures, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    window: Option<u64>,
}

/// The validator set and its recent record.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub(crate) struct ValidatorsView {
    /// How blocks are agreed: `dev`, `bft`, `pos` or `pow`.
    #[schema(value_type = String, example = "bft")]
    pub(crate) consensus: ConsensusKind,
    /// The newest block examined.
    pub(crate) height: u64,
    /// How many blocks were examined (the newest ones, genesis excluded).
    pub(crate) window: u64,
    /// The voting power of the whole set.
    pub(crate) total_power: u64,
    /// Every validator, in the set's order.
    pub(crate) validators: Vec<ValidatorView>,
    /// Equivocations this node has seen, oldest first.
    pub(crate) evidence: Vec<EvidenceView>,
    /// Proof of stake: the staking contract's current epoch (the next block's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) epoch: Option<EpochView>,
    /// Proof of stake: the set of the next block, from the staking contract (it differs from
    /// `validators` after an epoch's last block).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) next_validators: Option<Vec<SetMemberView>>,
    /// Proof of stake: the set the epoch's end would choose if it ended now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) projected_next_set: Option<Vec<SetMemberView>>,
    /// Proof of stake: registered validators outside the staking contract's current set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) candidates: Option<Vec<CandidateView>>,
}

/// One validator.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub(crate) struct ValidatorView {
    /// Its name in the chain spec; null if the spec gives none.
    pub(crate) name: Option<String>,
    /// The address its signatures recover to.
    #[schema(value_type = String)]
    pub(crate) address: Address,
    /// Its consensus public key (SEC1 compressed), 0x hex; null on a dev chain.
    #[schema(value_type = Option<String>)]
    pub(crate) public_key: Option<Bytes>,
    /// Its weight in every vote.
    pub(crate) power: u64,
    /// The newest examined block it vouched for; null if none in the window.
    pub(crate) last_signed_block: Option<u64>,
    /// Examined blocks it did not vouch for.
    pub(crate) missed_blocks: u64,
    /// Proof of stake: `candidate`, `active`, `jailed`, `tombstoned` or `unbonding`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "active")]
    pub(crate) status: Option<String>,
    /// Proof of stake: the account that controls it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub(crate) operator: Option<Address>,
    /// Proof of stake: wei bonded to it, self-stake included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) stake: Option<String>,
    /// Proof of stake: wei its operator bonded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) self_stake: Option<String>,
    /// Proof of stake: its commission in basis points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) commission_bps: Option<u16>,
    /// Proof of stake: its commission from the next epoch on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pending_commission_bps: Option<u16>,
    /// Proof of stake: the block until which it stays jailed (0 if it never was).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) jailed_until: Option<u64>,
    /// Proof of stake: blocks it missed in the current downtime window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) missed_in_window: Option<u64>,
    /// Proof of stake: commission wei its operator could claim now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) commission_owed: Option<String>,
}

/// Two conflicting signed messages from one validator for one height and round.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct EvidenceView {
    /// The height decided when it was found.
    pub(crate) height: u64,
    /// The round of both messages.
    pub(crate) round: i64,
    /// Who signed both.
    #[schema(value_type = String)]
    pub(crate) validator: Address,
    /// `prevote`, `precommit` or `proposal`.
    pub(crate) kind: String,
    /// What the first message named: a block hash or `nil`.
    pub(crate) first: String,
    /// Its signature, 0x hex.
    pub(crate) first_signature: String,
    /// What the conflicting message named.
    pub(crate) second: String,
    /// Its signature, 0x hex.
    pub(crate) second_signature: String,
}

/// The typed record in the strings this endpoint has always served.
impl From<Equivocation> for EvidenceView {
    fn from(e: Equivocation) -> Self {
        Self {
            height: e.height,
            round: i64::from(e.round),
            validator: e.validator,
            kind: e.kind.to_string(),
            first: e.first.to_string(),
            first_signature: e.first_signature.to_string(),
            second: e.second.to_string(),
            second_signature: e.second_signature.to_string(),
        }
    }
}

/// The validator set with each member's voting power, the newest block it signed and the blocks
/// it missed among the newest `window`, plus any equivocation evidence. On a proof-of-stake
/// chain also the staking contract's epoch, next and projected sets, each member's staking
/// record and the candidates outside the set.
#[utoipa::path(
    get,
    path = "/v1/validators",
    tag = "node",
    params(WindowQuery),
    responses(
        (status = 200, description = "The validator set and its recent record", body = ValidatorsView),
        (status = 400, description = "Bad `window`", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The store failed, or on a proof-of-stake chain the staking contract did not answer", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many concurrent requests (retry after `Retry-After` seconds)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn list_validators(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<WindowQuery>,
) -> Result<Json<ValidatorsView>, ApiError> {
    let window = match query.window {
        None => DEFAULT_WINDOW,
        Some(w) if (1..=MAX_WINDOW).contains(&w) => w,
        Some(w) => {
            return Err(ApiError::InvalidQuery(format!(
                "window must be between 1 and {MAX_WINDOW}, got {w}"
            )));
        }
    };
    let node = state.node.clone();
    let view = blocking(move || {
        let chain = node.view()?;
        let head = chain.heads()?.latest.number;
        let lowest = head.saturating_sub(window - 1).max(1);
        // Each block is judged against the set of its own height, read from the same view
        // as the block: a validator misses only the blocks it was a member for.
        let mut signed = Vec::new();
        for number in (lowest..=head).rev() {
            let header =
                chain.header(number)?.ok_or(ApiError::BlockNotFound(number.to_string()))?;
            let signers: HashSet<Address> =
                node.consensus().signers(&header)?.into_iter().collect();
            let members: HashSet<Address> = node
                .consensus()
                .validators(chain.as_ref(), number)?
                .into_iter()
                .map(|v| v.address)
                .collect();
            signed.push((number, signers, members));
        }
        let spec = node.spec();
        let validators: Vec<ValidatorView> = node
            .consensus()
            .validators(chain.as_ref(), head)?
            .into_iter()
            .map(|v| {
                let named = spec.validators.iter().find(|g| g.address == v.address);
                let member = signed.iter().filter(|(_, _, m)| m.contains(&v.address));
                let mine = member.clone().filter(|(_, s, _)| s.contains(&v.address));
                ValidatorView {
                    name: named.map(|g| g.name.clone()).filter(|n| !n.is_empty()),
                    address: v.address,
                    public_key: named.map(|g| g.public_key.clone()),
                    power: v.power,
                    last_signed_block: mine.clone().map(|(n, _, _)| *n).next(),
                    missed_blocks: (member.count() - mine.count()) as u64,
                    ..ValidatorView::default()
                }
            })
            .collect();
        let mut view = ValidatorsView {
            consensus: spec.consensus,
            height: head,
            window: signed.len() as u64,
            total_power: validators.iter().map(|v| v.power).sum(),
            validators,
            evidence: node.consensus().evidence().into_iter().map(EvidenceView::from).collect(),
            ..ValidatorsView::default()
        };
        add_staking(node.as_ref(), head, &mut view)?;
        Ok(view)
    })
    .await?;
    Ok(Json(view))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Evidence log lines as written before the record was typed; the view must serve them
    /// exactly as before (the same fields, spellings and order).
    const OLD_LINES: [&str; 2] = [
        r#"{"height":7,"round":1,"validator":"0x4a62316623ad457f02cdc5d997ded67a383ec569","kind":"precommit","first":"nil","first_signature":"0x6d04a03bb3f38a9e301abf428e47c1c67c866969052905bb52ac7ac32f0c577263023fc1094c2fefffc9de071d33a3d58cb731185766b673b8dc04bc04b49d3b","second":"0x0202020202020202020202020202020202020202020202020202020202020202","second_signature":"0xf315f6ae2a7a85ebe324c5f1cc4e1c95e431dda70f6039c62f4174f7bd7349bb79f232dd63f386110ce1ec8300d91158d5f7c205622d441eb92fb84d0aa7b476"}"#,
        r#"{"height":7,"round":1,"validator":"0x4a62316623ad457f02cdc5d997ded67a383ec569","kind":"proposal","first":"0x0303030303030303030303030303030303030303030303030303030303030303","first_signature":"0x194c333a8b857474af49a0aa4f388014f9c38c1ef9717894e00772d1993eee0b281ad1872af89a299be798312451a625023a25bff5a3044617efcc018badd882","second":"0x0404040404040404040404040404040404040404040404040404040404040404","second_signature":"0x64153f2bfd9dc5a54c43e79da0c3f2525e8ee1abab7ca99fd298706ef8ad8d88147d57c0acf20a2995cd40f7f341db3b29333d73363d1deffc7881771b00cedf"}"#,
    ];

    #[test]
    fn evidence_is_served_exactly_as_before_the_record_was_typed() {
        for line in OLD_LINES {
            let typed: Equivocation = serde_json::from_str(line).expect("parse");
            let view = EvidenceView::from(typed);
            assert_eq!(serde_json::to_string(&view).expect("json"), line);
        }
    }
}
