//! Generated content: blobs, OCI images and the big blob, made once per run and pushed identically
//! to both servers (a fixed seed keeps runs comparable).

use bytes::Bytes;
use rand::rngs::StdRng;
use rand::{Rng as _, RngCore as _, SeedableRng as _};
use serde_json::json;
use sha2::{Digest as _, Sha256};

use crate::api::OCI_MANIFEST;

pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.oci.image.config.v1+json";
pub const LAYER_MEDIA_TYPE: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

pub fn seeded(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

pub fn sha256_digest(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

pub fn random_bytes(rng: &mut StdRng, len: usize) -> Bytes {
    let mut data = vec![0u8; len];
    rng.fill_bytes(&mut data);
    Bytes::from(data)
}

/// A blob and its digest.
#[derive(Clone)]
pub struct Blob {
    pub digest: String,
    pub data: Bytes,
}

impl Blob {
    pub fn new(data: Bytes) -> Self {
        Self {
            digest: sha256_digest(&data),
            data,
        }
    }

    pub fn random(rng: &mut StdRng, len: usize) -> Self {
        Self::new(random_bytes(rng, len))
    }

    /// A random size in `[min, max]` bytes.
    pub fn random_sized(rng: &mut StdRng, min: usize, max: usize) -> Self {
        let len = rng.random_range(min..=max);
        Self::random(rng, len)
    }

    /// The hex part of the digest (registry:2 paths use it).
    pub fn hex(&self) -> &str {
        self.digest.trim_start_matches("sha256:")
    }
}

/// An OCI image: config, layers and the manifest that references them.
#[derive(Clone)]
pub struct Image {
    pub config: Blob,
    pub layers: Vec<Blob>,
    pub manifest: Blob,
}

impl Image {
    /// `label` makes the config (and so the manifest digest) unique per image.
    pub fn new(label: &str, layers: Vec<Blob>) -> Self {
        let diff_ids: Vec<&str> = layers.iter().map(|l| l.digest.as_str()).collect();
        let config = json!({
            "architecture": "amd64",
            "os": "linux",
            "config": { "Labels": { "bench": label } },
            "rootfs": { "type": "layers", "diff_ids": diff_ids },
        });
        let config = Blob::new(Bytes::from(config.to_string()));
        let descriptor = |media_type: &str, blob: &Blob| json!({ "mediaType": media_type, "digest": blob.digest, "size": blob.data.len() });
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": descriptor(CONFIG_MEDIA_TYPE, &config),
            "layers": layers.iter().map(|l| descriptor(LAYER_MEDIA_TYPE, l)).collect::<Vec<_>>(),
        });
        let manifest = Blob::new(Bytes::from(manifest.to_string()));
        Self {
            config,
            layers,
            manifest,
        }
    }

    /// Config first, then layers: the order docker pushes them in.
    pub fn blobs(&self) -> impl Iterator<Item = &Blob> {
        std::iter::once(&self.config).chain(self.layers.iter())
    }
}

/// A big blob made of one random pattern repeated: pushing it streams slices of the pattern
/// (zero-copy `Bytes`), so the client holds the pattern once, never the whole blob.
pub struct BigBlob {
    pattern: Bytes,
    repeats: usize,
    pub digest: String,
}

impl BigBlob {
    /// `len` must be a multiple of `pattern_len`, which must be a multiple of every chunk size used.
    pub fn generate(rng: &mut StdRng, len: u64, pattern_len: usize) -> Self {
        let pattern = random_bytes(rng, pattern_len);
        let repeats = usize::try_from(len / pattern_len as u64).unwrap_or(usize::MAX);
        let mut hasher = Sha256::new();
        for _ in 0..repeats {
            hasher.update(&pattern);
        }
        Self {
            digest: format!("sha256:{}", hex::encode(hasher.finalize())),
            pattern,
            repeats,
        }
    }

    pub fn len(&self) -> u64 {
        self.pattern.len() as u64 * self.repeats as u64
    }

    /// The blob as consecutive `chunk_size` slices.
    pub fn chunks(&self, chunk_size: usize) -> impl Iterator<Item = Bytes> + Send + 'static {
        let pattern = self.pattern.clone();
        let per_pattern = pattern.len().div_ceil(chunk_size);
        (0..self.repeats).flat_map(move |_| {
            let pattern = pattern.clone();
            (0..per_pattern).map(move |i| {
                let start = i * chunk_size;
                pattern.slice(start..(start + chunk_size).min(pattern.len()))
            })
        })
    }
}
