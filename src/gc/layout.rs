//! The registry:2 paths gc reads and deletes, relative to the storage root.
//!
//! Temporary: once `crate::storage::paths` lands (branch `api`), it becomes the single source of
//! these keys and this module shrinks to the walking helpers.

use std::fmt;
use std::path::{Path, PathBuf};

/// `docker/registry/v2` under the storage root.
pub const V2: &str = "docker/registry/v2";

/// A `sha256:<64 lowercase hex>` digest read from the store.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(String);

impl Digest {
    /// Parses a link's content or a digest field of a manifest; only canonical sha256 is accepted.
    pub fn parse(text: &str) -> Option<Self> {
        let hex = text.strip_prefix("sha256:")?;
        Self::from_hex(hex)
    }

    /// A digest from the `<hex>` directory name used under `blobs/`, `_layers/` and `revisions/`.
    pub fn from_hex(hex: &str) -> Option<Self> {
        let canonical = hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        canonical.then(|| Self(format!("sha256:{hex}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn hex(&self) -> &str {
        &self.0[7..]
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.0)
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// Absolute paths of registry:2's tree under one storage root.
#[derive(Debug, Clone)]
pub struct Layout {
    v2: PathBuf,
}

impl Layout {
    pub fn new(root: &Path) -> Self {
        Self { v2: root.join(V2) }
    }

    pub fn v2(&self) -> &Path {
        &self.v2
    }

    pub fn blobs_sha256(&self) -> PathBuf {
        self.v2.join("blobs/sha256")
    }

    pub fn blob_dir(&self, digest: &Digest) -> PathBuf {
        let hex = digest.hex();
        self.v2.join("blobs/sha256").join(&hex[..2]).join(hex)
    }

    pub fn blob_data(&self, digest: &Digest) -> PathBuf {
        self.blob_dir(digest).join("data")
    }

    pub fn repositories(&self) -> PathBuf {
        self.v2.join("repositories")
    }

    pub fn repository(&self, name: &str) -> PathBuf {
        self.repositories().join(name)
    }

    pub fn layers(&self, name: &str) -> PathBuf {
        self.repository(name).join("_layers/sha256")
    }

    pub fn layer_link(&self, name: &str, digest: &Digest) -> PathBuf {
        self.layers(name).join(digest.hex()).join("link")
    }

    pub fn revisions(&self, name: &str) -> PathBuf {
        self.repository(name).join("_manifests/revisions/sha256")
    }

    pub fn revision_dir(&self, name: &str, digest: &Digest) -> PathBuf {
        self.revisions(name).join(digest.hex())
    }

    pub fn revision_link(&self, name: &str, digest: &Digest) -> PathBuf {
        self.revision_dir(name, digest).join("link")
    }

    pub fn tags(&self, name: &str) -> PathBuf {
        self.repository(name).join("_manifests/tags")
    }

    pub fn tag_current_link(&self, name: &str, tag: &str) -> PathBuf {
        self.tags(name).join(tag).join("current/link")
    }

    pub fn tag_index(&self, name: &str, tag: &str) -> PathBuf {
        self.tags(name).join(tag).join("index/sha256")
    }

    pub fn tag_index_entry(&self, name: &str, tag: &str, digest: &Digest) -> PathBuf {
        self.tag_index(name, tag).join(digest.hex())
    }

    pub fn uploads(&self, name: &str) -> PathBuf {
        self.repository(name).join("_uploads")
    }

    /// The advisory lock two gc runs share; registry:2 never lists `v2/` itself, so it ignores it.
    pub fn gc_lock(&self) -> PathBuf {
        self.v2.join(".regctl-gc.lock")
    }
}
