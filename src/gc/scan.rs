//! Reading the store: repositories, their links and uploads, and the blob inventory.
//!
//! Reading never fails on one bad entry: an empty or corrupt link, an odd directory name or an
//! unreadable upload is recorded as a [`Problem`] and the walk goes on (distribution's gc aborts
//! the whole run on an empty link, #1960). Only a directory that cannot be listed at all is an
//! error, because gc cannot know what it would be missing.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::layout::{digest_from_hex, Layout};
use super::{GcError, Problem};
use crate::digest::Digest;
use crate::oci::reference::{Name, Tag};
use crate::storage::tree;

/// What a link file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// `sha256:<hex>` naming the digest its directory names.
    Valid,
    /// Empty, unparsable or naming another digest than its directory; the reason is reported.
    Corrupt,
}

/// A link under `_layers` or `_manifests/revisions`.
#[derive(Debug, Clone)]
pub struct LinkEntry {
    pub link: Link,
    /// Last change of the link file (mtime or ctime, whichever is newer).
    pub changed: SystemTime,
}

/// One tag.
#[derive(Debug, Clone)]
pub struct TagState {
    pub name: String,
    /// The digest `current/link` names; `None` when the file is absent or corrupt.
    pub current: Option<Digest>,
    /// `current/link` exists but cannot be read as a digest.
    pub current_corrupt: bool,
    /// Every digest under `index/sha256/`.
    pub index: Vec<Digest>,
}

/// One upload in progress.
#[derive(Debug, Clone)]
pub struct UploadState {
    pub id: String,
    /// Whether the upload has a `startedat` file. Every session a client was handed (`POST
    /// /blobs/uploads/`, by regctl or registry:2) writes one first; regctl's monolithic `POST
    /// ?digest=` streams into an upload directory without one, under an id no client ever sees.
    pub has_started_at: bool,
    /// `startedat` (RFC 3339, as registry:2 writes it), when present and readable.
    pub started_at: Option<SystemTime>,
    /// The newest mtime of the upload's directories and files.
    pub last_write: SystemTime,
    pub bytes: u64,
}

/// A file or directory below a walk root, with its mtime.
#[derive(Debug, Clone)]
pub struct Entry {
    pub path: PathBuf,
    pub is_dir: bool,
    pub size: u64,
    pub modified: SystemTime,
}

/// Whether `name` is a temp file of `crate::storage::fs`'s atomic writes:
/// `.<name>.tmp-<16 hex digits>`. Only a crash leaves one behind for longer than a write.
pub fn is_temp_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('.') else {
        return false;
    };
    rest.rsplit_once(".tmp-").is_some_and(|(target, suffix)| {
        !target.is_empty() && suffix.len() == 16 && suffix.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// Entries below `dir` (not `dir` itself), parents before children: every directory when
/// `with_dirs`, and the files whose name `want` accepts. Only those are `stat`ed (the walk itself
/// goes by the directory entries' types), so looking for a few temp files among a store's blobs
/// costs one `readdir` per directory. Entries that vanish during the walk are skipped; `skip`
/// names directories not to enter.
pub fn walk(
    dir: &Path,
    with_dirs: bool,
    skip: &dyn Fn(&Path) -> bool,
    want: &dyn Fn(&str) -> bool,
) -> Result<Vec<Entry>, GcError> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let entries = match fs::read_dir(&current) {
            Ok(entries) => entries,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) =>
            {
                continue
            }
            Err(e) => return Err(io_err(&current)(e)),
        };
        for entry in entries {
            let Ok(entry) = entry else { continue };
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            let is_dir = kind.is_dir();
            if is_dir {
                if skip(&path) {
                    continue;
                }
                stack.push(path.clone());
                if !with_dirs {
                    continue;
                }
            } else if !entry.file_name().to_str().is_some_and(want) {
                continue;
            }
            let Ok(meta) = fs::symlink_metadata(&path) else {
                continue;
            };
            found.push(Entry {
                path,
                is_dir,
                size: if is_dir { 0 } else { meta.len() },
                modified: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            });
        }
    }
    Ok(found)
}

/// Everything gc needs to know about one repository.
#[derive(Debug, Clone, Default)]
pub struct RepoState {
    pub name: String,
    /// Revisions whose `link` file exists (valid or corrupt).
    pub revisions: BTreeMap<Digest, LinkEntry>,
    pub tags: Vec<TagState>,
    pub layers: BTreeMap<Digest, LinkEntry>,
    pub uploads: Vec<UploadState>,
    /// Why gc cannot know everything this repository references (then none of its manifests is
    /// deleted and no blob is swept).
    pub uncertain: Option<String>,
}

/// A blob in `blobs/sha256/`.
#[derive(Debug, Clone)]
pub struct BlobState {
    pub digest: Digest,
    pub size: u64,
    /// The newest of the data file's mtime and ctime and the blob directory's mtime: finishing
    /// an upload renames old data into a new directory, which only the ctime and the directory
    /// show.
    pub changed: SystemTime,
}

pub fn changed(meta: &fs::Metadata) -> SystemTime {
    let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let ctime = u64::try_from(meta.ctime())
            .ok()
            .map(|secs| {
                SystemTime::UNIX_EPOCH
                    + std::time::Duration::new(
                        secs,
                        u32::try_from(meta.ctime_nsec()).unwrap_or_default(),
                    )
            })
            .unwrap_or(SystemTime::UNIX_EPOCH);
        modified.max(ctime)
    }
    #[cfg(not(unix))]
    modified
}

/// Subdirectory names of `dir`, sorted; empty if `dir` is absent.
pub fn subdirs(dir: &Path) -> io::Result<Vec<String>> {
    let mut names = Vec::new();
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(names),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            if let Ok(name) = entry.file_name().into_string() {
                names.push(name);
            }
        }
    }
    names.sort();
    Ok(names)
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> GcError + '_ {
    move |source| GcError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Every repository under `repositories/`: a directory holding `_manifests`, `_layers` or
/// `_uploads` (distribution only visits those with `_manifests`, so a push that never got a
/// manifest leaks its links and uploads forever). Names may be nested; `_`-prefixed directories
/// are never names.
///
/// Directories that hold repository data under a name registry:2 could not have written are
/// returned apart: gc cannot build their paths, so their references are unknown.
pub fn repositories(
    layout: &Layout,
    problems: &mut Vec<Problem>,
) -> Result<(Vec<String>, Vec<Problem>), GcError> {
    let mut found = Vec::new();
    let mut invalid = Vec::new();
    let root = layout.repositories();
    let mut stack = vec![(root.clone(), String::new())];
    while let Some((dir, name)) = stack.pop() {
        let entries = subdirs(&dir).map_err(io_err(&dir))?;
        let is_repo = !name.is_empty()
            && entries
                .iter()
                .any(|e| matches!(e.as_str(), "_manifests" | "_layers" | "_uploads"));
        if is_repo {
            if Name::parse(&name).is_ok() {
                found.push(name.clone());
            } else {
                invalid.push(Problem::new(
                    layout,
                    &dir,
                    "not a valid repository name; what it references is unknown",
                ));
            }
        }
        for entry in entries.into_iter().rev() {
            if entry.starts_with('_') {
                continue;
            }
            if entry.starts_with('.') {
                problems.push(Problem::new(
                    layout,
                    &dir.join(&entry),
                    "not a repository name (hidden directory); skipped",
                ));
                continue;
            }
            let child = if name.is_empty() {
                entry.clone()
            } else {
                format!("{name}/{entry}")
            };
            stack.push((dir.join(&entry), child));
        }
    }
    found.sort();
    Ok((found, invalid))
}

/// Reads a link file: `None` if it is absent.
fn read_link(
    layout: &Layout,
    path: &Path,
    expected: Option<&Digest>,
    problems: &mut Vec<Problem>,
) -> Option<(Result<Digest, ()>, SystemTime)> {
    let meta = match fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return None,
        Err(e) => {
            problems.push(Problem::new(layout, path, &format!("unreadable link: {e}")));
            return Some((Err(()), SystemTime::now()));
        }
    };
    let when = changed(&meta);
    if meta.len() > tree::LINK_LIMIT {
        problems.push(Problem::new(
            layout,
            path,
            "corrupt link: larger than 1 KiB",
        ));
        return Some((Err(()), when));
    }
    let content = match fs::read(path) {
        Ok(content) => content,
        Err(e) => {
            problems.push(Problem::new(layout, path, &format!("unreadable link: {e}")));
            return Some((Err(()), when));
        }
    };
    let parsed = match tree::parse_link(&content) {
        tree::LinkContent::Empty => {
            problems.push(Problem::new(layout, path, "empty link file; skipped"));
            Err(())
        }
        tree::LinkContent::Names(d) if expected.is_none_or(|e| *e == d) => Ok(d),
        tree::LinkContent::Names(d) => {
            problems.push(Problem::new(
                layout,
                path,
                &format!("link names {d}, not the digest of its directory; skipped"),
            ));
            Err(())
        }
        tree::LinkContent::Corrupt => {
            let shown: String = String::from_utf8_lossy(&content).chars().take(80).collect();
            problems.push(Problem::new(
                layout,
                path,
                &format!("corrupt link {shown:?}; skipped"),
            ));
            Err(())
        }
    };
    Some((parsed, when))
}

/// `<dir>/<hex>/link` for every `<hex>` directory: links keyed by the directory's digest.
fn link_dir(
    layout: &Layout,
    dir: &Path,
    problems: &mut Vec<Problem>,
) -> Result<BTreeMap<Digest, LinkEntry>, GcError> {
    let mut links = BTreeMap::new();
    for hex in subdirs(dir).map_err(io_err(dir))? {
        let Some(digest) = digest_from_hex(&hex) else {
            problems.push(Problem::new(
                layout,
                &dir.join(&hex),
                "not a sha256 digest; skipped",
            ));
            continue;
        };
        let path = dir.join(&hex).join("link");
        if let Some((parsed, changed)) = read_link(layout, &path, Some(&digest), problems) {
            let link = if parsed.is_ok() {
                Link::Valid
            } else {
                Link::Corrupt
            };
            links.insert(digest, LinkEntry { link, changed });
        }
    }
    Ok(links)
}

/// Reads one repository's tags, revisions, layer links and uploads.
///
/// `repo` must be a name [`repositories`] returned.
pub fn repository(
    layout: &Layout,
    repo: &str,
    problems: &mut Vec<Problem>,
) -> Result<RepoState, GcError> {
    let mut state = RepoState {
        name: repo.to_owned(),
        ..RepoState::default()
    };
    let Ok(name) = Name::parse(repo) else {
        state.uncertain = Some(format!("{repo} is not a valid repository name"));
        return Ok(state);
    };
    let revisions = link_dir(layout, &layout.revisions(name), problems)?;
    let layers = link_dir(layout, &layout.layers(name), problems)?;
    let tags_dir = layout.tags(name);
    let mut tags = Vec::new();
    for tag_name in subdirs(&tags_dir).map_err(io_err(&tags_dir))? {
        // A tag registry:2 could never have written: what it points at is unknown, so no
        // deletion may rely on this repository's tags.
        let Ok(tag) = Tag::parse(&tag_name) else {
            let path = tags_dir.join(&tag_name);
            problems.push(Problem::new(
                layout,
                &path,
                "not a valid tag name; what it points at is unknown",
            ));
            state.uncertain = Some(format!(
                "{repo} has a tag with an invalid name {tag_name:?}"
            ));
            continue;
        };
        let current_path = layout.tag_current_link(name, tag);
        let (current, current_corrupt) = match read_link(layout, &current_path, None, problems) {
            None => (None, false),
            Some((Ok(d), _)) => (Some(d), false),
            Some((Err(()), _)) => (None, true),
        };
        let index_dir = layout.tag_index(name, tag);
        let index = subdirs(&index_dir)
            .map_err(io_err(&index_dir))?
            .iter()
            .filter_map(|hex| digest_from_hex(hex))
            .collect();
        tags.push(TagState {
            name: tag_name.clone(),
            current,
            current_corrupt,
            index,
        });
    }
    let uploads_dir = layout.uploads(name);
    let mut uploads = Vec::new();
    for id in subdirs(&uploads_dir).map_err(io_err(&uploads_dir))? {
        uploads.push(upload(&uploads_dir.join(&id), id));
    }
    state.revisions = revisions;
    state.tags = tags;
    state.layers = layers;
    state.uploads = uploads;
    Ok(state)
}

/// An upload's times and size: `startedat` (RFC 3339, as registry:2 writes it) and the last
/// write to its files, so an upload started long ago that is still receiving data is not purged.
fn upload(dir: &Path, id: String) -> UploadState {
    let mut last_write = SystemTime::UNIX_EPOCH;
    let mut bytes = 0;
    let mut stack: Vec<PathBuf> = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        last_write = last_write.max(meta.modified().unwrap_or(SystemTime::UNIX_EPOCH));
        if meta.is_dir() {
            if let Ok(entries) = fs::read_dir(&path) {
                stack.extend(entries.flatten().map(|e| e.path()));
            }
        } else {
            bytes += meta.len();
        }
    }
    let started_file = dir.join("startedat");
    let started_at = fs::read(&started_file)
        .ok()
        .and_then(|t| tree::parse_started_at(&t));
    UploadState {
        id,
        has_started_at: started_file.exists(),
        started_at,
        last_write,
        bytes,
    }
}

/// The state of one blob, `None` if its directory is gone.
pub fn blob(layout: &Layout, digest: &Digest) -> Option<BlobState> {
    let dir_meta = fs::metadata(layout.blob_dir(digest)).ok()?;
    let mut state = BlobState {
        digest: *digest,
        size: 0,
        changed: dir_meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
    };
    if let Ok(meta) = fs::metadata(layout.blob_data(digest)) {
        state.size = meta.len();
        state.changed = state.changed.max(changed(&meta));
    }
    Some(state)
}

/// Every blob directory under `blobs/sha256/<xx>/<hex>`.
pub fn blobs(layout: &Layout, problems: &mut Vec<Problem>) -> Result<Vec<BlobState>, GcError> {
    let root = layout.blobs_sha256();
    let mut found = Vec::new();
    for prefix in subdirs(&root).map_err(io_err(&root))? {
        let dir = root.join(&prefix);
        for hex in subdirs(&dir).map_err(io_err(&dir))? {
            match digest_from_hex(&hex).filter(|_| hex.starts_with(&prefix)) {
                Some(digest) => {
                    if let Some(state) = blob(layout, &digest) {
                        found.push(state);
                    }
                }
                None => problems.push(Problem::new(
                    layout,
                    &dir.join(&hex),
                    "not a blob directory; skipped",
                )),
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_are_the_storage_backends() {
        assert!(is_temp_name(".link.tmp-0123456789abcdef"));
        assert!(is_temp_name(".data.tmp-fedcba9876543210"));
        for not in [
            "link",
            "data",
            ".link.tmp-123",
            "link.tmp-0123456789abcdef",
            "..tmp-0123456789abcdef",
            ".link.tmp-0123456789abcdeg",
            ".regctl-tmp-abc123",
        ] {
            assert!(!is_temp_name(not), "{not}");
        }
    }
}
