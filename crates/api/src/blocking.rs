//! Running store reads off the async workers.

use crate::error::ApiError;

/// Runs a store read on the blocking pool, so a slow one never stalls the connections served
/// beside it.
pub(crate) async fn blocking<T: Send + 'static>(
    read: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(read)
        .await
        .map_err(|e| ApiError::Internal(format!("read task failed: {e}")))?
}
