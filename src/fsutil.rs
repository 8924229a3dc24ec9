//! Atomic file replacement: every file regctl writes for the user goes through here, so a crash or a
//! full disk leaves either the old content or the new, never a torn file. Also the one opener of
//! advisory lock files (`flock`), shared by gc, the storage backend and htpasswd edits.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
#[cfg(unix)]
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

/// Writes `contents` to `path` atomically: a temp file in the same directory is written, fsynced and
/// renamed over `path`, then the directory is fsynced so the rename itself is durable.
///
/// Parent directories are created as needed. `mode` sets the permissions of the new file (unix);
/// `None` keeps the mode of the file being replaced, or 0644 for a new one.
pub fn atomic_write(path: &Path, contents: &[u8], mode: Option<u32>) -> io::Result<()> {
    let dir = parent_dir(path);
    fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".regctl-tmp-")
        .tempfile_in(dir)?;
    tmp.write_all(contents)?;
    #[cfg(unix)]
    {
        let mode = match mode {
            Some(m) => m,
            None => fs::metadata(path)
                .map(|m| m.permissions().mode() & 0o7777)
                .unwrap_or(0o644),
        };
        tmp.as_file()
            .set_permissions(fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    fsync_dir(dir)
}

/// Creates `path` exclusively (fails if it exists) with `mode`, writing `contents` durably.
pub fn create_new(path: &Path, contents: &[u8], mode: u32) -> io::Result<()> {
    let dir = parent_dir(path);
    fs::create_dir_all(dir)?;
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    opts.mode(mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = opts.open(path)?;
    file.write_all(contents)?;
    file.sync_all()?;
    fsync_dir(dir)
}

/// fsyncs a directory so that entries created or renamed in it survive a crash.
pub fn fsync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Shared or exclusive `flock`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockKind {
    Shared,
    Exclusive,
}

/// How long [`lock`] waits for a conflicting holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockWait {
    /// Fail at once with [`LockError::Busy`].
    Try,
    /// Poll (1 ms doubling to 50 ms) for at most this long, then [`LockError::Busy`]. Polled
    /// rather than a blocking call on a helper thread, so giving up leaves nothing behind that
    /// could take the lock later.
    AtMost(Duration),
    /// Block until the lock is granted.
    Forever,
}

/// Why a lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("held by another process (waited {waited:?})")]
    Busy { waited: Duration },
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl From<LockError> for io::Error {
    fn from(e: LockError) -> Self {
        match e {
            LockError::Io(e) => e,
            busy @ LockError::Busy { .. } => io::Error::new(io::ErrorKind::WouldBlock, busy),
        }
    }
}

/// Opens a lock file for `flock`, creating it (mode 0666 minus the umask, content never used)
/// and, when missing, its parent directories. An existing directory is opened read-only
/// instead: htpasswd edits lock the directory, because the atomic rename replaces the file.
///
/// # Errors
/// When the file or its directory cannot be created or opened.
pub fn open_lock_file(path: &Path) -> io::Result<File> {
    if path.is_dir() {
        return File::open(path);
    }
    let open = || {
        OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
    };
    match open() {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            fs::create_dir_all(parent_dir(path))?;
            open()
        }
        other => other,
    }
}

/// Takes `kind` lock on an open lock file, waiting as `wait` says.
///
/// # Errors
/// [`LockError::Busy`] when another holder keeps it past the wait; [`LockError::Io`] otherwise.
pub fn lock(file: &File, kind: LockKind, wait: LockWait) -> Result<(), LockError> {
    let try_once = || match kind {
        LockKind::Shared => file.try_lock_shared(),
        LockKind::Exclusive => file.try_lock(),
    };
    let began = Instant::now();
    let limit = match wait {
        LockWait::Forever => {
            return Ok(match kind {
                LockKind::Shared => file.lock_shared(),
                LockKind::Exclusive => file.lock(),
            }?);
        }
        LockWait::Try => Duration::ZERO,
        LockWait::AtMost(limit) => limit,
    };
    let mut backoff = Duration::from_millis(1);
    loop {
        match try_once() {
            Ok(()) => return Ok(()),
            Err(fs::TryLockError::WouldBlock) => {}
            Err(fs::TryLockError::Error(e)) => return Err(LockError::Io(e)),
        }
        let waited = began.elapsed();
        if waited >= limit {
            return Err(LockError::Busy { waited });
        }
        std::thread::sleep(backoff.min(limit - waited));
        backoff = (backoff * 2).min(Duration::from_millis(50));
    }
}

/// [`open_lock_file`] then [`lock`]: the returned file holds the lock until dropped.
///
/// # Errors
/// As those two.
pub fn lock_path(path: &Path, kind: LockKind, wait: LockWait) -> Result<File, LockError> {
    let file = open_lock_file(path)?;
    lock(&file, kind, wait)?;
    Ok(file)
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// What changed about a file, cheaply: a rewrite by rename changes the inode, an edit in place the
/// size or the times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    inode: u64,
    device: u64,
    size: u64,
    modified: Option<std::time::SystemTime>,
    changed: (i64, i64),
}

impl FileStamp {
    /// The stamp of the file at `path` (following symlinks).
    ///
    /// # Errors
    /// When the file cannot be `stat`ed.
    pub fn of(path: &Path) -> std::io::Result<Self> {
        use std::os::unix::fs::MetadataExt as _;
        let meta = std::fs::metadata(path)?;
        Ok(Self {
            inode: meta.ino(),
            device: meta.dev(),
            size: meta.len(),
            modified: meta.modified().ok(),
            changed: (meta.ctime(), meta.ctime_nsec()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_keeps_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/file");
        atomic_write(&path, b"one", Some(0o600)).unwrap();
        atomic_write(&path, b"two", None).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        #[cfg(unix)]
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let leftovers: Vec<_> = fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temp file left behind");
    }

    #[test]
    fn locks_conflict_and_bounded_waits_give_up() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/x.lock");
        let held = lock_path(&path, LockKind::Exclusive, LockWait::Try).unwrap();
        assert!(matches!(
            lock_path(&path, LockKind::Shared, LockWait::Try),
            Err(LockError::Busy { .. })
        ));
        let waited = lock_path(
            &path,
            LockKind::Exclusive,
            LockWait::AtMost(Duration::from_millis(30)),
        );
        assert!(
            matches!(waited, Err(LockError::Busy { waited }) if waited >= Duration::from_millis(30))
        );
        drop(held);
        let a = lock_path(&path, LockKind::Shared, LockWait::Try).unwrap();
        let b = lock_path(&path, LockKind::Shared, LockWait::Forever).unwrap();
        drop((a, b));
        // A directory is locked through a read-only handle.
        let on_dir = lock_path(dir.path(), LockKind::Exclusive, LockWait::Forever).unwrap();
        assert!(lock_path(dir.path(), LockKind::Exclusive, LockWait::Try).is_err());
        drop(on_dir);
    }

    #[test]
    fn create_new_refuses_existing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        create_new(&path, b"x", 0o600).unwrap();
        assert_eq!(
            create_new(&path, b"y", 0o600).unwrap_err().kind(),
            io::ErrorKind::AlreadyExists
        );
        assert_eq!(fs::read(&path).unwrap(), b"x");
    }
}
