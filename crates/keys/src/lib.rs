//! Ethereum V3 keystore files in a directory, as geth and Foundry keep them.
//!
//! Encryption and decryption are alloy-signer-local's (`keystore` feature, i.e. the eth-keystore
//! crate): scrypt with n = 2^13, r = 8, p = 1, then aes-128-ctr and a keccak-256 MAC. That is
//! the only scrypt setting eth-keystore writes, and the one `cast wallet new` writes, so every
//! file Cairn creates is one Foundry reads. Decryption also accepts geth's n = 2^18 and PBKDF2
//! files.
//!
//! Cairn names files as geth does (`UTC--<time>--<address>`), adds the `address` field (which
//! eth-keystore leaves out) so a directory can be listed without a password, and writes files
//! with mode 0600 in a directory created with mode 0700.

mod error;
mod format;

use std::{
    fs::{self, DirBuilder, File, OpenOptions},
    io::{ErrorKind, Read, Write},
    os::unix::fs::{DirBuilderExt, OpenOptionsExt},
    path::{Path, PathBuf},
    str::FromStr,
    time::SystemTime,
};

use alloy_primitives::{Address, B256, hex};
use alloy_signer_local::{LocalSignerError, PrivateKeySigner};
use eth_keystore::KeystoreError;
use serde_json::{Map, Value};

pub use error::KeysError;

use crate::format::{Checked, MAX_FILE_LEN};

/// A keystore file and the address it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFile {
    /// The account the file's key controls (from the file's `address` field).
    pub address: Address,
    /// Where the file is.
    pub path: PathBuf,
}

/// A file in the keystore directory that `list` could not use, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The file.
    pub path: PathBuf,
    /// Why it is not listed.
    pub reason: String,
}

/// What a keystore directory holds.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Listing {
    /// Keystore files with an address, sorted by file name (creation time for geth names).
    pub keys: Vec<KeyFile>,
    /// Every other visible file, so a damaged keystore is reported instead of hidden.
    pub skipped: Vec<Skipped>,
}

/// A directory of keystore files (one key per file). Nothing is created until a key is written.
#[derive(Debug, Clone)]
pub struct KeystoreDir {
    dir: PathBuf,
}

impl KeystoreDir {
    /// Uses `dir` as the keystore directory.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Generates a random key and stores it encrypted with `password`.
    pub fn create(&self, password: &str) -> Result<KeyFile, KeysError> {
        if password.is_empty() {
            return Err(KeysError::EmptyPassword);
        }
        let signer = PrivateKeySigner::random();
        let json = self.encrypt(&signer, password)?;
        self.store(signer.address(), json)
    }

    /// Lists the keystore files. Hidden files (names starting with `.`) are ignored; anything
    /// else that is not a keystore with an `address` field is reported in `skipped`. A missing
    /// directory lists as empty.
    pub fn list(&self) -> Result<Listing, KeysError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Listing::default()),
            Err(e) => return Err(io_error(&self.dir, e)),
        };
        let mut listing = Listing::default();
        for entry in entries {
            let entry = entry.map_err(|e| io_error(&self.dir, e))?;
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let path = entry.path();
            let skip = |reason: String| Skipped { path: path.clone(), reason };
            match fs::metadata(&path) {
                Ok(meta) if meta.is_file() => {}
                Ok(_) => {
                    listing.skipped.push(skip("not a regular file".to_string()));
                    continue;
                }
                Err(e) => {
                    listing.skipped.push(skip(format!("unreadable: {e}")));
                    continue;
                }
            }
            match read_checked(&path) {
                Ok(Checked { address: Some(address), .. }) => {
                    listing.keys.push(KeyFile { address, path });
                }
                Ok(Checked { address: None, .. }) => listing.skipped.push(skip(
                    "keystore without an \"address\" field; import it to add one".to_string(),
                )),
                Err(KeysError::NotAKeystore { reason, .. }) => {
                    listing.skipped.push(skip(format!("not a V3 keystore: {reason}")));
                }
                Err(KeysError::Io { source, .. }) => {
                    listing.skipped.push(skip(format!("unreadable: {source}")));
                }
                Err(other) => return Err(other),
            }
        }
        listing.keys.sort_by(|a, b| a.path.cmp(&b.path));
        listing.skipped.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(listing)
    }

    /// The one file that holds `address`.
    pub fn find(&self, address: Address) -> Result<KeyFile, KeysError> {
        let mut matches: Vec<KeyFile> =
            self.list()?.keys.into_iter().filter(|key| key.address == address).collect();
        match matches.len() {
            0 => Err(KeysError::NotFound { address, dir: self.dir.clone() }),
            1 => Ok(matches.remove(0)),
            _ => Err(KeysError::Ambiguous {
                address,
                paths: matches.into_iter().map(|key| key.path).collect(),
            }),
        }
    }

    /// Stores a raw private key (64 hex digits, `0x` optional, surrounding whitespace ignored)
    /// encrypted with `password`.
    pub fn import_private_key(
        &self,
        private_key: &str,
        password: &str,
    ) -> Result<KeyFile, KeysError> {
        if password.is_empty() {
            return Err(KeysError::EmptyPassword);
        }
        let signer = parse_private_key(private_key)?;
        self.refuse_duplicate(signer.address())?;
        let json = self.encrypt(&signer, password)?;
        self.store(signer.address(), json)
    }

    /// Copies an existing V3 keystore (e.g. one `cast wallet new` wrote) into the directory after
    /// decrypting it with `password` to prove it is whole. The encrypted key, KDF and password
    /// stay as they were; only the `address` field is added (or checked, if present).
    pub fn import_keystore(&self, source: &Path, password: &str) -> Result<KeyFile, KeysError> {
        let (signer, json) = decrypt_checked(source, password)?;
        self.refuse_duplicate(signer.address())?;
        self.store(signer.address(), json)
    }

    /// Decrypts the key of `address`.
    pub fn export_private_key(
        &self,
        address: Address,
        password: &str,
    ) -> Result<PrivateKeySigner, KeysError> {
        let key = self.find(address)?;
        decrypt(&key.path, password)
    }

    /// Copies the keystore file of `address` to `out` (mode 0600, never overwriting), still
    /// encrypted; returns the source file.
    pub fn export_keystore(&self, address: Address, out: &Path) -> Result<KeyFile, KeysError> {
        let key = self.find(address)?;
        let bytes = fs::read(&key.path).map_err(|e| io_error(&key.path, e))?;
        write_private_file(out, &bytes)?;
        Ok(key)
    }

    fn refuse_duplicate(&self, address: Address) -> Result<(), KeysError> {
        match self.find(address) {
            Ok(key) => Err(KeysError::AlreadyPresent { address, path: key.path }),
            Err(KeysError::NotFound { .. }) => Ok(()),
            Err(other) => Err(other),
        }
    }

    /// Encrypts with eth-keystore, which can only write the result to a file: it goes to a
    /// private staging directory inside the keystore directory and is read back.
    fn encrypt(
        &self,
        signer: &PrivateKeySigner,
        password: &str,
    ) -> Result<Map<String, Value>, KeysError> {
        self.create_dir()?;
        let staging = tempfile::Builder::new()
            .prefix(".staging-")
            .tempdir_in(&self.dir)
            .map_err(|e| io_error(&self.dir, e))?;
        let mut rng = rand::rngs::OsRng;
        PrivateKeySigner::encrypt_keystore(
            staging.path(),
            &mut rng,
            signer.to_bytes(),
            password,
            Some("key"),
        )
        .map_err(KeysError::Encrypt)?;
        let path = staging.path().join("key");
        Ok(read_checked(&path)?.json)
    }

    fn store(&self, address: Address, mut json: Map<String, Value>) -> Result<KeyFile, KeysError> {
        self.create_dir()?;
        json.insert("address".to_string(), Value::from(hex::encode(address)));
        let path = self.dir.join(format::file_name(address, SystemTime::now()));
        write_private_file(&path, Value::Object(json).to_string().as_bytes())?;
        // Make the new directory entry durable too, not just the file's contents.
        File::open(&self.dir).and_then(|dir| dir.sync_all()).map_err(|e| io_error(&self.dir, e))?;
        Ok(KeyFile { address, path })
    }

    fn create_dir(&self) -> Result<(), KeysError> {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .map_err(|e| io_error(&self.dir, e))
    }
}

/// Decrypts any V3 keystore file (Cairn's, geth's or Foundry's). If the file has an `address`
/// field it must match the key.
pub fn decrypt(path: &Path, password: &str) -> Result<PrivateKeySigner, KeysError> {
    decrypt_checked(path, password).map(|(signer, _)| signer)
}

/// Parses a raw private key: exactly 64 hex digits, `0x` optional, surrounding whitespace ignored.
pub fn parse_private_key(text: &str) -> Result<PrivateKeySigner, KeysError> {
    let text = text.trim();
    let digits = text.strip_prefix("0x").unwrap_or(text);
    if digits.len() != 64 {
        return Err(KeysError::InvalidPrivateKey("expected 64 hex digits (32 bytes)"));
    }
    let bytes = B256::from_str(digits).map_err(|_| KeysError::InvalidPrivateKey("not hex"))?;
    PrivateKeySigner::from_bytes(&bytes).map_err(|_| {
        KeysError::InvalidPrivateKey("not a secp256k1 key (zero or not below the curve order)")
    })
}

fn decrypt_checked(
    path: &Path,
    password: &str,
) -> Result<(PrivateKeySigner, Map<String, Value>), KeysError> {
    let checked = read_checked(path)?;
    let signer =
        PrivateKeySigner::decrypt_keystore(path, password).map_err(|source| match source {
            LocalSignerError::EthKeystoreError(KeystoreError::MacMismatch) => {
                KeysError::WrongPassword { path: path.to_path_buf() }
            }
            source => KeysError::Decrypt { path: path.to_path_buf(), source },
        })?;
    if let Some(declared) = checked.address
        && declared != signer.address()
    {
        return Err(KeysError::AddressMismatch {
            path: path.to_path_buf(),
            declared,
            actual: signer.address(),
        });
    }
    Ok((signer, checked.json))
}

/// Reads a file of at most `MAX_FILE_LEN` bytes and checks it is a keystore.
fn read_checked(path: &Path) -> Result<Checked, KeysError> {
    let file = File::open(path).map_err(|e| io_error(path, e))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_LEN + 1).read_to_end(&mut bytes).map_err(|e| io_error(path, e))?;
    if bytes.len() as u64 > MAX_FILE_LEN {
        return Err(KeysError::NotAKeystore {
            path: path.to_path_buf(),
            reason: format!("larger than {MAX_FILE_LEN} bytes"),
        });
    }
    format::check(&bytes)
        .map_err(|reason| KeysError::NotAKeystore { path: path.to_path_buf(), reason })
}

/// Writes a new file readable only by its owner; fails if `path` exists.
fn write_private_file(path: &Path, bytes: &[u8]) -> Result<(), KeysError> {
    let mut file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(
        |e| match e.kind() {
            ErrorKind::AlreadyExists => KeysError::OutputExists { path: path.to_path_buf() },
            _ => io_error(path, e),
        },
    )?;
    if let Err(e) = file.write_all(bytes).and_then(|()| file.sync_all()) {
        drop(file);
        // Best effort: a partly written key file must not stay behind looking like a keystore.
        let _ = fs::remove_file(path);
        return Err(io_error(path, e));
    }
    Ok(())
}

fn io_error(path: &Path, source: std::io::Error) -> KeysError {
    KeysError::Io { path: path.to_path_buf(), source }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    const PASSWORD: &str = "correct horse battery staple";
    /// Anvil's first development key.
    const DEV_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).expect("metadata").permissions().mode() & 0o777
    }

    #[test]
    fn created_key_is_private_named_like_geth_and_listed_without_a_password() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let keystore = KeystoreDir::new(tmp.path().join("a/keystore"));
        let key = keystore.create(PASSWORD).expect("create");

        assert_eq!(mode(keystore.path()), 0o700);
        assert_eq!(mode(&key.path), 0o600);
        let name = key.path.file_name().expect("name").to_string_lossy().into_owned();
        assert!(name.starts_with("UTC--"), "{name}");
        assert!(name.ends_with(&format!("Z--{}", hex::encode(key.address))), "{name}");
        let json: Value =
            serde_json::from_slice(&fs::read(&key.path).expect("read")).expect("json");
        assert_eq!(json["address"], Value::from(hex::encode(key.address)));
        assert_eq!(json["crypto"]["kdfparams"]["n"], Value::from(8192));

        assert_eq!(
            keystore.list().expect("list"),
            Listing { keys: vec![key.clone()], skipped: vec![] }
        );
        assert_eq!(decrypt(&key.path, PASSWORD).expect("decrypt").address(), key.address);
        assert_eq!(
            keystore.export_private_key(key.address, PASSWORD).expect("export").address(),
            key.address
        );
    }

    #[test]
    fn wrong_and_empty_passwords() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let keystore = KeystoreDir::new(tmp.path());
        assert!(matches!(keystore.create(""), Err(KeysError::EmptyPassword)));
        let key = keystore.create(PASSWORD).expect("create");
        let err = keystore.export_private_key(key.address, "wrong").expect_err("wrong password");
        assert!(matches!(err, KeysError::WrongPassword { .. }), "{err}");
        assert!(err.to_string().contains("wrong password"), "{err}");
    }

    #[test]
    fn imports_a_raw_key_once() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let keystore = KeystoreDir::new(tmp.path());
        let key = keystore.import_private_key(&format!("  {DEV_KEY}\n"), PASSWORD).expect("import");
        assert_eq!(key.address.to_string(), "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
        let signer = decrypt(&key.path, PASSWORD).expect("decrypt");
        assert_eq!(format!("0x{}", hex::encode(signer.to_bytes())), DEV_KEY);
        let again = keystore.import_private_key(DEV_KEY.trim_start_matches("0x"), PASSWORD);
        assert!(matches!(again, Err(KeysError::AlreadyPresent { .. })), "{again:?}");
    }

    #[test]
    fn malformed_raw_keys_are_refused_without_echoing_them() {
        let zero = "0".repeat(64);
        let curve_order = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
        let not_hex = "zz".repeat(32);
        for text in ["", "0x01", zero.as_str(), curve_order, not_hex.as_str()] {
            let err = parse_private_key(text).expect_err("must be refused");
            assert!(matches!(err, KeysError::InvalidPrivateKey(_)), "{err}");
            assert!(text.len() < 8 || !err.to_string().contains(text), "{err}");
        }
    }

    #[test]
    fn list_reports_damaged_files_and_ignores_hidden_ones() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let keystore = KeystoreDir::new(tmp.path());
        let key = keystore.create(PASSWORD).expect("create");
        fs::write(tmp.path().join("garbage"), b"\x00\xffnot json").expect("write");
        fs::write(tmp.path().join("huge"), vec![b' '; MAX_FILE_LEN as usize + 1]).expect("write");
        fs::write(tmp.path().join(".hidden"), b"ignored").expect("write");
        fs::create_dir(tmp.path().join("subdir")).expect("mkdir");

        let listing = keystore.list().expect("list");
        assert_eq!(listing.keys, vec![key]);
        let reasons: Vec<(String, &str)> = listing
            .skipped
            .iter()
            .map(|s| {
                (
                    s.path.file_name().expect("name").to_string_lossy().into_owned(),
                    s.reason.as_str(),
                )
            })
            .collect();
        assert_eq!(reasons.len(), 3, "{reasons:?}");
        assert_eq!(reasons[0].0, "garbage");
        assert!(reasons[0].1.starts_with("not a V3 keystore: not a JSON object"), "{reasons:?}");
        assert_eq!(reasons[1].0, "huge");
        assert!(reasons[1].1.contains("larger than 65536 bytes"), "{reasons:?}");
        assert_eq!(reasons[2], ("subdir".to_string(), "not a regular file"));
    }

    #[test]
    fn missing_directory_lists_empty_and_finds_nothing() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let keystore = KeystoreDir::new(tmp.path().join("absent"));
        assert_eq!(keystore.list().expect("list"), Listing::default());
        let err = keystore.find(Address::ZERO).expect_err("absent");
        assert!(matches!(err, KeysError::NotFound { .. }), "{err}");
        assert!(!keystore.path().exists());
    }

    #[test]
    fn a_file_whose_address_field_lies_is_refused() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let keystore = KeystoreDir::new(tmp.path());
        let key = keystore.create(PASSWORD).expect("create");
        let mut json: Value =
            serde_json::from_slice(&fs::read(&key.path).expect("read")).expect("json");
        json["address"] = Value::from(hex::encode(Address::repeat_byte(7)));
        fs::write(&key.path, json.to_string()).expect("write");
        let err = decrypt(&key.path, PASSWORD).expect_err("mismatch");
        assert!(
            matches!(err, KeysError::AddressMismatch { actual, .. } if actual == key.address),
            "{err}"
        );
    }

    #[test]
    fn export_copies_the_file_privately_and_never_overwrites() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let keystore = KeystoreDir::new(tmp.path().join("keystore"));
        let key = keystore.create(PASSWORD).expect("create");
        let out = tmp.path().join("out.json");
        assert_eq!(keystore.export_keystore(key.address, &out).expect("export"), key);
        assert_eq!(fs::read(&out).expect("read"), fs::read(&key.path).expect("read"));
        assert_eq!(mode(&out), 0o600);
        let err = keystore.export_keystore(key.address, &out).expect_err("exists");
        assert!(matches!(err, KeysError::OutputExists { .. }), "{err}");
    }
}
