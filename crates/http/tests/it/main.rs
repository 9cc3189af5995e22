//! The accept loop over real sockets on loopback: per-address caps (clients bound to
//! different loopback addresses), header and body deadlines, closing a connection from
//! outside, and TLS.
#![allow(clippy::unwrap_used, missing_docs)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use cairn_http::{BodyTimeout, Peer, RequestBody, ServeConfig, SlotRefused, serve};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::oneshot;

const HEADER_TIMEOUT: Duration = Duration::from_millis(500);
const BODY_TIMEOUT: Duration = Duration::from_millis(800);

fn config(max: usize, per_client: usize) -> ServeConfig {
    ServeConfig {
        tls: None,
        max_connections: max,
        max_connections_per_client: per_client,
        header_timeout: HEADER_TIMEOUT,
        body_timeout: BODY_TIMEOUT,
    }
}

/// Answers with the body's length and the client's address, 408 if the body came too late,
/// and closes the connection from outside on `/close`.
async fn echo(request: Request<RequestBody>) -> Result<Response<Full<Bytes>>, std::io::Error> {
    let peer = request.extensions().get::<Peer>().cloned().unwrap();
    if request.uri().path() == "/close" {
        peer.close();
    }
    let (status, text) = match request.into_body().collect().await {
        Ok(body) => (StatusCode::OK, format!("{} {}", body.to_bytes().len(), peer.client())),
        Err(e) => match e.downcast_ref::<BodyTimeout>() {
            Some(timeout) => (StatusCode::REQUEST_TIMEOUT, timeout.to_string()),
            None => (StatusCode::BAD_REQUEST, e.to_string()),
        },
    };
    Ok(Response::builder().status(status).body(Full::new(Bytes::from(text))).unwrap())
}

fn refuse(refused: &SlotRefused) -> Response<Full<Bytes>> {
    let text = format!("too many connections: {refused}");
    Response::builder().status(429).body(Full::new(Bytes::from(text))).unwrap()
}

struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.stop.take().map(|stop| stop.send(()));
    }
}

async fn start(config: ServeConfig) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let service = tower::service_fn(echo);
    tokio::spawn(serve(listener, config, service, refuse, async move {
        let _ = stopped.await;
    }));
    Server { addr, stop: Some(stop) }
}

/// A connection from loopback address `from` (127.0.0.x).
async fn connect_from(from: &str, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    socket.connect(to).await.unwrap()
}

/// Sends `request` and reads until the server closes or `Connection: close` ends the answer.
async fn exchange(stream: &mut TcpStream, request: &str) -> String {
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => {
                answer.extend_from_slice(&buf[..n]);
                if complete(&answer) {
                    break;
                }
            }
            Err(_) => panic!("no answer: {}", String::from_utf8_lossy(&answer)),
        }
    }
    String::from_utf8(answer).unwrap()
}

/// Whether `answer` holds a whole response (headers and a Content-Length body).
fn complete(answer: &[u8]) -> bool {
    let text = String::from_utf8_lossy(answer);
    let Some((head, body)) = text.split_once("\r\n\r\n") else { return false };
    let length = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length: ").map(str::to_string))
        .and_then(|l| l.trim().parse::<usize>().ok());
    length.is_some_and(|length| body.len() >= length)
}

fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n")
}

#[tokio::test]
async fn one_address_holding_its_share_leaves_another_address_served() {
    let server = start(config(8, 2)).await;
    // 127.0.0.2 holds its two connections (one idle, one between requests).
    let _idle = connect_from("127.0.0.2", server.addr).await;
    let mut busy = connect_from("127.0.0.2", server.addr).await;
    assert!(exchange(&mut busy, &get("/")).await.starts_with("HTTP/1.1 200"));
    let mut third = connect_from("127.0.0.2", server.addr).await;
    let refused = exchange(&mut third, &get("/")).await;
    assert!(refused.starts_with("HTTP/1.1 429"), "{refused}");
    assert!(refused.contains("you hold 2, the most one client may hold"), "{refused}");
    // Another address is served meanwhile, and sees its own address.
    let mut other = connect_from("127.0.0.3", server.addr).await;
    let served = exchange(&mut other, &get("/")).await;
    assert!(served.starts_with("HTTP/1.1 200") && served.ends_with("0 127.0.0.3"), "{served}");
}

#[tokio::test]
async fn the_global_cap_holds_across_addresses() {
    let server = start(config(2, 2)).await;
    let _a = connect_from("127.0.0.4", server.addr).await;
    let _b = connect_from("127.0.0.5", server.addr).await;
    let mut c = connect_from("127.0.0.6", server.addr).await;
    let refused = exchange(&mut c, &get("/")).await;
    assert!(refused.contains("all 2 are taken"), "{refused}");
}

#[tokio::test]
async fn a_slot_is_given_back_when_its_connection_ends() {
    let server = start(config(8, 1)).await;
    let first = connect_from("127.0.0.7", server.addr).await;
    drop(first);
    // The server notices the close on its next read; the next connection is then served.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut next = connect_from("127.0.0.7", server.addr).await;
        if exchange(&mut next, &get("/")).await.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(Instant::now() < deadline, "the slot was never given back");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_client_that_sends_no_headers_is_closed_after_the_header_timeout() {
    let server = start(config(8, 8)).await;
    let mut silent = connect_from("127.0.0.8", server.addr).await;
    let started = Instant::now();
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(10), silent.read(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "closed: {read:?}");
    let waited = started.elapsed();
    assert!(waited >= HEADER_TIMEOUT && waited < Duration::from_secs(5), "{waited:?}");

    // A half-sent header line does not extend it.
    let mut slow = connect_from("127.0.0.8", server.addr).await;
    slow.write_all(b"GET / HTTP/1.1\r\nHost: te").await.unwrap();
    let read = tokio::time::timeout(Duration::from_secs(10), slow.read(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(_)) | Ok(Err(_))), "closed or answered: {read:?}");
}

#[tokio::test]
async fn a_trickled_body_is_cut_at_the_body_deadline() {
    let server = start(config(8, 8)).await;
    let mut stream = connect_from("127.0.0.9", server.addr).await;
    let head = "POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 100000\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    // One byte every 100 ms: each chunk arrives well within any per-chunk timer.
    let trickle = async {
        loop {
            if stream.write_all(b"x").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            if started.elapsed() > Duration::from_secs(10) {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(BODY_TIMEOUT * 2, trickle).await;
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut answer))
        .await
        .unwrap()
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("the request body was not received within 0.8 s"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // A body sent at once is read whole.
    let mut quick = connect_from("127.0.0.9", server.addr).await;
    let post = "POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello";
    assert!(exchange(&mut quick, post).await.ends_with("5 127.0.0.9"));
}

#[tokio::test]
async fn a_connection_closed_from_outside_ends_and_gives_its_slot_back() {
    let server = start(config(8, 1)).await;
    let mut stream = connect_from("127.0.0.10", server.addr).await;
    stream.write_all(get("/close").as_bytes()).await.unwrap();
    let mut buf = [0u8; 1024];
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the connection was closed");
    let mut next = connect_from("127.0.0.10", server.addr).await;
    assert!(exchange(&mut next, &get("/")).await.starts_with("HTTP/1.1 200"));
}

#[tokio::test]
async fn tls_is_served_with_the_given_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.key_pair.serialize_pem()).unwrap();
    let tls = cairn_http::server_config(&cert, &key).unwrap();
    let server = start(ServeConfig { tls: Some(tls), ..config(8, 8) }).await;

    let mut roots = rustls::RootCertStore::empty();
    roots.add(made.cert.der().clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
    let tcp = TcpStream::connect(server.addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    tls.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut answer = String::new();
    tls.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    // Plain HTTP on the TLS port is not served.
    let mut plain = TcpStream::connect(server.addr).await.unwrap();
    plain.write_all(get("/").as_bytes()).await.unwrap();
    let mut buf = [0u8; 256];
    let read = tokio::time::timeout(Duration::from_secs(5), plain.read(&mut buf)).await.unwrap();
    let text = String::from_utf8_lossy(&buf[..read.unwrap_or(0)]);
    assert!(!text.contains("200"), "{text}");
}
