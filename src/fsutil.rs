//! Atomic file replacement: every file regctl writes for the user goes through here, so a crash or a
//! full disk leaves either the old content or the new, never a torn file.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
#[cfg(unix)]
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

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

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
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
