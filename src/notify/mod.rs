//! Notifications (registry:2's `notifications.endpoints` webhooks): the event envelope registry:2
//! sends, the per-endpoint delivery rules it applies, and the [`Notifier`] that delivers them, so
//! existing webhook consumers work unchanged.
//!
//! The API hands every event to [`Notifier::publish`], which never blocks and never fails a
//! request: per endpoint the event is filtered by its ignore rules and put on a bounded channel
//! (full: dropped, counted and logged). A persister thread appends it to the endpoint's on-disk
//! queue ([`queue`]), a sender task POSTs it ([`deliver`]) and removes it once delivered, so
//! undelivered events survive a restart (registry:2 loses them). The same events are offered to
//! `/debug/events` on the debug listener (newline-delimited JSON) for `regctl events tail`.

mod deliver;
pub mod event;
pub mod queue;
pub mod rules;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use axum::Router;
use tokio::sync::{broadcast, mpsc};

pub use event::{
    manifest_references, Action, ActorRecord, Envelope, Event, RequestRecord, SourceRecord, Target,
    BLOB_MEDIA_TYPE, EVENTS_MEDIA_TYPE,
};
pub use rules::{Backoff, EndpointRules, DEFAULT_BACKOFF, DEFAULT_THRESHOLD, DEFAULT_TIMEOUT};

/// `notifications.queue.maxevents` when unset: undelivered events kept per endpoint.
pub const DEFAULT_QUEUE_MAX_EVENTS: usize = 10_000;

/// The path of the debug listener's event stream.
pub const EVENTS_PATH: &str = "/debug/events";

/// The content type of [`EVENTS_PATH`]: one JSON event per line.
pub const EVENTS_STREAM_TYPE: &str = "application/x-ndjson";

/// Events held in memory per endpoint between a request and the disk.
const CHANNEL_CAPACITY: usize = 4096;

/// Events held for slow `/debug/events` readers before they miss some.
const TAP_CAPACITY: usize = 1024;

/// `notifications`: the enabled endpoints and how events are shaped and queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifySettings {
    /// Endpoints without `disabled: true`.
    pub endpoints: Vec<EndpointSettings>,
    /// `notifications.events.includereferences`.
    pub include_references: bool,
    /// `notifications.queue.directory` (regctl's): `None` means [`default_queue_directory`].
    pub queue_directory: Option<PathBuf>,
    /// `notifications.queue.maxevents` (regctl's).
    pub queue_max_events: usize,
}

/// One `notifications.endpoints` entry, with registry:2's defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointSettings {
    pub name: String,
    pub url: String,
    pub headers: Vec<(String, Vec<String>)>,
    pub timeout: Duration,
    pub threshold: u32,
    pub backoff: Duration,
    pub rules: EndpointRules,
}

/// Where the queues live unless `notifications.queue.directory` says: beside the storage root
/// (`/var/lib/registry` → `/var/lib/registry-notifications`), outside registry:2's tree, so
/// registry:2, gc and fsck never see it.
#[must_use]
pub fn default_queue_directory(root: &Path) -> PathBuf {
    let mut name = root
        .file_name()
        .map(std::ffi::OsStr::to_os_string)
        .unwrap_or_else(|| "registry".into());
    name.push("-notifications");
    root.with_file_name(name)
}

/// An endpoint's queue directory: its name when that is a plain file name, else a digest of it.
fn endpoint_directory(base: &Path, name: &str) -> PathBuf {
    let plain = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if plain {
        base.join(name)
    } else {
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(name.as_bytes());
        base.join(format!("endpoint-{}", &hex::encode(digest)[..16]))
    }
}

/// Errors setting up notifications.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("notifications.endpoints ({name}): {reason}")]
    Endpoint { name: String, reason: String },
    #[error(
        "notifications.endpoints: two endpoints are named {0:?}; regctl keeps a queue per \
         endpoint name, so names must be unique"
    )]
    DuplicateName(String),
    #[error("notifications.queue.directory: cannot use {path}")]
    Queue {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

struct Endpoint {
    name: String,
    rules: EndpointRules,
    queue: Arc<queue::DiskQueue>,
    tx: mpsc::Sender<deliver::Message>,
    drops: Arc<deliver::DropLog>,
}

/// Hands events to the endpoints and to `/debug/events` listeners.
pub struct Notifier {
    endpoints: Vec<Endpoint>,
    tap: broadcast::Sender<Arc<Event>>,
    /// Open `/debug/events` streams: an atomic the request path reads (the broadcast channel's
    /// own count takes a lock).
    readers: Arc<AtomicUsize>,
    include_references: bool,
    source: SourceRecord,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field(
                "endpoints",
                &self.endpoints.iter().map(|e| &e.name).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// The workers of a [`Notifier`], started by [`Workers::spawn`] inside the runtime.
pub struct Workers {
    start: Vec<Box<dyn FnOnce() + Send>>,
}

impl std::fmt::Debug for Workers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workers")
            .field("count", &self.start.len())
            .finish()
    }
}

impl Workers {
    /// Starts the persister thread and sender task of every endpoint (needs a Tokio runtime).
    pub fn spawn(self) {
        for start in self.start {
            start();
        }
    }
}

/// registry:2's `source.addr`: the host name with `http.addr`'s port.
#[must_use]
pub fn source_addr(http_addr: &str) -> String {
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty());
    match (hostname, http_addr.rsplit_once(':')) {
        (Some(host), Some((_, port))) => format!("{host}:{port}"),
        (Some(host), None) => host,
        (None, _) => http_addr.to_owned(),
    }
}

impl Notifier {
    /// Opens the queue of every endpoint in `settings` (the storage `root` locates the default
    /// queue directory). Without settings the notifier only feeds `/debug/events`.
    ///
    /// # Errors
    /// A bad endpoint URL or header, a duplicate endpoint name, or a queue directory that cannot
    /// be used.
    pub fn open(
        settings: Option<&NotifySettings>,
        root: &Path,
        source_addr: String,
    ) -> Result<(Arc<Self>, Workers), NotifyError> {
        let mut endpoints = Vec::new();
        let mut start: Vec<Box<dyn FnOnce() + Send>> = Vec::new();
        if let Some(settings) = settings {
            let base = settings
                .queue_directory
                .clone()
                .unwrap_or_else(|| default_queue_directory(root));
            for (i, endpoint) in settings.endpoints.iter().enumerate() {
                if settings.endpoints[..i]
                    .iter()
                    .any(|e| e.name == endpoint.name)
                {
                    return Err(NotifyError::DuplicateName(endpoint.name.clone()));
                }
                let make_sender = deliver::sender(endpoint)?;
                let dir = endpoint_directory(&base, &endpoint.name);
                let queue = deliver_queue(&dir, settings.queue_max_events)?;
                let pending = queue.pending();
                tracing::info!(
                    endpoint = %endpoint.name,
                    url = %endpoint.url,
                    queue = %dir.display(),
                    pending,
                    "notification endpoint configured"
                );
                let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
                let drops = Arc::new(deliver::DropLog::default());
                let ready = Arc::new(tokio::sync::Notify::new());
                if pending > 0 {
                    ready.notify_one();
                }
                let name = endpoint.name.clone();
                let persist_drops = Arc::clone(&drops);
                let worker_queue = Arc::clone(&queue);
                start.push(Box::new(move || {
                    let queue = worker_queue;
                    let sender = make_sender(Arc::clone(&queue), Arc::clone(&ready));
                    tokio::spawn(sender.run());
                    let thread = std::thread::Builder::new()
                        .name(format!("regctl-notify-{i}"))
                        .spawn(move || {
                            deliver::persist(&name, rx, &queue, &ready, &persist_drops);
                        });
                    if let Err(err) = thread {
                        tracing::error!(error = %err, "cannot start a notification thread");
                    }
                }));
                endpoints.push(Endpoint {
                    name: endpoint.name.clone(),
                    rules: endpoint.rules.clone(),
                    queue: Arc::clone(&queue),
                    tx,
                    drops,
                });
            }
        }
        let (tap, _) = broadcast::channel(TAP_CAPACITY);
        let notifier = Self {
            endpoints,
            tap,
            readers: Arc::new(AtomicUsize::new(0)),
            include_references: settings.is_some_and(|s| s.include_references),
            source: SourceRecord {
                addr: source_addr,
                instance_id: uuid::Uuid::new_v4().to_string(),
            },
        };
        Ok((Arc::new(notifier), Workers { start }))
    }

    /// Whether an event would go anywhere: an endpoint or a `/debug/events` reader. The API
    /// builds no event otherwise.
    #[must_use]
    pub fn is_listening(&self) -> bool {
        !self.endpoints.is_empty() || self.readers.load(Ordering::Relaxed) > 0
    }

    /// Creates every endpoint's counters at zero (once the metrics are installed).
    pub fn register_metrics(&self) {
        use crate::metrics::NotificationOutcome::{Delivered, Dropped, Failed};
        for endpoint in &self.endpoints {
            for outcome in [Delivered, Failed, Dropped] {
                crate::metrics::notification(&endpoint.name, outcome, 0);
            }
        }
    }

    /// `notifications.events.includereferences`.
    #[must_use]
    pub fn include_references(&self) -> bool {
        self.include_references
    }

    /// Queues `event` (source filled in) for every endpoint that does not ignore it; never
    /// blocks: an endpoint whose channel is full drops it, counted and logged.
    pub fn publish(&self, mut event: Event) {
        event.source = self.source.clone();
        let event = Arc::new(event);
        for endpoint in &self.endpoints {
            if !endpoint.rules.keeps(&event) {
                continue;
            }
            if let Err(err) = endpoint
                .tx
                .try_send(deliver::Message::Event(Arc::clone(&event)))
            {
                let why = match err {
                    mpsc::error::TrySendError::Full(_) => "the endpoint's writer is behind",
                    mpsc::error::TrySendError::Closed(_) => "the endpoint's writer stopped",
                };
                endpoint.drops.dropped(&endpoint.name, 1, why);
            }
        }
        if self.readers.load(Ordering::Relaxed) > 0 {
            let _ = self.tap.send(event);
        }
    }

    /// Waits (up to `timeout`) until every event published so far is in its on-disk queue and
    /// every delivery so far is in its cursor: at shutdown, so a restart delivers exactly what
    /// is left.
    pub async fn flush(&self, timeout: Duration) {
        let flushes = self.endpoints.iter().map(|endpoint| async move {
            let (done, wait) = tokio::sync::oneshot::channel();
            if endpoint
                .tx
                .send(deliver::Message::Flush(done))
                .await
                .is_ok()
            {
                let _ = wait.await;
            }
            let queue = Arc::clone(&endpoint.queue);
            let synced = tokio::task::spawn_blocking(move || queue.sync()).await;
            if let Ok(Err(err)) = synced {
                tracing::warn!(endpoint = %endpoint.name, error = %err, "cannot record the deliveries (they may be sent again after a restart)");
            }
        });
        if tokio::time::timeout(timeout, futures_util::future::join_all(flushes))
            .await
            .is_err()
        {
            tracing::warn!("notification queues not flushed within {timeout:?}");
        }
    }

    /// The debug listener's `GET /debug/events`: every event from now on, one JSON object per
    /// line (a reader too slow for [`TAP_CAPACITY`] events misses some, which is logged).
    pub fn debug_routes(self: &Arc<Self>, router: Router) -> Router {
        let notifier = Arc::clone(self);
        router.route(
            EVENTS_PATH,
            axum::routing::get(move || {
                let rx = notifier.tap.subscribe();
                let reader = Reader::new(&notifier.readers);
                async move { event_stream(rx, reader) }
            }),
        )
    }
}

fn deliver_queue(dir: &Path, max_events: usize) -> Result<Arc<queue::DiskQueue>, NotifyError> {
    queue::DiskQueue::open(dir, max_events.max(1))
        .map(Arc::new)
        .map_err(|source| NotifyError::Queue {
            path: dir.to_owned(),
            source,
        })
}

/// Counts one open `/debug/events` stream while alive.
struct Reader(Arc<AtomicUsize>);

impl Reader {
    fn new(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        Self(Arc::clone(count))
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

fn event_stream(rx: broadcast::Receiver<Arc<Event>>, reader: Reader) -> Response {
    let stream = futures_util::stream::unfold((rx, reader), |(mut rx, reader)| async move {
        loop {
            match rx.recv().await {
                Ok(event) => {
                    let mut line = serde_json::to_vec(&*event).unwrap_or_default();
                    line.push(b'\n');
                    return Some((
                        Ok::<_, std::io::Error>(bytes::Bytes::from(line)),
                        (rx, reader),
                    ));
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(
                        missed,
                        "a /debug/events reader was too slow and missed events"
                    );
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    (
        [
            (http::header::CONTENT_TYPE, EVENTS_STREAM_TYPE),
            (http::header::CACHE_CONTROL, "no-cache"),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_directories_stay_outside_the_storage_tree() {
        assert_eq!(
            default_queue_directory(Path::new("/var/lib/registry")),
            Path::new("/var/lib/registry-notifications")
        );
        assert_eq!(
            default_queue_directory(Path::new("./registry-data")),
            Path::new("./registry-data-notifications")
        );
        let base = Path::new("/q");
        assert_eq!(endpoint_directory(base, "ci-hook"), Path::new("/q/ci-hook"));
        for odd in ["../x", "a/b", "", ".hidden", "über"] {
            let dir = endpoint_directory(base, odd);
            assert_eq!(dir.parent(), Some(base), "{odd}");
            assert!(dir
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("endpoint-"));
        }
        assert_ne!(
            endpoint_directory(base, "a/b"),
            endpoint_directory(base, "a/c")
        );
    }

    #[tokio::test]
    async fn publish_filters_by_rules_and_flush_puts_events_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let endpoint = |name: &str, rules| EndpointSettings {
            name: name.to_owned(),
            // Nothing listens there: events stay queued.
            url: "http://127.0.0.1:9/".to_owned(),
            headers: Vec::new(),
            timeout: Duration::from_millis(100),
            threshold: 1,
            backoff: Duration::from_secs(60),
            rules,
        };
        let settings = NotifySettings {
            endpoints: vec![
                endpoint("all", EndpointRules::default()),
                endpoint(
                    "no-pulls",
                    EndpointRules::new(std::iter::empty(), std::iter::empty(), ["pull"]),
                ),
            ],
            include_references: false,
            queue_directory: Some(dir.path().to_owned()),
            queue_max_events: 100,
        };
        let (notifier, workers) =
            Notifier::open(Some(&settings), dir.path(), "host:5000".to_owned()).unwrap();
        workers.spawn();
        assert!(notifier.is_listening());
        notifier.publish(Event::new(Action::Push));
        notifier.publish(Event::new(Action::Pull));
        notifier.flush(Duration::from_secs(10)).await;
        let count = |name: &str| {
            std::fs::read_dir(dir.path().join(name))
                .unwrap()
                .filter_map(Result::ok)
                .filter(|e| e.file_name().to_str().unwrap().ends_with(".jsonl"))
                .map(|e| std::fs::read_to_string(e.path()).unwrap().lines().count())
                .sum::<usize>()
        };
        assert_eq!(count("all"), 2);
        assert_eq!(count("no-pulls"), 1);
        let line = std::fs::read_dir(dir.path().join("no-pulls"))
            .unwrap()
            .filter_map(Result::ok)
            .find_map(|e| {
                let text = std::fs::read_to_string(e.path()).ok()?;
                text.lines().next().map(ToOwned::to_owned)
            })
            .unwrap();
        let event: Event = serde_json::from_str(&line).unwrap();
        assert_eq!(event.action, Action::Push);
        assert_eq!(event.source.addr, "host:5000");

        let duplicate = NotifySettings {
            endpoints: vec![
                endpoint("x", EndpointRules::default()),
                endpoint("x", EndpointRules::default()),
            ],
            ..settings
        };
        assert!(matches!(
            Notifier::open(Some(&duplicate), dir.path(), String::new()),
            Err(NotifyError::DuplicateName(_))
        ));
    }
}
