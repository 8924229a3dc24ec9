//! Prometheus metrics and the debug listener (`http.debug.addr`, `http.debug.prometheus`), as
//! registry:2 configures them: metrics are served on a separate plain-HTTP listener, never on
//! the public port.
//!
//! The metric set is built once per process ([`install`]) when `http.debug.prometheus.enabled`;
//! without it no layer is added and the hooks ([`connection_opened`], [`auth`]) are one atomic
//! load. The request layer is allocation-light for manifest GET at tens of thousands of
//! requests a second: every (route group, status class) counter and histogram is resolved at
//! start into arrays indexed by enum, so a request touches only atomics, never a label map.
//! Labels are bounded: route group (13 values), status class (5), auth result (3); no
//! repository names.
//!
//! `http.debug.addr` without prometheus: registry:2 serves Go's pprof and expvar there, which
//! regctl has no equivalent of; regctl still binds the address (so a port conflict shows at
//! start) and answers every path with 404.

use std::sync::atomic::AtomicI64;
use std::sync::OnceLock;
use std::time::Instant;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use http_body::Body as _;
use http_body_util::BodyExt as _;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;

use crate::oci::reference::Route;

/// `http.debug.prometheus.path` when not set, as in registry:2.
pub const DEFAULT_PATH: &str = "/metrics";

/// The content type of prometheus-client's text encoding.
const OPENMETRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// `http.debug`: the debug listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebugSettings {
    /// `http.debug.addr`: `HOST:PORT`; `:PORT` means every interface.
    pub addr: String,
    /// `http.debug.prometheus.path` when `http.debug.prometheus.enabled`.
    pub prometheus_path: Option<String>,
}

/// Errors starting the debug listener.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error(
        "http.debug.addr: cannot listen on {addr} (choose a free port for the debug listener)"
    )]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("http.debug.prometheus.path {0:?} must start with '/'")]
    Path(String),
}

/// The route groups requests are counted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum RouteGroup {
    BlobGet,
    BlobHead,
    BlobUpload,
    BlobDelete,
    ManifestGet,
    ManifestHead,
    ManifestPut,
    ManifestDelete,
    Tags,
    Catalog,
    Referrers,
    Base,
    Other,
}

impl RouteGroup {
    const ALL: [Self; 13] = [
        Self::BlobGet,
        Self::BlobHead,
        Self::BlobUpload,
        Self::BlobDelete,
        Self::ManifestGet,
        Self::ManifestHead,
        Self::ManifestPut,
        Self::ManifestDelete,
        Self::Tags,
        Self::Catalog,
        Self::Referrers,
        Self::Base,
        Self::Other,
    ];

    /// The label value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BlobGet => "blob_get",
            Self::BlobHead => "blob_head",
            Self::BlobUpload => "blob_upload",
            Self::BlobDelete => "blob_delete",
            Self::ManifestGet => "manifest_get",
            Self::ManifestHead => "manifest_head",
            Self::ManifestPut => "manifest_put",
            Self::ManifestDelete => "manifest_delete",
            Self::Tags => "tags",
            Self::Catalog => "catalog",
            Self::Referrers => "referrers",
            Self::Base => "base",
            Self::Other => "other",
        }
    }

    /// Classifies a request with the API's own route parser (no second grammar).
    #[must_use]
    pub fn classify(method: &Method, path: &str) -> Self {
        let Some(route) = Route::parse(path) else {
            return Self::Other;
        };
        match route {
            Route::Base => Self::Base,
            Route::Catalog => Self::Catalog,
            Route::Tags { .. } => Self::Tags,
            Route::Referrers { .. } => Self::Referrers,
            Route::UploadStart { .. } | Route::Upload { .. } => Self::BlobUpload,
            Route::Blob { .. } => match *method {
                Method::GET => Self::BlobGet,
                Method::HEAD => Self::BlobHead,
                Method::DELETE => Self::BlobDelete,
                _ => Self::Other,
            },
            Route::Manifest { .. } => match *method {
                Method::GET => Self::ManifestGet,
                Method::HEAD => Self::ManifestHead,
                Method::PUT => Self::ManifestPut,
                Method::DELETE => Self::ManifestDelete,
                _ => Self::Other,
            },
        }
    }
}

const STATUS_CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

fn status_class(status: StatusCode) -> usize {
    usize::from(status.as_u16() / 100).clamp(1, 5) - 1
}

/// The outcome of an htpasswd check, counted by `regctl_auth_attempts_total{result}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthOutcome {
    /// Credentials verified.
    Success,
    /// Wrong user or password.
    Failure,
    /// No credentials: the client is challenged (the normal first step of a login).
    Challenge,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: &'static str,
    status: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabels {
    /// A `notifications.endpoints` name: bounded by the config.
    endpoint: String,
}

/// What happened to notification events, counted per endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationOutcome {
    /// POSTed and answered 2xx/3xx.
    Delivered,
    /// One failed POST (the event stays queued and is retried).
    Failed,
    /// Never queued: the endpoint's queue or writer was full.
    Dropped,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
}

type Cell<T> = [[T; 5]; 13];

/// Every metric, pre-resolved.
pub struct Metrics {
    registry: Registry,
    requests: Cell<Counter>,
    durations: Cell<Histogram>,
    bytes_received: Counter,
    bytes_sent: Counter,
    open_connections: Gauge<i64, AtomicI64>,
    auth: [Counter; 3],
    notifications: [Family<EndpointLabels, Counter>; 3],
    /// By [`CacheKind`] and `proxy::CacheOutcome`.
    cache: [[Counter; 3]; 2],
}

/// What a pull-through cache request was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheKind {
    Manifest = 0,
    Blob = 1,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabels {
    kind: &'static str,
    outcome: &'static str,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

fn latency_histogram() -> Histogram {
    // 0.5 ms .. ~65 s: manifest GETs answer in well under a millisecond, big blobs take seconds.
    Histogram::new(exponential_buckets(0.0005, 2.0, 18))
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("regctl");
        let requests_family = Family::<RequestLabels, Counter>::default();
        let durations_family =
            Family::<RequestLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                latency_histogram,
            );
        let requests = RouteGroup::ALL.map(|group| {
            STATUS_CLASSES.map(|status| {
                requests_family.get_or_create_owned(&RequestLabels {
                    route: group.as_str(),
                    status,
                })
            })
        });
        let durations = RouteGroup::ALL.map(|group| {
            STATUS_CLASSES.map(|status| {
                durations_family.get_or_create_owned(&RequestLabels {
                    route: group.as_str(),
                    status,
                })
            })
        });
        registry.register(
            "http_requests",
            "HTTP requests answered, by route group and status class",
            requests_family,
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to the response head, by route group and status class",
            durations_family,
        );
        let bytes_received = Counter::default();
        registry.register(
            "http_request_body_bytes",
            "Bytes of request bodies received",
            bytes_received.clone(),
        );
        let bytes_sent = Counter::default();
        registry.register(
            "http_response_body_bytes",
            "Bytes of response bodies sent",
            bytes_sent.clone(),
        );
        let open_connections = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "open_connections",
            "Client connections open on the public listener",
            open_connections.clone(),
        );
        let auth_family = Family::<ResultLabels, Counter>::default();
        let auth = ["success", "failure", "challenge"]
            .map(|result| auth_family.get_or_create_owned(&ResultLabels { result }));
        registry.register(
            "auth_attempts",
            "htpasswd authentication outcomes (challenge: a request without credentials)",
            auth_family,
        );
        let notifications: [Family<EndpointLabels, Counter>; 3] = Default::default();
        for (family, (name, help)) in notifications.iter().zip([
            (
                "notification_events_delivered",
                "Notification events delivered, by endpoint",
            ),
            (
                "notification_delivery_failures",
                "Failed notification POSTs (each is retried), by endpoint",
            ),
            (
                "notification_events_dropped",
                "Notification events dropped because the endpoint's queue was full, by endpoint",
            ),
        ]) {
            registry.register(name, help, family.clone());
        }
        let cache_family = Family::<CacheLabels, Counter>::default();
        let cache = ["manifest", "blob"].map(|kind| {
            [
                crate::proxy::CacheOutcome::Hit,
                crate::proxy::CacheOutcome::Miss,
                crate::proxy::CacheOutcome::Stale,
            ]
            .map(|outcome| {
                cache_family.get_or_create_owned(&CacheLabels {
                    kind,
                    outcome: outcome.as_str(),
                })
            })
        });
        registry.register(
            "proxy_cache_requests",
            "Manifest and blob requests a pull-through cache answered, by outcome (miss: fetched \
             from the upstream; stale: a cached tag served while the upstream failed)",
            cache_family,
        );
        registry.register(
            "build",
            "The running regctl",
            Info::new(BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
            }),
        );
        Self {
            registry,
            requests,
            durations,
            bytes_received,
            bytes_sent,
            open_connections,
            auth,
            notifications,
            cache,
        }
    }

    /// The OpenMetrics text exposition of every metric.
    #[must_use]
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(16 * 1024);
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

static METRICS: OnceLock<Metrics> = OnceLock::new();

/// Builds the process's metrics (once) and returns them.
pub fn install() -> &'static Metrics {
    METRICS.get_or_init(Metrics::new)
}

/// The metrics when [`install`] was called.
#[must_use]
pub fn installed() -> Option<&'static Metrics> {
    METRICS.get()
}

/// Counts one open connection until the guard is dropped.
#[derive(Debug)]
pub struct ConnectionGuard(&'static Metrics);

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.0.open_connections.dec();
    }
}

/// Hook for the accept loop: `None` (and no cost) without metrics.
#[must_use]
pub fn connection_opened() -> Option<ConnectionGuard> {
    let metrics = installed()?;
    metrics.open_connections.inc();
    Some(ConnectionGuard(metrics))
}

/// Hook for the htpasswd middleware.
pub fn auth(outcome: AuthOutcome) {
    if let Some(metrics) = installed() {
        metrics.auth[outcome as usize].inc();
    }
}

/// Hook for the pull-through cache: one manifest or blob request answered with `outcome`.
pub fn cache(kind: CacheKind, outcome: crate::proxy::CacheOutcome) {
    if let Some(metrics) = installed() {
        metrics.cache[kind as usize][outcome as usize].inc();
    }
}

/// Hook for the notification workers: `count` events of `endpoint` had `outcome`.
pub fn notification(endpoint: &str, outcome: NotificationOutcome, count: u64) {
    if let Some(metrics) = installed() {
        let labels = EndpointLabels {
            endpoint: endpoint.to_owned(),
        };
        metrics.notifications[outcome as usize]
            .get_or_create(&labels)
            .inc_by(count);
    }
}

fn content_length(headers: &axum::http::HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// The request layer (`axum::middleware::from_fn(metrics::track)`): counts the request by route
/// group and status class, its latency to the response head, and body bytes. Bodies with a
/// known length are counted from it; only streamed bodies (chunked upload PATCHes, blob
/// streams without exact size) are wrapped to count frames.
pub async fn track(request: Request, next: Next) -> Response {
    let Some(metrics) = installed() else {
        return next.run(request).await;
    };
    let started = Instant::now();
    let group = RouteGroup::classify(request.method(), request.uri().path());
    let request = match content_length(request.headers()) {
        Some(length) => {
            metrics.bytes_received.inc_by(length);
            request
        }
        None if request.body().is_end_stream() => request,
        None => {
            let counter = metrics.bytes_received.clone();
            request.map(|body| {
                Body::new(body.map_frame(move |frame| {
                    if let Some(data) = frame.data_ref() {
                        counter.inc_by(data.len() as u64);
                    }
                    frame
                }))
            })
        }
    };
    let response = next.run(request).await;
    let class = status_class(response.status());
    metrics.requests[group as usize][class].inc();
    metrics.durations[group as usize][class].observe(started.elapsed().as_secs_f64());
    match response.body().size_hint().exact() {
        Some(length) => {
            metrics.bytes_sent.inc_by(length);
            response
        }
        None => {
            let counter = metrics.bytes_sent.clone();
            response.map(|body| {
                Body::new(body.map_frame(move |frame| {
                    if let Some(data) = frame.data_ref() {
                        counter.inc_by(data.len() as u64);
                    }
                    frame
                }))
            })
        }
    }
}

async fn scrape() -> Response {
    let body = installed().map(Metrics::encode).unwrap_or_default();
    ([(header::CONTENT_TYPE, OPENMETRICS_CONTENT_TYPE)], body).into_response()
}

/// The debug listener's routes: the metrics path with prometheus, otherwise only 404s.
fn debug_router(settings: &DebugSettings, extra: Router) -> Router {
    // health: /debug/health, /livez, /readyz (src/health.rs).
    let router = crate::health::debug_routes(extra);
    match &settings.prometheus_path {
        Some(path) => router.route(path, axum::routing::get(scrape)),
        None => router,
    }
}

/// A running debug listener; dropping it stops it.
#[derive(Debug)]
pub struct DebugServer {
    local_addr: std::net::SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl DebugServer {
    /// The address actually bound.
    #[must_use]
    pub fn local_addr(&self) -> std::net::SocketAddr {
        self.local_addr
    }
}

impl Drop for DebugServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// With `http.debug.addr` set: installs the metrics when prometheus is enabled (call before the
/// public server is bound, so its layer sees them) and starts the debug listener, which also
/// serves `extra` (the notifier's `/debug/events`).
///
/// # Errors
/// When the debug address cannot be bound or the path is not absolute.
pub async fn start(
    settings: Option<&DebugSettings>,
    extra: Router,
) -> Result<Option<DebugServer>, MetricsError> {
    let Some(settings) = settings else {
        return Ok(None);
    };
    match &settings.prometheus_path {
        Some(path) if !path.starts_with('/') => return Err(MetricsError::Path(path.clone())),
        Some(_) => {
            install();
        }
        None => tracing::info!(
            addr = %settings.addr,
            "http.debug.addr without http.debug.prometheus.enabled: the debug listener answers 404 \
             (regctl has no pprof/expvar)"
        ),
    }
    let addr = if settings.addr.starts_with(':') {
        format!("0.0.0.0{}", settings.addr)
    } else {
        settings.addr.clone()
    };
    let bind_error = |source| MetricsError::Bind {
        addr: settings.addr.clone(),
        source,
    };
    let listener = TcpListener::bind(&addr).await.map_err(bind_error)?;
    let local_addr = listener.local_addr().map_err(bind_error)?;
    let router = debug_router(settings, extra);
    let task = tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, router).await {
            tracing::error!(error = %err, "the debug listener stopped");
        }
    });
    tracing::info!(address = %local_addr, metrics = ?settings.prometheus_path, "debug listener");
    Ok(Some(DebugServer { local_addr, task }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_groups_come_from_the_api_route_parser() {
        let cases = [
            (Method::GET, "/v2/", RouteGroup::Base),
            (Method::GET, "/v2/_catalog", RouteGroup::Catalog),
            (Method::GET, "/v2/a/b/tags/list", RouteGroup::Tags),
            (
                Method::GET,
                "/v2/a/manifests/latest",
                RouteGroup::ManifestGet,
            ),
            (
                Method::HEAD,
                "/v2/a/manifests/latest",
                RouteGroup::ManifestHead,
            ),
            (
                Method::PUT,
                "/v2/a/manifests/latest",
                RouteGroup::ManifestPut,
            ),
            (
                Method::DELETE,
                "/v2/a/manifests/x",
                RouteGroup::ManifestDelete,
            ),
            (Method::GET, "/v2/a/blobs/sha256:00", RouteGroup::BlobGet),
            (Method::HEAD, "/v2/a/blobs/sha256:00", RouteGroup::BlobHead),
            (
                Method::DELETE,
                "/v2/a/blobs/sha256:00",
                RouteGroup::BlobDelete,
            ),
            (Method::POST, "/v2/a/blobs/uploads/", RouteGroup::BlobUpload),
            (
                Method::PATCH,
                "/v2/a/blobs/uploads/u-1",
                RouteGroup::BlobUpload,
            ),
            (
                Method::GET,
                "/v2/a/referrers/sha256:00",
                RouteGroup::Referrers,
            ),
            (Method::GET, "/metrics", RouteGroup::Other),
            (Method::POST, "/v2/a/manifests/x", RouteGroup::Other),
        ];
        for (method, path, group) in cases {
            assert_eq!(
                RouteGroup::classify(&method, path),
                group,
                "{method} {path}"
            );
        }
    }

    #[test]
    fn exposition_has_prefixed_names_and_bounded_labels() {
        let metrics = Metrics::new();
        metrics.requests[RouteGroup::ManifestPut as usize][status_class(StatusCode::CREATED)].inc();
        let text = metrics.encode();
        assert!(
            text.contains(r#"regctl_http_requests_total{route="manifest_put",status="2xx"} 1"#),
            "{text}"
        );
        assert!(text.contains("regctl_build_info{version="), "{text}");
        assert!(text.contains("regctl_open_connections 0"), "{text}");
        assert!(text.contains(r#"regctl_auth_attempts_total{result="failure"} 0"#));
        metrics.notifications[NotificationOutcome::Dropped as usize]
            .get_or_create(&EndpointLabels {
                endpoint: "ci".to_owned(),
            })
            .inc_by(2);
        let text = metrics.encode();
        assert!(
            text.contains(r#"regctl_notification_events_dropped_total{endpoint="ci"} 2"#),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"));
    }
}
