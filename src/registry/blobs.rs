//! Blobs as a repository sees them: a blob belongs to a repository when the repository links it
//! (`_layers/<digest>/link`), as in distribution's linked blob store.

use super::{read_link, write_link, Registry, RegistryError};
use crate::digest::Digest;
use crate::oci::reference::Name;
use crate::storage::{paths, BlobSource, Storage};

/// A blob's digest and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobInfo {
    pub digest: Digest,
    pub size: u64,
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
    Ok(storage.size(&paths::blob_data(digest))?)
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
    Ok(storage.size(&paths::blob_data(digest))?)
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
        self.blocking(move |s| {
            let linked =
                read_link(s, &layer)? == Some(digest) || read_link(s, &revision)? == Some(digest);
            if !linked {
                return Err(RegistryError::BlobUnknown(digest));
            }
            s.size(&paths::blob_data(&digest))?
                .ok_or(RegistryError::BlobUnknown(digest))
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
        self.blocking(move |s| {
            let linked =
                read_link(s, &layer)? == Some(digest) || read_link(s, &revision)? == Some(digest);
            if !linked {
                return Err(RegistryError::BlobUnknown(digest));
            }
            s.open(&paths::blob_data(&digest))?
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
            // Remove the `<digest>` directory, not only the link file, so no empty directory is
            // left for registry:2's walkers.
            let dir = link.trim_end_matches("/link");
            s.delete(dir)?;
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
        self.blocking(move |s| {
            // The blob found in `from` must still exist when `name`'s link to it is written.
            let _guard = s.reference_guard()?;
            if read_link(s, &from_link)? != Some(digest) {
                return Ok(None);
            }
            let Some(size) = s.size(&paths::blob_data(&digest))? else {
                return Ok(None);
            };
            write_link(s, &to_link, &digest)?;
            Ok(Some(BlobInfo { digest, size }))
        })
        .await
    }
}
