//! The REST API over TLS with a certificate the test makes: answers carry
//! `Strict-Transport-Security`, which plain HTTP answers do not.

use std::sync::Arc;

use axum::http::Request;
use cairn_api::ApiConfig;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::{harness, harness_with};

#[tokio::test]
async fn answers_over_tls_carry_hsts() {
    let dir = tempfile::tempdir().unwrap();
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.key_pair.serialize_pem()).unwrap();
    let tls = cairn_http::server_config(&cert, &key).unwrap();
    let h = harness_with(ApiConfig { tls: Some(tls), ..ApiConfig::default() }).await;

    let mut roots = rustls::RootCertStore::empty();
    roots.add(made.cert.der().clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
    for path in ["/v1/status", "/v1/blocks/999", "/health/live"] {
        let tcp = TcpStream::connect(h.addr).await.unwrap();
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let stream = connector.connect(name, tcp).await.unwrap();
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
        tokio::spawn(connection);
        let request =
            Request::builder().uri(path).header("host", "localhost").body(Empty::<Bytes>::new());
        let response = sender.send_request(request.unwrap()).await.unwrap();
        let hsts = response.headers().get("strict-transport-security").cloned();
        assert_eq!(hsts.unwrap().to_str().unwrap(), "max-age=31536000", "{path}");
        let status = response.status().as_u16();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert!(status == 200 || status == 404, "{path}: {status} {body:?}");
    }
    h.stop().await;

    let plain = harness().await;
    let reply = plain.get("/v1/status").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("strict-transport-security"), None, "no HSTS over plain HTTP");
    plain.stop().await;
}
