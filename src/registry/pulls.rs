//! Last-pull times: when a manifest was last pulled (GET or HEAD, by tag or digest) from a
//! repository, for retention's `pulledwithin` keep selectors.
//!
//! Recorded per revision in [`paths::manifest_pull_record`], a file registry:2 ignores, and
//! cheaply: a process rewrites a record at most once per [`RESOLUTION`] (so a time is accurate
//! to that, per replica), off the request path on the blocking pool, with at most
//! [`MAX_IN_FLIGHT`] writes at once; a pull finding them all busy is simply not recorded (the
//! next one is). HEAD counts, as in registry:2's pull notifications: a node that already holds an
//! image only HEADs its tag, and it is exactly such an image that must not be pruned.
//!
//! A record is written only while its revision is linked, under the reference guard, so it
//! cannot bring back a directory a gc sweep just removed; deletes and gc remove it with its
//! revision. A pull-through cache stores a manifest after serving it, so the first pull of a
//! cached manifest finds no link and is not recorded (the link's time stands for it); the
//! next one is.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::digest::Digest;
use crate::oci::reference::Name;
use crate::storage::backend::{Durability, Storage};
use crate::storage::coordinator::Coordinator;
use crate::storage::paths;

/// How often one process rewrites one record at most.
pub const RESOLUTION: Duration = Duration::from_secs(600);

/// Record writes in flight at once.
const MAX_IN_FLIGHT: usize = 8;

/// Revisions remembered as recently written; past this the memory starts over (costing at most
/// one extra write per revision).
const MAX_REMEMBERED: usize = 65_536;

/// The repositories a revision's pull was recorded for, and when.
type RecordedFor = Vec<(Box<str>, Instant)>;

/// The in-memory side: which records this process wrote recently.
#[derive(Debug, Default)]
pub(super) struct PullRecorder {
    /// Per manifest digest, the repositories it was recorded for and when (nearly always one).
    written: Arc<Mutex<HashMap<Digest, RecordedFor>>>,
    in_flight: Arc<AtomicUsize>,
}

/// One write slot, released when dropped.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl PullRecorder {
    /// Whether a pull of `digest` from `repo` at `now` should be written, marking it written if
    /// so (a write that then fails is logged and simply retried after [`RESOLUTION`]).
    fn claim(&self, repo: &str, digest: Digest, now: Instant) -> Option<Slot> {
        let mut written = lock(&self.written);
        let repos = written.get(&digest);
        let recent = repos
            .and_then(|r| r.iter().find(|(name, _)| &**name == repo))
            .is_some_and(|(_, at)| now.duration_since(*at) < RESOLUTION);
        if recent {
            return None;
        }
        if self.in_flight.fetch_add(1, Ordering::Relaxed) >= MAX_IN_FLIGHT {
            self.in_flight.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        if written.len() >= MAX_REMEMBERED && repos.is_none() {
            written.clear();
        }
        let repos = written.entry(digest).or_default();
        match repos.iter_mut().find(|(name, _)| &**name == repo) {
            Some((_, at)) => *at = now,
            None => repos.push((repo.into(), now)),
        }
        Some(Slot(Arc::clone(&self.in_flight)))
    }
}

fn lock(
    written: &Mutex<HashMap<Digest, RecordedFor>>,
) -> std::sync::MutexGuard<'_, HashMap<Digest, RecordedFor>> {
    written
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Forgets that a pull of `digest` from `repo` was recorded (it was not: the revision was not
/// linked yet, as when a pull-through cache stores a manifest after serving it), so the next
/// pull records it.
fn forget(written: &Mutex<HashMap<Digest, RecordedFor>>, repo: &str, digest: &Digest) {
    if let Some(repos) = lock(written).get_mut(digest) {
        repos.retain(|(name, _)| &**name != repo);
    }
}

/// Records a pull of `digest` from `name` now, in the background, unless this process did so
/// within [`RESOLUTION`]. Outside a tokio runtime it does nothing.
pub(super) fn note(
    recorder: &PullRecorder,
    storage: &Arc<dyn Storage>,
    locks: &Arc<dyn Coordinator>,
    name: Name<'_>,
    digest: Digest,
) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let Some(slot) = recorder.claim(name.as_str(), digest, Instant::now()) else {
        return;
    };
    let (storage, locks) = (Arc::clone(storage), Arc::clone(locks));
    let link = paths::manifest_revision_link(name, &digest);
    let record = paths::manifest_pull_record(name, &digest);
    let repo = name.as_str().to_owned();
    let written = Arc::clone(&recorder.written);
    runtime.spawn_blocking(move || {
        let _slot = slot;
        match write(&*storage, &*locks, &link, &record) {
            Ok(true) => {}
            Ok(false) => forget(&written, &repo, &digest),
            Err(e) => {
                tracing::warn!(repository = %repo, %digest, error = %e, "cannot record a pull");
            }
        }
    });
}

/// Writes the record if the revision is linked; `false` if it is not (yet).
fn write(
    storage: &dyn Storage,
    locks: &dyn Coordinator,
    link: &paths::Key,
    record: &paths::Key,
) -> std::io::Result<bool> {
    let guard = locks.reference_guard()?;
    if storage.head(link)?.is_none() {
        return Ok(false);
    }
    let now = super::uploads::started_at_now();
    storage.put(record, now.as_bytes(), Durability::Volatile)?;
    guard.confirm()?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_revision_is_claimed_once_per_resolution_and_per_repository() {
        let recorder = PullRecorder::default();
        let digest = Digest::of(b"m");
        let t0 = Instant::now();
        let first = recorder.claim("a", digest, t0);
        assert!(first.is_some());
        assert!(recorder.claim("a", digest, t0 + RESOLUTION / 2).is_none());
        assert!(
            recorder.claim("b", digest, t0).is_some(),
            "another repository"
        );
        drop(first);
        assert!(recorder.claim("a", digest, t0 + RESOLUTION).is_some());
    }

    #[test]
    fn writes_in_flight_are_bounded() {
        let recorder = PullRecorder::default();
        let t0 = Instant::now();
        let slots: Vec<Slot> = (0..MAX_IN_FLIGHT as u8)
            .map(|i| recorder.claim("a", Digest::of(&[i]), t0).unwrap())
            .collect();
        let busy = Digest::of(b"busy");
        assert!(recorder.claim("a", busy, t0).is_none());
        drop(slots);
        // Not marked as written when it was skipped: the next pull records it.
        assert!(recorder.claim("a", busy, t0).is_some());
    }
}
