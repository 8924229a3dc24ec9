//! What gc keeps: the closure gc's mark computes, over an [`Inventory`].
//!
//! With `--delete-untagged` (the mode in which removing a tag frees anything), a repository's
//! live manifests are its remaining tags' manifests, their index children (transitively) and the
//! referrers (linked manifests with a live `subject`), repeated until nothing changes; every live
//! manifest keeps its own blob, its config and layers. Without it every linked revision is live
//! (what `du` counts as a repository's bytes). Recent pushes that gc's grace period would also
//! keep are not modelled: the numbers are those of a run after the grace period.

use std::collections::{BTreeSet, HashSet};

use super::inventory::{Inventory, RepoInventory};
use crate::digest::Digest;

/// The manifests of `repo` live from `roots`, with referrers of live manifests added.
pub(super) fn live_manifests(
    inventory: &Inventory,
    repo: &RepoInventory,
    roots: impl IntoIterator<Item = Digest>,
) -> BTreeSet<Digest> {
    let mut live = BTreeSet::new();
    let mut queue: Vec<Digest> = roots.into_iter().collect();
    loop {
        while let Some(digest) = queue.pop() {
            if !live.insert(digest) {
                continue;
            }
            if let Some(refs) = inventory.manifests.get(&digest) {
                queue.extend(refs.children.iter().copied());
            }
        }
        for digest in &repo.revisions {
            if live.contains(digest) {
                continue;
            }
            let subject = inventory.manifests.get(digest).and_then(|r| r.subject);
            if subject.is_some_and(|s| live.contains(&s)) {
                queue.push(*digest);
            }
        }
        if queue.is_empty() {
            return live;
        }
    }
}

/// Every blob (manifests included) the live manifests `live` keep.
pub(super) fn blobs_of(inventory: &Inventory, live: &BTreeSet<Digest>) -> HashSet<Digest> {
    let mut blobs = HashSet::with_capacity(live.len() * 4);
    for digest in live {
        blobs.insert(*digest);
        if let Some(refs) = inventory.manifests.get(digest) {
            blobs.extend(refs.blobs.iter().copied());
            blobs.extend(refs.children.iter().copied());
        }
    }
    blobs
}

/// The bytes of `blobs` (each once; blobs missing from the store count nothing).
pub(super) fn bytes(inventory: &Inventory, blobs: impl IntoIterator<Item = Digest>) -> u64 {
    blobs
        .into_iter()
        .filter_map(|d| inventory.sizes.get(&d))
        .sum()
}
