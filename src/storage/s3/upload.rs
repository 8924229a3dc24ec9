//! One upload in progress on S3, kept the way registry:2's s3-aws driver keeps it: the data key
//! (`_uploads/<id>/data`) has an open multipart upload whose parts, in order, are the bytes
//! appended so far. Any process that lists the key's uploads and their parts (another replica,
//! registry:2) continues from the sum of their sizes.
//!
//! - Parts are `chunksize` bytes; what is left at the end of a request ([`Upload::persist`]) is
//!   one shorter part. S3 refuses a non-last part under 5 MiB, so the next append first folds a
//!   short last part in, as registry:2 does: complete the upload (the object now holds every byte),
//!   open a new one on the same key and copy the object back server-side as its first parts (read
//!   back into the buffer instead while it is under 5 MiB). A one-PATCH push never pays this.
//! - Going back to an earlier offset (a request that broke off, or an open at a smaller offset) is
//!   the same fold with the copy stopping at that offset.
//! - [`Upload::seal`] completes the upload into the object at the data key, and
//!   [`Upload::commit`] copies that object to the blob key unless the blob exists, then deletes it.
//!
//! A part buffer holds at most `chunksize` bytes and exists only under a permit of the process's
//! part-buffer semaphore, so memory is bounded whatever the number of uploads.

use std::io;

use bytes::{Bytes, BytesMut};
use futures_util::TryStreamExt;
use tokio::sync::OwnedSemaphorePermit;

use super::{Part, S3Storage};
use crate::config::s3::MIN_CHUNK_SIZE;
use crate::storage::backend::{Committed, Upload};
use crate::storage::chunks::BlobChunks;
use crate::storage::paths::Key;
use crate::storage::StorageError;

/// An upload opened by [`S3Storage::open_upload_at`].
pub(super) struct S3Upload {
    s3: S3Storage,
    key: String,
    /// The open multipart upload; `None` once sealed.
    id: Option<String>,
    /// Parts uploaded, in order.
    parts: Vec<Part>,
    /// Bytes appended after the last part, not uploaded yet (less than `chunksize`).
    buffer: BytesMut,
    /// The size at open: [`Upload::rewind`] never goes below it.
    opened_at: u64,
    /// Held while `buffer` may hold bytes.
    permit: Option<OwnedSemaphorePermit>,
}

fn invalid(key: &str, op: &'static str, message: String) -> io::Error {
    StorageError::wrap(
        op,
        key,
        io::Error::new(io::ErrorKind::InvalidInput, message),
    )
}

impl S3Storage {
    /// `Storage::open_upload` by the S3 object's storage key (`/docker/registry/v2/...`), for
    /// tests that look at the multipart representation itself.
    ///
    /// # Errors
    /// As `Storage::open_upload`.
    pub fn open_upload_by_key(&self, key: &str, offset: u64) -> io::Result<Box<dyn Upload>> {
        Ok(Box::new(self.block_on(self.open_upload_at(key, offset))?))
    }

    /// Opens the upload data at `key` for appending at `offset` (see `Storage::open_upload`).
    pub(super) async fn open_upload_at(&self, key: &str, offset: u64) -> io::Result<S3Upload> {
        let mut upload = S3Upload {
            s3: self.clone(),
            key: key.to_owned(),
            id: None,
            parts: Vec::new(),
            buffer: BytesMut::new(),
            opened_at: offset,
            permit: None,
        };
        match self.find_upload(key).await? {
            Some((id, parts)) => {
                let size: u64 = parts.iter().map(|p| p.size).sum();
                if offset > size {
                    return Err(invalid(
                        key,
                        "open upload",
                        format!("offset {offset} is past the {size} bytes stored"),
                    ));
                }
                upload.id = Some(id);
                upload.parts = parts;
                if offset < size {
                    upload.fold(offset).await?;
                }
            }
            None => match self.head(key).await? {
                // Completed but not committed (a seal, or a fold that stopped half-way): the
                // object holds the bytes; continue from it.
                Some(object) => {
                    if offset > object.size {
                        return Err(invalid(
                            key,
                            "open upload",
                            format!("offset {offset} is past the {} bytes stored", object.size),
                        ));
                    }
                    upload.restart(offset).await?;
                }
                None if offset == 0 => upload.id = Some(self.create_upload(key).await?),
                None => {
                    return Err(invalid(
                        key,
                        "open upload",
                        format!("offset {offset} of an upload that holds nothing"),
                    ))
                }
            },
        }
        Ok(upload)
    }

    /// The stored size of the upload data at `key`: its open upload's parts, else the completed
    /// object; `None` when there is neither.
    pub(super) async fn stored_upload_size(&self, key: &str) -> io::Result<Option<u64>> {
        if let Some((_, parts)) = self.find_upload(key).await? {
            return Ok(Some(parts.iter().map(|p| p.size).sum()));
        }
        Ok(self.head(key).await?.map(|object| object.size))
    }
}

impl S3Upload {
    fn stored(&self) -> u64 {
        self.parts.iter().map(|p| p.size).sum()
    }

    fn chunk_size(&self) -> usize {
        usize::try_from(self.s3.settings.chunk_size).unwrap_or(usize::MAX)
    }

    fn id(&self, op: &'static str) -> io::Result<String> {
        self.id
            .clone()
            .ok_or_else(|| invalid(&self.key, op, "the upload is sealed".into()))
    }

    async fn ensure_permit(&mut self) -> io::Result<()> {
        if self.permit.is_none() {
            let permit = self
                .s3
                .part_buffers
                .clone()
                .acquire_owned()
                .await
                .map_err(|_| io::Error::other("part buffers closed"))?;
            self.permit = Some(permit);
        }
        Ok(())
    }

    async fn upload_part(&mut self, data: Bytes) -> io::Result<()> {
        let id = self.id("append")?;
        let key = self.key.clone();
        self.s3.put_part(&key, &id, &mut self.parts, data).await
    }

    /// Completes the open upload (the object at the key then holds every stored byte) and
    /// restarts at `len`: the fold registry:2 does for a short last part, and the way back to an
    /// earlier offset.
    async fn fold(&mut self, len: u64) -> io::Result<()> {
        let id = self.id("append")?;
        self.s3.complete_parts(&self.key, &id, &self.parts).await?;
        self.id = None;
        self.parts.clear();
        self.restart(len).await
    }

    /// Opens a new upload on the key whose content is the first `len` bytes of the object there:
    /// copied server-side from 5 MiB on, else read back into the buffer.
    async fn restart(&mut self, len: u64) -> io::Result<()> {
        let id = self.s3.create_upload(&self.key).await?;
        self.id = Some(id.clone());
        self.parts.clear();
        self.buffer.clear();
        if len == 0 {
            return Ok(());
        }
        if len < MIN_CHUNK_SIZE {
            self.ensure_permit().await?;
            let chunks: Vec<Bytes> = self
                .s3
                .get_range(&self.key, 0, len)
                .await?
                .try_collect()
                .await?;
            for chunk in chunks {
                self.buffer.extend_from_slice(&chunk);
            }
            return Ok(());
        }
        self.parts = self.s3.copy_parts(&self.key, &self.key, &id, len).await?;
        Ok(())
    }

    async fn append_async(&mut self, data: &[u8]) -> io::Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        if self.buffer.is_empty() && self.parts.last().is_some_and(|p| p.size < MIN_CHUNK_SIZE) {
            let size = self.stored();
            self.fold(size).await?;
        }
        self.ensure_permit().await?;
        let chunk = self.chunk_size();
        let mut data = data;
        while !data.is_empty() {
            let room = chunk - self.buffer.len();
            let (now, later) = data.split_at(room.min(data.len()));
            self.buffer.extend_from_slice(now);
            data = later;
            if self.buffer.len() >= chunk {
                let part = self.buffer.split().freeze();
                self.upload_part(part).await?;
            }
        }
        Ok(())
    }

    async fn persist_async(&mut self) -> io::Result<()> {
        if !self.buffer.is_empty() {
            let part = self.buffer.split().freeze();
            self.upload_part(part).await?;
        }
        self.permit = None;
        Ok(())
    }

    async fn rewind_async(&mut self, len: u64) -> io::Result<()> {
        if len < self.opened_at {
            return Err(invalid(
                &self.key,
                "rewind",
                format!("{len} is before the {} bytes at open", self.opened_at),
            ));
        }
        self.cut(len).await
    }

    /// Drops every byte past `len`.
    async fn cut(&mut self, len: u64) -> io::Result<()> {
        let stored = self.stored();
        if len >= stored {
            let keep = usize::try_from(len - stored).unwrap_or(usize::MAX);
            self.buffer.truncate(keep);
            return Ok(());
        }
        self.buffer.clear();
        self.fold(len).await
    }

    async fn seal_async(&mut self, len: u64) -> io::Result<()> {
        let size = self.stored() + self.buffer.len() as u64;
        if len > size {
            return Err(invalid(
                &self.key,
                "seal",
                format!("{len} is past the {size} bytes appended"),
            ));
        }
        if self.id.is_none() {
            return Ok(());
        }
        self.cut(len).await?;
        self.persist_async().await?;
        let id = self.id("seal")?;
        self.s3.complete_parts(&self.key, &id, &self.parts).await?;
        self.id = None;
        Ok(())
    }

    async fn commit_async(mut self, to: &Key) -> io::Result<Committed> {
        let size = self.stored() + self.buffer.len() as u64;
        self.seal_async(size).await?;
        let outcome = if self.s3.head(to.as_str()).await?.is_some() {
            Committed::AlreadyPresent
        } else {
            self.s3.copy(&self.key, to.as_str()).await?;
            Committed::Stored
        };
        self.s3.delete(&self.key).await?;
        Ok(outcome)
    }

    async fn abort_async(self) -> io::Result<()> {
        self.s3.abort_upload(&self.key).await?;
        self.s3.delete(&self.key).await
    }
}

/// A range of a finished object, read as a ranged GET.
pub(super) struct S3Chunks {
    s3: S3Storage,
    stream: futures_util::stream::BoxStream<'static, io::Result<Bytes>>,
}

impl S3Chunks {
    pub(super) fn new(
        s3: S3Storage,
        stream: futures_util::stream::BoxStream<'static, io::Result<Bytes>>,
    ) -> Self {
        Self { s3, stream }
    }
}

impl BlobChunks for S3Chunks {
    fn next_chunk(&mut self) -> io::Result<Option<Bytes>> {
        use futures_util::StreamExt as _;
        let s3 = self.s3.clone();
        s3.block_on(self.stream.next()).transpose()
    }
}

impl Upload for S3Upload {
    fn size(&self) -> u64 {
        self.stored() + self.buffer.len() as u64
    }

    fn append(&mut self, data: &[u8]) -> io::Result<()> {
        let s3 = self.s3.clone();
        s3.block_on(self.append_async(data))
    }

    fn rewind(&mut self, len: u64) -> io::Result<()> {
        let s3 = self.s3.clone();
        s3.block_on(self.rewind_async(len))
    }

    fn persist(&mut self) -> io::Result<()> {
        let s3 = self.s3.clone();
        s3.block_on(self.persist_async())
    }

    fn chunks(&mut self, start: u64, len: u64) -> io::Result<Box<dyn BlobChunks>> {
        let size = self.size();
        if start.saturating_add(len) > size {
            return Err(StorageError::wrap(
                "read upload",
                &self.key,
                io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("{start}+{len} is past the {size} bytes appended"),
                ),
            ));
        }
        let s3 = self.s3.clone();
        // Parts of an open upload cannot be read: fold it, so the object at the key holds every
        // byte (the new upload continues with the same content), and read the object.
        s3.block_on(async {
            self.persist_async().await?;
            if self.id.is_some() {
                self.fold(size).await?;
                // The fold left a short tail in the buffer of a new, empty upload: store it, or
                // a later open would find that empty upload and lose persisted bytes (the
                // conformance suite's reopen after a read-back).
                self.persist_async().await?;
            }
            let stream = self.s3.get_range(&self.key, start, len).await?;
            Ok(Box::new(S3Chunks::new(self.s3.clone(), stream)) as Box<dyn BlobChunks>)
        })
    }

    fn seal(&mut self, len: u64) -> io::Result<()> {
        let s3 = self.s3.clone();
        s3.block_on(self.seal_async(len))
    }

    fn commit(self: Box<Self>, to: &Key) -> io::Result<Committed> {
        let s3 = self.s3.clone();
        s3.block_on(self.commit_async(to))
    }

    fn abort(self: Box<Self>) -> io::Result<()> {
        let s3 = self.s3.clone();
        s3.block_on(self.abort_async())
    }
}
