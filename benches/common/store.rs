//! Benchmark stores written directly in registry:2's filesystem layout, shared by the gc and
//! lifecycle benchmarks.

use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

pub fn digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub fn write(path: &Path, bytes: &[u8]) {
    fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    fs::write(path, bytes).expect("write");
}

/// A store in registry:2's filesystem layout, written directly (no server): fast to build at
/// any size.
pub struct Store {
    /// `<root>/docker/registry/v2`.
    pub v2: PathBuf,
    pub layers_per_image: usize,
    pub layer_bytes: usize,
}

impl Store {
    pub fn blob(&self, bytes: &[u8]) -> String {
        let hex = digest(bytes);
        write(
            &self
                .v2
                .join("blobs/sha256")
                .join(&hex[..2])
                .join(&hex)
                .join("data"),
            bytes,
        );
        hex
    }

    fn link(&self, path: &Path, hex: &str) {
        write(path, format!("sha256:{hex}").as_bytes());
    }

    /// One image in `repo`: config, layers and manifest blobs with their links; tagged, or
    /// "deleted through the API" (revision link and tag gone, layer links left).
    pub fn image(&self, repo: &str, n: usize, live: bool) {
        let repo_dir = self.v2.join("repositories").join(repo);
        let config = format!(r#"{{"architecture":"amd64","os":"linux","n":"{repo}-{n}-{live}"}}"#);
        let config_hex = self.blob(config.as_bytes());
        self.link(
            &repo_dir
                .join("_layers/sha256")
                .join(&config_hex)
                .join("link"),
            &config_hex,
        );
        let mut layers = Vec::new();
        for l in 0..self.layers_per_image {
            let mut bytes = vec![0u8; self.layer_bytes];
            let seed = Sha256::digest(format!("{repo}/{n}/{l}/{live}").as_bytes());
            // xorshift from the seed: incompressible, and cheap at any size.
            let mut x = u64::from_le_bytes(seed[..8].try_into().expect("8 bytes")) | 1;
            for chunk in bytes.chunks_mut(8) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
            }
            let hex = self.blob(&bytes);
            self.link(
                &repo_dir.join("_layers/sha256").join(&hex).join("link"),
                &hex,
            );
            layers.push(format!(
                r#"{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:{hex}","size":{}}}"#,
                self.layer_bytes
            ));
        }
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{config_hex}","size":{}}},"layers":[{}]}}"#,
            config.len(),
            layers.join(",")
        );
        let hex = self.blob(manifest.as_bytes());
        if live {
            let tags = repo_dir.join("_manifests/tags").join(format!("t{n}"));
            self.link(&tags.join("index/sha256").join(&hex).join("link"), &hex);
            self.link(&tags.join("current/link"), &hex);
            self.link(
                &repo_dir
                    .join("_manifests/revisions/sha256")
                    .join(&hex)
                    .join("link"),
                &hex,
            );
        } else {
            fs::create_dir_all(repo_dir.join("_manifests/revisions/sha256").join(&hex))
                .expect("mkdir");
        }
    }
}
