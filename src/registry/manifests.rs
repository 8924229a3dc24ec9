//! Manifests and tags: push with reference validation, fetch through an in-memory cache, delete.
//!
//! Storage (distribution's layout): the bytes are a blob, the repository links them under
//! `_manifests/revisions`, a tag writes `index/<digest>/link` and then `current/link`. Every write
//! is durable before the push is acknowledged.
//!
//! Cache: tag → digest and digest → manifest per repository, filled on read and updated by this
//! process's writes. A generation counter, bumped under the cache lock by every write, keeps a read
//! that raced with a write from caching what it read before the write. Entries older than
//! `revalidate_after` are checked against storage again before use.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::blobs::{blob_size, linked_layer_size, linked_manifest_size};
use super::immutable::ImmutableTags;
use super::{read_link, write_link, Registry, RegistryError};
use crate::digest::Digest;
use crate::oci::manifest::{self, ManifestKind, ParsedManifest};
use crate::oci::reference::{Name, Reference, Tag};
use crate::storage::backend::{Durability, Storage};
use crate::storage::paths;

/// A manifest as stored: its exact bytes and what the API needs to serve them.
#[derive(Debug, Clone)]
pub struct StoredManifest {
    pub digest: Digest,
    /// The Content-Type to serve (the manifest's own media type).
    pub media_type: String,
    pub bytes: Bytes,
    /// `None` for manifests this registry would not accept but finds in storage (e.g. schema1
    /// pushed to registry:2): they are served as they are.
    pub parsed: Option<ParsedManifest>,
}

impl StoredManifest {
    fn new(digest: Digest, bytes: Bytes) -> Self {
        let parsed = manifest::parse(&bytes, "").ok();
        let media_type = match &parsed {
            Some(p) => p.kind.media_type().to_owned(),
            None => sniff_media_type(&bytes),
        };
        Self {
            digest,
            media_type,
            bytes,
            parsed,
        }
    }

    #[must_use]
    pub fn kind(&self) -> Option<ManifestKind> {
        self.parsed.as_ref().map(|p| p.kind)
    }
}

fn sniff_media_type(bytes: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Sniff {
        media_type: Option<String>,
        schema_version: Option<i64>,
    }
    match serde_json::from_slice::<Sniff>(bytes) {
        Ok(Sniff {
            media_type: Some(m),
            ..
        }) => m,
        Ok(Sniff {
            schema_version: Some(1),
            ..
        }) => "application/vnd.docker.distribution.manifest.v1+prettyjws".to_owned(),
        _ => "application/json".to_owned(),
    }
}

/// The outcome of a manifest push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutManifest {
    pub digest: Digest,
    /// The subject the manifest refers to (answered as `OCI-Subject`).
    pub subject: Option<Digest>,
    /// Tags now pointing at the manifest.
    pub tags: Vec<String>,
    /// The manifest's media type and size, for the push event.
    pub media_type: &'static str,
    pub size: usize,
}

enum Lookup<T> {
    Fresh(T),
    Stale(T),
    Miss,
}

#[derive(Default)]
struct RepoCache {
    tags: HashMap<String, (Digest, Instant)>,
    manifests: HashMap<Digest, (Arc<StoredManifest>, Instant)>,
}

#[derive(Default)]
struct CacheInner {
    generation: u64,
    bytes: usize,
    repos: HashMap<String, RepoCache>,
}

pub(super) struct ManifestCache {
    inner: RwLock<CacheInner>,
    cap: usize,
}

impl ManifestCache {
    pub(super) fn new(cap: usize) -> Self {
        Self {
            inner: RwLock::default(),
            cap,
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, CacheInner> {
        self.inner
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, CacheInner> {
        self.inner
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn generation(&self) -> u64 {
        self.read().generation
    }

    fn tag(&self, repo: &str, tag: &str, max_age: Duration) -> Lookup<Digest> {
        match self.read().repos.get(repo).and_then(|r| r.tags.get(tag)) {
            Some((d, at)) if at.elapsed() < max_age => Lookup::Fresh(*d),
            Some((d, _)) => Lookup::Stale(*d),
            None => Lookup::Miss,
        }
    }

    fn manifest(
        &self,
        repo: &str,
        digest: &Digest,
        max_age: Duration,
    ) -> Lookup<Arc<StoredManifest>> {
        match self
            .read()
            .repos
            .get(repo)
            .and_then(|r| r.manifests.get(digest))
        {
            Some((m, at)) if at.elapsed() < max_age => Lookup::Fresh(Arc::clone(m)),
            Some((m, _)) => Lookup::Stale(Arc::clone(m)),
            None => Lookup::Miss,
        }
    }

    /// Caches what a read found, unless a write happened since `seen` was taken.
    fn fill(
        &self,
        seen: u64,
        repo: &str,
        tag: Option<(&str, Digest)>,
        m: Option<&Arc<StoredManifest>>,
    ) {
        let mut inner = self.write();
        if inner.generation != seen {
            return;
        }
        Self::put(&mut inner, self.cap, repo, tag, m);
    }

    fn put(
        inner: &mut CacheInner,
        cap: usize,
        repo: &str,
        tag: Option<(&str, Digest)>,
        m: Option<&Arc<StoredManifest>>,
    ) {
        let now = Instant::now();
        if let Some(m) = m {
            if inner.bytes + m.bytes.len() > cap {
                inner.repos.clear();
                inner.bytes = 0;
            }
        }
        let entry = match inner.repos.get_mut(repo) {
            Some(entry) => entry,
            None => inner.repos.entry(repo.to_owned()).or_default(),
        };
        let mut added = 0;
        if let Some((tag, digest)) = tag {
            match entry.tags.get_mut(tag) {
                Some(slot) => *slot = (digest, now),
                None => {
                    entry.tags.insert(tag.to_owned(), (digest, now));
                }
            }
        }
        if let Some(m) = m {
            if entry
                .manifests
                .insert(m.digest, (Arc::clone(m), now))
                .is_none()
            {
                added = m.bytes.len();
            }
        }
        inner.bytes += added;
    }

    /// Applies a write's effect, bumping the generation so in-flight reads do not cache stale data.
    fn update(&self, f: impl FnOnce(&mut CacheInner, usize)) {
        let mut inner = self.write();
        inner.generation += 1;
        f(&mut inner, self.cap);
    }
}

/// Reads a manifest revision of `name` from storage.
fn load_manifest(
    s: &dyn Storage,
    name: Name<'_>,
    digest: &Digest,
    limit: u64,
) -> Result<Option<Bytes>, RegistryError> {
    if read_link(s, &paths::manifest_revision_link(name, digest))? != Some(*digest) {
        return Ok(None);
    }
    Ok(s.get(&paths::blob_data(digest), limit)?.map(Bytes::from))
}

/// Every blob and child manifest `parsed` names must be in repository `name`.
fn check_references(
    s: &dyn Storage,
    name: Name<'_>,
    parsed: &ParsedManifest,
) -> Result<(), RegistryError> {
    for blob in parsed.blobs.iter().filter(|b| !b.external) {
        // Artifacts may use a manifest as a layer, so a linked revision counts too.
        if linked_layer_size(s, name, &blob.digest)?.is_none()
            && linked_manifest_size(s, name, &blob.digest)?.is_none()
        {
            return Err(RegistryError::ManifestBlobUnknown(blob.digest));
        }
    }
    for child in &parsed.children {
        if linked_manifest_size(s, name, &child.digest)?.is_none() {
            return Err(RegistryError::ManifestBlobUnknown(child.digest));
        }
    }
    Ok(())
}

/// Refuses to move `tag` of `name` away from what it names (to `to`, or by deleting it with
/// `None`) when an immutable rule covers it and it exists. Re-pushing the same digest is fine.
fn check_tag_may_change(
    s: &dyn Storage,
    immutable: &ImmutableTags,
    name: Name<'_>,
    tag: Tag<'_>,
    to: Option<&Digest>,
) -> Result<(), RegistryError> {
    let Some(rule) = immutable.rule_for(name.as_str(), tag.as_str()) else {
        return Ok(());
    };
    match read_link(s, &paths::manifest_tag_current_link(name, tag))? {
        Some(current) if Some(&current) != to => Err(RegistryError::TagImmutable {
            repository: name.as_str().to_owned(),
            tag: tag.as_str().to_owned(),
            rule: format!("{} {}", rule.repository, rule.tag.as_str()),
        }),
        _ => Ok(()),
    }
}

/// Writes tag `tag` → `digest`: the index entry first, then `current`, as distribution does.
///
/// A tag an immutable rule covers is created instead, never replaced, and its index entry
/// written only once it names `digest`: [`check_tag_may_change`] alone cannot stop two first
/// pushes racing (on two replicas, or two requests of one), the create decides which one the
/// tag names, and the other is refused as any later move is.
fn write_tag(
    s: &dyn Storage,
    immutable: &ImmutableTags,
    name: Name<'_>,
    tag: Tag<'_>,
    digest: &Digest,
) -> Result<(), RegistryError> {
    let current = paths::manifest_tag_current_link(name, tag);
    let index = paths::manifest_tag_index_link(name, tag, digest);
    if immutable.rule_for(name.as_str(), tag.as_str()).is_none() {
        write_link(s, &index, digest)?;
        return write_link(s, &current, digest);
    }
    // A present tag that names `digest` is a re-push; one removed meanwhile (only by an
    // operator, as nothing here deletes an immutable tag) is created on the second try.
    for _ in 0..2 {
        if s.create(&current, paths::link_content(digest))? {
            break;
        }
        check_tag_may_change(s, immutable, name, tag, Some(digest))?;
        if read_link(s, &current)?.is_some() {
            break;
        }
    }
    write_link(s, &index, digest)
}

impl Registry {
    /// The digest tag `tag` of `name` points at.
    ///
    /// # Errors
    /// [`RegistryError::ManifestUnknown`] for an unknown tag.
    pub async fn resolve_tag(&self, name: Name<'_>, tag: Tag<'_>) -> Result<Digest, RegistryError> {
        let max_age = self.opts.revalidate_after;
        if let Lookup::Fresh(d) = self
            .manifest_cache
            .tag(name.as_str(), tag.as_str(), max_age)
        {
            return Ok(d);
        }
        let seen = self.manifest_cache.generation();
        let key = paths::manifest_tag_current_link(name, tag);
        match self.blocking(move |s| read_link(s, &key)).await? {
            Some(digest) => {
                self.manifest_cache
                    .fill(seen, name.as_str(), Some((tag.as_str(), digest)), None);
                Ok(digest)
            }
            None => {
                self.manifest_cache.update(|c, _| {
                    if let Some(r) = c.repos.get_mut(name.as_str()) {
                        r.tags.remove(tag.as_str());
                    }
                });
                Err(RegistryError::ManifestUnknown)
            }
        }
    }

    /// A manifest of `name` by tag or digest.
    ///
    /// # Errors
    /// [`RegistryError::ManifestUnknown`].
    pub async fn get_manifest(
        &self,
        name: Name<'_>,
        reference: Reference<'_>,
    ) -> Result<Arc<StoredManifest>, RegistryError> {
        let digest = match reference {
            Reference::Tag(tag) => self.resolve_tag(name, tag).await?,
            Reference::Digest(d) => d,
        };
        self.manifest_by_digest(name, digest).await
    }

    /// A manifest of `name` by digest.
    ///
    /// # Errors
    /// [`RegistryError::ManifestUnknown`].
    pub async fn manifest_by_digest(
        &self,
        name: Name<'_>,
        digest: Digest,
    ) -> Result<Arc<StoredManifest>, RegistryError> {
        let max_age = self.opts.revalidate_after;
        let cached = match self
            .manifest_cache
            .manifest(name.as_str(), &digest, max_age)
        {
            Lookup::Fresh(m) => return Ok(m),
            Lookup::Stale(m) => Some(m),
            Lookup::Miss => None,
        };
        let seen = self.manifest_cache.generation();
        let link = paths::manifest_revision_link(name, &digest);
        let m = if let Some(m) = cached {
            // The bytes of a digest never change; only whether the repository still links it.
            let linked = self
                .blocking(move |s| Ok(read_link(s, &link)? == Some(digest)))
                .await?;
            linked.then_some(m)
        } else {
            let limit = self.opts.max_manifest_read_bytes;
            let blob = paths::blob_data(&digest);
            self.blocking(move |s| {
                if read_link(s, &link)? != Some(digest) {
                    return Ok(None);
                }
                Ok(s.get(&blob, limit)?
                    .map(|b| Arc::new(StoredManifest::new(digest, Bytes::from(b)))))
            })
            .await?
        };
        match m {
            Some(m) => {
                self.manifest_cache
                    .fill(seen, name.as_str(), None, Some(&m));
                Ok(m)
            }
            None => {
                self.manifest_cache.update(|c, _| {
                    if let Some(r) = c.repos.get_mut(name.as_str()) {
                        r.manifests.remove(&digest);
                    }
                });
                Err(RegistryError::ManifestUnknown)
            }
        }
    }

    /// Stores a manifest pushed to `reference` (a tag, or a digest the bytes must match), also
    /// tagging it with `extra_tags` (`?tag=` on a push by digest).
    ///
    /// # Errors
    /// `DigestMismatch`, `ManifestInvalid`, `ManifestBlobUnknown`, storage errors.
    pub async fn put_manifest(
        &self,
        name: Name<'_>,
        reference: Reference<'_>,
        content_type: &str,
        bytes: Bytes,
        extra_tags: &[Tag<'_>],
    ) -> Result<PutManifest, RegistryError> {
        let mut tags: Vec<String> = Vec::new();
        if let Reference::Tag(tag) = reference {
            tags.push(tag.as_str().to_owned());
        }
        for tag in extra_tags {
            if !tags.iter().any(|t| t == tag.as_str()) {
                tags.push(tag.as_str().to_owned());
            }
        }
        let expected = match reference {
            Reference::Digest(d) => Some(d),
            Reference::Tag(_) => None,
        };
        let repo = name.as_str().to_owned();
        let content_type = content_type.to_owned();
        let stored_bytes = bytes.clone();
        let locks = Arc::clone(&self.locks);
        let immutable = self.opts.immutable_tags.clone();
        let (stored, subject) = self
            .blocking(move |s| {
                let name = Name::parse(&repo).map_err(|_| RegistryError::NameUnknown)?;
                let digest = Digest::of(&bytes);
                if let Some(expected) = expected.filter(|e| *e != digest) {
                    return Err(RegistryError::DigestMismatch {
                        expected,
                        actual: Box::new(digest),
                    });
                }
                let parsed = manifest::parse(&bytes, &content_type)?;
                for tag in &tags {
                    let tag = Tag::parse(tag).map_err(|_| RegistryError::ManifestUnknown)?;
                    check_tag_may_change(s, &immutable, name, tag, Some(&digest))?;
                }
                // From the check that every referenced blob is here to the last link: a gc
                // sweeping meanwhile could delete a blob this manifest is about to reference.
                let guard = locks.reference_guard()?;
                check_references(s, name, &parsed)?;
                let blob = paths::blob_data(&digest);
                if blob_size(s, &digest)? != Some(bytes.len() as u64) {
                    s.put(&blob, &bytes, Durability::Durable)?;
                }
                write_link(s, &paths::manifest_revision_link(name, &digest), &digest)?;
                for tag in &tags {
                    let tag = Tag::parse(tag).map_err(|_| RegistryError::ManifestUnknown)?;
                    write_tag(s, &immutable, name, tag, &digest)?;
                }
                let subject = parsed.subject.as_ref().map(|d| d.digest);
                if let Some(subject) = subject {
                    let artifact_type = parsed.artifact_type.as_deref().unwrap_or("");
                    write_link(
                        s,
                        &paths::referrer_link(name, &subject, artifact_type, &digest),
                        &digest,
                    )?;
                }
                guard.confirm()?;
                let stored = StoredManifest {
                    digest,
                    media_type: parsed.kind.media_type().to_owned(),
                    bytes: stored_bytes,
                    parsed: Some(parsed),
                };
                Ok(((Arc::new(stored), tags), subject))
            })
            .await?;
        let (stored, tags) = stored;
        let digest = stored.digest;
        let media_type = stored.parsed.as_ref().map_or("", |p| p.kind.media_type());
        let size = stored.bytes.len();
        self.manifest_cache.update(|c, cap| {
            cache_pushed(c, cap, name.as_str(), &tags, &stored);
        });
        if !tags.is_empty() {
            self.tag_lists.invalidate(name.as_str());
        }
        self.catalog.note_repository(name.as_str());
        Ok(PutManifest {
            digest,
            subject,
            tags,
            media_type,
            size,
        })
    }

    /// Deletes manifest `digest` from `name`: its revision link, every tag currently pointing at
    /// it (as distribution does), and its entry in its subject's referrers.
    ///
    /// # Errors
    /// [`RegistryError::ManifestUnknown`].
    pub async fn delete_manifest(
        &self,
        name: Name<'_>,
        digest: Digest,
    ) -> Result<(), RegistryError> {
        let repo = name.as_str().to_owned();
        let limit = self.opts.max_manifest_read_bytes;
        let immutable = self.opts.immutable_tags.clone();
        self.blocking(move |s| {
            let name = Name::parse(&repo).map_err(|_| RegistryError::NameUnknown)?;
            let Some(bytes) = load_manifest(s, name, &digest, limit)? else {
                return Err(RegistryError::ManifestUnknown);
            };
            // Deleting a manifest deletes the tags naming it: none of them may be immutable.
            if !immutable.is_empty() {
                for entry in s.list(&paths::manifest_tags(name))? {
                    let Ok(tag) = Tag::parse(&entry.name) else {
                        continue;
                    };
                    let current = paths::manifest_tag_current_link(name, tag);
                    if immutable.rule_for(name.as_str(), tag.as_str()).is_some()
                        && read_link(s, &current)? == Some(digest)
                    {
                        check_tag_may_change(s, &immutable, name, tag, None)?;
                    }
                }
            }
            s.delete(&paths::manifest_pull_record(name, &digest))?;
            s.delete(&paths::manifest_revision_link(name, &digest))?;
            if let Ok(parsed) = manifest::parse(&bytes, "") {
                if let Some(subject) = parsed.subject {
                    let artifact_type = parsed.artifact_type.as_deref().unwrap_or("");
                    let link = paths::referrer_link(name, &subject.digest, artifact_type, &digest);
                    s.delete(&link)?;
                }
            }
            for entry in s.list(&paths::manifest_tags(name))? {
                let Ok(tag) = Tag::parse(&entry.name) else {
                    continue;
                };
                if read_link(s, &paths::manifest_tag_current_link(name, tag))? == Some(digest) {
                    s.delete_tree(&paths::manifest_tag(name, tag))?;
                }
            }
            Ok(())
        })
        .await?;
        self.manifest_cache.update(|c, _| {
            if let Some(r) = c.repos.get_mut(name.as_str()) {
                if let Some((m, _)) = r.manifests.remove(&digest) {
                    c.bytes = c.bytes.saturating_sub(m.bytes.len());
                }
                r.tags.retain(|_, (d, _)| *d != digest);
            }
        });
        self.tag_lists.invalidate(name.as_str());
        Ok(())
    }

    /// Removes tag `tag` only, leaving the manifest and its other tags (distribution 3).
    ///
    /// # Errors
    /// [`RegistryError::ManifestUnknown`] for an unknown tag.
    pub async fn delete_tag(&self, name: Name<'_>, tag: Tag<'_>) -> Result<(), RegistryError> {
        let current = paths::manifest_tag_current_link(name, tag);
        let dir = paths::manifest_tag(name, tag);
        let immutable = self.opts.immutable_tags.clone();
        let (repo, tag_name) = (name.as_str().to_owned(), tag.as_str().to_owned());
        self.blocking(move |s| {
            if read_link(s, &current)?.is_none() {
                return Err(RegistryError::ManifestUnknown);
            }
            let name = Name::parse(&repo).map_err(|_| RegistryError::NameUnknown)?;
            let tag = Tag::parse(&tag_name).map_err(|_| RegistryError::ManifestUnknown)?;
            check_tag_may_change(s, &immutable, name, tag, None)?;
            Ok(s.delete_tree(&dir)?)
        })
        .await?;
        self.manifest_cache.update(|c, _| {
            if let Some(r) = c.repos.get_mut(name.as_str()) {
                r.tags.remove(tag.as_str());
            }
        });
        self.tag_lists.invalidate(name.as_str());
        Ok(())
    }
}

/// Caches a manifest just pushed and the tags now pointing at it.
fn cache_pushed(
    c: &mut CacheInner,
    cap: usize,
    repo: &str,
    tags: &[String],
    m: &Arc<StoredManifest>,
) {
    ManifestCache::put(c, cap, repo, None, Some(m));
    for tag in tags {
        ManifestCache::put(c, cap, repo, Some((tag, m.digest)), None);
    }
}
