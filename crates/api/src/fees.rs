//! `GET /v1/fees`.

use axum::Json;
use axum::extract::State;

use crate::blocking::blocking;
use crate::error::ApiError;
use crate::model::Fees;
use crate::state::AppState;

/// The fees to offer for a transaction now.
#[utoipa::path(
    get,
    path = "/v1/fees",
    tag = "node",
    responses(
        (status = 200, description = "Suggested tip and gas price, and the base fees they rest on", body = Fees),
        (status = 500, description = "The store failed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many concurrent requests (retry after `Retry-After` seconds)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn fees(State(state): State<AppState>) -> Result<Json<Fees>, ApiError> {
    let node = state.node.clone();
    let fees = blocking(move || {
        let suggestion = node.fee_suggestion()?;
        Ok(Fees {
            block_number: suggestion.block_number,
            base_fee_per_gas: suggestion.latest_base_fee.to_string(),
            next_base_fee_per_gas: suggestion.next_base_fee.to_string(),
            max_priority_fee_per_gas: suggestion.tip.to_string(),
            gas_price: suggestion.gas_price.to_string(),
        })
    })
    .await?;
    Ok(Json(fees))
}
