//! axum's extractors with their rejections turned into problem documents.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use cairn_http::BodyTimeout;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::state::AppState;

/// Path parameters; a malformed one is a 400 `invalid_path`.
pub(crate) struct ApiPath<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|path| Self(path.0))
            .map_err(|e: PathRejection| ApiError::InvalidPath(e.body_text()))
    }
}

/// Query parameters; a malformed one is a 400 `invalid_query`.
pub(crate) struct ApiQuery<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|query| Self(query.0))
            .map_err(|e: QueryRejection| ApiError::InvalidQuery(e.body_text()))
    }
}

/// A JSON body: another media type is a 415, a body over the limit a 413, anything else
/// wrong a 400 `invalid_body`.
pub(crate) struct ApiJson<T>(pub(crate) T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let limit = state.max_body;
        axum::Json::<T>::from_request(request, state).await.map(|json| Self(json.0)).map_err(
            |e: JsonRejection| match e {
                JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType,
                e if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    ApiError::BodyTooLarge { limit }
                }
                e => match body_timeout(&e) {
                    Some(timeout) => ApiError::BodyTimeout { seconds: timeout.limit.as_secs_f64() },
                    None => ApiError::InvalidBody(e.body_text()),
                },
            },
        )
    }
}

/// The body deadline that cut a body short, if one did (it is somewhere in the error's causes).
fn body_timeout(error: &(dyn std::error::Error + 'static)) -> Option<BodyTimeout> {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if let Some(timeout) = error.downcast_ref::<BodyTimeout>() {
            return Some(*timeout);
        }
        cause = error.source();
    }
    None
}
