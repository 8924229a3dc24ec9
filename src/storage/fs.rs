//! The filesystem backend: registry:2's tree under `<rootdirectory>`, as distribution's
//! `filesystem` driver lays it out (directories 0777, files 0666, both minus the umask).
//!
//! Every replacing write goes through a temp file in the destination directory, then fsync, rename
//! and a directory fsync; directories created on the way are fsynced into their parents. A reader
//! therefore sees either nothing or a complete file, and an acknowledged write survives power loss.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use super::backend::{self, Child, ChildKind, Committed, Durability, Meta, Upload, WalkEntry};
use super::chunks::FileChunks;
use super::coordinator::{Coordinator, Guard, LockError};
use super::paths::{self, Key};
use super::{BlobChunks, BlobSource, StorageError};

/// registry:2's filesystem driver rooted at `rootdirectory`.
#[derive(Debug, Clone)]
pub struct FsStorage {
    root: PathBuf,
    coordinator: FsCoordinator,
}

/// [`Coordinator`] for a filesystem store: `flock` on [`paths::reference_lock`] (shared by
/// servers, exclusive while gc sweeps) and [`paths::collector_lock`] (exclusive, tried), the files
/// and lock kinds every regctl release used. The kernel drops a dead holder's lock.
#[derive(Debug, Clone)]
pub struct FsCoordinator {
    root: PathBuf,
    reference_lock: Arc<ReferenceLock>,
}

/// The shared `flock` on [`paths::reference_lock`], opened once and counted in process.
///
/// flock belongs to the open file description, not to a thread: had every operation locked and
/// unlocked the one descriptor itself, the first to finish would release the lock under the
/// others. So the first holder takes the lock and the last one releases it.
#[derive(Debug, Default)]
struct ReferenceLock {
    state: Mutex<ReferenceLockState>,
}

#[derive(Debug, Default)]
struct ReferenceLockState {
    file: Option<File>,
    holders: usize,
}

impl ReferenceLock {
    fn acquire(self: &Arc<Self>, root: &Path) -> io::Result<Guard> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.holders == 0 {
            let file = match state.file.take() {
                Some(file) => file,
                None => {
                    // Created with its directory if needed; its content is never used.
                    crate::fsutil::open_lock_file(&root.join(paths::reference_lock().relative()))?
                }
            };
            // Blocks while a gc sweeps; later callers wait on the mutex meanwhile, which is the
            // same wait.
            let locked = crate::fsutil::lock(
                &file,
                crate::fsutil::LockKind::Shared,
                crate::fsutil::LockWait::Forever,
            )
            .map_err(io::Error::from);
            state.file = Some(file);
            locked?;
        }
        state.holders += 1;
        Ok(Guard::holding(SharedHold(Arc::clone(self))))
    }
}

/// One holder of the shared lock; the last one dropped unlocks.
struct SharedHold(Arc<ReferenceLock>);

impl Drop for SharedHold {
    fn drop(&mut self) {
        let mut state = self.0.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.holders = state.holders.saturating_sub(1);
        if state.holders == 0 {
            if let Some(file) = &state.file {
                // Closing the descriptor would release the lock too; keep it for the next holder
                // and, if unlocking fails, drop it so the kernel releases the lock.
                if file.unlock().is_err() {
                    state.file = None;
                }
            }
        }
    }
}

impl FsStorage {
    /// Uses `root` (distribution's `storage.filesystem.rootdirectory`), creating it if needed.
    ///
    /// # Errors
    /// If the directory cannot be created.
    pub fn new(root: &Path) -> io::Result<Self> {
        fs::create_dir_all(root)?;
        Ok(Self {
            root: root.to_path_buf(),
            coordinator: FsCoordinator::new(root),
        })
    }

    /// The locks of this store, sharing this backend's in-process count of reference holders.
    #[must_use]
    pub fn coordinator(&self) -> FsCoordinator {
        self.coordinator.clone()
    }

    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, key: &str) -> PathBuf {
        self.root.join(key.trim_start_matches('/'))
    }

    /// Writes `data` to a fresh temp file next to `path` and renames it over `path`.
    ///
    /// Durable writes in the push path almost always go to a directory that does not exist yet
    /// (a new blob, link or tag), so the directory is created first instead of failing an open.
    fn replace(path: &Path, data: &[u8], durable: bool) -> io::Result<()> {
        let dir = parent(path)?;
        let tmp = temp_name(path)?;
        let mut new_dirs = Vec::new();
        if durable {
            create_dirs(dir, &mut new_dirs)?;
        }
        let mut file = match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound && !durable => {
                fs::create_dir_all(dir)?;
                OpenOptions::new().write(true).create_new(true).open(&tmp)?
            }
            Err(e) => return Err(e),
        };
        let written =
            file.write_all(data)
                .and_then(|()| if durable { file.sync_data() } else { Ok(()) });
        drop(file);
        if let Err(e) = written.and_then(|()| fs::rename(&tmp, path)) {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        if durable {
            fsync_dirs(&new_dirs, dir)?;
        }
        Ok(())
    }
}

impl FsStorage {
    /// Create-if-absent: the data is written and synced under a temp name, then hard-linked to
    /// `path`, which fails if `path` exists, so readers never see a partial file and exactly
    /// one of any number of racing creators (in any process) wins. Without hard links (some
    /// network filesystems) it falls back to check-then-rename, as a blob commit does.
    fn create_new(path: &Path, data: &[u8]) -> io::Result<bool> {
        let dir = parent(path)?;
        let tmp = temp_name(path)?;
        let mut new_dirs = Vec::new();
        create_dirs(dir, &mut new_dirs)?;
        let written = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .and_then(|mut file| {
                file.write_all(data)?;
                file.sync_data()
            });
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        let created = match fs::hard_link(&tmp, path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(e),
            Err(_) if fs::symlink_metadata(path).is_ok() => Ok(false),
            Err(_) => fs::rename(&tmp, path).map(|()| true),
        };
        let _ = fs::remove_file(&tmp);
        if created? {
            fsync_dirs(&new_dirs, dir)?;
            return Ok(true);
        }
        Ok(false)
    }
}

fn parent(path: &Path) -> io::Result<&Path> {
    path.parent()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "storage key has no parent"))
}

/// `.<name>.tmp-<random>` in the same directory: registry:2 only ever reads files named `link`
/// and `data`, so a temp file left by a crash is invisible to it (and to us).
fn temp_name(path: &Path) -> io::Result<PathBuf> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "storage key has no name"))?;
    let suffix: u64 = rand::random();
    Ok(path.with_file_name(format!(".{name}.tmp-{suffix:016x}")))
}

/// fsyncs a directory so entries created or renamed in it survive a crash.
fn fsync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Creates `dir` and any missing parents, recording each parent that gained an entry in `gained`
/// (outermost first). The caller fsyncs them with [`fsync_dirs`] before it reports success:
/// deferring those fsyncs lets a journaling filesystem commit the new entries together with the
/// write that follows, instead of one journal commit per directory, and what is durable on return
/// is the same.
fn create_dirs(dir: &Path, gained: &mut Vec<PathBuf>) -> io::Result<()> {
    let created = match fs::create_dir(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            create_dirs(parent(dir)?, gained)?;
            fs::create_dir(dir)
        }
        first => first,
    };
    match created {
        Ok(()) => {
            gained.push(parent(dir)?.to_path_buf());
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// fsyncs every directory in `dirs` once, and `last` after them.
fn fsync_dirs(dirs: &[PathBuf], last: &Path) -> io::Result<()> {
    for dir in dirs {
        if dir != last {
            fsync_dir(dir)?;
        }
    }
    fsync_dir(last)
}

fn not_found_is_none<T>(result: io::Result<T>) -> io::Result<Option<T>> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if is_absent(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// "Not found", or a path component that is a file where a directory was expected.
fn is_absent(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

struct FsBlob {
    file: File,
    len: u64,
    /// Content-addressed blob data, never truncated in place, so it may be memory-mapped; an
    /// upload's data file can be cut back by a failed append.
    immutable: bool,
}

impl BlobSource for FsBlob {
    fn len(&self) -> u64 {
        self.len
    }

    fn chunks(self: Box<Self>, start: u64, len: u64) -> io::Result<Box<dyn BlobChunks>> {
        Ok(Box::new(FileChunks::new(
            self.file,
            start,
            len,
            self.immutable,
        )))
    }
}

impl FsStorage {
    fn read_inner(&self, key: &str, limit: u64) -> io::Result<Option<Vec<u8>>> {
        let Some(mut file) = not_found_is_none(File::open(self.path(key)))? else {
            return Ok(None);
        };
        let len = file.metadata()?.len();
        if len > limit {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{key} is {len} bytes, more than the {limit} expected"),
            ));
        }
        let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        file.read_to_end(&mut buf)?;
        Ok(Some(buf))
    }

    fn open_inner(&self, key: &str) -> io::Result<Option<Box<dyn BlobSource>>> {
        let Some(file) = not_found_is_none(File::open(self.path(key)))? else {
            return Ok(None);
        };
        let meta = file.metadata()?;
        if meta.is_dir() {
            return Ok(None);
        }
        Ok(Some(Box::new(FsBlob {
            file,
            len: meta.len(),
            immutable: paths::is_in_blob_store(key),
        })))
    }
}

impl Coordinator for FsCoordinator {
    fn reference_guard(&self) -> io::Result<Guard> {
        self.reference_lock
            .acquire(&self.root)
            .map_err(|e| StorageError::wrap("lock", paths::reference_lock().as_str(), e))
    }

    fn sweep_lock(&self, timeout: Duration) -> Result<Guard, LockError> {
        self.flock(
            &paths::reference_lock(),
            crate::fsutil::LockWait::AtMost(timeout),
        )
    }

    fn collector_lock(&self) -> Result<Guard, LockError> {
        self.flock(&paths::collector_lock(), crate::fsutil::LockWait::Try)
    }

    fn spans_processes(&self) -> bool {
        true
    }
}

impl FsCoordinator {
    /// The locks of the store under `root`. Within one process, share one coordinator (or
    /// [`FsStorage::coordinator`]) among all holders of the reference lock: its shared `flock`
    /// is counted per coordinator.
    #[must_use]
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            reference_lock: Arc::default(),
        }
    }

    /// The lock file of `key`, as a path (gc reports it).
    #[must_use]
    pub fn lock_path(&self, key: &Key) -> PathBuf {
        self.root.join(key.relative())
    }

    fn flock(&self, key: &Key, wait: crate::fsutil::LockWait) -> Result<Guard, LockError> {
        let path = self.lock_path(key);
        let lock = path.display().to_string();
        match crate::fsutil::lock_path(&path, crate::fsutil::LockKind::Exclusive, wait) {
            Ok(file) => Ok(Guard::holding(file)),
            Err(crate::fsutil::LockError::Busy { waited }) => Err(LockError::Busy { lock, waited }),
            Err(crate::fsutil::LockError::Io(source)) => Err(LockError::Io { lock, source }),
        }
    }
}

/// The newest of a file's mtime and ctime: a rename into place or a `touch` sets the ctime, and
/// gc's grace period must see both.
fn meta_of(meta: &fs::Metadata) -> io::Result<Meta> {
    use std::os::unix::fs::MetadataExt as _;
    let modified = meta.modified()?;
    let ctime = u64::try_from(meta.ctime())
        .ok()
        .and_then(|secs| {
            let nanos = u32::try_from(meta.ctime_nsec()).unwrap_or(0);
            SystemTime::UNIX_EPOCH.checked_add(Duration::new(secs, nanos))
        })
        .unwrap_or(modified);
    Ok(Meta {
        len: meta.len(),
        modified,
        changed: modified.max(ctime),
    })
}

/// A temp file [`FsStorage::replace`] is writing (or a crash left): not part of the tree.
fn is_temp(name: &str) -> bool {
    name.starts_with('.') && name.contains(".tmp-")
}

/// Exactly the names [`temp_name`] gives (`.<name>.tmp-<16 hex digits>`): only those are ever
/// offered to gc as crash leftovers, so a stranger's dot file is never deleted.
pub(crate) fn is_own_temp(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('.') else {
        return false;
    };
    rest.rsplit_once(".tmp-").is_some_and(|(target, suffix)| {
        !target.is_empty() && suffix.len() == 16 && suffix.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// What [`FsStorage::walk_files`] reports.
#[derive(Clone, Copy)]
enum Found<'a> {
    /// The tree's files whose name the filter accepts.
    Files(&'a dyn Fn(&str) -> bool),
    /// Temp files of atomic writes.
    Leftovers,
}

/// The data file of an upload in progress: appended, cut back with `ftruncate`, fsynced when
/// sealed, renamed (hard-linked, so never over an existing blob) into the blob store on commit.
struct FsUploadData {
    file: File,
    path: PathBuf,
    root: PathBuf,
    key: Key,
    size: u64,
    /// The size at open: [`Upload::rewind`] never goes below it.
    base: u64,
}

impl FsUploadData {
    fn wrap(&self, op: &'static str, e: io::Error) -> io::Error {
        StorageError::wrap(op, self.key.as_str(), e)
    }

    fn cut(&mut self, len: u64) -> io::Result<()> {
        self.file.set_len(len)?;
        self.file.seek(SeekFrom::Start(len))?;
        self.size = len;
        Ok(())
    }
}

impl Upload for FsUploadData {
    fn size(&self) -> u64 {
        self.size
    }

    fn append(&mut self, data: &[u8]) -> io::Result<()> {
        match self.file.write_all(data) {
            Ok(()) => {
                self.size += data.len() as u64;
                Ok(())
            }
            Err(e) => {
                // Some bytes may be in the file: the position says how many.
                if let Ok(pos) = self.file.stream_position() {
                    self.size = pos;
                }
                Err(self.wrap("append", e))
            }
        }
    }

    fn rewind(&mut self, len: u64) -> io::Result<()> {
        if len < self.base {
            return Err(self.wrap(
                "rewind",
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{len} is below the size at open ({})", self.base),
                ),
            ));
        }
        self.cut(len).map_err(|e| self.wrap("truncate", e))
    }

    fn persist(&mut self) -> io::Result<()> {
        // Appended bytes are in the file already; a PATCH is not a durability promise.
        Ok(())
    }

    fn chunks(&mut self, start: u64, len: u64) -> io::Result<Box<dyn BlobChunks>> {
        if start.saturating_add(len) > self.size {
            return Err(self.wrap(
                "read",
                io::Error::new(io::ErrorKind::UnexpectedEof, "range past the upload's size"),
            ));
        }
        let file = self.file.try_clone().map_err(|e| self.wrap("read", e))?;
        // Upload data can be cut back, so it is never mapped.
        Ok(Box::new(FileChunks::new(file, start, len, false)))
    }

    fn seal(&mut self, len: u64) -> io::Result<()> {
        if len > self.size {
            return Err(self.wrap(
                "seal",
                io::Error::new(io::ErrorKind::InvalidInput, "seal past the upload's size"),
            ));
        }
        if len < self.size {
            self.cut(len).map_err(|e| self.wrap("truncate", e))?;
        }
        self.file.sync_data().map_err(|e| self.wrap("sync", e))
    }

    fn commit(self: Box<Self>, to: &Key) -> io::Result<Committed> {
        let target = self.root.join(to.relative());
        let committed = (|| {
            let dir = parent(&target)?;
            let mut new_dirs = Vec::new();
            create_dirs(dir, &mut new_dirs)?;
            // A hard link is create-if-absent (rename would replace a blob a reader may have
            // mapped); the upload's name goes afterwards.
            let outcome = match fs::hard_link(&self.path, &target) {
                Ok(()) => Committed::Stored,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Committed::AlreadyPresent,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(e),
                Err(_) => {
                    // A filesystem without hard links: check, then rename.
                    if fs::symlink_metadata(&target).is_ok() {
                        Committed::AlreadyPresent
                    } else {
                        fs::rename(&self.path, &target)?;
                        fsync_dirs(&new_dirs, dir)?;
                        return Ok(Committed::Stored);
                    }
                }
            };
            fs::remove_file(&self.path)?;
            if outcome == Committed::Stored {
                fsync_dirs(&new_dirs, dir)?;
            }
            Ok(outcome)
        })();
        committed.map_err(|e| StorageError::wrap("commit", &format!("{} -> {to}", self.key), e))
    }

    fn abort(self: Box<Self>) -> io::Result<()> {
        not_found_is_none(fs::remove_file(&self.path))
            .map(drop)
            .map_err(|e| self.wrap("abort", e))
    }
}

impl FsStorage {
    fn key_path(&self, key: &Key) -> PathBuf {
        self.root.join(key.relative())
    }

    fn head_inner(&self, key: &Key) -> io::Result<Option<Meta>> {
        match not_found_is_none(fs::metadata(self.key_path(key)))? {
            Some(meta) if meta.is_file() => Ok(Some(meta_of(&meta)?)),
            _ => Ok(None),
        }
    }

    fn children(&self, prefix: &Key) -> io::Result<Vec<Child>> {
        let Some(dir) = not_found_is_none(fs::read_dir(self.key_path(prefix)))? else {
            return Ok(Vec::new());
        };
        let mut children = Vec::new();
        for entry in dir {
            let entry = entry?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if is_temp(&name) {
                continue;
            }
            let kind = if entry.file_type()?.is_dir() {
                ChildKind::Prefix
            } else {
                ChildKind::File
            };
            children.push(Child { name, kind });
        }
        Ok(children)
    }

    /// One read of `prefix`, then a stat of each wanted name in each child directory: no child
    /// directory is opened (a walk would open, read and close every `<hex>/`).
    fn child_files_inner(
        &self,
        prefix: &Key,
        names: &[&str],
        visit: &mut dyn FnMut(WalkEntry),
    ) -> io::Result<()> {
        let dir_path = self.key_path(prefix);
        let Some(dir) = not_found_is_none(fs::read_dir(&dir_path))? else {
            return Ok(());
        };
        let mut path = dir_path;
        for entry in dir {
            let entry = entry?;
            let Ok(child) = entry.file_name().into_string() else {
                continue;
            };
            if is_temp(&child) || !entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            path.push(&child);
            for name in names {
                path.push(name);
                let found = not_found_is_none(fs::metadata(&path));
                path.pop();
                // Vanished since listed, or a directory of that name: skipped.
                let Some(meta) = found? else { continue };
                if !meta.is_file() {
                    continue;
                }
                let relative = format!("{child}/{name}");
                let Some(key) = paths::descendant(prefix, &relative) else {
                    continue;
                };
                visit(WalkEntry {
                    key,
                    relative,
                    meta: meta_of(&meta)?,
                });
            }
            path.pop();
        }
        Ok(())
    }

    fn walk_inner(
        &self,
        prefix: &Key,
        want: &dyn Fn(&str) -> bool,
        visit: &mut dyn FnMut(WalkEntry),
    ) -> io::Result<()> {
        self.walk_files(prefix, Found::Files(want), &|_| true, visit)
    }

    /// The one directory walk behind [`Storage::walk`] (the tree's files) and
    /// [`Storage::crash_leftovers`] (the temp files the tree hides), entering only the
    /// directories `enter` accepts.
    fn walk_files(
        &self,
        prefix: &Key,
        found: Found<'_>,
        enter: &dyn Fn(&Key) -> bool,
        visit: &mut dyn FnMut(WalkEntry),
    ) -> io::Result<()> {
        // Depth first with an explicit stack of directories still to read: one open directory
        // at a time, memory bounded by the tree's breadth along one path.
        let mut pending = vec![String::new()];
        while let Some(relative_dir) = pending.pop() {
            let dir_path = if relative_dir.is_empty() {
                self.key_path(prefix)
            } else {
                self.key_path(prefix).join(&relative_dir)
            };
            let Some(dir) = not_found_is_none(fs::read_dir(&dir_path))? else {
                continue;
            };
            for entry in dir {
                let entry = entry?;
                let Ok(name) = entry.file_name().into_string() else {
                    continue;
                };
                let temp = is_temp(&name);
                if temp && matches!(found, Found::Files(_)) {
                    continue;
                }
                let relative = if relative_dir.is_empty() {
                    name.clone()
                } else {
                    format!("{relative_dir}/{name}")
                };
                let Ok(file_type) = entry.file_type() else {
                    continue;
                };
                if file_type.is_dir() {
                    if paths::descendant(prefix, &relative).is_some_and(|dir| enter(&dir)) {
                        pending.push(relative);
                    }
                    continue;
                }
                let wanted = match found {
                    Found::Files(want) => want(&name),
                    Found::Leftovers => temp && is_own_temp(&name),
                };
                if !wanted {
                    continue;
                }
                // Vanished since listed: skipped.
                let Some(meta) = not_found_is_none(fs::metadata(entry.path()))? else {
                    continue;
                };
                let Some(key) = paths::descendant(prefix, &relative) else {
                    continue;
                };
                visit(WalkEntry {
                    key,
                    relative,
                    meta: meta_of(&meta)?,
                });
            }
        }
        Ok(())
    }

    fn delete_file(&self, key: &Key) -> io::Result<()> {
        let path = self.key_path(key);
        not_found_is_none(fs::remove_file(&path))?;
        // The directory the file was alone in (`<digest>/` after its `link`) goes too; one that
        // still holds something stays (ENOTEMPTY is the expected answer then).
        if let Some(dir) = path.parent() {
            if dir != self.root {
                let _ = fs::remove_dir(dir);
            }
        }
        Ok(())
    }

    fn open_upload_data(&self, key: &Key, offset: u64) -> io::Result<FsUploadData> {
        let path = self.key_path(key);
        let open = || {
            OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
        };
        let mut file = match open() {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir_all(parent(&path)?)?;
                open()?
            }
            Err(e) => return Err(e),
        };
        let stored = file.metadata()?.len();
        if offset > stored {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("offset {offset} is past the stored {stored} bytes"),
            ));
        }
        if stored > offset {
            file.set_len(offset)?;
        }
        file.seek(SeekFrom::Start(offset))?;
        Ok(FsUploadData {
            file,
            path,
            root: self.root.clone(),
            key: key.clone(),
            size: offset,
            base: offset,
        })
    }
}

/// The new seam (`backend::Storage`); every error names the operation and the key.
impl backend::Storage for FsStorage {
    fn get(&self, key: &Key, limit: u64) -> io::Result<Option<Vec<u8>>> {
        self.read_inner(key.as_str(), limit)
            .map_err(|e| StorageError::wrap("read", key.as_str(), e))
    }

    fn head(&self, key: &Key) -> io::Result<Option<Meta>> {
        self.head_inner(key)
            .map_err(|e| StorageError::wrap("stat", key.as_str(), e))
    }

    fn put(&self, key: &Key, data: &[u8], durability: Durability) -> io::Result<()> {
        Self::replace(&self.key_path(key), data, durability == Durability::Durable)
            .map_err(|e| StorageError::wrap("write", key.as_str(), e))
    }

    fn create(&self, key: &Key, data: &[u8]) -> io::Result<bool> {
        Self::create_new(&self.key_path(key), data)
            .map_err(|e| StorageError::wrap("create", key.as_str(), e))
    }

    fn open(&self, key: &Key) -> io::Result<Option<Box<dyn backend::BlobSource>>> {
        self.open_inner(key.as_str())
            .map_err(|e| StorageError::wrap("open", key.as_str(), e))
    }

    fn list(&self, prefix: &Key) -> io::Result<Vec<Child>> {
        self.children(prefix)
            .map_err(|e| StorageError::wrap("list", prefix.as_str(), e))
    }

    fn walk(
        &self,
        prefix: &Key,
        want: &dyn Fn(&str) -> bool,
        visit: &mut dyn FnMut(WalkEntry),
    ) -> io::Result<()> {
        self.walk_inner(prefix, want, visit)
            .map_err(|e| StorageError::wrap("walk", prefix.as_str(), e))
    }

    fn child_files(
        &self,
        prefix: &Key,
        names: &[&str],
        visit: &mut dyn FnMut(WalkEntry),
    ) -> io::Result<()> {
        self.child_files_inner(prefix, names, visit)
            .map_err(|e| StorageError::wrap("walk", prefix.as_str(), e))
    }

    fn crash_leftovers(
        &self,
        prefix: &Key,
        enter: &dyn Fn(&Key) -> bool,
        visit: &mut dyn FnMut(WalkEntry),
    ) -> io::Result<()> {
        self.walk_files(prefix, Found::Leftovers, enter, visit)
            .map_err(|e| StorageError::wrap("walk", prefix.as_str(), e))
    }

    fn delete(&self, key: &Key) -> io::Result<()> {
        self.delete_file(key)
            .map_err(|e| StorageError::wrap("delete", key.as_str(), e))
    }

    fn delete_tree(&self, prefix: &Key) -> io::Result<()> {
        let dir = self.key_path(prefix);
        not_found_is_none(fs::remove_dir_all(&dir))
            .map_err(|e| StorageError::wrap("delete tree", prefix.as_str(), e))?;
        // Directories the removal left empty go too (a repository's own directory after its
        // `_manifests`, `_layers` and `_uploads`; `a/` after the nested `a/b`), so an object
        // store and a directory tree list the same prefixes. `rmdir` stops at the first one that
        // still holds something; the root itself stays.
        let mut parent = dir.parent();
        while let Some(current) = parent.filter(|p| *p != self.root && p.starts_with(&self.root)) {
            if fs::remove_dir(current).is_err() {
                break;
            }
            parent = current.parent();
        }
        Ok(())
    }

    fn open_upload(&self, key: &Key, offset: u64) -> io::Result<Box<dyn Upload>> {
        let upload = self
            .open_upload_data(key, offset)
            .map_err(|e| StorageError::wrap("open for append", key.as_str(), e))?;
        Ok(Box::new(upload))
    }

    fn upload_size(&self, key: &Key) -> io::Result<Option<u64>> {
        Ok(self
            .head_inner(key)
            .map_err(|e| StorageError::wrap("stat", key.as_str(), e))?
            .map(|meta| meta.len))
    }

    fn touch(&self, key: &Key) -> io::Result<()> {
        // Opened read-only: setting the time needs ownership, not write permission, and the link
        // is not changed.
        File::open(self.key_path(key))
            .and_then(|file| file.set_modified(SystemTime::now()))
            .map_err(|e| StorageError::wrap("touch", key.as_str(), e))
    }

    fn describe(&self) -> String {
        self.root.display().to_string()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_temp_names_of_atomic_writes_are_crash_leftovers() {
        assert!(super::is_own_temp(".link.tmp-0123456789abcdef"));
        assert!(super::is_own_temp(".data.tmp-fedcba9876543210"));
        for not in [
            "link",
            "data",
            ".link.tmp-123",
            "link.tmp-0123456789abcdef",
            "..tmp-0123456789abcdef",
            ".link.tmp-0123456789abcdeg",
            ".regctl-tmp-abc123",
        ] {
            assert!(!super::is_own_temp(not), "{not}");
        }
    }

    use super::*;

    #[test]
    fn new_directories_record_every_parent_that_gained_an_entry() {
        let root = tempfile::tempdir().unwrap();
        let base = root.path().join("a");
        fs::create_dir(&base).unwrap();
        let mut gained = Vec::new();
        create_dirs(&base.join("b/c/d"), &mut gained).unwrap();
        assert_eq!(gained, vec![base.clone(), base.join("b"), base.join("b/c")]);
        assert!(base.join("b/c/d").is_dir());
        let mut again = Vec::new();
        create_dirs(&base.join("b/c/d"), &mut again).unwrap();
        assert!(again.is_empty(), "nothing new, nothing to fsync");
    }
}

#[cfg(test)]
mod conformance_tests {
    use super::*;

    #[test]
    fn passes_the_conformance_suite() {
        let dir = tempfile::tempdir().unwrap();
        let storage = FsStorage::new(dir.path()).unwrap();
        crate::storage::conformance::run(&storage);
        crate::storage::conformance::run_coordinator(&storage.coordinator());
        // Deletes removed the directories they emptied, up to the ones still holding something:
        // `repositories/conformance/` is gone or empty.
        let left = dir
            .path()
            .join("docker/registry/v2/repositories/conformance");
        assert_eq!(fs::read_dir(left).map_or(0, Iterator::count), 0);
    }

    #[test]
    fn changed_is_the_newest_of_mtime_and_ctime() {
        let dir = tempfile::tempdir().unwrap();
        let storage = FsStorage::new(dir.path()).unwrap();
        let d = crate::digest::Digest::of(b"x");
        let key = paths::blob_data(&d);
        backend::Storage::put(&storage, &key, b"x", Durability::Durable).unwrap();
        let path = dir.path().join(key.relative());
        let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let meta = backend::Storage::head(&storage, &key).unwrap().unwrap();
        assert_eq!(meta.modified, old, "mtime as set");
        assert!(meta.changed > old, "the ctime of setting it is newer");
    }
}
