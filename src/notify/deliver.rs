//! One endpoint's two workers: the persister moves published events from memory to the on-disk
//! queue (a blocking thread, so a slow disk never stalls a request), the sender POSTs them one
//! by one as registry:2's `httpSink` does, retrying as its `retryingSink` does, forever: an
//! event leaves the queue only once the endpoint answered 2xx or 3xx.

use std::sync::Arc;
use std::time::{Duration, Instant};

use http::{HeaderName, HeaderValue};
use tokio::sync::mpsc;

use super::event::{Envelope, Event, EVENTS_MEDIA_TYPE};
use super::queue::{DiskQueue, Queued};
use super::rules::Backoff;
use super::EndpointSettings;
use crate::metrics::NotificationOutcome;

/// What the request path hands the persister.
#[derive(Debug)]
pub(super) enum Message {
    Event(Arc<Event>),
    /// Answered once everything sent before it is on disk.
    Flush(tokio::sync::oneshot::Sender<()>),
}

/// Events a persister takes from its channel per disk write.
const BATCH: usize = 256;

/// How long a persister lets events gather after the first one before writing: a busy registry
/// (tens of thousands of pulls a second) then costs a few hundred wake-ups and disk writes a
/// second instead of one per event; a webhook is this much later.
const GATHER: Duration = Duration::from_millis(2);

/// Logs dropped events at most once a second per endpoint, with the count since the last line.
#[derive(Debug, Default)]
pub(super) struct DropLog {
    state: std::sync::Mutex<(Option<Instant>, u64)>,
}

impl DropLog {
    pub(super) fn dropped(&self, endpoint: &str, count: u64, why: &str) {
        crate::metrics::notification(endpoint, NotificationOutcome::Dropped, count); // metrics hook
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.1 += count;
        let now = Instant::now();
        if state
            .0
            .is_none_or(|last| now.duration_since(last) >= Duration::from_secs(1))
        {
            tracing::warn!(
                endpoint,
                dropped = state.1,
                reason = why,
                "notification events dropped (see regctl_notification_events_dropped_total)"
            );
            *state = (Some(now), 0);
        }
    }
}

/// Moves events from `rx` to `queue` until the channel closes.
pub(super) fn persist(
    endpoint: &str,
    mut rx: mpsc::Receiver<Message>,
    queue: &DiskQueue,
    ready: &tokio::sync::Notify,
    drops: &DropLog,
) {
    let mut lines = Vec::with_capacity(BATCH);
    let mut flushes = Vec::new();
    while let Some(first) = rx.blocking_recv() {
        if matches!(first, Message::Event(_)) {
            std::thread::sleep(GATHER);
        }
        let mut next = Some(first);
        let room = queue.room();
        let mut full = 0u64;
        while let Some(message) = next.take() {
            match message {
                // A full queue drops before spending an encoding on the event.
                Message::Event(_) if lines.len() >= room => full += 1,
                Message::Event(event) => match serde_json::to_vec(&*event) {
                    Ok(line) => lines.push(line),
                    Err(err) => tracing::error!(endpoint, error = %err, "cannot encode an event"),
                },
                Message::Flush(done) => flushes.push(done),
            }
            if lines.len() < BATCH {
                next = rx.try_recv().ok();
            }
        }
        if full > 0 {
            drops.dropped(endpoint, full, "the queue is full");
        }
        if !lines.is_empty() {
            match queue.append(&lines) {
                Ok(queued) => {
                    if queued > 0 {
                        ready.notify_one();
                    }
                    if queued < lines.len() {
                        drops.dropped(endpoint, (lines.len() - queued) as u64, "the queue is full");
                    }
                }
                Err(err) => {
                    tracing::error!(endpoint, error = %err, "cannot write the notification queue");
                    drops.dropped(endpoint, lines.len() as u64, "the queue cannot be written");
                }
            }
            lines.clear();
        }
        for done in flushes.drain(..) {
            let _ = done.send(());
        }
    }
}

/// The POST of one endpoint.
#[derive(Debug)]
struct Sink {
    http: reqwest::Client,
    url: reqwest::Url,
    headers: http::HeaderMap,
}

impl Sink {
    fn new(settings: &EndpointSettings) -> Result<Self, super::NotifyError> {
        let invalid = |reason: String| super::NotifyError::Endpoint {
            name: settings.name.clone(),
            reason,
        };
        let url = reqwest::Url::parse(&settings.url).map_err(|e| invalid(format!("url: {e}")))?;
        let mut headers = http::HeaderMap::new();
        for (name, values) in &settings.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| invalid(format!("headers: {name:?} is not a header name")))?;
            for value in values {
                let value = HeaderValue::from_str(value)
                    .map_err(|_| invalid(format!("headers: the value of {name} is not valid")))?;
                headers.append(name.clone(), value);
            }
        }
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static(EVENTS_MEDIA_TYPE),
        );
        let http = reqwest::Client::builder()
            .user_agent(concat!("regctl/", env!("CARGO_PKG_VERSION")))
            .timeout(settings.timeout)
            .build()
            .map_err(|e| invalid(format!("cannot set up the HTTP client: {e}")))?;
        Ok(Self { http, url, headers })
    }

    /// registry:2's `httpSink.Write`: any 2xx or 3xx is a delivery.
    async fn post(&self, body: Vec<u8>) -> Result<(), String> {
        let response = self
            .http
            .post(self.url.clone())
            .headers(self.headers.clone())
            .body(body)
            .send()
            .await
            .map_err(|e| crate::report::error_chain(&e))?;
        let status = response.status();
        if status.is_success() || status.is_redirection() {
            Ok(())
        } else {
            Err(format!("response status {status} unaccepted"))
        }
    }
}

/// Builds the endpoint's sender (a bad URL or header fails here, before the server starts).
pub(super) fn sender(
    settings: &EndpointSettings,
) -> Result<impl FnOnce(Arc<DiskQueue>, Arc<tokio::sync::Notify>) -> SendLoop, super::NotifyError> {
    let sink = Sink::new(settings)?;
    let name = settings.name.clone();
    let backoff = Backoff::new(settings.threshold, settings.backoff);
    Ok(move |queue, ready| SendLoop {
        name,
        sink,
        backoff,
        queue,
        ready,
    })
}

/// Delivers the queue of one endpoint.
pub(super) struct SendLoop {
    name: String,
    sink: Sink,
    backoff: Backoff,
    queue: Arc<DiskQueue>,
    ready: Arc<tokio::sync::Notify>,
}

impl SendLoop {
    /// Records the delivery of `delivered` (if any) and reads the next event, in one hop to the
    /// blocking pool.
    async fn next(&self, delivered: Option<Queued>) -> Option<Queued> {
        let queue = Arc::clone(&self.queue);
        let name = self.name.clone();
        let read = tokio::task::spawn_blocking(move || {
            if let Some(delivered) = delivered {
                if let Err(err) = queue.ack(&delivered) {
                    tracing::warn!(endpoint = %name, error = %err, "cannot record a delivery (the event may be sent again after a restart)");
                }
            }
            queue.peek()
        });
        match read.await {
            Ok(Ok(item)) => item,
            Ok(Err(err)) => {
                tracing::error!(endpoint = %self.name, error = %err, "cannot read the notification queue");
                None
            }
            Err(_) => None,
        }
    }

    pub(super) async fn run(mut self) {
        let mut delivered = None;
        loop {
            let Some(item) = self.next(delivered.take()).await else {
                // Woken by the persister; the timeout also retries a queue that failed to read.
                let _ = tokio::time::timeout(Duration::from_secs(5), self.ready.notified()).await;
                continue;
            };
            let body = match serde_json::from_slice::<Event>(&item.line) {
                Ok(event) => Envelope {
                    events: vec![event],
                }
                .to_body(),
                Err(err) => {
                    tracing::warn!(endpoint = %self.name, error = %err, "skipping an unreadable queued event");
                    delivered = Some(item);
                    continue;
                }
            };
            loop {
                let wait = self.backoff.wait(Instant::now());
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
                match self.sink.post(body.clone()).await {
                    Ok(()) => {
                        if self.backoff.recent_failures() > 0 {
                            tracing::info!(endpoint = %self.name, "notification endpoint reachable again");
                        }
                        self.backoff.success();
                        crate::metrics::notification(&self.name, NotificationOutcome::Delivered, 1); // metrics hook
                        break;
                    }
                    Err(error) => {
                        self.backoff.failure(Instant::now());
                        crate::metrics::notification(&self.name, NotificationOutcome::Failed, 1); // metrics hook
                        let failures = self.backoff.recent_failures();
                        if failures == 1 || failures.is_power_of_two() {
                            tracing::warn!(endpoint = %self.name, failures, %error, "notification not delivered; retrying");
                        } else {
                            tracing::debug!(endpoint = %self.name, failures, %error, "notification not delivered; retrying");
                        }
                    }
                }
            }
            delivered = Some(item);
        }
    }
}
