//! `regctl prune`: which tags the policies remove and the exact bytes gc frees afterwards
//! ([`plan`], what a dry run reports), and removing them ([`apply`]).

use std::collections::{HashMap, HashSet};
use std::time::SystemTime;

use serde::Serialize;

use super::inventory::Inventory;
use super::live::{blobs_of, bytes, live_manifests};
use super::policy::{Fate, Policies, TagFacts};
use super::timestamp;
use crate::digest::Digest;
use crate::oci::reference::{Name, Tag};
use crate::registry::immutable::ImmutableTags;
use crate::registry::{Registry, RegistryError};

/// What the policies remove from a store, and what that frees once gc runs.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The time ages were measured against (RFC 3339).
    pub evaluated_at: String,
    /// Every repository a policy applies to, in catalog order.
    pub repositories: Vec<RepoPlan>,
    pub tags_removed: usize,
    /// Bytes `regctl gc --delete-untagged` reclaims after the removal that it would not reclaim
    /// without it: each blob once, however many removed tags shared it.
    pub bytes_freed: u64,
    pub blobs_freed: usize,
    /// The part of `bytes_freed` in blobs the removed tags of more than one repository kept
    /// (counted in no repository's `bytes_freed`).
    pub bytes_freed_across_repositories: u64,
    /// Odd things found while reading the store.
    pub problems: Vec<String>,
}

/// One repository's share of a [`Plan`].
#[derive(Debug, Clone, Serialize)]
pub struct RepoPlan {
    pub repository: String,
    /// Tags before the removal.
    pub tags: usize,
    pub removed: Vec<RemovedTag>,
    /// Tags a delete selector chose that a keep selector or `tags.immutable` protects.
    pub protected: Vec<ProtectedTag>,
    /// Bytes freed that only this repository's removed tags kept.
    pub bytes_freed: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemovedTag {
    pub tag: String,
    pub digest: Digest,
    pub pushed: String,
    /// Its last recorded pull (RFC 3339), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pulled: Option<String>,
    /// The delete selector that chose it (`retention.policies[0].delete[1]`).
    pub by: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProtectedTag {
    pub tag: String,
    pub by: String,
    pub selected_by: String,
}

/// Decides, at `now`, which tags of `inventory` the policies remove and what that frees.
#[must_use]
pub fn plan(
    inventory: &Inventory,
    policies: &Policies,
    immutable: &ImmutableTags,
    now: SystemTime,
) -> Plan {
    let mut repositories = Vec::new();
    // Blobs every repository keeps after the removal, and what the changed ones kept before.
    let mut kept_after: HashSet<Digest> = HashSet::new();
    let mut kept_before: Vec<(usize, HashSet<Digest>)> = Vec::new();
    for repo in &inventory.repositories {
        let applies = policies.applies_to(&repo.name);
        let fates = if applies {
            let facts: Vec<TagFacts> = repo
                .tags
                .iter()
                .map(|t| TagFacts {
                    tag: t.name.clone(),
                    pushed: t.pushed,
                    pulled: t.pulled,
                })
                .collect();
            policies.decide(&repo.name, &facts, now, immutable)
        } else {
            vec![Fate::Untouched; repo.tags.len()]
        };
        let mut removed = Vec::new();
        let mut protected = Vec::new();
        let mut remaining = Vec::new();
        for (tag, fate) in repo.tags.iter().zip(fates) {
            match fate {
                Fate::Removed { by } => removed.push(RemovedTag {
                    tag: tag.name.clone(),
                    digest: tag.digest,
                    pushed: timestamp(tag.pushed),
                    pulled: tag.pulled.map(timestamp),
                    by,
                }),
                Fate::Protected { by, selected_by } => {
                    protected.push(ProtectedTag {
                        tag: tag.name.clone(),
                        by,
                        selected_by,
                    });
                    remaining.push(tag.digest);
                }
                Fate::Untouched => remaining.push(tag.digest),
            }
        }
        let after = blobs_of(inventory, &live_manifests(inventory, repo, remaining));
        if !removed.is_empty() {
            let all = repo.tags.iter().map(|t| t.digest);
            let before = blobs_of(inventory, &live_manifests(inventory, repo, all));
            kept_before.push((repositories.len(), before));
        }
        kept_after.extend(after);
        if applies {
            repositories.push(RepoPlan {
                repository: repo.name.clone(),
                tags: repo.tags.len(),
                removed,
                protected,
                bytes_freed: 0,
            });
        }
    }
    // A freed blob: live before in a changed repository, live after nowhere.
    let mut freed_in: HashMap<Digest, Vec<usize>> = HashMap::new();
    for (index, before) in &kept_before {
        for digest in before.difference(&kept_after) {
            freed_in.entry(*digest).or_default().push(*index);
        }
    }
    let mut across = 0;
    for (digest, repos) in &freed_in {
        let size = bytes(inventory, [*digest]);
        match repos.as_slice() {
            [one] => repositories[*one].bytes_freed += size,
            _ => across += size,
        }
    }
    Plan {
        evaluated_at: timestamp(now),
        tags_removed: repositories.iter().map(|r| r.removed.len()).sum(),
        bytes_freed: bytes(inventory, freed_in.keys().copied()),
        blobs_freed: freed_in.len(),
        bytes_freed_across_repositories: across,
        repositories,
        problems: inventory.problems.clone(),
    }
}

/// What [`apply`] did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Applied {
    /// `repository:tag` of every tag removed.
    pub removed: Vec<String>,
    /// Tags of the plan left in place, and why.
    pub skipped: Vec<SkippedTag>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SkippedTag {
    pub repository: String,
    pub tag: String,
    pub reason: String,
}

/// Removes the tags of `plan` through [`Registry::delete_tag`] (which refuses immutable tags).
/// A tag pushed again since the plan was made (it names another manifest now) is left alone,
/// since the plan judged the push it saw; one gone already is skipped. Each removal and each
/// refusal gets its `prune` audit line, naming `user`.
///
/// # Errors
/// Storage errors (the tags removed before one are gone; running prune again continues).
pub async fn apply(registry: &Registry, plan: &Plan, user: &str) -> Result<Applied, RegistryError> {
    let mut applied = Applied::default();
    for repo in &plan.repositories {
        let Ok(name) = Name::parse(&repo.repository) else {
            continue;
        };
        for removed in &repo.removed {
            let Ok(tag) = Tag::parse(&removed.tag) else {
                continue;
            };
            let skip = |reason: String| SkippedTag {
                repository: repo.repository.clone(),
                tag: removed.tag.clone(),
                reason,
            };
            match registry.resolve_tag(name, tag).await {
                Ok(digest) if digest == removed.digest => {}
                Ok(digest) => {
                    applied
                        .skipped
                        .push(skip(format!("pushed again since the plan (now {digest})")));
                    continue;
                }
                Err(RegistryError::ManifestUnknown) => {
                    applied.skipped.push(skip("already gone".to_owned()));
                    continue;
                }
                Err(e) => return Err(e),
            }
            let outcome = registry.delete_tag(name, tag).await;
            audit_removal(user, &repo.repository, removed, &outcome);
            match outcome {
                Ok(()) => applied
                    .removed
                    .push(format!("{}:{}", repo.repository, removed.tag)),
                Err(RegistryError::ManifestUnknown) => {
                    applied.skipped.push(skip("already gone".to_owned()));
                }
                Err(e @ RegistryError::TagImmutable { .. }) => {
                    applied.skipped.push(skip(e.to_string()));
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(applied)
}

/// The audit line of one tag removal (the digest is the one the plan judged and the tag still
/// named).
fn audit_removal(
    user: &str,
    repository: &str,
    removed: &RemovedTag,
    outcome: &Result<(), RegistryError>,
) {
    let (result, error) = match outcome {
        Ok(()) => (crate::audit::Outcome::Ok, None),
        // Gone meanwhile: nothing was removed, and the skip is reported to the caller.
        Err(RegistryError::ManifestUnknown) => return,
        Err(e @ RegistryError::TagImmutable { .. }) => {
            (crate::audit::Outcome::Refused, Some(e.to_string()))
        }
        Err(e) => (crate::audit::Outcome::Failed, Some(e.to_string())),
    };
    crate::audit::Entry {
        result,
        reference: &removed.tag,
        digest: Some(&removed.digest),
        error: error.as_deref(),
        ..crate::audit::Entry::new("prune", user, repository)
    }
    .emit();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retention::inventory::{ManifestRefs, RepoInventory, TagEntry};
    use std::time::Duration;

    fn d(n: u8) -> Digest {
        Digest::of(&[n])
    }

    /// Two repositories sharing a base layer; `ci/app` has an index whose child a kept tag
    /// names too, and a signature on the removed image.
    #[test]
    fn freed_bytes_count_shared_blobs_once_and_spare_what_others_keep() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let old = now - Duration::from_secs(10 * 86_400);
        let mut inv = Inventory::default();
        let image = |config: u8, layers: &[u8]| ManifestRefs {
            blobs: std::iter::once(d(config))
                .chain(layers.iter().map(|l| d(*l)))
                .collect(),
            ..ManifestRefs::default()
        };
        // Manifests 1..=4, blobs 10.. ; sizes: manifests 1 byte, blobs their number.
        inv.manifests.insert(d(1), image(10, &[20, 21])); // ci/app:old (removed)
        inv.manifests.insert(d(2), image(11, &[20, 22])); // ci/app:keep
        inv.manifests.insert(
            d(3),
            ManifestRefs {
                subject: Some(d(1)),
                ..image(12, &[])
            },
        ); // signature of 1
        inv.manifests.insert(d(4), image(13, &[21])); // other/app:v1 shares 21
        for n in 1..=4 {
            inv.sizes.insert(d(n), 1);
        }
        for n in [10, 11, 12, 13, 20, 21, 22] {
            inv.sizes.insert(d(n), u64::from(n));
        }
        let tag = |name: &str, digest: Digest, pushed| TagEntry {
            name: name.into(),
            digest,
            pushed,
            pulled: None,
        };
        inv.repositories.push(RepoInventory {
            name: "ci/app".into(),
            tags: vec![tag("keep", d(2), now), tag("old", d(1), old)],
            revisions: [d(1), d(2), d(3)].into_iter().collect(),
            ..RepoInventory::default()
        });
        inv.repositories.push(RepoInventory {
            name: "other/app".into(),
            tags: vec![tag("v1", d(4), old)],
            revisions: [d(4)].into_iter().collect(),
            ..RepoInventory::default()
        });
        let policies = crate::retention::from_config(
            &serde_yaml::from_str(
                "policies:\n  - repository: '**'\n    keep:\n      - matching: v.*\n    \
                 delete:\n      - olderthan: 24h\n",
            )
            .unwrap(),
        )
        .unwrap();
        let plan = plan(&inv, &policies, &ImmutableTags::default(), now);
        assert_eq!(plan.tags_removed, 1);
        assert_eq!(plan.repositories[0].removed[0].tag, "old");
        // Freed: manifest 1 (1) + config 10 + signature 3 (1) + its config 12; not 20 (keep
        // uses it), not 21 (other/app uses it).
        assert_eq!(plan.bytes_freed, 1 + 10 + 1 + 12);
        assert_eq!(plan.blobs_freed, 4);
        assert_eq!(plan.repositories[0].bytes_freed, plan.bytes_freed);
        assert_eq!(plan.repositories[1].protected[0].tag, "v1");
    }
}
