//! `eth_sendRawTransaction` off the async runtime and in batches.
//!
//! ```text
//!  batch [send, send, call, send …] ─► Admission: raw bytes of every send
//!      ─► spawn_blocking: TxSubmitter::submit_raw_batch (senders recovered in parallel, one pool lock)
//!      ─► each send's verdict in its request's extensions ─► handlers answer from it
//! ```
//!
//! jsonrpsee runs the calls of a batch one after another, so without this layer a batch of
//! 500 transactions would recover 500 signatures in a row on one runtime thread. A lone call
//! takes the same path with a batch of one, keeping signature recovery off the runtime.

use std::future::Future;
use std::sync::Arc;

use alloy_primitives::{B256, Bytes};
use cairn_reads::{Origin, ServedNode};
use jsonrpsee::server::middleware::rpc::{
    Batch, BatchEntry, MethodResponse, Notification, Request, RpcServiceT,
};
use jsonrpsee::types::Params;

use crate::error::{node_error, server_error};
use crate::params::{Args, RpcResult};

/// The method this layer admits ahead of its handler.
pub(crate) const SEND_RAW: &str = "eth_sendRawTransaction";

/// A transaction's admission verdict, left in its request's extensions for the
/// `eth_sendRawTransaction` handler to answer with.
#[derive(Debug, Clone)]
pub(crate) struct Admitted(pub(crate) RpcResult<B256>);

/// The raw transaction of an `eth_sendRawTransaction` call.
pub(crate) fn raw_transaction(params: &Params<'_>) -> RpcResult<Bytes> {
    Args::new(params).next()
}

/// The middleware: admits the transactions of a request or batch together before the calls
/// run.
pub(crate) struct Admission<S> {
    pub(crate) service: S,
    pub(crate) node: Arc<dyn ServedNode>,
}

impl<S: Clone> Clone for Admission<S> {
    fn clone(&self) -> Self {
        Self { service: self.service.clone(), node: self.node.clone() }
    }
}

impl<S> RpcServiceT for Admission<S>
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
        mut request: Request<'a>,
    ) -> impl Future<Output = Self::MethodResponse> + Send + 'a {
        let service = self.service.clone();
        let node = self.node.clone();
        async move {
            if let Some(raw) = sent(&request) {
                let mut verdicts = admit(node, vec![raw]).await;
                if let Some(verdict) = verdicts.pop() {
                    request.extensions_mut().insert(Admitted(verdict));
                }
            }
            service.call(request).await
        }
    }

    fn batch<'a>(
        &self,
        mut batch: Batch<'a>,
    ) -> impl Future<Output = Self::BatchResponse> + Send + 'a {
        let service = self.service.clone();
        let node = self.node.clone();
        async move {
            let (positions, raws): (Vec<usize>, Vec<Bytes>) = batch
                .iter()
                .enumerate()
                .filter_map(|(position, entry)| match entry {
                    Ok(BatchEntry::Call(request)) => sent(request).map(|raw| (position, raw)),
                    _ => None,
                })
                .unzip();
            if !raws.is_empty() {
                let mut verdicts = positions.into_iter().zip(admit(node, raws).await).peekable();
                for (position, entry) in batch.iter_mut().enumerate() {
                    let Ok(BatchEntry::Call(request)) = entry else { continue };
                    if let Some((_, verdict)) = verdicts.next_if(|(at, _)| *at == position) {
                        request.extensions_mut().insert(Admitted(verdict));
                    }
                }
            }
            service.batch(batch).await
        }
    }

    fn notification<'a>(
        &self,
        notification: Notification<'a>,
    ) -> impl Future<Output = Self::NotificationResponse> + Send + 'a {
        self.service.notification(notification)
    }
}

/// The raw transaction of a well-formed `eth_sendRawTransaction` request; a malformed one is
/// left to its handler, which explains what is wrong.
fn sent(request: &Request<'_>) -> Option<Bytes> {
    if request.method_name() != SEND_RAW {
        return None;
    }
    raw_transaction(&request.params()).ok()
}

/// Admits `raws` on the blocking pool; one verdict per transaction, in order.
async fn admit(node: Arc<dyn ServedNode>, raws: Vec<Bytes>) -> Vec<RpcResult<B256>> {
    let count = raws.len();
    match tokio::task::spawn_blocking(move || node.submit_raw_batch(&raws, Origin::Local)).await {
        Ok(Ok(verdicts)) => {
            verdicts.into_iter().map(|verdict| verdict.map_err(|e| node_error(e.into()))).collect()
        }
        Ok(Err(e)) => vec![Err(node_error(e)); count],
        Err(e) => vec![Err(server_error(format!("transaction admission failed: {e}"))); count],
    }
}
