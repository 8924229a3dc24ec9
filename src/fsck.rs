//! `regctl fsck`: check a registry:2 store end to end, and repair what is safe, through the
//! store's [`Storage`] and [`Coordinator`] (the filesystem or S3 alike).
//!
//! The walk is gc's (`crate::gc::scan`): repositories, links, uploads and the blob inventory,
//! read leniently. On top of it fsck follows every tag: its `current/link` must name a linked
//! revision whose blob exists, and every manifest reached (through index children) must parse
//! and have its blobs in the store *and* linked in the repository, because registry:2 serves a
//! blob or a manifest by digest only through the repository's `_layers` / `revisions` link.
//!
//! Repair takes gc's two locks (the one-collector lock and, exclusively, the reference lock the
//! server holds shared around every push), checks the structure again under them and only then
//! changes anything, so it is safe next to a running `regctl serve`. It never removes anything a
//! tag needs: a dangling or corrupt link a tag needs is rewritten when its blob exists and kept
//! otherwise (a re-push of the blob fills it); a blob is quarantined only after its content was
//! hashed under the lock and found not to match its digest.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;

use crate::digest::{Digest, Hasher};
use crate::gc::scan::{self, Link, RepoState};
use crate::gc::{self, refs, GcError, Problem};
use crate::oci::manifest::{self, ManifestError};
use crate::oci::reference::{Name, Tag};
use crate::storage::backend::{Durability, Storage};
#[cfg(doc)]
use crate::storage::coordinator::Coordinator;
use crate::storage::paths::{self, Key};
use crate::storage::settings::Store;

/// How a run behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// Hash every blob and compare with its digest.
    pub verify_content: bool,
    /// Fix what is safely fixable.
    pub repair: bool,
    /// Hashing threads (`--verify-content`).
    pub threads: usize,
    /// Longest wait for the registry's pushes in progress before repairing.
    pub lock_timeout: Duration,
    /// No server writes meanwhile ([`gc::Options::offline`]): needed to repair a store whose
    /// locks bind only this process (S3 today).
    pub offline: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            verify_content: false,
            repair: false,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            lock_timeout: gc::DEFAULT_LOCK_TIMEOUT,
            offline: false,
        }
    }
}

/// Why a run could not complete.
#[derive(Debug, thiserror::Error)]
pub enum FsckError {
    #[error(transparent)]
    Store(#[from] GcError),
    #[error("cannot repair {path}")]
    Repair {
        /// The key, relative to the storage root.
        path: String,
        #[source]
        source: io::Error,
    },
}

/// What is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A tag whose `current/link` is empty or malformed.
    TagCorrupt,
    /// A tag that names a manifest registry:2 cannot serve (no revision link or no blob).
    TagBroken,
    /// A manifest reached from a tag that does not parse.
    ManifestUnparsable,
    /// A child of a tagged index that cannot be served.
    ChildMissing,
    /// A blob a tagged manifest references is not in the blob store.
    BlobMissing,
    /// A blob a tagged manifest references is there but not linked in the repository.
    LayerLinkMissing,
    /// A blob's size differs from the descriptor that references it (truncated or wrong).
    SizeMismatch,
    /// A blob's content does not hash to its digest.
    DigestMismatch,
    /// A layer link to a blob that is not in the store.
    DanglingLayerLink,
    /// A revision link to a manifest blob that is not in the store.
    DanglingRevisionLink,
    /// An empty or malformed link file (registry:2 fails on it, distribution #1960).
    CorruptLink,
    /// A repository with no manifests.
    EmptyRepository,
    /// An upload that was started and never finished (a notice, not a problem).
    UnfinishedUpload,
    /// Something else the walk stepped around.
    StoreProblem,
}

impl Kind {
    /// Notices do not make fsck fail: an upload may be in progress.
    #[must_use]
    pub fn is_problem(self) -> bool {
        !matches!(self, Self::UnfinishedUpload)
    }
}

/// One finding.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub kind: Kind,
    /// Empty for store-wide findings (blobs).
    pub repository: String,
    /// A tag, a digest or an upload id.
    pub key: String,
    pub detail: String,
    /// What `--repair` did about it; `None` when nothing (or not asked).
    pub repair: Option<String>,
    /// The file or directory concerned, relative to the storage root.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// What a run found and did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub repositories: usize,
    pub tags: usize,
    pub manifests_checked: usize,
    pub blobs: usize,
    pub bytes: u64,
    pub verify_content: bool,
    pub repair: bool,
    pub blobs_verified: usize,
    pub bytes_verified: u64,
    pub verify_seconds: f64,
    /// Hashing throughput in bytes per second over all threads.
    pub verify_bytes_per_second: u64,
    pub verify_threads: usize,
    pub findings: Vec<Finding>,
    /// Problems (not notices) that `--repair` did not fix.
    pub unrepaired: usize,
}

/// Progress of content verification.
pub trait Observer {
    fn start(&mut self, _blobs: u64) {}
    fn position(&mut self, _done: u64) {}
    fn finish(&mut self) {}
}

/// An observer that ignores everything.
#[derive(Debug, Default)]
pub struct Silent;
impl Observer for Silent {}

/// Checks (and with [`Options::repair`] repairs) a registry:2 store (open it with
/// [`gc::open`]).
///
/// # Errors
/// When a prefix cannot be listed, the locks cannot be taken or a repair fails.
pub fn check(
    store: &Store,
    options: &Options,
    observer: &mut dyn Observer,
) -> Result<Report, FsckError> {
    let storage = &*store.data;
    let mut report = Report {
        verify_content: options.verify_content,
        repair: options.repair,
        ..Report::default()
    };
    let root = paths::root();
    if storage
        .list(&root)
        .map_err(|source| GcError::Io {
            path: root.relative().to_owned(),
            source,
        })?
        .is_empty()
    {
        return Ok(report);
    }
    if options.repair {
        gc::check_coordinated(store, options.offline, "fsck --repair")?;
    }
    let mut found = structure(storage, &mut report)?;
    let mut mismatched = Vec::new();
    if options.verify_content {
        let blobs = scan::blobs(storage, &mut Vec::new())?;
        mismatched = verify(storage, &blobs, options.threads, &mut report, observer);
        for (digest, actual) in &mismatched {
            found.push(Finding {
                kind: Kind::DigestMismatch,
                repository: String::new(),
                key: digest.to_string(),
                detail: format!("content hashes to {actual}"),
                repair: None,
                path: Some(rel(&paths::blob_data(digest))),
            });
        }
    }
    if options.repair && found.iter().any(|f| f.kind.is_problem()) {
        // Everything is decided again under the locks: a push may have fixed (or a gc changed)
        // what the unlocked check saw.
        let locks = if options.offline {
            None
        } else {
            Some((
                gc::lock(&*store.locks)?,
                gc::lock_references(&*store.locks, options.lock_timeout)?,
            ))
        };
        let mut fresh_report = Report::default();
        let mut fresh = structure(storage, &mut fresh_report)?;
        let suspects: Vec<Digest> = mismatched
            .iter()
            .map(|(d, _)| *d)
            .chain(
                fresh
                    .iter()
                    .filter(|f| f.kind == Kind::SizeMismatch)
                    .filter_map(|f| Digest::parse(&f.key).ok()),
            )
            .collect();
        let quarantined = quarantine(storage, &suspects)?;
        for f in found.iter_mut().filter(|f| f.kind == Kind::DigestMismatch) {
            if let Some(to) = quarantined.get(&f.key) {
                f.repair = Some(format!("quarantined to {to}"));
            }
        }
        fresh.retain(|f| f.kind != Kind::DigestMismatch);
        for f in &mut fresh {
            if f.kind == Kind::SizeMismatch {
                if let Some(to) = quarantined.get(&f.key) {
                    f.repair = Some(format!("content does not match; quarantined to {to}"));
                }
            }
        }
        repair_links(storage, &mut fresh)?;
        remove_empty_repositories(storage, &mut fresh)?;
        let verified: Vec<Finding> = found
            .into_iter()
            .filter(|f| f.kind == Kind::DigestMismatch)
            .collect();
        found = fresh;
        found.extend(verified);
        report.repositories = fresh_report.repositories;
        report.tags = fresh_report.tags;
        report.manifests_checked = fresh_report.manifests_checked;
        drop(locks);
    }
    found.sort_by(|a, b| (a.kind, &a.repository, &a.key).cmp(&(b.kind, &b.repository, &b.key)));
    report.unrepaired = found
        .iter()
        .filter(|f| f.kind.is_problem() && f.repair.is_none())
        .count();
    report.findings = found;
    Ok(report)
}

/// A key as findings show it: relative to the storage root.
fn rel(key: &Key) -> String {
    key.relative().to_owned()
}

/// What a repository's tags need: revisions (tagged manifests and their children) and blobs.
#[derive(Default)]
struct Needed {
    revisions: HashSet<Digest>,
    blobs: HashSet<Digest>,
}

/// The references of a manifest, with descriptor sizes where the strict parser read them.
struct Parsed {
    blobs: Vec<(Digest, Option<u64>)>,
    children: Vec<Digest>,
    error: Option<String>,
}

fn parse_manifest(bytes: &[u8]) -> Parsed {
    match manifest::parse(bytes, "") {
        Ok(m) => Parsed {
            blobs: m
                .blobs
                .iter()
                .filter(|d| !d.external)
                .map(|d| (d.digest, Some(d.size)))
                .collect(),
            children: m.children.iter().map(|d| d.digest).collect(),
            error: None,
        },
        Err(e) => {
            // Schema1 is old but valid for registry:2; anything else is reported, and its
            // references are still followed as gc reads them (leniently).
            let lenient = refs::parse(bytes);
            let error = match e {
                ManifestError::Schema1 => None,
                other => Some(other.to_string()),
            };
            Parsed {
                blobs: lenient.blobs.into_iter().map(|d| (d, None)).collect(),
                children: if lenient.fallback {
                    Vec::new()
                } else {
                    lenient.children
                },
                error,
            }
        }
    }
}

/// The structural check: everything but content hashing.
fn structure(storage: &dyn Storage, report: &mut Report) -> Result<Vec<Finding>, FsckError> {
    let mut problems = Vec::new();
    let mut findings = Vec::new();
    let (names, invalid) = scan::repositories(storage, &mut problems)?;
    problems.extend(invalid);
    let blobs: HashMap<Digest, u64> = scan::blobs(storage, &mut problems)?
        .into_iter()
        .map(|b| (b.digest, b.size))
        .collect();
    report.blobs = blobs.len();
    report.bytes = blobs.values().sum();
    report.repositories = names.len();
    let mut add = |kind, repository: &str, key: String, detail: String, path: Option<Key>| {
        findings.push(Finding {
            kind,
            repository: repository.to_owned(),
            key,
            detail,
            repair: None,
            path: path.as_ref().map(rel),
        });
    };
    let now = SystemTime::now();
    for name in &names {
        // Link problems are findings of their own below; the scanner's wording is not needed.
        let state = scan::repository(storage, name, scan::LayerLinks::Verify, &mut Vec::new())?;
        let Ok(repo) = Name::parse(name) else {
            continue;
        };
        report.tags += state.tags.len();
        let mut needed = Needed::default();
        let mut visited = HashSet::new();
        for tag in &state.tags {
            let Some(current) = tag.current else {
                let detail = if tag.current_corrupt {
                    "current/link is empty or malformed; push the tag again"
                } else {
                    "no current/link (an interrupted tag write; regctl gc removes it)"
                };
                add(
                    Kind::TagCorrupt,
                    name,
                    tag.name.clone(),
                    detail.to_owned(),
                    Tag::parse(&tag.name)
                        .ok()
                        .map(|t| paths::manifest_tag_current_link(repo, t)),
                );
                continue;
            };
            needed.revisions.insert(current);
            let mut stack = vec![(current, true)];
            while let Some((digest, is_tag)) = stack.pop() {
                if !visited.insert(digest) {
                    continue;
                }
                let (kind, key) = if is_tag {
                    (Kind::TagBroken, format!("{}@{digest}", tag.name))
                } else {
                    (Kind::ChildMissing, digest.to_string())
                };
                let linked = state
                    .revisions
                    .get(&digest)
                    .is_some_and(|l| l.link == Link::Valid);
                if !blobs.contains_key(&digest) {
                    add(
                        kind,
                        name,
                        key,
                        format!("manifest {digest} is not in the blob store; push it again"),
                        Some(paths::blob_data(&digest)),
                    );
                    continue;
                }
                if !linked {
                    add(
                        kind,
                        name,
                        key,
                        format!("manifest {digest} has no revision link in {name}"),
                        Some(paths::manifest_revision_link(repo, &digest)),
                    );
                }
                report.manifests_checked += 1;
                let bytes = match read_manifest(storage, &digest) {
                    Ok(bytes) => bytes,
                    Err(why) => {
                        add(
                            Kind::ManifestUnparsable,
                            name,
                            digest.to_string(),
                            why,
                            Some(paths::blob_data(&digest)),
                        );
                        continue;
                    }
                };
                let parsed = parse_manifest(&bytes);
                if let Some(error) = parsed.error {
                    add(
                        Kind::ManifestUnparsable,
                        name,
                        digest.to_string(),
                        error,
                        Some(paths::blob_data(&digest)),
                    );
                }
                for (blob, size) in parsed.blobs {
                    needed.blobs.insert(blob);
                    match blobs.get(&blob) {
                        None => add(
                            Kind::BlobMissing,
                            name,
                            blob.to_string(),
                            format!("{digest} needs it; push the blob again"),
                            Some(paths::blob_data(&blob)),
                        ),
                        Some(actual) => {
                            if size.is_some_and(|s| s != *actual) {
                                add(
                                    Kind::SizeMismatch,
                                    "",
                                    blob.to_string(),
                                    format!(
                                        "{actual} bytes, {digest} says {}",
                                        size.unwrap_or_default()
                                    ),
                                    Some(paths::blob_data(&blob)),
                                );
                            }
                            let linked = state
                                .layers
                                .get(&blob)
                                .is_some_and(|l| l.link == Link::Valid);
                            if !linked {
                                add(
                                    Kind::LayerLinkMissing,
                                    name,
                                    blob.to_string(),
                                    format!("{digest} needs it; registry:2 cannot serve it here"),
                                    Some(paths::layer_link(repo, &blob)),
                                );
                            }
                        }
                    }
                }
                for child in parsed.children {
                    needed.revisions.insert(child);
                    stack.push((child, false));
                }
            }
        }
        for (digest, entry) in &state.layers {
            let path = paths::layer_link(repo, digest);
            link_findings(
                &mut add,
                (name, digest, path),
                entry.link == Link::Valid,
                blobs.contains_key(digest),
                needed.blobs.contains(digest),
                Kind::DanglingLayerLink,
            );
        }
        for (digest, entry) in &state.revisions {
            let path = paths::manifest_revision_link(repo, digest);
            link_findings(
                &mut add,
                (name, digest, path),
                entry.link == Link::Valid,
                blobs.contains_key(digest),
                needed.revisions.contains(digest),
                Kind::DanglingRevisionLink,
            );
        }
        if state.revisions.is_empty() && state.tags.is_empty() {
            add(
                Kind::EmptyRepository,
                name,
                String::new(),
                "no manifests".to_owned(),
                Some(paths::repository(repo)),
            );
        }
        for upload in &state.uploads {
            let since = upload.started_at.unwrap_or(upload.last_write);
            let age = now.duration_since(since).unwrap_or_default();
            let age = humantime::format_duration(Duration::from_secs(age.as_secs()));
            add(
                Kind::UnfinishedUpload,
                name,
                upload.id.clone(),
                format!("started {age} ago, {} bytes", upload.bytes),
                paths::child(&paths::uploads_root(repo), &upload.id),
            );
        }
    }
    for problem in problems {
        findings.push(store_problem(problem));
    }
    Ok(findings)
}

fn store_problem(problem: Problem) -> Finding {
    Finding {
        kind: Kind::StoreProblem,
        repository: String::new(),
        key: String::new(),
        detail: problem.problem,
        repair: None,
        path: Some(problem.path),
    }
}

/// Findings of one `_layers` or `revisions` link; `needed` says whether a tag needs its digest.
fn link_findings(
    add: &mut impl FnMut(Kind, &str, String, String, Option<Key>),
    (name, digest, path): (&str, &Digest, Key),
    valid: bool,
    blob_exists: bool,
    needed: bool,
    dangling: Kind,
) {
    let why = if needed { "; a tag needs it" } else { "" };
    if !valid {
        add(
            Kind::CorruptLink,
            name,
            digest.to_string(),
            format!("empty or malformed link{why}"),
            Some(path),
        );
    } else if !blob_exists {
        add(
            dangling,
            name,
            digest.to_string(),
            format!("the blob is not in the store{why}"),
            Some(path),
        );
    }
}

fn read_manifest(storage: &dyn Storage, digest: &Digest) -> Result<Vec<u8>, String> {
    let key = paths::blob_data(digest);
    let meta = storage
        .head(&key)
        .map_err(|e| format!("cannot read: {e}"))?
        .ok_or("cannot read: gone")?;
    if meta.len > refs::MAX_MANIFEST {
        return Err(format!("{} bytes: too large for a manifest", meta.len));
    }
    storage
        .get(&key, refs::MAX_MANIFEST)
        .map_err(|e| format!("cannot read: {e}"))?
        .ok_or_else(|| "cannot read: gone".to_owned())
}

/// The digest of a blob's content, streamed (ranged GETs on S3); `None` if it is gone.
fn hash_blob(storage: &dyn Storage, digest: &Digest) -> io::Result<Option<(Digest, u64)>> {
    let Some(source) = storage.open(&paths::blob_data(digest))? else {
        return Ok(None);
    };
    let len = source.len();
    let mut chunks = source.chunks(0, len)?;
    let mut hasher = Hasher::new();
    while let Some(chunk) = chunks.next_chunk()? {
        hasher.update(&chunk);
    }
    let len = hasher.len();
    Ok(Some((hasher.finish(), len)))
}

/// Hashes every blob on `threads` threads; returns the blobs whose content has another digest.
fn verify(
    storage: &dyn Storage,
    blobs: &[scan::BlobState],
    threads: usize,
    report: &mut Report,
    observer: &mut dyn Observer,
) -> Vec<(Digest, Digest)> {
    let threads = threads.clamp(1, 64).min(blobs.len().max(1));
    report.verify_threads = threads;
    observer.start(blobs.len() as u64);
    let began = Instant::now();
    let next = AtomicUsize::new(0);
    let done = AtomicU64::new(0);
    let bytes = AtomicU64::new(0);
    let bad = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(blob) = blobs.get(i) else { break };
                    // A blob gone since the inventory (gc) is not a finding.
                    if let Ok(Some((actual, len))) = hash_blob(storage, &blob.digest) {
                        bytes.fetch_add(len, Ordering::Relaxed);
                        if actual != blob.digest {
                            if let Ok(mut bad) = bad.lock() {
                                bad.push((blob.digest, actual));
                            }
                        }
                    }
                    done.fetch_add(1, Ordering::SeqCst);
                })
            })
            .collect();
        while !workers
            .iter()
            .all(std::thread::ScopedJoinHandle::is_finished)
        {
            observer.position(done.load(Ordering::SeqCst));
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    observer.position(done.load(Ordering::SeqCst));
    observer.finish();
    let seconds = began.elapsed().as_secs_f64();
    report.blobs_verified = usize::try_from(done.load(Ordering::SeqCst)).unwrap_or(usize::MAX);
    report.bytes_verified = bytes.load(Ordering::SeqCst);
    report.verify_seconds = seconds;
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    {
        report.verify_bytes_per_second = if seconds > 0.0 {
            (report.bytes_verified as f64 / seconds) as u64
        } else {
            0
        };
    }
    let mut bad = bad.into_inner().unwrap_or_default();
    bad.sort();
    bad
}

/// Hashes each suspect again (the lock is held) and moves the data of each whose content does
/// not match its digest into quarantine ([`paths::quarantined_blob`]: outside `blobs/` and
/// `repositories/`, so registry:2 never lists it and the digest can be pushed again), copying it
/// through an upload so it is never held in memory. Returns digest → quarantine key.
fn quarantine(
    storage: &dyn Storage,
    suspects: &[Digest],
) -> Result<BTreeMap<String, String>, FsckError> {
    let mut moved = BTreeMap::new();
    let stamp = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    for digest in suspects {
        let name = digest.to_string();
        if moved.contains_key(&name) {
            continue;
        }
        let data = paths::blob_data(digest);
        let err = |key: &Key| {
            let path = rel(key);
            move |source| FsckError::Repair { path, source }
        };
        let Some((actual, _)) = hash_blob(storage, digest).map_err(err(&data))? else {
            continue;
        };
        if actual == *digest {
            continue;
        }
        let target = paths::quarantined_blob(digest, stamp);
        copy(storage, &data, &paths::quarantine_staging(digest), &target).map_err(err(&target))?;
        storage.delete(&data).map_err(err(&data))?;
        moved.insert(name, rel(&target));
    }
    Ok(moved)
}

/// Copies the file `from` to `to` (created if absent), streaming through an upload at `staging`.
fn copy(storage: &dyn Storage, from: &Key, staging: &Key, to: &Key) -> io::Result<()> {
    let Some(source) = storage.open(from)? else {
        return Err(io::ErrorKind::NotFound.into());
    };
    let len = source.len();
    let mut chunks = source.chunks(0, len)?;
    let mut upload = storage.open_upload(staging, 0)?;
    while let Some(chunk) = chunks.next_chunk()? {
        upload.append(&chunk)?;
    }
    upload.seal(len)?;
    upload.commit(to)?;
    Ok(())
}

/// Removes dangling and corrupt links no tag needs, rewrites corrupt links a tag needs whose
/// blob exists, and links blobs a tagged manifest needs that exist but are not linked.
fn repair_links(storage: &dyn Storage, findings: &mut [Finding]) -> Result<(), FsckError> {
    for f in findings.iter_mut() {
        let Some(rel_path) = f.path.clone() else {
            continue;
        };
        let Some(key) = link_key(f) else {
            continue;
        };
        let needed = f.detail.ends_with("a tag needs it");
        let Ok(digest) = Digest::parse(&f.key) else {
            continue;
        };
        let err = |source| FsckError::Repair {
            path: rel_path.clone(),
            source,
        };
        let blob_exists = storage
            .head(&paths::blob_data(&digest))
            .map_err(err)?
            .is_some();
        let write = |what: &str| -> Result<String, FsckError> {
            storage
                .put(&key, paths::link_content(&digest), Durability::Durable)
                .map_err(|source| FsckError::Repair {
                    path: rel_path.clone(),
                    source,
                })?;
            Ok(format!("wrote the {what}"))
        };
        match f.kind {
            Kind::DanglingLayerLink | Kind::DanglingRevisionLink | Kind::CorruptLink if !needed => {
                storage.delete(&key).map_err(err)?;
                f.repair = Some("removed the link".to_owned());
            }
            Kind::CorruptLink | Kind::LayerLinkMissing if blob_exists => {
                f.repair = Some(write("link")?);
            }
            Kind::ChildMissing | Kind::TagBroken
                if blob_exists && f.detail.contains("no revision link") =>
            {
                f.repair = Some(write("revision link")?);
            }
            _ => {}
        }
    }
    Ok(())
}

/// The link a finding is about, rebuilt from its repository and digest (findings carry keys
/// as text, for the report): a layer link or a revision link.
fn link_key(f: &Finding) -> Option<Key> {
    let name = Name::parse(&f.repository).ok()?;
    let tag_digest = f.key.rsplit_once('@').map_or(f.key.as_str(), |(_, d)| d);
    let digest = Digest::parse(tag_digest).ok()?;
    let key = match f.kind {
        Kind::DanglingLayerLink | Kind::LayerLinkMissing => paths::layer_link(name, &digest),
        Kind::DanglingRevisionLink | Kind::ChildMissing | Kind::TagBroken => {
            paths::manifest_revision_link(name, &digest)
        }
        Kind::CorruptLink => {
            let layer = paths::layer_link(name, &digest);
            if f.path.as_deref() == Some(layer.relative()) {
                layer
            } else {
                paths::manifest_revision_link(name, &digest)
            }
        }
        _ => return None,
    };
    (f.path.as_deref() == Some(key.relative())).then_some(key)
}

/// Removes repositories that hold nothing any more (no tag, manifest, upload or layer link).
fn remove_empty_repositories(
    storage: &dyn Storage,
    findings: &mut Vec<Finding>,
) -> Result<(), FsckError> {
    let (names, _) = scan::repositories(storage, &mut Vec::new())?;
    for name in names {
        let state: RepoState =
            scan::repository(storage, &name, scan::LayerLinks::Verify, &mut Vec::new())?;
        if !(state.tags.is_empty()
            && state.revisions.is_empty()
            && state.uploads.is_empty()
            && state.layers.is_empty())
        {
            continue;
        }
        let Ok(repo) = Name::parse(&name) else {
            continue;
        };
        // Only the repository's own data: a nested repository below it stays.
        let own = [
            Some(paths::manifests_root(repo)),
            paths::child(&paths::repository(repo), "_layers"),
            Some(paths::uploads_root(repo)),
        ];
        for key in own.into_iter().flatten() {
            storage
                .delete_tree(&key)
                .map_err(|source| FsckError::Repair {
                    path: rel(&key),
                    source,
                })?;
        }
        let repair = Some("removed the repository".to_owned());
        match findings
            .iter_mut()
            .find(|f| f.kind == Kind::EmptyRepository && f.repository == name)
        {
            Some(f) => f.repair = repair,
            None => findings.push(Finding {
                kind: Kind::EmptyRepository,
                repository: name.clone(),
                key: String::new(),
                detail: "nothing left after repairs".to_owned(),
                repair,
                path: Some(rel(&paths::repository(repo))),
            }),
        }
    }
    Ok(())
}
