//! `POST /v1/audit` and `GET /v1/audit/{id}`: the check `cairn verify` runs, as a background
//! job whose progress and result can be polled. One audit runs at a time; the newest
//! [`MAX_KEPT_JOBS`](crate::audit_jobs::MAX_KEPT_JOBS) are kept (in memory: a restart forgets them).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cairn_reads::{ServedNode, VerifyProgress};

use crate::audit_jobs::{AuditFailure, AuditJob, AuditJobs, AuditReport, AuditState, now};
use crate::auth::{Authorized, scope};
use crate::error::ApiError;
use crate::extract::ApiPath;
use crate::state::AppState;

/// Runs the audit on the blocking pool, recording progress and the outcome in `jobs`.
fn run(node: Arc<dyn ServedNode>, jobs: Arc<AuditJobs>, id: String) {
    let worker_jobs = jobs.clone();
    let worker_id = id.clone();
    let worker = tokio::task::spawn_blocking(move || {
        node.verify(&mut |VerifyProgress { checked, total }| {
            worker_jobs.update(&worker_id, |job| {
                job.checked_blocks = checked;
                job.total_blocks = total;
            });
        })
    });
    tokio::spawn(async move {
        let outcome = worker.await;
        jobs.update(&id, |job| {
            job.finished_at = Some(now());
            match outcome {
                Ok(Ok(report)) => {
                    job.state = AuditState::Passed;
                    job.report = Some(AuditReport {
                        height: report.height,
                        blocks: report.blocks,
                        transactions: report.transactions,
                        state_root: report.state_root,
                    });
                }
                Ok(Err(failure)) => {
                    job.state = AuditState::Failed;
                    job.failure =
                        Some(AuditFailure { height: failure.height, reason: failure.what });
                }
                Err(e) => {
                    job.state = AuditState::Failed;
                    job.failure = Some(AuditFailure {
                        height: job.checked_blocks,
                        reason: format!("the audit worker stopped: {e}"),
                    });
                }
            }
        });
    });
}

/// Starts re-checking the whole chain in the background, as `cairn verify` does: hash links,
/// indexes, signatures, re-execution of every block and the final state.
#[utoipa::path(
    post,
    path = "/v1/audit",
    tag = "audit",
    security(("bearer" = ["audit:admin"])),
    responses(
        (status = 202, description = "Started; poll the job (also named by the `Location` header)", body = AuditJob,
            headers(("Location" = String, description = "The job's URL"))),
        (status = 409, description = "An audit is already running (`detail` names it)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 500, description = "A worker failed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many concurrent requests (retry after `Retry-After` seconds)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn start_audit(
    State(state): State<AppState>,
    admin: Authorized<scope::AuditAdmin>,
) -> Result<Response, ApiError> {
    let job = state.audits.begin()?;
    tracing::info!(key = %admin.key_id, job = %job.id, "audit started");
    run(state.node.clone(), state.audits.clone(), job.id.clone());
    let mut response = (StatusCode::ACCEPTED, Json(job.clone())).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/v1/audit/{}", job.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// An audit job's progress and, once finished, its result.
#[utoipa::path(
    get,
    path = "/v1/audit/{id}",
    tag = "audit",
    security(("bearer" = ["audit:admin"])),
    params(("id" = String, Path, description = "The job id `POST /v1/audit` returned", pattern = "^[0-9]{1,20}$")),
    responses(
        (status = 200, description = "The job", body = AuditJob),
        (status = 404, description = "No such job (or forgotten: only the newest 32 are kept, and none across restarts)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many concurrent requests (retry after `Retry-After` seconds)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn get_audit(
    State(state): State<AppState>,
    _admin: Authorized<scope::AuditAdmin>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<AuditJob>, ApiError> {
    let short: String = id.chars().take(24).collect();
    state.audits.get(&id).map(Json).ok_or(ApiError::AuditNotFound(short))
}
