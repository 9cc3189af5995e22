//! The TLS server configuration, from PEM files an operator provides.

use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::{HttpError, TlsConfig};

/// A rustls server configuration serving the certificate chain in `cert` (PEM, leaf first)
/// with the private key in `key` (PEM: PKCS#8, PKCS#1 or SEC1), TLS 1.2 and 1.3, HTTP/1.1.
pub fn server_config(cert: &Path, key: &Path) -> Result<TlsConfig, HttpError> {
    let bad_cert = |detail: String| HttpError::Certificate { path: cert.to_path_buf(), detail };
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| bad_cert(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad_cert(e.to_string()))?;
    if chain.is_empty() {
        return Err(bad_cert("holds no PEM certificate".into()));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| HttpError::Key { path: key.to_path_buf(), detail: e.to_string() })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    // HTTP/1.1 only: WebSocket upgrades (JSON-RPC subscriptions, REST streams) need it.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        path
    }

    #[test]
    fn a_certificate_and_its_key_load_and_mismatches_are_named() {
        let dir = tempfile::tempdir().expect("temp dir");
        let one = rcgen::generate_simple_self_signed(vec!["localhost".into()]).expect("cert");
        let other = rcgen::generate_simple_self_signed(vec!["localhost".into()]).expect("cert");
        let cert = write(dir.path(), "cert.pem", &one.cert.pem());
        let key = write(dir.path(), "key.pem", &one.key_pair.serialize_pem());
        let config = server_config(&cert, &key).expect("loads");
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);

        let wrong = write(dir.path(), "other.pem", &other.key_pair.serialize_pem());
        let error = server_config(&cert, &wrong).expect_err("the key is another certificate's");
        assert!(matches!(error, HttpError::Tls(_)), "{error}");

        let empty = write(dir.path(), "empty.pem", "");
        let error = server_config(&empty, &key).expect_err("no certificate");
        assert!(error.to_string().contains("holds no PEM certificate"), "{error}");
        let error = server_config(&cert, &empty).expect_err("no key");
        assert!(error.to_string().starts_with("TLS private key"), "{error}");
        let missing = dir.path().join("missing.pem");
        let error = server_config(&missing, &key).expect_err("no file");
        assert!(error.to_string().contains("missing.pem"), "{error}");
    }
}
