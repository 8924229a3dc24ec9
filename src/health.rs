//! Health checks as registry:2 runs them (`health.storagedriver`, `health.file`, `health.http`,
//! `health.tcp`; distribution's `health` package and `RegisterHealthChecks`), plus `/livez` and
//! `/readyz`.
//!
//! Every check runs periodically (first run one interval after start, as Go's ticker does) and
//! records its last result; a check with a threshold reports its error only once it failed
//! `threshold` times in a row (a success resets the count). While any check reports an error:
//! - `GET /debug/health` on the debug listener answers 503 with `{"check name": "error", ...}`
//!   (200 `{}` otherwise), byte-compatible with distribution's `StatusHandler`;
//! - every request on the public listener is answered 503 `UNAVAILABLE` "health check failed:
//!   please see /debug/health", as distribution's `health.Handler` does (the request path reads
//!   one atomic).
//!
//! `/livez` answers 200 while the process serves; `/readyz` answers 200 only when a storage
//! round trip succeeds now and, with `http.tls.letsencrypt`, a certificate is in place. Both are
//! on the debug listener and the public one (outside `/v2`, so no credentials are asked for).
//!
//! Zero timeouts mean "none" in Go; here a check never outlives its interval instead, so a hung
//! endpoint cannot pile up checks.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;

/// distribution's `defaultCheckInterval`.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(10);
/// How long `/readyz` waits for its storage round trip.
const READY_STORAGE_TIMEOUT: Duration = Duration::from_secs(5);
/// What the public listener answers while a check fails: distribution's `errcode.ServeJSON`
/// of `ErrorCodeUnavailable` with the detail `health.Handler` sets.
const UNAVAILABLE_BODY: &str = "{\"errors\":[{\"code\":\"UNAVAILABLE\",\"message\":\"service unavailable\",\"detail\":\"health check failed: please see /debug/health\"}]}\n";

/// What is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// `health.storagedriver`: one storage round trip through the registry.
    Storage,
    /// `health.file[].file`: fails while the file exists (a maintenance switch).
    File(std::path::PathBuf),
    /// `health.http[]`: a HEAD request must answer `status`.
    Http {
        uri: String,
        status: u16,
        headers: Vec<(String, String)>,
        timeout: Option<Duration>,
    },
    /// `health.tcp[]`: a TCP connection must open.
    Tcp {
        addr: String,
        timeout: Option<Duration>,
    },
}

/// One configured check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckSettings {
    /// The key in `/debug/health`'s JSON: `storagedriver_filesystem`, the file path, the URI or
    /// the address, as in registry:2.
    pub name: String,
    pub probe: Probe,
    pub interval: Duration,
    /// Consecutive failures before the check reports its error; 0 and 1 both mean at once.
    pub threshold: u32,
}

/// Errors configuring the checks.
#[derive(Debug, thiserror::Error)]
pub enum HealthError {
    #[error("health.http: {uri:?} is not a usable URL")]
    Uri { uri: String },
    #[error("health.http: header {name:?}: {value:?} is not a valid header")]
    Header { name: String, value: String },
}

type StorageProbe =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send + Sync>;

struct Check {
    settings: CheckSettings,
    /// (consecutive failures, last error).
    state: Mutex<(u32, Option<String>)>,
}

impl Check {
    fn record(&self, result: Result<(), String>) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match result {
            Ok(()) => *state = (0, None),
            Err(error) => {
                state.0 = state.0.saturating_add(1);
                state.1 = Some(error);
            }
        }
    }

    fn failing(&self) -> Option<String> {
        let state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        (state.0 >= self.settings.threshold.max(1))
            .then(|| state.1.clone())
            .flatten()
    }
}

/// The process's checks and readiness inputs.
pub struct Health {
    checks: Vec<Arc<Check>>,
    /// Whether some check reports an error: what the public listener's layer reads.
    unhealthy: AtomicBool,
    storage: StorageProbe,
    /// Set once the TLS certificate is in place when ACME provides it.
    certificate: OnceLock<Arc<dyn Fn() -> bool + Send + Sync>>,
    http: reqwest::Client,
}

impl std::fmt::Debug for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Health")
            .field("checks", &self.checks.len())
            .finish_non_exhaustive()
    }
}

static HEALTH: OnceLock<Arc<Health>> = OnceLock::new();

/// The installed health state, when [`start`] ran.
#[must_use]
pub fn installed() -> Option<&'static Arc<Health>> {
    HEALTH.get()
}

/// Builds the checks, starts their timers (on the current tokio runtime) and installs them for
/// the listeners. `storage` is one storage round trip (`Registry::probe_storage`).
///
/// # Errors
/// When an HTTP check's URL or header is unusable.
pub fn start<F, Fut>(checks: &[CheckSettings], storage: F) -> Result<Arc<Health>, HealthError>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    for check in checks {
        if let Probe::Http { uri, headers, .. } = &check.probe {
            if reqwest::Url::parse(uri).is_err() {
                return Err(HealthError::Uri { uri: uri.clone() });
            }
            for (name, value) in headers {
                if header::HeaderName::from_bytes(name.as_bytes()).is_err()
                    || HeaderValue::from_str(value).is_err()
                {
                    return Err(HealthError::Header {
                        name: name.clone(),
                        value: value.clone(),
                    });
                }
            }
        }
    }
    let storage: StorageProbe = Arc::new(move || Box::pin(storage()));
    let health = Arc::new(Health {
        checks: checks
            .iter()
            .map(|settings| {
                Arc::new(Check {
                    settings: settings.clone(),
                    state: Mutex::new((0, None)),
                })
            })
            .collect(),
        unhealthy: AtomicBool::new(false),
        storage,
        certificate: OnceLock::new(),
        // No redirects: distribution's HEAD check judges the status it gets.
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default(),
    });
    for check in &health.checks {
        tracing::info!(
            check = %check.settings.name,
            interval = ?check.settings.interval,
            threshold = check.settings.threshold,
            "health check configured"
        );
        let health = Arc::clone(&health);
        let check = Arc::clone(check);
        tokio::spawn(async move {
            let period = check.settings.interval;
            let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                let result =
                    match tokio::time::timeout(period, health.run(&check.settings.probe)).await {
                        Ok(result) => result,
                        Err(_) => Err(format!("no answer within {period:?}")),
                    };
                if let Err(error) = &result {
                    tracing::error!(check = %check.settings.name, %error, "health check failed");
                }
                check.record(result);
                health.refresh();
            }
        });
    }
    let _ = HEALTH.set(Arc::clone(&health));
    Ok(health)
}

impl Health {
    /// Readiness also waits for this: the ACME certificate (`AcmeCertificates::has_certificate`).
    pub fn require_certificate(&self, in_place: impl Fn() -> bool + Send + Sync + 'static) {
        let _ = self.certificate.set(Arc::new(in_place));
    }

    /// The failing checks by name, as `/debug/health` lists them.
    #[must_use]
    pub fn failing(&self) -> BTreeMap<String, String> {
        self.checks
            .iter()
            .filter_map(|check| Some((check.settings.name.clone(), check.failing()?)))
            .collect()
    }

    fn refresh(&self) {
        let unhealthy = self.checks.iter().any(|check| check.failing().is_some());
        self.unhealthy.store(unhealthy, Ordering::Relaxed);
    }

    async fn run(&self, probe: &Probe) -> Result<(), String> {
        match probe {
            Probe::Storage => (self.storage)().await,
            Probe::File(path) => {
                let path = std::path::absolute(path).map_err(|e| {
                    format!("failed to get absolute path for {:?}: {e}", path.display())
                })?;
                match tokio::fs::metadata(&path).await {
                    Ok(_) => Err("file exists".to_owned()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                    Err(e) => Err(e.to_string()),
                }
            }
            Probe::Http {
                uri,
                status,
                headers,
                timeout,
            } => {
                let mut request = self.http.head(uri);
                if let Some(timeout) = timeout {
                    request = request.timeout(*timeout);
                }
                for (name, value) in headers {
                    request = request.header(name, value);
                }
                let response = request
                    .send()
                    .await
                    .map_err(|e| format!("{uri}: error while checking: {e}"))?;
                if response.status().as_u16() == *status {
                    Ok(())
                } else {
                    Err(format!(
                        "{uri}: downstream service returned unexpected status: {}",
                        response.status().as_u16()
                    ))
                }
            }
            Probe::Tcp { addr, timeout } => {
                let connect = tokio::net::TcpStream::connect(addr.as_str());
                let connected = match timeout {
                    Some(timeout) => tokio::time::timeout(*timeout, connect)
                        .await
                        .unwrap_or_else(|_| Err(std::io::ErrorKind::TimedOut.into())),
                    None => connect.await,
                };
                connected
                    .map(drop)
                    .map_err(|e| format!("{addr}: connection failed: {e}"))
            }
        }
    }

    /// Why the server is not ready (empty when it is).
    async fn not_ready(&self) -> BTreeMap<&'static str, String> {
        let mut problems = BTreeMap::new();
        match tokio::time::timeout(READY_STORAGE_TIMEOUT, (self.storage)()).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                problems.insert("storage", error);
            }
            Err(_) => {
                problems.insert(
                    "storage",
                    format!("no answer within {READY_STORAGE_TIMEOUT:?}"),
                );
            }
        }
        if self.certificate.get().is_some_and(|in_place| !in_place()) {
            problems.insert(
                "certificate",
                "http.tls.letsencrypt: no certificate obtained yet".to_owned(),
            );
        }
        problems
    }
}

fn json(status: StatusCode, body: String) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

/// `GET /debug/health`: distribution's `StatusHandler` (JSON object and a newline, as Go's
/// `json.Encoder` writes it; 404 for other methods).
async fn debug_health(method: Method) -> Response {
    if method != Method::GET {
        return StatusCode::NOT_FOUND.into_response();
    }
    let failing = installed().map(|h| h.failing()).unwrap_or_default();
    let status = if failing.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let mut body = serde_json::to_string(&failing).unwrap_or_else(|_| "{}".to_owned());
    body.push('\n');
    json(status, body)
}

async fn livez() -> Response {
    (StatusCode::OK, "ok\n").into_response()
}

async fn readyz() -> Response {
    let Some(health) = installed() else {
        return (StatusCode::OK, "ok\n").into_response();
    };
    let problems = health.not_ready().await;
    if problems.is_empty() {
        return (StatusCode::OK, "ok\n").into_response();
    }
    let mut body = serde_json::to_string(&problems).unwrap_or_else(|_| "{}".to_owned());
    body.push('\n');
    json(StatusCode::SERVICE_UNAVAILABLE, body)
}

/// `/livez` and `/readyz`, for both listeners.
pub fn probe_routes<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router
        .route("/livez", axum::routing::get(livez))
        .route("/readyz", axum::routing::get(readyz))
}

/// The debug listener's health routes: `/debug/health`, `/livez`, `/readyz`.
pub fn debug_routes(router: Router) -> Router {
    probe_routes(router.route("/debug/health", axum::routing::any(debug_health)))
}

/// The public listener's layer: 503 `UNAVAILABLE` for every request while a check fails
/// (except `/livez` and `/readyz`, which answer for themselves). Added only when checks exist.
pub async fn gate(request: Request, next: Next) -> Response {
    let failing = installed().is_some_and(|h| h.unhealthy.load(Ordering::Relaxed));
    if failing && !matches!(request.uri().path(), "/livez" | "/readyz") {
        let mut response = Response::new(Body::from(UNAVAILABLE_BODY));
        *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        headers.insert(
            header::CONTENT_LENGTH,
            HeaderValue::from(UNAVAILABLE_BODY.len()),
        );
        return response;
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(threshold: u32) -> Check {
        Check {
            settings: CheckSettings {
                name: "c".to_owned(),
                probe: Probe::Storage,
                interval: DEFAULT_INTERVAL,
                threshold,
            },
            state: Mutex::new((0, None)),
        }
    }

    #[test]
    fn threshold_counts_consecutive_failures() {
        let c = check(3);
        c.record(Err("a".into()));
        c.record(Err("b".into()));
        assert_eq!(c.failing(), None);
        c.record(Err("c".into()));
        assert_eq!(c.failing().as_deref(), Some("c"));
        c.record(Ok(()));
        assert_eq!(c.failing(), None);
        c.record(Err("d".into()));
        assert_eq!(c.failing(), None);
    }

    #[test]
    fn without_threshold_the_last_result_counts() {
        let c = check(0);
        assert_eq!(c.failing(), None);
        c.record(Err("down".into()));
        assert_eq!(c.failing().as_deref(), Some("down"));
        c.record(Ok(()));
        assert_eq!(c.failing(), None);
    }
}
