//! Image presentation: per-tag and per-image details (digest, creation time, size) gathered with
//! bounded concurrency for `regctl tags --details` and friends.

use super::*;

/// One tag and the manifest it points at.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TagInfo {
    pub tag: String,
    pub digest: String,
    pub media_type: String,
    /// Size of the manifest document in bytes.
    pub size: u64,
}

/// What an image's manifest and config say beyond the manifest's own digest and size.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ImageDetails {
    /// `created` from the image config, when the config has it (an index has no single one).
    pub created: Option<String>,
    /// Config plus layers, compressed, as the manifest declares them.
    pub image_size: Option<u64>,
}

/// Image configs are small JSON documents; refuse to download anything bigger as one.
pub(super) const MAX_CONFIG_SIZE: u64 = 4 * 1024 * 1024;

impl Client {
    /// HEADs every tag with at most `concurrency` requests in flight, keeping the tags' order.
    ///
    /// # Errors
    /// The first failure.
    pub async fn tag_details(
        &self,
        repository: &str,
        tags: &[String],
        concurrency: usize,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<Vec<TagInfo>, RemoteError> {
        in_order_bounded(tags, concurrency, progress, |tag| {
            self.head_manifest(repository, tag)
        })
        .await
    }

    /// Counts the tags of each repository with bounded concurrency. A repository listed by the
    /// catalog but gone when asked (distribution keeps emptied repositories) counts 0.
    ///
    /// # Errors
    /// The first failure.
    pub async fn tag_counts(
        &self,
        repositories: &[String],
        concurrency: usize,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<Vec<usize>, RemoteError> {
        in_order_bounded(
            repositories,
            concurrency,
            progress,
            |repository| async move {
                match self.tags(repository, Paging::default(), &|_| {}).await {
                    Ok(tags) => Ok(tags.len()),
                    Err(RemoteError::NotFound { .. }) => Ok(0),
                    Err(e) => Err(e),
                }
            },
        )
        .await
    }

    /// Reads the manifest `digest` and, for an image, its config: creation time and total size.
    ///
    /// # Errors
    /// The usual errors; a config blob larger than an image config can be.
    pub async fn image_details(
        &self,
        repository: &str,
        digest: &str,
    ) -> Result<ImageDetails, RemoteError> {
        let manifest = self.manifest(repository, digest).await?;
        if manifest.is_index() {
            return Ok(ImageDetails::default());
        }
        let json = manifest.json()?;
        let size_of = |v: &serde_json::Value| v.get("size").and_then(serde_json::Value::as_u64);
        let config = json.get("config");
        let layers = json
            .get("layers")
            .and_then(serde_json::Value::as_array)
            .map(|layers| layers.iter().map(size_of).sum::<Option<u64>>());
        let image_size = match (config.and_then(size_of), layers) {
            (Some(config), Some(Some(layers))) => Some(config + layers),
            _ => None,
        };
        let config_digest = config
            .and_then(|c| c.get("digest"))
            .and_then(serde_json::Value::as_str)
            .filter(|d| Digest::parse(d).is_ok());
        let created = match config_digest {
            Some(config_digest) => {
                let bytes = self
                    .blob(repository, config_digest, MAX_CONFIG_SIZE)
                    .await?;
                serde_json::from_slice::<serde_json::Value>(&bytes)
                    .ok()
                    .and_then(|c| c.get("created")?.as_str().map(str::to_owned))
            }
            None => None,
        };
        Ok(ImageDetails {
            created,
            image_size,
        })
    }

    /// [`Client::image_details`] for many digests, `concurrency` at a time, in order.
    ///
    /// # Errors
    /// The first failure.
    pub async fn images_details(
        &self,
        repository: &str,
        digests: &[String],
        concurrency: usize,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<Vec<ImageDetails>, RemoteError> {
        in_order_bounded(digests, concurrency, progress, |digest| {
            self.image_details(repository, digest)
        })
        .await
    }
}

/// Runs `work` on every item with at most `concurrency` in flight, returning the results in the
/// items' order and reporting the number finished so far to `progress` after each one.
pub(super) async fn in_order_bounded<'a, I, T, F, Fut>(
    items: &'a [I],
    concurrency: usize,
    progress: &(dyn Fn(usize) + Sync),
    work: F,
) -> Result<Vec<T>, RemoteError>
where
    F: Fn(&'a I) -> Fut,
    Fut: std::future::Future<Output = Result<T, RemoteError>>,
{
    let done = std::sync::atomic::AtomicUsize::new(0);
    let done = &done;
    stream::iter(items)
        .map(|item| {
            let finished = work(item);
            async move {
                let result = finished.await;
                progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1);
                result
            }
        })
        .buffered(concurrency.max(1))
        .try_collect()
        .await
}
