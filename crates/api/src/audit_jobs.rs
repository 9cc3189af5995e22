//! The audits the server ran or runs: kept in memory (a restart forgets them), the newest
//! [`MAX_KEPT_JOBS`] of them.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;

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

/// Seconds since the Unix epoch, for the jobs' times.
pub(crate) fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl AuditJobs {
    fn lock(&self) -> MutexGuard<'_, (u64, VecDeque<AuditJob>)> {
        self.jobs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn get(&self, id: &str) -> Option<AuditJob> {
        self.lock().1.iter().find(|job| job.id == id).cloned()
    }

    pub(crate) fn update(&self, id: &str, change: impl FnOnce(&mut AuditJob)) {
        if let Some(job) = self.lock().1.iter_mut().find(|job| job.id == id) {
            change(job);
        }
    }

    /// Records a new running job, unless one is running already.
    pub(crate) fn begin(&self) -> Result<AuditJob, ApiError> {
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
