//! Read-only views the web pages need beyond the API's: when tags were last pushed, and a small
//! blob's bytes (an image config).
//!
//! Times come from the link files' modification times, which is what registry:2's storage
//! records about a push (it keeps no push log): a tag's `current/link` is rewritten by every
//! push of that tag.

use std::time::SystemTime;

use super::{Registry, RegistryError};
use crate::digest::Digest;
use crate::oci::reference::{Name, Tag};
use crate::storage::paths;

impl Registry {
    /// When each of `tags` of `name` was last pushed (its `current/link`'s mtime); `None` for a
    /// tag that is gone or whose name is not a tag.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn tag_push_times(
        &self,
        name: Name<'_>,
        tags: Vec<String>,
    ) -> Result<Vec<Option<SystemTime>>, RegistryError> {
        let repo = name.as_str().to_owned();
        self.blocking(move |s| {
            let name = Name::parse(&repo).map_err(|_| RegistryError::NameUnknown)?;
            tags.iter()
                .map(|tag| match Tag::parse(tag) {
                    Ok(tag) => Ok(s
                        .head(&paths::manifest_tag_current_link(name, tag))?
                        .map(|meta| meta.modified)),
                    Err(_) => Ok(None),
                })
                .collect()
        })
        .await
    }

    /// The bytes of blob `digest` of `name` when it is at most `limit` bytes (an image config);
    /// `None` when it is larger.
    ///
    /// # Errors
    /// [`RegistryError::BlobUnknown`] when the repository does not link it.
    pub async fn small_blob(
        &self,
        name: Name<'_>,
        digest: Digest,
        limit: u64,
    ) -> Result<Option<Vec<u8>>, RegistryError> {
        let size = self.stat_blob(name, digest).await?;
        if size > limit {
            return Ok(None);
        }
        let key = paths::blob_data(&digest);
        let bytes = self.blocking(move |s| Ok(s.get(&key, limit)?)).await?;
        bytes.map(Some).ok_or(RegistryError::BlobUnknown(digest))
    }
}
