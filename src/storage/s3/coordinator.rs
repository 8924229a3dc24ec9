//! The three locks of [`Coordinator`] on S3, so `regctl gc` sweeps a bucket while any number of
//! `regctl serve` replicas keep accepting pushes, exactly as `flock` lets it on a filesystem.
//! Only what S3 itself offers is used: conditional PUTs (`If-None-Match: *`, `If-Match`), which
//! are linearizable per key, and strongly consistent GET, HEAD and LIST.
//!
//! - **Reference guard** (a replica, around every check-then-reference): PUT a fresh
//!   `.regctl/gc/holders/<uuid>`, *then* HEAD `.regctl/gc/sweep`. A live sweep marker means a
//!   collector sweeps: the holder is deleted and the replica waits, as a shared `flock` would.
//! - **Sweep lock** (the collector): create the sweep marker, *then* LIST the holders until none is
//!   left. This is Dekker's handshake: each side writes its own key before it reads the other's,
//!   so at least one of them sees the other, and a replica that missed the marker is seen in the
//!   LIST, which the collector waits out.
//! - **Collector lock**: `.regctl/gc/lease`, created with `If-None-Match: *`.
//!
//! Leases, for processes that die holding one: the marker and the collector lease are rewritten
//! every [`RENEW_EVERY`] and count as dead after [`COLLECTOR_LEASE`] without renewal (a replica
//! then ignores the marker; the next collector takes the lease over with `If-Match` on the dead
//! one's ETag). A holder older than [`HOLDER_LEASE`] is deleted by the collector. Both sides are
//! fenced, so a process that lost its lease while stalled never acts on it:
//! - a replica calls [`Guard::confirm`] before acknowledging: its holder must still exist, else
//!   the operation fails (nothing unacknowledged is lost by a sweep); an operation that took less
//!   than half of [`HOLDER_LEASE`] skips the check, assuming clocks within five minutes;
//! - the collector checks its marker (its own ETag, renewed in time) before its deletions
//!   (`Guard::fence`, at most once a second). What remains is the window of one deletion request
//!   after that check: a collector stalled for more than [`COLLECTOR_LEASE`] exactly there could
//!   delete a blob a replica referenced meanwhile (`regctl fsck` reports it).
//!
//! The replicas' side needs only plain PUT, HEAD and DELETE. The collector's needs conditional
//! writes, so [`S3Coordinator::probe`] checks them when a collector starts; a server without
//! them (Ceph RGW before 17) refuses the collector lock, and gc then needs registry:2's
//! read-only window (`--offline`, which takes no lock at all).

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use futures_util::StreamExt as _;

use super::S3Storage;
use crate::storage::coordinator::{Coordinator, Guard, LockError};
use crate::storage::paths::{self, Key};

/// How often a collector rewrites its lease and sweep marker.
pub const RENEW_EVERY: Duration = Duration::from_secs(20);
/// A collector lease or sweep marker not rewritten for this long belongs to a dead collector.
pub const COLLECTOR_LEASE: Duration = Duration::from_secs(120);
/// A reference holder older than this belongs to a dead replica (no check-then-reference takes
/// that long; an upload commit's server-side copy of a very large blob is the longest).
pub const HOLDER_LEASE: Duration = Duration::from_secs(600);
/// How long a reference operation waits for a sweep to end before it fails.
pub const SWEEP_WAIT: Duration = Duration::from_secs(600);
/// Polling interval of both sides' waits.
const POLL: Duration = Duration::from_millis(50);
/// The collector's fence is checked against S3 at most this often.
const FENCE_EVERY: Duration = Duration::from_secs(1);

/// The S3 implementation of [`Coordinator`].
#[derive(Clone)]
pub struct S3Coordinator {
    s3: S3Storage,
    /// [`HOLDER_LEASE`]; shorter only in tests, which cannot wait ten minutes for a fence.
    holder_lease: Duration,
}

/// A lease object's content: unique per write, because S3's ETag is the content's MD5 and a
/// rewrite with the same bytes would keep the ETag a fence compares.
fn lease_body() -> Bytes {
    Bytes::from(format!("{} {}\n", std::process::id(), uuid::Uuid::new_v4()))
}

fn age(modified: SystemTime) -> Duration {
    SystemTime::now()
        .duration_since(modified)
        .unwrap_or_default()
}

fn lock_io(key: &Key) -> impl FnOnce(io::Error) -> LockError + '_ {
    move |source| LockError::Io {
        lock: key.relative().to_owned(),
        source,
    }
}

impl S3Coordinator {
    #[must_use]
    pub fn new(s3: S3Storage) -> Self {
        Self {
            s3,
            holder_lease: HOLDER_LEASE,
        }
    }

    /// This coordinator with holders declared dead after `lease` instead of [`HOLDER_LEASE`]
    /// (tests of the fences).
    #[must_use]
    pub fn with_holder_lease(mut self, lease: Duration) -> Self {
        self.holder_lease = lease;
        self
    }

    /// Whether the server honours the conditional writes the locks need: a second create of one
    /// key fails, a replace with the current ETag succeeds and one with a stale ETag fails.
    ///
    /// # Errors
    /// S3 errors (the bucket does not answer).
    pub fn probe(s3: &S3Storage) -> io::Result<bool> {
        let Some(key) = paths::child(
            &paths::reference_holders(),
            &format!("probe-{}", uuid::Uuid::new_v4()),
        ) else {
            return Ok(false);
        };
        let key = key.as_str();
        s3.block_on(async {
            let verdict = async {
                let Some(first) = s3.create(key, lease_body()).await? else {
                    return Ok(false);
                };
                if s3.create(key, lease_body()).await?.is_some() {
                    return Ok(false);
                }
                let Some(second) = s3.replace_if_match(key, lease_body(), &first).await? else {
                    return Ok(false);
                };
                let stale = s3.replace_if_match(key, lease_body(), &first).await?;
                Ok::<_, io::Error>(stale.is_none() && second != first)
            }
            .await;
            let removed = s3.delete(key).await;
            let verdict = verdict?;
            removed?;
            Ok(verdict)
        })
    }

    /// The holders of reference guards now: `(key, age)`.
    fn holders(&self) -> io::Result<Vec<(String, Duration)>> {
        let prefix = paths::reference_holders();
        self.s3.block_on(async {
            let mut found = Vec::new();
            let mut listing = self.s3.walk(prefix.as_str());
            while let Some(entry) = listing.next().await {
                let (relative, info) = entry?;
                found.push((relative, age(info.modified)));
            }
            Ok(found)
        })
    }

    /// Whether a live collector's sweep marker exists.
    fn sweeping(&self) -> io::Result<bool> {
        let marker = paths::sweep_marker();
        Ok(self
            .s3
            .block_on(self.s3.head(marker.as_str()))?
            .is_some_and(|info| age(info.modified) < COLLECTOR_LEASE))
    }
}

/// A reference holder: deleted when the guard is released.
struct Holder {
    s3: S3Storage,
    key: Key,
}

impl Drop for Holder {
    fn drop(&mut self) {
        // In the background, off the request's path: a holder that lingers a little only makes
        // a collector wait a little longer (it never makes one proceed early). One left behind
        // (S3 unreachable, the process exiting) delays sweeps until it is declared dead.
        let (s3, key) = (self.s3.clone(), self.key.clone());
        self.s3.spawn_detached(async move {
            let _ = s3.delete(key.as_str()).await;
        });
    }
}

/// A collector's lease object, rewritten every [`RENEW_EVERY`] by a thread until dropped.
struct Lease {
    s3: S3Storage,
    key: Key,
    state: Arc<LeaseState>,
    renewer: Option<JoinHandle<()>>,
}

struct LeaseState {
    etag: Mutex<String>,
    /// The lease could not be renewed (taken over, or S3 unreachable past the lease).
    lost: AtomicBool,
    stop: AtomicBool,
    /// When the fence last found the lease current (ms since the lease was taken).
    checked_ms: AtomicU64,
    taken: Instant,
}

impl Lease {
    /// Takes the lease object `key`: creates it, or replaces one not renewed for
    /// [`COLLECTOR_LEASE`] (with `If-Match` on its ETag, so of two takers one wins). `None`
    /// when a live holder has it.
    fn take(s3: &S3Storage, key: &Key) -> io::Result<Option<Self>> {
        let etag = s3.block_on(async {
            if let Some(etag) = s3.create(key.as_str(), lease_body()).await? {
                return Ok::<_, io::Error>(Some(etag));
            }
            match s3.head(key.as_str()).await? {
                Some(info) if age(info.modified) >= COLLECTOR_LEASE => match info.etag {
                    Some(dead) => s3.replace_if_match(key.as_str(), lease_body(), &dead).await,
                    None => Ok(None),
                },
                Some(_) => Ok(None),
                // Released meanwhile: try once more next time.
                None => Ok(None),
            }
        })?;
        let Some(etag) = etag else {
            return Ok(None);
        };
        let state = Arc::new(LeaseState {
            etag: Mutex::new(etag),
            lost: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            checked_ms: AtomicU64::new(0),
            taken: Instant::now(),
        });
        let renewer = {
            let (s3, key, state) = (s3.clone(), key.clone(), Arc::clone(&state));
            std::thread::Builder::new()
                .name("regctl-s3-lease".to_owned())
                .spawn(move || renew(&s3, &key, &state))?
        };
        Ok(Some(Self {
            s3: s3.clone(),
            key: key.clone(),
            state,
            renewer: Some(renewer),
        }))
    }

    /// `Ok` while the lease is still this process's: checked against S3 at most once a second.
    fn check(s3: &S3Storage, key: &Key, state: &LeaseState) -> io::Result<()> {
        let lost = || {
            io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "lost {} (not renewed in time); stopped before deleting more",
                    key.relative()
                ),
            )
        };
        if state.lost.load(Ordering::SeqCst) {
            return Err(lost());
        }
        let now_ms = u64::try_from(state.taken.elapsed().as_millis()).unwrap_or(u64::MAX);
        let last = state.checked_ms.load(Ordering::SeqCst);
        if last != 0 && now_ms.saturating_sub(last) < FENCE_EVERY.as_millis() as u64 {
            return Ok(());
        }
        let info = s3.block_on(s3.head(key.as_str()))?;
        let ours = state
            .etag
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        match info {
            Some(info)
                if info.etag.as_deref() == Some(ours.as_str())
                    && age(info.modified) < COLLECTOR_LEASE - RENEW_EVERY =>
            {
                state.checked_ms.store(now_ms.max(1), Ordering::SeqCst);
                Ok(())
            }
            _ => {
                state.lost.store(true, Ordering::SeqCst);
                Err(lost())
            }
        }
    }
}

fn renew(s3: &S3Storage, key: &Key, state: &LeaseState) {
    let mut last = Instant::now();
    while !state.stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(100));
        if last.elapsed() < RENEW_EVERY {
            continue;
        }
        let ours = state
            .etag
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        match s3.block_on(s3.replace_if_match(key.as_str(), lease_body(), &ours)) {
            Ok(Some(etag)) => {
                *state.etag.lock().unwrap_or_else(PoisonError::into_inner) = etag;
                last = Instant::now();
            }
            // Taken over: never renew someone else's lease.
            Ok(None) => {
                state.lost.store(true, Ordering::SeqCst);
                return;
            }
            // S3 unreachable: retried; the fence fails once the lease has run out.
            Err(_) => {}
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        if let Some(renewer) = self.renewer.take() {
            let _ = renewer.join();
        }
        if self.state.lost.load(Ordering::SeqCst) {
            return;
        }
        // Only our own lease is removed (a taker's has another ETag).
        let ours = self
            .state
            .etag
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let _ = self.s3.block_on(async {
            match self.s3.head(self.key.as_str()).await? {
                Some(info) if info.etag.as_deref() == Some(ours.as_str()) => {
                    self.s3.delete(self.key.as_str()).await
                }
                _ => Ok(()),
            }
        });
    }
}

/// How long an upload's writer claim is honoured without its request ending: a PATCH may stream
/// a large layer over a slow link for a long time.
pub const WRITER_LEASE: Duration = Duration::from_secs(900);

/// One request's claim on an upload (`_uploads/<id>/.regctl-writer`). Released synchronously by
/// [`Guard::confirm`] at the end of the request's last blocking step, so the client's next
/// request finds the upload free on any server; dropped otherwise (an early error), the delete
/// runs on the runtime in the background.
struct WriterClaim {
    s3: S3Storage,
    key: Key,
    released: Arc<AtomicBool>,
}

impl Drop for WriterClaim {
    fn drop(&mut self) {
        if self.released.load(Ordering::SeqCst) {
            return;
        }
        let (s3, key) = (self.s3.clone(), self.key.clone());
        self.s3.spawn_detached(async move {
            let _ = s3.delete(key.as_str()).await;
        });
    }
}

impl Coordinator for S3Coordinator {
    fn upload_writer(&self, dir: &Key) -> io::Result<Option<Guard>> {
        let Some(key) = paths::child(dir, ".regctl-writer") else {
            return Ok(None);
        };
        let claimed = self.s3.block_on(async {
            if self.s3.create(key.as_str(), lease_body()).await?.is_some() {
                return Ok::<_, io::Error>(true);
            }
            match self.s3.head(key.as_str()).await? {
                // A writer that died mid-request: taken over, one taker wins.
                Some(info) if age(info.modified) >= WRITER_LEASE => match info.etag {
                    Some(dead) => Ok(self
                        .s3
                        .replace_if_match(key.as_str(), lease_body(), &dead)
                        .await?
                        .is_some()),
                    None => Ok(false),
                },
                Some(_) => Ok(false),
                // Released meanwhile: the client retries.
                None => Ok(false),
            }
        })?;
        if !claimed {
            return Ok(None);
        }
        let released = Arc::new(AtomicBool::new(false));
        let claim = WriterClaim {
            s3: self.s3.clone(),
            key: key.clone(),
            released: Arc::clone(&released),
        };
        let s3 = self.s3.clone();
        Ok(Some(Guard::fenced(claim, move || {
            if !released.swap(true, Ordering::SeqCst) {
                s3.block_on(s3.delete(key.as_str()))?;
            }
            Ok(())
        })))
    }

    fn reference_guard(&self) -> io::Result<Guard> {
        let Some(key) = paths::child(
            &paths::reference_holders(),
            &uuid::Uuid::new_v4().to_string(),
        ) else {
            return Err(io::Error::other("holder key"));
        };
        let deadline = Instant::now() + SWEEP_WAIT;
        loop {
            self.s3
                .block_on(self.s3.put(key.as_str(), Bytes::from_static(b"")))?;
            let holder = Holder {
                s3: self.s3.clone(),
                key: key.clone(),
            };
            if !self.sweeping()? {
                let (s3, held, taken) = (self.s3.clone(), key.clone(), Instant::now());
                let lease = self.holder_lease;
                return Ok(Guard::fenced(holder, move || {
                    // A collector deletes only holders older than HOLDER_LEASE by S3's clock;
                    // an operation done in half that time cannot have lost its holder (clocks
                    // may differ by minutes, not by five), so the check costs no request.
                    if taken.elapsed() < lease / 2 {
                        return Ok(());
                    }
                    match s3.block_on(s3.head(held.as_str()))? {
                        Some(_) => Ok(()),
                        None => Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            "this operation outlived its reference lease and a collector may \
                             have swept since; retry it",
                        )),
                    }
                }));
            }
            drop(holder);
            if Instant::now() >= deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "a gc has been sweeping for over {}; retry later",
                        humantime::format_duration(SWEEP_WAIT)
                    ),
                ));
            }
            std::thread::sleep(POLL);
        }
    }

    fn sweep_lock(&self, timeout: Duration) -> Result<Guard, LockError> {
        let marker = paths::sweep_marker();
        let started = Instant::now();
        let lease = loop {
            if let Some(lease) = Lease::take(&self.s3, &marker).map_err(lock_io(&marker))? {
                break lease;
            }
            if started.elapsed() >= timeout {
                return Err(LockError::Busy {
                    lock: marker.relative().to_owned(),
                    waited: started.elapsed(),
                });
            }
            std::thread::sleep(POLL);
        };
        let holders = paths::reference_holders();
        loop {
            let mut live = 0;
            for (relative, held_for) in self.holders().map_err(lock_io(&holders))? {
                if held_for < self.holder_lease {
                    live += 1;
                    continue;
                }
                // A dead replica's holder: deleting it fences that replica (its confirm fails).
                if let Some(key) = paths::child(&holders, &relative) {
                    self.s3
                        .block_on(self.s3.delete(key.as_str()))
                        .map_err(lock_io(&key))?;
                }
            }
            if live == 0 {
                break;
            }
            if started.elapsed() >= timeout {
                // Dropping the lease removes the marker: the replicas go on.
                drop(lease);
                return Err(LockError::Busy {
                    lock: holders.relative().to_owned(),
                    waited: started.elapsed(),
                });
            }
            std::thread::sleep(POLL);
        }
        let (s3, key, state) = (
            lease.s3.clone(),
            lease.key.clone(),
            Arc::clone(&lease.state),
        );
        Ok(Guard::fenced(lease, move || {
            Lease::check(&s3, &key, &state)
        }))
    }

    fn collector_lock(&self) -> Result<Guard, LockError> {
        let key = paths::collector_lease();
        if !Self::probe(&self.s3).map_err(lock_io(&key))? {
            return Err(LockError::Io {
                lock: key.relative().to_owned(),
                source: io::Error::new(
                    io::ErrorKind::Unsupported,
                    "the S3 server does not honour conditional writes (If-None-Match, If-Match), \
                     which gc next to running servers needs: put every server of this store in \
                     read-only mode (storage.maintenance.readonly.enabled: true) or stop them, \
                     then pass --offline",
                ),
            });
        }
        match Lease::take(&self.s3, &key).map_err(lock_io(&key))? {
            Some(lease) => {
                let (s3, k, state) = (
                    lease.s3.clone(),
                    lease.key.clone(),
                    Arc::clone(&lease.state),
                );
                Ok(Guard::fenced(lease, move || Lease::check(&s3, &k, &state)))
            }
            None => Err(LockError::Busy {
                lock: key.relative().to_owned(),
                waited: Duration::ZERO,
            }),
        }
    }

    fn spans_processes(&self) -> bool {
        true
    }
}
