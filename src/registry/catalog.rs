//! The repository catalog: one sorted walk of `repositories/`, reused across pages.
//!
//! A repository is a prefix holding `_manifests` (distribution 3; 2.8 looked for `_layers`), and
//! `_`-prefixed directories are never descended into. Order is distribution's: `/` sorts before
//! every other byte. distribution walks the whole tree again for every page; here the sorted list
//! is kept and each page is a binary search for `last`. The list is rebuilt when this process
//! creates a repository, and after `catalog_ttl` for repositories created by others.

use std::sync::{Arc, RwLock};
use std::time::Instant;

use super::{Registry, RegistryError};
use crate::oci::reference::{catalog_cmp, Name};
use crate::storage::backend::{Child, Storage};
use crate::storage::paths;

#[derive(Default)]
pub(super) struct CatalogCache {
    list: RwLock<Option<(Instant, Arc<Vec<String>>)>>,
}

impl CatalogCache {
    fn get(&self, ttl: std::time::Duration) -> Option<Arc<Vec<String>>> {
        let guard = self
            .list
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        guard
            .as_ref()
            .filter(|(at, _)| at.elapsed() < ttl)
            .map(|(_, list)| Arc::clone(list))
    }

    fn set(&self, built: Instant, list: Arc<Vec<String>>) {
        *self
            .list
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((built, list));
    }

    /// Called after a manifest is stored in `repo`: a repository the list does not know yet
    /// invalidates it.
    pub(super) fn note_repository(&self, repo: &str) {
        let known = |list: &Option<(Instant, Arc<Vec<String>>)>| {
            list.as_ref()
                .is_some_and(|(_, list)| list.binary_search_by(|r| catalog_cmp(r, repo)).is_ok())
        };
        if known(
            &self
                .list
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        ) {
            return;
        }
        let mut guard = self
            .list
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let known = guard
            .as_ref()
            .is_some_and(|(_, list)| list.binary_search_by(|r| catalog_cmp(r, repo)).is_ok());
        if !known {
            *guard = None;
        }
    }
}

/// Visits every directory under `repositories/` that could be (part of) a repository name, with
/// its entries, in no particular order.
///
/// # Errors
/// Storage errors.
pub(super) fn walk_repositories(
    storage: &dyn Storage,
    visit: &mut dyn FnMut(&str, &[Child]),
) -> Result<(), RegistryError> {
    let root = paths::repositories_root();
    let mut stack: Vec<String> = Vec::new();
    for entry in storage.list(&root)? {
        if entry.is_prefix() && !entry.name.starts_with('_') {
            stack.push(entry.name);
        }
    }
    while let Some(repo) = stack.pop() {
        // Names that are not valid repository names cannot be addressed through the API, and the
        // validation keeps the walk inside the tree.
        let Ok(name) = Name::parse(&repo) else {
            continue;
        };
        let entries = storage.list(&paths::repository(name))?;
        visit(&repo, &entries);
        for entry in entries {
            if entry.is_prefix() && !entry.name.starts_with('_') {
                stack.push(format!("{repo}/{}", entry.name));
            }
        }
    }
    Ok(())
}

fn list_repositories(storage: &dyn Storage) -> Result<Vec<String>, RegistryError> {
    let mut repos = Vec::new();
    walk_repositories(storage, &mut |repo, entries| {
        if entries
            .iter()
            .any(|e| e.is_prefix() && e.name == "_manifests")
        {
            repos.push(repo.to_owned());
        }
    })?;
    repos.sort_unstable_by(|a, b| catalog_cmp(a, b));
    Ok(repos)
}

impl Registry {
    /// Up to `n` repositories after `last` in catalog order, and whether more follow.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn catalog(
        &self,
        n: usize,
        last: Option<&str>,
    ) -> Result<(Vec<String>, bool), RegistryError> {
        let list = self.repositories().await?;
        Ok(page(&list, n, last, catalog_cmp))
    }

    /// Every repository, in catalog order, shared with the cache (no copy per call).
    ///
    /// # Errors
    /// Storage errors.
    pub async fn repositories(&self) -> Result<Arc<Vec<String>>, RegistryError> {
        if let Some(list) = self.catalog.get(self.opts.catalog_ttl) {
            return Ok(list);
        }
        let built = Instant::now();
        let list = Arc::new(self.blocking(list_repositories).await?);
        self.catalog.set(built, Arc::clone(&list));
        Ok(list)
    }
}

/// The page of `sorted` after `last`, at most `n` long, and whether more follow.
pub(super) fn page(
    sorted: &[String],
    n: usize,
    last: Option<&str>,
    cmp: impl Fn(&str, &str) -> std::cmp::Ordering,
) -> (Vec<String>, bool) {
    let start = match last {
        Some(last) if !last.is_empty() => sorted.partition_point(|s| cmp(s, last).is_le()),
        _ => 0,
    };
    let rest = &sorted[start..];
    let take = rest.len().min(n);
    (rest[..take].to_vec(), rest.len() > take)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_resume_after_last() {
        let list: Vec<String> = ["a", "a/b", "b", "c"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let cmp = |a: &str, b: &str| catalog_cmp(a, b);
        assert_eq!(
            page(&list, 2, None, cmp),
            (vec!["a".into(), "a/b".into()], true)
        );
        assert_eq!(
            page(&list, 2, Some("a/b"), cmp),
            (vec!["b".into(), "c".into()], false)
        );
        assert_eq!(
            page(&list, 5, Some("a-"), cmp),
            (vec!["b".into(), "c".into()], false)
        );
        assert_eq!(page(&list, 0, None, cmp), (vec![], true));
        assert_eq!(page(&list, 2, Some("zzz"), cmp), (vec![], false));
    }
}
