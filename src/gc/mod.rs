//! Garbage collection on registry:2 filesystem storage: mark every blob a live manifest needs,
//! then sweep the rest, safely while a registry keeps serving and accepting pushes.
//!
//! The protocol (ARCHITECTURE.md, "GC protocol", has the reasoning):
//! 1. Take an exclusive advisory lock on `docker/registry/v2/.regctl-gc.lock` with `try_lock`,
//!    so two runs never overlap (a dry run only reads and takes no lock).
//! 2. Note the start time `T0`; anything whose last change is after `T0 - grace` is young and
//!    never deleted: blobs (data mtime/ctime, blob directory mtime), untagged manifests (their
//!    revision link), layer links (which also keep their blob), repositories with young links.
//! 3. Mark, without blocking the registry: for each repository, the live manifests are every
//!    linked revision, or with `delete_untagged` the closure of the tagged ones (plus young and
//!    corrupt-linked ones) over index children and over referrers whose `subject` is live.
//! 4. Take the reference lock (`.regctl-reference.lock`) exclusively, waiting at most
//!    `lock_timeout` for the registry's pushes, mounts and upload commits (which hold it shared),
//!    and re-mark every repository: nothing can become referenced from now to the end of the
//!    sweep, and everything referenced before is in the re-mark.
//! 5. Sweep what both marks left unmarked, in an order that never leaves a live manifest without
//!    its blobs: (0) crash leftovers older than the grace period (tag directories without
//!    `current/link`, temp files of atomic writes; uploads without `startedat` go with the
//!    uploads), which nothing reads; (a) untagged manifests, tag `index/` entries first, then the revision; (b) layer
//!    links to blobs about to go; (c) blobs, each after a fresh stat; (d) stale uploads;
//!    (e) repositories left with nothing. Then release the lock.
//!
//! A referrer whose subject is gone (an orphan) is collected with `delete_untagged` unless a tag
//! names it, like any untagged manifest; without the flag no manifest is ever deleted.

pub(crate) mod refs;
pub(crate) mod scan;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs;
use std::io;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::digest::Digest;
use crate::oci::reference::{Name, Tag};
use crate::storage::backend::Storage;
use crate::storage::coordinator::{Coordinator, Fence, Guard, LockError as CoordinatorLockError};
use crate::storage::paths::{self, Key};
use crate::storage::settings::{StorageSettings, Store};
use crate::upload_purge;
use refs::References;
use scan::io_err;
use scan::{BlobState, Link, RepoState};

/// How a run behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// Also delete manifests no tag reaches (keeping index children and referrers of kept ones).
    pub delete_untagged: bool,
    /// Decide everything, delete nothing.
    pub dry_run: bool,
    /// Anything changed more recently than this before the run started is kept.
    pub grace: Duration,
    /// Uploads with no activity for this long are removed.
    pub uploads_older_than: Duration,
    /// Failure injection for crash tests: stop with [`GcError::Interrupted`] after this many
    /// deletions, leaving the store exactly as a killed process would.
    pub interrupt_after: Option<u64>,
    /// How long the sweep waits for a registry's in-flight pushes, mounts and upload commits
    /// (holders of the shared reference lock) before giving up with [`GcError::ServerBusy`].
    pub lock_timeout: Duration,
    /// Test hook for the interleaving tests: stop at this point until the file is removed.
    pub pause: Option<Pause>,
    /// The operator says no server writes to the store during the run (registry:2's read-only
    /// window: every replica in `storage.maintenance.readonly` or stopped). Needed to delete on a
    /// store whose locks bind only this process ([`Coordinator::spans_processes`]: S3 today).
    pub offline: bool,
    /// Test hook: the run's start `T0` instead of the clock, so tests can make files look old
    /// whose ctime they cannot set back. `None` in every real run.
    pub now: Option<SystemTime>,
    /// Who runs it, named in the audit line of each removal (`None`: `-`). Dry runs write none.
    pub audit_user: Option<String>,
}

/// Where a run stops for [`Options::pause`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseAt {
    /// After the first mark, before the sweep waits for the reference lock.
    Marked,
    /// With the reference lock held, after the re-mark, before the first deletion.
    Locked,
}

/// A pause for the interleaving tests: at `at`, gc creates `file` and waits until it is removed.
#[derive(Debug, Clone)]
pub struct Pause {
    pub at: PauseAt,
    pub file: PathBuf,
}

/// distribution's data-loss bugs came from blobs pushed just before their manifest; an hour
/// covers the gap between a layer's last byte and its manifest for any realistic push (zot's
/// `gcDelay` default is the same; Harbor uses two hours).
pub const DEFAULT_GRACE: Duration = Duration::from_secs(3600);
/// registry:2's own upload purging age (`storage.maintenance.uploadpurging.age`, 168h; its 24h
/// is the purge *interval*): an upload a client may still resume is kept as long as the
/// registry itself would keep it.
pub const DEFAULT_UPLOADS_OLDER_THAN: Duration = crate::upload_purge::AGE;
/// A push holds the reference lock for a few fsyncs; a minute of uninterrupted holding means a
/// stuck or overloaded registry, and gc should say so rather than wait forever.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(60);

impl Default for Options {
    fn default() -> Self {
        Self {
            delete_untagged: false,
            dry_run: false,
            grace: DEFAULT_GRACE,
            uploads_older_than: DEFAULT_UPLOADS_OLDER_THAN,
            interrupt_after: None,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            pause: None,
            offline: false,
            now: None,
            audit_user: None,
        }
    }
}

/// Why a run could not complete.
#[derive(Debug, thiserror::Error)]
pub enum GcError {
    #[error("storage root {0} does not exist")]
    NoStorage(PathBuf),
    #[error("cannot open the storage {store}")]
    Open {
        store: String,
        #[source]
        source: io::Error,
    },
    #[error(
        "{store} has no locks shared between processes, so {command} cannot see the pushes of \
         running servers: put every server of this store in read-only mode \
         (storage.maintenance.readonly.enabled: true) or stop them, then pass --offline"
    )]
    NeedsOffline { store: String, command: String },
    #[error("another regctl gc holds {0}; wait for it to finish")]
    Locked(String),
    #[error(
        "the registry kept pushes in progress on {path} for {}; gc stopped before deleting anything (retry, or raise the timeout)",
        humantime::format_duration(*waited)
    )]
    ServerBusy { path: String, waited: Duration },
    #[error("cannot read or delete {path}")]
    Io {
        /// The key, relative to the storage root.
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("gc interrupted after {0} deletions (failure injection)")]
    Interrupted(u64),
}

/// Something odd in the store that gc reported and stepped around.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Problem {
    /// Relative to the storage root.
    pub path: String,
    pub problem: String,
}

impl Problem {
    pub(crate) fn at(key: &Key, problem: &str) -> Self {
        Self {
            path: key.relative().to_owned(),
            problem: problem.to_owned(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RemovedBlob {
    pub digest: Digest,
    pub size: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RemovedManifest {
    pub repository: String,
    pub digest: Digest,
}

#[derive(Debug, Clone, Serialize)]
pub struct RemovedLink {
    pub repository: String,
    pub digest: Digest,
}

#[derive(Debug, Clone, Serialize)]
pub struct RemovedUpload {
    pub repository: String,
    pub id: String,
    pub size: u64,
    /// No `startedat`: the data of a monolithic `POST ?digest=` that was killed, under an id no
    /// client knows; collected once older than the grace period instead of the purge age.
    pub orphan: bool,
}

/// A temp file of an atomic write that a crash left behind (`.<name>.tmp-<hex>`).
#[derive(Debug, Clone, Serialize)]
pub struct RemovedFile {
    /// Relative to the storage root.
    pub path: String,
    pub size: u64,
}

/// A tag directory without `current/link`: the trace of a tag write that was killed. Neither
/// registry serves it as a tag, so its files (temp files, `index/` history links) go with it;
/// the manifests those links name stay as revisions.
#[derive(Debug, Clone, Serialize)]
pub struct RemovedTag {
    pub repository: String,
    pub tag: String,
    /// Files removed with it, and their bytes.
    pub files: u64,
    pub size: u64,
}

/// Things gc kept although they looked collectable, and why.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Kept {
    /// Unreferenced but changed within the grace period.
    pub young_blobs: u64,
    /// Untagged but pushed within the grace period.
    pub young_manifests: u64,
    /// Unreferenced at the first mark but referenced by the re-mark under the reference lock
    /// (pushed, mounted or linked meanwhile).
    pub relinked_blobs: u64,
    /// Crash leftovers (temp files, tags without `current/link`, uploads without `startedat`)
    /// written within the grace period: possibly a write still in progress.
    pub young_leftovers: u64,
}

/// What a run did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub dry_run: bool,
    pub delete_untagged: bool,
    /// `--grace`, in seconds: anything changed more recently than this before the run is kept.
    pub grace_seconds: u64,
    /// `--uploads-older-than`, in seconds.
    pub uploads_older_than_seconds: u64,
    pub repositories_scanned: usize,
    pub manifests_live: usize,
    pub blobs_scanned: usize,
    pub blobs_marked: usize,
    /// Bytes of blob data before the run.
    pub bytes_scanned: u64,
    pub bytes_reclaimed: u64,
    pub blobs_removed: Vec<RemovedBlob>,
    pub manifests_removed: Vec<RemovedManifest>,
    pub layer_links_removed: Vec<RemovedLink>,
    pub uploads_removed: Vec<RemovedUpload>,
    /// Crash leftovers: temp files of atomic writes under `repositories/` and `blobs/`.
    pub temp_files_removed: Vec<RemovedFile>,
    /// Crash leftovers: tag directories without `current/link`.
    pub unfinished_tags_removed: Vec<RemovedTag>,
    pub repositories_removed: Vec<String>,
    pub repositories_touched: BTreeSet<String>,
    pub kept: Kept,
    /// Set when a live manifest could not be read: blobs are then not swept at all.
    pub blob_sweep_skipped: Option<String>,
    pub problems: Vec<Problem>,
}

/// Progress callbacks for long runs.
pub trait Observer {
    /// A new phase with `total` steps.
    fn phase(&mut self, _name: &str, _total: u64) {}
    /// One step of the current phase done.
    fn advance(&mut self) {}
}

/// An observer that ignores everything.
#[derive(Debug, Default)]
pub struct Silent;
impl Observer for Silent {}

/// Opens the store `settings` names for gc or fsck: a filesystem root must exist (gc never
/// creates an empty store to collect).
///
/// # Errors
/// [`GcError::NoStorage`] for a missing root, [`GcError::Open`] when the backend cannot start.
pub fn open(settings: &StorageSettings) -> Result<Store, GcError> {
    if let Some(root) = settings.filesystem_root() {
        if !root.is_dir() {
            return Err(GcError::NoStorage(root.to_path_buf()));
        }
    }
    settings.open().map_err(|source| GcError::Open {
        store: settings.describe(),
        source,
    })
}

/// Runs gc on a registry:2 store through its [`Storage`] and [`Coordinator`].
///
/// # Errors
/// [`GcError`] when another gc holds the lock, a prefix cannot be listed, or a deletion fails.
/// A failure mid-sweep leaves a consistent store: every deletion is of something nothing live
/// needs, in an order that keeps that true at every step.
pub fn collect(
    store: &Store,
    options: &Options,
    observer: &mut dyn Observer,
) -> Result<Report, GcError> {
    let report = Report {
        dry_run: options.dry_run,
        delete_untagged: options.delete_untagged,
        grace_seconds: options.grace.as_secs(),
        uploads_older_than_seconds: options.uploads_older_than.as_secs(),
        ..Report::default()
    };
    let storage = &*store.data;
    if !options.dry_run {
        check_coordinated(store, options.offline, "gc")?;
    }
    let root = paths::root();
    if storage.list(&root).map_err(io_err(&root))?.is_empty() {
        return Ok(report);
    }
    // Offline, no server writes (the operator's word): no lock is needed, or possible on a
    // server without conditional writes.
    let _lock = if options.dry_run || options.offline {
        None
    } else {
        Some(lock(&*store.locks)?)
    };
    let started = options.now.unwrap_or_else(SystemTime::now);
    let mut run = Run {
        storage,
        locks: &*store.locks,
        options,
        cutoff: started.checked_sub(options.grace).unwrap_or(started),
        manifests: HashMap::new(),
        marked: HashSet::new(),
        deletions: AtomicU64::new(0),
        fence: Guard::none().fence(),
        report,
    };
    run.execute(started, observer)?;
    Ok(run.report)
}

/// Refuses to change a store next to running servers when its locks do not reach them, unless
/// the operator vouches that none writes (`offline`).
///
/// # Errors
/// [`GcError::NeedsOffline`].
pub(crate) fn check_coordinated(
    store: &Store,
    offline: bool,
    command: &str,
) -> Result<(), GcError> {
    if offline || store.locks.spans_processes() {
        return Ok(());
    }
    Err(GcError::NeedsOffline {
        store: store.data.describe(),
        command: command.to_owned(),
    })
}

/// The one-collector lock ([`Coordinator::collector_lock`]; on the filesystem, `flock` on
/// `.regctl-gc.lock`, tried without waiting).
pub(crate) fn lock(locks: &dyn Coordinator) -> Result<Guard, GcError> {
    let key = paths::collector_lock();
    locks.collector_lock().map_err(|e| match e {
        CoordinatorLockError::Busy { .. } => GcError::Locked(key.relative().to_owned()),
        CoordinatorLockError::Io { source, .. } => io_err(&key)(source),
    })
}

/// Takes the reference lock exclusively ([`Coordinator::sweep_lock`]), waiting for the
/// registry's in-flight operations (each holds it shared for milliseconds) but at most `timeout`.
/// Polled, so a run that gives up leaves no thread behind that could take the lock later.
pub(crate) fn lock_references(
    locks: &dyn Coordinator,
    timeout: Duration,
) -> Result<Guard, GcError> {
    let key = paths::reference_lock();
    locks.sweep_lock(timeout).map_err(|e| match e {
        CoordinatorLockError::Busy { waited, .. } => GcError::ServerBusy {
            path: key.relative().to_owned(),
            waited,
        },
        CoordinatorLockError::Io { source, .. } => io_err(&key)(source),
    })
}

/// Why a manifest's references are unknown.
#[derive(Debug, Clone)]
enum Unavailable {
    Missing,
    Unreadable(String),
}

/// Which manifests of one repository live, and which may go.
#[derive(Debug, Default)]
struct RepoPlan {
    live: BTreeSet<Digest>,
    deletable: BTreeSet<Digest>,
}

struct Run<'a> {
    storage: &'a dyn Storage,
    locks: &'a dyn Coordinator,
    options: &'a Options,
    cutoff: SystemTime,
    manifests: HashMap<Digest, Result<Rc<References>, Unavailable>>,
    marked: HashSet<Digest>,
    deletions: AtomicU64,
    /// Whether the sweep lock is still held (always, for `flock`).
    fence: Fence,
    report: Report,
}

impl Run<'_> {
    fn execute(&mut self, started: SystemTime, observer: &mut dyn Observer) -> Result<(), GcError> {
        let (names, invalid) = scan::repositories(self.storage, &mut self.report.problems)?;
        if let Some(first) = invalid.first() {
            self.report
                .blob_sweep_skipped
                .get_or_insert(format!("{}: {}", first.path, first.problem));
        }
        self.report.problems.extend(invalid);
        self.report.repositories_scanned = names.len();
        observer.phase("marking", names.len() as u64);
        let mut states = BTreeMap::new();
        let mut plans = BTreeMap::new();
        for name in &names {
            let state = scan::repository(
                self.storage,
                name,
                scan::LayerLinks::Sizes,
                &mut self.report.problems,
            )?;
            let plan = self.plan(&state, true);
            self.report.manifests_live += plan.live.len();
            plans.insert(name.clone(), plan);
            states.insert(name.clone(), state);
            observer.advance();
        }

        let blobs = scan::blobs(self.storage, &mut self.report.problems)?;
        self.report.blobs_scanned = blobs.len();
        self.report.bytes_scanned = blobs.iter().map(|b| b.size).sum();
        let unmarked: Vec<BlobState> = blobs
            .into_iter()
            .filter(|b| !self.marked.contains(&b.digest))
            .filter(|b| {
                let young = b.changed >= self.cutoff;
                if young {
                    self.report.kept.young_blobs += 1;
                }
                !young
            })
            .collect();
        self.pause(PauseAt::Marked);

        // From here to the end of the sweep no registry taking part in the protocol can make a
        // blob referenced: the re-mark below sees everything they did before, and nothing
        // happens after until the sweep is over. A dry run changes nothing and takes no lock.
        let _reference_lock = if self.options.dry_run || self.options.offline {
            None
        } else {
            let guard = lock_references(self.locks, self.options.lock_timeout)?;
            self.fence = guard.fence();
            Some(guard)
        };
        if !self.options.dry_run {
            (states, plans) = self.remark(&plans, observer)?;
        }
        self.pause(PauseAt::Locked);

        // Crash leftovers first: nothing reads them, and a blob directory a temp file kept from
        // being empty can then go with its blob.
        let tag_dirs = self.sweep_unfinished_tags(&states)?;
        self.sweep_temp_files(&tag_dirs)?;
        self.sweep_stray_pull_records(&states)?;

        if self.options.delete_untagged {
            observer.phase("removing untagged manifests", plans.len() as u64);
            for (name, plan) in &plans {
                if !plan.deletable.is_empty() {
                    self.sweep_manifests(&states[name], &plan.deletable)?;
                }
                observer.advance();
            }
        }
        self.report.blobs_marked = self.marked.len();

        let sweep_blobs = self.report.blob_sweep_skipped.is_none();
        let mut candidates = BTreeMap::new();
        if sweep_blobs {
            for blob in unmarked {
                if self.marked.contains(&blob.digest) {
                    self.report.kept.relinked_blobs += 1;
                } else {
                    candidates.insert(blob.digest, blob);
                }
            }
        }

        if sweep_blobs {
            self.sweep_layer_links(&states, &candidates)?;
            observer.phase("removing blobs", candidates.len() as u64);
            self.sweep_blobs(candidates, observer)?;
        }
        self.sweep_uploads(&states, started)?;
        self.sweep_repositories(&states)?;
        Ok(())
    }

    /// Marks again under the reference lock, reading every repository afresh (manifest contents
    /// are content-addressed, so only their links are re-read; manifests missing or unreadable
    /// before are read again). Returns the fresh states, with the manifests still deletable
    /// being those unreachable in both marks. `self.marked` becomes the union of both marks.
    #[allow(clippy::type_complexity)]
    fn remark(
        &mut self,
        first: &BTreeMap<String, RepoPlan>,
        observer: &mut dyn Observer,
    ) -> Result<(BTreeMap<String, RepoState>, BTreeMap<String, RepoPlan>), GcError> {
        // Problems were reported by the first mark; what changed since is the registry's doing.
        let mut ignored = Vec::new();
        let (names, invalid) = scan::repositories(self.storage, &mut ignored)?;
        if let Some(first) = invalid.first() {
            self.report
                .blob_sweep_skipped
                .get_or_insert(format!("{}: {}", first.path, first.problem));
        }
        self.manifests.retain(|_, known| known.is_ok());
        observer.phase("marking again", names.len() as u64);
        let mut states = BTreeMap::new();
        let mut plans = BTreeMap::new();
        for name in names {
            let state =
                scan::repository(self.storage, &name, scan::LayerLinks::Sizes, &mut ignored)?;
            let mut plan = self.plan(&state, false);
            plan.deletable = first.get(&name).map_or_else(BTreeSet::new, |before| {
                before
                    .deletable
                    .intersection(&plan.deletable)
                    .cloned()
                    .collect()
            });
            plans.insert(name.clone(), plan);
            states.insert(name, state);
            observer.advance();
        }
        Ok((states, plans))
    }

    /// The interleaving tests' hook: announce the stop with the file, wait for its removal.
    fn pause(&self, at: PauseAt) {
        let Some(pause) = self.options.pause.as_ref().filter(|p| p.at == at) else {
            return;
        };
        if fs::write(&pause.file, b"paused").is_err() {
            return;
        }
        while pause.file.exists() {
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The references of manifest `digest`, read once per run.
    fn references(&mut self, digest: &Digest) -> Result<Rc<References>, Unavailable> {
        if let Some(known) = self.manifests.get(digest) {
            return known.clone();
        }
        let key = paths::blob_data(digest);
        let result = match self.storage.head(&key) {
            Ok(None) => Err(Unavailable::Missing),
            Err(e) => Err(Unavailable::Unreadable(e.to_string())),
            Ok(Some(meta)) if meta.len > refs::MAX_MANIFEST => Ok(Rc::new(References::default())),
            Ok(Some(_)) => match self.storage.get(&key, refs::MAX_MANIFEST) {
                Ok(Some(bytes)) => Ok(Rc::new(refs::parse(&bytes))),
                Ok(None) => Err(Unavailable::Missing),
                Err(e) => Err(Unavailable::Unreadable(e.to_string())),
            },
        };
        self.manifests.insert(*digest, result.clone());
        result
    }

    /// Decides which manifests of `state` live and marks everything they reference.
    fn plan(&mut self, state: &RepoState, report_problems: bool) -> RepoPlan {
        let mut roots: Vec<Digest> = Vec::new();
        if let Some(reason) = &state.uncertain {
            self.report.blob_sweep_skipped.get_or_insert(reason.clone());
        }
        if self.options.delete_untagged && state.uncertain.is_none() {
            for tag in &state.tags {
                if let Some(current) = &tag.current {
                    roots.push(*current);
                } else if tag.current_corrupt {
                    // The tag's target is unknown: keep everything it ever pointed at.
                    roots.extend(tag.index.iter().cloned());
                }
            }
            for (digest, entry) in &state.revisions {
                if entry.link == Link::Corrupt {
                    roots.push(*digest);
                } else if entry.changed >= self.cutoff {
                    if report_problems {
                        self.report.kept.young_manifests += 1;
                    }
                    roots.push(*digest);
                }
            }
        } else {
            roots.extend(state.revisions.keys().cloned());
            roots.extend(state.tags.iter().filter_map(|t| t.current));
        }

        let mut live = BTreeSet::new();
        let mut queue = roots;
        loop {
            while let Some(digest) = queue.pop() {
                if !live.insert(digest) {
                    continue;
                }
                match self.references(&digest) {
                    Ok(refs) => queue.extend(refs.children.iter().cloned()),
                    Err(why) => self.manifest_unavailable(state, &digest, &why, report_problems),
                }
            }
            // Referrers live while their subject does.
            for digest in state.revisions.keys() {
                if live.contains(digest) {
                    continue;
                }
                if let Ok(refs) = self.references(digest) {
                    if refs.subject.as_ref().is_some_and(|s| live.contains(s)) {
                        queue.push(*digest);
                    }
                }
            }
            if queue.is_empty() {
                break;
            }
        }

        // A layer link written within the grace is an upload or mount whose manifest may still
        // be on its way (or was just pushed): its blob stays whatever the manifests say.
        for (digest, entry) in &state.layers {
            if entry.changed >= self.cutoff {
                self.marked.insert(*digest);
            }
        }
        for digest in &live {
            self.marked.insert(*digest);
            if let Ok(refs) = self.references(digest) {
                if refs.fallback && report_problems {
                    self.report.problems.push(Problem::at(
                        &paths::blob_data(digest),
                        &format!(
                            "manifest {digest} of {} is not a format gc knows; every digest it \
                             mentions is kept",
                            state.name
                        ),
                    ));
                }
                self.marked.extend(refs.blobs.iter().cloned());
                self.marked.extend(refs.children.iter().cloned());
            }
        }
        let deletable = state
            .revisions
            .keys()
            .filter(|d| !live.contains(*d))
            .cloned()
            .collect();
        RepoPlan { live, deletable }
    }

    fn manifest_unavailable(
        &mut self,
        state: &RepoState,
        digest: &Digest,
        why: &Unavailable,
        report_problems: bool,
    ) {
        let linked = state.revisions.contains_key(digest)
            || state
                .tags
                .iter()
                .any(|t| t.current.as_ref() == Some(digest));
        let key = paths::blob_data(digest);
        match why {
            // An index child or tag target never pushed here, or a manifest whose blob is already
            // gone: nothing it referenced can be found from it, and it cannot be served anyway.
            Unavailable::Missing if linked && report_problems => {
                self.report.problems.push(Problem::at(
                    &key,
                    &format!(
                        "manifest {digest} linked in {} has no data; its references are unknown",
                        state.name
                    ),
                ));
            }
            Unavailable::Missing => {}
            Unavailable::Unreadable(error) => {
                let reason = format!("manifest {digest} of {} is unreadable: {error}", state.name);
                if report_problems {
                    self.report.problems.push(Problem::at(&key, &reason));
                }
                // Fail closed: its blobs are unknown, so no blob may be deleted.
                self.report.blob_sweep_skipped.get_or_insert(reason);
            }
        }
    }

    /// Who the audit lines name.
    fn audit_user(&self) -> &str {
        self.options.audit_user.as_deref().unwrap_or("-")
    }

    /// The audit line of one removal (never for a dry run, which removes nothing).
    fn audit(
        &self,
        kind: &'static str,
        repository: &str,
        reference: &str,
        digest: Option<&Digest>,
        size: Option<u64>,
    ) {
        if self.options.dry_run {
            return;
        }
        audit_removal(self.audit_user(), kind, repository, reference, digest, size);
    }

    /// The audit line of a removal that failed and was left in place (the last problem says why).
    fn audit_failure(&self, kind: &'static str, repository: &str, reference: &str) {
        crate::audit::Entry {
            kind: Some(kind),
            result: crate::audit::Outcome::Failed,
            reference,
            error: self.report.problems.last().map(|p| p.problem.as_str()),
            ..crate::audit::Entry::new(GC_ACTION, self.audit_user(), repository)
        }
        .emit();
    }

    fn deleting(&self) -> Result<(), GcError> {
        count_deletion(&self.deletions, self.options.interrupt_after, &self.fence)
    }

    /// Deletes the file `key` (counted for failure injection).
    fn delete(&self, key: &Key) -> Result<(), GcError> {
        self.deleting()?;
        self.storage.delete(key).map_err(io_err(key))
    }

    /// Deletes everything below `prefix` (counted for failure injection).
    fn delete_tree(&self, prefix: &Key) -> Result<(), GcError> {
        self.deleting()?;
        self.storage.delete_tree(prefix).map_err(io_err(prefix))
    }

    /// Removes a tree that a registry may be writing into right now (an upload, a repository):
    /// failing is reported and the run goes on.
    fn delete_tree_or_report(&mut self, prefix: &Key) -> Result<bool, GcError> {
        match self.delete_tree(prefix) {
            Ok(()) => Ok(true),
            Err(GcError::Io { path, source }) => {
                let problem = format!("changed while gc was removing it ({source}); left in place");
                self.report.problems.push(Problem { path, problem });
                Ok(false)
            }
            Err(other) => Err(other),
        }
    }

    /// Deletes untagged manifests of one repository, unreachable in both marks (`state` is the
    /// re-mark's, so a tag, index or referrer that arrived since the first mark keeps what it
    /// needs).
    fn sweep_manifests(
        &mut self,
        state: &RepoState,
        deletable: &BTreeSet<Digest>,
    ) -> Result<(), GcError> {
        let name = state.name.clone();
        let Ok(repo) = Name::parse(&name) else {
            return Ok(());
        };
        for digest in deletable.iter().copied() {
            if !self.options.dry_run {
                for tag in &state.tags {
                    let Ok(tag_name) = Tag::parse(&tag.name) else {
                        continue;
                    };
                    if tag.index.contains(&digest) {
                        self.delete(&paths::manifest_tag_index_link(repo, tag_name, &digest))?;
                    }
                }
                if let Ok(refs) = self.references(&digest) {
                    if let Some(subject) = &refs.subject {
                        self.remove_referrer_entries(repo, subject, &digest)?;
                    }
                }
                if state.pulled.contains_key(&digest) {
                    self.delete(&paths::manifest_pull_record(repo, &digest))?;
                }
                // Only the link: a `_referrers` index of a tagged referrer below the same
                // revision, or a link re-pushed this instant, is left alone.
                self.delete(&paths::manifest_revision_link(repo, &digest))?;
            }
            self.audit("manifest", &name, "-", Some(&digest), None);
            self.report.manifests_removed.push(RemovedManifest {
                repository: name.clone(),
                digest,
            });
            self.report.repositories_touched.insert(name.clone());
        }
        Ok(())
    }

    /// Removes `referrer` from the referrers index regctl keeps under its subject's revision
    /// (`_referrers/_<artifactType>/sha256/<hex>/link`, distribution PR #4828).
    fn remove_referrer_entries(
        &mut self,
        name: Name<'_>,
        subject: &Digest,
        referrer: &Digest,
    ) -> Result<(), GcError> {
        let dir = paths::referrers_dir(name, subject);
        for artifact_type in scan::prefixes(self.storage, &dir)? {
            let link = paths::referrers_of_type(&dir, &artifact_type)
                .and_then(|of_type| paths::child(&of_type, referrer.hex()))
                .and_then(|entry| paths::child(&entry, "link"));
            if let Some(link) = link {
                if self.storage.head(&link).map_err(io_err(&link))?.is_some() {
                    self.delete(&link)?;
                }
            }
        }
        Ok(())
    }

    /// Removes `_layers` links to blobs that are about to be deleted (or already are).
    fn sweep_layer_links(
        &mut self,
        states: &BTreeMap<String, RepoState>,
        candidates: &BTreeMap<Digest, BlobState>,
    ) -> Result<(), GcError> {
        let mut links = Vec::new();
        for (name, state) in states {
            for (digest, entry) in &state.layers {
                if entry.link != Link::Valid || entry.changed >= self.cutoff {
                    continue;
                }
                let dangling = !candidates.contains_key(digest)
                    && !self.marked.contains(digest)
                    && scan::blob(self.storage, digest)?.is_none();
                if candidates.contains_key(digest) || dangling {
                    links.push((name.clone(), *digest));
                }
            }
        }
        let removed: Vec<bool> = if self.options.dry_run {
            vec![true; links.len()]
        } else {
            let (storage, cutoff, user) = (self.storage, self.cutoff, self.audit_user());
            let (deletions, limit, fence) =
                (&self.deletions, self.options.interrupt_after, &self.fence);
            parallel(&links, |(name, digest)| {
                let Ok(repo) = Name::parse(name) else {
                    return Ok(false);
                };
                let link = paths::layer_link(repo, digest);
                // Re-check: a push that relinked the blob since the mark rewrote the link.
                let fresh = storage.head(&link).map_err(io_err(&link))?;
                if fresh.is_some_and(|meta| meta.changed >= cutoff) {
                    return Ok(false);
                }
                count_deletion(deletions, limit, fence)?;
                storage.delete(&link).map_err(io_err(&link))?;
                // Here, not after the batch: a later failure must not lose the line of a done
                // removal.
                audit_removal(user, "layer-link", name, "-", Some(digest), None);
                Ok(true)
            })?
        };
        for ((repository, digest), removed) in links.into_iter().zip(removed) {
            if removed {
                self.report.repositories_touched.insert(repository.clone());
                self.report
                    .layer_links_removed
                    .push(RemovedLink { repository, digest });
            }
        }
        Ok(())
    }

    /// Deletes blobs unmarked in both marks, each after a fresh look (still old, still there).
    /// No repository can link one of them meanwhile: the reference lock is held.
    fn sweep_blobs(
        &mut self,
        candidates: BTreeMap<Digest, BlobState>,
        observer: &mut dyn Observer,
    ) -> Result<(), GcError> {
        let candidates: Vec<BlobState> = candidates.into_values().collect();
        for chunk in candidates.chunks(BLOB_CHUNK) {
            let outcomes: Vec<BlobOutcome> = if self.options.dry_run {
                chunk.iter().map(|b| BlobOutcome::Removed(b.size)).collect()
            } else {
                let (storage, cutoff, user) = (self.storage, self.cutoff, self.audit_user());
                let (deletions, limit, fence) =
                    (&self.deletions, self.options.interrupt_after, &self.fence);
                parallel(chunk, |planned| {
                    let Some(now) = scan::blob(storage, &planned.digest)? else {
                        return Ok(BlobOutcome::Gone);
                    };
                    if now.changed >= cutoff {
                        return Ok(BlobOutcome::Young);
                    }
                    count_deletion(deletions, limit, fence)?;
                    let data = paths::blob_data(&planned.digest);
                    storage.delete(&data).map_err(io_err(&data))?;
                    audit_removal(
                        user,
                        "blob",
                        "-",
                        "-",
                        Some(&planned.digest),
                        Some(now.size),
                    );
                    Ok(BlobOutcome::Removed(now.size))
                })?
            };
            for (planned, outcome) in chunk.iter().zip(outcomes) {
                observer.advance();
                match outcome {
                    BlobOutcome::Removed(size) => {
                        self.report.bytes_reclaimed += size;
                        self.report.blobs_removed.push(RemovedBlob {
                            digest: planned.digest,
                            size,
                        });
                    }
                    BlobOutcome::Young => self.report.kept.young_blobs += 1,
                    BlobOutcome::Gone => {}
                }
            }
        }
        Ok(())
    }

    fn sweep_uploads(
        &mut self,
        states: &BTreeMap<String, RepoState>,
        started: SystemTime,
    ) -> Result<(), GcError> {
        for (name, state) in states {
            for upload in &state.uploads {
                // Without `startedat` no client was ever given the id (a killed monolithic
                // `POST ?digest=`), so only a write in progress could still need it: the grace
                // period is the right age, not the purge age for resumable sessions.
                let orphan = !upload.has_started_at;
                let stale = if orphan {
                    upload_purge::is_stale(None, upload.last_write, started, self.options.grace)
                } else {
                    upload_purge::is_stale(
                        upload.started_at,
                        upload.last_write,
                        started,
                        self.options.uploads_older_than,
                    )
                };
                if !stale {
                    if orphan {
                        self.report.kept.young_leftovers += 1;
                    }
                    continue;
                }
                if !self.options.dry_run {
                    let Ok(repo) = Name::parse(name) else {
                        continue;
                    };
                    let Some(key) = paths::child(&paths::uploads_root(repo), &upload.id) else {
                        continue;
                    };
                    if !self.delete_tree_or_report(&key)? {
                        self.audit_failure("upload", name, &upload.id);
                        continue;
                    }
                }
                self.audit("upload", name, &upload.id, None, Some(upload.bytes));
                self.report.bytes_reclaimed += upload.bytes;
                self.report.uploads_removed.push(RemovedUpload {
                    repository: name.clone(),
                    id: upload.id.clone(),
                    size: upload.bytes,
                    orphan,
                });
                self.report.repositories_touched.insert(name.clone());
            }
        }
        Ok(())
    }

    /// Removes pull records of revisions that are no longer linked (deleted by a registry:2,
    /// which knows nothing of them) once older than the grace period, so they do not keep a
    /// revision's directory forever. Under the reference lock, which every record write holds
    /// while it checks that the link exists.
    fn sweep_stray_pull_records(
        &mut self,
        states: &BTreeMap<String, RepoState>,
    ) -> Result<(), GcError> {
        for (name, state) in states {
            let Ok(repo) = Name::parse(name) else {
                continue;
            };
            for (digest, changed) in &state.pulled {
                if state.revisions.contains_key(digest) || *changed >= self.cutoff {
                    continue;
                }
                if !self.options.dry_run {
                    self.delete(&paths::manifest_pull_record(repo, digest))?;
                }
            }
        }
        Ok(())
    }

    /// Removes tags without `current/link` whose every file (crash leftovers included) is older
    /// than the grace period: a killed tag write, which neither regctl nor registry:2 serves as
    /// a tag. Runs under the reference lock, which every regctl tag write holds, so the check
    /// that `current/link` is still absent cannot be overtaken by one. Returns the keys of every
    /// such tag it looked at, removed or kept, so their temp files are not counted twice.
    fn sweep_unfinished_tags(
        &mut self,
        states: &BTreeMap<String, RepoState>,
    ) -> Result<Vec<Key>, GcError> {
        let mut handled = Vec::new();
        for (name, state) in states {
            let Ok(repo) = Name::parse(name) else {
                continue;
            };
            for tag_state in &state.tags {
                if tag_state.current.is_some() || tag_state.current_corrupt {
                    continue;
                }
                let Ok(tag) = Tag::parse(&tag_state.name) else {
                    continue;
                };
                let key = paths::manifest_tag(repo, tag);
                let (mut files, mut size, mut newest) = (0u64, 0u64, SystemTime::UNIX_EPOCH);
                let mut count = |meta: &crate::storage::backend::Meta| {
                    files += 1;
                    size += meta.len;
                    newest = newest.max(meta.modified);
                };
                self.storage
                    .walk(&key, &|_| true, &mut |entry| count(&entry.meta))
                    .map_err(io_err(&key))?;
                self.storage
                    .crash_leftovers(&key, &|_| true, &mut |entry| count(&entry.meta))
                    .map_err(io_err(&key))?;
                handled.push(key.clone());
                if newest >= self.cutoff {
                    self.report.kept.young_leftovers += 1;
                    continue;
                }
                if !self.options.dry_run {
                    // A tag write that began since the scan makes the tag real: leave it.
                    let current = paths::manifest_tag_current_link(repo, tag);
                    if self
                        .storage
                        .head(&current)
                        .map_err(io_err(&current))?
                        .is_some()
                    {
                        continue;
                    }
                    if !self.delete_tree_or_report(&key)? {
                        self.audit_failure("unfinished-tag", name, &tag_state.name);
                        continue;
                    }
                }
                self.audit("unfinished-tag", name, &tag_state.name, None, Some(size));
                self.report.bytes_reclaimed += size;
                self.report.unfinished_tags_removed.push(RemovedTag {
                    repository: name.clone(),
                    tag: tag_state.name.clone(),
                    files,
                    size,
                });
                self.report.repositories_touched.insert(name.clone());
            }
        }
        Ok(handled)
    }

    /// Removes the backend's crash leftovers ([`Storage::crash_leftovers`]: temp files of atomic
    /// writes on the filesystem, nothing on S3) under `repositories/` and `blobs/` older than the
    /// grace period. Uploads are skipped (a stale upload goes as a whole), and so are the tags
    /// [`Self::sweep_unfinished_tags`] looked at.
    fn sweep_temp_files(&mut self, handled: &[Key]) -> Result<(), GcError> {
        let enter = |dir: &Key| dir.name() != "_uploads" && !handled.contains(dir);
        let mut temps = Vec::new();
        for top in [paths::repositories_root(), paths::blobs_sha256_root()] {
            self.storage
                .crash_leftovers(&top, &enter, &mut |entry| temps.push(entry))
                .map_err(io_err(&top))?;
        }
        temps.sort_by(|a, b| a.key.cmp(&b.key));
        for temp in temps {
            if temp.meta.modified >= self.cutoff {
                self.report.kept.young_leftovers += 1;
                continue;
            }
            if !self.options.dry_run {
                self.delete(&temp.key)?;
            }
            self.audit(
                "temp-file",
                "-",
                temp.key.relative(),
                None,
                Some(temp.meta.len),
            );
            self.report.bytes_reclaimed += temp.meta.len;
            self.report.temp_files_removed.push(RemovedFile {
                path: temp.key.relative().to_owned(),
                size: temp.meta.len,
            });
        }
        Ok(())
    }

    /// Removes repositories with no tags, manifests or uploads left (and no recently written
    /// layer link, the first trace of a push in progress), so they leave the catalog.
    fn sweep_repositories(&mut self, states: &BTreeMap<String, RepoState>) -> Result<(), GcError> {
        let removed_manifests: HashSet<(String, Digest)> = self
            .report
            .manifests_removed
            .iter()
            .map(|m| (m.repository.clone(), m.digest))
            .collect();
        let removed_uploads: HashSet<(String, String)> = self
            .report
            .uploads_removed
            .iter()
            .map(|u| (u.repository.clone(), u.id.clone()))
            .collect();
        for (name, marked_state) in states {
            let state = if self.options.dry_run {
                let mut predicted = marked_state.clone();
                predicted
                    .revisions
                    .retain(|d, _| !removed_manifests.contains(&(name.clone(), *d)));
                predicted
                    .uploads
                    .retain(|u| !removed_uploads.contains(&(name.clone(), u.id.clone())));
                predicted.tags.retain(|t| {
                    !self
                        .report
                        .unfinished_tags_removed
                        .iter()
                        .any(|r| r.repository == *name && r.tag == t.name)
                });
                predicted
            } else {
                let mut ignored = Vec::new();
                scan::repository(self.storage, name, scan::LayerLinks::Sizes, &mut ignored)?
            };
            // Any tag left keeps the repository: a live or corrupt tag, or one without
            // `current/link` still inside the grace period (a tag write in progress).
            let tagged = !state.tags.is_empty();
            let busy = state.layers.values().any(|l| l.changed >= self.cutoff);
            if tagged || !state.revisions.is_empty() || !state.uploads.is_empty() || busy {
                continue;
            }
            if !self.options.dry_run {
                let Ok(repo) = Name::parse(name) else {
                    continue;
                };
                // Only the repository's own data: a nested repository below it (`a/b` under
                // `a`) is a sibling prefix of these and stays.
                let own = [
                    Some(paths::manifests_root(repo)),
                    paths::child(&paths::repository(repo), "_layers"),
                    Some(paths::uploads_root(repo)),
                ];
                let mut removed = true;
                for key in own.into_iter().flatten() {
                    removed = removed && self.delete_tree_or_report(&key)?;
                }
                if !removed {
                    self.audit_failure("repository", name, "-");
                    continue;
                }
            }
            self.audit("repository", name, "-", None, None);
            self.report.repositories_removed.push(name.clone());
            self.report.repositories_touched.insert(name.clone());
        }
        Ok(())
    }
}

/// The `action` of gc's audit lines.
pub const GC_ACTION: &str = "gc-remove";

/// One removal's audit line: borrowed fields and the digest formatted into the line, so a
/// sweep of 100k blobs allocates nothing for its audit trail.
fn audit_removal(
    user: &str,
    kind: &'static str,
    repository: &str,
    reference: &str,
    digest: Option<&Digest>,
    size: Option<u64>,
) {
    crate::audit::Entry {
        kind: Some(kind),
        reference,
        digest,
        size,
        ..crate::audit::Entry::new(GC_ACTION, user, repository)
    }
    .emit();
}

/// What happened to one candidate blob.
enum BlobOutcome {
    Removed(u64),
    Young,
    Gone,
}

/// Blobs deleted between two progress updates.
const BLOB_CHUNK: usize = 256;

/// Deletions run on this many threads: an unlink can wait for the journal, an object store's
/// DELETE for a round trip, so overlapping them pays off even with few cores.
const DELETE_THREADS: usize = 8;

/// Counts one deletion; with failure injection, refuses the one past the limit, so exactly
/// `limit` deletions happen whatever the threads do.
fn count_deletion(deletions: &AtomicU64, limit: Option<u64>, fence: &Fence) -> Result<(), GcError> {
    // The sweep lock must still be ours (an object-store lease can be lost while stalled).
    fence().map_err(io_err(&paths::sweep_marker()))?;
    let done = deletions.fetch_add(1, Ordering::SeqCst);
    match limit {
        Some(limit) if done >= limit => Err(GcError::Interrupted(limit)),
        _ => Ok(()),
    }
}

/// Runs `work` on every item on [`DELETE_THREADS`] threads, results in item order; the first
/// error stops the hand-out of further items and is returned.
fn parallel<T: Sync, R: Send>(
    items: &[T],
    work: impl Fn(&T) -> Result<R, GcError> + Sync,
) -> Result<Vec<R>, GcError> {
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let results: Mutex<Vec<(usize, Result<R, GcError>)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..DELETE_THREADS.min(items.len()) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= items.len() || failed.load(Ordering::SeqCst) {
                    break;
                }
                let result = work(&items[i]);
                if result.is_err() {
                    failed.store(true, Ordering::SeqCst);
                }
                results
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push((i, result));
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(PoisonError::into_inner);
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(name: &str) -> Name<'_> {
        Name::parse(name).unwrap()
    }

    fn t(tag: &str) -> Tag<'_> {
        Tag::parse(tag).unwrap()
    }

    /// Writes registry:2's layout directly.
    struct Fixture {
        root: tempfile::TempDir,
    }

    impl Fixture {
        fn new() -> Self {
            Self {
                root: tempfile::tempdir().unwrap(),
            }
        }

        /// The file a key names under this store's root.
        fn path(&self, key: &Key) -> std::path::PathBuf {
            self.root.path().join(key.relative())
        }

        fn open(&self) -> Store {
            super::open(&StorageSettings::Filesystem(self.root.path().to_path_buf())).unwrap()
        }

        fn write(path: &std::path::Path, bytes: &[u8]) {
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, bytes).unwrap();
        }

        fn blob(&self, bytes: &[u8]) -> Digest {
            let digest = Digest::parse(&format!(
                "sha256:{}",
                hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes))
            ))
            .unwrap();
            Self::write(&self.path(&paths::blob_data(&digest)), bytes);
            digest
        }

        /// An image (config + one layer) in `repo`, optionally tagged and with a subject.
        fn image(
            &self,
            repo: &str,
            name: &str,
            tag: Option<&str>,
            subject: Option<&Digest>,
        ) -> Digest {
            let config = self.blob(format!("{{\"n\":\"{name}\"}}").as_bytes());
            let layer = self.blob(format!("layer of {name}").as_bytes());
            for d in [&config, &layer] {
                Self::write(
                    &self.path(&paths::layer_link(n(repo), d)),
                    d.as_str().as_bytes(),
                );
            }
            let subject = subject.map_or(String::new(), |s| {
                format!(r#","subject":{{"digest":"{s}","size":1}}"#)
            });
            let manifest = self.blob(
                format!(
                    r#"{{"schemaVersion":2,"config":{{"digest":"{config}","size":1}},"layers":[{{"digest":"{layer}","size":1}}]{subject}}}"#
                )
                .as_bytes(),
            );
            self.link_manifest(repo, &manifest, tag);
            manifest
        }

        fn link_manifest(&self, repo: &str, manifest: &Digest, tag: Option<&str>) {
            Self::write(
                &self.path(&paths::manifest_revision_link(n(repo), manifest)),
                manifest.as_str().as_bytes(),
            );
            if let Some(tag) = tag {
                Self::write(
                    &self.path(&paths::manifest_tag_index_link(n(repo), t(tag), manifest)),
                    manifest.as_str().as_bytes(),
                );
                Self::write(
                    &self.path(&paths::manifest_tag_current_link(n(repo), t(tag))),
                    manifest.as_str().as_bytes(),
                );
            }
        }

        fn unlink_manifest(&self, repo: &str, manifest: &Digest) {
            fs::remove_file(self.path(&paths::manifest_revision_link(n(repo), manifest))).unwrap();
        }

        fn gc(&self, delete_untagged: bool) -> Report {
            let options = Options {
                delete_untagged,
                grace: Duration::ZERO,
                ..Options::default()
            };
            collect(&self.open(), &options, &mut Silent).unwrap()
        }

        fn has_blob(&self, digest: &Digest) -> bool {
            self.path(&paths::blob_data(digest)).exists()
        }
    }

    fn removed(report: &Report) -> BTreeSet<Digest> {
        report.manifests_removed.iter().map(|m| m.digest).collect()
    }

    #[test]
    fn referrers_live_with_their_subject_and_orphans_go() {
        let s = Fixture::new();
        let subject = s.image("r", "subject", Some("v1"), None);
        let signature = s.image("r", "signature", None, Some(&subject));
        let signature_of_signature = s.image("r", "sig-of-sig", None, Some(&signature));
        let gone = s.image("r", "gone", None, None);
        let orphan = s.image("r", "orphan", None, Some(&gone));
        s.unlink_manifest("r", &gone);
        let tagged_orphan = s.image("r", "tagged-orphan", Some("sig"), Some(&gone));

        let report = s.gc(true);
        assert_eq!(removed(&report), BTreeSet::from([orphan]));
        for live in [
            &subject,
            &signature,
            &signature_of_signature,
            &tagged_orphan,
        ] {
            assert!(s.has_blob(live), "{live}");
        }
        assert!(!s.has_blob(&orphan) && !s.has_blob(&gone));
    }

    #[test]
    fn index_children_live_with_a_tagged_index_and_go_with_an_untagged_one() {
        let s = Fixture::new();
        let child_a = s.image("multi", "a", None, None);
        let child_b = s.image("multi", "b", None, None);
        let index_body = format!(
            r#"{{"schemaVersion":2,"manifests":[{{"digest":"{child_a}","size":1}},{{"digest":"{child_b}","size":1}}]}}"#
        );
        let index = s.blob(index_body.as_bytes());
        s.link_manifest("multi", &index, Some("latest"));
        let lone_child = s.image("other", "c", None, None);
        let untagged_body =
            format!(r#"{{"schemaVersion":2,"manifests":[{{"digest":"{lone_child}","size":1}}]}}"#);
        let untagged_index = s.blob(untagged_body.as_bytes());
        s.link_manifest("other", &untagged_index, None);
        s.link_manifest("other", &untagged_index, Some("tmp"));
        fs::remove_dir_all(s.path(&paths::manifest_tag(n("other"), t("tmp")))).unwrap();

        let report = s.gc(true);
        assert_eq!(
            removed(&report),
            BTreeSet::from([lone_child, untagged_index])
        );
        assert!(s.has_blob(&child_a) && s.has_blob(&child_b) && s.has_blob(&index));
        assert_eq!(report.repositories_removed, vec!["other".to_owned()]);
        assert!(!s.path(&paths::repository(n("other"))).exists());
    }

    #[test]
    fn a_tag_without_current_link_goes_and_its_manifest_is_judged_untagged() {
        let s = Fixture::new();
        let kept = s.image("r", "kept", Some("v1"), None);
        let broken = s.image("r", "broken", Some("b"), None);
        let tag_dir = s.path(&paths::manifest_tag(n("r"), t("b")));
        fs::remove_file(s.path(&paths::manifest_tag_current_link(n("r"), t("b")))).unwrap();
        Fixture::write(&tag_dir.join("current/.link.tmp-0123456789abcdef"), b"sha");

        let dry = collect(
            &s.open(),
            &Options {
                dry_run: true,
                grace: Duration::ZERO,
                ..Options::default()
            },
            &mut Silent,
        )
        .unwrap();
        assert_eq!(dry.unfinished_tags_removed.len(), 1);
        assert!(dry.temp_files_removed.is_empty(), "counted with its tag");
        assert!(tag_dir.exists());

        let report = s.gc(true);
        let tags = &report.unfinished_tags_removed;
        assert_eq!((tags[0].tag.as_str(), tags[0].files), ("b", 2));
        assert_eq!(removed(&report), BTreeSet::from([broken]));
        assert!(!tag_dir.exists() && s.has_blob(&kept) && !s.has_blob(&broken));
        assert!(report.problems.is_empty(), "{:?}", report.problems);
    }

    #[test]
    fn a_young_tag_without_current_link_keeps_its_repository() {
        let s = Fixture::new();
        let tag_dir = s.path(&paths::manifest_tag(n("fresh"), t("t")));
        Fixture::write(&tag_dir.join("current/.link.tmp-0123456789abcdef"), b"");
        fs::create_dir_all(s.path(&paths::blobs_sha256_root())).unwrap();
        for dry_run in [true, false] {
            let options = Options {
                dry_run,
                ..Options::default()
            };
            let report = collect(&s.open(), &options, &mut Silent).unwrap();
            assert!(report.repositories_removed.is_empty(), "dry run {dry_run}");
            assert!(report.unfinished_tags_removed.is_empty());
            assert_eq!(report.kept.young_leftovers, 1);
        }
        assert!(tag_dir.exists());
    }

    #[test]
    fn nested_names_and_a_second_run_finds_nothing() {
        let s = Fixture::new();
        s.image("a", "parent", Some("t"), None);
        s.image("a/b/c", "nested", Some("t"), None);
        let dropped = s.image("a/b", "middle", Some("t"), None);
        s.unlink_manifest("a/b", &dropped);
        fs::remove_dir_all(s.path(&paths::manifest_tags(n("a/b")))).unwrap();

        let report = s.gc(false);
        assert_eq!(report.repositories_scanned, 3);
        assert_eq!(report.repositories_removed, vec!["a/b".to_owned()]);
        assert_eq!(report.blobs_removed.len(), 3);
        // `a/b` leaves the catalog but its directory still holds `a/b/c`.
        assert!(!s.path(&paths::manifests_root(n("a/b"))).exists());
        assert!(s.path(&paths::manifest_revisions(n("a/b/c"))).exists());
        let again = s.gc(true);
        assert!(again.blobs_removed.is_empty() && again.manifests_removed.is_empty());
        assert!(again.problems.is_empty(), "{:?}", again.problems);
    }

    /// gc through the seam on a backend with no directories at all (like S3), on locks that
    /// bind only this process: it collects exactly what the filesystem run would, and deleting
    /// is refused unless the operator vouches that no server writes (`offline`).
    #[test]
    fn on_a_directoryless_store_with_in_process_locks_deleting_needs_offline() {
        use crate::storage::backend::Durability;
        use crate::storage::memory::{MemoryCoordinator, MemoryStorage};
        let data = std::sync::Arc::new(MemoryStorage::new());
        let store = Store {
            data: data.clone(),
            locks: std::sync::Arc::new(MemoryCoordinator::new()),
        };
        let put = |key: &Key, bytes: &[u8]| data.put(key, bytes, Durability::Durable).unwrap();
        let blob = |bytes: &[u8]| {
            let digest = Digest::of(bytes);
            put(&paths::blob_data(&digest), bytes);
            digest
        };
        let layer = blob(b"kept layer");
        let orphan = blob(b"nobody needs me");
        let manifest = blob(
            format!(
                r#"{{"schemaVersion":2,"config":{{"digest":"{layer}","size":1}},"layers":[]}}"#
            )
            .as_bytes(),
        );
        put(
            &paths::manifest_revision_link(n("r"), &manifest),
            manifest.as_str().as_bytes(),
        );
        put(
            &paths::manifest_tag_current_link(n("r"), t("v1")),
            manifest.as_str().as_bytes(),
        );
        put(
            &paths::layer_link(n("r"), &orphan),
            orphan.as_str().as_bytes(),
        );
        let options = Options {
            grace: Duration::ZERO,
            ..Options::default()
        };
        let refused = collect(&store, &options, &mut Silent).unwrap_err();
        assert!(matches!(refused, GcError::NeedsOffline { .. }), "{refused}");
        assert!(refused.to_string().contains("pass --offline"));
        let report = collect(
            &store,
            &Options {
                offline: true,
                ..options
            },
            &mut Silent,
        )
        .unwrap();
        let removed: Vec<Digest> = report.blobs_removed.iter().map(|b| b.digest).collect();
        assert_eq!(removed, vec![orphan]);
        assert_eq!(report.layer_links_removed.len(), 1);
        assert!(data.head(&paths::blob_data(&orphan)).unwrap().is_none());
        assert!(data.head(&paths::blob_data(&layer)).unwrap().is_some());
        assert!(report.problems.is_empty(), "{:?}", report.problems);
    }
}
