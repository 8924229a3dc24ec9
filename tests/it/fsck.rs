//! `regctl fsck` on a store written by skopeo through `regctl serve`, damaged on purpose, then
//! repaired and served again by Debian's docker-registry.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use crate::common::docker_registry::DockerRegistry;
use crate::common::oci::{oci_reference, write_oci_layout};
use crate::common::regctl;
use crate::common::registry::{skopeo, v2};
use crate::common::server::Server;

/// Layer digests (`sha256:...`) of `repo:tag` as stored (skopeo may have re-encoded them).
fn layers(root: &Path, repo: &str, tag: &str) -> Vec<String> {
    let link = v2(root).join(format!(
        "repositories/{repo}/_manifests/tags/{tag}/current/link"
    ));
    let manifest = fs::read_to_string(link).unwrap();
    let bytes = fs::read(blob_data(root, &manifest)).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    json["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap().to_owned())
        .collect()
}

fn blob_data(root: &Path, digest: &str) -> std::path::PathBuf {
    let hex = digest.trim_start_matches("sha256:");
    v2(root).join(format!("blobs/sha256/{}/{hex}/data", &hex[..2]))
}

/// Runs fsck with `args` and JSON output; returns (success, report).
fn fsck(root: &Path, args: &[&str]) -> (bool, serde_json::Value) {
    let output = regctl()
        .args(["fsck", "--root", root.to_str().unwrap(), "-o", "json"])
        .args(args)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "fsck printed no JSON report ({e}):\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.success(), report)
}

fn kinds(report: &serde_json::Value) -> BTreeSet<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap().to_owned())
        .collect()
}

fn push(addr: &str, layout: &Path, tag: &str, dest: &str) {
    skopeo(&[
        "copy",
        "--quiet",
        "--dest-tls-verify=false",
        &oci_reference(layout, tag),
        &format!("docker://{addr}/{dest}"),
    ]);
}

#[test]
fn fsck_finds_damage_repairs_what_is_safe_and_registry2_serves_the_rest() {
    let root = tempfile::tempdir().unwrap();
    let layouts = tempfile::tempdir().unwrap();
    let app_layout = layouts.path().join("app");
    let other_layout = layouts.path().join("other");
    write_oci_layout(&app_layout, "v1", 2, 4096);
    write_oci_layout(&other_layout, "v1", 1, 8192);
    {
        let server = Server::start(root.path(), &[], &[]);
        push(&server.addr, &app_layout, "v1", "team/app:v1");
        push(&server.addr, &other_layout, "v1", "other:v1");
    }
    let app_layers = layers(root.path(), "team/app", "v1");
    let other_layers = layers(root.path(), "other", "v1");

    // A store written by skopeo is clean.
    let (ok, report) = fsck(root.path(), &["--verify-content"]);
    assert!(ok, "a fresh store must pass: {report:#}");
    assert!(kinds(&report).is_empty(), "{report:#}");
    assert!(
        report["blobs_verified"].as_u64().unwrap() >= 7,
        "{report:#}"
    );

    // Damage: a flipped byte (same length) in one of app's layers, a truncated layer of other,
    // an empty link file and a layer link to a blob that is not there.
    let flipped = blob_data(root.path(), &app_layers[0]);
    let mut bytes = fs::read(&flipped).unwrap();
    bytes[100] ^= 0xff;
    fs::write(&flipped, &bytes).unwrap();
    let truncated = blob_data(root.path(), &other_layers[0]);
    let bytes = fs::read(&truncated).unwrap();
    fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let layers_dir = v2(root.path()).join("repositories/team/app/_layers/sha256");
    let empty = layers_dir.join(format!("{:064x}", 1));
    fs::create_dir_all(&empty).unwrap();
    fs::write(empty.join("link"), b"").unwrap();
    let dangling_hex = format!("{:064x}", 2);
    let dangling = layers_dir.join(&dangling_hex);
    fs::create_dir_all(&dangling).unwrap();
    fs::write(dangling.join("link"), format!("sha256:{dangling_hex}")).unwrap();

    // Without --verify-content the flipped byte is invisible; the rest is found; exit 1.
    let (ok, report) = fsck(root.path(), &[]);
    assert!(!ok, "damage must fail fsck: {report:#}");
    let found = kinds(&report);
    for kind in ["size_mismatch", "corrupt_link", "dangling_layer_link"] {
        assert!(found.contains(kind), "{kind} not found: {report:#}");
    }
    assert!(!found.contains("digest_mismatch"), "{report:#}");
    let (_, report) = fsck(root.path(), &["--verify-content"]);
    assert!(kinds(&report).contains("digest_mismatch"), "{report:#}");

    // Repair: links go, the blobs whose content is wrong are quarantined (re-pushable).
    let (_, report) = fsck(root.path(), &["--verify-content", "--repair"]);
    assert!(report["repair"].as_bool().unwrap(), "{report:#}");
    assert!(
        !empty.exists() && !dangling.exists(),
        "bad links must be removed"
    );
    assert!(!flipped.exists(), "the mismatching blob must leave blobs/");
    let quarantine = v2(root.path()).join(".regctl-quarantine");
    assert!(
        fs::read_dir(&quarantine).unwrap().count() >= 1,
        "quarantine must hold the bad blob"
    );
    let (ok, report) = fsck(root.path(), &[]);
    assert!(!ok, "missing blobs cannot be repaired: {report:#}");
    let left = kinds(&report);
    assert!(left.contains("blob_missing"), "{report:#}");
    // Layer links to the quarantined blobs stay: a tag needs them, and a new push refills them.
    for kind in ["corrupt_link", "digest_mismatch"] {
        assert!(!left.contains(kind), "{kind} must be repaired: {report:#}");
    }

    // Push app again: the quarantined blob is accepted anew and the image is whole.
    {
        let server = Server::start(root.path(), &[], &[]);
        push(&server.addr, &app_layout, "v1", "team/app:v1");
    }
    let (_, report) = fsck(root.path(), &["--verify-content"]);
    let damaged: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] != "unfinished_upload")
        .collect();
    assert!(
        damaged.iter().all(|f| f["repository"] == "other"),
        "only other:v1 (truncated, never re-pushed) may be left: {report:#}"
    );

    // registry:2 serves the repaired store: app:v1 copies out whole.
    let distribution = DockerRegistry::start(root.path(), false);
    let out = tempfile::tempdir().unwrap();
    let base = distribution.base();
    let addr = base.trim_start_matches("http://");
    skopeo(&[
        "copy",
        "--quiet",
        "--src-tls-verify=false",
        &format!("docker://{addr}/team/app:v1"),
        &format!("oci:{}:v1", out.path().display()),
    ]);
    for layer in &app_layers {
        let hex = layer.trim_start_matches("sha256:");
        assert!(out.path().join("blobs/sha256").join(hex).exists());
    }
}
