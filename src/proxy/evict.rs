//! The pull-through cache's size budget (`proxy.cachebudget`, regctl's own key, which registry:2
//! ignores): once cached content is over it, the least recently pulled cached images are
//! removed and gc (without `--delete-untagged`) reclaims what only they kept. Local, pushed
//! repositories are never touched, and a blob a local repository also references is neither
//! counted as cached nor freed.
//!
//! The unit is an image of a cached repository: a root revision (one that no other revision of
//! the repository lists as an index child, and no referrer) with its index children,
//! transitively, and the referrers of any of them. Its last use is the newest pull record
//! (`registry::pulls`) or link time (when the cache stored it) of any member. Images are
//! removed oldest first until what stays cached fits the budget, through
//! `Registry::delete_manifest` (which also removes the tags naming a manifest); a revision two
//! images share goes with the second. The bytes each removal frees are exact: a blob is freed
//! when no remaining revision in any repository references it. Images an immutable tag names
//! are never removed.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::ProxySettings;
use crate::digest::Digest;
use crate::oci::reference::Name;
use crate::registry::immutable::ImmutableTags;
use crate::registry::{Registry, RegistryError};
use crate::retention::{Inventory, RetentionError};
use crate::storage::settings::Store;

/// `proxy.cachebudget` and `proxy.evictinterval` as the server uses them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub max_bytes: u64,
    /// How often `regctl serve` checks the budget (then runs gc when it removed anything).
    pub every: Duration,
}

/// How often the budget is checked when `proxy.evictinterval` is not set.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(3600);

/// What the cache holds against its budget, and what goes.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub budget_bytes: u64,
    /// Bytes only cached repositories reference (each blob once).
    pub cached_bytes: u64,
    /// Bytes local repositories reference (shared ones included).
    pub local_bytes: u64,
    /// `cached_bytes` once the evicted images are gone and gc has run.
    pub cached_bytes_after: u64,
    /// Oldest first.
    pub evicted: Vec<EvictedImage>,
}

/// One image removed from the cache.
#[derive(Debug, Clone, Serialize)]
pub struct EvictedImage {
    pub repository: String,
    /// Its root manifest.
    pub digest: Digest,
    pub tags: Vec<String>,
    /// RFC 3339.
    pub last_used: String,
    /// The manifests deleted with it (the root first).
    pub manifests: Vec<Digest>,
    pub bytes_freed: u64,
}

/// One image while planning.
struct Image {
    repo: usize,
    root: Digest,
    members: Vec<Digest>,
    last_used: SystemTime,
}

/// The blobs a revision keeps: its own, its config and layers, its index children.
fn blobs_of(inventory: &Inventory, digest: &Digest) -> Vec<Digest> {
    let mut blobs = vec![*digest];
    if let Some(refs) = inventory.manifests.get(digest) {
        blobs.extend(refs.blobs.iter().copied());
        blobs.extend(refs.children.iter().copied());
    }
    blobs
}

/// The images of one cached repository.
fn images(inventory: &Inventory, index: usize) -> Vec<Image> {
    let repo = &inventory.repositories[index];
    let refs = |d: &Digest| inventory.manifests.get(d);
    let mut not_roots: HashSet<Digest> = HashSet::new();
    let mut referrers: HashMap<Digest, Vec<Digest>> = HashMap::new();
    for digest in &repo.revisions {
        if let Some(r) = refs(digest) {
            not_roots.extend(r.children.iter().filter(|c| repo.revisions.contains(c)));
            if let Some(subject) = r.subject.filter(|s| repo.revisions.contains(s)) {
                not_roots.insert(*digest);
                referrers.entry(subject).or_default().push(*digest);
            }
        }
    }
    let mut out = Vec::new();
    for root in repo.revisions.iter().filter(|d| !not_roots.contains(d)) {
        let mut members: BTreeSet<Digest> = BTreeSet::new();
        let mut queue = vec![*root];
        let mut order = Vec::new();
        while let Some(d) = queue.pop() {
            if !repo.revisions.contains(&d) || !members.insert(d) {
                continue;
            }
            order.push(d);
            if let Some(r) = refs(&d) {
                queue.extend(r.children.iter().copied());
            }
            // Referrers of members (signatures, SBOMs) go with the image they describe.
            queue.extend(referrers.get(&d).into_iter().flatten().copied());
        }
        let last_used = order
            .iter()
            .flat_map(|d| [repo.pulled.get(d), repo.linked_at.get(d)])
            .flatten()
            .max()
            .copied()
            .unwrap_or(SystemTime::UNIX_EPOCH);
        out.push(Image {
            repo: index,
            root: *root,
            members: order,
            last_used,
        });
    }
    out
}

/// Decides which cached images go so that what stays fits `max_bytes`.
#[must_use]
pub fn plan(
    inventory: &Inventory,
    proxy: &ProxySettings,
    immutable: &ImmutableTags,
    max_bytes: u64,
) -> Plan {
    let size = |d: &Digest| inventory.sizes.get(d).copied().unwrap_or(0);
    // How many revisions (any repository) keep each blob; which blobs local ones keep.
    let mut holders: HashMap<Digest, u32> = HashMap::new();
    let mut local: HashSet<Digest> = HashSet::new();
    let mut cached_repos = Vec::new();
    for (index, repo) in inventory.repositories.iter().enumerate() {
        let cached = proxy.caches(&repo.name);
        if cached {
            cached_repos.push(index);
        }
        for revision in &repo.revisions {
            for blob in blobs_of(inventory, revision) {
                *holders.entry(blob).or_default() += 1;
                if !cached {
                    local.insert(blob);
                }
            }
        }
    }
    let local_bytes: u64 = local.iter().map(size).sum();
    let cached_bytes: u64 = holders
        .keys()
        .filter(|b| !local.contains(b))
        .map(size)
        .sum();

    let mut candidates: Vec<Image> = cached_repos
        .iter()
        .flat_map(|&index| images(inventory, index))
        .filter(|image| {
            let repo = &inventory.repositories[image.repo];
            !repo.tags.iter().any(|t| {
                image.members.contains(&t.digest)
                    && immutable.rule_for(&repo.name, &t.name).is_some()
            })
        })
        .collect();
    candidates.sort_by(|a, b| {
        a.last_used
            .cmp(&b.last_used)
            .then_with(|| a.repo.cmp(&b.repo))
            .then_with(|| a.root.cmp(&b.root))
    });
    // A revision in several images stays until the last of them goes.
    let mut images_of: HashMap<(usize, Digest), u32> = HashMap::new();
    for image in &candidates {
        for member in &image.members {
            *images_of.entry((image.repo, *member)).or_default() += 1;
        }
    }
    let mut remaining = cached_bytes;
    let mut evicted = Vec::new();
    for image in candidates {
        if remaining <= max_bytes {
            break;
        }
        let repo = &inventory.repositories[image.repo];
        let mut manifests = Vec::new();
        let mut freed = 0u64;
        for member in &image.members {
            let count = images_of.entry((image.repo, *member)).or_default();
            *count = count.saturating_sub(1);
            if *count > 0 {
                continue;
            }
            manifests.push(*member);
            for blob in blobs_of(inventory, member) {
                let held = holders.entry(blob).or_default();
                *held = held.saturating_sub(1);
                if *held == 0 && !local.contains(&blob) {
                    freed += size(&blob);
                }
            }
        }
        remaining = remaining.saturating_sub(freed);
        evicted.push(EvictedImage {
            repository: repo.name.clone(),
            digest: image.root,
            tags: repo
                .tags
                .iter()
                .filter(|t| manifests.contains(&t.digest))
                .map(|t| t.name.clone())
                .collect(),
            last_used: crate::retention::timestamp(image.last_used),
            manifests,
            bytes_freed: freed,
        });
    }
    Plan {
        budget_bytes: max_bytes,
        cached_bytes,
        local_bytes,
        cached_bytes_after: remaining,
        evicted,
    }
}

/// Deletes the evicted images' manifests (and so their tags); returns how many manifests went.
/// One that is already gone is skipped.
///
/// # Errors
/// A storage error, or an immutable tag that appeared since the plan.
pub async fn apply(registry: &Registry, plan: &Plan) -> Result<usize, RegistryError> {
    let mut deleted = 0;
    for image in &plan.evicted {
        let name = Name::parse(&image.repository).map_err(|_| RegistryError::NameUnknown)?;
        for digest in &image.manifests {
            match registry.delete_manifest(name, *digest).await {
                Ok(()) => deleted += 1,
                Err(RegistryError::ManifestUnknown) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(deleted)
}

/// What one check of the budget did.
#[derive(Debug, Clone)]
pub struct Round {
    pub plan: Plan,
    /// Bytes gc reclaimed afterwards (`None` when nothing was evicted, or gc failed).
    pub reclaimed: Option<u64>,
    pub gc_error: Option<String>,
}

/// Reads the store, evicts what is over the budget, then runs gc if anything went.
///
/// # Errors
/// Reading the store or deleting a manifest failed (gc's own failure is in the round).
pub async fn round(
    registry: &Registry,
    store: &Store,
    proxy: &ProxySettings,
    immutable: &ImmutableTags,
    max_bytes: u64,
) -> Result<Round, RetentionError> {
    let inventory = crate::retention::schedule::read_store(registry, store).await?;
    let plan = plan(&inventory, proxy, immutable, max_bytes);
    if plan.evicted.is_empty() {
        return Ok(Round {
            plan,
            reclaimed: None,
            gc_error: None,
        });
    }
    apply(registry, &plan).await?;
    let (reclaimed, gc_error) =
        crate::retention::schedule::collect(store, crate::gc::Options::default()).await;
    Ok(Round {
        plan,
        reclaimed,
        gc_error,
    })
}

/// Checks the budget every `budget.every`, forever, logging what each round evicted (target
/// `regctl::cache`).
pub async fn run(
    registry: Arc<Registry>,
    store: Store,
    proxy: ProxySettings,
    immutable: ImmutableTags,
    budget: Budget,
) {
    let mut ticks = tokio::time::interval(budget.every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        match round(&registry, &store, &proxy, &immutable, budget.max_bytes).await {
            Ok(done) if done.plan.evicted.is_empty() => tracing::debug!(
                target: "regctl::cache",
                cached_bytes = done.plan.cached_bytes,
                budget_bytes = budget.max_bytes,
                "cache within its budget"
            ),
            Ok(done) => tracing::info!(
                target: "regctl::cache",
                evicted = done.plan.evicted.len(),
                cached_bytes = done.plan.cached_bytes,
                cached_bytes_after = done.plan.cached_bytes_after,
                budget_bytes = budget.max_bytes,
                reclaimed = done.reclaimed.unwrap_or(0),
                gc_error = done.gc_error.as_deref().unwrap_or(""),
                "evicted the least recently pulled cached images"
            ),
            Err(e) => tracing::warn!(
                target: "regctl::cache",
                error = %crate::report::error_chain(&e),
                "cache eviction round failed"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retention::inventory::{ManifestRefs, RepoInventory, TagEntry};

    fn d(n: u8) -> Digest {
        Digest::of(&[n])
    }

    fn settings() -> ProxySettings {
        ProxySettings {
            upstreams: vec![super::super::UpstreamSettings {
                prefix: "hub/".into(),
                remote_url: "https://r".into(),
                username: String::new(),
                password: String::new(),
                ttl: Duration::ZERO,
            }],
            budget: None,
        }
    }

    /// `hub/app` (cached): image 1 (an index of 2), image 3, image 4 (signed by 5); `team/app`
    /// (local) shares layer 30 with image 3. Blob sizes: manifests 1 byte, layers 100 × n.
    fn inventory() -> Inventory {
        let mut inv = Inventory::default();
        let image = |blobs: &[u8]| ManifestRefs {
            blobs: blobs.iter().map(|b| d(*b)).collect(),
            ..ManifestRefs::default()
        };
        inv.manifests.insert(
            d(1),
            ManifestRefs {
                children: vec![d(2)],
                ..ManifestRefs::default()
            },
        );
        inv.manifests.insert(d(2), image(&[20]));
        inv.manifests.insert(d(3), image(&[30, 31]));
        inv.manifests.insert(d(4), image(&[40]));
        inv.manifests.insert(
            d(5),
            ManifestRefs {
                subject: Some(d(4)),
                ..image(&[50])
            },
        );
        inv.manifests.insert(d(9), image(&[30, 90]));
        for n in 1..=9 {
            inv.sizes.insert(d(n), 1);
        }
        for n in [20u8, 30, 31, 40, 50, 90] {
            inv.sizes.insert(d(n), 100 * u64::from(n));
        }
        let at = |secs: u64| SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
        let tag = |name: &str, digest| TagEntry {
            name: name.into(),
            digest,
            pushed: at(0),
            pulled: None,
        };
        inv.repositories.push(RepoInventory {
            name: "hub/app".into(),
            tags: vec![tag("multi", d(1)), tag("three", d(3)), tag("four", d(4))],
            revisions: [1, 2, 3, 4, 5].into_iter().map(d).collect(),
            // Image 3 was stored first but pulled last; the index's child was pulled recently.
            pulled: [(d(3), at(900)), (d(2), at(500))].into_iter().collect(),
            linked_at: [
                (d(1), at(100)),
                (d(2), at(100)),
                (d(3), at(50)),
                (d(4), at(200)),
            ]
            .into_iter()
            .chain([(d(5), at(200))])
            .collect(),
        });
        inv.repositories.push(RepoInventory {
            name: "team/app".into(),
            tags: vec![tag("v1", d(9))],
            revisions: [d(9)].into_iter().collect(),
            ..RepoInventory::default()
        });
        inv
    }

    #[test]
    fn least_recently_used_images_go_first_and_shared_bytes_are_local() {
        let inv = inventory();
        let everything = plan(&inv, &settings(), &ImmutableTags::default(), u64::MAX);
        // Cached: 1, 2, 3, 4, 5 (manifests) + 20 + 31 + 40 + 50 layers; 30 is local's too.
        assert_eq!(everything.cached_bytes, 5 + 2000 + 3100 + 4000 + 5000);
        assert_eq!(everything.local_bytes, 1 + 3000 + 9000);
        assert!(everything.evicted.is_empty());

        // Over budget by a little: image 4 (last used at 200, with its signature) goes first.
        let p = plan(&inv, &settings(), &ImmutableTags::default(), 10_000);
        assert_eq!(p.evicted.len(), 1);
        assert_eq!(p.evicted[0].digest, d(4));
        assert_eq!(p.evicted[0].tags, ["four"]);
        assert_eq!(p.evicted[0].manifests, [d(4), d(5)]);
        assert_eq!(p.evicted[0].bytes_freed, 2 + 4000 + 5000);
        assert_eq!(p.cached_bytes_after, everything.cached_bytes - 9002);

        // Then the index and its child (used at 500), never the local layer 30.
        let p = plan(&inv, &settings(), &ImmutableTags::default(), 3200);
        let order: Vec<Digest> = p.evicted.iter().map(|e| e.digest).collect();
        assert_eq!(order, [d(4), d(1)]);
        assert_eq!(p.evicted[1].manifests, [d(1), d(2)]);
        assert_eq!(p.cached_bytes_after, 1 + 3100);

        // An immutable tag keeps its image whatever the budget.
        let immutable = ImmutableTags::new(vec![crate::registry::immutable::ImmutableRule {
            repository: crate::access::pattern::Pattern::parse("hub/**").unwrap(),
            tag: crate::access::pattern::TagPattern::parse("four").unwrap(),
        }]);
        let p = plan(&inv, &settings(), &immutable, 0);
        let order: Vec<Digest> = p.evicted.iter().map(|e| e.digest).collect();
        assert_eq!(order, [d(1), d(3)]);
        // Layer 30 stays: the local image uses it.
        assert_eq!(p.cached_bytes_after, 2 + 4000 + 5000);
    }
}
