//! Blobs as a repository sees them: a blob belongs to a repository when the repository links it
//! (`_layers/<digest>/link`), as in distribution's linked blob store.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::{read_link, write_link, Registry, RegistryError};
use crate::digest::Digest;
use crate::oci::reference::Name;
use crate::storage::backend::{BlobSource, Storage};
use crate::storage::paths::{self, Key};

/// How a blob GET is answered: its bytes, or a redirect to where the client downloads them.
pub enum BlobRead {
    Source(Box<dyn BlobSource>),
    /// A URL from [`Storage::download_url`], and the blob's size.
    Redirect {
        url: String,
        size: u64,
    },
}

/// A blob's digest and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobInfo {
    pub digest: Digest,
    pub size: u64,
}

/// How often a read refreshes one layer link's mtime.
const TOUCH_EVERY: Duration = Duration::from_secs(60);
/// Links remembered; the map starts over when full (a link then gets one extra touch).
const TOUCHED_MAX: usize = 16 * 1024;

/// When each layer link was last touched by a blob read, so a hot blob costs one `futimens` a
/// minute, not one per request.
///
/// Why touch at all: a client that HEADs a blob and gets 200 skips uploading it and pushes a
/// manifest referencing it later. `regctl gc` keeps any blob whose layer link changed within its
/// grace period, so refreshing the link on HEAD/GET keeps the blob for that push (a mount
/// rewrites the target link, which refreshes it the same way).
#[derive(Default)]
pub(super) struct TouchedLinks {
    at: Mutex<HashMap<Key, Instant>>,
}

impl TouchedLinks {
    /// Whether `link` is due a touch now; records it as touched if so.
    fn due(&self, link: &Key) -> bool {
        let now = Instant::now();
        let mut at = self.at.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(last) = at.get_mut(link) {
            if now.duration_since(*last) < TOUCH_EVERY {
                return false;
            }
            *last = now;
            return true;
        }
        if at.len() >= TOUCHED_MAX {
            at.clear();
        }
        at.insert(link.clone(), now);
        true
    }
}

/// Checks that `name` links `digest` (as a layer, or as a manifest revision) and refreshes the
/// layer link when `touch` says so. A failed touch does not fail the read.
fn check_linked(
    s: &dyn Storage,
    layer: &Key,
    revision: &Key,
    digest: Digest,
    touch: bool,
) -> Result<(), RegistryError> {
    if read_link(s, layer)? == Some(digest) {
        if touch {
            match s.touch(layer) {
                Ok(()) => {}
                // Read-only storage (maintenance) has no pushes for gc to race with.
                Err(e) if e.kind() == std::io::ErrorKind::ReadOnlyFilesystem => {
                    tracing::debug!(error = %e, "layer link not refreshed: read-only storage");
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot refresh a layer link for gc's grace period");
                }
            }
        }
        return Ok(());
    }
    if read_link(s, revision)? == Some(digest) {
        return Ok(());
    }
    Err(RegistryError::BlobUnknown(digest))
}

/// The size of blob `digest`'s data; `None` when the blob store does not have it.
pub(super) fn blob_size(
    storage: &dyn Storage,
    digest: &Digest,
) -> Result<Option<u64>, RegistryError> {
    Ok(storage
        .head(&paths::blob_data(digest))?
        .map(|meta| meta.len))
}

/// Whether `name` links `digest` as a layer/config blob and the blob exists; its size if so.
pub(super) fn linked_layer_size(
    storage: &dyn Storage,
    name: Name<'_>,
    digest: &Digest,
) -> Result<Option<u64>, RegistryError> {
    if read_link(storage, &paths::layer_link(name, digest))? != Some(*digest) {
        return Ok(None);
    }
    blob_size(storage, digest)
}

/// Whether `name` has the manifest revision `digest` and its bytes exist.
pub(super) fn linked_manifest_size(
    storage: &dyn Storage,
    name: Name<'_>,
    digest: &Digest,
) -> Result<Option<u64>, RegistryError> {
    if read_link(storage, &paths::manifest_revision_link(name, digest))? != Some(*digest) {
        return Ok(None);
    }
    blob_size(storage, digest)
}

impl Registry {
    /// The size of a blob of `name`. Manifests are blobs too: a digest linked as a manifest
    /// revision can be fetched through the blob endpoint.
    ///
    /// # Errors
    /// [`RegistryError::BlobUnknown`] when the repository does not link it.
    pub async fn stat_blob(&self, name: Name<'_>, digest: Digest) -> Result<u64, RegistryError> {
        let layer = paths::layer_link(name, &digest);
        let revision = paths::manifest_revision_link(name, &digest);
        let touch = self.touched.due(&layer);
        self.blocking(move |s| {
            check_linked(s, &layer, &revision, digest, touch)?;
            blob_size(s, &digest)?.ok_or(RegistryError::BlobUnknown(digest))
        })
        .await
    }

    /// Opens a blob of `name` for streaming.
    ///
    /// # Errors
    /// [`RegistryError::BlobUnknown`] when the repository does not link it.
    pub async fn open_blob(
        &self,
        name: Name<'_>,
        digest: Digest,
    ) -> Result<Box<dyn BlobSource>, RegistryError> {
        let layer = paths::layer_link(name, &digest);
        let revision = paths::manifest_revision_link(name, &digest);
        let touch = self.touched.due(&layer);
        self.blocking(move |s| {
            check_linked(s, &layer, &revision, digest, touch)?;
            s.open(&paths::blob_data(&digest))?
                .ok_or(RegistryError::BlobUnknown(digest))
        })
        .await
    }

    /// Opens a blob of `name` for a GET, or, with `redirect` and a backend that has download
    /// URLs (S3), returns the URL to redirect the client to (`storage.redirect.disable` false,
    /// as registry:2 does by default). One link check either way.
    ///
    /// # Errors
    /// [`RegistryError::BlobUnknown`] when the repository does not link it; signing errors.
    pub async fn read_blob(
        &self,
        name: Name<'_>,
        digest: Digest,
        redirect: bool,
    ) -> Result<BlobRead, RegistryError> {
        let layer = paths::layer_link(name, &digest);
        let revision = paths::manifest_revision_link(name, &digest);
        let touch = self.touched.due(&layer);
        self.blocking(move |s| {
            check_linked(s, &layer, &revision, digest, touch)?;
            let data = paths::blob_data(&digest);
            if redirect {
                if let Some(url) = s.download_url(&data)? {
                    // The URL works whether or not the object exists; registry:2 stats first.
                    return match blob_size(s, &digest)? {
                        Some(size) => Ok(BlobRead::Redirect { url, size }),
                        None => Err(RegistryError::BlobUnknown(digest)),
                    };
                }
            }
            s.open(&data)?
                .map(BlobRead::Source)
                .ok_or(RegistryError::BlobUnknown(digest))
        })
        .await
    }

    /// Unlinks a blob from `name` (the bytes stay until garbage collection, as in distribution).
    ///
    /// # Errors
    /// [`RegistryError::BlobUnknown`] when the repository does not link it.
    pub async fn delete_blob(&self, name: Name<'_>, digest: Digest) -> Result<(), RegistryError> {
        let link = paths::layer_link(name, &digest);
        self.blocking(move |s| {
            if read_link(s, &link)? != Some(digest) {
                return Err(RegistryError::BlobUnknown(digest));
            }
            // A backend with directories removes the emptied `<digest>/` with the link, so no
            // empty directory is left for registry:2's walkers.
            s.delete(&link)?;
            Ok(())
        })
        .await
    }

    /// Cross-repository mount: links `digest` into `name` if `from` links it. `None` when the
    /// source does not have it (the caller then starts an ordinary upload).
    ///
    /// # Errors
    /// Storage errors.
    pub async fn mount_blob(
        &self,
        name: Name<'_>,
        from: Name<'_>,
        digest: Digest,
    ) -> Result<Option<BlobInfo>, RegistryError> {
        let from_link = paths::layer_link(from, &digest);
        let to_link = paths::layer_link(name, &digest);
        let locks = std::sync::Arc::clone(&self.locks);
        self.blocking(move |s| {
            // The blob found in `from` must still exist when `name`'s link to it is written.
            let guard = locks.reference_guard()?;
            if read_link(s, &from_link)? != Some(digest) {
                return Ok(None);
            }
            let Some(size) = blob_size(s, &digest)? else {
                return Ok(None);
            };
            write_link(s, &to_link, &digest)?;
            guard.confirm()?;
            Ok(Some(BlobInfo { digest, size }))
        })
        .await
    }
}
