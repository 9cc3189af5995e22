//! The checks every call passes before its handler: the transport it needs
//! ([`crate::transport`]), the positional parameters its method reads ([`crate::arity`]), and a
//! concurrency permit (a request beyond the limit is refused at once, not queued behind slow
//! ones). One middleware, so a call and each call of a batch are checked alike.

use std::future::Future;
use std::sync::Arc;

use jsonrpsee::MethodResponse;
use jsonrpsee::server::middleware::rpc::{
    Batch, BatchEntry, BatchEntryErr, Notification, Request, RpcServiceT,
};
use jsonrpsee::types::{ErrorObjectOwned, Id};
use tokio::sync::Semaphore;

use crate::arity;
use crate::error::limit_exceeded;
use crate::transport::{self, Transport};

/// Why `request` is refused before its handler runs, if it is; a call on a WebSocket counts as
/// that connection's activity either way.
fn refusal(request: &Request<'_>) -> Option<ErrorObjectOwned> {
    let transport = request.extensions().get::<Transport>();
    transport::touch(transport);
    transport::refusal(request.method_name(), transport)
        .or_else(|| arity::check(request.method_name(), &request.params()))
}

const BUSY: &str = "too many concurrent requests; retry shortly";

/// The middleware: answers a refused call with its error instead of calling the service; a
/// request (a call, or a whole batch) holds one of `permits` while it runs.
#[derive(Clone)]
pub(crate) struct Screen<S> {
    pub(crate) service: S,
    pub(crate) permits: Arc<Semaphore>,
}

impl<S> RpcServiceT for Screen<S>
where
    S: RpcServiceT<MethodResponse = MethodResponse, BatchResponse = MethodResponse>
        + Clone
        + Send
        + Sync
        + 'static,
{
    type MethodResponse = S::MethodResponse;
    type NotificationResponse = S::NotificationResponse;
    type BatchResponse = S::BatchResponse;

    fn call<'a>(
        &self,
        request: Request<'a>,
    ) -> impl Future<Output = Self::MethodResponse> + Send + 'a {
        let service = self.service.clone();
        let permits = self.permits.clone();
        async move {
            if let Some(error) = refusal(&request) {
                return MethodResponse::error(request.id, error);
            }
            match permits.try_acquire_owned() {
                Ok(_permit) => service.call(request).await,
                Err(_) => MethodResponse::error(request.id, limit_exceeded(BUSY)),
            }
        }
    }

    fn batch<'a>(
        &self,
        mut batch: Batch<'a>,
    ) -> impl Future<Output = Self::BatchResponse> + Send + 'a {
        for entry in batch.iter_mut() {
            let Ok(BatchEntry::Call(request)) = entry else { continue };
            if let Some(error) = refusal(request) {
                *entry = Err(BatchEntryErr::new(request.id.clone().into_owned(), error));
            }
        }
        let service = self.service.clone();
        let permit = self.permits.clone().try_acquire_owned();
        async move {
            match permit {
                Ok(_permit) => service.batch(batch).await,
                Err(_) => MethodResponse::error(Id::Null, limit_exceeded(BUSY)),
            }
        }
    }

    fn notification<'a>(
        &self,
        notification: Notification<'a>,
    ) -> impl Future<Output = Self::NotificationResponse> + Send + 'a {
        transport::touch(notification.extensions().get::<Transport>());
        self.service.notification(notification)
    }
}
