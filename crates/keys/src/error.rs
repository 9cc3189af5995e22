use std::path::PathBuf;

use alloy_primitives::Address;
use alloy_signer_local::LocalSignerError;

/// Everything that can go wrong reading, writing or decrypting keystore files. Messages name the
/// file involved and never contain key material.
#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    /// A file or directory could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a V3 keystore Cairn can decrypt (or it is damaged).
    #[error("{} is not a usable V3 keystore: {reason}", path.display())]
    NotAKeystore {
        /// The file.
        path: PathBuf,
        /// Which part of the format is wrong.
        reason: String,
    },
    /// The MAC check failed: the password is wrong, or the encrypted key was altered.
    #[error("wrong password for {} (or the file is damaged: MAC mismatch)", path.display())]
    WrongPassword {
        /// The file.
        path: PathBuf,
    },
    /// Decryption failed for another reason, e.g. the decrypted bytes are not a valid key.
    #[error("cannot decrypt {}: {source}", path.display())]
    Decrypt {
        /// The file.
        path: PathBuf,
        /// The signer library's error.
        #[source]
        source: LocalSignerError,
    },
    /// Encrypting a key into a new keystore failed.
    #[error("cannot encrypt the key: {0}")]
    Encrypt(#[source] LocalSignerError),
    /// The file's `address` field does not belong to the key it holds.
    #[error("{} claims address {declared} but holds the key of {actual}", path.display())]
    AddressMismatch {
        /// The file.
        path: PathBuf,
        /// The address written in the file.
        declared: Address,
        /// The address of the decrypted key.
        actual: Address,
    },
    /// A raw private key given for import is malformed (the message never echoes it).
    #[error("invalid private key: {0}")]
    InvalidPrivateKey(&'static str),
    /// New keystores are never written with an empty password.
    #[error("empty password: a new keystore needs a non-empty password")]
    EmptyPassword,
    /// No keystore file in the directory holds this address.
    #[error("no key for {address} in {}", dir.display())]
    NotFound {
        /// The address looked for.
        address: Address,
        /// The keystore directory.
        dir: PathBuf,
    },
    /// Importing would put a second copy of a key into the directory.
    #[error("{address} is already in the keystore: {}", path.display())]
    AlreadyPresent {
        /// The address being imported.
        address: Address,
        /// The file that already holds it.
        path: PathBuf,
    },
    /// Several files in the directory claim the same address.
    #[error("{address} is claimed by {} files: {}", paths.len(), display_paths(paths))]
    Ambiguous {
        /// The address looked for.
        address: Address,
        /// Every file that claims it.
        paths: Vec<PathBuf>,
    },
    /// Export never overwrites an existing file.
    #[error("{} already exists; not overwriting it", path.display())]
    OutputExists {
        /// The file asked for.
        path: PathBuf,
    },
}

fn display_paths(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}
