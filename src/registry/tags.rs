//! Tag listing: one directory read of `_manifests/tags`, sorted, cached per repository.
//!
//! The cached list is reused while the tags directory's modification time is unchanged (one stat
//! per request) and dropped at once when this process adds or removes a tag.
//!
//! Only tags whose `current/link` names a digest are listed: a manifest PUT killed between making
//! `tags/<tag>/` and renaming its link leaves a directory holding only `.link.tmp-*`, which
//! registry:2 and `GET manifests/<tag>` do not treat as a tag either. Building the list therefore
//! reads each tag's link once; the cached path does not. Writing a link does not change the tags
//! directory's mtime, so a list that skipped such a directory (another process may be finishing
//! that push) is trusted only for `revalidate_after`.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Instant, SystemTime};

use super::catalog::page;
use super::{read_link, Registry, RegistryError};
use crate::oci::reference::{Name, Tag};
use crate::storage::paths;

/// A sorted tag list, the tags directory's modification time when it was read, and, when a tag
/// directory without a link was skipped, until when the list is trusted.
struct TagList {
    modified: SystemTime,
    expires: Option<Instant>,
    tags: Arc<Vec<String>>,
}

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
            .filter(|list| {
                list.modified == modified && list.expires.is_none_or(|at| Instant::now() < at)
            })
            .map(|list| Arc::clone(&list.tags))
    }

    fn set(&self, repo: &str, list: TagList) {
        self.repos
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(repo.to_owned(), list);
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
                let repo = name.as_str().to_owned();
                let (mut list, skipped): (Vec<String>, bool) = self
                    .blocking(move |s| {
                        let mut skipped = false;
                        let mut tags = Vec::new();
                        // The name was validated by the caller; parsing the owned copy again is
                        // free of I/O.
                        let Ok(name) = Name::parse(&repo) else {
                            return Ok((tags, skipped));
                        };
                        for entry in s.list(&tags_dir)? {
                            if !entry.is_dir {
                                continue;
                            }
                            let Ok(tag) = Tag::parse(&entry.name) else {
                                continue;
                            };
                            if read_link(s, &paths::manifest_tag_current_link(name, tag))?.is_some()
                            {
                                tags.push(entry.name);
                            } else {
                                skipped = true;
                            }
                        }
                        Ok((tags, skipped))
                    })
                    .await?;
                list.sort_unstable();
                let list = Arc::new(list);
                let expires = skipped.then(|| Instant::now() + self.opts.revalidate_after);
                self.tag_lists.set(
                    name.as_str(),
                    TagList {
                        modified,
                        expires,
                        tags: Arc::clone(&list),
                    },
                );
                list
            }
        };
        Ok(page(&list, n.unwrap_or(usize::MAX), last, str::cmp))
    }
}
