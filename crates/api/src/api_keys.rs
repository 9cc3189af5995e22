//! API keys on disk: `api-keys.json` in the data directory holds each key's id, the SHA-256 of
//! its secret (never the secret), scopes and rate; `cairn api-keys` writes it, the node reads it.
//! The node records when each key was last used in `api-keys-usage.json`, a file of its own, so
//! the node and the command never write the same file.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write as _;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::scope::Scope;

/// The key file's name in a data directory.
pub const KEYS_FILE: &str = "api-keys.json";
/// The last-use file's name in a data directory.
pub const USAGE_FILE: &str = "api-keys-usage.json";
/// Locked while the key file is read, changed and written.
const LOCK_FILE: &str = "api-keys.lock";
/// Every key starts with this, so a leaked one is easy to recognise and search for.
const TOKEN_PREFIX: &str = "cairn_";
/// The largest key or usage file read; far beyond any real set of keys.
const MAX_FILE: u64 = 16 * 1024 * 1024;
/// The most requests a rate may allow per period.
const MAX_RATE: u32 = 1_000_000;

impl FromStr for Scope {
    type Err = ApiError;

    fn from_str(s: &str) -> Result<Self, ApiError> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == s).ok_or_else(|| {
            let known: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
            ApiError::InvalidKeySpec(format!(
                "unknown scope {:?}; known scopes: {}",
                s.chars().take(40).collect::<String>(),
                known.join(", ")
            ))
        })
    }
}

/// A request rate: `count` requests per `period`, bursting up to `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Rate {
    /// Requests allowed per period (also the default burst).
    pub count: NonZeroU32,
    /// The period: one second, minute or hour.
    pub period: Period,
}

/// The period of a [`Rate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// `/s`
    Second,
    /// `/min`
    Minute,
    /// `/h`
    Hour,
}

impl Period {
    /// Its length.
    pub fn duration(self) -> Duration {
        Duration::from_secs(match self {
            Period::Second => 1,
            Period::Minute => 60,
            Period::Hour => 3600,
        })
    }

    fn suffix(self) -> &'static str {
        match self {
            Period::Second => "s",
            Period::Minute => "min",
            Period::Hour => "h",
        }
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.count, self.period.suffix())
    }
}

impl FromStr for Rate {
    type Err = ApiError;

    /// `50/s`, `600/min` or `1000/h`.
    fn from_str(s: &str) -> Result<Self, ApiError> {
        let bad = || {
            ApiError::InvalidKeySpec(format!(
                "rate must look like 50/s, 600/min or 1000/h (at most {MAX_RATE} per period), \
                 got {:?}",
                s.chars().take(40).collect::<String>()
            ))
        };
        let (count, unit) = s.split_once('/').ok_or_else(bad)?;
        let count: u32 = count.trim().parse().map_err(|_| bad())?;
        let count = NonZeroU32::new(count).filter(|c| c.get() <= MAX_RATE).ok_or_else(bad)?;
        let period = match unit.trim() {
            "s" | "sec" => Period::Second,
            "m" | "min" => Period::Minute,
            "h" | "hour" => Period::Hour,
            _ => return Err(bad()),
        };
        Ok(Rate { count, period })
    }
}

impl TryFrom<String> for Rate {
    type Error = ApiError;

    fn try_from(s: String) -> Result<Self, ApiError> {
        s.parse()
    }
}

impl From<Rate> for String {
    fn from(rate: Rate) -> String {
        rate.to_string()
    }
}

/// A key as stored: everything but its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredKey {
    /// Public id (16 hex digits), also the key's second part; used to list and revoke it.
    pub id: String,
    /// SHA-256 of the whole key, hex.
    pub hash: String,
    /// What the key may do beyond reading.
    pub scopes: Vec<Scope>,
    /// Its request rate.
    pub rate: Rate,
    /// How many requests it may send at once before the rate applies.
    pub burst: NonZeroU32,
    /// When it was created (Unix seconds).
    pub created_at: u64,
    /// When it was revoked (Unix seconds); a revoked key is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<u64>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeysDocument {
    keys: Vec<StoredKey>,
}

/// A data directory's API keys.
#[derive(Debug, Clone)]
pub struct ApiKeyFile {
    dir: PathBuf,
}

impl ApiKeyFile {
    /// The keys of the data directory `dir` (the files need not exist yet).
    pub fn in_dir(dir: &Path) -> Self {
        Self { dir: dir.to_path_buf() }
    }

    /// The key file's path.
    pub fn path(&self) -> PathBuf {
        self.dir.join(KEYS_FILE)
    }

    fn usage_path(&self) -> PathBuf {
        self.dir.join(USAGE_FILE)
    }

    /// Every key ever created here, revoked ones included; none if the file does not exist.
    pub fn load(&self) -> Result<Vec<StoredKey>, ApiError> {
        let path = self.path();
        Ok(read_json::<KeysDocument>(&path)?.unwrap_or_default().keys)
    }

    /// Holds an exclusive lock on the key file's lock file, so two `cairn api-keys` runs never
    /// lose each other's change; released when dropped.
    fn lock(&self) -> Result<std::fs::File, ApiError> {
        let path = self.dir.join(LOCK_FILE);
        std::fs::create_dir_all(&self.dir).map_err(|e| file_error(&self.dir, e))?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| file_error(&path, e))?;
        file.lock().map_err(|e| file_error(&path, e))?;
        Ok(file)
    }

    /// Makes a key, stores its hash, and returns it with the key itself: the only time the
    /// key is ever seen.
    pub fn create(
        &self,
        scopes: &[Scope],
        rate: Rate,
        burst: Option<NonZeroU32>,
    ) -> Result<(StoredKey, String), ApiError> {
        let _lock = self.lock()?;
        let mut keys = self.load()?;
        let mut id = [0u8; 8];
        let mut secret = [0u8; 32];
        rand::rng().fill_bytes(&mut id);
        rand::rng().fill_bytes(&mut secret);
        let id = hex::encode(id);
        let token = format!("{TOKEN_PREFIX}{id}_{}", hex::encode(secret));
        let mut scopes = scopes.to_vec();
        scopes.sort();
        scopes.dedup();
        let key = StoredKey {
            id,
            hash: token_hash(&token),
            scopes,
            rate,
            burst: burst.unwrap_or(rate.count),
            created_at: unix_now(),
            revoked_at: None,
        };
        keys.push(key.clone());
        write_json_atomically(&self.path(), &KeysDocument { keys })?;
        Ok((key, token))
    }

    /// Revokes the key with this id; the node refuses it within a second or two.
    pub fn revoke(&self, id: &str) -> Result<StoredKey, ApiError> {
        let _lock = self.lock()?;
        let mut keys = self.load()?;
        let key = keys
            .iter_mut()
            .find(|k| k.id == id)
            .ok_or_else(|| ApiError::UnknownKeyId(id.chars().take(40).collect()))?;
        key.revoked_at.get_or_insert_with(unix_now);
        let revoked = key.clone();
        write_json_atomically(&self.path(), &KeysDocument { keys })?;
        Ok(revoked)
    }

    /// When each key was last used (Unix seconds), by id, as the node last recorded it.
    pub fn last_used(&self) -> Result<BTreeMap<String, u64>, ApiError> {
        Ok(read_json(&self.usage_path())?.unwrap_or_default())
    }

    /// Records last uses (the node's, batched).
    pub(crate) fn save_last_used(&self, used: &BTreeMap<String, u64>) -> Result<(), ApiError> {
        write_json_atomically(&self.usage_path(), used)
    }

    /// The key file's modification time and length, to notice changes cheaply.
    pub(crate) fn version(&self) -> Option<(SystemTime, u64)> {
        let meta = std::fs::metadata(self.path()).ok()?;
        Some((meta.modified().ok()?, meta.len()))
    }
}

/// SHA-256 of a key, hex: what is stored and looked up.
pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn file_error(path: &Path, detail: impl fmt::Display) -> ApiError {
    ApiError::KeyFile { path: path.to_path_buf(), detail: detail.to_string() }
}

/// The file's JSON, or `None` if there is no file.
fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>, ApiError> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(file_error(path, e)),
    };
    let len = file.metadata().map_err(|e| file_error(path, e))?.len();
    if len > MAX_FILE {
        return Err(file_error(path, format!("larger than {MAX_FILE} bytes")));
    }
    serde_json::from_reader(std::io::BufReader::new(file))
        .map(Some)
        .map_err(|e| file_error(path, e))
}

/// Writes to a temporary file beside `path`, fsyncs it, renames it over `path` and fsyncs the
/// directory: after a crash the file is either the old one or the new one, never a mix.
fn write_json_atomically<T: Serialize>(path: &Path, value: &T) -> Result<(), ApiError> {
    let dir = path.parent().ok_or_else(|| file_error(path, "has no parent directory"))?;
    std::fs::create_dir_all(dir).map_err(|e| file_error(dir, e))?;
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(|e| file_error(path, e))?;
    set_private(file.as_file()).map_err(|e| file_error(path, e))?;
    let json = serde_json::to_vec_pretty(value).map_err(|e| file_error(path, e))?;
    file.write_all(&json).map_err(|e| file_error(path, e))?;
    file.as_file().sync_all().map_err(|e| file_error(path, e))?;
    file.persist(path).map_err(|e| file_error(path, e.error))?;
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(|e| file_error(dir, e))
}

/// Only the owner may read key hashes and usage.
#[cfg(unix)]
fn set_private(file: &std::fs::File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn set_private(_file: &std::fs::File) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_and_print() {
        let rate: Rate = "50/s".parse().expect("valid");
        assert_eq!(rate.count.get(), 50);
        assert_eq!(rate.period, Period::Second);
        assert_eq!(rate.to_string(), "50/s");
        assert_eq!("600/min".parse::<Rate>().expect("valid").to_string(), "600/min");
        assert_eq!("3/h".parse::<Rate>().expect("valid").period.duration().as_secs(), 3600);
        for bad in ["", "50", "0/s", "-1/s", "x/s", "50/day", "2000000/s", "50/"] {
            assert!(bad.parse::<Rate>().is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn scopes_parse_by_name_only() {
        for scope in Scope::ALL {
            assert_eq!(scope.as_str().parse::<Scope>().expect("known"), scope);
        }
        assert!("tx:read".parse::<Scope>().is_err());
    }

    #[test]
    fn keys_are_stored_hashed_and_revocable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = ApiKeyFile::in_dir(dir.path());
        assert!(file.load().expect("no file yet").is_empty());
        let rate = "5/s".parse().expect("valid");
        let scopes = [Scope::WebhooksWrite, Scope::TxWrite, Scope::TxWrite];
        let (key, token) = file.create(&scopes, rate, None).expect("created");
        assert!(token.starts_with(&format!("cairn_{}_", key.id)));
        assert_eq!(key.scopes, vec![Scope::TxWrite, Scope::WebhooksWrite]);
        assert_eq!(key.burst.get(), 5);
        let text = std::fs::read_to_string(file.path()).expect("written");
        assert!(!text.contains(&token[token.len() - 64..]), "the secret is on disk");
        assert!(text.contains(&token_hash(&token)));
        assert_eq!(file.load().expect("readable"), vec![key.clone()]);

        let revoked = file.revoke(&key.id).expect("revoked");
        assert!(revoked.revoked_at.is_some());
        assert_eq!(file.load().expect("readable")[0].revoked_at, revoked.revoked_at);
        assert!(matches!(file.revoke("nope"), Err(ApiError::UnknownKeyId(_))));
    }

    #[test]
    fn concurrent_creations_keep_every_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = ApiKeyFile::in_dir(dir.path());
        let rate: Rate = "1/s".parse().expect("valid");
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| file.create(&[], rate, None).expect("created"));
            }
        });
        assert_eq!(file.load().expect("readable").len(), 8);
    }

    #[test]
    fn a_damaged_key_file_is_an_error_not_an_empty_set() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = ApiKeyFile::in_dir(dir.path());
        std::fs::write(file.path(), "{\"keys\": [").expect("write");
        assert!(matches!(file.load(), Err(ApiError::KeyFile { .. })));
    }
}
