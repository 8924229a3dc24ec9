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
//! tests and single-process use. An object-store implementation may need leases instead.

use std::io;
use std::time::Duration;

/// Held while a lock is; dropping it releases the lock.
#[must_use = "the lock is held only while the guard lives"]
pub struct Guard(Option<Box<dyn std::any::Any + Send>>);

impl Guard {
    /// A guard that excludes nothing.
    pub fn none() -> Self {
        Self(None)
    }

    /// A guard whose exclusion ends when `held` is dropped.
    pub fn holding(held: impl std::any::Any + Send) -> Self {
        Self(Some(Box::new(held)))
    }
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Guard").field(&self.0.is_some()).finish()
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

    /// Whether these locks bind every process serving the store (the filesystem's `flock`s do),
    /// or only this one (the in-process coordinator S3 stores use until a shared one exists).
    /// A collector on locks that do not span processes is safe only while no server writes.
    fn spans_processes(&self) -> bool;
}
