//! The server shell of `regctl serve`: listener, TLS, HTTP/1.1 + HTTP/2, the layers every response
//! passes through (access log, `http.headers`, `Docker-Distribution-API-Version`, htpasswd auth)
//! and graceful shutdown.
//!
//! The registry API itself is an `axum::Router` handed in by the caller; this module never looks
//! inside it. Plain and TLS connections share one accept loop (hyper-util's auto builder, the
//! shape of axum's `low-level-rustls` example and mini-redis's server loop): a semaphore caps
//! open connections, accept errors back off instead of ending the server, and on shutdown the
//! listener closes first, then in-flight requests get up to the drain timeout to finish.

pub mod audit;
pub mod auth;
mod from_config;
pub mod letsencrypt;
pub mod logging;
pub mod login_limit;
pub mod tls;
pub mod token_auth;
pub mod token_issuer;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderName, HeaderValue};
use axum::response::Response;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;

use crate::certs::challenge::ACME_TLS_ALPN_PROTOCOL;
use crate::report::error_chain;

pub use auth::{AuthError, AuthenticatedUser, HtpasswdAuth};
pub use from_config::{storage_settings, SettingsError};
pub use letsencrypt::AcmeCertificates;
use logging::CountedBody;
pub use logging::{LogFormatter, LogLevel, LogSettings, LoggingError, RequestBodyStats};
pub use tls::{ReloadableCert, TlsError};

/// The API version header every response carries, as distribution sends it.
pub const API_VERSION_HEADER: &str = "docker-distribution-api-version";
/// Its value.
pub const API_VERSION: &str = "registry/2.0";
/// How long in-flight requests may take to finish after a shutdown signal when
/// `http.draintimeout` is not set.
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(30);
/// Default cap on simultaneously open connections.
pub const DEFAULT_MAX_CONNECTIONS: usize = 4096;
/// A TLS handshake that takes longer than this is dropped, so idle sockets cannot hold
/// connection slots.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Time a client gets, from accept (or the end of the TLS handshake), to send its first complete
/// request head, and on an idle HTTP/1 keep-alive connection to send the next one.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// `REGCTL_HEADER_TIMEOUT` (Go duration syntax, e.g. `2s`): overrides
/// [`ConnectionTimeouts::header`]. Not a config.yml key (registry:2 has none); for tests and for
/// operators who need a tighter bound.
pub const HEADER_TIMEOUT_ENV: &str = "REGCTL_HEADER_TIMEOUT";
/// `REGCTL_HANDSHAKE_TIMEOUT`: overrides [`ConnectionTimeouts::handshake`], like
/// [`HEADER_TIMEOUT_ENV`].
pub const HANDSHAKE_TIMEOUT_ENV: &str = "REGCTL_HANDSHAKE_TIMEOUT";
/// `REGCTL_MAX_CONNECTIONS`: overrides [`ServeSettings::max_connections`].
pub const MAX_CONNECTIONS_ENV: &str = "REGCTL_MAX_CONNECTIONS";
/// What a plain HTTP request sent to the TLS port is answered with: Go's `net/http` text, byte
/// for byte, so clients and operators see what registry:2 would have told them.
pub const HTTP_TO_HTTPS_RESPONSE: &[u8] =
    b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";
/// What a plain-HTTP client gets when every connection slot is taken: an answer at once rather
/// than a wait in the listen backlog behind connections that may never finish.
const BUSY_RESPONSE: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: 88\r\n\r\n{\"errors\":[{\"code\":\"UNAVAILABLE\",\"message\":\"too many open connections\",\"detail\":null}]}\n";

/// Deadlines that keep silent or stalled clients from holding connection slots and file
/// descriptors for ever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionTimeouts {
    /// The whole TLS handshake, from accept.
    pub handshake: Duration,
    /// The first request head, from accept (plain) or the handshake's end (TLS); then, on HTTP/1,
    /// each next request head of a keep-alive connection, from the end of the previous response.
    pub header: Duration,
}

impl Default for ConnectionTimeouts {
    fn default() -> Self {
        Self {
            handshake: DEFAULT_HANDSHAKE_TIMEOUT,
            header: DEFAULT_HEADER_TIMEOUT,
        }
    }
}

/// `auth.htpasswd`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HtpasswdSettings {
    pub realm: String,
    pub path: PathBuf,
    /// `auth.htpasswd.policy`: regctl's access policy (src/access); `None`: every
    /// authenticated user may do everything, as with registry:2.
    pub policy: Option<PathBuf>,
}

/// `http.tls`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsSettings {
    pub certificate: PathBuf,
    pub key: PathBuf,
    /// `http.tls.clientcas`: when not empty, clients must present a certificate from these CAs.
    pub client_cas: Vec<PathBuf>,
}

/// `http.tls.letsencrypt`: the certificate is obtained from an ACME CA at start (TLS-ALPN-01,
/// answered on the server's own TLS listener) and renewed while serving.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetsEncryptSettings {
    /// `cachefile`: the ACME account; the certificate and key are kept beside it with `.crt` and
    /// `.key` extensions.
    pub cachefile: PathBuf,
    /// `email`: the account's contact for expiry notices.
    pub email: Option<String>,
    /// `hosts`: the names the certificate covers (at least one).
    pub hosts: Vec<crate::certs::SubjectName>,
    /// `directoryurl`; Let's Encrypt's production directory when unset.
    pub directory_url: String,
    /// A PEM root trusted for the ACME server's own HTTPS instead of the system's roots: for
    /// private ACME servers such as pebble (`REGCTL_ACME_CA_ROOT`; not a config.yml key).
    pub ca_root: Option<PathBuf>,
}

/// `storage.maintenance.uploadpurging`, with distribution's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadPurging {
    pub enabled: bool,
    /// Uploads older than this are removed.
    pub age: Duration,
    /// How often the purge runs.
    pub interval: Duration,
    /// Log what would be removed without removing it.
    pub dryrun: bool,
}

impl Default for UploadPurging {
    fn default() -> Self {
        Self {
            enabled: true,
            age: crate::upload_purge::AGE,
            interval: crate::upload_purge::INTERVAL,
            dryrun: false,
        }
    }
}

/// Everything `regctl serve` needs, as plain data: the server shell reads the `http`, `auth` and
/// `log` parts, the registry API the storage parts. Built from config.yml + `REGISTRY_*` + flags
/// by the CLI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeSettings {
    /// `http.addr`: `HOST:PORT`; port 0 picks a free port; `:PORT` means every interface.
    pub addr: String,
    /// `storage`: the driver and its settings (`filesystem` or `s3`).
    pub storage: crate::storage::settings::StorageSettings,
    /// `storage.delete.enabled`.
    pub delete_enabled: bool,
    /// Not `storage.redirect.disable`: blob GETs redirect to the backend's download URL (S3).
    pub blob_redirects: bool,
    /// `tags.immutable` (regctl's own key), compiled.
    pub immutable_tags: crate::registry::immutable::ImmutableTags,
    /// `retention` (regctl's own key), checked; applied by the server only with a `schedule`.
    pub retention: crate::config::Retention,
    /// `storage.maintenance.readonly.enabled`.
    pub readonly: bool,
    pub htpasswd: Option<HtpasswdSettings>,
    /// `auth.token`: bearer tokens from a token server (never together with `htpasswd`).
    pub token: Option<token_auth::TokenSettings>,
    pub tls: Option<TlsSettings>,
    /// `http.tls.letsencrypt` (never together with `tls`).
    pub letsencrypt: Option<LetsEncryptSettings>,
    /// `http.http2.disabled`.
    pub http2_disabled: bool,
    /// `http.headers`: added to every response that does not set the header itself.
    pub headers: Vec<(String, Vec<String>)>,
    /// `http.draintimeout`; `None` means [`DEFAULT_DRAIN_TIMEOUT`], zero means do not wait.
    pub draintimeout: Option<Duration>,
    pub log: LogSettings,
    /// `http.host`: the external URL the API builds `Location` headers from.
    pub host: Option<String>,
    /// `http.relativeurls`.
    pub relativeurls: bool,
    pub uploadpurging: UploadPurging,
    /// Cap on simultaneously open connections; past it a connection is accepted and answered at
    /// once (plain HTTP: 503 with `Retry-After`; TLS: closed), never queued.
    /// `REGCTL_MAX_CONNECTIONS` overrides it.
    pub max_connections: usize,
    /// Handshake and request-head deadlines; `REGCTL_HANDSHAKE_TIMEOUT` and
    /// `REGCTL_HEADER_TIMEOUT` override them.
    pub timeouts: ConnectionTimeouts,

    /// `http.debug` (metrics: src/metrics.rs).
    pub debug: Option<crate::metrics::DebugSettings>,
    /// `health.*` checks (src/health.rs).
    pub health: Vec<crate::health::CheckSettings>,

    /// The web pages at `/` (src/web; not a config.yml key, registry:2 has no UI; `regctl serve
    /// --no-web` turns them off). When on, the app handed to [`wrap`] routes `/` itself; when
    /// off, `/` answers 200 with an empty body, as registry:2 does.
    pub web_ui: bool,

    /// `proxy.*`: serve as a pull-through cache of `proxy.remoteurl` (src/proxy).
    pub proxy: Option<crate::proxy::ProxySettings>,

    /// `notifications.*`: webhooks (src/notify); `None` without an enabled endpoint.
    pub notifications: Option<crate::notify::NotifySettings>,
}

impl Default for ServeSettings {
    fn default() -> Self {
        Self {
            addr: "127.0.0.1:5000".to_owned(),
            storage: crate::storage::settings::StorageSettings::Filesystem(PathBuf::from(
                "./registry-data",
            )),
            blob_redirects: true,
            immutable_tags: crate::registry::immutable::ImmutableTags::default(),
            retention: crate::config::Retention::default(),
            delete_enabled: false,
            readonly: false,
            htpasswd: None,
            token: None,
            tls: None,
            letsencrypt: None,
            http2_disabled: false,
            headers: Vec::new(),
            draintimeout: None,
            log: LogSettings::default(),
            host: None,
            relativeurls: false,
            uploadpurging: UploadPurging::default(),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            timeouts: ConnectionTimeouts::default(),

            debug: None,
            health: Vec::new(),

            web_ui: true,

            proxy: None,

            notifications: None,
        }
    }
}

impl ServeSettings {
    /// How long shutdown waits for in-flight requests.
    #[must_use]
    pub fn drain_timeout(&self) -> Duration {
        self.draintimeout.unwrap_or(DEFAULT_DRAIN_TIMEOUT)
    }

    /// `max_connections` and `timeouts` with the `REGCTL_*` overrides of the environment applied.
    ///
    /// # Errors
    /// When one of those variables is set to something that is not a duration or a count.
    pub fn connection_limits(&self) -> Result<(usize, ConnectionTimeouts), ServerError> {
        let duration = |name: &'static str, default: Duration| match std::env::var(name) {
            Ok(text) if !text.trim().is_empty() => crate::config::GoDuration::parse(text.trim())
                .ok()
                .and_then(crate::config::GoDuration::to_std)
                .filter(|d| !d.is_zero())
                .ok_or(ServerError::InvalidEnv { name, value: text }),
            _ => Ok(default),
        };
        let max_connections = match std::env::var(MAX_CONNECTIONS_ENV) {
            Ok(text) if !text.trim().is_empty() => {
                text.trim().parse::<usize>().ok().filter(|n| *n > 0).ok_or(
                    ServerError::InvalidEnv {
                        name: MAX_CONNECTIONS_ENV,
                        value: text,
                    },
                )?
            }
            _ => self.max_connections,
        };
        let timeouts = ConnectionTimeouts {
            handshake: duration(HANDSHAKE_TIMEOUT_ENV, self.timeouts.handshake)?,
            header: duration(HEADER_TIMEOUT_ENV, self.timeouts.header)?,
        };
        Ok((max_connections.max(1), timeouts))
    }

    /// Whether the server speaks HTTPS (certificate files or ACME).
    #[must_use]
    pub fn is_tls(&self) -> bool {
        self.tls.is_some() || self.letsencrypt.is_some()
    }
}

/// Errors starting or running the server.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot listen on {addr}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{name}={value:?} is not valid: set a positive Go duration such as 10s (timeouts) or a \
         positive count (connections), or unset it"
    )]
    InvalidEnv { name: &'static str, value: String },
    #[error("http.headers: {name:?} is not a valid header name")]
    InvalidHeaderName { name: String },
    #[error("http.headers: the value {value:?} of {name} is not a valid header value")]
    InvalidHeaderValue { name: String, value: String },
    #[error("http.tls: cannot set up TLS")]
    Tls(#[from] TlsError),
    #[error("auth.htpasswd: cannot set up authentication")]
    Auth(#[from] AuthError),
    #[error("auth.htpasswd.policy: cannot generate the token service's signing key")]
    TokenIssuer,
    #[error("auth.token: cannot set up token authentication")]
    TokenAuth(#[from] token_auth::TokenAuthError),
    #[error("auth.htpasswd.policy: cannot load the access policy")]
    Access(#[from] crate::access::watch::LoadError),
    #[error("http.tls.letsencrypt cannot be used together with http.tls.certificate")]
    TlsAndLetsEncrypt,
    #[error("http.tls.letsencrypt: cannot prepare the certificate store")]
    LetsEncryptStore(#[source] crate::certs::CertError),
    #[error("http.tls.letsencrypt: cannot obtain a certificate from {directory}")]
    LetsEncryptObtain {
        directory: String,
        #[source]
        source: crate::certs::CertError,
    },
}

/// The response headers added by the shell.
#[derive(Debug, Clone)]
struct ResponseHeaders {
    configured: Vec<(HeaderName, Vec<HeaderValue>)>,
}

fn response_headers(settings: &ServeSettings) -> Result<ResponseHeaders, ServerError> {
    let mut configured = Vec::with_capacity(settings.headers.len());
    for (name, values) in &settings.headers {
        let header_name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| ServerError::InvalidHeaderName { name: name.clone() })?;
        let header_values = values
            .iter()
            .map(|value| {
                HeaderValue::from_str(value).map_err(|_| ServerError::InvalidHeaderValue {
                    name: name.clone(),
                    value: value.clone(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        configured.push((header_name, header_values));
    }
    Ok(ResponseHeaders { configured })
}

async fn add_response_headers(
    State(headers): State<Arc<ResponseHeaders>>,
    mut response: Response,
) -> Response {
    let map = response.headers_mut();
    if !map.contains_key(API_VERSION_HEADER) {
        map.insert(API_VERSION_HEADER, HeaderValue::from_static(API_VERSION));
    }
    // distribution adds these before its handlers run, so a handler's own value wins.
    for (name, values) in &headers.configured {
        if map.contains_key(name) {
            continue;
        }
        for value in values {
            map.append(name.clone(), value.clone());
        }
    }
    response
}

/// Wraps `app` with the shell's layers, outermost first: access log, response headers, htpasswd
/// authentication (for `/v2` only), panic catcher.
///
/// # Errors
/// When a configured header is invalid or the htpasswd file cannot be loaded.
pub fn wrap(settings: &ServeSettings, app: Router) -> Result<Router, ServerError> {
    let headers = Arc::new(response_headers(settings)?);
    // `/` answers 200 with an empty body, as registry:2 does, for load-balancer and Kubernetes
    // probes; it is outside `/v2`, so no credentials are asked for.
    // With the web pages on, `/` is theirs (their login form answers 200 too).
    let app = if settings.web_ui {
        app
    } else {
        app.route(
            "/",
            axum::routing::get(|| async { axum::http::StatusCode::OK }),
        )
    };
    let app = crate::health::probe_routes(app);
    let mut app = app.layer(tower_http::catch_panic::CatchPanicLayer::new());
    if let Some(htpasswd) = &settings.htpasswd {
        let (mut authenticator, report) = HtpasswdAuth::load(&htpasswd.realm, &htpasswd.path)?;
        if let Some(policy) = &htpasswd.policy {
            let watched = crate::access::WatchedPolicy::load(policy)?;
            let snapshot = watched.current();
            tracing::info!(
                path = %policy.display(),
                rules = snapshot.policy.rules().len(),
                tokens = snapshot.tokens.tokens().len(),
                anonymous = snapshot.policy.anonymous().len(),
                "access policy loaded"
            );
            authenticator.set_policy(watched);
            authenticator
                .enable_token_service(settings.host.clone(), settings.is_tls())
                .map_err(|_| ServerError::TokenIssuer)?;
        }
        auth::warn_ignored(&htpasswd.path, &report.ignored);
        if !report.malformed_lines.is_empty() {
            tracing::warn!(
                path = %htpasswd.path.display(),
                lines = ?report.malformed_lines,
                "htpasswd lines that are not `user:hash` are ignored"
            );
        }
        if report.bcrypt_users == 0 {
            tracing::warn!(
                path = %htpasswd.path.display(),
                "the htpasswd file has no bcrypt user: nobody can log in (add one with `regctl user add`)"
            );
        }
        let authenticator = Arc::new(authenticator);
        if authenticator.issuer().is_some() {
            // Outside /v2, so the auth layer lets clients reach it without credentials.
            app = app.route(
                token_issuer::TOKEN_PATH,
                axum::routing::get(token_issuer::token_endpoint)
                    .with_state(Arc::clone(&authenticator)),
            );
        }
        app = app.layer(axum::middleware::from_fn_with_state(
            Arc::clone(&authenticator),
            auth::require_basic_auth,
        ));
        // The web pages' login form checks passwords with the same authenticator (one cache,
        // one bcrypt bound).
        app = app.layer(axum::Extension(authenticator));
    }
    if let Some(token) = &settings.token {
        let authenticator = Arc::new(token_auth::TokenAuth::load(token.clone())?);
        app = app.layer(axum::middleware::from_fn_with_state(
            authenticator,
            token_auth::require_bearer_token,
        ));
    }
    app = app.layer(axum::middleware::map_response_with_state(
        headers,
        add_response_headers,
    ));
    // health hook (src/health.rs): 503 for everything while a check fails, as registry:2.
    if !settings.health.is_empty() {
        app = app.layer(axum::middleware::from_fn(crate::health::gate));
    }
    // One audit line per write, whatever its outcome (src/server/audit.rs).
    app = app.layer(axum::middleware::from_fn(audit::audit));
    if !settings.log.accesslog_disabled {
        app = app.layer(axum::middleware::from_fn(logging::access_log));
    }
    // metrics hook (src/metrics.rs): outermost, so auth refusals are counted too.
    if crate::metrics::installed().is_some() {
        app = app.layer(axum::middleware::from_fn(crate::metrics::track));
    }
    Ok(app)
}

/// A bound server, not yet accepting.
pub struct Server {
    listener: TcpListener,
    local_addr: SocketAddr,
    tls: Option<(tokio_rustls::TlsAcceptor, Arc<ReloadableCert>)>,
    acme: Option<Arc<AcmeCertificates>>,
    app: Router,
    http2: bool,
    drain_timeout: Duration,
    max_connections: usize,
    timeouts: ConnectionTimeouts,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("local_addr", &self.local_addr)
            .field("tls", &self.tls.is_some())
            .field("acme", &self.acme.is_some())
            .field("http2", &self.http2)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Loads TLS and auth, wraps `app` with the shell's layers and binds the listener. With
    /// `http.tls.letsencrypt` the stored certificate is put in when still good; otherwise only
    /// TLS-ALPN-01 validations complete a handshake until [`Server::serve_when_ready`] has
    /// obtained one.
    ///
    /// # Errors
    /// When the address cannot be bound, or TLS, auth or headers are misconfigured.
    pub async fn bind(settings: &ServeSettings, app: Router) -> Result<Self, ServerError> {
        let http2 = !settings.http2_disabled;
        let mut acme = None;
        let tls = match (&settings.tls, &settings.letsencrypt) {
            (Some(_), Some(_)) => return Err(ServerError::TlsAndLetsEncrypt),
            (Some(files), None) => {
                let certs = Arc::new(ReloadableCert::load(
                    &files.certificate,
                    &files.key,
                    tls::provider(),
                )?);
                let config =
                    tls::server_config(Arc::clone(&certs), &files.client_cas, http2, None)?;
                Some((tokio_rustls::TlsAcceptor::from(config), certs))
            }
            (None, Some(letsencrypt)) => {
                let certificates = Arc::new(
                    AcmeCertificates::new(letsencrypt).map_err(ServerError::LetsEncryptStore)?,
                );
                let certs = certificates.certificate();
                let config = tls::server_config(
                    Arc::clone(&certs),
                    &[],
                    http2,
                    Some(certificates.responder()),
                )?;
                acme = Some(certificates);
                Some((tokio_rustls::TlsAcceptor::from(config), certs))
            }
            (None, None) => None,
        };
        let (max_connections, timeouts) = settings.connection_limits()?;
        let app = wrap(settings, app)?;
        let addr = crate::listen_addr::bind_target(&settings.addr);
        let listener = TcpListener::bind(&addr)
            .await
            .map_err(|source| ServerError::Bind {
                addr: settings.addr.clone(),
                source,
            })?;
        let local_addr = listener.local_addr().map_err(|source| ServerError::Bind {
            addr: settings.addr.clone(),
            source,
        })?;
        Ok(Self {
            listener,
            local_addr,
            tls,
            acme,
            app,
            http2,
            drain_timeout: settings.drain_timeout(),
            max_connections,
            timeouts,
        })
    }

    /// The address actually bound (the port is known even when 0 was asked for).
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Whether connections are TLS.
    #[must_use]
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// The reloadable certificate when serving TLS (call [`ReloadableCert::reload`] after a
    /// renewal).
    #[must_use]
    pub fn certificate(&self) -> Option<Arc<ReloadableCert>> {
        self.tls.as_ref().map(|(_, certs)| Arc::clone(certs))
    }

    /// The ACME state with `http.tls.letsencrypt`.
    #[must_use]
    pub fn letsencrypt(&self) -> Option<Arc<AcmeCertificates>> {
        self.acme.clone()
    }

    /// [`Server::serve`], but first, with `http.tls.letsencrypt` and no certificate yet, obtains
    /// one while the listener already accepts (the ACME server validates by connecting to it);
    /// `on_ready` is called once a certificate is in place, then the renewal task runs for as
    /// long as the server does. A `shutdown` while obtaining stops at once.
    ///
    /// # Errors
    /// When the first certificate cannot be obtained.
    pub async fn serve_when_ready(
        self,
        shutdown: impl Future<Output = ()>,
        on_ready: impl FnOnce(SocketAddr),
    ) -> Result<(), ServerError> {
        let local_addr = self.local_addr;
        let acme = self.acme.clone();
        let serving = self.serve(shutdown);
        tokio::pin!(serving);
        let _renewal = match acme {
            Some(acme) => {
                if !acme.has_certificate() {
                    tracing::info!(
                        directory = %acme.request().directory_url,
                        hosts = ?acme.request().hosts.iter().map(ToString::to_string).collect::<Vec<_>>(),
                        "http.tls.letsencrypt: obtaining a certificate (TLS-ALPN-01 on this listener)"
                    );
                    tokio::select! {
                        () = &mut serving => return Ok(()),
                        checked = acme.check() => {
                            checked.map_err(|source| ServerError::LetsEncryptObtain {
                                directory: acme.request().directory_url.clone(),
                                source,
                            })?;
                        }
                    }
                }
                Some(AbortOnDrop(tokio::spawn(acme.keep_renewed())))
            }
            None => None,
        };
        on_ready(local_addr);
        serving.await;
        Ok(())
    }

    /// Accepts connections until `shutdown` completes, then stops accepting and waits up to the
    /// drain timeout for in-flight requests; connections still open after it are closed.
    pub async fn serve(self, shutdown: impl Future<Output = ()>) {
        let Self {
            listener,
            local_addr,
            tls,
            acme: _,
            app,
            http2,
            drain_timeout,
            max_connections,
            timeouts,
        } = self;
        let acceptor = tls.map(|(acceptor, _)| acceptor);
        let builder = Arc::new(connection_builder(http2, timeouts.header));
        let graceful = GracefulShutdown::new();
        let slots = Arc::new(Semaphore::new(max_connections));
        let abort = CancellationToken::new();
        let mut backoff = Duration::from_millis(5);
        tokio::pin!(shutdown);

        loop {
            let (stream, peer) = tokio::select! {
                () = &mut shutdown => break,
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => {
                        backoff = Duration::from_millis(5);
                        accepted
                    }
                    Err(err) => {
                        // Running out of file descriptors or a connection reset before accept:
                        // wait a little and go on; the server must not die of a busy moment.
                        tracing::warn!(error = %err, "accept failed; retrying");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(1));
                        continue;
                    }
                },
            };
            // Refuse rather than queue: a client waiting in the backlog behind slots held by
            // silent sockets would only time out; an answer now tells it to come back.
            let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
                tracing::debug!(%peer, max_connections, "connection refused: every slot is taken");
                if acceptor.is_none() {
                    // Best effort, never waiting: the socket buffer of a new connection is empty.
                    let _ = stream.try_write(BUSY_RESPONSE);
                }
                drop(stream);
                continue;
            };
            let _ = stream.set_nodelay(true);
            let connection = Connection {
                builder: Arc::clone(&builder),
                app: app.clone(),
                peer,
                watcher: graceful.watcher(),
                abort: abort.clone(),
                header_timeout: timeouts.header,
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _permit = permit;
                let _open = crate::metrics::connection_opened(); // metrics hook
                match acceptor {
                    None => connection.serve(stream).await,
                    Some(acceptor) => {
                        let deadline = tokio::time::Instant::now() + timeouts.handshake;
                        serve_tls(connection, acceptor, stream, deadline).await;
                    }
                }
            });
        }

        drop(listener);
        let open = graceful.count();
        tracing::info!(
            address = %local_addr,
            open_connections = open,
            drain_timeout = ?drain_timeout,
            "shutting down: no longer accepting connections"
        );
        if tokio::time::timeout(drain_timeout, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!(
                drain_timeout = ?drain_timeout,
                "drain timeout reached: closing the connections still open"
            );
            abort.cancel();
        }
        tracing::info!("server stopped");
    }
}

/// Stops a background task when the server it belongs to stops.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Whether the first bytes of a connection look like a TLS record: a handshake record (a
/// ClientHello) starts with content type 22.
fn looks_like_tls(first: u8) -> bool {
    first == 0x16
}

/// Serves one TLS connection: the first byte decides between TLS and a plain-HTTP mistake (Go's
/// 400 answer), then the handshake must finish by `deadline`.
async fn serve_tls(
    connection: Connection,
    acceptor: tokio_rustls::TlsAcceptor,
    stream: tokio::net::TcpStream,
    deadline: tokio::time::Instant,
) {
    let peer = connection.peer;
    let mut first = [0_u8; 1];
    match tokio::time::timeout_at(deadline, stream.peek(&mut first)).await {
        Ok(Ok(1)) if !looks_like_tls(first[0]) => {
            if first[0].is_ascii_alphabetic() {
                tracing::debug!(%peer, "plain HTTP on the TLS port: answered 400");
                let mut stream = stream;
                let _ = tokio::time::timeout_at(deadline, async {
                    tokio::io::AsyncWriteExt::write_all(&mut stream, HTTP_TO_HTTPS_RESPONSE)
                        .await?;
                    tokio::io::AsyncWriteExt::shutdown(&mut stream).await
                })
                .await;
            }
            return;
        }
        Ok(Ok(1)) => {}
        Ok(_) => return,
        Err(_) => {
            tracing::debug!(%peer, "TLS handshake timed out before its first byte");
            return;
        }
    }
    match tokio::time::timeout_at(deadline, acceptor.accept(stream)).await {
        Ok(Ok(mut tls_stream))
            if tls_stream.get_ref().1.alpn_protocol() == Some(ACME_TLS_ALPN_PROTOCOL) =>
        {
            // A TLS-ALPN-01 validation: the handshake was the answer (RFC 8737 §3); nothing is
            // served on this connection.
            tracing::debug!(%peer, "answered a TLS-ALPN-01 validation");
            let _ = tokio::io::AsyncWriteExt::shutdown(&mut tls_stream).await;
        }
        Ok(Ok(tls_stream)) => connection.serve(tls_stream).await,
        Ok(Err(err)) => tracing::debug!(%peer, error = %err, "TLS handshake failed"),
        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
    }
}

fn connection_builder(http2: bool, header_timeout: Duration) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // hyper's header timer starts when it waits for a head (also between keep-alive requests);
    // the wait for the very first bytes, where the auto builder sniffs the HTTP version, is
    // bounded by `Connection::serve`.
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    // Pings find HTTP/2 peers that vanished without closing (a cut network, a killed VM).
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(Duration::from_secs(60)))
        .keep_alive_timeout(Duration::from_secs(20));
    if http2 {
        builder
    } else {
        builder.http1_only()
    }
}

/// One accepted connection and what serving it needs.
struct Connection {
    builder: Arc<auto::Builder<TokioExecutor>>,
    app: Router,
    peer: SocketAddr,
    watcher: hyper_util::server::graceful::Watcher,
    abort: CancellationToken,
    header_timeout: Duration,
}

impl Connection {
    async fn serve<I>(self, io: I)
    where
        I: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        let Self {
            builder,
            app,
            peer,
            watcher,
            abort,
            header_timeout,
        } = self;
        // Set by the first request: until then the connection lives on `header_timeout` alone.
        let served = Arc::new(AtomicBool::new(false));
        let seen = Arc::clone(&served);
        let service = hyper::service::service_fn(move |request: http::Request<Incoming>| {
            if !seen.load(Ordering::Relaxed) {
                seen.store(true, Ordering::Relaxed);
            }
            let (mut parts, body) = request.into_parts();
            // Handlers and the access log read the client's address from here.
            parts.extensions.insert(ConnectInfo(peer));
            let http1 = parts.version <= http::Version::HTTP_11;
            // Requests without a body (every GET and HEAD) take the plain path: no counter.
            let (body, stats) = if http_body::Body::is_end_stream(&body) {
                (axum::body::Body::new(body), None)
            } else {
                let stats = Arc::new(RequestBodyStats::default());
                parts.extensions.insert(Arc::clone(&stats));
                (
                    axum::body::Body::new(CountedBody::new(body, Arc::clone(&stats))),
                    Some(stats),
                )
            };
            let answer = app.clone().oneshot(http::Request::from_parts(parts, body));
            async move {
                let mut response = answer.await?;
                if http1 && stats.is_some_and(|stats| !stats.ended()) {
                    // Answered before the request body was read (an early error): hyper then
                    // closes the connection rather than read an unknown amount of body, so say
                    // so, and a keep-alive client opens a new connection instead of meeting EOF.
                    response
                        .headers_mut()
                        .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
                }
                Ok::<_, std::convert::Infallible>(response)
            }
        });
        let connection = builder
            .serve_connection(TokioIo::new(io), service)
            .into_owned();
        // The first request head must arrive within `header_timeout` of accept: hyper's own
        // header timer only starts once the auto builder has seen the first bytes.
        let first_request = async {
            tokio::time::sleep(header_timeout).await;
            if served.load(Ordering::Relaxed) {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            result = watcher.watch(connection) => {
                if let Err(err) = result {
                    tracing::debug!(%peer, error = %err, "connection ended with an error");
                }
            }
            () = first_request => {
                tracing::debug!(%peer, timeout = ?header_timeout, "no request within the header timeout: closed");
            }
            () = abort.cancelled() => {
                tracing::debug!(%peer, "connection closed at the end of the drain timeout");
            }
        }
    }
}

/// Binds, obtains an ACME certificate if one is needed, reports the bound address to `on_ready`,
/// serves `app` behind the shell's layers until
/// `shutdown` completes, then drains (see [`Server::serve`]).
///
/// # Errors
/// When the server cannot start: see [`Server::bind`].
pub async fn run(
    settings: &ServeSettings,
    app: Router,
    shutdown: impl Future<Output = ()>,
    on_ready: impl FnOnce(SocketAddr),
) -> Result<(), ServerError> {
    Server::bind(settings, app)
        .await?
        .serve_when_ready(shutdown, on_ready)
        .await
}

#[cfg(test)]
mod tests;
