//! The filesystem paths gc reads and deletes: `crate::storage::paths` keys under one storage root.
//!
//! gc works on the filesystem directly rather than through `Storage`: it needs what the trait
//! does not offer (ctimes, removing a file and then its directory only if empty, `flock`).

use std::path::{Path, PathBuf};

use crate::digest::Digest;
use crate::oci::reference::{Name, Tag};
use crate::storage::paths;

/// Parses a link's content or a digest field of a manifest.
pub fn parse_digest(text: &str) -> Option<Digest> {
    Digest::parse(text).ok()
}

pub use crate::storage::tree::digest_from_hex;

/// registry:2's tree under one storage root.
#[derive(Debug, Clone)]
pub struct Layout {
    root: PathBuf,
}

impl Layout {
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
        }
    }

    fn path(&self, key: &paths::Key) -> PathBuf {
        self.root.join(key.relative())
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `<root>/docker/registry/v2`
    pub fn v2(&self) -> PathBuf {
        self.path(&paths::root())
    }

    /// `blobs/sha256`, where every blob directory is `<hex[0:2]>/<hex>`.
    pub fn blobs_sha256(&self) -> PathBuf {
        self.path(&paths::blobs_sha256_root())
    }

    pub fn blob_dir(&self, digest: &Digest) -> PathBuf {
        self.path(&paths::blob_dir(digest))
    }

    pub fn blob_data(&self, digest: &Digest) -> PathBuf {
        self.path(&paths::blob_data(digest))
    }

    pub fn repositories(&self) -> PathBuf {
        self.path(&paths::repositories_root())
    }

    pub fn repository(&self, name: Name<'_>) -> PathBuf {
        self.path(&paths::repository(name))
    }

    /// `_layers/sha256`
    pub fn layers(&self, name: Name<'_>) -> PathBuf {
        self.path(&paths::layer_links(name))
    }

    pub fn layer_link(&self, name: Name<'_>, digest: &Digest) -> PathBuf {
        self.path(&paths::layer_link(name, digest))
    }

    pub fn revisions(&self, name: Name<'_>) -> PathBuf {
        self.path(&paths::manifest_revisions(name))
    }

    pub fn revision_dir(&self, name: Name<'_>, digest: &Digest) -> PathBuf {
        self.path(&paths::manifest_revision(name, digest))
    }

    #[cfg(test)]
    pub fn revision_link(&self, name: Name<'_>, digest: &Digest) -> PathBuf {
        self.path(&paths::manifest_revision_link(name, digest))
    }

    /// The referrers index regctl serve keeps under a subject's revision (distribution PR #4828).
    pub fn referrers(&self, name: Name<'_>, subject: &Digest) -> PathBuf {
        self.path(&paths::referrers_dir(name, subject))
    }

    pub fn tags(&self, name: Name<'_>) -> PathBuf {
        self.path(&paths::manifest_tags(name))
    }

    pub fn tag_current_link(&self, name: Name<'_>, tag: Tag<'_>) -> PathBuf {
        self.path(&paths::manifest_tag_current_link(name, tag))
    }

    /// `tags/<tag>/index/sha256`
    pub fn tag_index(&self, name: Name<'_>, tag: Tag<'_>) -> PathBuf {
        self.path(&paths::manifest_tag_index(name, tag))
    }

    /// `tags/<tag>/index/sha256/<hex>` (the directory holding the link).
    pub fn tag_index_entry(&self, name: Name<'_>, tag: Tag<'_>, digest: &Digest) -> PathBuf {
        let link = self.path(&paths::manifest_tag_index_link(name, tag, digest));
        link.parent().map_or(link.clone(), Path::to_path_buf)
    }

    pub fn uploads(&self, name: Name<'_>) -> PathBuf {
        self.path(&paths::uploads_root(name))
    }

    /// The advisory lock two gc runs share; registry:2 never lists `v2/` itself, so it ignores it.
    pub fn gc_lock(&self) -> PathBuf {
        self.path(&paths::collector_lock())
    }

    /// The lock a server holds shared while it makes a blob referenced and gc holds exclusive
    /// while it sweeps (`crate::storage::Storage::reference_guard`).
    pub fn reference_lock(&self) -> PathBuf {
        self.path(&paths::reference_lock())
    }
}
