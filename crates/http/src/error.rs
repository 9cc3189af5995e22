//! The crate's one error type.

use std::path::PathBuf;

use thiserror::Error;

/// Why a listener could not be set up.
#[derive(Debug, Error)]
pub enum HttpError {
    /// A certificate file could not be read or holds no certificate.
    #[error("TLS certificate {path}: {detail}")]
    Certificate {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// A private key file could not be read or holds no key.
    #[error("TLS private key {path}: {detail}")]
    Key {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// rustls refused the certificate and key (a key that does not match the certificate, an
    /// unsupported key type).
    #[error("TLS certificate and key: {0}")]
    Tls(#[from] rustls::Error),
}
