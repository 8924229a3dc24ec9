//! The size an operator means by "image size": what a pull downloads, i.e. the config plus the
//! layers the manifest declares (compressed), not the few hundred bytes of the manifest itself.
//! An index is several images, usually sharing layers, so it is described by how many platforms
//! it holds rather than by a sum that would count shared layers twice and cost a request per
//! platform.

use futures_util::stream::{self, StreamExt as _, TryStreamExt as _};
use serde::Serialize;

use super::client::{Client, Manifest};
use super::RemoteError;

/// The size of what a tag points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageSize {
    /// An image: config plus layers, compressed, as its manifest declares them.
    Image(u64),
    /// An index (multi-platform image) with this many platform manifests (attestations not
    /// counted).
    Platforms(usize),
    /// A manifest that declares no sizes (schema 1, an artifact without layers sizes).
    Unknown,
}

impl std::fmt::Display for ImageSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Image(bytes) => write!(f, "{}", bytesize::ByteSize::b(*bytes)),
            Self::Platforms(1) => f.write_str("1 platform"),
            Self::Platforms(n) => write!(f, "{n} platforms"),
            Self::Unknown => f.write_str("-"),
        }
    }
}

/// Reads the size from a manifest already fetched.
///
/// # Errors
/// When the manifest is not JSON.
pub fn image_size_of(manifest: &Manifest) -> Result<ImageSize, RemoteError> {
    let json = manifest.json()?;
    let size_of = |v: &serde_json::Value| v.get("size").and_then(serde_json::Value::as_u64);
    if manifest.is_index() {
        let platforms = json
            .get("manifests")
            .and_then(serde_json::Value::as_array)
            .map_or(0, |entries| {
                entries
                    .iter()
                    .filter(|entry| {
                        // buildx stores provenance as extra entries with platform unknown/unknown.
                        entry
                            .pointer("/annotations/vnd.docker.reference.type")
                            .and_then(serde_json::Value::as_str)
                            != Some("attestation-manifest")
                    })
                    .count()
            });
        return Ok(ImageSize::Platforms(platforms));
    }
    let config = json.get("config").and_then(size_of);
    let layers = json
        .get("layers")
        .and_then(serde_json::Value::as_array)
        .and_then(|layers| layers.iter().map(size_of).sum::<Option<u64>>());
    Ok(match (config, layers) {
        (Some(config), Some(layers)) => ImageSize::Image(config.saturating_add(layers)),
        _ => ImageSize::Unknown,
    })
}

impl Client {
    /// GETs each manifest in `digests` (`concurrency` at a time, in order) and reads its
    /// [`ImageSize`].
    ///
    /// # Errors
    /// The first failure.
    pub async fn image_sizes(
        &self,
        repository: &str,
        digests: &[String],
        concurrency: usize,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<Vec<ImageSize>, RemoteError> {
        let done = std::sync::atomic::AtomicUsize::new(0);
        let done = &done;
        stream::iter(digests)
            .map(|digest| async move {
                let size = image_size_of(&self.manifest(repository, digest).await?);
                progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1);
                size
            })
            .buffered(concurrency.max(1))
            .try_collect()
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(media_type: &str, json: &serde_json::Value) -> Manifest {
        Manifest {
            digest: "sha256:00".to_owned(),
            media_type: media_type.to_owned(),
            bytes: serde_json::to_vec(json).unwrap_or_default(),
        }
    }

    #[test]
    fn an_image_is_config_plus_layers() {
        let m = manifest(
            "application/vnd.oci.image.manifest.v1+json",
            &serde_json::json!({"config": {"size": 10}, "layers": [{"size": 100}, {"size": 1000}]}),
        );
        assert_eq!(image_size_of(&m).ok(), Some(ImageSize::Image(1110)));
        assert_eq!(ImageSize::Image(1110).to_string(), "1.1 KiB");
    }

    #[test]
    fn an_index_counts_platforms_without_attestations() {
        let m = manifest(
            "application/vnd.oci.image.index.v1+json",
            &serde_json::json!({"manifests": [
                {"platform": {"os": "linux", "architecture": "amd64"}},
                {"platform": {"os": "linux", "architecture": "arm64"}},
                {"annotations": {"vnd.docker.reference.type": "attestation-manifest"}},
            ]}),
        );
        assert_eq!(image_size_of(&m).ok(), Some(ImageSize::Platforms(2)));
        assert_eq!(ImageSize::Platforms(2).to_string(), "2 platforms");
    }

    #[test]
    fn missing_sizes_are_unknown() {
        let m = manifest(
            "application/vnd.docker.distribution.manifest.v1+prettyjws",
            &serde_json::json!({"fsLayers": []}),
        );
        assert_eq!(image_size_of(&m).ok(), Some(ImageSize::Unknown));
    }
}
