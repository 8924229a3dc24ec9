//! `auth.htpasswd`: HTTP Basic authentication of every `/v2` request against an htpasswd file.
//!
//! Decisions (registry:2 is the reference):
//! - Only bcrypt entries authenticate, as in distribution. Other schemes (apr1, `{SHA}`, plain,
//!   crypt) never match; [`HtpasswdAuth::load`] reports them so the operator sees why a user
//!   cannot log in (`regctl user passwd` rewrites them as bcrypt).
//! - A missing file at start is an error, not distribution's generated `docker` user with a
//!   password in the log: a secret in a log file is worse than a clear refusal.
//! - The file is re-read when its inode, size, mtime or ctime changes, checked at most once per
//!   [`RELOAD_CHECK_INTERVAL`] with one `stat`. When it vanishes or cannot be read while running,
//!   every request is refused (fail closed) until it is back.
//! - bcrypt at cost 10 takes tens of milliseconds, so a client sending the same credentials on
//!   every request would be capped at a few dozen requests per second per core. A successful
//!   verification is therefore remembered for [`CACHE_TTL`] or until the file changes: per user,
//!   the sha256 of a random per-process salt and `user:password`, compared in constant time.
//!   Failures are never cached, so a wrong password always costs a full bcrypt.
//! - An unknown user still costs a bcrypt verification (against a dummy hash), so response times
//!   do not reveal which users exist.
//! - bcrypt is bounded: at most one verification per core runs (on the blocking pool, which storage
//!   I/O shares), and a short queue waits behind them; a request that finds the queue full is
//!   answered 429 `TOOMANYREQUESTS` with `Retry-After` at once, so a flood of wrong passwords
//!   cannot take the blocking threads from logged-in users' downloads (those are served from the
//!   cache and never wait here).
//! - A password longer than bcrypt's 72 bytes never authenticates: bcrypt would compare only its
//!   first 72 bytes, so `P + anything` would pass for a 72-byte `P`.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::fsutil::FileStamp;
use crate::htpasswd::{HashScheme, Htpasswd, HtpasswdError, MAX_PASSWORD_BYTES};

/// How long a successful verification is remembered.
pub const CACHE_TTL: Duration = Duration::from_secs(300);
/// How often, at most, the file's metadata is checked for changes.
pub const RELOAD_CHECK_INTERVAL: Duration = Duration::from_secs(1);
/// At most this many users have a remembered verification; the oldest is evicted first.
pub const CACHE_CAPACITY: usize = 4096;
/// Verifications that may wait, per core, for a bcrypt slot before further ones are answered 429.
pub const BCRYPT_QUEUE_PER_CORE: usize = 4;
/// `Retry-After` of the 429 sent when the bcrypt queue is full.
pub const BUSY_RETRY_AFTER_SECS: u32 = 1;

/// The outcome of checking credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Valid,
    Invalid,
    /// Too many verifications are running or waiting: not checked, ask the client to retry.
    Busy,
    /// Too many failed logins from the client's address or for the user (`login_limit`): not
    /// checked; retry after the wait.
    Limited(Duration),
}

/// The body distribution answers a 401 with, byte for byte (Go's encoder ends it with a newline).
pub const UNAUTHORIZED_BODY: &str =
    "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\",\"detail\":null}]}\n";

/// Errors setting up htpasswd authentication.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error(
        "the htpasswd file {path} does not exist (create it with `regctl user add NAME --htpasswd {path}`)",
        path = .path.display()
    )]
    MissingFile { path: PathBuf },
    #[error(transparent)]
    Read(#[from] HtpasswdError),
    #[error("the htpasswd realm is empty (set auth.htpasswd.realm)")]
    EmptyRealm,
    #[error("the htpasswd realm {realm:?} cannot be sent in a WWW-Authenticate header")]
    InvalidRealm { realm: String },
}

/// The name of the user a request was authenticated as, in the request's and the response's
/// extensions (the access log reads it from the response).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatedUser(pub String);

/// The users that can authenticate: bcrypt entries only.
#[derive(Debug, Default)]
struct Users {
    bcrypt: HashMap<String, String>,
}

impl Users {
    fn from_file(file: &Htpasswd) -> (Self, Vec<(String, HashScheme)>) {
        let mut bcrypt = HashMap::new();
        let mut ignored = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for entry in file.entries() {
            // The first entry for a user wins, as in Apache and distribution.
            if !seen.insert(entry.user.as_str()) {
                continue;
            }
            let scheme = entry.scheme();
            if scheme.registry_compatible() {
                bcrypt.insert(entry.user.clone(), entry.hash.clone());
            } else {
                ignored.push((entry.user.clone(), scheme));
            }
        }
        (Self { bcrypt }, ignored)
    }
}

struct FileState {
    /// `None` while the file is missing or unreadable: nobody authenticates.
    users: Option<Arc<Users>>,
    stamp: Option<FileStamp>,
    checked_at: Instant,
    /// Bumped on every reload so a verification started before a change is not cached after it.
    generation: u64,
}

struct CachedVerification {
    credential: [u8; 32],
    verified_at: Instant,
    generation: u64,
}

/// The htpasswd authenticator shared by every connection.
pub struct HtpasswdAuth {
    realm: String,
    challenge: HeaderValue,
    path: PathBuf,
    salt: [u8; 32],
    /// Verified against when the user does not exist, so that costs the same as a wrong password.
    dummy_hash: String,
    state: Mutex<FileState>,
    cache: Mutex<HashMap<String, CachedVerification>>,
    /// bcrypt runs in progress, by credential key: concurrent requests with the same credentials
    /// (a client's parallel layer uploads, a cold cache under load) share one verification.
    in_flight: Mutex<HashMap<[u8; 32], Arc<tokio::sync::OnceCell<Verdict>>>>,
    /// One permit per bcrypt allowed to run at once (about the core count).
    bcrypt_running: Arc<tokio::sync::Semaphore>,
    /// Permits for the running and the waiting ones together: none left means answer 429.
    bcrypt_admitted: Arc<tokio::sync::Semaphore>,
    /// `auth.htpasswd.policy`: per-repository rules, anonymous pull and CI tokens.
    policy: Option<crate::access::WatchedPolicy>,
    /// Failed logins per address and per user.
    limiter: super::login_limit::LoginLimiter,
    /// With a policy: regctl's own token service (`server/token_issuer.rs`), the public URL
    /// (`http.host`) its realm is on, and whether the listener is TLS.
    token_service: Option<TokenService>,
}

/// A login with a CI token: its id and scope.
pub(super) struct CiLogin {
    pub id: String,
    pub scope: Arc<crate::access::TokenScope>,
}

struct TokenService {
    issuer: super::token_issuer::Issuer,
    public_base: Option<String>,
    tls: bool,
}

impl std::fmt::Debug for HtpasswdAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HtpasswdAuth")
            .field("realm", &self.realm)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// What [`HtpasswdAuth::load`] found worth telling the operator.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Number of users that can authenticate.
    pub bcrypt_users: usize,
    /// Users whose entries are not bcrypt and therefore cannot authenticate.
    pub ignored: Vec<(String, HashScheme)>,
    /// 1-based numbers of lines that are not `user:hash`.
    pub malformed_lines: Vec<usize>,
}

impl HtpasswdAuth {
    /// Reads the htpasswd file at `path` and prepares the `WWW-Authenticate` challenge for `realm`.
    ///
    /// # Errors
    /// When the file does not exist or cannot be read, or the realm cannot be put in a header.
    pub fn load(realm: &str, path: &Path) -> Result<(Self, LoadReport), AuthError> {
        if realm.is_empty() {
            return Err(AuthError::EmptyRealm);
        }
        let challenge =
            HeaderValue::from_str(&format!("Basic realm={}", super::token_auth::quote(realm)))
                .map_err(|_| AuthError::InvalidRealm {
                    realm: realm.to_owned(),
                })?;
        let stamp = match FileStamp::of(path) {
            Ok(stamp) => stamp,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Err(AuthError::MissingFile {
                    path: path.to_owned(),
                })
            }
            Err(source) => {
                return Err(HtpasswdError::Read {
                    path: path.to_owned(),
                    source,
                }
                .into())
            }
        };
        let file = Htpasswd::load(path)?;
        let (users, ignored) = Users::from_file(&file);
        let report = LoadReport {
            bcrypt_users: users.bcrypt.len(),
            ignored,
            malformed_lines: file
                .malformed_lines()
                .into_iter()
                .map(|(number, _)| number)
                .collect(),
        };
        let dummy_cost = users
            .bcrypt
            .values()
            .find_map(|hash| match HashScheme::of(hash) {
                HashScheme::Bcrypt { cost } if (4..=31).contains(&cost) => Some(cost),
                _ => None,
            })
            .unwrap_or(bcrypt::DEFAULT_COST);
        let dummy_hash = bcrypt::hash(rand::random::<[u8; 16]>(), dummy_cost)
            .or_else(|_| bcrypt::hash(rand::random::<[u8; 16]>(), bcrypt::DEFAULT_COST))
            .unwrap_or_default();
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let auth = Self {
            realm: realm.to_owned(),
            challenge,
            path: path.to_owned(),
            salt: rand::random(),
            dummy_hash,
            state: Mutex::new(FileState {
                users: Some(Arc::new(users)),
                stamp: Some(stamp),
                checked_at: Instant::now(),
                generation: 0,
            }),
            cache: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashMap::new()),
            bcrypt_running: Arc::new(tokio::sync::Semaphore::new(cores)),
            bcrypt_admitted: Arc::new(tokio::sync::Semaphore::new(
                cores + cores * BCRYPT_QUEUE_PER_CORE,
            )),
            policy: None,
            limiter: super::login_limit::LoginLimiter::default(),
            token_service: None,
        };
        Ok((auth, report))
    }

    /// The realm sent in the challenge.
    #[must_use]
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// The access policy in force (`auth.htpasswd.policy`), for the web pages' decisions.
    #[must_use]
    pub fn policy(&self) -> Option<Arc<crate::access::watch::Snapshot>> {
        self.policy
            .as_ref()
            .map(crate::access::WatchedPolicy::current)
    }

    /// Enforces `policy` on every request from now on (`auth.htpasswd.policy`).
    pub fn set_policy(&mut self, policy: crate::access::WatchedPolicy) {
        self.policy = Some(policy);
    }

    /// Challenges with regctl's own token service instead of Basic (with a policy, so that
    /// docker can pull anonymously); its realm is `public_base` (`http.host`) or the address
    /// the client used, `https` when `tls`.
    ///
    /// # Errors
    /// When no signing key can be generated.
    pub fn enable_token_service(
        &mut self,
        public_base: Option<String>,
        tls: bool,
    ) -> Result<(), super::token_issuer::IssuerError> {
        self.token_service = Some(TokenService {
            issuer: super::token_issuer::Issuer::generate()?,
            public_base,
            tls,
        });
        Ok(())
    }

    /// The token issuer, when the token service is on.
    pub(super) fn issuer(&self) -> Option<&super::token_issuer::Issuer> {
        self.token_service.as_ref().map(|t| &t.issuer)
    }

    /// The `WWW-Authenticate` value for a request to `host`: Basic, or the token service's
    /// Bearer challenge (with `error="invalid_token"` after a refused token).
    fn challenge_for(&self, host: Option<&str>, invalid_token: bool) -> HeaderValue {
        let Some(service) = &self.token_service else {
            return self.challenge.clone();
        };
        let mut value =
            super::token_issuer::challenge(service.public_base.as_deref(), service.tls, host);
        if invalid_token {
            value.push_str(",error=\"invalid_token\"");
        }
        HeaderValue::from_str(&value).unwrap_or_else(|_| self.challenge.clone())
    }

    /// Whether `user` is in the htpasswd file (with an entry that can log in): a token only
    /// works while its user does.
    pub(super) fn has_user(&self, user: &str) -> bool {
        self.current_users(Instant::now())
            .0
            .is_some_and(|users| users.bcrypt.contains_key(user))
    }

    /// The htpasswd file this authenticator reads.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The current users, re-reading the file first when it changed since the last check (which
    /// happens at most once per [`RELOAD_CHECK_INTERVAL`]).
    fn current_users(&self, now: Instant) -> (Option<Arc<Users>>, u64) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if now.duration_since(state.checked_at) >= RELOAD_CHECK_INTERVAL {
            state.checked_at = now;
            let stamp = FileStamp::of(&self.path).ok();
            if stamp != state.stamp || stamp.is_none() {
                self.reload(&mut state, stamp);
            }
        }
        (state.users.clone(), state.generation)
    }

    fn reload(&self, state: &mut FileState, stamp: Option<FileStamp>) {
        let was_available = state.users.is_some();
        state.stamp = stamp;
        state.users = match Htpasswd::load(&self.path) {
            Ok(file) => {
                let (users, ignored) = Users::from_file(&file);
                tracing::info!(
                    path = %self.path.display(),
                    users = users.bcrypt.len(),
                    "htpasswd file changed: reloaded"
                );
                warn_ignored(&self.path, &ignored);
                Some(Arc::new(users))
            }
            Err(err) => {
                if was_available {
                    tracing::error!(
                        path = %self.path.display(),
                        error = %err,
                        "htpasswd file unreadable: refusing every request until it is back"
                    );
                }
                None
            }
        };
        if was_available || state.users.is_some() {
            state.generation += 1;
            self.cache
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clear();
        }
    }

    fn credential_key(&self, user: &str, password: &[u8]) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(self.salt);
        hasher.update(user.as_bytes());
        hasher.update(b":");
        hasher.update(password);
        hasher.finalize().into()
    }

    /// Whether `user:password` was verified recently under the current file.
    fn cached(&self, user: &str, key: &[u8; 32], generation: u64, now: Instant) -> bool {
        let cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        cache.get(user).is_some_and(|hit| {
            hit.generation == generation
                && now.duration_since(hit.verified_at) < CACHE_TTL
                && bool::from(hit.credential.ct_eq(key))
        })
    }

    fn remember(&self, user: &str, key: [u8; 32], generation: u64, now: Instant) {
        // A reload while bcrypt ran means the verification may be stale: do not keep it.
        let current_generation = self
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .generation;
        if current_generation != generation {
            return;
        }
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.len() >= CACHE_CAPACITY && !cache.contains_key(user) {
            cache.retain(|_, hit| now.duration_since(hit.verified_at) < CACHE_TTL);
            if cache.len() >= CACHE_CAPACITY {
                let oldest = cache
                    .iter()
                    .min_by_key(|(_, hit)| hit.verified_at)
                    .map(|(name, _)| name.clone());
                if let Some(oldest) = oldest {
                    cache.remove(&oldest);
                }
            }
        }
        cache.insert(
            user.to_owned(),
            CachedVerification {
                credential: key,
                verified_at: now,
                generation,
            },
        );
    }

    /// Checks `user:password` ([`HtpasswdAuth::check`]); busy counts as not verified.
    pub async fn verify(self: &Arc<Self>, user: &str, password: &[u8]) -> bool {
        self.check(user, password, None).await == Verdict::Valid
    }

    /// Checks `user:password`: from the cache when it was verified recently, else with bcrypt on
    /// the blocking pool (bcrypt would stall the async workers), bounded as the module says.
    /// Unverified attempts are limited per `client` address and per user (`login_limit`).
    pub async fn check(
        self: &Arc<Self>,
        user: &str,
        password: &[u8],
        client: Option<IpAddr>,
    ) -> Verdict {
        let now = Instant::now();
        let (users, generation) = self.current_users(now);
        let Some(users) = users else {
            return Verdict::Invalid;
        };
        let key = self.credential_key(user, password);
        if password.len() <= MAX_PASSWORD_BYTES && self.cached(user, &key, generation, now) {
            return Verdict::Valid;
        }
        if let Some(wait) = self.limiter.wait(client, user, now) {
            return Verdict::Limited(wait);
        }
        if password.len() > MAX_PASSWORD_BYTES {
            // bcrypt would compare only the first 72 bytes and let `P + anything` in.
            self.limiter.failed(client, user, now);
            return Verdict::Invalid;
        }
        let (hash, exists) = match users.bcrypt.get(user) {
            Some(hash) => (hash.clone(), true),
            None => (self.dummy_hash.clone(), false),
        };
        let shared = Arc::clone(
            self.in_flight
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(key)
                .or_default(),
        );
        let password = password.to_vec();
        let admitted = Arc::clone(&self.bcrypt_admitted);
        let running = Arc::clone(&self.bcrypt_running);
        let verdict = *shared
            .get_or_init(|| async move {
                let Ok(admitted) = admitted.try_acquire_owned() else {
                    return Verdict::Busy;
                };
                let Ok(running) = running.acquire_owned().await else {
                    return Verdict::Busy;
                };
                // The permits go with the blocking task: a client that hangs up does not free a
                // slot while its bcrypt still runs.
                let verified = tokio::task::spawn_blocking(move || {
                    let _permits = (admitted, running);
                    bcrypt::verify(&password, &hash).unwrap_or(false)
                })
                .await
                .unwrap_or(false);
                if verified {
                    Verdict::Valid
                } else {
                    Verdict::Invalid
                }
            })
            .await;
        {
            let mut in_flight = self
                .in_flight
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if in_flight
                .get(&key)
                .is_some_and(|entry| Arc::ptr_eq(entry, &shared))
            {
                in_flight.remove(&key);
            }
        }
        match verdict {
            Verdict::Valid if exists => {
                self.remember(user, key, generation, now);
                Verdict::Valid
            }
            Verdict::Busy => Verdict::Busy,
            Verdict::Limited(wait) => Verdict::Limited(wait),
            Verdict::Valid | Verdict::Invalid => {
                self.limiter.failed(client, user, Instant::now());
                Verdict::Invalid
            }
        }
    }

    /// Counts a failed login that did not go through [`HtpasswdAuth::check`] (a wrong CI
    /// token) and says how long the next attempt must wait, if it must.
    pub(super) fn token_failed(&self, client: Option<IpAddr>, user: &str) -> Option<Duration> {
        let now = Instant::now();
        self.limiter.failed(client, user, now);
        self.limiter.wait(client, user, now)
    }

    /// The 429 answer once too many logins failed.
    #[must_use]
    pub fn limited_response(wait: Duration) -> Response {
        let secs = super::login_limit::retry_after_secs(wait);
        crate::oci::error::ApiError::new(crate::oci::error::ErrorCode::TooManyRequests)
            .with_message(format!(
                "too many failed logins for this user or from this address; retry in {secs} s"
            ))
            .with_header(header::RETRY_AFTER, HeaderValue::from(secs))
            .into_response()
    }

    /// The 429 answer when the bcrypt queue is full.
    #[must_use]
    pub fn busy_response() -> Response {
        crate::oci::error::ApiError::new(crate::oci::error::ErrorCode::TooManyRequests)
            .with_message("too many logins are being checked; retry shortly")
            .with_header(
                header::RETRY_AFTER,
                HeaderValue::from(BUSY_RETRY_AFTER_SECS),
            )
            .into_response()
    }

    /// Who Basic credentials name, for the API and the token endpoint alike: a password checked
    /// with [`Self::check`], or (with a policy) a CI token from the snapshot's store, whose id and
    /// scope come back. A wrong CI token counts as a failed login.
    ///
    /// # Errors
    /// The [`Verdict`] that refused: `Invalid`, `Busy` or `Limited`.
    pub(super) async fn authenticate(
        self: &Arc<Self>,
        user: &str,
        password: &[u8],
        snapshot: Option<&crate::access::watch::Snapshot>,
        client: Option<IpAddr>,
    ) -> Result<Option<CiLogin>, Verdict> {
        use crate::access::tokens::TokenCheck;
        match snapshot.map(|s| s.tokens.check(user, password, unix_now())) {
            Some(TokenCheck::Valid(scope)) if self.has_user(user) => Ok(Some(CiLogin {
                id: crate::access::tokens::token_id(password)
                    .unwrap_or_default()
                    .to_owned(),
                scope: Arc::clone(scope),
            })),
            Some(TokenCheck::Valid(_) | TokenCheck::Invalid) => Err(self
                .token_failed(client, user)
                .map_or(Verdict::Invalid, Verdict::Limited)),
            None | Some(TokenCheck::NotAToken) => match self.check(user, password, client).await {
                Verdict::Valid => Ok(None),
                other => Err(other),
            },
        }
    }

    /// Who a bearer token of the token service names: anonymous (empty subject), or a user who
    /// is still in the htpasswd file, with the scope of the CI token they signed in with while
    /// it is live. `None`: the token is not valid.
    fn bearer_identity(
        &self,
        raw: &str,
        snapshot: &crate::access::watch::Snapshot,
    ) -> Option<Identity> {
        let claims = match self.issuer()?.verify(raw) {
            Ok(claims) => claims,
            Err(e) => {
                tracing::debug!(error = %e, "bearer token refused");
                return None;
            }
        };
        if claims.subject.is_empty() {
            return Some(Identity::Anonymous { with_token: true });
        }
        if !self.has_user(&claims.subject) {
            return None;
        }
        let scope = match &claims.ci_token {
            Some(id) => Some(Arc::clone(snapshot.tokens.live_scope(
                id,
                &claims.subject,
                unix_now(),
            )?)),
            None => None,
        };
        Some(Identity::User {
            name: claims.subject,
            scope,
        })
    }

    /// The 401 answer for a request to `host`, with the challenge of [`Self::challenge_for`].
    #[must_use]
    fn challenge_response_for(&self, host: Option<&str>, invalid_token: bool) -> Response {
        let mut response = self.challenge_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            self.challenge_for(host, invalid_token),
        );
        response
    }

    /// The 401 answer: distribution's challenge header and error body.
    #[must_use]
    pub fn challenge_response(&self) -> Response {
        let mut response = (
            StatusCode::UNAUTHORIZED,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            )],
            Body::from(UNAUTHORIZED_BODY),
        )
            .into_response();
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, self.challenge.clone());
        response
    }
}

/// Logs, once per load, the users that cannot authenticate because their entry is not bcrypt.
pub fn warn_ignored(path: &Path, ignored: &[(String, HashScheme)]) {
    if ignored.is_empty() {
        return;
    }
    let users = ignored
        .iter()
        .map(|(user, scheme)| format!("{user} ({scheme})"))
        .collect::<Vec<_>>()
        .join(", ");
    tracing::warn!(
        path = %path.display(),
        "these htpasswd users cannot log in because only bcrypt entries are accepted \
         (reset them with `regctl user passwd`): {users}"
    );
}

/// Splits an `Authorization: Basic` header into user and password.
pub(super) fn basic_credentials(value: &HeaderValue) -> Option<(String, Vec<u8>)> {
    let value = value.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let colon = decoded.iter().position(|&b| b == b':')?;
    let user = String::from_utf8(decoded[..colon].to_vec()).ok()?;
    Some((user, decoded[colon + 1..].to_vec()))
}

/// Whether a path is part of the registry API that authentication guards. Paths outside `/v2`
/// (ACME challenges, health checks) are answered without credentials, as distribution does.
fn is_protected(path: &str) -> bool {
    path == "/v2" || path.starts_with("/v2/")
}

/// Who a request authenticated as, before the policy looks at it.
enum Identity {
    /// `with_token`: a valid anonymous token of the token service was presented.
    Anonymous { with_token: bool },
    User {
        name: String,
        scope: Option<Arc<crate::access::TokenScope>>,
    },
}

pub(super) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The axum middleware: `axum::middleware::from_fn_with_state(auth, require_basic_auth)`.
///
/// Without a policy every `/v2` request needs valid credentials. With one, a request without
/// credentials (or with an empty user and password, which skopeo sends after a Basic challenge)
/// goes on as anonymous and the API's access hook decides; a password shaped like a CI token is
/// checked against the token store (no bcrypt); a 401 from the hook gets the challenge here.
pub async fn require_basic_auth(
    State(auth): State<Arc<HtpasswdAuth>>,
    mut request: Request,
    next: Next,
) -> Response {
    if !is_protected(request.uri().path()) {
        return next.run(request).await;
    }
    let snapshot = auth
        .policy
        .as_ref()
        .map(crate::access::WatchedPolicy::current);
    let credentials = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(basic_credentials)
        .filter(|(user, password)| snapshot.is_none() || !user.is_empty() || !password.is_empty());
    let client = request
        .extensions()
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    // Only the token service's challenge names the host, and only it takes bearer tokens: the
    // plain htpasswd path stays allocation-free.
    let host = auth
        .token_service
        .as_ref()
        .and_then(|_| request.headers().get(header::HOST))
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bearer = auth
        .token_service
        .as_ref()
        .filter(|_| credentials.is_none())
        .and_then(|_| request.headers().get(header::AUTHORIZATION))
        .and_then(super::token_auth::bearer_token)
        .map(str::to_owned);
    let identity = match (credentials, &snapshot, bearer) {
        (None, Some(snapshot), Some(raw)) => {
            match auth.bearer_identity(&raw, snapshot) {
                Some(identity) => identity,
                None => {
                    crate::metrics::auth(crate::metrics::AuthOutcome::Failure); // metrics hook
                    return auth.challenge_response_for(host.as_deref(), true);
                }
            }
        }
        (None, None, _) => {
            crate::metrics::auth(crate::metrics::AuthOutcome::Challenge); // metrics hook
            return auth.challenge_response();
        }
        (None, Some(_), _) => Identity::Anonymous { with_token: false },
        (Some((user, password)), snapshot, _) => {
            let verdict = auth
                .authenticate(&user, &password, snapshot.as_deref(), client)
                .await;
            match verdict {
                Ok(ci) => Identity::User {
                    name: user,
                    scope: ci.map(|ci| ci.scope),
                },
                Err(Verdict::Busy) => {
                    tracing::debug!(user = %user, "bcrypt queue full: answered 429");
                    return HtpasswdAuth::busy_response();
                }
                Err(Verdict::Limited(wait)) => {
                    tracing::info!(
                        user = %user,
                        client = ?client,
                        retry_after_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                        "too many failed logins: answered 429 without checking"
                    );
                    crate::metrics::auth(crate::metrics::AuthOutcome::Failure); // metrics hook
                    return HtpasswdAuth::limited_response(wait);
                }
                Err(_) => {
                    tracing::debug!(user = %user, "authentication failed");
                    crate::metrics::auth(crate::metrics::AuthOutcome::Failure); // metrics hook
                    return auth.challenge_response_for(host.as_deref(), false);
                }
            }
        }
    };
    let authenticated = match identity {
        Identity::Anonymous { with_token } => {
            if let Some(snapshot) = snapshot {
                request
                    .extensions_mut()
                    .insert(crate::access::RequestAccess {
                        snapshot,
                        user: None,
                        scope: None,
                        anonymous_token: with_token,
                    });
            }
            None
        }
        Identity::User { name, scope } => {
            crate::metrics::auth(crate::metrics::AuthOutcome::Success); // metrics hook
            if let Some(snapshot) = snapshot {
                request
                    .extensions_mut()
                    .insert(crate::access::RequestAccess {
                        snapshot,
                        user: Some(name.clone()),
                        scope,
                        anonymous_token: false,
                    });
            }
            let authenticated = AuthenticatedUser(name);
            request.extensions_mut().insert(authenticated.clone());
            Some(authenticated)
        }
    };
    let mut response = next.run(request).await;
    if response.status() == StatusCode::UNAUTHORIZED
        && !response.headers().contains_key(header::WWW_AUTHENTICATE)
    {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            auth.challenge_for(host.as_deref(), false),
        );
    }
    if let Some(authenticated) = authenticated {
        response.extensions_mut().insert(authenticated);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bcrypt_line(user: &str, password: &str) -> String {
        let hash = bcrypt::hash_with_result(password, 4)
            .unwrap()
            .format_for_version(bcrypt::Version::TwoY);
        format!("{user}:{hash}\n")
    }

    fn auth_with(text: &str) -> (tempfile::TempDir, Arc<HtpasswdAuth>, LoadReport) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("htpasswd");
        std::fs::write(&path, text).unwrap();
        let (auth, report) = HtpasswdAuth::load("test realm", &path).unwrap();
        (dir, Arc::new(auth), report)
    }

    /// Makes the next request re-check the file, as if a second had passed.
    fn expire_check(auth: &HtpasswdAuth) {
        let mut state = auth.state.lock().unwrap();
        state.checked_at = Instant::now()
            .checked_sub(RELOAD_CHECK_INTERVAL * 2)
            .unwrap();
    }

    fn cache_len(auth: &HtpasswdAuth) -> usize {
        auth.cache.lock().unwrap().len()
    }

    #[tokio::test]
    async fn caches_success_only() {
        let (_dir, auth, report) = auth_with(&bcrypt_line("alice", "right"));
        assert_eq!(report.bcrypt_users, 1);

        assert!(!auth.verify("alice", b"wrong").await);
        assert_eq!(cache_len(&auth), 0, "a failure must not be cached");
        assert!(!auth.verify("bob", b"right").await);
        assert_eq!(cache_len(&auth), 0);

        assert!(auth.verify("alice", b"right").await);
        assert_eq!(cache_len(&auth), 1);
        let key = auth.credential_key("alice", b"right");
        assert!(auth.cached("alice", &key, 0, Instant::now()));

        // a cached user with another password is a miss, verified (and refused) by bcrypt
        let other = auth.credential_key("alice", b"wrong");
        assert!(!auth.cached("alice", &other, 0, Instant::now()));
        assert!(!auth.verify("alice", b"wrong").await);
        // and the good entry stays
        assert!(auth.cached("alice", &key, 0, Instant::now()));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_verifications_are_coalesced_per_credential_without_mixing_answers() {
        let (_dir, auth, _) = auth_with(&bcrypt_line("alice", "right"));
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let auth = Arc::clone(&auth);
                let password: &'static [u8] = if i % 2 == 0 { b"right" } else { b"wrong" };
                tokio::spawn(async move { (i, auth.verify("alice", password).await) })
            })
            .collect();
        for task in tasks {
            let (i, verified) = task.await.unwrap();
            assert_eq!(verified, i % 2 == 0, "request {i}");
        }
        assert!(auth.in_flight.lock().unwrap().is_empty());
        assert_eq!(cache_len(&auth), 1);
    }

    #[tokio::test]
    async fn cache_entries_expire() {
        let (_dir, auth, _) = auth_with(&bcrypt_line("alice", "right"));
        assert!(auth.verify("alice", b"right").await);
        let key = auth.credential_key("alice", b"right");
        let later = Instant::now() + CACHE_TTL + Duration::from_secs(1);
        assert!(!auth.cached("alice", &key, 0, later));
    }

    #[test]
    fn credential_keys_are_salted_per_process() {
        let (_dir, one, _) = auth_with(&bcrypt_line("alice", "right"));
        let (_dir2, two, _) = auth_with(&bcrypt_line("alice", "right"));
        assert_ne!(
            one.credential_key("alice", b"right"),
            two.credential_key("alice", b"right")
        );
        // user and password are separated, so moving the colon changes the key
        assert_ne!(
            one.credential_key("alice", b"xright"),
            one.credential_key("alicex", b"right")
        );
    }

    #[tokio::test]
    async fn reload_picks_up_added_users_and_drops_the_cache() {
        let (dir, auth, _) = auth_with(&bcrypt_line("alice", "right"));
        assert!(auth.verify("alice", b"right").await);
        assert!(!auth.verify("bob", b"builder").await);

        let path = dir.path().join("htpasswd");
        let text = format!(
            "{}{}",
            bcrypt_line("alice", "changed"),
            bcrypt_line("bob", "builder")
        );
        crate::fsutil::atomic_write(&path, text.as_bytes(), None).unwrap();
        // still within the check interval: the old file is in force
        assert!(auth.verify("alice", b"right").await);

        expire_check(&auth);
        assert!(auth.verify("bob", b"builder").await);
        assert!(
            !auth.verify("alice", b"right").await,
            "a changed password must not be served from the cache"
        );
        assert!(auth.verify("alice", b"changed").await);
    }

    #[tokio::test]
    async fn a_vanished_file_refuses_everyone_until_it_is_back() {
        let (dir, auth, _) = auth_with(&bcrypt_line("alice", "right"));
        assert!(auth.verify("alice", b"right").await);
        let path = dir.path().join("htpasswd");
        std::fs::remove_file(&path).unwrap();
        expire_check(&auth);
        assert!(!auth.verify("alice", b"right").await);
        assert_eq!(cache_len(&auth), 0);

        std::fs::write(&path, bcrypt_line("alice", "right")).unwrap();
        expire_check(&auth);
        assert!(auth.verify("alice", b"right").await);
    }

    #[tokio::test]
    async fn only_bcrypt_entries_authenticate() {
        let text = format!(
            "{}md5:$apr1$saltsalt$yAAkm4libquA.ZWLHbSBq/\nsha:{{SHA}}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\nplain:password\nnot a line\n",
            bcrypt_line("alice", "right")
        );
        let (_dir, auth, report) = auth_with(&text);
        assert_eq!(report.bcrypt_users, 1);
        let ignored: Vec<_> = report.ignored.iter().map(|(u, _)| u.as_str()).collect();
        assert_eq!(ignored, ["md5", "sha", "plain"]);
        assert_eq!(report.malformed_lines, vec![5]);
        for user in ["md5", "sha", "plain"] {
            assert!(!auth.verify(user, b"password").await, "{user}");
        }
        assert!(auth.verify("alice", b"right").await);
    }

    #[tokio::test]
    async fn passwords_past_72_bytes_never_authenticate() {
        let password = "k".repeat(MAX_PASSWORD_BYTES);
        let (_dir, auth, _) = auth_with(&bcrypt_line("alice", &password));
        assert!(auth.verify("alice", password.as_bytes()).await);
        // bcrypt alone would accept this: it compares only the first 72 bytes
        let longer = format!("{password}anything");
        assert!(bcrypt::verify(
            &longer,
            &auth.current_users(Instant::now()).0.unwrap().bcrypt["alice"]
        )
        .unwrap());
        assert!(!auth.verify("alice", longer.as_bytes()).await);
    }

    #[tokio::test]
    async fn a_full_bcrypt_queue_answers_busy_and_cached_users_still_pass() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("htpasswd");
        std::fs::write(&path, bcrypt_line("alice", "right")).unwrap();
        let (mut auth, _) = HtpasswdAuth::load("r", &path).unwrap();
        auth.bcrypt_admitted = Arc::new(tokio::sync::Semaphore::new(1));
        let auth = Arc::new(auth);
        assert_eq!(auth.check("alice", b"right", None).await, Verdict::Valid);
        // every admission taken, as by a flood of wrong passwords
        let _held = Arc::clone(&auth.bcrypt_admitted)
            .try_acquire_owned()
            .unwrap();
        assert_eq!(auth.check("alice", b"wrong", None).await, Verdict::Busy);
        assert_eq!(
            auth.check("alice", b"right", None).await,
            Verdict::Valid,
            "cached"
        );
        let response = HtpasswdAuth::busy_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
    }

    #[test]
    fn refuses_to_start_without_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("htpasswd");
        let err = HtpasswdAuth::load("r", &path).unwrap_err();
        assert!(matches!(err, AuthError::MissingFile { .. }));
        assert!(err.to_string().contains("regctl user add"));
    }

    #[test]
    fn the_cache_is_bounded() {
        let (_dir, auth, _) = auth_with(&bcrypt_line("alice", "right"));
        let start = Instant::now();
        for i in 0..CACHE_CAPACITY + 10 {
            let user = format!("user{i}");
            let key = auth.credential_key(&user, b"pw");
            auth.remember(&user, key, 0, start + Duration::from_millis(i as u64));
        }
        assert_eq!(cache_len(&auth), CACHE_CAPACITY);
        // the oldest went first
        let first = auth.credential_key("user0", b"pw");
        assert!(!auth.cached("user0", &first, 0, start));
    }

    #[test]
    fn parses_basic_credentials() {
        let header = |s: &str| HeaderValue::from_str(s).unwrap();
        let encoded = base64::engine::general_purpose::STANDARD.encode("al:ice:pa:ss");
        assert_eq!(
            basic_credentials(&header(&format!("Basic {encoded}"))),
            Some(("al".to_owned(), b"ice:pa:ss".to_vec()))
        );
        assert_eq!(
            basic_credentials(&header(&format!("basic  {encoded}"))).map(|c| c.0),
            Some("al".to_owned())
        );
        assert_eq!(basic_credentials(&header("Bearer abc")), None);
        assert_eq!(basic_credentials(&header("Basic !!!")), None);
        let no_colon = base64::engine::general_purpose::STANDARD.encode("alice");
        assert_eq!(
            basic_credentials(&header(&format!("Basic {no_colon}"))),
            None
        );
    }

    #[test]
    fn challenge_matches_distribution() {
        let (_dir, auth, _) = auth_with(&bcrypt_line("alice", "right"));
        let response = auth.challenge_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.headers()[header::WWW_AUTHENTICATE],
            "Basic realm=\"test realm\""
        );
        assert!(is_protected("/v2/"));
        assert!(is_protected("/v2"));
        assert!(is_protected("/v2/a/b/manifests/latest"));
        assert!(!is_protected("/v20"));
        assert!(!is_protected("/.well-known/acme-challenge/x"));
    }
}
