//! The S3 backend: registry:2's tree in a bucket, in exactly the keys of distribution's s3-aws
//! driver, so registry:2 and regctl serve the same bucket in either order.
//!
//! - Keys: `<rootdirectory>/docker/registry/v2/...` (the storage key with the root prepended and
//!   no leading `/`), no directory marker objects; a "directory" is a common prefix.
//! - Uploads are stored as registry:2 stores them: `_uploads/<id>/data` is an open multipart
//!   upload whose size is the sum of its parts, next to `startedat` and
//!   `hashstates/sha256/<offset>` (written by the registry through [`S3Storage::put`]). Appending
//!   finds the upload by listing the key's open multipart uploads (any replica, or registry:2,
//!   can continue it), fixes a short last part the way registry:2 does, then writes `chunksize`
//!   parts; at most [`PART_BUFFER_BUDGET`] bytes of part buffers exist at once, whatever the
//!   number of uploads.
//! - Completing an upload completes the multipart upload and copies the object to its blob key
//!   (CopyObject, or ranged UploadPartCopy above `multipartcopythresholdsize`), never through
//!   this process.
//!
//! Calls are async (object_store is); [`S3Storage::block_on`] runs one from the blocking pool for
//! the blocking storage seam.

mod backend;
mod client;
pub mod coordinator;
mod multipart;
mod upload;

use std::io;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path;
use object_store::signer::Signer;
use object_store::{
    GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutMode, PutMultipartOptions, PutOptions,
    PutPayload,
};
use tokio::sync::Semaphore;

use crate::config::s3::{S3Settings, MIN_CHUNK_SIZE};

pub use multipart::Part;

use super::backend::{Child, ChildKind};
use super::StorageError;

/// The most memory all part buffers of one process may hold together (a buffer is `chunksize`
/// bytes; at least two buffers are always allowed).
pub const PART_BUFFER_BUDGET: u64 = 256 * 1024 * 1024;

/// How long a presigned blob URL stays valid (registry:2's 20 minutes).
pub const PRESIGN_TTL: Duration = Duration::from_secs(20 * 60);

/// Size, change time and entity tag of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub size: u64,
    pub modified: SystemTime,
    pub etag: Option<String>,
}

/// registry:2's tree in one S3 bucket. Cloning shares the connection and the part-buffer bound.
#[derive(Clone)]
pub struct S3Storage {
    connection: Arc<client::Connection>,
    settings: Arc<S3Settings>,
    /// One permit per part buffer.
    part_buffers: Arc<Semaphore>,
    runtime: Runtime,
}

/// The runtime S3 calls run on: the caller's, or one of its own when built outside any.
#[derive(Clone)]
enum Runtime {
    Shared(tokio::runtime::Handle),
    Owned(Arc<tokio::runtime::Runtime>),
}

impl Runtime {
    fn handle(&self) -> &tokio::runtime::Handle {
        match self {
            Self::Shared(handle) => handle,
            Self::Owned(runtime) => runtime.handle(),
        }
    }
}

impl std::fmt::Debug for S3Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Storage")
            .field("bucket", &self.settings.bucket)
            .field("root", &self.settings.root_directory)
            .finish_non_exhaustive()
    }
}

fn not_found(e: &object_store::Error) -> bool {
    matches!(e, object_store::Error::NotFound { .. })
}

/// An object_store error as an `io::Error` of the matching kind, naming the operation and key.
fn io_error(op: &'static str, key: &str, e: object_store::Error) -> io::Error {
    let kind = match &e {
        object_store::Error::NotFound { .. } => io::ErrorKind::NotFound,
        object_store::Error::AlreadyExists { .. } | object_store::Error::Precondition { .. } => {
            io::ErrorKind::AlreadyExists
        }
        object_store::Error::InvalidPath { .. } => io::ErrorKind::InvalidInput,
        object_store::Error::PermissionDenied { .. }
        | object_store::Error::Unauthenticated { .. } => io::ErrorKind::PermissionDenied,
        _ => io::ErrorKind::Other,
    };
    StorageError::wrap(
        op,
        key,
        io::Error::new(kind, crate::report::error_chain(&e)),
    )
}

impl S3Storage {
    /// Connects to the bucket `settings` names (no request is made yet).
    ///
    /// # Errors
    /// `InvalidInput` for settings the S3 client refuses.
    pub fn new(settings: S3Settings, runtime: tokio::runtime::Handle) -> io::Result<Self> {
        Self::build(settings, Runtime::Shared(runtime))
    }

    /// [`S3Storage::new`] on the current runtime, or on a small one of its own when called
    /// outside any (a CLI command).
    ///
    /// # Errors
    /// `InvalidInput` for settings the S3 client refuses; failing to start a runtime.
    pub fn connect(settings: S3Settings) -> io::Result<Self> {
        let runtime = match tokio::runtime::Handle::try_current() {
            Ok(handle) => Runtime::Shared(handle),
            Err(_) => Runtime::Owned(Arc::new(
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("regctl-s3")
                    .enable_all()
                    .build()?,
            )),
        };
        Self::build(settings, runtime)
    }

    fn build(settings: S3Settings, runtime: Runtime) -> io::Result<Self> {
        let connection = client::connect(&settings)?;
        let buffers = (PART_BUFFER_BUDGET / settings.chunk_size).max(2);
        Ok(Self {
            connection: Arc::new(connection),
            part_buffers: Arc::new(Semaphore::new(
                usize::try_from(buffers).unwrap_or(usize::MAX),
            )),
            settings: Arc::new(settings),
            runtime,
        })
    }

    /// The settings it was built from.
    #[must_use]
    pub fn settings(&self) -> &S3Settings {
        &self.settings
    }

    /// Runs `future` to completion from a thread outside the runtime (the blocking pool).
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.handle().block_on(future)
    }

    /// Runs `future` on this storage's runtime without waiting for it.
    pub fn spawn_detached<F: std::future::Future<Output = ()> + Send + 'static>(&self, future: F) {
        drop(self.runtime.handle().spawn(future));
    }

    /// The S3 object key of a storage key (`/docker/registry/v2/...`): distribution's
    /// `TrimLeft(TrimRight(root, "/") + key, "/")`.
    #[must_use]
    pub fn object_key(&self, key: &str) -> String {
        let key = key.trim_start_matches('/');
        if self.settings.root_directory.is_empty() {
            key.to_owned()
        } else if key.is_empty() {
            self.settings.root_directory.clone()
        } else {
            format!("{}/{key}", self.settings.root_directory)
        }
    }

    fn path(&self, op: &'static str, key: &str) -> io::Result<Path> {
        Path::parse(self.object_key(key)).map_err(|e| {
            StorageError::wrap(
                op,
                key,
                io::Error::new(io::ErrorKind::InvalidInput, e.to_string()),
            )
        })
    }

    /// A whole small object; `None` if absent; larger than `limit` is an error.
    ///
    /// # Errors
    /// S3 errors other than "not found"; `InvalidData` over `limit`.
    pub async fn get(&self, key: &str, limit: u64) -> io::Result<Option<Bytes>> {
        let path = self.path("read", key)?;
        let result = match self
            .connection
            .store
            .get_opts(&path, GetOptions::default())
            .await
        {
            Ok(result) => result,
            Err(e) if not_found(&e) => return Ok(None),
            Err(e) => return Err(io_error("read", key, e)),
        };
        if result.meta.size > limit {
            return Err(StorageError::wrap(
                "read",
                key,
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{} bytes, more than the {limit} expected", result.meta.size),
                ),
            ));
        }
        result
            .bytes()
            .await
            .map(Some)
            .map_err(|e| io_error("read", key, e))
    }

    /// Size, change time and ETag of an object; `None` if absent.
    ///
    /// # Errors
    /// S3 errors other than "not found".
    pub async fn head(&self, key: &str) -> io::Result<Option<ObjectInfo>> {
        let path = self.path("stat", key)?;
        match self.connection.store.head(&path).await {
            Ok(meta) => Ok(Some(ObjectInfo {
                size: meta.size,
                modified: meta.last_modified.into(),
                etag: meta.e_tag,
            })),
            Err(e) if not_found(&e) => Ok(None),
            Err(e) => Err(io_error("stat", key, e)),
        }
    }

    /// Replaces `key` with `data` (durable once S3 acknowledges it).
    ///
    /// # Errors
    /// S3 errors.
    pub async fn put(&self, key: &str, data: Bytes) -> io::Result<()> {
        self.put_with(key, data, PutMode::Overwrite).await.map(drop)
    }

    /// Writes `key` only if it does not exist (`If-None-Match: *`); `false` if it did.
    ///
    /// # Errors
    /// S3 errors.
    pub async fn put_if_absent(&self, key: &str, data: Bytes) -> io::Result<bool> {
        match self.put_with(key, data, PutMode::Create).await {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Replaces `key` only if its ETag is still `etag` (`If-Match`); `false` if it changed.
    ///
    /// # Errors
    /// S3 errors.
    pub async fn put_if_match(&self, key: &str, data: Bytes, etag: &str) -> io::Result<bool> {
        Ok(self.replace_if_match(key, data, etag).await?.is_some())
    }

    /// Like [`Self::put_if_absent`], returning the new object's ETag (`None` if it existed).
    ///
    /// # Errors
    /// S3 errors.
    pub async fn create(&self, key: &str, data: Bytes) -> io::Result<Option<String>> {
        match self.put_tagged(key, data, PutMode::Create).await {
            Ok(etag) => self.etag_or_head(key, etag).await.map(Some),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Like [`Self::put_if_match`], returning the new ETag (`None` if `etag` was not current).
    ///
    /// # Errors
    /// S3 errors.
    pub async fn replace_if_match(
        &self,
        key: &str,
        data: Bytes,
        etag: &str,
    ) -> io::Result<Option<String>> {
        let mode = PutMode::Update(object_store::UpdateVersion {
            e_tag: Some(etag.to_owned()),
            version: None,
        });
        match self.put_tagged(key, data, mode).await {
            Ok(etag) => self.etag_or_head(key, etag).await.map(Some),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn etag_or_head(&self, key: &str, etag: Option<String>) -> io::Result<String> {
        if let Some(etag) = etag {
            return Ok(etag);
        }
        let info = self.head(key).await?;
        info.and_then(|i| i.etag).ok_or_else(|| {
            StorageError::wrap(
                "write",
                key,
                io::Error::other("the S3 server returned no ETag for a conditional write"),
            )
        })
    }

    async fn put_with(&self, key: &str, data: Bytes, mode: PutMode) -> io::Result<()> {
        self.put_tagged(key, data, mode).await.map(drop)
    }

    async fn put_tagged(
        &self,
        key: &str,
        data: Bytes,
        mode: PutMode,
    ) -> io::Result<Option<String>> {
        let path = self.path("write", key)?;
        let mut options = PutOptions::from(mode);
        if let Some(class) = &self.settings.storage_class {
            options
                .attributes
                .insert(object_store::Attribute::StorageClass, class.clone().into());
        }
        self.connection
            .store
            .put_opts(&path, PutPayload::from_bytes(data), options)
            .await
            .map(|result| result.e_tag)
            .map_err(|e| io_error("write", key, e))
    }

    /// The bytes `start..start + len` of `key` as a stream of chunks.
    ///
    /// # Errors
    /// `NotFound` if absent; S3 errors.
    pub async fn get_range(
        &self,
        key: &str,
        start: u64,
        len: u64,
    ) -> io::Result<BoxStream<'static, io::Result<Bytes>>> {
        if len == 0 {
            return Ok(stream::empty().boxed());
        }
        let path = self.path("read", key)?;
        let options = GetOptions {
            range: Some(GetRange::Bounded(start..start + len)),
            ..GetOptions::default()
        };
        let result = self
            .connection
            .store
            .get_opts(&path, options)
            .await
            .map_err(|e| io_error("read", key, e))?;
        let owned_key = key.to_owned();
        Ok(result
            .into_stream()
            .map_err(move |e| io_error("read", &owned_key, e))
            .boxed())
    }

    /// The entries directly below the "directory" `key`: common prefixes and objects (a name
    /// can be both); empty if nothing is below it.
    ///
    /// # Errors
    /// S3 errors.
    pub async fn list(&self, key: &str) -> io::Result<Vec<Child>> {
        let path = self.path("list", key)?;
        let listing = self
            .connection
            .store
            .list_with_delimiter(Some(&path))
            .await
            .map_err(|e| io_error("list", key, e))?;
        let name = |p: &Path| p.filename().unwrap_or_default().to_owned();
        let mut entries: Vec<Child> = listing
            .common_prefixes
            .iter()
            .map(|p| Child {
                name: name(p),
                kind: ChildKind::Prefix,
            })
            .chain(listing.objects.iter().map(|o| Child {
                name: name(&o.location),
                kind: ChildKind::File,
            }))
            .filter(|c| !c.name.is_empty())
            .collect();
        entries.sort();
        Ok(entries)
    }

    /// Every object below `key` (recursively), as storage keys relative to `key`, with its info.
    pub fn walk(&self, key: &str) -> BoxStream<'static, io::Result<(String, ObjectInfo)>> {
        let path = match self.path("walk", key) {
            Ok(path) => path,
            Err(e) => return stream::once(async { Err(e) }).boxed(),
        };
        let prefix = format!("{}/", path.as_ref());
        let owned_key = key.to_owned();
        self.connection
            .store
            .list(Some(&path))
            .map(move |item| {
                let meta = item.map_err(|e| io_error("walk", &owned_key, e))?;
                let relative = meta
                    .location
                    .as_ref()
                    .strip_prefix(&prefix)
                    .unwrap_or(meta.location.as_ref())
                    .to_owned();
                Ok((
                    relative,
                    ObjectInfo {
                        size: meta.size,
                        modified: meta.last_modified.into(),
                        etag: meta.e_tag,
                    },
                ))
            })
            .boxed()
    }

    /// Deletes the object `key`; absent is fine.
    ///
    /// # Errors
    /// S3 errors.
    pub async fn delete(&self, key: &str) -> io::Result<()> {
        let path = self.path("delete", key)?;
        match self.connection.store.delete(&path).await {
            Ok(()) => Ok(()),
            Err(e) if not_found(&e) => Ok(()),
            Err(e) => Err(io_error("delete", key, e)),
        }
    }

    /// Deletes every object below the "directory" `key` (never `key` + other characters: the
    /// listing is of `key/`), and aborts the multipart uploads open there.
    ///
    /// # Errors
    /// S3 errors.
    pub async fn delete_tree(&self, key: &str) -> io::Result<()> {
        let path = self.path("delete", key)?;
        let locations = self
            .connection
            .store
            .list(Some(&path))
            .map_ok(|meta| meta.location)
            .boxed();
        let store = &self.connection.store;
        store
            .delete_stream(locations)
            .try_for_each(|_| async { Ok(()) })
            .await
            .map_err(|e| io_error("delete", key, e))?;
        self.abort_uploads_below(key).await
    }

    /// A presigned GET URL for `key`, valid for [`PRESIGN_TTL`] (a blob download redirect).
    ///
    /// # Errors
    /// Signing errors (no credentials).
    pub async fn presigned_get(&self, key: &str) -> io::Result<reqwest::Url> {
        let path = self.path("presign", key)?;
        self.connection
            .store
            .signed_url(reqwest::Method::GET, &path, PRESIGN_TTL)
            .await
            .map_err(|e| io_error("presign", key, e))
    }

    /// Copies the object `from` to `to` inside the bucket, CopyObject up to
    /// `multipartcopythresholdsize`, else ranged UploadPartCopy parts of `multipartcopychunksize`,
    /// at most `multipartcopymaxconcurrency` at once (registry:2's `Move` without the delete).
    ///
    /// # Errors
    /// `NotFound` if `from` is absent; S3 errors.
    pub async fn copy(&self, from: &str, to: &str) -> io::Result<()> {
        let size = self
            .head(from)
            .await?
            .ok_or_else(|| {
                StorageError::wrap("copy", from, io::Error::from(io::ErrorKind::NotFound))
            })?
            .size;
        let source = self.path("copy", from)?;
        let dest = self.path("copy", to)?;
        if size <= self.settings.multipart_copy_threshold_size {
            return self
                .connection
                .store
                .copy(&source, &dest)
                .await
                .map_err(|e| io_error("copy", from, e));
        }
        let id = self.create_upload(to).await?;
        let parts = match self.copy_parts(from, to, &id, size).await {
            Ok(parts) => parts,
            Err(e) => {
                let _ = self.connection.store.abort_multipart(&dest, &id).await;
                return Err(e);
            }
        };
        self.complete_parts(to, &id, &parts).await
    }

    /// Fills the empty upload `id` of `to` with the first `len` bytes of the object `from`, as
    /// ranged UploadPartCopy parts of `multipartcopychunksize` (a last range under S3's 5 MiB
    /// minimum joins the one before), at most `multipartcopymaxconcurrency` at once. `len` must
    /// be at least 5 MiB, or the only part is short.
    ///
    /// # Errors
    /// S3 errors.
    async fn copy_parts(&self, from: &str, to: &str, id: &str, len: u64) -> io::Result<Vec<Part>> {
        let chunk = self.settings.multipart_copy_chunk_size;
        let mut ranges: Vec<(u64, u64)> = Vec::new();
        let mut first = 0;
        while first < len {
            let end = (first + chunk).min(len);
            ranges.push((first, end));
            first = end;
        }
        if ranges.len() > 1 && ranges.last().is_some_and(|(a, b)| b - a < MIN_CHUNK_SIZE) {
            let (_, end) = ranges.pop().unwrap_or_default();
            if let Some(last) = ranges.last_mut() {
                last.1 = end;
            }
        }
        let source = self.object_key(from);
        let dest = self.object_key(to);
        let concurrency =
            usize::try_from(self.settings.multipart_copy_max_concurrency).unwrap_or(usize::MAX);
        let mut parts: Vec<Part> = stream::iter(ranges.into_iter().enumerate())
            .map(|(index, (first, end))| {
                let (connection, source, dest) = (&self.connection, &source, &dest);
                let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
                async move {
                    connection
                        .upload_part_copy(dest, id, number, source, Some((first, end - 1)))
                        .await
                        .map(|etag| Part {
                            number,
                            etag,
                            size: end - first,
                        })
                }
            })
            .buffer_unordered(concurrency.max(1))
            .try_collect()
            .await
            .map_err(|e| StorageError::wrap("copy", from, e))?;
        parts.sort_by_key(|p| p.number);
        Ok(parts)
    }

    /// The open multipart upload of `key` and its parts, as registry:2's `Writer(append)` finds
    /// them; `None` if no upload is open there.
    ///
    /// # Errors
    /// S3 errors.
    pub async fn find_upload(&self, key: &str) -> io::Result<Option<(String, Vec<Part>)>> {
        let object = self.object_key(key);
        let wrap = |e| StorageError::wrap("upload", key, e);
        let Some(id) = self.connection.find_upload(&object).await.map_err(wrap)? else {
            return Ok(None);
        };
        let parts = self
            .connection
            .list_parts(&object, &id)
            .await
            .map_err(wrap)?;
        Ok(Some((id, parts)))
    }

    /// Starts an empty multipart upload at `key` (registry:2 does at upload start).
    ///
    /// # Errors
    /// S3 errors.
    pub async fn create_upload(&self, key: &str) -> io::Result<String> {
        let path = self.path("upload", key)?;
        let mut options = PutMultipartOptions::default();
        if let Some(class) = &self.settings.storage_class {
            options
                .attributes
                .insert(object_store::Attribute::StorageClass, class.clone().into());
        }
        self.connection
            .store
            .create_multipart_opts(&path, options)
            .await
            .map_err(|e| io_error("upload", key, e))
    }

    /// Uploads `data` as the part after `parts` of the upload `id` of `key`.
    ///
    /// # Errors
    /// S3 errors.
    pub async fn put_part(
        &self,
        key: &str,
        id: &str,
        parts: &mut Vec<Part>,
        data: Bytes,
    ) -> io::Result<()> {
        let path = self.path("append", key)?;
        let number = parts.last().map_or(1, |p| p.number + 1);
        let size = data.len() as u64;
        let index = usize::try_from(number - 1).unwrap_or(usize::MAX);
        let part = self
            .connection
            .store
            .put_part(&path, &id.to_owned(), index, PutPayload::from_bytes(data))
            .await
            .map_err(|e| io_error("append", key, e))?;
        parts.push(Part {
            number,
            etag: part.content_id,
            size,
        });
        Ok(())
    }

    /// Completes the upload `id` of `key` with `parts` into the object `key` (no parts: an empty
    /// object, as registry:2 does it).
    ///
    /// # Errors
    /// S3 errors.
    pub async fn complete_parts(&self, key: &str, id: &str, parts: &[Part]) -> io::Result<()> {
        let path = self.path("complete", key)?;
        let mut parts = parts.to_vec();
        if parts.is_empty() {
            self.put_part(key, id, &mut parts, Bytes::new()).await?;
        }
        let ids = parts
            .iter()
            .map(|p| PartId {
                content_id: p.etag.clone(),
            })
            .collect();
        self.connection
            .store
            .complete_multipart(&path, &id.to_owned(), ids)
            .await
            .map(drop)
            .map_err(|e| io_error("complete", key, e))
    }

    /// Aborts every multipart upload open at `key` exactly; none is fine.
    ///
    /// # Errors
    /// S3 errors.
    pub async fn abort_upload(&self, key: &str) -> io::Result<()> {
        // Bounded: a server that keeps listing an aborted upload must not spin this forever.
        for _ in 0..16 {
            let object = self.object_key(key);
            let Some(id) = self
                .connection
                .find_upload(&object)
                .await
                .map_err(|e| StorageError::wrap("abort", key, e))?
            else {
                break;
            };
            self.abort_id(key, &object, &id).await?;
        }
        Ok(())
    }

    async fn abort_id(&self, key: &str, object: &str, id: &str) -> io::Result<()> {
        let path = Path::parse(object).map_err(|e| {
            StorageError::wrap(
                "abort",
                key,
                io::Error::new(io::ErrorKind::InvalidInput, e.to_string()),
            )
        })?;
        match self
            .connection
            .store
            .abort_multipart(&path, &id.to_owned())
            .await
        {
            Ok(()) => Ok(()),
            Err(e) if not_found(&e) => Ok(()),
            Err(e) => Err(io_error("abort", key, e)),
        }
    }

    /// Aborts every multipart upload open below the "directory" `key`.
    ///
    /// # Errors
    /// S3 errors.
    pub async fn abort_uploads_below(&self, key: &str) -> io::Result<()> {
        let prefix = format!("{}/", self.object_key(key));
        let uploads = self
            .connection
            .uploads_below(&prefix)
            .await
            .map_err(|e| StorageError::wrap("abort", key, e))?;
        for (object, id) in uploads {
            self.abort_id(key, &object, &id).await?;
        }
        Ok(())
    }
}
