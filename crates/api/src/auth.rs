//! Who is calling, and whether they may: API keys from `Authorization: Bearer …`, rate limits
//! per key and per anonymous client address, and the [`Authorized`] extractor that routes use
//! to require a scope.
//!
//! The [`guard`] middleware runs before every route: it resolves the caller, charges one
//! request to the caller's token bucket (governor), stores the [`Caller`] in the request's
//! extensions and puts `RateLimit-*` headers on the answer. A handler that needs a scope takes
//! `_: Authorized<scope::TxWrite>` (one line); without a key it answers 401, with a key that
//! lacks the scope 403.

use std::collections::{BTreeMap, HashMap};
use std::marker::PhantomData;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cairn_http::Peer;
use governor::clock::{Clock as _, DefaultClock};
use governor::middleware::{StateInformationMiddleware, StateSnapshot};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, NotUntil, Quota, RateLimiter};

use crate::api_keys::{ApiKeyFile, Rate, StoredKey, token_hash, unix_now};
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::scope::Scope;

/// The longest `Authorization` header looked at; real keys are 87 characters.
const MAX_AUTHORIZATION: usize = 256;

/// How anonymous clients are limited and whether reads need a key.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// The data directory whose `api-keys.json` holds the keys; `None` means no keys exist,
    /// so only anonymous reads are served.
    pub keys_dir: Option<std::path::PathBuf>,
    /// Refuse every request without a valid key (reads too), except health and metrics.
    pub require_key: bool,
    /// The rate each anonymous client address gets (IPv6 clients by /64).
    pub anonymous_rate: Rate,
    /// How many requests an anonymous client may send at once before the rate applies.
    pub anonymous_burst: NonZeroU32,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            keys_dir: None,
            require_key: false,
            anonymous_rate: Rate {
                count: NonZeroU32::MIN.saturating_add(19),
                period: crate::api_keys::Period::Second,
            },
            anonymous_burst: NonZeroU32::MIN.saturating_add(39),
        }
    }
}

type KeyLimiter = DefaultDirectRateLimiter<StateInformationMiddleware>;
type AddressLimiter = DefaultKeyedRateLimiter<IpAddr, StateInformationMiddleware>;

/// A key the node accepts: its grants and its own token bucket.
#[derive(Debug)]
pub(crate) struct ActiveKey {
    id: String,
    scopes: Vec<Scope>,
    rate: Rate,
    burst: NonZeroU32,
    /// Shared across reloads of the key file, so a reload never refills a bucket.
    limiter: Arc<KeyLimiter>,
}

/// Who sent a request, as the [`guard`] resolved it.
#[derive(Clone)]
pub(crate) enum Caller {
    /// No `Authorization` header.
    Anonymous,
    /// A valid, unrevoked key.
    Key(Arc<ActiveKey>),
}

impl Caller {
    /// The key's id; `None` for an anonymous caller.
    pub(crate) fn key_id(&self) -> Option<&str> {
        match self {
            Self::Anonymous => None,
            Self::Key(key) => Some(&key.id),
        }
    }
}

/// The scope a marker type stands for; see [`Authorized`].
pub(crate) trait RequiredScope {
    const SCOPE: Scope;
}

/// Marker types naming each scope, for [`Authorized`]. A route needing another scope adds its
/// four-line marker here.
pub(crate) mod scope {
    use super::{RequiredScope, Scope};

    /// `tx:write`: submit transactions.
    pub(crate) struct TxWrite;
    impl RequiredScope for TxWrite {
        const SCOPE: Scope = Scope::TxWrite;
    }

    /// `audit:admin`: start audits and read their jobs.
    pub(crate) struct AuditAdmin;
    impl RequiredScope for AuditAdmin {
        const SCOPE: Scope = Scope::AuditAdmin;
    }

    /// `webhooks:write`: register, list, remove and replay webhooks.
    pub(crate) struct WebhooksWrite;
    impl RequiredScope for WebhooksWrite {
        const SCOPE: Scope = Scope::WebhooksWrite;
    }
}

/// Proof that the caller holds scope `S`: a handler that takes `_: Authorized<scope::X>` is
/// only reached with such a key (401 without a key, 403 with a key lacking the scope).
/// Document the route with `security(("bearer" = ["<scope>"]))`.
pub(crate) struct Authorized<S> {
    /// The key's id, for logs and audit trails.
    pub(crate) key_id: String,
    scope: PhantomData<S>,
}

impl<S: RequiredScope, St: Send + Sync> FromRequestParts<St> for Authorized<S> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &St) -> Result<Self, ApiError> {
        match parts.extensions.get::<Caller>() {
            Some(Caller::Key(key)) if key.scopes.contains(&S::SCOPE) => {
                Ok(Self { key_id: key.id.clone(), scope: PhantomData })
            }
            Some(Caller::Key(_)) => Err(ApiError::InsufficientScope { scope: S::SCOPE }),
            Some(Caller::Anonymous) | None => Err(ApiError::MissingApiKey),
        }
    }
}

/// A key file's modification time and length.
type FileVersion = (SystemTime, u64);
/// Active keys by the SHA-256 (hex) of their secret.
type KeysByHash = HashMap<String, Arc<ActiveKey>>;

/// The active keys, and the key file's version they were read from (`None`: no file).
#[derive(Debug)]
struct LoadedKeys {
    version: Option<FileVersion>,
    keys: Arc<KeysByHash>,
}

/// The keys the node accepts, reloaded when the key file changes.
#[derive(Debug)]
struct KeyRing {
    file: Option<ApiKeyFile>,
    /// What was last read from the file; `None` until it has been read once.
    loaded: RwLock<Option<LoadedKeys>>,
    /// Last use per key id, waiting to be written.
    used: Mutex<BTreeMap<String, u64>>,
    dirty: Mutex<bool>,
}

impl KeyRing {
    fn new(file: Option<ApiKeyFile>) -> Self {
        let used = file.as_ref().and_then(|f| f.last_used().ok()).unwrap_or_default();
        let ring = Self {
            file,
            loaded: RwLock::new(None),
            used: Mutex::new(used),
            dirty: Mutex::new(false),
        };
        let _ = ring.reload_if_changed();
        ring
    }

    fn lookup(&self, hash: &str) -> Option<Arc<ActiveKey>> {
        let loaded = self.loaded.read().unwrap_or_else(PoisonError::into_inner);
        loaded.as_ref().and_then(|loaded| loaded.keys.get(hash).cloned())
    }

    /// Re-reads the key file if it appeared, disappeared, or its time or length changed;
    /// whether it did. Keys whose rate is unchanged keep their token bucket.
    fn reload_if_changed(&self) -> bool {
        let Some(file) = &self.file else { return false };
        let version = file.version();
        let current = {
            let loaded = self.loaded.read().unwrap_or_else(PoisonError::into_inner);
            match loaded.as_ref() {
                Some(loaded) if loaded.version == version => return false,
                Some(loaded) => loaded.keys.clone(),
                None => Arc::default(),
            }
        };
        let stored = match file.load() {
            Ok(stored) => stored,
            Err(e) => {
                tracing::error!(error = %e, "cannot load API keys; keeping the previous set");
                return false;
            }
        };
        let by_id: HashMap<&str, &Arc<ActiveKey>> =
            current.values().map(|k| (k.id.as_str(), k)).collect();
        let mut keys = HashMap::new();
        for key in stored.into_iter().filter(|k| k.revoked_at.is_none()) {
            let active = match by_id.get(key.id.as_str()) {
                Some(old) if old.rate == key.rate && old.burst == key.burst => {
                    activate(&key, old.limiter.clone())
                }
                _ => activate(&key, new_key_limiter(&key)),
            };
            keys.insert(key.hash, active);
        }
        tracing::info!(keys = keys.len(), "API keys loaded");
        let loaded = LoadedKeys { version, keys: Arc::new(keys) };
        *self.loaded.write().unwrap_or_else(PoisonError::into_inner) = Some(loaded);
        true
    }

    fn record_use(&self, id: &str) {
        let now = unix_now();
        let mut used = self.used.lock().unwrap_or_else(PoisonError::into_inner);
        if used.get(id) != Some(&now) {
            used.insert(id.to_string(), now);
            *self.dirty.lock().unwrap_or_else(PoisonError::into_inner) = true;
        }
    }

    /// Writes last uses if any changed since the last write.
    fn flush_usage(&self) {
        let Some(file) = &self.file else { return };
        let mut dirty = self.dirty.lock().unwrap_or_else(PoisonError::into_inner);
        if !*dirty {
            return;
        }
        let used = self.used.lock().unwrap_or_else(PoisonError::into_inner).clone();
        match file.save_last_used(&used) {
            Ok(()) => *dirty = false,
            Err(e) => tracing::warn!(error = %e, "cannot record API key use"),
        }
    }
}

fn new_key_limiter(key: &StoredKey) -> Arc<KeyLimiter> {
    Arc::new(RateLimiter::direct(quota(key.rate, key.burst)).with_middleware())
}

fn activate(key: &StoredKey, limiter: Arc<KeyLimiter>) -> Arc<ActiveKey> {
    Arc::new(ActiveKey {
        id: key.id.clone(),
        scopes: key.scopes.clone(),
        rate: key.rate,
        burst: key.burst,
        limiter,
    })
}

/// governor's quota for a rate: one request replenished every period / count.
fn quota(rate: Rate, burst: NonZeroU32) -> Quota {
    let interval = rate.period.duration() / rate.count.get();
    Quota::with_period(interval.max(Duration::from_nanos(1)))
        .unwrap_or_else(|| Quota::per_second(rate.count))
        .allow_burst(burst)
}

/// Everything the [`guard`] needs, shared by all requests.
#[derive(Debug)]
pub(crate) struct Guard {
    keys: KeyRing,
    anonymous: AddressLimiter,
    require_key: bool,
    metrics: Arc<Metrics>,
}

impl Guard {
    pub(crate) fn new(config: &AuthConfig, metrics: Arc<Metrics>) -> Self {
        let file = config.keys_dir.as_deref().map(ApiKeyFile::in_dir);
        Self {
            keys: KeyRing::new(file),
            anonymous: RateLimiter::dashmap(quota(config.anonymous_rate, config.anonymous_burst))
                .with_middleware(),
            require_key: config.require_key,
            metrics,
        }
    }

    /// Periodic upkeep: picks up key file changes, forgets anonymous clients whose buckets are
    /// full again (bounding the limiter's memory), and writes last uses.
    pub(crate) fn housekeep(&self) {
        let _ = self.keys.reload_if_changed();
        self.anonymous.retain_recent();
        self.anonymous.shrink_to_fit();
        self.keys.flush_usage();
    }

    /// Writes last uses now (at shutdown).
    pub(crate) fn flush(&self) {
        self.keys.flush_usage();
    }
}

/// Health checks and metrics answer without a key even when reads need one, and are not
/// charged to any rate limit: probes and scrapers carry no key, and the routes stay cheap.
fn open_without_key(path: &str) -> bool {
    path == "/metrics" || path.starts_with("/health/")
}

/// Resolves the caller, charges its bucket, and adds `RateLimit-*` headers to the answer.
pub(crate) async fn guard(
    State(guard): State<Arc<Guard>>,
    mut request: Request,
    next: Next,
) -> Response {
    let address = client_address(&request);
    let caller = match request.headers().get(header::AUTHORIZATION) {
        None => Ok(Caller::Anonymous),
        Some(value) => {
            bearer(value).and_then(|t| guard.keys.lookup(&token_hash(t))).map(Caller::Key).ok_or(())
        }
    };
    let caller = match caller {
        Ok(caller) => caller,
        Err(()) => {
            // A bad key costs the sender's address a request, so keys cannot be guessed fast.
            let limit = guard.anonymous.check_key(&address);
            return finish(&guard, limit, ApiError::InvalidApiKey.into_response());
        }
    };
    if matches!(caller, Caller::Anonymous)
        && guard.require_key
        && !open_without_key(request.uri().path())
    {
        let limit = guard.anonymous.check_key(&address);
        return finish(&guard, limit, ApiError::MissingApiKey.into_response());
    }
    if open_without_key(request.uri().path()) {
        // Probes and scrapers are not charged: behind a shared address a busy client would
        // otherwise make a healthy node look dead.
        request.extensions_mut().insert(caller);
        return next.run(request).await;
    }
    let limit = match &caller {
        Caller::Anonymous => guard.anonymous.check_key(&address),
        Caller::Key(key) => {
            guard.keys.record_use(&key.id);
            key.limiter.check()
        }
    };
    if limit.is_err() {
        return finish(&guard, limit, Response::default());
    }
    request.extensions_mut().insert(caller);
    let response = next.run(request).await;
    finish(&guard, limit, response)
}

/// Puts the limit's headers on `response`, or answers 429 if the limit was reached.
fn finish(
    guard: &Guard,
    limit: Result<StateSnapshot, NotUntil<<DefaultClock as governor::clock::Clock>::Instant>>,
    mut response: Response,
) -> Response {
    let (quota, remaining, reset) = match limit {
        Ok(snapshot) => {
            let quota = snapshot.quota();
            let remaining = snapshot.remaining_burst_capacity();
            let empty = quota.burst_size().get().saturating_sub(remaining);
            (quota, remaining, quota.replenish_interval() * empty)
        }
        Err(not_until) => {
            let quota = not_until.quota();
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let retry_after = whole_seconds(wait).max(1);
            guard.metrics.rate_limited();
            response = ApiError::RateLimited { retry_after }.into_response();
            let refill = quota.replenish_interval() * quota.burst_size().get().saturating_sub(1);
            (quota, 0, wait + refill)
        }
    };
    let headers = response.headers_mut();
    set(headers, RATELIMIT_LIMIT, u64::from(quota.burst_size().get()));
    set(headers, RATELIMIT_REMAINING, u64::from(remaining));
    set(headers, RATELIMIT_RESET, whole_seconds(reset));
    response
}

const RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
const RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
const RATELIMIT_RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

fn set(headers: &mut HeaderMap, name: HeaderName, value: u64) {
    headers.insert(name, HeaderValue::from(value));
}

fn whole_seconds(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// The token of an `Authorization: Bearer <token>` header, if it is one.
fn bearer(value: &HeaderValue) -> Option<&str> {
    if value.len() > MAX_AUTHORIZATION {
        return None;
    }
    let value = value.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// The address anonymous limits are kept for: the client's, IPv6 clients by their /64 (one
/// host usually holds a whole /64); see [`cairn_http::client_address`].
pub(crate) fn client_address(request: &Request) -> IpAddr {
    request.extensions().get::<Peer>().map_or(IpAddr::from([0, 0, 0, 0]), |peer| peer.client())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_read_from_the_header() {
        let token = |v: &'static str| bearer(&HeaderValue::from_static(v)).map(str::to_string);
        assert_eq!(token("Bearer abc").as_deref(), Some("abc"));
        assert_eq!(token("bearer  abc ").as_deref(), Some("abc"));
        assert_eq!(token("Basic abc"), None);
        assert_eq!(token("Bearer"), None);
        assert_eq!(token("Bearer "), None);
        let long = HeaderValue::from_str(&format!("Bearer {}", "a".repeat(300))).expect("ascii");
        assert_eq!(bearer(&long), None);
    }

    #[test]
    fn the_key_file_is_read_when_it_changes_not_on_every_tick() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = ApiKeyFile::in_dir(dir.path());
        let ring = KeyRing::new(Some(ApiKeyFile::in_dir(dir.path())));
        assert!(!ring.reload_if_changed(), "no file yet: nothing to read again");
        let (_, token) =
            file.create(&Scope::ALL, "1/s".parse().expect("rate"), None).expect("create");
        assert!(ring.reload_if_changed(), "the file appeared");
        assert!(ring.lookup(&token_hash(&token)).is_some());
        assert!(!ring.reload_if_changed(), "unchanged");
        std::fs::remove_file(file.path()).expect("remove");
        assert!(ring.reload_if_changed(), "the file disappeared");
        assert!(ring.lookup(&token_hash(&token)).is_none());
        assert!(!ring.reload_if_changed());
    }

    #[test]
    fn quotas_follow_the_rate() {
        let q = quota("50/s".parse().expect("valid"), NonZeroU32::MIN.saturating_add(99));
        assert_eq!(q.replenish_interval(), Duration::from_millis(20));
        assert_eq!(q.burst_size().get(), 100);
        let q = quota("2/min".parse().expect("valid"), NonZeroU32::MIN.saturating_add(1));
        assert_eq!(q.replenish_interval(), Duration::from_secs(30));
    }
}
