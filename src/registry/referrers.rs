//! The referrers API over an index stored where registry:2 does not look (distribution PR #4828):
//! `_manifests/revisions/sha256/<subject>/_referrers/_<artifactType>/sha256/<referrer>/link`,
//! written with every push of a manifest that has a `subject`.
//!
//! Manifests pushed while another server (registry:2) ran have no index entry. So the first
//! referrers query for a repository in this process scans its revisions once and writes the
//! missing entries; after that the index alone answers. Stale entries (referrer deleted elsewhere)
//! are skipped because every listed referrer must still be a revision of the repository.

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;

use super::manifests::StoredManifest;
use super::{read_link, write_link, Registry, RegistryError};
use crate::digest::Digest;
use crate::oci::manifest;
use crate::oci::reference::Name;
use crate::storage::backend::Storage;
use crate::storage::paths;

/// One entry of a referrers response.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Referrer {
    pub media_type: String,
    pub digest: Digest,
    pub size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

/// Repositories whose revisions have been scanned for unindexed referrers in this process.
#[derive(Default)]
pub(super) struct ReferrerScans {
    done: Mutex<HashSet<String>>,
}

impl ReferrerScans {
    fn is_done(&self, repo: &str) -> bool {
        self.done
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(repo)
    }

    fn mark(&self, repo: &str) {
        self.done
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(repo.to_owned());
    }
}

/// Indexes every revision of `name` that has a subject but no index entry.
fn scan_revisions(s: &dyn Storage, name: Name<'_>, limit: u64) -> Result<(), RegistryError> {
    for entry in s.list(&paths::manifest_revisions(name))? {
        let Ok(digest) = Digest::parse(&format!("sha256:{}", entry.name)) else {
            continue;
        };
        if read_link(s, &paths::manifest_revision_link(name, &digest))? != Some(digest) {
            continue;
        }
        let Some(bytes) = s.get(&paths::blob_data(&digest), limit)? else {
            continue;
        };
        let Ok(parsed) = manifest::parse(&bytes, "") else {
            continue;
        };
        if let Some(subject) = parsed.subject {
            let artifact_type = parsed.artifact_type.as_deref().unwrap_or("");
            let link = paths::referrer_link(name, &subject.digest, artifact_type, &digest);
            if read_link(s, &link)? != Some(digest) {
                write_link(s, &link, &digest)?;
            }
        }
    }
    Ok(())
}

/// Digests listed in the index for `subject`.
fn indexed(
    s: &dyn Storage,
    name: Name<'_>,
    subject: &Digest,
) -> Result<Vec<Digest>, RegistryError> {
    let dir = paths::referrers_dir(name, subject);
    let mut found = Vec::new();
    for by_type in s.list(&dir)? {
        if !by_type.is_prefix() || !by_type.name.starts_with('_') {
            continue;
        }
        let Some(of_type) = paths::referrers_of_type(&dir, &by_type.name) else {
            continue;
        };
        for entry in s.list(&of_type)? {
            if let Ok(d) = Digest::parse(&format!("sha256:{}", entry.name)) {
                found.push(d);
            }
        }
    }
    found.sort_unstable();
    found.dedup();
    Ok(found)
}

fn describe(m: &StoredManifest) -> Referrer {
    let parsed = m.parsed.as_ref();
    Referrer {
        media_type: m.media_type.clone(),
        digest: m.digest,
        size: m.bytes.len() as u64,
        artifact_type: parsed.and_then(|p| p.artifact_type.clone()),
        annotations: parsed.and_then(|p| p.annotations.clone()),
    }
}

impl Registry {
    /// Manifests of `name` whose subject is `subject`, optionally only those of `artifact_type`.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn referrers(
        &self,
        name: Name<'_>,
        subject: Digest,
        artifact_type: Option<&str>,
    ) -> Result<Vec<Referrer>, RegistryError> {
        if !self.referrers.is_done(name.as_str()) {
            let repo = name.as_str().to_owned();
            let limit = self.opts.max_manifest_read_bytes;
            self.blocking(move |s| {
                let name = Name::parse(&repo).map_err(|_| RegistryError::NameUnknown)?;
                scan_revisions(s, name, limit)
            })
            .await?;
            self.referrers.mark(name.as_str());
        }
        let repo = name.as_str().to_owned();
        let digests = self
            .blocking(move |s| {
                let name = Name::parse(&repo).map_err(|_| RegistryError::NameUnknown)?;
                indexed(s, name, &subject)
            })
            .await?;
        let mut referrers = Vec::with_capacity(digests.len());
        for digest in digests {
            let m = match self.manifest_by_digest(name, digest).await {
                Ok(m) => m,
                Err(RegistryError::ManifestUnknown) => continue,
                Err(e) => return Err(e),
            };
            let still_refers = m
                .parsed
                .as_ref()
                .and_then(|p| p.subject.as_ref())
                .is_some_and(|s| s.digest == subject);
            if !still_refers {
                continue;
            }
            let referrer = describe(&m);
            if artifact_type.is_some_and(|t| referrer.artifact_type.as_deref() != Some(t)) {
                continue;
            }
            referrers.push(referrer);
        }
        Ok(referrers)
    }
}
