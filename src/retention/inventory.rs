//! One read of a store for `prune` and `du`: every repository's tags (digest, push time) and
//! linked manifests, every manifest's references, every referenced blob's size.
//!
//! Each manifest is read once per store (manifests are content-addressed, so a digest linked by
//! many repositories has one set of references), each blob is stat'ed once, and the reads run on
//! [`WORKERS`] threads: a store of 100,000 blobs is a few seconds on a local disk. References are
//! read with gc's own lenient parser (`gc::refs`), so the inventory sees what gc will mark.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::SystemTime;

use crate::digest::Digest;
use crate::oci::reference::{Name, Tag};
use crate::storage::backend::Storage;
use crate::storage::paths;
use crate::storage::tree::{digest_dir_file, parse_link, LinkContent, LINK_LIMIT};

use super::RetentionError;

/// Storage reads in flight at once (the store is local disk or an object store: latency-bound).
pub const WORKERS: usize = 16;

/// Progress callbacks while the store is read.
pub trait Progress {
    /// A new phase of `total` steps.
    fn phase(&mut self, _name: &str, _total: u64) {}
    /// One step of the current phase done.
    fn advance(&mut self) {}
}

/// A progress observer that ignores everything.
#[derive(Debug, Default)]
pub struct Silent;
impl Progress for Silent {}

/// What the store holds.
#[derive(Debug, Default)]
pub struct Inventory {
    /// In catalog order.
    pub repositories: Vec<RepoInventory>,
    /// Every manifest any repository links (or a tag names), by digest.
    pub manifests: HashMap<Digest, ManifestRefs>,
    /// The size of every blob a manifest references and of every manifest; a blob missing from
    /// the store is absent here (and named in `problems`).
    pub sizes: HashMap<Digest, u64>,
    /// Things read that are not as they should be (never fatal: they are reported).
    pub problems: Vec<String>,
}

/// One repository.
#[derive(Debug, Default, Clone)]
pub struct RepoInventory {
    pub name: String,
    /// Tags whose `current/link` names a digest, by name.
    pub tags: Vec<TagEntry>,
    /// Manifests linked under `_manifests/revisions`.
    pub revisions: BTreeSet<Digest>,
    /// When each manifest was last pulled from this repository (`registry::pulls`), where known.
    pub pulled: HashMap<Digest, SystemTime>,
    /// When each revision link was written (a push, or a pull-through cache storing it).
    pub linked_at: HashMap<Digest, SystemTime>,
}

/// One tag.
#[derive(Debug, Clone)]
pub struct TagEntry {
    pub name: String,
    pub digest: Digest,
    /// The modification time of `current/link` (every push of the tag rewrites it).
    pub pushed: SystemTime,
    /// The last pull of the manifest it names or, for an index, of any manifest in it (a
    /// client that pins one platform's child by digest still uses the tag's image); `None`
    /// when never recorded.
    pub pulled: Option<SystemTime>,
}

/// What a manifest references (gc's reading of it).
#[derive(Debug, Clone, Default)]
pub struct ManifestRefs {
    pub blobs: Vec<Digest>,
    pub children: Vec<Digest>,
    pub subject: Option<Digest>,
}

/// Reads the whole store (repositories from `repositories`, as the catalog lists them).
///
/// # Errors
/// A storage error other than "not found".
pub fn read(
    storage: &dyn Storage,
    repositories: &[String],
    progress: &mut dyn Progress,
) -> Result<Inventory, RetentionError> {
    let mut inventory = Inventory::default();
    progress.phase("reading repositories", repositories.len() as u64);
    let repos = parallel(repositories.to_vec(), progress, |name| {
        read_repository(storage, &name)
    });
    for repo in repos {
        let (repo, problems) = repo?;
        inventory.problems.extend(problems);
        inventory.repositories.push(repo);
    }

    let mut manifests: BTreeSet<Digest> = BTreeSet::new();
    for repo in &inventory.repositories {
        manifests.extend(repo.revisions.iter().copied());
        manifests.extend(repo.tags.iter().map(|t| t.digest));
    }
    // Index children are manifests too, linked or not (gc marks them either way).
    let mut pending: Vec<Digest> = manifests.iter().copied().collect();
    let mut seen: HashSet<Digest> = manifests.into_iter().collect();
    progress.phase("reading manifests", pending.len() as u64);
    while !pending.is_empty() {
        let read = parallel(std::mem::take(&mut pending), progress, |digest| {
            (digest, read_manifest(storage, &digest))
        });
        for (digest, outcome) in read {
            match outcome? {
                Some((size, refs)) => {
                    for child in &refs.children {
                        if seen.insert(*child) {
                            pending.push(*child);
                        }
                    }
                    inventory.sizes.insert(digest, size);
                    inventory.manifests.insert(digest, refs);
                }
                None => inventory.problems.push(format!(
                    "manifest {digest} is linked but its blob is missing"
                )),
            }
        }
    }

    for repo in &mut inventory.repositories {
        if repo.pulled.is_empty() {
            continue;
        }
        for i in 0..repo.tags.len() {
            let pulled = last_pull(&inventory.manifests, &repo.pulled, repo.tags[i].digest);
            repo.tags[i].pulled = pulled;
        }
    }

    let blobs: Vec<Digest> = inventory
        .manifests
        .values()
        .flat_map(|m| m.blobs.iter().copied())
        .filter(|d| !inventory.sizes.contains_key(d))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    progress.phase("sizing blobs", blobs.len() as u64);
    let sized = parallel(blobs, progress, |digest| {
        (digest, storage.head(&paths::blob_data(&digest)))
    });
    for (digest, meta) in sized {
        match meta? {
            Some(meta) => {
                inventory.sizes.insert(digest, meta.len);
            }
            None => inventory
                .problems
                .push(format!("blob {digest} is referenced but missing")),
        }
    }
    Ok(inventory)
}

/// The newest pull record of `digest` and of the manifests an index of it lists (however deep,
/// each once).
fn last_pull(
    manifests: &HashMap<Digest, ManifestRefs>,
    pulled: &HashMap<Digest, SystemTime>,
    digest: Digest,
) -> Option<SystemTime> {
    let mut newest = None;
    let mut pending = vec![digest];
    let mut seen = HashSet::new();
    while let Some(d) = pending.pop() {
        if !seen.insert(d) {
            continue;
        }
        newest = newest.max(pulled.get(&d).copied());
        if let Some(refs) = manifests.get(&d) {
            pending.extend(refs.children.iter().copied());
        }
    }
    newest
}

/// Reads one repository's tags and revision links; returns what looked wrong alongside.
fn read_repository(
    storage: &dyn Storage,
    repo: &str,
) -> Result<(RepoInventory, Vec<String>), RetentionError> {
    let mut problems = Vec::new();
    let name = Name::parse(repo).map_err(|_| RetentionError::Name(repo.to_owned()))?;
    let mut out = RepoInventory {
        name: repo.to_owned(),
        ..RepoInventory::default()
    };
    for child in storage.list(&paths::manifest_tags(name))? {
        if !child.is_prefix() {
            continue;
        }
        let Ok(tag) = Tag::parse(&child.name) else {
            continue;
        };
        let link = paths::manifest_tag_current_link(name, tag);
        let Some(meta) = storage.head(&link)? else {
            continue;
        };
        let Some(bytes) = storage.get(&link, LINK_LIMIT)? else {
            continue;
        };
        match parse_link(&bytes) {
            LinkContent::Names(digest) => out.tags.push(TagEntry {
                name: child.name.clone(),
                digest,
                pushed: meta.modified,
                pulled: None,
            }),
            LinkContent::Empty | LinkContent::Corrupt => {
                problems.push(format!(
                    "{repo}:{} has an unreadable current/link",
                    child.name
                ));
            }
        }
    }
    out.tags.sort_by(|a, b| a.name.cmp(&b.name));
    // One walk finds both the revision links (with their times) and the pull records.
    let mut links = Vec::new();
    storage.child_files(
        &paths::manifest_revisions(name),
        &["link", paths::PULL_RECORD],
        &mut |entry| match digest_dir_file(&entry.relative) {
            Some((Some(digest), "link")) => links.push((digest, entry.meta.modified)),
            Some((Some(digest), paths::PULL_RECORD)) => {
                out.pulled.insert(digest, entry.meta.modified);
            }
            _ => {}
        },
    )?;
    for (digest, linked_at) in links {
        let link = paths::manifest_revision_link(name, &digest);
        if let Some(bytes) = storage.get(&link, LINK_LIMIT)? {
            if parse_link(&bytes) == LinkContent::Names(digest) {
                out.revisions.insert(digest);
                out.linked_at.insert(digest, linked_at);
            }
        }
    }
    Ok((out, problems))
}

/// A manifest's size and references; `None` when its blob is missing.
fn read_manifest(
    storage: &dyn Storage,
    digest: &Digest,
) -> Result<Option<(u64, ManifestRefs)>, RetentionError> {
    let key = paths::blob_data(digest);
    let Some(bytes) = storage.get(&key, crate::gc::refs::MAX_MANIFEST)? else {
        // Missing, or larger than any manifest (a layer an index lists): size it as a blob.
        return Ok(storage
            .head(&key)?
            .map(|meta| (meta.len, ManifestRefs::default())));
    };
    let refs = crate::gc::refs::parse(&bytes);
    Ok(Some((
        bytes.len() as u64,
        ManifestRefs {
            blobs: refs.blobs,
            children: refs.children,
            subject: refs.subject,
        },
    )))
}

/// `f` over `items` on up to [`WORKERS`] threads, results in `items`' order; `progress` advances
/// once per item (on the calling thread).
fn parallel<T, R, F>(items: Vec<T>, progress: &mut dyn Progress, f: F) -> Vec<R>
where
    T: Send + Sync,
    R: Send,
    F: Fn(T) -> R + Sync,
    T: Clone,
{
    let len = items.len();
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<(usize, R)>();
    let mut out: Vec<Option<R>> = std::iter::repeat_with(|| None).take(len).collect();
    std::thread::scope(|scope| {
        for _ in 0..WORKERS.min(len) {
            let tx = tx.clone();
            let (items, next, f) = (&items, &next, &f);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                if tx.send((i, f(item.clone()))).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        for (i, result) in rx {
            out[i] = Some(result);
            progress.advance();
        }
    });
    out.into_iter().flatten().collect()
}
