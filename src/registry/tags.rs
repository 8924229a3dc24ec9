//! Tag listing: one directory read of `_manifests/tags`, sorted, cached per repository.
//!
//! The cached list is reused while the tags directory's modification time is unchanged (one stat
//! per request) and dropped at once when this process adds or removes a tag.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use super::catalog::page;
use super::{Registry, RegistryError};
use crate::oci::reference::{Name, Tag};
use crate::storage::paths;

/// A sorted tag list and the tags directory's modification time when it was read.
type TagList = (SystemTime, Arc<Vec<String>>);

#[derive(Default)]
pub(super) struct TagListCache {
    repos: RwLock<HashMap<String, TagList>>,
}

impl TagListCache {
    fn get(&self, repo: &str, modified: SystemTime) -> Option<Arc<Vec<String>>> {
        let guard = self
            .repos
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        guard
            .get(repo)
            .filter(|(at, _)| *at == modified)
            .map(|(_, list)| Arc::clone(list))
    }

    fn set(&self, repo: &str, modified: SystemTime, list: Arc<Vec<String>>) {
        self.repos
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(repo.to_owned(), (modified, list));
    }

    pub(super) fn invalidate(&self, repo: &str) {
        self.repos
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(repo);
    }
}

impl Registry {
    /// Up to `n` tags of `name` after `last`, in byte order, and whether more follow.
    ///
    /// # Errors
    /// [`RegistryError::NameUnknown`] when the repository does not exist.
    pub async fn tags(
        &self,
        name: Name<'_>,
        n: Option<usize>,
        last: Option<&str>,
    ) -> Result<(Vec<String>, bool), RegistryError> {
        let tags_dir = paths::manifest_tags(name);
        let repo_dir = paths::repository(name);
        let modified = self
            .blocking(move |s| {
                if let Some(m) = s.modified(&tags_dir)? {
                    return Ok(Some(m));
                }
                if s.modified(&repo_dir)?.is_none() {
                    return Err(RegistryError::NameUnknown);
                }
                Ok(None)
            })
            .await?;
        let Some(modified) = modified else {
            return Ok((Vec::new(), false));
        };
        let list = match self.tag_lists.get(name.as_str(), modified) {
            Some(list) => list,
            None => {
                let tags_dir = paths::manifest_tags(name);
                let mut list: Vec<String> = self
                    .blocking(move |s| {
                        Ok(s.list(&tags_dir)?
                            .into_iter()
                            .filter(|e| e.is_dir && Tag::parse(&e.name).is_ok())
                            .map(|e| e.name)
                            .collect())
                    })
                    .await?;
                list.sort_unstable();
                let list = Arc::new(list);
                self.tag_lists
                    .set(name.as_str(), modified, Arc::clone(&list));
                list
            }
        };
        Ok(page(&list, n.unwrap_or(usize::MAX), last, str::cmp))
    }
}
