//! [`Storage`] for S3: the blocking seam over [`S3Storage`]'s async calls (run on its runtime
//! from the caller's blocking thread).

use std::io;

use bytes::Bytes;
use futures_util::StreamExt as _;

use super::upload::S3Chunks;
use super::{ObjectInfo, S3Storage};
use crate::storage::backend::{BlobSource, Child, Durability, Meta, Storage, Upload, WalkEntry};
use crate::storage::chunks::BlobChunks;
use crate::storage::paths::{descendant, Key};
use crate::storage::StorageError;

fn meta(info: &ObjectInfo) -> Meta {
    // S3 has one time per object: a write (or a touch, which rewrites) sets it.
    Meta {
        len: info.size,
        modified: info.modified,
        changed: info.modified,
    }
}

/// An object opened for ranged reads: each range is one ranged GET.
struct S3Source {
    s3: S3Storage,
    key: String,
    len: u64,
}

impl BlobSource for S3Source {
    fn len(&self) -> u64 {
        self.len
    }

    fn chunks(self: Box<Self>, start: u64, len: u64) -> io::Result<Box<dyn BlobChunks>> {
        let stream = self.s3.block_on(self.s3.get_range(&self.key, start, len))?;
        Ok(Box::new(S3Chunks::new(self.s3.clone(), stream)))
    }
}

impl Storage for S3Storage {
    fn download_url(&self, key: &Key) -> io::Result<Option<String>> {
        let url = self.block_on(self.presigned_get(key.as_str()))?;
        Ok(Some(url.to_string()))
    }

    fn get(&self, key: &Key, limit: u64) -> io::Result<Option<Vec<u8>>> {
        Ok(self
            .block_on(S3Storage::get(self, key.as_str(), limit))?
            .map(|bytes| bytes.to_vec()))
    }

    fn head(&self, key: &Key) -> io::Result<Option<Meta>> {
        Ok(self
            .block_on(S3Storage::head(self, key.as_str()))?
            .as_ref()
            .map(meta))
    }

    fn put(&self, key: &Key, data: &[u8], _durability: Durability) -> io::Result<()> {
        // S3 acknowledges a PUT once it is durable: both durabilities are the same request.
        self.block_on(S3Storage::put(
            self,
            key.as_str(),
            Bytes::copy_from_slice(data),
        ))
    }

    fn create(&self, key: &Key, data: &[u8]) -> io::Result<bool> {
        self.block_on(S3Storage::put_if_absent(
            self,
            key.as_str(),
            Bytes::copy_from_slice(data),
        ))
    }

    fn open(&self, key: &Key) -> io::Result<Option<Box<dyn BlobSource>>> {
        let Some(info) = self.block_on(S3Storage::head(self, key.as_str()))? else {
            return Ok(None);
        };
        Ok(Some(Box::new(S3Source {
            s3: self.clone(),
            key: key.as_str().to_owned(),
            len: info.size,
        })))
    }

    fn list(&self, prefix: &Key) -> io::Result<Vec<Child>> {
        self.block_on(S3Storage::list(self, prefix.as_str()))
    }

    fn walk(
        &self,
        prefix: &Key,
        want: &dyn Fn(&str) -> bool,
        visit: &mut dyn FnMut(WalkEntry),
    ) -> io::Result<()> {
        let mut objects = S3Storage::walk(self, prefix.as_str());
        // One page at a time from the stream; the visitor runs outside the runtime, so it may
        // call this storage again.
        while let Some(next) = self.block_on(objects.next()) {
            let (relative, info) = next?;
            let name = relative.rsplit('/').next().unwrap_or_default();
            if !want(name) {
                continue;
            }
            // A key that is not a plain path below the prefix is not registry:2's; skip it.
            let Some(key) = descendant(prefix, &relative) else {
                continue;
            };
            visit(WalkEntry {
                key,
                relative,
                meta: meta(&info),
            });
        }
        Ok(())
    }

    fn delete(&self, key: &Key) -> io::Result<()> {
        self.block_on(S3Storage::delete(self, key.as_str()))
    }

    fn delete_tree(&self, prefix: &Key) -> io::Result<()> {
        self.block_on(S3Storage::delete_tree(self, prefix.as_str()))
    }

    fn open_upload(&self, key: &Key, offset: u64) -> io::Result<Box<dyn Upload>> {
        let upload = self.block_on(self.open_upload_at(key.as_str(), offset))?;
        Ok(Box::new(upload))
    }

    fn upload_size(&self, key: &Key) -> io::Result<Option<u64>> {
        self.block_on(self.stored_upload_size(key.as_str()))
    }

    fn touch(&self, key: &Key) -> io::Result<()> {
        // S3 cannot change an object's time without writing it: rewrite the (small) file.
        self.block_on(async {
            let Some(data) = S3Storage::get(self, key.as_str(), TOUCH_LIMIT).await? else {
                return Err(StorageError::wrap(
                    "touch",
                    key.as_str(),
                    io::Error::from(io::ErrorKind::NotFound),
                ));
            };
            S3Storage::put(self, key.as_str(), data).await
        })
    }

    fn describe(&self) -> String {
        self.settings.url()
    }
}

/// `touch` rewrites the object, so it is only for small files (links are 71 bytes).
const TOUCH_LIMIT: u64 = 64 * 1024;
