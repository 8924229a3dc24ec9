//! Which backend a store lives on, as config.yml's `storage` section names it, and opening it:
//! the one place that turns a driver choice into a [`Storage`] and its [`Coordinator`].

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::backend::Storage;
use super::coordinator::Coordinator;
use super::fs::FsStorage;
use super::s3::coordinator::S3Coordinator;
use super::s3::S3Storage;
use crate::config::s3::S3Settings;

/// The configured storage driver with its settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageSettings {
    /// `storage.filesystem.rootdirectory`.
    Filesystem(PathBuf),
    /// `storage.s3`, typed with registry:2's defaults.
    S3(Box<S3Settings>),
}

/// An opened store: its data and the locks every writer of it shares with gc.
#[derive(Clone)]
pub struct Store {
    pub data: Arc<dyn Storage>,
    pub locks: Arc<dyn Coordinator>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("data", &self.data.describe())
            .finish_non_exhaustive()
    }
}

impl StorageSettings {
    /// The filesystem root, for the commands that only work on a filesystem store (gc, fsck).
    #[must_use]
    pub fn filesystem_root(&self) -> Option<&Path> {
        match self {
            Self::Filesystem(root) => Some(root),
            Self::S3(_) => None,
        }
    }

    /// Where the store lives, for messages: the directory, or `s3://bucket/rootdirectory`.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::Filesystem(root) => root.display().to_string(),
            Self::S3(s3) => s3.url(),
        }
    }

    /// Opens the store. The filesystem root is created when missing; S3 makes no request yet
    /// (the first storage call, or the health check, finds out whether the bucket answers).
    ///
    /// S3's coordinator is in-process: regctl has no collector for S3 stores yet, so the only
    /// writers whose exclusion matters are this process's own.
    ///
    /// # Errors
    /// A root directory that cannot be created; S3 settings the client refuses.
    /// How long a server may answer a tag or manifest from its cache before reading the link
    /// again ([`crate::registry::RegistryOptions::revalidate_after`]). On S3 several replicas are
    /// the point, and none may answer what another's acknowledged write changed: every request
    /// reads the tag's and the revision's link (two small GETs; manifest bytes, immutable per
    /// digest, stay cached). A filesystem store has one server, whose own writes update its cache
    /// at once; other processes on the same directory (docker-registry) are seen within a second.
    #[must_use]
    pub fn cache_trust(&self) -> std::time::Duration {
        match self {
            Self::Filesystem(_) => std::time::Duration::from_secs(1),
            Self::S3(_) => std::time::Duration::ZERO,
        }
    }

    pub fn open(&self) -> io::Result<Store> {
        match self {
            Self::Filesystem(root) => {
                let storage = FsStorage::new(root)?;
                let locks = Arc::new(storage.coordinator());
                Ok(Store {
                    data: Arc::new(storage),
                    locks,
                })
            }
            Self::S3(settings) => {
                let s3 = S3Storage::connect((**settings).clone())?;
                // Replicas need only plain PUT/HEAD/DELETE for their side of the locks; the
                // collector probes the conditional writes its side needs when it starts.
                let locks: Arc<dyn Coordinator> = Arc::new(S3Coordinator::new(s3.clone()));
                Ok(Store {
                    data: Arc::new(s3),
                    locks,
                })
            }
        }
    }
}
