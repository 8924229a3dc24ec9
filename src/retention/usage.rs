//! `regctl du`: bytes per repository (unique vs shared), per tag, and the largest images.
//!
//! A repository's bytes are every blob its linked manifests keep as gc marks them without
//! `--delete-untagged` (each manifest, config, layer and index child once): what it holds on disk
//! today. `unique` is the part no other repository references, which is what deleting the
//! repository and running gc frees; `shared` the rest. A tag's bytes are its image's (index:
//! every platform), each blob once.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use super::inventory::Inventory;
use super::live::{blobs_of, bytes, live_manifests};
use crate::digest::Digest;

/// The usage of a store.
#[derive(Debug, Clone, Serialize)]
pub struct Usage {
    /// Bytes of every blob some repository references, each once.
    pub referenced_bytes: u64,
    /// The repositories asked for (all when none was named), largest first.
    pub repositories: Vec<RepoUsage>,
    /// The largest tagged images of those repositories, largest first.
    pub largest_images: Vec<ImageUsage>,
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RepoUsage {
    pub repository: String,
    pub bytes: u64,
    /// Referenced by no other repository: freed if this one went away (and gc ran).
    pub unique_bytes: u64,
    pub shared_bytes: u64,
    pub manifests: usize,
    /// Largest first.
    pub tags: Vec<TagUsage>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TagUsage {
    pub tag: String,
    pub digest: Digest,
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImageUsage {
    pub repository: String,
    pub tag: String,
    pub digest: Digest,
    pub bytes: u64,
}

/// The usage of `wanted` repositories (every one when empty), with at most `top` images.
#[must_use]
pub fn usage(inventory: &Inventory, wanted: &[String], top: usize) -> Usage {
    let per_repo: Vec<_> = inventory
        .repositories
        .iter()
        .map(|repo| {
            let roots = repo
                .revisions
                .iter()
                .copied()
                .chain(repo.tags.iter().map(|t| t.digest));
            blobs_of(inventory, &live_manifests(inventory, repo, roots))
        })
        .collect();
    let mut holders: HashMap<Digest, u32> = HashMap::new();
    for blobs in &per_repo {
        for digest in blobs {
            *holders.entry(*digest).or_default() += 1;
        }
    }
    let mut repositories = Vec::new();
    let mut images = Vec::new();
    for (repo, blobs) in inventory.repositories.iter().zip(&per_repo) {
        if !wanted.is_empty() && !wanted.contains(&repo.name) {
            continue;
        }
        let total = bytes(inventory, blobs.iter().copied());
        let unique = bytes(
            inventory,
            blobs.iter().copied().filter(|d| holders.get(d) == Some(&1)),
        );
        let mut tags: Vec<TagUsage> = repo
            .tags
            .iter()
            .map(|t| {
                let image = blobs_of(inventory, &live_manifests(inventory, repo, [t.digest]));
                TagUsage {
                    tag: t.name.clone(),
                    digest: t.digest,
                    bytes: bytes(inventory, image),
                }
            })
            .collect();
        tags.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.tag.cmp(&b.tag)));
        images.extend(tags.iter().map(|t| ImageUsage {
            repository: repo.name.clone(),
            tag: t.tag.clone(),
            digest: t.digest,
            bytes: t.bytes,
        }));
        let manifests: BTreeSet<&Digest> = repo.revisions.iter().collect();
        repositories.push(RepoUsage {
            repository: repo.name.clone(),
            bytes: total,
            unique_bytes: unique,
            shared_bytes: total - unique,
            manifests: manifests.len(),
            tags,
        });
    }
    repositories.sort_by(|a, b| {
        b.bytes
            .cmp(&a.bytes)
            .then_with(|| a.repository.cmp(&b.repository))
    });
    images.sort_by(|a, b| {
        b.bytes
            .cmp(&a.bytes)
            .then_with(|| a.repository.cmp(&b.repository))
            .then_with(|| a.tag.cmp(&b.tag))
    });
    images.truncate(top);
    Usage {
        referenced_bytes: bytes(inventory, holders.keys().copied()),
        repositories,
        largest_images: images,
        problems: inventory.problems.clone(),
    }
}
