//! What the pages show, gathered from the registry core (the same calls the API makes): rows of
//! the repository list, the tags of a repository, a manifest's details, the registry's totals.
//!
//! Reads run with bounded concurrency, and one page reads each distinct manifest once however
//! many tags point at it.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::SystemTime;

use futures_util::stream::{self, StreamExt as _};

use crate::digest::Digest;
use crate::oci::manifest::Descriptor;
use crate::oci::reference::{Name, Tag};
use crate::registry::{Referrer, Registry, RegistryError, StoredManifest};

/// Storage reads in flight at once for one page.
const CONCURRENCY: usize = 16;
/// Largest image config the manifest page reads.
const MAX_CONFIG_BYTES: u64 = 4 << 20;

/// One row of the repository list.
#[derive(Debug, Clone)]
pub struct RepositoryRow {
    pub name: String,
    pub tags: usize,
    /// Distinct blobs (configs and layers) of every tagged image, index children included.
    pub size: u64,
    pub changed: Option<SystemTime>,
}

/// The size of what a tag points at: config + layers, never the manifest's own bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageSize {
    Image(u64),
    /// An index: its platforms carry the sizes.
    Index,
    /// A manifest this registry cannot parse (schema 1).
    Unknown,
}

/// One platform of an index.
#[derive(Debug, Clone)]
pub struct PlatformRow {
    /// `os/arch`, `unknown/unknown` for buildx attestations.
    pub platform: String,
    pub digest: Digest,
    pub media_type: String,
    /// `None` when the child is not in the repository.
    pub size: Option<u64>,
    /// A buildx provenance/SBOM entry rather than a runnable image.
    pub attestation: bool,
}

/// One row of a repository's tag table.
#[derive(Debug, Clone)]
pub struct TagRow {
    pub tag: String,
    pub digest: Digest,
    pub media_type: String,
    pub size: ImageSize,
    pub pushed: Option<SystemTime>,
    /// Index children; empty for an image.
    pub platforms: Vec<PlatformRow>,
}

/// An image config's fields worth reading (all optional: configs are free-form).
#[derive(Debug, Clone, Default)]
pub struct ImageConfig {
    pub os_arch: Option<String>,
    pub created: Option<String>,
    pub user: Option<String>,
    pub working_dir: Option<String>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub env: Vec<String>,
    pub labels: Vec<(String, String)>,
    /// (created, created_by, empty_layer)
    pub history: Vec<(String, String, bool)>,
}

/// Everything the manifest page shows.
#[derive(Debug, Clone)]
pub struct ManifestView {
    pub manifest: Arc<StoredManifest>,
    /// Tags currently pointing at it.
    pub tags: Vec<String>,
    pub size: ImageSize,
    pub platforms: Vec<PlatformRow>,
    pub config: Option<Descriptor>,
    pub config_fields: Option<ImageConfig>,
    pub layers: Vec<Descriptor>,
    pub subject: Option<Descriptor>,
    pub referrers: Vec<Referrer>,
}

/// Config + layers of an image manifest.
#[must_use]
pub fn image_size(manifest: &StoredManifest) -> ImageSize {
    match &manifest.parsed {
        None => ImageSize::Unknown,
        Some(parsed) if parsed.kind.is_index() => ImageSize::Index,
        Some(parsed) => ImageSize::Image(parsed.blobs.iter().map(|b| b.size).sum()),
    }
}

/// Whether an index entry is a buildx attestation.
fn is_attestation(descriptor: &Descriptor) -> bool {
    descriptor
        .annotations
        .as_ref()
        .and_then(|a| a.get("vnd.docker.reference.type"))
        .is_some_and(|t| t == "attestation-manifest")
}

/// The digests `tags` of `name` point at (`None`: the tag went away meanwhile).
async fn resolve(registry: &Registry, name: Name<'_>, tags: &[String]) -> Vec<Option<Digest>> {
    stream::iter(tags.iter().cloned())
        .map(|tag: String| async move {
            let tag = Tag::parse(&tag).ok()?;
            registry.resolve_tag(name, tag).await.ok()
        })
        .buffered(CONCURRENCY)
        .collect()
        .await
}

/// Each distinct manifest of `digests`, read once.
async fn load(
    registry: &Registry,
    name: Name<'_>,
    digests: impl IntoIterator<Item = Digest>,
) -> HashMap<Digest, Arc<StoredManifest>> {
    let distinct: HashSet<Digest> = digests.into_iter().collect();
    stream::iter(distinct)
        .map(|digest| async move {
            registry
                .manifest_by_digest(name, digest)
                .await
                .ok()
                .map(|m| (digest, m))
        })
        .buffer_unordered(CONCURRENCY)
        .filter_map(|found| async move { found })
        .collect()
        .await
}

/// The children of every index among `manifests`, loaded.
async fn load_children(
    registry: &Registry,
    name: Name<'_>,
    manifests: &HashMap<Digest, Arc<StoredManifest>>,
) -> HashMap<Digest, Arc<StoredManifest>> {
    let children = manifests
        .values()
        .filter_map(|m| m.parsed.as_ref())
        .flat_map(|p| p.children.iter().map(|c| c.digest))
        .filter(|d| !manifests.contains_key(d));
    let mut loaded = load(registry, name, children.collect::<Vec<_>>()).await;
    loaded.extend(manifests.iter().map(|(d, m)| (*d, Arc::clone(m))));
    loaded
}

fn platforms(
    manifest: &StoredManifest,
    known: &HashMap<Digest, Arc<StoredManifest>>,
) -> Vec<PlatformRow> {
    let Some(parsed) = &manifest.parsed else {
        return Vec::new();
    };
    parsed
        .children
        .iter()
        .map(|child| PlatformRow {
            platform: child
                .platform
                .as_ref()
                .map_or_else(|| "-".to_owned(), |(arch, os)| format!("{os}/{arch}")),
            digest: child.digest,
            media_type: child.media_type.clone(),
            size: known.get(&child.digest).and_then(|m| match image_size(m) {
                ImageSize::Image(n) => Some(n),
                ImageSize::Index | ImageSize::Unknown => None,
            }),
            attestation: is_attestation(child),
        })
        .collect()
}

/// Every tag of `name`, in byte order.
///
/// # Errors
/// [`RegistryError::NameUnknown`] and storage errors.
pub async fn all_tags(registry: &Registry, name: Name<'_>) -> Result<Vec<String>, RegistryError> {
    Ok(registry.tags(name, None, None).await?.0)
}

/// The rows of the repository list for `names`.
pub async fn repository_rows(registry: &Registry, names: Vec<String>) -> Vec<RepositoryRow> {
    stream::iter(names)
        .map(|repo| async move {
            let Ok(name) = Name::parse(&repo) else {
                return RepositoryRow {
                    name: repo.clone(),
                    tags: 0,
                    size: 0,
                    changed: None,
                };
            };
            let tags = all_tags(registry, name).await.unwrap_or_default();
            let digests = resolve(registry, name, &tags).await;
            let manifests = load(registry, name, digests.into_iter().flatten()).await;
            let all = load_children(registry, name, &manifests).await;
            let mut blobs: HashMap<Digest, u64> = HashMap::new();
            for manifest in all.values() {
                if let Some(parsed) = &manifest.parsed {
                    blobs.extend(parsed.blobs.iter().map(|b| (b.digest, b.size)));
                }
            }
            // The repository last changed when one of its tags was last pushed.
            let changed = registry
                .tag_push_times(name, tags.clone())
                .await
                .ok()
                .and_then(|times| times.into_iter().flatten().max());
            RepositoryRow {
                tags: tags.len(),
                size: blobs.values().sum(),
                changed,
                name: repo,
            }
        })
        .buffered(4)
        .collect()
        .await
}

/// The tag rows of `name` for `tags`.
///
/// # Errors
/// Storage errors reading push times.
pub async fn tag_rows(
    registry: &Registry,
    name: Name<'_>,
    tags: Vec<String>,
) -> Result<Vec<TagRow>, RegistryError> {
    let digests = resolve(registry, name, &tags).await;
    let manifests = load(registry, name, digests.iter().flatten().copied()).await;
    let known = load_children(registry, name, &manifests).await;
    let times = registry.tag_push_times(name, tags.clone()).await?;
    let mut rows = Vec::with_capacity(tags.len());
    for ((tag, digest), pushed) in tags.into_iter().zip(digests).zip(times) {
        let Some(manifest) = digest.and_then(|d| manifests.get(&d)) else {
            continue;
        };
        rows.push(TagRow {
            tag,
            digest: manifest.digest,
            media_type: manifest.media_type.clone(),
            size: image_size(manifest),
            pushed,
            platforms: platforms(manifest, &known),
        });
    }
    Ok(rows)
}

/// The manifest page's content.
///
/// # Errors
/// [`RegistryError::ManifestUnknown`] and storage errors.
pub async fn manifest_view(
    registry: &Registry,
    name: Name<'_>,
    digest: Digest,
) -> Result<ManifestView, RegistryError> {
    let manifest = registry.manifest_by_digest(name, digest).await?;
    let tags = all_tags(registry, name).await?;
    let digests = resolve(registry, name, &tags).await;
    let tags = tags
        .into_iter()
        .zip(digests)
        .filter(|(_, d)| *d == Some(digest))
        .map(|(t, _)| t)
        .collect();
    let mut own = HashMap::new();
    own.insert(digest, Arc::clone(&manifest));
    let known = load_children(registry, name, &own).await;
    let parsed = manifest.parsed.as_ref();
    let config = parsed
        .filter(|p| !p.kind.is_index())
        .and_then(|p| p.blobs.first().cloned());
    let config_fields = match &config {
        Some(c) => registry
            .small_blob(name, c.digest, MAX_CONFIG_BYTES)
            .await
            .ok()
            .flatten()
            .and_then(|bytes| image_config(&bytes)),
        None => None,
    };
    let referrers = registry
        .referrers(name, digest, None)
        .await
        .unwrap_or_default();
    Ok(ManifestView {
        size: image_size(&manifest),
        platforms: platforms(&manifest, &known),
        layers: parsed
            .filter(|p| !p.kind.is_index())
            .map(|p| p.blobs.iter().skip(1).cloned().collect())
            .unwrap_or_default(),
        subject: parsed.and_then(|p| p.subject.clone()),
        config,
        config_fields,
        referrers,
        tags,
        manifest,
    })
}

/// Reads an OCI/Docker image config; `None` when it is not a JSON object (an artifact's config).
#[must_use]
pub fn image_config(bytes: &[u8]) -> Option<ImageConfig> {
    use serde_json::Value;
    let json: Value = serde_json::from_slice(bytes).ok()?;
    let object = json.as_object()?;
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let strings = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let inner = object.get("config");
    let field = |key: &str| inner.and_then(|c| c.get(key));
    let os_arch = match (text(object.get("os")), text(object.get("architecture"))) {
        (Some(os), Some(arch)) => Some(match text(object.get("variant")) {
            Some(variant) => format!("{os}/{arch}/{variant}"),
            None => format!("{os}/{arch}"),
        }),
        _ => None,
    };
    let mut labels: Vec<(String, String)> = field("Labels")
        .and_then(Value::as_object)
        .map(|l| {
            l.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    labels.sort();
    let history = object
        .get("history")
        .and_then(Value::as_array)
        .map(|h| {
            h.iter()
                .map(|entry| {
                    (
                        text(entry.get("created")).unwrap_or_default(),
                        text(entry.get("created_by")).unwrap_or_default(),
                        entry
                            .get("empty_layer")
                            .and_then(Value::as_bool)
                            .unwrap_or(false),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Some(ImageConfig {
        os_arch,
        created: text(object.get("created")),
        user: text(field("User")).filter(|u| !u.is_empty()),
        working_dir: text(field("WorkingDir")).filter(|w| !w.is_empty()),
        entrypoint: strings(field("Entrypoint")),
        cmd: strings(field("Cmd")),
        env: strings(field("Env")),
        labels,
        history,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_config_reads_the_usual_fields_and_tolerates_the_rest() {
        let config = br#"{"os":"linux","architecture":"arm64","variant":"v8",
            "created":"2026-01-02T03:04:05Z",
            "config":{"Entrypoint":["/bin/app"],"Cmd":["--serve"],"Env":["PATH=/bin"],
                      "Labels":{"b":"2","a":"1"},"User":"","WorkingDir":"/srv"},
            "history":[{"created":"2026-01-01T00:00:00Z","created_by":"COPY app /bin/app"},
                       {"created_by":"CMD","empty_layer":true}]}"#;
        let c = image_config(config).unwrap();
        assert_eq!(c.os_arch.as_deref(), Some("linux/arm64/v8"));
        assert_eq!(c.entrypoint, ["/bin/app"]);
        assert_eq!(c.cmd, ["--serve"]);
        assert_eq!(
            c.labels,
            [("a".into(), "1".into()), ("b".into(), "2".into())]
        );
        assert_eq!(c.user, None);
        assert_eq!(c.working_dir.as_deref(), Some("/srv"));
        assert_eq!(c.history.len(), 2);
        assert!(c.history[1].2);
        assert!(image_config(b"[]").is_none());
        assert!(image_config(b"{}").is_some());
    }
}
