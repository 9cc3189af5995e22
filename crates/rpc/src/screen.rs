//! The checks every call passes before it takes a concurrency permit and reaches its handler:
//! the transport it needs ([`crate::transport`]) and the positional parameters its method reads
//! ([`crate::arity`]). One middleware, so a call and each call of a batch are checked alike.

use std::future::Future;

use jsonrpsee::MethodResponse;
use jsonrpsee::server::middleware::rpc::{
    Batch, BatchEntry, BatchEntryErr, Notification, Request, RpcServiceT,
};
use jsonrpsee::types::ErrorObjectOwned;

use crate::arity;
use crate::transport::{self, Transport};

/// Why `request` is refused before its handler runs, if it is; a call on a WebSocket counts as
/// that connection's activity either way.
fn refusal(request: &Request<'_>) -> Option<ErrorObjectOwned> {
    let transport = request.extensions().get::<Transport>();
    transport::touch(transport);
    transport::refusal(request.method_name(), transport)
        .or_else(|| arity::check(request.method_name(), &request.params()))
}

/// The middleware: answers a refused call with its error instead of calling the service.
#[derive(Clone)]
pub(crate) struct Screen<S> {
    pub(crate) service: S,
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
        async move {
            match refusal(&request) {
                Some(error) => MethodResponse::error(request.id, error),
                None => service.call(request).await,
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
        self.service.batch(batch)
    }

    fn notification<'a>(
        &self,
        notification: Notification<'a>,
    ) -> impl Future<Output = Self::NotificationResponse> + Send + 'a {
        transport::touch(notification.extensions().get::<Transport>());
        self.service.notification(notification)
    }
}
