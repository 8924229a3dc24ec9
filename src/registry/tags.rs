//! Tag listing: one listing of `_manifests/tags`, sorted, cached per repository.
//!
//! A cached list is served without touching storage for `revalidate_after` and dropped at once
//! when this process adds or removes a tag. After that, one listing of the tags prefix checks it:
//! when the same names come back the list is trusted for another interval, otherwise it is
//! rebuilt. (Object stores have no directory times, so the listing is the check on every backend.)
//!
//! Only tags whose `current/link` names a digest are listed: a manifest PUT killed between making
//! `tags/<tag>/` and writing its link leaves a directory holding only `.link.tmp-*`, which
//! registry:2 and `GET manifests/<tag>` do not treat as a tag either. Building the list reads the
//! link of each name not already known to have one; a rebuild that skipped such a name (another
//! process may be finishing that push) checks it again at the next revalidation.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use super::catalog::page;
use super::{read_link, Registry, RegistryError};
use crate::oci::reference::{Name, Tag};
use crate::storage::backend::Storage;
use crate::storage::paths;

/// A sorted tag list and when it was last checked against storage.
struct TagList {
    checked: Instant,
    tags: Arc<Vec<String>>,
}

#[derive(Default)]
pub(super) struct TagListCache {
    repos: RwLock<HashMap<String, TagList>>,
}

impl TagListCache {
    /// The list of `repo`, and whether it is still within `fresh_for` of its last check.
    fn get(&self, repo: &str, fresh_for: std::time::Duration) -> Option<(Arc<Vec<String>>, bool)> {
        let guard = self
            .repos
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        guard
            .get(repo)
            .map(|list| (Arc::clone(&list.tags), list.checked.elapsed() < fresh_for))
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

/// The tag names listed under `_manifests/tags` of `name` (valid tag names only, unsorted);
/// [`RegistryError::NameUnknown`] when the repository itself has nothing stored.
fn listed_tags(s: &dyn Storage, name: Name<'_>) -> Result<Vec<String>, RegistryError> {
    let listed: Vec<String> = s
        .list(&paths::manifest_tags(name))?
        .into_iter()
        .filter(|child| child.is_prefix() && Tag::parse(&child.name).is_ok())
        .map(|child| child.name)
        .collect();
    if listed.is_empty() && s.list(&paths::repository(name))?.is_empty() {
        return Err(RegistryError::NameUnknown);
    }
    Ok(listed)
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
        let cached = self
            .tag_lists
            .get(name.as_str(), self.opts.revalidate_after);
        let list = match cached {
            Some((list, true)) => list,
            stale => {
                let known = stale.map(|(list, _)| list);
                let repo = name.as_str().to_owned();
                let checked = Instant::now();
                let list = self
                    .blocking(move |s| {
                        // The name was validated by the caller; parsing the owned copy again is
                        // free of I/O.
                        let name = Name::parse(&repo).map_err(|_| RegistryError::NameUnknown)?;
                        let mut listed = listed_tags(s, name)?;
                        listed.sort_unstable();
                        let known = known.unwrap_or_default();
                        if *known == listed {
                            return Ok(known);
                        }
                        // A name already in the list is known to have its link.
                        let mut tags = Vec::with_capacity(listed.len());
                        for tag_name in listed {
                            let Ok(tag) = Tag::parse(&tag_name) else {
                                continue;
                            };
                            if known.binary_search(&tag_name).is_ok()
                                || read_link(s, &paths::manifest_tag_current_link(name, tag))?
                                    .is_some()
                            {
                                tags.push(tag_name);
                            }
                        }
                        Ok(Arc::new(tags))
                    })
                    .await?;
                self.tag_lists.set(
                    name.as_str(),
                    TagList {
                        checked,
                        tags: Arc::clone(&list),
                    },
                );
                list
            }
        };
        Ok(page(&list, n.unwrap_or(usize::MAX), last, str::cmp))
    }
}
