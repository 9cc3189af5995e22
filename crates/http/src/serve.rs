//! The accept loop and the connections it serves; see the crate documentation.

use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::{Service, ServiceExt as _};

use crate::TlsConfig;
use crate::body::RequestBody;
use crate::slots::{Slot, SlotRefused, Slots};
use crate::watched::Watched;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How long the loop waits after a failed accept (out of file descriptors) before the next.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Refused connections answered at once; beyond it they are closed unanswered, so refusing
/// costs a bounded amount however many connections a client opens.
const MAX_REFUSING: usize = 64;

/// How a listener serves its clients.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// TLS, if the listener serves HTTPS.
    pub tls: Option<TlsConfig>,
    /// Most connections open at once.
    pub max_connections: usize,
    /// Most connections one client address (an IPv6 client by its /64) holds at once.
    pub max_connections_per_client: usize,
    /// How long a client may take to send a request's headers (and, on an idle keep-alive
    /// connection, to start the next request), and to finish the TLS handshake.
    pub header_timeout: Duration,
    /// How long a client may take to send a request's whole body, from its headers on.
    pub body_timeout: Duration,
}

/// The connection a request came on, in every request's extensions.
#[derive(Debug, Clone)]
pub struct Peer {
    /// The client's address and port.
    pub addr: SocketAddr,
    /// Whether the connection is TLS.
    pub tls: bool,
    close: CancellationToken,
    gone: CancellationToken,
}

impl Peer {
    /// The address limits are kept for; see [`client_address`].
    pub fn client(&self) -> IpAddr {
        client_address(self.addr.ip())
    }

    /// Closes the connection now, an upgraded one (a WebSocket) too.
    pub fn close(&self) {
        self.close.cancel();
    }

    /// Resolves once the connection's socket is gone.
    pub async fn closed(&self) {
        self.gone.cancelled().await;
    }
}

/// The address a client's limits are kept for: its IP, an IPv4-mapped IPv6 address as the
/// IPv4 address, and any other IPv6 address by its /64 (one host usually holds a whole /64).
pub fn client_address(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        },
        v4 => v4,
    }
}

/// Serves `listener` until `shutdown` resolves, then lets requests in flight finish (upgraded
/// connections are left to their own tasks) and returns. Every request reaches `service` with
/// a [`Peer`] in its extensions and a [`RequestBody`]; a connection over a limit gets one
/// answer made by `refuse` and is closed.
pub async fn serve<S, B>(
    listener: TcpListener,
    config: ServeConfig,
    service: S,
    refuse: fn(&SlotRefused) -> Response<Full<Bytes>>,
    shutdown: impl Future<Output = ()>,
) where
    S: Service<Request<RequestBody>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let slots = Slots::new(config.max_connections, config.max_connections_per_client);
    let refusing = Arc::new(Semaphore::new(MAX_REFUSING));
    let tls = config.tls.clone().map(TlsAcceptor::from);
    let stopping = CancellationToken::new();
    let tracker = TaskTracker::new();
    tokio::pin!(shutdown);
    loop {
        let (socket, addr) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        let _ = socket.set_nodelay(true);
        let slot = match slots.try_take(client_address(addr.ip())) {
            Ok(slot) => Ok(slot),
            Err(refused) => match refusing.clone().try_acquire_owned() {
                Ok(permit) => Err((refused, permit)),
                Err(_) => continue,
            },
        };
        let connection = Connection { config: config.clone(), addr, stopping: stopping.clone() };
        tracker.spawn(connection.run(socket, tls.clone(), slot, service.clone(), refuse));
    }
    stopping.cancel();
    tracker.close();
    tracker.wait().await;
}

/// What a connection's task knows.
struct Connection {
    config: ServeConfig,
    addr: SocketAddr,
    stopping: CancellationToken,
}

/// A connection's slot, or why it has none (and the permit to say so).
type Admission = Result<Slot<IpAddr>, (SlotRefused, tokio::sync::OwnedSemaphorePermit)>;

impl Connection {
    async fn run<S, B>(
        self,
        socket: TcpStream,
        tls: Option<TlsAcceptor>,
        slot: Admission,
        service: S,
        refuse: fn(&SlotRefused) -> Response<Full<Bytes>>,
    ) where
        S: Service<Request<RequestBody>, Response = Response<B>> + Clone + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let Some(acceptor) = tls else {
            return self.http(socket, false, slot, service, refuse).await;
        };
        match tokio::time::timeout(self.config.header_timeout, acceptor.accept(socket)).await {
            Ok(Ok(stream)) => self.http(stream, true, slot, service, refuse).await,
            Ok(Err(e)) => tracing::debug!(peer = %self.addr, error = %e, "TLS handshake failed"),
            Err(_) => tracing::debug!(peer = %self.addr, "TLS handshake timed out"),
        }
    }

    async fn http<T, S, B>(
        self,
        io: T,
        tls: bool,
        slot: Admission,
        service: S,
        refuse: fn(&SlotRefused) -> Response<Full<Bytes>>,
    ) where
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
        S: Service<Request<RequestBody>, Response = Response<B>> + Clone + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let (close, gone) = (CancellationToken::new(), CancellationToken::new());
        let peer = Peer { addr: self.addr, tls, close: close.clone(), gone: gone.clone() };
        let mut builder = http1::Builder::new();
        builder.timer(TokioTimer::new()).header_read_timeout(self.config.header_timeout);
        let (slot, refused) = match slot {
            Ok(slot) => (Some(slot), None),
            Err(refused) => (None, Some(refused)),
        };
        let io = TokioIo::new(Watched::new(io, close, gone.drop_guard(), slot));
        if let Some((refused, _permit)) = refused {
            tracing::debug!(peer = %self.addr, %refused, "connection refused");
            let answer = service_fn(move |_: Request<Incoming>| async move {
                Ok::<_, Infallible>(refuse(&refused))
            });
            let _ = builder.keep_alive(false).serve_connection(io, answer).await;
            return;
        }
        let body_timeout = self.config.body_timeout;
        let serve = service_fn(move |request: Request<Incoming>| {
            let mut request = request.map(|body| RequestBody::new(body, body_timeout));
            request.extensions_mut().insert(peer.clone());
            service.clone().oneshot(request)
        });
        let connection = builder.serve_connection(io, serve).with_upgrades();
        tokio::pin!(connection);
        let served = tokio::select! {
            served = connection.as_mut() => served,
            () = self.stopping.cancelled() => {
                connection.as_mut().graceful_shutdown();
                connection.await
            }
        };
        if let Err(e) = served {
            tracing::debug!(peer = %self.addr, error = %e, "connection ended");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_are_counted_by_address_and_ipv6_by_64() {
        let ip = |text: &str| text.parse::<IpAddr>().expect("ip");
        assert_eq!(client_address(ip("203.0.113.9")), ip("203.0.113.9"));
        assert_eq!(client_address(ip("::ffff:203.0.113.9")), ip("203.0.113.9"));
        assert_eq!(client_address(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(client_address(ip("2001:db8:1:2:bbbb::7")), ip("2001:db8:1:2::"));
    }
}
