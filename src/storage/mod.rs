//! The storage seam: what the registry needs from a backend, in registry:2's key space.
//!
//! Two seams live here during issue 12: the new one ([`backend::Storage`] + [`backend::Upload`]
//! for data, [`coordinator::Coordinator`] for locks; implemented by [`fs`], [`memory`] and [`s3`],
//! checked by [`conformance`]) and the old string-keyed [`Storage`] below, which the registry core
//! still runs on until step 2 moves it to the new one and deletes this trait.
//!
//! Keys come only from [`paths`]. Calls are blocking (a filesystem is; an object-store backend
//! runs its client on a runtime handle): the registry runs them on tokio's blocking pool and never
//! on a request task. Durability is part of the contract: `write_durable` and `move_durable`
//! return only once the data and the directory entries naming it survive a crash.

pub mod backend;
pub mod chunks;
pub mod conformance;
pub mod coordinator;
pub mod fs;
pub mod memory;
pub mod paths;
pub mod s3;
pub mod tree;

use std::io::{self, Write};

pub use chunks::BlobChunks;
pub use fs::FsStorage;

/// A failed storage operation: what was done (`read`, `write`, `append`, ...) to which key, and
/// the I/O error. Backends return it inside an [`io::Error`] of the same kind (so "not found" and
/// "storage full" checks keep working); [`StorageError::of`] finds it again.
#[derive(Debug, thiserror::Error)]
#[error("{op} {key}: {source}")]
pub struct StorageError {
    pub op: &'static str,
    pub key: String,
    #[source]
    pub source: io::Error,
}

impl StorageError {
    /// Wraps `source` as an `io::Error` of the same kind that names `op` and `key`.
    #[must_use]
    pub fn wrap(op: &'static str, key: &str, source: io::Error) -> io::Error {
        if Self::of(&source).is_some() {
            return source;
        }
        let kind = source.kind();
        io::Error::new(
            kind,
            Self {
                op,
                key: key.to_owned(),
                source,
            },
        )
    }

    /// The operation and key inside an error a backend returned, if it says.
    #[must_use]
    pub fn of(e: &io::Error) -> Option<&Self> {
        e.get_ref().and_then(|inner| inner.downcast_ref::<Self>())
    }

    /// Whether the error means the storage has no space (or quota) left.
    #[must_use]
    pub fn is_full(e: &io::Error) -> bool {
        matches!(
            e.kind(),
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded
        )
    }
}

/// A directory entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub is_dir: bool,
}

/// An open blob (the one trait for both seams while the old one lives).
pub use backend::BlobSource;

/// The data file of an upload in progress, positioned for appending.
pub trait UploadFile: Write + Send {
    /// Makes everything written so far durable.
    ///
    /// # Errors
    /// I/O errors.
    fn sync(&mut self) -> io::Result<()>;
    /// Cuts the file back to `len` bytes and continues writing there (undoing a failed append).
    ///
    /// # Errors
    /// I/O errors.
    fn truncate(&mut self, len: u64) -> io::Result<()>;
}

/// Held while an operation makes an existing blob referenced (a manifest push from the check of
/// its references to its last link, a mount, an upload commit); dropping it ends the operation.
///
/// A collector sweeping the same storage waits for every guard to be dropped and keeps new ones
/// from being issued until it is done, so a blob that an operation found present stays present
/// until the link that references it is written, and gc's final mark sees that link.
#[must_use = "the guard protects the operation only while it is held"]
pub struct ReferenceGuard(Option<Box<dyn std::any::Any + Send>>);

impl ReferenceGuard {
    /// A guard that excludes nothing, for backends no collector runs against concurrently.
    pub fn none() -> Self {
        Self(None)
    }

    /// A guard whose exclusion ends when `held` is dropped.
    pub fn holding(held: impl std::any::Any + Send) -> Self {
        Self(Some(Box::new(held)))
    }
}

impl std::fmt::Debug for ReferenceGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ReferenceGuard")
            .field(&self.0.is_some())
            .finish()
    }
}

/// A storage backend holding registry:2's tree.
pub trait Storage: Send + Sync + 'static {
    /// Reads a whole small file (link, manifest, startedat); `None` if absent. Files larger than
    /// `limit` are an error.
    ///
    /// # Errors
    /// I/O errors other than "not found".
    fn read(&self, key: &str, limit: u64) -> io::Result<Option<Vec<u8>>>;

    /// Size of a file; `None` if absent.
    ///
    /// # Errors
    /// I/O errors other than "not found".
    fn size(&self, key: &str) -> io::Result<Option<u64>>;

    /// Modification time of a file or directory, for cache validation; `None` if absent.
    ///
    /// # Errors
    /// I/O errors other than "not found".
    fn modified(&self, key: &str) -> io::Result<Option<std::time::SystemTime>>;

    /// Opens a file for streaming; `None` if absent.
    ///
    /// # Errors
    /// I/O errors other than "not found".
    fn open(&self, key: &str) -> io::Result<Option<Box<dyn BlobSource>>>;

    /// Atomically replaces `key` with `data` and makes it durable (temp file, fsync, rename,
    /// directory fsync; new parent directories are made durable too).
    ///
    /// # Errors
    /// I/O errors.
    fn write_durable(&self, key: &str, data: &[u8]) -> io::Result<()>;

    /// Atomically replaces `key` with `data` without waiting for the disk: for state that is only
    /// an optimisation (hash states) or that a crash makes moot (an upload's start time).
    ///
    /// # Errors
    /// I/O errors.
    fn write_volatile(&self, key: &str, data: &[u8]) -> io::Result<()>;

    /// Durably moves the file `from` to `to`, replacing `to` (both under the same root).
    ///
    /// # Errors
    /// I/O errors, "not found" if `from` is missing.
    fn move_durable(&self, from: &str, to: &str) -> io::Result<()>;

    /// Opens (creating if needed) the file `key` for writing at `offset`.
    ///
    /// # Errors
    /// I/O errors.
    fn open_upload(&self, key: &str, offset: u64) -> io::Result<Box<dyn UploadFile>>;

    /// Entries of a directory; empty if absent.
    ///
    /// # Errors
    /// I/O errors other than "not found".
    fn list(&self, key: &str) -> io::Result<Vec<Entry>>;

    /// Deletes a file or a whole directory tree; absent is fine.
    ///
    /// # Errors
    /// I/O errors other than "not found".
    fn delete(&self, key: &str) -> io::Result<()>;

    /// Waits until no garbage collection is sweeping this storage and keeps one from starting
    /// until the guard is dropped. Take it around every operation that checks a blob exists and
    /// then writes a link or manifest referencing it; never around streaming upload data.
    /// Backends without a collector that honours it return [`ReferenceGuard::none`].
    ///
    /// # Errors
    /// I/O errors creating or locking the backend's lock.
    fn reference_guard(&self) -> io::Result<ReferenceGuard> {
        Ok(ReferenceGuard::none())
    }

    /// Sets the modification time of the file `key` to now (a blob's layer link when the blob is
    /// read, so gc's grace period sees it in use). Backends without file times do nothing.
    ///
    /// # Errors
    /// I/O errors, "not found" if `key` is missing.
    fn touch(&self, key: &str) -> io::Result<()> {
        let _ = key;
        Ok(())
    }
}
