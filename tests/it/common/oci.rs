//! OCI image layouts on disk, the source or destination of `skopeo copy oci:DIR:TAG`.
#![allow(dead_code)]

use std::fs;
use std::path::Path;
use std::process::Command;

use super::registry::{digest, OCI_CONFIG, OCI_LAYER, OCI_MANIFEST};

/// The `oci:` transport reference skopeo reads for `tag` in the layout at `dir`.
pub fn oci_reference(dir: &Path, tag: &str) -> String {
    format!("oci:{}:{tag}", dir.display())
}

/// `skopeo copy --preserve-digests oci:<layout>:<tag> docker://<addr>/<repo>:<tag>` over plain
/// HTTP.
pub fn skopeo_push(layout: &Path, tag: &str, addr: &str, repo: &str) {
    super::registry::skopeo(&[
        "copy",
        "--preserve-digests",
        "--dest-tls-verify=false",
        &oci_reference(layout, tag),
        &format!("docker://{addr}/{repo}:{tag}"),
    ]);
}

/// Copies `docker://<addr>/<repo>:<tag>` to a fresh OCI layout at `into` keeping digests;
/// returns its blob names.
pub fn skopeo_pull(addr: &str, repo: &str, tag: &str, into: &Path) -> Vec<String> {
    super::registry::skopeo(&[
        "copy",
        "--preserve-digests",
        "--src-tls-verify=false",
        &format!("docker://{addr}/{repo}:{tag}"),
        &oci_reference(into, tag),
    ]);
    layout_blobs(into)
}

/// Writes an OCI image layout at `dir` with one image tagged `tag`: a config and `layer_count`
/// plain tar layers (made with `tar`). Returns the manifest digest.
pub fn write_oci_layout(dir: &Path, tag: &str, layer_count: usize, layer_size: usize) -> String {
    let blobs = dir.join("blobs/sha256");
    fs::create_dir_all(&blobs).unwrap();
    let put = |data: &[u8]| -> (String, usize) {
        let d = digest(data);
        fs::write(blobs.join(d.trim_start_matches("sha256:")), data).unwrap();
        (d, data.len())
    };
    let mut layers = Vec::new();
    for i in 0..layer_count {
        let src = dir.join(format!("src{i}"));
        fs::create_dir_all(&src).unwrap();
        let content: Vec<u8> = (0..layer_size)
            .map(|j| ((i * 31 + j * 7) % 251) as u8)
            .collect();
        fs::write(src.join(format!("file{i}.bin")), content).unwrap();
        let tar = dir.join(format!("layer{i}.tar"));
        let status = Command::new("tar")
            .args(["--sort=name", "--mtime=@0", "--owner=0", "--group=0", "-cf"])
            .arg(&tar)
            .arg("-C")
            .arg(&src)
            .arg(".")
            .status()
            .unwrap();
        assert!(status.success());
        let data = fs::read(&tar).unwrap();
        fs::remove_file(&tar).unwrap();
        fs::remove_dir_all(&src).unwrap();
        layers.push(put(&data));
    }
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": layers.iter().map(|(d, _)| d.clone()).collect::<Vec<_>>()},
    }))
    .unwrap();
    let (config_digest, config_size) = put(&config);
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": config_size},
        "layers": layers.iter().map(|(d, s)| serde_json::json!({"mediaType": OCI_LAYER, "digest": d, "size": s})).collect::<Vec<_>>(),
    }))
    .unwrap();
    let (manifest_digest, manifest_size) = put(&manifest);
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": OCI_MANIFEST,
            "digest": manifest_digest,
            "size": manifest_size,
            "annotations": {"org.opencontainers.image.ref.name": tag},
        }],
    });
    fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    manifest_digest
}

/// Every blob file name under an OCI layout, sorted.
pub fn layout_blobs(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir.join("blobs/sha256"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
