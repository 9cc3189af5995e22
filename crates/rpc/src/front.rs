//! What every HTTP request meets before jsonrpsee: its transport marked for the middleware,
//! the body read within its size limit and deadline, requests whose `id` no JSON-RPC answer
//! could carry refused, and each WebSocket watched for idleness.
//!
//! ```text
//!  request (from cairn_http: Peer, body with a deadline)
//!    ├─ WebSocket upgrade ─► Transport::WebSocket(activity) + idle watcher ─► jsonrpsee
//!    └─ POST JSON ─► body read whole (413 over the limit, 408 past the deadline)
//!                  ─► every `id` a string, an unsigned integer or null? else -32600
//!                  ─► Transport::Http ─► jsonrpsee
//! ```
//!
//! jsonrpsee reads a request whose `id` it cannot represent (an object, `1e999999`, `-1`)
//! as a notification and answers nothing at all; this answers it with an error instead.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use cairn_http::{BodyTimeout, Peer, RequestBody};
use http_body_util::{BodyExt as _, Full, LengthLimitError, Limited};
use hyper::{Request, StatusCode};
use jsonrpsee::server::http::{content_type_is_json, response};
use jsonrpsee::server::{HttpBody, HttpResponse, StopHandle, TowerServiceBuilder, ws};
use jsonrpsee::types::error::ErrorCode;
use jsonrpsee::types::{ErrorObjectOwned, Id, Response, ResponsePayload};
use serde_json::value::RawValue;
use tower::Service;

use crate::transport::{Activity, Transport, close_when_idle};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The service `cairn_http::serve` runs for the JSON-RPC listener.
#[derive(Clone)]
pub(crate) struct Front<L> {
    pub(crate) builder: TowerServiceBuilder<L, tower::layer::util::Identity>,
    pub(crate) methods: jsonrpsee::Methods,
    pub(crate) stop: StopHandle,
    pub(crate) max_request_body: u32,
    pub(crate) ws_idle_timeout: Duration,
}

impl<L> Service<Request<RequestBody>> for Front<L>
where
    L: Clone + Send + Sync + 'static,
    jsonrpsee::server::TowerService<L, tower::layer::util::Identity>: Service<Request<RequestBody>, Response = HttpResponse, Error = BoxError, Future: Send>
        + Service<Request<Full<Bytes>>, Response = HttpResponse, Error = BoxError, Future: Send>,
{
    type Response = HttpResponse;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: Request<RequestBody>) -> Self::Future {
        let mut rpc = self.builder.clone().build(self.methods.clone(), self.stop.clone());
        if ws::is_upgrade_request(&request) {
            let activity = Activity::new();
            if let Some(peer) = request.extensions().get::<Peer>().cloned() {
                tokio::spawn(close_when_idle(peer, activity.clone(), self.ws_idle_timeout));
            }
            request.extensions_mut().insert(Transport::WebSocket(activity));
            return Box::pin(rpc.call(request));
        }
        request.extensions_mut().insert(Transport::Http);
        if request.method() != hyper::Method::POST || !content_type_is_json(&request) {
            // jsonrpsee answers these (405, 415) without reading the body.
            return Box::pin(rpc.call(request));
        }
        let limit = self.max_request_body;
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let body = match Limited::new(body, limit as usize).collect().await {
                Ok(body) => body.to_bytes(),
                Err(e) => return Ok(unread(&e, limit)),
            };
            if let Some(entry) = unanswerable_id(&body) {
                return Ok(invalid_id(entry));
            }
            rpc.call(Request::from_parts(parts, Full::new(body))).await
        })
    }
}

/// The answer to a body that could not be read whole.
fn unread(error: &BoxError, limit: u32) -> HttpResponse {
    if error.is::<LengthLimitError>() {
        return response::too_large(limit);
    }
    if let Some(timeout) = error.downcast_ref::<BodyTimeout>() {
        let error = ErrorObjectOwned::owned(
            ErrorCode::InvalidRequest.code(),
            timeout.to_string(),
            None::<()>,
        );
        return answer(StatusCode::REQUEST_TIMEOUT, error);
    }
    response::malformed()
}

/// Which entry of a request (`None` for a single request, the index in a batch) has an `id`
/// that no answer could echo, if one has.
fn unanswerable_id(body: &[u8]) -> Option<Option<usize>> {
    let answerable = |call: &RawValue| {
        #[derive(serde::Deserialize)]
        struct Probe<'a> {
            #[serde(borrow)]
            id: Option<&'a RawValue>,
        }
        match serde_json::from_str::<Probe<'_>>(call.get()) {
            Ok(Probe { id: Some(id) }) => serde_json::from_str::<Id<'_>>(id.get()).is_ok(),
            // No id (a notification), or not an object: jsonrpsee explains the rest.
            _ => true,
        }
    };
    let whole: &RawValue = serde_json::from_slice(body).ok()?;
    match serde_json::from_str::<Vec<&RawValue>>(whole.get()) {
        Ok(batch) => batch.iter().position(|call| !answerable(call)).map(Some),
        Err(_) => (!answerable(whole)).then_some(None),
    }
}

/// The -32600 answer to a request whose `id` cannot be echoed.
fn invalid_id(entry: Option<usize>) -> HttpResponse {
    let which = match entry {
        None => "the request's".to_string(),
        Some(index) => format!("batch entry {index}'s"),
    };
    let message =
        format!("invalid request: {which} id must be a string, an unsigned integer or null");
    let error = ErrorObjectOwned::owned(ErrorCode::InvalidRequest.code(), message, None::<()>);
    answer(StatusCode::OK, error)
}

/// A JSON-RPC error answer with id null.
fn answer(status: StatusCode, error: ErrorObjectOwned) -> HttpResponse {
    let body = Response::new(ResponsePayload::<()>::error(error), Id::Null);
    let text = serde_json::to_string(&body).unwrap_or_default();
    let mut answer = response::ok_response(HttpBody::from(text));
    *answer.status_mut() = status;
    answer
}

/// The answer to a connection over a limit: 429 with a JSON-RPC error naming the limit.
pub(crate) fn refuse(refused: &cairn_http::SlotRefused) -> hyper::Response<Full<Bytes>> {
    let message = format!("too many connections: {refused}; close one or retry later");
    let error = ErrorObjectOwned::owned(crate::error::LIMIT_EXCEEDED, message, None::<()>);
    let body = Response::new(ResponsePayload::<()>::error(error), Id::Null);
    let text = serde_json::to_string(&body).unwrap_or_default();
    let mut answer = hyper::Response::new(Full::new(Bytes::from(text)));
    *answer.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    answer.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_no_answer_could_carry_are_found() {
        let find = |text: &str| unanswerable_id(text.as_bytes());
        assert_eq!(find(r#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}"#), None);
        assert_eq!(find(r#"{"jsonrpc":"2.0","id":"a","method":"eth_chainId"}"#), None);
        assert_eq!(find(r#"{"jsonrpc":"2.0","id":null,"method":"eth_chainId"}"#), None);
        assert_eq!(find(r#"{"jsonrpc":"2.0","method":"eth_chainId"}"#), None, "notification");
        assert_eq!(find(r#"{"jsonrpc":"2.0","id":{},"method":"eth_chainId"}"#), Some(None));
        assert_eq!(find(r#"{"jsonrpc":"2.0","id":[1],"method":"eth_chainId"}"#), Some(None));
        assert_eq!(find(r#"{"jsonrpc":"2.0","id":1e999999,"method":"eth_chainId"}"#), Some(None));
        assert_eq!(find(r#"{"jsonrpc":"2.0","id":-1,"method":"eth_chainId"}"#), Some(None));
        assert_eq!(find(r#"{"jsonrpc":"2.0","id":1.5,"method":"eth_chainId"}"#), Some(None));
        assert_eq!(find(r#"{"jsonrpc":"2.0","id":true,"method":"eth_chainId"}"#), Some(None));
        let batch =
            r#"[{"jsonrpc":"2.0","id":1,"method":"a"},5,{"jsonrpc":"2.0","id":{},"method":"b"}]"#;
        assert_eq!(find(batch), Some(Some(2)));
        assert_eq!(find("not json"), None, "a parse error is jsonrpsee's to answer");
    }
}
