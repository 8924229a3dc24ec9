//! The storage seam: what the registry needs from a backend, in registry:2's key space.
//!
//! Keys come only from [`paths`]. Calls are blocking (a filesystem is; an object-store backend
//! runs its client on a runtime handle): the registry runs them on tokio's blocking pool and never
//! on a request task. Durability is part of the contract: `write_durable` and `move_durable`
//! return only once the data and the directory entries naming it survive a crash.

pub mod fs;
pub mod paths;

use std::io::{self, Read, Write};

pub use fs::FsStorage;

/// A directory entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub is_dir: bool,
}

/// An open blob: its length and a reader from any offset.
pub trait BlobSource: Send {
    fn len(&self) -> u64;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// A reader positioned at `start`.
    ///
    /// # Errors
    /// I/O errors from seeking.
    fn reader_at(self: Box<Self>, start: u64) -> io::Result<Box<dyn Read + Send>>;
}

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
}
