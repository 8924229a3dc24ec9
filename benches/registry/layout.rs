//! Writes registry:2's on-disk layout directly, before a server starts, to populate the listing
//! workloads (5,000 repositories, 5,000 tags) in seconds instead of minutes of API pushes.
//!
//! Both servers get byte-identical trees, and serving a tree another process wrote is exactly what
//! "take over an existing registry:2 storage directory" means. Paths follow distribution's
//! `registry/storage/paths.go`; links hold `sha256:<hex>` with no trailing newline.

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
