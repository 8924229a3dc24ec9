//! The storage seam: what the registry needs from a backend, in registry:2's key space.
//!
//! [`backend::Storage`] + [`backend::Upload`] for data and [`coordinator::Coordinator`] for locks;
//! implemented by [`fs`], [`memory`] and [`s3`], each checked by [`conformance`].
//!
//! Keys come only from [`paths`]. Calls are blocking (a filesystem is; an object-store backend
//! runs its client on a runtime handle): the registry runs them on tokio's blocking pool and never
//! on a request task. Durability is part of the contract: a durable `put` and `Upload::commit`
//! return only once the data and the directory entries naming it survive a crash.

pub mod backend;
pub mod chunks;
pub mod conformance;
pub mod coordinator;
pub mod fs;
pub mod memory;
pub mod paths;
pub mod s3;
pub mod settings;
pub mod tree;

use std::io;

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

/// An open blob.
pub use backend::BlobSource;
