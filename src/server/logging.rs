//! Logs of `regctl serve`: the tracing subscriber (`log.level`, `log.formatter`, the optional
//! audit file `log.audit.file`) and the access log, one line per request
//! (`log.accesslog.disabled` turns it off).
//!
//! The access line is written when the response body has been sent (or the client went away),
//! so its byte count and duration cover the whole transfer, not just the handler. `bytes` counts
//! the response body sent, `bytes_in` the request body read (counted by [`CountedBody`], which the
//! accept loop puts around every request that has a body), `duration_ms` has microsecond
//! precision (at most three decimals), and `completed` says whether the response body reached
//! its end (or its `Content-Length`). Requests a pull-through cache answered carry `cache`
//! (`hit`, `miss` or `stale`).

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{ConnectInfo, Request};
use axum::middleware::Next;
use axum::response::Response;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer};

use super::auth::AuthenticatedUser;

/// The tracing target of access-log lines.
pub const ACCESS_TARGET: &str = "regctl::access";

/// Errors in the log settings.
#[derive(Debug, thiserror::Error)]
pub enum LoggingError {
    #[error("unknown log level {0:?} (expected error, warn, info or debug)")]
    UnknownLevel(String),
    #[error("unknown log formatter {0:?} (expected text or json)")]
    UnknownFormatter(String),
    #[error("cannot parse RUST_LOG")]
    Filter(#[source] tracing_subscriber::filter::ParseError),
    #[error("a logger is already installed in this process")]
    AlreadyInstalled,
    #[error(transparent)]
    AuditFile(#[from] crate::audit::file::AuditFileError),
}

/// `log.level`: distribution's levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogLevel {
    Error,
    Warn,
    #[default]
    Info,
    Debug,
}

impl FromStr for LogLevel {
    type Err = LoggingError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "error" | "fatal" | "panic" => Ok(Self::Error),
            "warn" | "warning" => Ok(Self::Warn),
            "info" => Ok(Self::Info),
            "debug" | "trace" => Ok(Self::Debug),
            _ => Err(LoggingError::UnknownLevel(s.to_owned())),
        }
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Error => "error",
            Self::Warn => "warn",
            Self::Info => "info",
            Self::Debug => "debug",
        })
    }
}

/// `log.formatter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormatter {
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

impl FromStr for LogFormatter {
    type Err = LoggingError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" => Ok(Self::Text),
            // logstash lines are JSON objects too; its extra fields matter to no shipper we know
            "json" | "logstash" => Ok(Self::Json),
            _ => Err(LoggingError::UnknownFormatter(s.to_owned())),
        }
    }
}

/// `log.*` of config.yml.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogSettings {
    pub level: LogLevel,
    pub formatter: LogFormatter,
    /// `log.accesslog.disabled`.
    pub accesslog_disabled: bool,
    /// `log.audit.file` (regctl's own key): the audit lines also go there, as JSON.
    pub audit_file: Option<PathBuf>,
}

/// Keeps the audit file's queue draining; drop it last, so the final lines reach the file.
#[must_use = "dropping it flushes the audit file at once; keep it until the process ends"]
pub struct LogGuard {
    _audit: Option<crate::audit::file::AuditFileGuard>,
}

type BoxedLayer = Box<dyn Layer<tracing_subscriber::Registry> + Send + Sync>;

/// The fmt layer of `formatter` writing to stderr.
fn stderr_layer(formatter: LogFormatter) -> BoxedLayer {
    formatted_layer(formatter, std::io::stderr)
}

/// The fmt layer of `formatter` writing to `writer`.
fn formatted_layer<W>(formatter: LogFormatter, writer: W) -> BoxedLayer
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let layer = tracing_subscriber::fmt::layer().with_writer(writer);
    match formatter {
        LogFormatter::Text => layer.with_ansi(false).boxed(),
        LogFormatter::Json => json_layer(layer).boxed(),
    }
}

/// Every JSON line regctl writes has this shape (the audit file's too).
fn json_layer<S, W>(
    layer: tracing_subscriber::fmt::Layer<
        S,
        tracing_subscriber::fmt::format::DefaultFields,
        tracing_subscriber::fmt::format::Format,
        W,
    >,
) -> tracing_subscriber::fmt::Layer<
    S,
    tracing_subscriber::fmt::format::JsonFields,
    tracing_subscriber::fmt::format::Format<tracing_subscriber::fmt::format::Json>,
    W,
>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    layer
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
}

/// Only the audit lines.
fn audit_only() -> Targets {
    Targets::new().with_target(crate::audit::AUDIT_TARGET, tracing::Level::INFO)
}

/// The audit file's layer (JSON whatever `log.formatter`), when one is configured.
fn audit_file_layer(
    path: Option<&std::path::Path>,
    when_full: crate::audit::file::WhenFull,
) -> Result<
    (
        Option<BoxedLayer>,
        Option<crate::audit::file::AuditFileGuard>,
    ),
    LoggingError,
> {
    let Some(path) = path else {
        return Ok((None, None));
    };
    let (sink, guard) = crate::audit::file::open(path, when_full)?;
    let layer = json_layer(tracing_subscriber::fmt::layer().with_writer(sink))
        .with_filter(audit_only())
        .boxed();
    Ok((Some(layer), Some(guard)))
}

/// The subscriber of a command-line write (`regctl gc`, `regctl prune`): audit lines only, to
/// `audit_file` when the config names one, else to stderr in `formatter` (the command's own
/// messages and results keep their own channels: the printer, stdout).
///
/// # Errors
/// The audit file cannot be opened, or a subscriber is already installed.
pub fn init_audit(
    audit_file: Option<&std::path::Path>,
    formatter: LogFormatter,
) -> Result<LogGuard, LoggingError> {
    // No async runtime to keep responsive: a full queue waits rather than drop a line.
    let when_full = crate::audit::file::WhenFull::Wait;
    let (layer, guard) = match audit_file_layer(audit_file, when_full)? {
        (Some(layer), guard) => (layer, guard),
        // Straight to stderr: measured on the gc bench (1,800 lines), a queue and a writer thread
        // cost more (a wake-up per line) than the one `write` per line they save.
        (None, _) => (
            stderr_layer(formatter).with_filter(audit_only()).boxed(),
            None,
        ),
    };
    tracing_subscriber::registry()
        .with(layer)
        .try_init()
        .map_err(|_| LoggingError::AlreadyInstalled)?;
    Ok(LogGuard { _audit: guard })
}

/// Installs the process-wide subscriber writing to stderr, and to `log.audit.file` for the
/// audit lines. `RUST_LOG`, when set, replaces the level filter (for debugging dependencies);
/// otherwise dependencies log warnings and errors only, so `debug` shows regctl's detail without
/// hyper's and rustls's. Audit lines are kept at every `log.level`: they are a record, not a
/// diagnostic, and `log.level: error` must not erase who deleted what.
///
/// # Errors
/// When `RUST_LOG` cannot be parsed, the audit file cannot be opened or a subscriber is
/// already installed.
pub fn init(settings: &LogSettings) -> Result<LogGuard, LoggingError> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() => {
            EnvFilter::try_new(spec).map_err(LoggingError::Filter)?
        }
        _ => {
            let level = settings.level;
            let dependencies = if level == LogLevel::Error {
                "error"
            } else {
                "warn"
            };
            EnvFilter::try_new(format!(
                "{dependencies},regctl={level},{}=info",
                crate::audit::AUDIT_TARGET
            ))
            .map_err(LoggingError::Filter)?
        }
    };
    // A server must never wait on a disk in a request: a full queue drops (and counts).
    let (file, guard) = audit_file_layer(
        settings.audit_file.as_deref(),
        crate::audit::file::WhenFull::Drop,
    )?;
    // Layers boxed for one subscriber type go in one `Vec`, itself a layer.
    let mut layers = vec![stderr_layer(settings.formatter).with_filter(filter).boxed()];
    layers.extend(file);
    tracing_subscriber::registry()
        .with(layers)
        .try_init()
        .map_err(|_| LoggingError::AlreadyInstalled)?;
    Ok(LogGuard { _audit: guard })
}

/// How much of a request body was read, shared by the body and whoever reports on it (the
/// access log, the accept loop deciding on `Connection: close`). In the request's extensions as
/// `Arc<RequestBodyStats>` when the request has a body.
#[derive(Debug, Default)]
pub struct RequestBodyStats {
    bytes: AtomicU64,
    ended: AtomicBool,
}

impl RequestBodyStats {
    /// Body bytes read so far.
    #[must_use]
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Whether the body was read to its end.
    #[must_use]
    pub fn ended(&self) -> bool {
        self.ended.load(Ordering::Relaxed)
    }
}

/// A request body that counts what is read from it into [`RequestBodyStats`].
pub(crate) struct CountedBody<B> {
    inner: B,
    stats: Arc<RequestBodyStats>,
}

impl<B> CountedBody<B> {
    pub(crate) fn new(inner: B, stats: Arc<RequestBodyStats>) -> Self {
        Self { inner, stats }
    }
}

impl<B> HttpBody for CountedBody<B>
where
    B: HttpBody<Data = Bytes> + Unpin,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    self.stats
                        .bytes
                        .fetch_add(data.len() as u64, Ordering::Relaxed);
                }
                if self.inner.is_end_stream() {
                    self.stats.ended.store(true, Ordering::Relaxed);
                }
            }
            Poll::Ready(None) => self.stats.ended.store(true, Ordering::Relaxed),
            Poll::Ready(Some(Err(_))) | Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Milliseconds with microsecond precision: the nearest `f64` to a three-decimal number, which
/// both formatters print with at most three decimals (no `0.22531400000000001`).
fn duration_ms(elapsed: std::time::Duration) -> f64 {
    let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
    #[allow(clippy::cast_precision_loss)] // exact below 2^53 µs (285 years)
    let micros = micros as f64;
    micros / 1000.0
}

/// What an access line says about the request, captured before the handler runs.
struct AccessRecord {
    method: String,
    path: String,
    version: http::Version,
    remote: Option<SocketAddr>,
    user: Option<String>,
    /// How a pull-through cache answered (manifest and blob requests of cached repositories).
    cache: Option<crate::proxy::CacheOutcome>,
    status: u16,
    started: Instant,
    request_body: Option<Arc<RequestBodyStats>>,
}

impl AccessRecord {
    fn emit(&self, bytes: u64, completed: bool) {
        let remote = self
            .remote
            .map_or_else(|| "-".to_owned(), |addr| addr.to_string());
        let bytes_in = self.request_body.as_ref().map_or(0, |stats| stats.bytes());
        tracing::info!(
            target: ACCESS_TARGET,
            method = %self.method,
            path = %self.path,
            status = self.status,
            bytes,
            bytes_in,
            duration_ms = duration_ms(self.started.elapsed()),
            remote = %remote,
            user = self.user.as_deref().unwrap_or("-"),
            cache = self.cache.map(crate::proxy::CacheOutcome::as_str),
            protocol = ?self.version,
            completed,
            "request"
        );
    }
}

/// The response body, counting bytes and writing the access line when it ends or is dropped.
struct LoggedBody {
    inner: Body,
    bytes: u64,
    /// The response's `Content-Length`: hyper stops polling a body once that much is sent, so
    /// reaching it is reaching the end.
    expected: Option<u64>,
    record: Option<AccessRecord>,
}

impl LoggedBody {
    fn finish(&mut self, completed: bool) {
        if let Some(record) = self.record.take() {
            record.emit(self.bytes, completed);
        }
    }
}

impl HttpBody for LoggedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    self.bytes += data.len() as u64;
                }
                if self.inner.is_end_stream() || Some(self.bytes) == self.expected {
                    self.finish(true);
                }
            }
            Poll::Ready(None) => self.finish(true),
            Poll::Ready(Some(Err(_))) => self.finish(false),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for LoggedBody {
    fn drop(&mut self) {
        // A body never polled to its end: empty (204), the client went away, or the answer to a
        // HEAD, whose body hyper never sends (so its end is never reached, yet nothing was cut).
        let completed = self.inner.is_end_stream()
            || Some(self.bytes) == self.expected
            || self.record.as_ref().is_some_and(|r| r.method == "HEAD");
        self.finish(completed);
    }
}

/// The access-log middleware: `axum::middleware::from_fn(access_log)`.
pub async fn access_log(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let version = request.version();
    let remote = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0);
    let request_body = request.extensions().get::<Arc<RequestBodyStats>>().cloned();
    let response = next.run(request).await;
    let user = response
        .extensions()
        .get::<AuthenticatedUser>()
        .map(|user| user.0.clone());
    let cache = response
        .extensions()
        .get::<crate::proxy::CacheOutcome>()
        .copied();
    let record = AccessRecord {
        method,
        path,
        version,
        remote,
        user,
        cache,
        status: response.status().as_u16(),
        started,
        request_body,
    };
    let expected = response
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    let (parts, body) = response.into_parts();
    let body = LoggedBody {
        inner: body,
        bytes: 0,
        expected,
        record: Some(record),
    };
    Response::from_parts(parts, Body::new(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_have_at_most_three_decimals() {
        let ms = duration_ms(std::time::Duration::from_nanos(225_314_999));
        assert_eq!(ms.to_string(), "225.314");
        assert_eq!(format!("{ms:?}"), "225.314");
        assert_eq!(serde_json::to_string(&ms).unwrap(), "225.314");
        let ms = duration_ms(std::time::Duration::from_nanos(225_314));
        assert_eq!(format!("{ms:?}"), "0.225");
    }

    #[test]
    fn parses_levels_and_formatters() {
        assert_eq!("INFO".parse::<LogLevel>().unwrap(), LogLevel::Info);
        assert_eq!("warning".parse::<LogLevel>().unwrap(), LogLevel::Warn);
        assert!("loud".parse::<LogLevel>().is_err());
        assert_eq!("json".parse::<LogFormatter>().unwrap(), LogFormatter::Json);
        let err = "xml".parse::<LogFormatter>().unwrap_err();
        assert!(err.to_string().contains("text or json"));
    }
}
