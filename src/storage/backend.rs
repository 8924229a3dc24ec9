//! The data side of the storage seam: what the registry, gc and fsck need from a backend, in
//! registry:2's key space, shaped like distribution's `StorageDriver` and object-store friendly.
//!
//! A backend stores *files* (byte strings) under [`Key`]s. There are no directories: a prefix
//! exists exactly when some file is below it (S3 has no directory objects and registry:2's S3
//! driver writes none). A backend with real directories (the filesystem) hides them: it creates
//! them on write and removes the one it leaves empty on delete. Nothing here renames, truncates in
//! place or locks; an upload in progress is its own sub-interface ([`Upload`]), so the filesystem
//! keeps append + truncate + fsync + rename and an object store can use multipart uploads.
//!
//! Calls are blocking (a filesystem is; an object-store backend runs its client on a runtime
//! handle): the registry runs them on tokio's blocking pool, never on a request task.
//!
//! Errors are `io::Error`s whose kind says what happened (`NotFound` is never returned for an
//! absent key where the verb answers `None`; `StorageFull`/`QuotaExceeded` mean no space) and whose
//! payload is a [`super::StorageError`] naming the operation and the key.

use std::io;
use std::time::SystemTime;

use super::chunks::BlobChunks;
use super::paths::Key;

/// How a write must survive a crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Returns only once the data and the entries naming it survive power loss (links,
    /// manifests, blob data): anything a client is told has been stored.
    Durable,
    /// Atomic but not waited for: state that is only an optimisation (hash states) or that a
    /// crash makes moot (an upload's `startedat`).
    Volatile,
}

/// What [`Storage::head`] knows about a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// Length in bytes.
    pub len: u64,
    /// When the content was last written (filesystem mtime, S3 `LastModified`). gc judges crash
    /// leftovers by it: a copied or restored store keeps old mtimes.
    pub modified: SystemTime,
    /// The newest of `modified` and any metadata change (filesystem: the ctime too, which a rename
    /// into place or a `touch` sets; S3: `LastModified` again). gc's grace period is measured on it.
    pub changed: SystemTime,
}

/// One entry of a [`Storage::list`]: the next path segment below the listed prefix.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Child {
    /// One segment, never empty, never containing `/`.
    pub name: String,
    pub kind: ChildKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChildKind {
    /// A file `<prefix>/<name>`.
    File,
    /// At least one file below `<prefix>/<name>/`. On an object store a name can be both a file
    /// and a prefix; it is then listed twice.
    Prefix,
}

impl Child {
    #[must_use]
    pub fn is_prefix(&self) -> bool {
        self.kind == ChildKind::Prefix
    }
}

/// One file found by [`Storage::walk`].
#[derive(Debug, Clone)]
pub struct WalkEntry {
    /// The file's key.
    pub key: Key,
    /// Its path below the walked prefix, segments joined by `/` (e.g. `ab/<hex>/data`).
    pub relative: String,
    pub meta: Meta,
}

/// The outcome of [`Upload::commit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Committed {
    /// The upload's bytes are now the file at the target key.
    Stored,
    /// The target already existed and was kept as it was (content-addressed, so it holds the same
    /// bytes); the upload's data was discarded.
    AlreadyPresent,
}

/// An open blob (or upload data): its length and its bytes, in chunks, from any range.
pub trait BlobSource: Send {
    fn len(&self) -> u64;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The bytes `start..start + len` (within [`BlobSource::len`]) as chunks, produced on the
    /// calling thread, which may block.
    ///
    /// # Errors
    /// I/O errors from opening the range.
    fn chunks(self: Box<Self>, start: u64, len: u64) -> io::Result<Box<dyn BlobChunks>>;
}

/// The data of one upload in progress (`_uploads/<id>/data`), opened for appending by one request
/// at a time (the registry serialises requests per session).
///
/// Bytes appended are readable by a later [`Storage::open_upload`] of the same key (another
/// request, a restarted process, another replica) once [`Upload::persist`] returned; a crash before
/// that may keep some of them or none, never other bytes.
///
/// Filesystem: a plain file, appended, cut back with `ftruncate`, fsynced and renamed into place.
/// Object store: an open multipart upload whose parts are the appended bytes.
pub trait Upload: Send {
    /// Bytes in the upload: what it held at open (cut to the open offset) plus what was appended.
    fn size(&self) -> u64;

    /// Appends `data` at [`Upload::size`].
    ///
    /// # Errors
    /// I/O errors; the upload then holds a prefix of what was appended, and [`Upload::rewind`]
    /// restores a known size.
    fn append(&mut self, data: &[u8]) -> io::Result<()>;

    /// Drops everything past `len`, which must be at least the size at open: undoes the bytes of
    /// a request that broke off, so the upload stays at the last acknowledged offset.
    ///
    /// # Errors
    /// `InvalidInput` below the size at open; I/O errors.
    fn rewind(&mut self, len: u64) -> io::Result<()>;

    /// Makes what was appended so far visible to later opens (the end of a PATCH). Not a durability
    /// promise: an acknowledged PATCH may be lost in a crash, as in registry:2.
    ///
    /// # Errors
    /// I/O errors.
    fn persist(&mut self) -> io::Result<()>;

    /// Reads back `start..start + len` of the upload (to rebuild a hash that was not stored).
    ///
    /// # Errors
    /// I/O errors; `UnexpectedEof` when the range is past [`Upload::size`].
    fn chunks(&mut self, start: u64, len: u64) -> io::Result<Box<dyn BlobChunks>>;

    /// Makes exactly the first `len` bytes durable and drops anything past them (bytes a crashed
    /// writer may have left after what was hashed). Called before [`Upload::commit`], outside any
    /// lock, so the slow part of a commit (fsync, completing a multipart upload) holds nothing up.
    ///
    /// # Errors
    /// `InvalidInput` when `len` is past [`Upload::size`]; I/O errors.
    fn seal(&mut self, len: u64) -> io::Result<()>;

    /// Moves the sealed data to `to` (a blob's `data` key) unless `to` exists: create-if-absent,
    /// so concurrent identical uploads all succeed and an existing blob is never rewritten (a
    /// reader may have it memory-mapped). Durable on return. The upload's data key is gone
    /// afterwards either way; its other files (`startedat`, hash states) are the caller's.
    ///
    /// # Errors
    /// I/O errors; the upload is then still there and can be committed again or aborted.
    fn commit(self: Box<Self>, to: &Key) -> io::Result<Committed>;

    /// Discards the upload's data (an object store aborts its multipart upload).
    ///
    /// # Errors
    /// I/O errors.
    fn abort(self: Box<Self>) -> io::Result<()>;
}

/// A storage backend holding registry:2's tree. Every backend passes
/// [`super::conformance::run`]; keys come only from [`super::paths`].
pub trait Storage: Send + Sync + 'static {
    /// Reads a whole small file (link, manifest, `startedat`); `None` if absent.
    ///
    /// # Errors
    /// `InvalidData` when the file is larger than `limit`; other I/O errors.
    fn get(&self, key: &Key, limit: u64) -> io::Result<Option<Vec<u8>>>;

    /// Length and change times of a file; `None` if absent (a key that is only a prefix is
    /// absent too).
    ///
    /// # Errors
    /// I/O errors other than "not found".
    fn head(&self, key: &Key) -> io::Result<Option<Meta>>;

    /// Atomically replaces the file `key` with `data` (readers see the old or the new bytes,
    /// never a mix), as durable as `durability` says.
    ///
    /// # Errors
    /// I/O errors.
    fn put(&self, key: &Key, data: &[u8], durability: Durability) -> io::Result<()>;

    /// Writes the file `key` with `data` only if it does not exist, atomically with respect to
    /// every other writer of the store, other processes and replicas included (filesystem: a
    /// hard link of a finished temp file; object store: `If-None-Match: *`). `false` when it
    /// existed, and then it is left as it was. Durable on return. What an immutable tag's first
    /// push decides its race with.
    ///
    /// # Errors
    /// I/O errors.
    fn create(&self, key: &Key, data: &[u8]) -> io::Result<bool>;

    /// Opens a file for ranged streaming; `None` if absent. The source keeps reading the bytes
    /// it opened even if the key is deleted meanwhile (filesystem: an open file; object store: a
    /// conditional ranged GET may fail with `NotFound` instead, which the caller reports).
    ///
    /// # Errors
    /// I/O errors other than "not found".
    fn open(&self, key: &Key) -> io::Result<Option<Box<dyn BlobSource>>>;

    /// The next path segments below `prefix`, files and prefixes, in no particular order; empty if
    /// nothing is below it. A backend with directories may also list a directory that
    /// [`Storage::delete_tree`] emptied below (as registry:2's filesystem driver does); readers
    /// treat a prefix with no files as absent.
    ///
    /// # Errors
    /// I/O errors other than "not found".
    fn list(&self, prefix: &Key) -> io::Result<Vec<Child>>;

    /// Visits every file below `prefix` (recursively, in no particular order) whose last segment
    /// `want` accepts, with its [`Meta`]; only those are stat'ed. Files that vanish during the walk
    /// are skipped. Meant for whole-store scans (gc, fsck, catalog), so it streams: a backend
    /// never holds the whole listing.
    ///
    /// # Errors
    /// I/O errors listing what exists (the walk stops at the first).
    fn walk(
        &self,
        prefix: &Key,
        want: &dyn Fn(&str) -> bool,
        visit: &mut dyn FnMut(WalkEntry),
    ) -> io::Result<()>;

    /// Visits `<prefix>/<child>/<name>` for every child prefix of `prefix` and every name in
    /// `names` that exists there, with its [`Meta`] (`relative` is `<child>/<name>`): the link
    /// files of a link directory (`_layers/sha256/<hex>/link`). Nothing deeper is visited. The
    /// default is a [`Storage::walk`] (one paginated listing on an object store); the filesystem
    /// answers with one directory read and a stat per name instead of opening every child.
    ///
    /// # Errors
    /// I/O errors listing what exists.
    fn child_files(
        &self,
        prefix: &Key,
        names: &[&str],
        visit: &mut dyn FnMut(WalkEntry),
    ) -> io::Result<()> {
        self.walk(prefix, &|name| names.contains(&name), &mut |entry| {
            if entry
                .relative
                .split_once('/')
                .is_some_and(|(_, file)| !file.contains('/'))
            {
                visit(entry);
            }
        })
    }

    /// Visits the files a writer of this backend killed mid-write left below `prefix`, which
    /// [`Storage::list`] and [`Storage::walk`] never show (the filesystem's temp files of atomic
    /// writes, `.<name>.tmp-<16 hex>`), entering only directories `enter` accepts. An object
    /// store's writes are atomic, so it has none. gc deletes those older than its grace period
    /// with [`Storage::delete`].
    ///
    /// # Errors
    /// I/O errors listing what exists.
    fn crash_leftovers(
        &self,
        prefix: &Key,
        enter: &dyn Fn(&Key) -> bool,
        visit: &mut dyn FnMut(WalkEntry),
    ) -> io::Result<()> {
        let _ = (prefix, enter, visit);
        Ok(())
    }

    /// Deletes the file `key`; absent is fine. A backend with directories also removes the
    /// directory that held it if that leaves it empty (one level: `<digest>/` after its `link`
    /// or `data`), never more.
    ///
    /// # Errors
    /// I/O errors other than "not found".
    fn delete(&self, key: &Key) -> io::Result<()>;

    /// Deletes every file below `prefix` (and, with directories, the directory `prefix` itself),
    /// including the data of uploads in progress there (an object store aborts their multipart
    /// uploads); nothing at all is fine. `prefix` is a whole segment: `a/b` never touches `a/bc`.
    ///
    /// # Errors
    /// I/O errors; some files may then be gone already.
    fn delete_tree(&self, prefix: &Key) -> io::Result<()>;

    /// Opens the upload data at `key` for appending at `offset`, creating it when absent (then
    /// `offset` must be 0). Bytes past `offset` (left by a request that failed before it could
    /// rewind) are dropped.
    ///
    /// # Errors
    /// `InvalidInput` when `offset` is past the stored size; I/O errors.
    fn open_upload(&self, key: &Key, offset: u64) -> io::Result<Box<dyn Upload>>;

    /// The stored size of the upload data at `key` (what an open at that offset continues from);
    /// `None` when there is none.
    ///
    /// # Errors
    /// I/O errors other than "not found".
    fn upload_size(&self, key: &Key) -> io::Result<Option<u64>>;

    /// Sets the change time of the file `key` to now without changing its bytes (a blob's layer
    /// link when the blob is read, so gc's grace period sees it in use).
    ///
    /// # Errors
    /// `NotFound` if `key` is missing; `ReadOnlyFilesystem` on read-only storage; I/O errors.
    fn touch(&self, key: &Key) -> io::Result<()>;

    /// Where the store lives, for messages (`/var/lib/registry`, `s3://bucket/prefix`).
    fn describe(&self) -> String;

    /// A URL clients can GET the file's bytes from directly, for a limited time (distribution's
    /// `URLFor`: a presigned S3 URL), so blob downloads bypass the registry; `None` when the
    /// backend has no such URLs (the filesystem), and then the registry serves the bytes.
    ///
    /// # Errors
    /// Signing errors (no credentials to sign with).
    fn download_url(&self, key: &Key) -> io::Result<Option<String>> {
        let _ = key;
        Ok(None)
    }
}
