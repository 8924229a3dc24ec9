//! Writes registry:2's on-disk layout directly, before a server starts, to populate the listing
//! workloads (5,000 repositories, 5,000 tags) in seconds instead of minutes of API pushes.
//!
//! Serving a tree another process wrote is exactly what "take over an existing registry:2 storage
//! directory" means. Paths follow distribution's `registry/storage/paths.go`; links hold
//! `sha256:<hex>` with no trailing newline.
//!
//! The listing workloads only read, so all their runs (both servers, every round) share one tree:
//! writing and deleting 100,000 inodes per run would cost minutes on a small VM. A fingerprint of
//! every path, size and mtime is taken after writing and checked after each run; if a server
//! changed anything, the tree is discarded and the next run gets a freshly written one.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::content::{Blob, Image};

/// Every repository in `repos` gets every tag in `tags`, all pointing at `image`'s manifest.
pub fn write_repositories(
    root: &Path,
    image: &Image,
    repos: &[String],
    tags: &[String],
) -> Result<()> {
    let v2 = root.join("docker/registry/v2");
    for blob in image.blobs().chain(std::iter::once(&image.manifest)) {
        write_blob(&v2, blob)?;
    }
    for repo in repos {
        let repo_dir = v2.join("repositories").join(repo);
        for blob in image.blobs() {
            write_link(
                &repo_dir.join("_layers/sha256").join(blob.hex()),
                &blob.digest,
            )?;
        }
        let manifests = repo_dir.join("_manifests");
        let manifest = &image.manifest;
        write_link(
            &manifests.join("revisions/sha256").join(manifest.hex()),
            &manifest.digest,
        )?;
        for tag in tags {
            let tag_dir = manifests.join("tags").join(tag);
            // distribution writes the index link before `current`; so do we.
            write_link(
                &tag_dir.join("index/sha256").join(manifest.hex()),
                &manifest.digest,
            )?;
            write_link(&tag_dir.join("current"), &manifest.digest)?;
        }
    }
    Ok(())
}

fn write_blob(v2: &Path, blob: &Blob) -> Result<()> {
    let hex = blob.hex();
    let dir = v2.join("blobs/sha256").join(&hex[..2]).join(hex);
    write_file(dir, "data", &blob.data)
}

fn write_link(dir: &Path, digest: &str) -> Result<()> {
    write_file(dir.to_path_buf(), "link", digest.as_bytes())
}

fn write_file(dir: PathBuf, name: &str, data: &[u8]) -> Result<()> {
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(name);
    let mut file =
        fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    file.write_all(data)
        .with_context(|| format!("writing {}", path.display()))
}

/// One written tree shared by the runs of a read-only workload.
pub struct SharedTree {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
    fingerprint: String,
}

impl SharedTree {
    pub fn write(parent: &Path, prepare: impl FnOnce(&Path) -> Result<()>) -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("shared-")
            .tempdir_in(parent)?;
        let root = dir.path().join("data");
        fs::create_dir(&root)?;
        let started = std::time::Instant::now();
        prepare(&root)?;
        eprintln!(
            "    wrote the storage layout in {:.1} s (shared by this workload's runs)",
            started.elapsed().as_secs_f64()
        );
        let fingerprint = fingerprint(&root)?;
        Ok(Self {
            _dir: dir,
            root,
            fingerprint,
        })
    }

    /// Whether the tree is still exactly as written.
    pub fn unchanged(&self) -> Result<bool> {
        Ok(fingerprint(&self.root)? == self.fingerprint)
    }
}

/// A digest of every path, size and modification time under `root`: any file or directory a
/// server creates, removes or rewrites changes it.
pub fn fingerprint(root: &Path) -> Result<String> {
    use sha2::{Digest as _, Sha256};
    let mut hasher = Sha256::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let mut entries: Vec<fs::DirEntry> = fs::read_dir(&dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .collect::<std::io::Result<_>>()?;
        entries.sort_by_key(fs::DirEntry::file_name);
        for entry in entries {
            let metadata = entry.metadata()?;
            let path = entry.path();
            let modified = metadata
                .modified()?
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            hasher.update(path.as_os_str().as_encoded_bytes());
            hasher.update(metadata.len().to_le_bytes());
            hasher.update(modified.to_le_bytes());
            if metadata.is_dir() {
                pending.push(path);
            }
        }
    }
    Ok(hex::encode(hasher.finalize()))
}
