//! `POST /v1/audit` and `GET /v1/audit/{id}`: the check `cairn verify` runs, as a background
//! job whose progress and result can be polled. One audit runs at a time; the newest
//! [`MAX_KEPT_JOBS`] are kept (in memory: a restart forgets them).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cairn_node::audit::VerifyProgress;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ApiError;
use crate::auth::{Authorized, scope};
use crate::extract::ApiPath;
use crate::reads::NodeReads;
use crate::server::AppState;

/// Finished jobs kept for polling; the oldest finished one is forgotten first.
pub(crate) const MAX_KEPT_JOBS: usize = 32;

/// Where an audit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum AuditState {
    /// Still re-checking blocks.
    Running,
    /// Every block and the final state verified.
    Passed,
    /// Something stored differs from re-execution; see `failure`.
    Failed,
}

/// What a passed audit verified.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct AuditReport {
    /// Height of the newest block checked.
    pub(crate) height: u64,
    /// Blocks checked (genesis excluded).
    pub(crate) blocks: u64,
    /// Transactions checked.
    pub(crate) transactions: u64,
    /// State root at `height`.
    #[schema(value_type = String)]
    pub(crate) state_root: alloy_primitives::B256,
}

/// The first thing a failed audit found wrong.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct AuditFailure {
    /// The first bad height.
    pub(crate) height: u64,
    /// What differs.
    pub(crate) reason: String,
}

/// An audit job: progress while it runs, then its report or its failure.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct AuditJob {
    /// Job id, to poll `GET /v1/audit/{id}` with.
    pub(crate) id: String,
    /// `running`, `passed` or `failed`.
    pub(crate) state: AuditState,
    /// Blocks re-checked so far.
    pub(crate) checked_blocks: u64,
    /// Blocks to check (the head height when the audit started).
    pub(crate) total_blocks: u64,
    /// When it started (seconds since the Unix epoch).
    pub(crate) started_at: u64,
    /// When it finished; null while running.
    pub(crate) finished_at: Option<u64>,
    /// What was verified, once passed.
    pub(crate) report: Option<AuditReport>,
    /// What was found wrong, once failed.
    pub(crate) failure: Option<AuditFailure>,
}

/// The jobs kept, oldest first.
#[derive(Debug, Default)]
pub(crate) struct AuditJobs {
    jobs: Mutex<(u64, VecDeque<AuditJob>)>,
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl AuditJobs {
    fn lock(&self) -> MutexGuard<'_, (u64, VecDeque<AuditJob>)> {
        self.jobs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn get(&self, id: &str) -> Option<AuditJob> {
        self.lock().1.iter().find(|job| job.id == id).cloned()
    }

    fn update(&self, id: &str, change: impl FnOnce(&mut AuditJob)) {
        if let Some(job) = self.lock().1.iter_mut().find(|job| job.id == id) {
            change(job);
        }
    }

    /// Records a new running job, unless one is running already.
    fn begin(&self) -> Result<AuditJob, ApiError> {
        let mut guard = self.lock();
        let (next_id, jobs) = &mut *guard;
        if let Some(running) = jobs.iter().find(|job| job.state == AuditState::Running) {
            return Err(ApiError::AuditRunning(running.id.clone()));
        }
        *next_id += 1;
        let job = AuditJob {
            id: next_id.to_string(),
            state: AuditState::Running,
            checked_blocks: 0,
            total_blocks: 0,
            started_at: now(),
            finished_at: None,
            report: None,
            failure: None,
        };
        jobs.push_back(job.clone());
        while jobs.len() > MAX_KEPT_JOBS {
            let Some(oldest) = jobs.iter().position(|job| job.state != AuditState::Running) else {
                break;
            };
            jobs.remove(oldest);
        }
        Ok(job)
    }
}

/// Runs the audit on the blocking pool, recording progress and the outcome in `jobs`.
fn run(node: Arc<dyn NodeReads>, jobs: Arc<AuditJobs>, id: String) {
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
        (status = 409, description = "An audit is already running (`detail` names it)", body = crate::Problem, content_type = "application/problem+json"),
        (status = 500, description = "A worker failed", body = crate::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many concurrent requests (retry after `Retry-After` seconds)", body = crate::Problem, content_type = "application/problem+json"),
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
        (status = 404, description = "No such job (or forgotten: only the newest 32 are kept, and none across restarts)", body = crate::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many concurrent requests (retry after `Retry-After` seconds)", body = crate::Problem, content_type = "application/problem+json"),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_job_runs_at_a_time_and_only_the_newest_are_kept() {
        let jobs = AuditJobs::default();
        let first = jobs.begin().expect("first");
        assert!(matches!(jobs.begin(), Err(ApiError::AuditRunning(id)) if id == first.id));
        for _ in 0..MAX_KEPT_JOBS + 5 {
            let id = jobs.lock().1.back().map(|job| job.id.clone()).expect("a job");
            jobs.update(&id, |job| job.state = AuditState::Passed);
            jobs.begin().expect("after the previous finished");
        }
        assert_eq!(jobs.lock().1.len(), MAX_KEPT_JOBS);
        assert!(jobs.get(&first.id).is_none(), "the oldest is forgotten");
        let newest = (MAX_KEPT_JOBS + 6).to_string();
        assert_eq!(jobs.get(&newest).map(|job| job.state), Some(AuditState::Running));
    }
}
