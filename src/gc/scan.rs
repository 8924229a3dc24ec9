//! Reading the store through [`Storage`]: repositories, their links and uploads, and the blob
//! inventory, the same way on every backend (the filesystem, S3).
//!
//! Reading never fails on one bad entry: an empty or corrupt link, an odd name or an unreadable
//! upload is recorded as a [`Problem`] and the walk goes on (distribution's gc aborts the whole
//! run on an empty link, #1960). Only a prefix that cannot be listed at all is an error, because
//! gc cannot know what it would be missing.

use std::collections::BTreeMap;
use std::io;
use std::time::SystemTime;

use super::{GcError, Problem};
use crate::digest::Digest;
use crate::oci::reference::{Name, Tag};
use crate::storage::backend::{Meta, Storage};
use crate::storage::paths::{self, Key};
use crate::storage::tree::{self, digest_from_hex};

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
    /// Last change of the link ([`Meta::changed`]).
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
    /// ?digest=` streams into an upload without one, under an id no client ever sees.
    pub has_started_at: bool,
    /// `startedat` (RFC 3339, as registry:2 writes it), when present and readable.
    pub started_at: Option<SystemTime>,
    /// The newest write to the upload's files.
    pub last_write: SystemTime,
    pub bytes: u64,
}

/// Everything gc needs to know about one repository.
#[derive(Debug, Clone, Default)]
pub struct RepoState {
    pub name: String,
    /// Revisions whose `link` file exists (valid or corrupt).
    pub revisions: BTreeMap<Digest, LinkEntry>,
    /// Revisions' pull records (`registry::pulls`) with their change time, linked or not.
    pub pulled: BTreeMap<Digest, SystemTime>,
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
    /// [`Meta::changed`] of its data: on the filesystem the newest of mtime and ctime, since
    /// finishing an upload renames old data into place, which only the ctime shows.
    pub changed: SystemTime,
}

pub(super) fn io_err(key: &Key) -> impl FnOnce(io::Error) -> GcError + '_ {
    move |source| GcError::Io {
        path: key.relative().to_owned(),
        source,
    }
}

/// The names of the prefixes directly below `prefix`, sorted and deduplicated.
pub fn prefixes(storage: &dyn Storage, prefix: &Key) -> Result<Vec<String>, GcError> {
    let mut names: Vec<String> = storage
        .list(prefix)
        .map_err(io_err(prefix))?
        .into_iter()
        .filter(|c| c.is_prefix())
        .map(|c| c.name)
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

/// Every repository under `repositories/`: a prefix holding `_manifests`, `_layers` or
/// `_uploads` (distribution only visits those with `_manifests`, so a push that never got a
/// manifest leaks its links and uploads forever). Names may be nested; `_`-prefixed segments
/// are never names.
///
/// Prefixes that hold repository data under a name registry:2 could not have written are
/// returned apart: gc cannot build their keys, so their references are unknown.
pub fn repositories(
    storage: &dyn Storage,
    problems: &mut Vec<Problem>,
) -> Result<(Vec<String>, Vec<Problem>), GcError> {
    let mut found = Vec::new();
    let mut invalid = Vec::new();
    let mut stack = vec![(paths::repositories_root(), String::new())];
    while let Some((key, name)) = stack.pop() {
        let entries = prefixes(storage, &key)?;
        let is_repo = !name.is_empty()
            && entries
                .iter()
                .any(|e| matches!(e.as_str(), "_manifests" | "_layers" | "_uploads"));
        if is_repo {
            if Name::parse(&name).is_ok() {
                found.push(name.clone());
            } else {
                invalid.push(Problem::at(
                    &key,
                    "not a valid repository name; what it references is unknown",
                ));
            }
        }
        for entry in entries.into_iter().rev() {
            if entry.starts_with('_') {
                continue;
            }
            let Some(child) = paths::child(&key, &entry) else {
                continue;
            };
            if entry.starts_with('.') {
                problems.push(Problem::at(
                    &child,
                    "not a repository name (hidden directory); skipped",
                ));
                continue;
            }
            let child_name = if name.is_empty() {
                entry.clone()
            } else {
                format!("{name}/{entry}")
            };
            stack.push((child, child_name));
        }
    }
    found.sort();
    Ok((found, invalid))
}

/// Reads and judges the link at `key` whose [`Meta`] is known: `Ok(digest)` or `Err(())` with
/// the reason reported.
fn judge_link(
    storage: &dyn Storage,
    key: &Key,
    meta: &Meta,
    expected: Option<&Digest>,
    problems: &mut Vec<Problem>,
) -> Result<Digest, ()> {
    if meta.len > tree::LINK_LIMIT {
        problems.push(Problem::at(key, "corrupt link: larger than 1 KiB"));
        return Err(());
    }
    let content = match storage.get(key, tree::LINK_LIMIT) {
        Ok(Some(content)) => content,
        // Removed since it was listed: reported as what it was, an empty link, would be wrong.
        Ok(None) => return Err(()),
        Err(e) => {
            problems.push(Problem::at(key, &format!("unreadable link: {e}")));
            return Err(());
        }
    };
    match tree::parse_link(&content) {
        tree::LinkContent::Empty => {
            problems.push(Problem::at(key, "empty link file; skipped"));
            Err(())
        }
        tree::LinkContent::Names(d) if expected.is_none_or(|e| *e == d) => Ok(d),
        tree::LinkContent::Names(d) => {
            problems.push(Problem::at(
                key,
                &format!("link names {d}, not the digest of its directory; skipped"),
            ));
            Err(())
        }
        tree::LinkContent::Corrupt => {
            let shown: String = String::from_utf8_lossy(&content).chars().take(80).collect();
            problems.push(Problem::at(
                key,
                &format!("corrupt link {shown:?}; skipped"),
            ));
            Err(())
        }
    }
}

/// Reads a link file: `None` if it is absent.
fn read_link(
    storage: &dyn Storage,
    key: &Key,
    expected: Option<&Digest>,
    problems: &mut Vec<Problem>,
) -> Option<(Result<Digest, ()>, SystemTime)> {
    let meta = match storage.head(key) {
        Ok(Some(meta)) => meta,
        Ok(None) => return None,
        Err(e) => {
            problems.push(Problem::at(key, &format!("unreadable link: {e}")));
            return Some((Err(()), SystemTime::now()));
        }
    };
    Some((
        judge_link(storage, key, &meta, expected, problems),
        meta.changed,
    ))
}

/// How closely [`repository`] reads layer links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerLinks {
    /// Read and parse every one (fsck reports what each names).
    Verify,
    /// Judge by size only: empty or oversized is corrupt. gc marks from manifests, never from
    /// layer links, so their content cannot change what it keeps, and not reading a thousand
    /// small files per repository twice a run is what keeps gc as fast as distribution's.
    Sizes,
}

/// Links keyed by their directory's digest.
type Links = BTreeMap<Digest, LinkEntry>;

/// `<prefix>/<hex>/link` for every `<hex>`: links keyed by their directory's digest, found by
/// [`Storage::child_files`] (one paginated listing on an object store, with every link's size
/// and time; a directory read and a stat per link on the filesystem); with `also`, the files of
/// that name beside them (revisions' pull records) in the same pass.
fn link_dir(
    storage: &dyn Storage,
    prefix: &Key,
    read: LayerLinks,
    also: Option<&str>,
    problems: &mut Vec<Problem>,
) -> Result<(Links, BTreeMap<Digest, SystemTime>), GcError> {
    let mut found = Vec::new();
    let mut odd = Vec::new();
    let mut beside = BTreeMap::new();
    let names: &[&str] = match also {
        Some(also) => &["link", also],
        None => &["link"],
    };
    storage
        .child_files(prefix, names, &mut |entry| {
            // Referrer links live deeper (`<hex>/_referrers/...`); only `<hex>/link` counts.
            match tree::digest_dir_file(&entry.relative) {
                Some((Some(digest), "link")) => found.push((digest, entry)),
                Some((None, "link")) => odd.push(entry.key),
                Some((Some(digest), file)) if Some(file) == also => {
                    beside.insert(digest, entry.meta.changed);
                }
                _ => {}
            }
        })
        .map_err(io_err(prefix))?;
    for key in odd {
        problems.push(Problem::at(&key, "not below a sha256 digest; skipped"));
    }
    // Odd names holding no link at all (an empty stray directory) are seen by a listing only.
    for name in prefixes(storage, prefix)? {
        if digest_from_hex(&name).is_none() {
            if let Some(key) = paths::child(prefix, &name) {
                if !problems.iter().any(|p| p.path.starts_with(key.relative())) {
                    problems.push(Problem::at(&key, "not a sha256 digest; skipped"));
                }
            }
        }
    }
    let mut links = BTreeMap::new();
    for (digest, entry) in found {
        let judged = match read {
            LayerLinks::Verify => {
                judge_link(storage, &entry.key, &entry.meta, Some(&digest), problems).map(drop)
            }
            LayerLinks::Sizes if entry.meta.len == 0 => {
                problems.push(Problem::at(&entry.key, "empty link file; skipped"));
                Err(())
            }
            LayerLinks::Sizes if entry.meta.len > tree::LINK_LIMIT => {
                problems.push(Problem::at(&entry.key, "corrupt link: larger than 1 KiB"));
                Err(())
            }
            LayerLinks::Sizes => Ok(()),
        };
        let link = if judged.is_ok() {
            Link::Valid
        } else {
            Link::Corrupt
        };
        links.insert(
            digest,
            LinkEntry {
                link,
                changed: entry.meta.changed,
            },
        );
    }
    Ok((links, beside))
}

/// Reads one repository's tags, revisions, layer links and uploads.
///
/// `repo` must be a name [`repositories`] returned.
pub fn repository(
    storage: &dyn Storage,
    repo: &str,
    layer_links: LayerLinks,
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
    let (revisions, pulled) = link_dir(
        storage,
        &paths::manifest_revisions(name),
        LayerLinks::Verify,
        Some(paths::PULL_RECORD),
        problems,
    )?;
    let (layers, _) = link_dir(
        storage,
        &paths::layer_links(name),
        layer_links,
        None,
        problems,
    )?;
    let tags_key = paths::manifest_tags(name);
    let mut tags = Vec::new();
    for tag_name in prefixes(storage, &tags_key)? {
        // A tag registry:2 could never have written: what it points at is unknown, so no
        // deletion may rely on this repository's tags.
        let Ok(tag) = Tag::parse(&tag_name) else {
            if let Some(key) = paths::child(&tags_key, &tag_name) {
                problems.push(Problem::at(
                    &key,
                    "not a valid tag name; what it points at is unknown",
                ));
            }
            state.uncertain = Some(format!(
                "{repo} has a tag with an invalid name {tag_name:?}"
            ));
            continue;
        };
        let current_key = paths::manifest_tag_current_link(name, tag);
        let (current, current_corrupt) = match read_link(storage, &current_key, None, problems) {
            None => (None, false),
            Some((Ok(d), _)) => (Some(d), false),
            Some((Err(()), _)) => (None, true),
        };
        let index = prefixes(storage, &paths::manifest_tag_index(name, tag))?
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
    let uploads_key = paths::uploads_root(name);
    let mut uploads = Vec::new();
    for id in prefixes(storage, &uploads_key)? {
        let Some(key) = paths::child(&uploads_key, &id) else {
            continue;
        };
        uploads.push(upload(storage, &key, id));
    }
    state.revisions = revisions;
    state.pulled = pulled;
    state.tags = tags;
    state.layers = layers;
    state.uploads = uploads;
    Ok(state)
}

/// An upload's times and size: `startedat` (RFC 3339, as registry:2 writes it) and the last
/// write to its files, so an upload started long ago that is still receiving data is not purged.
fn upload(storage: &dyn Storage, key: &Key, id: String) -> UploadState {
    let mut last_write = None;
    let mut bytes = 0;
    // Unreadable: judged by what was seen (an upload gc cannot read is as stale as its files).
    let _ = storage.walk(key, &|_| true, &mut |entry| {
        last_write = Some(last_write.map_or(entry.meta.modified, |w: SystemTime| {
            w.max(entry.meta.modified)
        }));
        bytes += entry.meta.len;
    });
    // Listed but without a single file: a directory a `POST /blobs/uploads/` created this
    // instant, before its `startedat` (an object store has no such prefix). It is being written
    // now, so it counts as written now: never purged, and it keeps its repository.
    let last_write = last_write.unwrap_or_else(SystemTime::now);
    let started = paths::child(key, "startedat")
        .and_then(|started| storage.get(&started, tree::LINK_LIMIT).ok().flatten());
    UploadState {
        id,
        has_started_at: started.is_some(),
        started_at: started.as_deref().and_then(tree::parse_started_at),
        last_write,
        bytes,
    }
}

/// The state of one blob, `None` if its data is gone.
///
/// # Errors
/// I/O errors other than "not found".
pub fn blob(storage: &dyn Storage, digest: &Digest) -> Result<Option<BlobState>, GcError> {
    let key = paths::blob_data(digest);
    Ok(storage
        .head(&key)
        .map_err(io_err(&key))?
        .map(|meta| BlobState {
            digest: *digest,
            size: meta.len,
            changed: meta.changed,
        }))
}

/// Every blob `blobs/sha256/<xx>/<hex>/data`, by one walk of the blob store.
pub fn blobs(
    storage: &dyn Storage,
    problems: &mut Vec<Problem>,
) -> Result<Vec<BlobState>, GcError> {
    let root = paths::blobs_sha256_root();
    let mut found = Vec::new();
    storage
        .walk(&root, &|name| name == "data", &mut |entry| {
            let mut segments = entry.relative.split('/');
            let digest = match (segments.next(), segments.next(), segments.next()) {
                (Some(prefix), Some(hex), Some("data")) if hex.starts_with(prefix) => {
                    digest_from_hex(hex).filter(|_| segments.next().is_none())
                }
                _ => None,
            };
            match digest {
                Some(digest) => found.push(BlobState {
                    digest,
                    size: entry.meta.len,
                    changed: entry.meta.changed,
                }),
                None => problems.push(Problem::at(&entry.key, "not a blob's data; skipped")),
            }
        })
        .map_err(io_err(&root))?;
    found.sort_by_key(|b| b.digest);
    Ok(found)
}
