//! The coordination side of the storage seam: the locks that let `regctl gc` sweep a store while
//! servers keep accepting pushes (ARCHITECTURE.md, "GC protocol", rules 1 and 3).
//!
//! Three locks, whatever the backend:
//! - the *reference* lock, held shared by a server around every operation that checks a blob
//!   exists and then writes what references it ([`Coordinator::reference_guard`]), and exclusively
//!   by a collector while it sweeps ([`Coordinator::sweep_lock`]);
//! - the *collector* lock, so one collector runs at a time ([`Coordinator::collector_lock`]).
//!
//! The filesystem implementation is `flock` on two files registry:2 never lists
//! (`docker/registry/v2/.regctl-reference.lock`, `.regctl-gc.lock`), byte-compatible with every
//! regctl release that used them; the kernel drops a dead holder's lock. An in-memory one serves
//! tests and single-process use. On S3 (`storage::s3::coordinator`) the same three locks are
//! objects written with conditional PUTs, with leases a collector may take from a dead holder,
//! fenced by [`Guard::confirm`].

use std::io;
use std::time::Duration;

use super::paths;

/// Held while a lock is; dropping it releases the lock.
#[must_use = "the lock is held only while the guard lives"]
pub struct Guard {
    held: Option<Box<dyn std::any::Any + Send>>,
    fence: Option<Fence>,
}

/// How a guard tells whether it is still held (an `Err` once it was taken away).
pub type Fence = std::sync::Arc<dyn Fn() -> io::Result<()> + Send + Sync>;

impl Guard {
    /// A guard that excludes nothing.
    pub fn none() -> Self {
        Self {
            held: None,
            fence: None,
        }
    }

    /// A guard whose exclusion ends when `held` is dropped.
    pub fn holding(held: impl std::any::Any + Send) -> Self {
        Self {
            held: Some(Box::new(held)),
            fence: None,
        }
    }

    /// A guard that can be taken from its holder (an object-store lease a collector declared
    /// dead): `fence` says, before release, whether it still held.
    pub fn fenced(
        held: impl std::any::Any + Send,
        fence: impl Fn() -> io::Result<()> + Send + Sync + 'static,
    ) -> Self {
        Self {
            held: Some(Box::new(held)),
            fence: Some(std::sync::Arc::new(fence)),
        }
    }

    /// The check of [`Self::confirm`], callable while the guard is held (a collector calls it
    /// before each deletion, so one whose lease was taken stops); always `Ok` for locks that
    /// cannot be taken away.
    #[must_use]
    pub fn fence(&self) -> Fence {
        self.fence
            .clone()
            .unwrap_or_else(|| std::sync::Arc::new(|| Ok(())))
    }

    /// Releases the guard after checking it was held until now. An operation whose result a
    /// client will be told of calls this instead of dropping the guard: when the lock was taken
    /// away meanwhile (a holder stalled past its lease), the operation must fail rather than be
    /// acknowledged, because a collector may have swept what it referenced.
    ///
    /// # Errors
    /// `TimedOut` when the guard was taken away; I/O errors checking it.
    pub fn confirm(mut self) -> io::Result<()> {
        let fence = self.fence.take();
        let checked = fence.map_or(Ok(()), |fence| fence());
        drop(self.held.take());
        checked
    }
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Guard").field(&self.held.is_some()).finish()
    }
}

/// Why a lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another holder kept it past the wait (`waited` is zero for a try).
    #[error("{lock} is held elsewhere (waited {waited:?})")]
    Busy { lock: String, waited: Duration },
    #[error("{lock}: {source}")]
    Io {
        lock: String,
        #[source]
        source: io::Error,
    },
}

/// The locks between servers and collectors of one store.
pub trait Coordinator: Send + Sync + 'static {
    /// Shared reference lock: waits while a collector sweeps and keeps one from starting until
    /// the guard is dropped. Take it around every operation that checks a blob exists and then
    /// writes a link or manifest referencing it; never around streaming upload data. Cheap when
    /// uncontended (the filesystem locks once per process and counts holders).
    ///
    /// # Errors
    /// I/O errors creating or locking the backend's lock (the operation must then fail).
    fn reference_guard(&self) -> io::Result<Guard>;

    /// Exclusive reference lock for a collector's sweep: waits for in-flight reference
    /// operations, at most `timeout`.
    ///
    /// # Errors
    /// [`LockError::Busy`] after `timeout`; [`LockError::Io`].
    fn sweep_lock(&self, timeout: Duration) -> Result<Guard, LockError>;

    /// The one-collector lock, without waiting: gc and `fsck --repair` hold it for their run.
    ///
    /// # Errors
    /// [`LockError::Busy`] when another collector holds it; [`LockError::Io`].
    fn collector_lock(&self) -> Result<Guard, LockError>;

    /// Claims the upload under `dir` for one request's writes, so two requests on two servers
    /// never append to one upload at once (the second is told the upload is busy); `None` while
    /// another request holds it. A server serialises its own requests per upload already, so
    /// only a store shared by several servers needs more than this default.
    ///
    /// # Errors
    /// I/O errors creating the claim.
    fn upload_writer(&self, dir: &paths::Key) -> io::Result<Option<Guard>> {
        let _ = dir;
        Ok(Some(Guard::none()))
    }

    /// Whether these locks bind every process serving the store (the filesystem's `flock`s do),
    /// or only this one (the in-process coordinator S3 stores use until a shared one exists).
    /// A collector on locks that do not span processes is safe only while no server writes.
    fn spans_processes(&self) -> bool;
}
