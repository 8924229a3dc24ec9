//! The registry core, free of HTTP: blobs, uploads, manifests, tags, catalog and referrers over a
//! [`Storage`] backend (filesystem, S3, memory) and its [`Coordinator`] (the locks gc needs).
//!
//! Storage calls are blocking and run on tokio's blocking pool; request tasks only await them.
//! Hot reads are served from memory: tag → digest → manifest bytes ([`manifests`]), sorted tag
//! lists ([`tags`]) and the sorted catalog ([`catalog`]). Every cache is invalidated by this
//! process's own writes at once and revalidated against storage after a short interval, so writes
//! by another process (`regctl gc`, a second replica, registry:2) show up within that interval.

mod blobs;
mod browse;
mod catalog;
pub mod immutable;
mod manifests;
pub mod pulls;
mod referrers;
mod tags;
mod uploads;

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

pub use blobs::{BlobInfo, BlobRead};
pub use manifests::{PutManifest, StoredManifest};
pub use referrers::Referrer;
pub use uploads::{PurgeReport, UploadStatus};

use crate::digest::Digest;
use crate::oci::manifest::ManifestError;
use crate::oci::reference::Name;
use crate::storage::backend::{Durability, Storage};
use crate::storage::coordinator::Coordinator;
use crate::storage::paths::Key;

/// Tuning of the in-memory caches.
#[derive(Debug, Clone)]
pub struct RegistryOptions {
    /// Upper bound on cached manifest bytes; the cache starts over when it is reached.
    pub manifest_cache_bytes: usize,
    /// How long a cached tag, manifest or tag list is trusted before it is checked against storage
    /// again (bounds how stale a change made by another process can look).
    pub revalidate_after: Duration,
    /// How long the sorted repository list is reused before the tree is walked again (repositories
    /// created through this process invalidate it at once).
    pub catalog_ttl: Duration,
    /// Largest stored manifest the registry will read back.
    pub max_manifest_read_bytes: u64,
    /// `tags.immutable`: tags never moved or deleted once pushed.
    pub immutable_tags: immutable::ImmutableTags,
    /// Whether pulls are recorded ([`pulls`]); off on read-only storage.
    pub record_pulls: bool,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        Self {
            manifest_cache_bytes: 64 << 20,
            revalidate_after: Duration::from_secs(1),
            catalog_ttl: Duration::from_secs(10),
            max_manifest_read_bytes: 32 << 20,
            immutable_tags: immutable::ImmutableTags::default(),
            record_pulls: true,
        }
    }
}

/// Why a registry operation failed; the API maps each to an OCI error code.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("blob {0} is not in this repository")]
    BlobUnknown(Digest),
    #[error("manifest unknown")]
    ManifestUnknown,
    #[error("repository not known to registry")]
    NameUnknown,
    #[error("upload session unknown")]
    UploadUnknown,
    #[error("chunk starts at {requested} but the upload is at {offset}")]
    RangeInvalid { offset: u64, requested: u64 },
    #[error(
        "another request is writing this upload (on another server); continue from offset {offset} once it is done"
    )]
    UploadInUse { offset: u64 },
    #[error("the request body was {received} bytes but its range said {expected}")]
    SizeInvalid { expected: u64, received: u64 },
    #[error("digest {expected} does not match the uploaded content ({actual})")]
    DigestMismatch {
        expected: Digest,
        actual: Box<Digest>,
    },
    #[error("the request body could not be read: {0}")]
    BodyInterrupted(String),
    #[error("{0}")]
    ManifestInvalid(#[from] ManifestError),
    #[error("manifest references {0}, which is not in this repository")]
    ManifestBlobUnknown(Digest),
    #[error(
        "tag {tag} of {repository} is immutable (tags.immutable: {rule}): it cannot be moved to \
         another manifest or deleted, nor the manifest it names; push a new tag instead"
    )]
    TagImmutable {
        repository: String,
        tag: String,
        rule: String,
    },
    #[error("storage error: {0}")]
    Io(#[from] io::Error),
}

/// The registry over one storage backend.
pub struct Registry {
    storage: Arc<dyn Storage>,
    locks: Arc<dyn Coordinator>,
    opts: RegistryOptions,
    sessions: uploads::Sessions,
    manifest_cache: manifests::ManifestCache,
    tag_lists: tags::TagListCache,
    catalog: catalog::CatalogCache,
    referrers: referrers::ReferrerScans,
    touched: blobs::TouchedLinks,
    pulls: pulls::PullRecorder,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("opts", &self.opts)
            .finish_non_exhaustive()
    }
}

impl Registry {
    /// A registry over any storage backend and the coordinator of the same store (every writer
    /// of one store must share its locks with gc).
    #[must_use]
    pub fn new(
        storage: Arc<dyn Storage>,
        locks: Arc<dyn Coordinator>,
        opts: RegistryOptions,
    ) -> Self {
        Self {
            storage,
            locks,
            sessions: uploads::Sessions::default(),
            manifest_cache: manifests::ManifestCache::new(opts.manifest_cache_bytes),
            tag_lists: tags::TagListCache::default(),
            catalog: catalog::CatalogCache::default(),
            referrers: referrers::ReferrerScans::default(),
            touched: blobs::TouchedLinks::default(),
            pulls: pulls::PullRecorder::default(),
            opts,
        }
    }

    /// A registry over an opened store (`storage::settings::StorageSettings::open`).
    #[must_use]
    pub fn open(store: &crate::storage::settings::Store, opts: RegistryOptions) -> Self {
        Self::new(Arc::clone(&store.data), Arc::clone(&store.locks), opts)
    }

    /// A registry over registry:2's filesystem layout under `root`
    /// (`storage.filesystem.rootdirectory`).
    ///
    /// # Errors
    /// If `root` cannot be created.
    pub fn open_filesystem(root: &Path, opts: RegistryOptions) -> Result<Self, RegistryError> {
        let store =
            crate::storage::settings::StorageSettings::Filesystem(root.to_path_buf()).open()?;
        Ok(Self::open(&store, opts))
    }

    /// One cheap storage round trip (listing the v2 root), for health and readiness checks.
    ///
    /// # Errors
    /// The storage error, when the backend does not answer.
    pub async fn probe_storage(&self) -> Result<(), RegistryError> {
        self.blocking(|storage| Ok(storage.list(&crate::storage::paths::root()).map(drop)?))
            .await
    }

    /// Notes that manifest `digest` was pulled from `name` (a GET or HEAD of it by tag or
    /// digest): recorded in the background, at most once per [`pulls::RESOLUTION`].
    pub fn note_pull(&self, name: Name<'_>, digest: Digest) {
        if self.opts.record_pulls {
            pulls::note(&self.pulls, &self.storage, &self.locks, name, digest);
        }
    }

    /// Runs a storage closure on the blocking pool.
    async fn blocking<T, F>(&self, f: F) -> Result<T, RegistryError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Storage) -> Result<T, RegistryError> + Send + 'static,
    {
        let storage = Arc::clone(&self.storage);
        tokio::task::spawn_blocking(move || f(&*storage))
            .await
            .map_err(|e| RegistryError::Io(io::Error::other(e)))?
    }
}

/// Reads a link file; a missing, empty or garbled link counts as absent (distribution issue #1960:
/// an empty link must not break everything else).
fn read_link(storage: &dyn Storage, key: &Key) -> Result<Option<Digest>, RegistryError> {
    let Some(bytes) = storage.get(key, crate::storage::tree::LINK_LIMIT)? else {
        return Ok(None);
    };
    match crate::storage::tree::parse_link(&bytes) {
        crate::storage::tree::LinkContent::Names(digest) => Ok(Some(digest)),
        crate::storage::tree::LinkContent::Empty | crate::storage::tree::LinkContent::Corrupt => {
            Ok(None)
        }
    }
}

/// Writes a link file durably (atomically replacing any previous one). Links are nearly always new
/// when written, so no read is spent checking first.
fn write_link(storage: &dyn Storage, key: &Key, digest: &Digest) -> Result<(), RegistryError> {
    storage.put(
        key,
        crate::storage::paths::link_content(digest),
        Durability::Durable,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oci::reference::{Name, Reference, Tag};
    use crate::storage::FsStorage;
    use bytes::Bytes;

    fn body(data: &[u8]) -> impl futures_util::Stream<Item = Result<Bytes, io::Error>> + Unpin {
        futures_util::stream::iter(vec![Ok(Bytes::copy_from_slice(data))])
    }

    async fn push_image(reg: &Registry, name: Name<'_>, tag: &str, layer: &[u8]) -> Digest {
        let config = reg
            .put_blob(name, body(b"{}"), Digest::of(b"{}"))
            .await
            .unwrap();
        let layer = reg
            .put_blob(name, body(layer), Digest::of(layer))
            .await
            .unwrap();
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": crate::oci::manifest::OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config.digest, "size": 2},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer.digest, "size": layer.size}],
        });
        let bytes = Bytes::from(serde_json::to_vec(&manifest).unwrap());
        let tag = Tag::parse(tag).unwrap();
        reg.put_manifest(name, Reference::Tag(tag), "", bytes, &[])
            .await
            .unwrap()
            .digest
    }

    #[tokio::test]
    async fn caches_see_changes_made_by_another_process() {
        let dir = tempfile::tempdir().unwrap();
        let opts = RegistryOptions {
            revalidate_after: std::time::Duration::ZERO,
            ..RegistryOptions::default()
        };
        let reg = Registry::open_filesystem(dir.path(), opts).unwrap();
        let name = Name::parse("app").unwrap();
        let tag = Tag::parse("v1").unwrap();
        let first = push_image(&reg, name, "v1", b"one").await;
        let second = push_image(&reg, name, "v2", b"two").await;
        assert_eq!(reg.resolve_tag(name, tag).await.unwrap(), first);
        // Another process retags v1 and deletes the first manifest's revision.
        let storage = FsStorage::new(dir.path()).unwrap();
        storage
            .put(
                &crate::storage::paths::manifest_tag_current_link(name, tag),
                second.as_str().as_bytes(),
                Durability::Durable,
            )
            .unwrap();
        storage
            .delete(&crate::storage::paths::manifest_revision_link(name, &first))
            .unwrap();
        assert_eq!(reg.resolve_tag(name, tag).await.unwrap(), second);
        assert!(matches!(
            reg.manifest_by_digest(name, first).await,
            Err(RegistryError::ManifestUnknown)
        ));
        assert_eq!(
            reg.get_manifest(name, Reference::Tag(tag))
                .await
                .unwrap()
                .digest,
            second
        );
    }

    /// Two replicas race first pushes of different manifests to one immutable tag, round after
    /// round: in each exactly one push succeeds, the other is refused, and the tag names the
    /// winner (a check before the write alone would let both succeed, the later silently
    /// moving the tag).
    #[tokio::test]
    async fn racing_first_pushes_of_an_immutable_tag_have_one_winner() {
        use crate::access::pattern::{Pattern, TagPattern};
        use crate::registry::immutable::{ImmutableRule, ImmutableTags};
        let dir = tempfile::tempdir().unwrap();
        let opts = || RegistryOptions {
            immutable_tags: ImmutableTags::new(vec![ImmutableRule {
                repository: Pattern::parse("**").unwrap(),
                tag: TagPattern::parse("v*").unwrap(),
            }]),
            ..RegistryOptions::default()
        };
        let a = Registry::open_filesystem(dir.path(), opts()).unwrap();
        let b = Registry::open_filesystem(dir.path(), opts()).unwrap();
        let name = Name::parse("prod/app").unwrap();
        push_image(&a, name, "base", b"layer").await;
        let config = Digest::of(b"{}");
        let layer = Digest::of(b"layer");
        let manifest = |who: &str| {
            Bytes::from(
                serde_json::to_vec(&serde_json::json!({
                    "schemaVersion": 2,
                    "mediaType": crate::oci::manifest::OCI_MANIFEST,
                    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 2},
                    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer, "size": 5}],
                    "annotations": {"pushed-by": who},
                }))
                .unwrap(),
            )
        };
        for round in 0..25 {
            let tag = format!("v{round}");
            let tag = Tag::parse(&tag).unwrap();
            let (on_a, on_b) = tokio::join!(
                a.put_manifest(name, Reference::Tag(tag), "", manifest("a"), &[]),
                b.put_manifest(name, Reference::Tag(tag), "", manifest("b"), &[]),
            );
            let winner = match (on_a, on_b) {
                (Ok(won), Err(RegistryError::TagImmutable { .. }))
                | (Err(RegistryError::TagImmutable { .. }), Ok(won)) => won.digest,
                (a, b) => panic!("round {round}: expected one winner, got {a:?} and {b:?}"),
            };
            assert_eq!(a.resolve_tag(name, tag).await.unwrap(), winner);
            assert_eq!(b.resolve_tag(name, tag).await.unwrap(), winner);
        }
    }

    /// Two registries over one store (replicas behind a load balancer): an upload's requests
    /// land on either, each sees what the other appended, and the blob is visible to both.
    #[tokio::test]
    async fn an_upload_alternates_between_replicas() {
        let dir = tempfile::tempdir().unwrap();
        let a = Registry::open_filesystem(dir.path(), RegistryOptions::default()).unwrap();
        let b = Registry::open_filesystem(dir.path(), RegistryOptions::default()).unwrap();
        let name = Name::parse("team/app").unwrap();
        let data = b"first part|second part|third part";
        let started = a.start_upload(name).await.unwrap();
        let id = crate::oci::reference::UploadId::parse(&started.id).unwrap();
        let at = a
            .append_upload(name, id, None, body(&data[..11]))
            .await
            .unwrap();
        assert_eq!(at.offset, 11);
        let at = b
            .append_upload(name, id, Some((11, 22)), body(&data[11..23]))
            .await
            .unwrap();
        assert_eq!(at.offset, 23);
        // A's session still says 11: storage says 23, and A continues from there.
        assert_eq!(a.upload_status(name, id).await.unwrap().offset, 23);
        a.append_upload(name, id, Some((23, 27)), body(&data[23..28]))
            .await
            .unwrap();
        let digest = Digest::of(data);
        let info = b
            .finish_upload(name, id, None, body(&data[28..]), digest)
            .await
            .unwrap();
        assert_eq!(info.size, data.len() as u64);
        assert_eq!(a.stat_blob(name, digest).await.unwrap(), data.len() as u64);
        // B finished it: for A the session is over too.
        assert!(matches!(
            a.upload_status(name, id).await,
            Err(RegistryError::UploadUnknown)
        ));
    }

    #[tokio::test]
    async fn purge_removes_only_stale_uploads_and_dry_run_keeps_them() {
        let dir = tempfile::tempdir().unwrap();
        let reg = Registry::open_filesystem(dir.path(), RegistryOptions::default()).unwrap();
        let name = Name::parse("a/b").unwrap();
        let upload = reg.start_upload(name).await.unwrap();
        let id = crate::oci::reference::UploadId::parse(&upload.id).unwrap();
        reg.append_upload(name, id, None, body(b"partial"))
            .await
            .unwrap();

        let fresh = reg
            .purge_uploads(std::time::Duration::from_secs(3600), false)
            .await
            .unwrap();
        assert_eq!((fresh.scanned, fresh.removed.len()), (1, 0));
        let dry = reg
            .purge_uploads(std::time::Duration::ZERO, true)
            .await
            .unwrap();
        assert_eq!(dry.removed, vec![format!("a/b/{}", upload.id)]);
        assert_eq!(reg.upload_status(name, id).await.unwrap().offset, 7);

        let purged = reg
            .purge_uploads(std::time::Duration::ZERO, false)
            .await
            .unwrap();
        assert_eq!(purged.removed.len(), 1);
        assert!(matches!(
            reg.upload_status(name, id).await,
            Err(RegistryError::UploadUnknown)
        ));
    }
}
