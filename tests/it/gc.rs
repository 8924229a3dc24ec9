//! `regctl gc` against Debian's docker-registry (distribution 2.8.2): stores are built by pushing
//! through its HTTP API, collected by both collectors on identical copies, then served again by
//! docker-registry and pulled with skopeo.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write as _;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};

use crate::common::server::Server;
use crate::common::{free_port, regctl, require_tool, success_stdout};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// A docker-registry serving `root`, killed on drop.
struct Distribution {
    child: Child,
    base: String,
    addr: String,
    config: PathBuf,
    _dir: tempfile::TempDir,
}

fn write_config(path: &Path, root: &Path, port: u16) {
    let text = format!(
        "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  \
         filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n  maintenance:\n    \
         uploadpurging:\n      enabled: false\nhttp:\n  addr: 127.0.0.1:{port}\n",
        root.display()
    );
    fs::write(path, text).unwrap();
}

impl Distribution {
    fn start(root: &Path) -> Self {
        let binary = require_tool("docker-registry", "docker-registry");
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let config = dir.path().join("config.yml");
        write_config(&config, root, port);
        let child = Command::new(binary)
            .arg("serve")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let addr = format!("127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(&addr).is_err() {
            assert!(Instant::now() < deadline, "docker-registry did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            child,
            base: format!("http://{addr}"),
            addr,
            config,
            _dir: dir,
        }
    }
}

impl Drop for Distribution {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal push client for the registry HTTP API.
struct Pusher {
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
    base: String,
}

/// An image as pushed: its manifest digest and every blob digest it needs.
#[derive(Debug, Clone)]
struct Pushed {
    digest: String,
    blobs: Vec<String>,
}

impl Pusher {
    fn new(base: &str) -> Self {
        Self {
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            http: reqwest::Client::new(),
            base: base.to_owned(),
        }
    }

    fn blob(&self, repo: &str, bytes: &[u8]) -> String {
        let digest = sha256(bytes);
        self.rt.block_on(async {
            let resp = self
                .http
                .post(format!("{}/v2/{repo}/blobs/uploads/", self.base))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 202, "start upload in {repo}");
            let location = resp.headers()["location"].to_str().unwrap().to_owned();
            let url = if location.starts_with('/') {
                format!("{}{location}", self.base)
            } else {
                location
            };
            let sep = if url.contains('?') { '&' } else { '?' };
            let resp = self
                .http
                .put(format!("{url}{sep}digest={digest}"))
                .header("content-type", "application/octet-stream")
                .body(bytes.to_vec())
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 201, "finish upload of {digest} in {repo}");
        });
        digest
    }

    fn manifest(
        &self,
        repo: &str,
        reference: Option<&str>,
        media_type: &str,
        body: &str,
    ) -> String {
        self.try_manifest(repo, reference, media_type, body)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn try_manifest(
        &self,
        repo: &str,
        reference: Option<&str>,
        media_type: &str,
        body: &str,
    ) -> Result<String, String> {
        let digest = sha256(body.as_bytes());
        let reference = reference.unwrap_or(&digest).to_owned();
        self.rt.block_on(async {
            let resp = self
                .http
                .put(format!("{}/v2/{repo}/manifests/{reference}", self.base))
                .header("content-type", media_type)
                .body(body.to_owned())
                .send()
                .await
                .map_err(|e| e.to_string())?;
            let status = resp.status();
            let text = resp.text().await.unwrap_or_default();
            if status == 201 {
                Ok(())
            } else {
                Err(format!("push manifest {repo}:{reference}: {status} {text}"))
            }
        })?;
        Ok(digest)
    }

    fn delete(&self, repo: &str, digest: &str) {
        self.rt.block_on(async {
            let resp = self
                .http
                .delete(format!("{}/v2/{repo}/manifests/{digest}", self.base))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 202, "delete {repo}@{digest}");
        });
    }

    fn catalog(&self) -> Vec<String> {
        self.rt.block_on(async {
            let body: serde_json::Value = self
                .http
                .get(format!("{}/v2/_catalog", self.base))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            body["repositories"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect()
        })
    }

    fn tags(&self, repo: &str) -> Vec<String> {
        self.rt.block_on(async {
            let resp = self
                .http
                .get(format!("{}/v2/{repo}/tags/list", self.base))
                .send()
                .await
                .unwrap();
            if resp.status() != 200 {
                return Vec::new();
            }
            let body: serde_json::Value = resp.json().await.unwrap();
            body["tags"]
                .as_array()
                .map(|tags| {
                    tags.iter()
                        .map(|v| v.as_str().unwrap().to_owned())
                        .collect()
                })
                .unwrap_or_default()
        })
    }

    /// Pushes config and layers, then an OCI image manifest (by tag, or by digest when `tag` is
    /// None), optionally as an artifact with a subject.
    fn image(
        &self,
        repo: &str,
        tag: Option<&str>,
        layers: &[&[u8]],
        config: &[u8],
        artifact: Option<(&str, &str)>,
    ) -> Pushed {
        self.try_image(repo, tag, layers, config, artifact)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Like `image`, returning the registry's refusal of the manifest instead of failing.
    fn try_image(
        &self,
        repo: &str,
        tag: Option<&str>,
        layers: &[&[u8]],
        config: &[u8],
        artifact: Option<(&str, &str)>,
    ) -> Result<Pushed, String> {
        let config_type = if artifact.is_some() {
            OCI_EMPTY
        } else {
            OCI_CONFIG
        };
        let config_digest = self.blob(repo, config);
        let mut blobs = vec![config_digest.clone()];
        let mut layer_json = Vec::new();
        for layer in layers {
            let d = self.blob(repo, layer);
            layer_json.push(format!(
                r#"{{"mediaType":"{OCI_LAYER}","digest":"{d}","size":{}}}"#,
                layer.len()
            ));
            blobs.push(d);
        }
        let extra = artifact.map_or(String::new(), |(artifact_type, subject)| {
            format!(
                r#","artifactType":"{artifact_type}","subject":{{"mediaType":"{OCI_MANIFEST}","digest":"{subject}","size":1}}"#
            )
        });
        let body = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"{config_type}","digest":"{config_digest}","size":{}}},"layers":[{}]{extra}}}"#,
            config.len(),
            layer_json.join(",")
        );
        let digest = self.try_manifest(repo, tag, OCI_MANIFEST, &body)?;
        Ok(Pushed { digest, blobs })
    }

    fn index(&self, repo: &str, tag: &str, children: &[(&Pushed, &str)]) -> String {
        let manifests: Vec<String> = children
            .iter()
            .map(|(child, arch)| {
                format!(
                    r#"{{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":1,"platform":{{"architecture":"{arch}","os":"linux"}}}}"#,
                    child.digest
                )
            })
            .collect();
        let body = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[{}]}}"#,
            manifests.join(",")
        );
        self.manifest(repo, Some(tag), OCI_INDEX, &body)
    }
}

/// A layer's bytes: distinct content per name, `size` bytes.
fn layer(name: &str, size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size);
    let mut seed = Sha256::digest(name.as_bytes()).to_vec();
    while out.len() < size {
        out.extend_from_slice(&seed);
        seed = Sha256::digest(&seed).to_vec();
    }
    out.truncate(size);
    out
}

fn config(name: &str) -> Vec<u8> {
    format!(r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":[]}},"config":{{"Labels":{{"name":"{name}"}}}}}}"#).into_bytes()
}

/// What the scenario pushed, to check the collectors against.
struct Scenario {
    /// Digests that must survive any collector, in any mode (tagged images and their closure).
    tagged: BTreeSet<String>,
    /// Index children and their blobs (distribution 2.8 deletes these with -m).
    index_children: BTreeSet<String>,
    /// The referrer of a tagged image and its blobs.
    referrer: BTreeSet<String>,
    /// Untagged images (old revision of an overwritten tag, pushed by digest) and their unique blobs.
    untagged: BTreeSet<String>,
    /// The tagged image the referrer refers to, and the referrer.
    subject_and_referrer: (String, String),
    /// The never-tagged repository's image (distribution #4331).
    never_tagged: BTreeSet<String>,
    /// Images deleted through the API, and their unique blobs.
    deleted: BTreeSet<String>,
}

/// Pushes the scenario into a docker-registry on `root` and deletes some manifests through its
/// API. Shared layers, an overwritten tag, an untagged image, an index with children, a referrer,
/// a nested repository name, a never-tagged repository and a repository emptied by deletes.
fn build_store(root: &Path, with_never_tagged: bool) -> Scenario {
    let registry = Distribution::start(root);
    push_scenario(&registry.base, with_never_tagged)
}

/// Pushes the scenario of [`build_store`] into the registry at `base`.
fn push_scenario(base_url: &str, with_never_tagged: bool) -> Scenario {
    let p = Pusher::new(base_url);
    let base = layer("base", 300_000);
    let mut s = Scenario {
        tagged: BTreeSet::new(),
        index_children: BTreeSet::new(),
        referrer: BTreeSet::new(),
        subject_and_referrer: (String::new(), String::new()),
        untagged: BTreeSet::new(),
        never_tagged: BTreeSet::new(),
        deleted: BTreeSet::new(),
    };
    let closure = |pushed: &Pushed| -> Vec<String> {
        let mut all = pushed.blobs.clone();
        all.push(pushed.digest.clone());
        all
    };

    let v1 = p.image(
        "app",
        Some("latest"),
        &[&base, &layer("v1", 50_000)],
        &config("v1"),
        None,
    );
    let v2 = p.image(
        "app",
        Some("latest"),
        &[&base, &layer("v2", 60_000)],
        &config("v2"),
        None,
    );
    let untagged = p.image(
        "app",
        None,
        &[&base, &layer("u", 70_000)],
        &config("u"),
        None,
    );
    let sbom = p.image(
        "app",
        None,
        &[&layer("sbom", 5_000)],
        b"{}",
        Some(("application/vnd.example.sbom", &v2.digest)),
    );
    let old = p.image(
        "app",
        Some("old"),
        &[&base, &layer("old", 80_000)],
        &config("old"),
        None,
    );
    p.delete("app", &old.digest);
    s.tagged.extend(closure(&v2));
    s.untagged
        .extend([v1.digest.clone(), v1.blobs[0].clone(), v1.blobs[2].clone()]);
    s.untagged.extend([
        untagged.digest.clone(),
        untagged.blobs[0].clone(),
        untagged.blobs[2].clone(),
    ]);
    s.referrer.extend(closure(&sbom));
    s.subject_and_referrer = (v2.digest.clone(), sbom.digest.clone());
    s.deleted.extend([
        old.digest.clone(),
        old.blobs[0].clone(),
        old.blobs[2].clone(),
    ]);

    let amd = p.image(
        "multi",
        None,
        &[&base, &layer("amd64", 40_000)],
        &config("amd64"),
        None,
    );
    let arm = p.image(
        "multi",
        None,
        &[&layer("arm64", 45_000)],
        &config("arm64"),
        None,
    );
    let index = p.index("multi", "v1", &[(&amd, "amd64"), (&arm, "arm64")]);
    s.tagged.insert(index);
    s.index_children.extend([
        amd.digest.clone(),
        amd.blobs[0].clone(),
        amd.blobs[2].clone(),
    ]);
    s.index_children.extend(closure(&arm));

    let deep = p.image(
        "team/tools/deep",
        Some("t"),
        &[&base, &layer("deep", 10_000)],
        &config("deep"),
        None,
    );
    s.tagged.extend(closure(&deep));

    let gone = p.image(
        "gone",
        Some("x"),
        &[&layer("gone", 20_000)],
        &config("gone"),
        None,
    );
    p.delete("gone", &gone.digest);
    s.deleted.extend(closure(&gone));

    if with_never_tagged {
        let never = p.image(
            "never",
            None,
            &[&layer("never", 30_000)],
            &config("never"),
            None,
        );
        s.never_tagged.extend(closure(&never));
    }
    s
}

fn v2(root: &Path) -> PathBuf {
    root.join("docker/registry/v2")
}

/// Blob digests present under `blobs/`, with their sizes.
fn blob_set(root: &Path) -> BTreeMap<String, u64> {
    let mut set = BTreeMap::new();
    let blobs = v2(root).join("blobs/sha256");
    for prefix in fs::read_dir(&blobs).unwrap() {
        for blob in fs::read_dir(prefix.unwrap().path()).unwrap() {
            let blob = blob.unwrap();
            if let Ok(meta) = fs::metadata(blob.path().join("data")) {
                set.insert(
                    format!("sha256:{}", blob.file_name().to_string_lossy()),
                    meta.len(),
                );
            }
        }
    }
    set
}

fn bytes(set: &BTreeMap<String, u64>) -> u64 {
    set.values().sum()
}

fn copy_tree(from: &Path, to: &Path) {
    let status = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(status.success());
}

/// Runs docker-registry's own collector on `root`.
fn distribution_gc(root: &Path, delete_untagged: bool) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yml");
    write_config(&config, root, free_port());
    let mut cmd = Command::new(require_tool("docker-registry", "docker-registry"));
    cmd.arg("garbage-collect").arg(&config);
    if delete_untagged {
        cmd.arg("--delete-untagged");
    }
    cmd.output().unwrap()
}

fn regctl_gc(root: &Path, extra: &[&str]) -> serde_json::Value {
    let out = regctl()
        .args(["gc", "-o", "json", "--grace", "0s", "--root"])
        .arg(root)
        .args(extra)
        .output()
        .unwrap();
    serde_json::from_str(&success_stdout(&out)).unwrap()
}

/// Serves `root` with docker-registry and copies every tag of every repository out with skopeo
/// (`--all` so index children are pulled too); returns the tags that failed.
fn pull_every_tag(root: &Path) -> (Vec<String>, Vec<String>) {
    let skopeo = require_tool("skopeo", "skopeo");
    let registry = Distribution::start(root);
    let p = Pusher::new(&registry.base);
    let catalog = p.catalog();
    let mut failed = Vec::new();
    let out = tempfile::tempdir().unwrap();
    for repo in &catalog {
        for tag in p.tags(repo) {
            let dest = out.path().join(format!("{}-{tag}", repo.replace('/', "_")));
            let result = Command::new(&skopeo)
                .args(["copy", "--all", "--src-tls-verify=false"])
                .arg(format!("docker://{}/{repo}:{tag}", registry.addr))
                .arg(format!("oci:{}:{tag}", dest.display()))
                .output()
                .unwrap();
            if !result.status.success() {
                failed.push(format!(
                    "{repo}:{tag}: {}",
                    String::from_utf8_lossy(&result.stderr).trim()
                ));
            }
        }
    }
    let _ = &registry.config;
    (catalog, failed)
}

fn names(report: &serde_json::Value, field: &str, key: &str) -> BTreeSet<String> {
    report[field]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v[key].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn same_store_two_collectors_keep_the_same_blobs() {
    let store = tempfile::tempdir().unwrap();
    let original = store.path().join("original");
    let s = build_store(&original, true);
    let theirs = store.path().join("distribution");
    let ours = store.path().join("regctl");
    copy_tree(&original, &theirs);
    copy_tree(&original, &ours);
    let before = blob_set(&original);

    let out = distribution_gc(&theirs, false);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = regctl_gc(&ours, &[]);

    let after_theirs = blob_set(&theirs);
    let after_ours = blob_set(&ours);
    assert_eq!(
        after_ours.keys().collect::<Vec<_>>(),
        after_theirs.keys().collect::<Vec<_>>(),
        "without --delete-untagged both collectors keep exactly the same blobs"
    );
    // Exactly the deleted images' unique blobs went; every other manifest kept its blobs.
    let removed: BTreeSet<String> = before
        .keys()
        .filter(|d| !after_ours.contains_key(*d))
        .cloned()
        .collect();
    assert_eq!(removed, s.deleted);
    let reclaimed = bytes(&before) - bytes(&after_ours);
    assert!(reclaimed > 100_000, "reclaimed {reclaimed} bytes");
    assert_eq!(report["bytes_reclaimed"], reclaimed);
    assert_eq!(names(&report, "blobs_removed", "digest"), s.deleted);
    assert!(report["manifests_removed"].as_array().unwrap().is_empty());
    assert_eq!(report["repositories_removed"], serde_json::json!(["gone"]));
    for blob in &s.deleted {
        let link = v2(&ours)
            .join("repositories/app/_layers/sha256")
            .join(&blob[7..]);
        assert!(!link.exists(), "layer link to deleted blob {blob} survived");
    }

    let (catalog, failed) = pull_every_tag(&ours);
    assert!(
        failed.is_empty(),
        "pulls failed after regctl gc: {failed:#?}"
    );
    assert!(!catalog.contains(&"gone".to_owned()), "{catalog:?}");
    assert!(catalog.contains(&"team/tools/deep".to_owned()));
    let (catalog_theirs, failed) = pull_every_tag(&theirs);
    assert!(failed.is_empty(), "{failed:#?}");
    // distribution #1585: the emptied repository stays in its catalog.
    assert!(catalog_theirs.contains(&"gone".to_owned()));
}

#[test]
fn delete_untagged_keeps_index_children_and_referrers_that_distribution_deletes() {
    let store = tempfile::tempdir().unwrap();
    let original = store.path().join("original");
    let s = build_store(&original, false);
    let theirs = store.path().join("distribution");
    let ours = store.path().join("regctl");
    copy_tree(&original, &theirs);
    copy_tree(&original, &ours);
    let before = blob_set(&original);

    let out = distribution_gc(&theirs, true);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = regctl_gc(&ours, &["--delete-untagged"]);

    let after_theirs: BTreeSet<String> = blob_set(&theirs).into_keys().collect();
    let after_ours_sizes = blob_set(&ours);
    let after_ours: BTreeSet<String> = after_ours_sizes.keys().cloned().collect();
    assert!(
        after_theirs.is_subset(&after_ours),
        "regctl deleted blobs distribution kept: {:?}",
        after_theirs.difference(&after_ours).collect::<Vec<_>>()
    );
    // The only difference is the documented correction: distribution 2.8 -m deletes the layers
    // and configs of a tagged index's children (#3178) and the referrer of a tagged image.
    let extra: BTreeSet<String> = after_ours.difference(&after_theirs).cloned().collect();
    let corrections: BTreeSet<String> = s.index_children.union(&s.referrer).cloned().collect();
    assert!(
        extra.is_subset(&corrections),
        "unexplained difference: {:?}",
        extra.difference(&corrections).collect::<Vec<_>>()
    );
    assert!(
        !extra.is_empty(),
        "distribution 2.8 was expected to delete index children"
    );
    for needed in s.tagged.iter().chain(&s.index_children).chain(&s.referrer) {
        assert!(after_ours.contains(needed), "regctl gc lost {needed}");
    }
    for garbage in s.untagged.iter().chain(&s.deleted) {
        assert!(!after_ours.contains(garbage), "regctl gc kept {garbage}");
        assert!(before.contains_key(garbage));
    }
    let removed_manifests = names(&report, "manifests_removed", "digest");
    assert!(s.untagged.is_superset(&removed_manifests));
    assert_eq!(
        removed_manifests.len(),
        2,
        "old revision of `latest` and the untagged image"
    );
    assert_eq!(
        report["bytes_reclaimed"],
        bytes(&before) - bytes(&after_ours_sizes)
    );

    let (_, failed) = pull_every_tag(&ours);
    assert!(
        failed.is_empty(),
        "pulls failed after regctl gc -m: {failed:#?}"
    );
    let (_, failed_theirs) = pull_every_tag(&theirs);
    assert!(
        failed_theirs.iter().any(|f| f.starts_with("multi:v1")),
        "distribution 2.8 -m was expected to break the multi-arch image: {failed_theirs:?}"
    );
}

#[test]
fn never_tagged_repository_is_collected_with_delete_untagged() {
    let store = tempfile::tempdir().unwrap();
    let root = store.path().join("store");
    let s = build_store(&root, true);
    let copy = store.path().join("distribution");
    copy_tree(&root, &copy);
    let report = regctl_gc(&root, &["--delete-untagged"]);
    let after: BTreeSet<String> = blob_set(&root).into_keys().collect();
    assert!(after.is_disjoint(&s.never_tagged));
    assert!(names(&report, "manifests_removed", "repository").contains("never"));
    assert!(report["repositories_removed"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!("never")));
    for needed in &s.tagged {
        assert!(after.contains(needed));
    }
    // The same store makes distribution 2.8 abort the whole run (#4331), deleting nothing.
    let out = distribution_gc(&copy, true);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("unknown repository name=never"),
        "docker-registry 2.8 was expected to abort on the never-tagged repository: {stderr}"
    );
}

/// Every file under `root`, with content, for "nothing changed" checks.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                files.insert(path.clone(), Vec::new());
                stack.push(path);
            } else {
                files.insert(path.clone(), fs::read(&path).unwrap());
            }
        }
    }
    files
}

#[test]
fn dry_run_reports_and_deletes_nothing() {
    let store = tempfile::tempdir().unwrap();
    let root = store.path().join("store");
    let s = build_store(&root, false);
    let before = snapshot(&root);
    let dry = regctl_gc(&root, &["--delete-untagged", "--dry-run"]);
    assert_eq!(snapshot(&root), before, "a dry run changed the store");
    assert_eq!(dry["dry_run"], true);
    let real = regctl_gc(&root, &["--delete-untagged"]);
    for field in [
        "blobs_removed",
        "manifests_removed",
        "layer_links_removed",
        "repositories_removed",
    ] {
        assert_eq!(
            dry[field], real[field],
            "{field}: the dry run predicted differently"
        );
    }
    assert_eq!(dry["bytes_reclaimed"], real["bytes_reclaimed"]);
    assert!(!s.untagged.is_empty());

    let table = regctl()
        .args(["gc", "--dry-run", "--grace", "0s", "--root"])
        .arg(&root)
        .output()
        .unwrap();
    let text = success_stdout(&table);
    assert!(text.contains("would be removed"), "{text}");
}

#[test]
fn empty_and_corrupt_links_are_reported_and_skipped() {
    let store = tempfile::tempdir().unwrap();
    let root = store.path().join("store");
    let s = build_store(&root, false);
    let repo = v2(&root).join("repositories/app");
    // An empty layer link (distribution #1960 aborts on this), a revision link with garbage for
    // a live manifest, a tag whose current link is empty, and a stray directory name.
    let some_layer = fs::read_dir(repo.join("_layers/sha256"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    fs::File::create(some_layer.join("link")).unwrap();
    let tagged_manifest =
        fs::read_to_string(repo.join("_manifests/tags/latest/current/link")).unwrap();
    let revision = repo
        .join("_manifests/revisions/sha256")
        .join(&tagged_manifest[7..]);
    fs::write(revision.join("link"), b"sha256:not-a-digest\n").unwrap();
    let multi_tag = v2(&root).join("repositories/multi/_manifests/tags/v1/current/link");
    fs::write(&multi_tag, b"").unwrap();
    fs::create_dir_all(repo.join("_layers/sha256/not-hex")).unwrap();

    let report = regctl_gc(&root, &["--delete-untagged"]);
    let problems: Vec<String> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{} {}",
                p["path"].as_str().unwrap(),
                p["problem"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("_layers") && p.contains("empty link")),
        "{problems:#?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("revisions") && p.contains("corrupt link")),
        "{problems:#?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("tags/v1/current")),
        "{problems:#?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("not-hex")),
        "{problems:#?}"
    );
    // The run went on and still collected the untagged images, keeping everything a corrupt
    // link might point at: the multi-arch index (its tag is unreadable) and its children.
    let after: BTreeSet<String> = blob_set(&root).into_keys().collect();
    for needed in s.tagged.iter().chain(&s.index_children) {
        assert!(after.contains(needed), "lost {needed}");
    }
    assert!(!report["manifests_removed"].as_array().unwrap().is_empty());
    // The corrupt files themselves are left for the operator.
    assert!(some_layer.join("link").exists());
    assert_eq!(fs::read(&multi_tag).unwrap(), b"");

    // The same damage aborts distribution 2.8's whole run (#1960).
    let out = distribution_gc(&root, false);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("failed to mark"),
        "docker-registry 2.8 was expected to abort on the empty link: {stderr}"
    );
}

/// Checks on disk that every tagged manifest of every repository can be served: its revision
/// link, its blobs and layer links, recursively through index children.
fn assert_tagged_images_complete(root: &Path) {
    let repos_dir = v2(root).join("repositories");
    let mut stack = vec![(repos_dir.clone(), String::new())];
    while let Some((dir, name)) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let file_name = entry.file_name().to_string_lossy().into_owned();
            if file_name.starts_with('_') || !entry.file_type().unwrap().is_dir() {
                continue;
            }
            let child = if name.is_empty() {
                file_name
            } else {
                format!("{name}/{file_name}")
            };
            stack.push((entry.path(), child));
        }
        let tags = dir.join("_manifests/tags");
        let Ok(tag_entries) = fs::read_dir(&tags) else {
            continue;
        };
        for tag in tag_entries {
            let tag = tag.unwrap().path();
            let Ok(current) = fs::read_to_string(tag.join("current/link")) else {
                continue;
            };
            assert_manifest_complete(root, &dir, &name, &current);
        }
    }
}

fn assert_manifest_complete(root: &Path, repo_dir: &Path, name: &str, digest: &str) {
    let hex = &digest[7..];
    assert!(
        repo_dir
            .join("_manifests/revisions/sha256")
            .join(hex)
            .join("link")
            .exists(),
        "{name}@{digest}: revision link missing"
    );
    let data = v2(root)
        .join("blobs/sha256")
        .join(&hex[..2])
        .join(hex)
        .join("data");
    let body: serde_json::Value = serde_json::from_slice(
        &fs::read(&data).unwrap_or_else(|_| panic!("{name}@{digest}: manifest blob missing")),
    )
    .unwrap();
    if let Some(children) = body["manifests"].as_array() {
        for child in children {
            assert_manifest_complete(root, repo_dir, name, child["digest"].as_str().unwrap());
        }
        return;
    }
    let mut needed = vec![body["config"]["digest"].as_str().unwrap().to_owned()];
    for layer in body["layers"].as_array().unwrap() {
        needed.push(layer["digest"].as_str().unwrap().to_owned());
    }
    for blob in needed {
        let hex = &blob[7..];
        assert!(
            v2(root)
                .join("blobs/sha256")
                .join(&hex[..2])
                .join(hex)
                .join("data")
                .exists(),
            "{name}@{digest}: blob {blob} missing"
        );
        assert!(
            repo_dir
                .join("_layers/sha256")
                .join(hex)
                .join("link")
                .exists(),
            "{name}@{digest}: layer link {blob} missing"
        );
    }
}

#[test]
fn gc_interrupted_at_any_deletion_leaves_every_tagged_image_servable() {
    let store = tempfile::tempdir().unwrap();
    let original = store.path().join("original");
    build_store(&original, true);
    // How many deletions a full run makes.
    let probe = store.path().join("probe");
    copy_tree(&original, &probe);
    let full = regctl_gc(&probe, &["--delete-untagged"]);
    let total = full["blobs_removed"].as_array().unwrap().len()
        + full["layer_links_removed"].as_array().unwrap().len()
        + full["manifests_removed"].as_array().unwrap().len();
    assert!(total > 10, "{total}");

    let mut served = Vec::new();
    for stop in 0..total + 6 {
        let copy = store.path().join(format!("stop-{stop}"));
        copy_tree(&original, &copy);
        let out = regctl()
            .args(["gc", "--delete-untagged", "--grace", "0s", "--root"])
            .arg(&copy)
            .env("REGCTL_GC_INTERRUPT_AFTER", stop.to_string())
            .output()
            .unwrap();
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(stderr.contains("interrupted"), "{stderr}");
        }
        assert_tagged_images_complete(&copy);
        served.push(copy);
    }
    // Serve a few of the interrupted stores for real, then finish the job on one of them.
    for copy in [&served[1], &served[total / 2], &served[total - 1]] {
        let (_, failed) = pull_every_tag(copy);
        assert!(failed.is_empty(), "{}: {failed:#?}", copy.display());
    }
    let resumed = regctl_gc(&served[total / 2], &["--delete-untagged"]);
    assert!(
        resumed["problems"].as_array().unwrap().is_empty(),
        "{resumed}"
    );
    assert_eq!(blob_set(&served[total / 2]), blob_set(&probe));
}

#[test]
fn grace_period_keeps_fresh_garbage_and_stale_uploads_go() {
    let store = tempfile::tempdir().unwrap();
    let root = store.path().join("store");
    let s = build_store(&root, false);
    // Default grace: everything was written seconds ago, so nothing may go.
    let out = regctl()
        .args(["gc", "-o", "json", "--delete-untagged", "--root"])
        .arg(&root)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_str(&success_stdout(&out)).unwrap();
    assert!(
        report["blobs_removed"].as_array().unwrap().is_empty(),
        "{report}"
    );
    assert!(report["manifests_removed"].as_array().unwrap().is_empty());
    assert!(report["kept"]["young_blobs"].as_u64().unwrap() > 0);
    assert!(report["kept"]["young_manifests"].as_u64().unwrap() >= 2);
    let after: BTreeSet<String> = blob_set(&root).into_keys().collect();
    assert!(after.is_superset(&s.deleted));

    // Two uploads: one abandoned two days ago, one started two days ago but still receiving.
    let uploads = v2(&root).join("repositories/app/_uploads");
    for id in [
        "0f0e1d2c-0000-4000-8000-000000000001",
        "0f0e1d2c-0000-4000-8000-000000000002",
    ] {
        fs::create_dir_all(uploads.join(id)).unwrap();
        fs::write(uploads.join(id).join("startedat"), "2020-01-01T00:00:00Z").unwrap();
        let mut data = fs::File::create(uploads.join(id).join("data")).unwrap();
        data.write_all(&[7u8; 1000]).unwrap();
    }
    let stale = uploads.join("0f0e1d2c-0000-4000-8000-000000000001");
    // Past registry:2's purge age (168h, the default), not just its 24h purge interval.
    age(
        &[stale.join("data"), stale.join("startedat"), stale.clone()],
        "2 days ago",
    );
    let report = regctl_gc(&root, &[]);
    assert!(
        report["uploads_removed"].as_array().unwrap().is_empty(),
        "{report}"
    );
    assert_eq!(report["uploads_older_than_seconds"], 168 * 3600);
    age(
        &[stale.join("data"), stale.join("startedat"), stale.clone()],
        "8 days ago",
    );
    let report = regctl_gc(&root, &[]);
    assert_eq!(
        names(&report, "uploads_removed", "id"),
        BTreeSet::from(["0f0e1d2c-0000-4000-8000-000000000001".to_owned()])
    );
    assert!(!stale.exists());
    assert!(uploads
        .join("0f0e1d2c-0000-4000-8000-000000000002")
        .exists());
}

#[test]
fn a_second_gc_waits_for_the_lock_and_the_config_names_the_root() {
    let store = tempfile::tempdir().unwrap();
    let root = store.path().join("store");
    build_store(&root, false);
    let lock_path = v2(&root).join(".regctl-gc.lock");
    let held = fs::File::create(&lock_path).unwrap();
    held.lock().unwrap();
    let out = regctl()
        .args(["gc", "--grace", "0s", "--root"])
        .arg(&root)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("another regctl gc"), "{stderr}");
    held.unlock().unwrap();

    // The same store named by a config file, and by the environment override.
    let config = store.path().join("config.yml");
    write_config(&config, &root, 5000);
    let out = regctl()
        .args(["gc", "-o", "json", "--dry-run", "--grace", "0s", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_str(&success_stdout(&out)).unwrap();
    assert!(report["repositories_scanned"].as_u64().unwrap() >= 4);
    let bogus = store.path().join("bogus.yml");
    write_config(&bogus, &store.path().join("nowhere"), 5000);
    let out = regctl()
        .args(["gc", "-o", "json", "--dry-run", "--grace", "0s", "-c"])
        .arg(&bogus)
        .env("REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY", &root)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_str(&success_stdout(&out)).unwrap();
    assert!(report["repositories_scanned"].as_u64().unwrap() >= 4);
    let out = regctl().args(["gc", "-c"]).arg(&bogus).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
}

/// Pushes images that reuse the layers of deleted ones into a running registry while
/// `regctl gc --delete-untagged` runs in a loop with a short grace period; afterwards every image
/// whose push the registry accepted pulls intact. A manifest the registry refused (a blob gc
/// removed before the manifest arrived) is pushed again, as a client would.
/// Pushes images sharing layers with deleted ones, round-robin through `bases` (replicas of one
/// store), while `regctl gc --delete-untagged STORE_ARGS…` loops; then every acknowledged image
/// must pull intact through `registry_addr` and the deleted images' configs must be gone from
/// `remaining()`, the store's blob digests (`sha256:<hex>`).
pub(crate) fn pushes_survive_a_gc_loop(
    bases: &[&str],
    registry_addr: &str,
    store_args: &[&str],
    remaining: &dyn Fn() -> BTreeSet<String>,
) {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;

    const GRACE_SECS: u64 = 3;
    let pushers: Vec<Pusher> = bases.iter().map(|base| Pusher::new(base)).collect();
    let p = &pushers[0];
    let shared: Vec<Vec<u8>> = (0..6)
        .map(|i| layer(&format!("shared{i}"), 20_000))
        .collect();
    for i in 0..3 {
        let img = p.image(
            "churn",
            Some("tmp"),
            &[&shared[2 * i], &shared[2 * i + 1]],
            &config(&format!("churn{i}")),
            None,
        );
        p.delete("churn", &img.digest);
    }
    // Let the deleted images' blobs age past the grace period, so gc collects them while the
    // pushes below reuse them.
    std::thread::sleep(Duration::from_secs(GRACE_SECS + 1));

    let stop = Arc::new(AtomicBool::new(false));
    let runs = Arc::new(AtomicUsize::new(0));
    let gc_loop = {
        let (stop, runs) = (stop.clone(), runs.clone());
        let store_args: Vec<String> = store_args.iter().map(|a| (*a).to_owned()).collect();
        std::thread::spawn(move || {
            let mut failures = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                let out = regctl()
                    .args(["gc", "-q", "--delete-untagged", "--grace"])
                    .arg(format!("{GRACE_SECS}s"))
                    .args(&store_args)
                    .output()
                    .unwrap();
                if !out.status.success() {
                    failures.push(String::from_utf8_lossy(&out.stderr).into_owned());
                }
                runs.fetch_add(1, Ordering::SeqCst);
            }
            failures
        })
    };

    let mut pushed = Vec::new();
    let mut refused = 0;
    let mut n = 0;
    while n < 24 || runs.load(Ordering::SeqCst) < 4 {
        let repo = format!("app{}", n % 3);
        let tag = format!("v{n}");
        let unique = layer(&format!("unique{n}"), 10_000);
        let layers: [&[u8]; 3] = [&shared[n % 6], &shared[(n + 3) % 6], &unique];
        let mut attempts = 0;
        loop {
            attempts += 1;
            let p = &pushers[n % pushers.len()];
            match p.try_image(&repo, Some(&tag), &layers, &config(&tag), None) {
                Ok(_) => break,
                Err(e) => {
                    refused += 1;
                    assert!(attempts < 10, "{repo}:{tag} refused 10 times: {e}");
                }
            }
        }
        pushed.push(format!("{repo}:{tag}"));
        n += 1;
        assert!(n < 2000, "gc never completed 4 runs");
    }
    stop.store(true, Ordering::SeqCst);
    let failures = gc_loop.join().unwrap();
    assert!(failures.is_empty(), "gc runs failed: {failures:#?}");
    eprintln!(
        "{} pushes, {} gc runs, {refused} manifests refused and pushed again",
        pushed.len(),
        runs.load(Ordering::SeqCst)
    );

    let skopeo = require_tool("skopeo", "skopeo");
    let out = tempfile::tempdir().unwrap();
    for (i, reference) in pushed.iter().enumerate() {
        let result = Command::new(&skopeo)
            .args(["copy", "--src-tls-verify=false"])
            .arg(format!("docker://{registry_addr}/{reference}"))
            .arg(format!(
                "oci:{}:latest",
                out.path().join(i.to_string()).display()
            ))
            .output()
            .unwrap();
        assert!(
            result.status.success(),
            "{reference} does not pull after gc: {}",
            String::from_utf8_lossy(&result.stderr)
        );
    }
    // The deleted images' own configs are gone: the loop reclaimed space while pushes ran.
    let remaining = remaining();
    for i in 0..3 {
        let churn_config = sha256(&config(&format!("churn{i}")));
        assert!(
            !remaining.contains(&churn_config),
            "the deleted image churn{i} was never collected"
        );
    }
}

#[test]
fn pushes_into_docker_registry_while_gc_runs_pull_intact() {
    let store = tempfile::tempdir().unwrap();
    let root = store.path().join("store");
    let registry = Distribution::start(&root);
    pushes_survive_a_gc_loop(
        &[&registry.base],
        &registry.addr,
        &["--root", root.to_str().unwrap()],
        &|| blob_set(&root).into_keys().collect(),
    );
}

const DELETE_ENABLED: (&str, &str) = ("REGISTRY_STORAGE_DELETE_ENABLED", "true");

#[test]
fn pushes_into_regctl_serve_while_gc_runs_pull_intact() {
    let store = tempfile::tempdir().unwrap();
    let root = store.path().join("store");
    let server = Server::start(&root, &[], &[DELETE_ENABLED]);
    pushes_survive_a_gc_loop(
        &[&server.base],
        &server.addr,
        &["--root", root.to_str().unwrap()],
        &|| blob_set(&root).into_keys().collect(),
    );
}

/// The referrers `regctl serve` lists for `subject` in `repo`.
fn referrers(base: &str, repo: &str, subject: &str) -> Vec<String> {
    let p = Pusher::new(base);
    p.rt.block_on(async {
        let body: serde_json::Value = p
            .http
            .get(format!("{base}/v2/{repo}/referrers/{subject}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["digest"].as_str().unwrap().to_owned())
            .collect()
    })
}

#[test]
fn gc_on_a_store_written_by_regctl_serve() {
    let store = tempfile::tempdir().unwrap();
    let root = store.path().join("store");
    let s = {
        let server = Server::start(&root, &[], &[DELETE_ENABLED]);
        push_scenario(&server.base, true)
    };
    let before = blob_set(&root);
    let report = regctl_gc(&root, &["--delete-untagged"]);
    let after: BTreeSet<String> = blob_set(&root).into_keys().collect();
    for needed in s.tagged.iter().chain(&s.index_children).chain(&s.referrer) {
        assert!(after.contains(needed), "lost {needed}");
    }
    for garbage in s.untagged.iter().chain(&s.deleted).chain(&s.never_tagged) {
        assert!(
            before.contains_key(garbage) && !after.contains(garbage),
            "kept {garbage}"
        );
    }
    assert!(
        report["problems"].as_array().unwrap().is_empty(),
        "{report}"
    );
    let repos_removed = &report["repositories_removed"];
    assert_eq!(*repos_removed, serde_json::json!(["gone", "never"]));

    // regctl serve still serves every tag and the referrer of the kept image...
    let server = Server::start(&root, &[], &[]);
    let p = Pusher::new(&server.base);
    assert!(!p.catalog().contains(&"gone".to_owned()));
    let (subject, referrer) = &s.subject_and_referrer;
    assert_eq!(
        referrers(&server.base, "app", subject),
        vec![referrer.clone()]
    );
    let skopeo = require_tool("skopeo", "skopeo");
    let out = tempfile::tempdir().unwrap();
    for repo in p.catalog() {
        for tag in p.tags(&repo) {
            let result = Command::new(&skopeo)
                .args(["copy", "--all", "--src-tls-verify=false"])
                .arg(format!("docker://{}/{repo}:{tag}", server.addr))
                .arg(format!(
                    "oci:{}:{tag}",
                    out.path().join(repo.replace('/', "_")).display()
                ))
                .output()
                .unwrap();
            assert!(
                result.status.success(),
                "{repo}:{tag}: {}",
                String::from_utf8_lossy(&result.stderr)
            );
        }
    }
    drop(server);
    // ...and so does docker-registry on the same directory.
    let (_, failed) = pull_every_tag(&root);
    assert!(failed.is_empty(), "{failed:#?}");
}

/// `regctl gc` started with `REGCTL_GC_PAUSE=<at>:<file>`: it stops at `at` until `file` is
/// removed. Killed on drop.
pub(crate) struct PausedGc {
    child: Option<Child>,
    file: PathBuf,
}

impl PausedGc {
    fn start(root: &Path, at: &str, file: &Path) -> Self {
        Self::start_with(&["--root", root.to_str().unwrap()], at, file)
    }

    /// `regctl gc -o json --grace 0s ARGS…`, paused at `at`.
    pub(crate) fn start_with(args: &[&str], at: &str, file: &Path) -> Self {
        let child = regctl()
            .args(["gc", "-o", "json", "--grace", "0s"])
            .args(args)
            .env("REGCTL_GC_PAUSE", format!("{at}:{}", file.display()))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut gc = Self {
            child: Some(child),
            file: file.to_path_buf(),
        };
        wait_until("gc to pause", || {
            let running = gc.child.as_mut().map(|c| c.try_wait().unwrap().is_none());
            assert_eq!(running, Some(true), "gc exited before pausing");
            gc.file.exists()
        });
        gc
    }

    /// Lets gc go on and returns its JSON report.
    pub(crate) fn resume(mut self) -> serde_json::Value {
        fs::remove_file(&self.file).unwrap();
        let out = self.child.take().unwrap().wait_with_output().unwrap();
        serde_json::from_str(&success_stdout(&out)).unwrap()
    }
}

impl Drop for PausedGc {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Polls `done` until it holds; the deadline only turns a hang into a failure.
pub(crate) fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !done() {
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Whether process `pid` is queued in the kernel for a shared `flock` on `lock` (a `->` line of
/// /proc/locks): the deterministic sign that a request reached the lock and waits there.
fn waits_for_shared_lock(pid: u32, lock: &Path) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    let inode = fs::metadata(lock).unwrap().ino();
    let locks = fs::read_to_string("/proc/locks").unwrap();
    locks.lines().any(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        fields.get(1) == Some(&"->")
            && fields.get(2) == Some(&"FLOCK")
            && fields.get(4) == Some(&"READ")
            && fields.get(5) == Some(&pid.to_string().as_str())
            && fields
                .get(6)
                .is_some_and(|dev_ino| dev_ino.ends_with(&format!(":{inode}")))
    })
}

fn removed_blobs(report: &serde_json::Value) -> BTreeSet<String> {
    names(report, "blobs_removed", "digest")
}

fn blob_path(root: &Path, digest: &str) -> PathBuf {
    let hex = digest.trim_start_matches("sha256:");
    v2(root)
        .join("blobs/sha256")
        .join(&hex[..2])
        .join(hex)
        .join("data")
}

fn image_manifest(config: &str, config_len: usize, layer: &str, layer_len: usize) -> String {
    format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"{OCI_CONFIG}","digest":"{config}","size":{config_len}}},"layers":[{{"mediaType":"{OCI_LAYER}","digest":"{layer}","size":{layer_len}}}],"annotations":{{"pushed":"again"}}}}"#
    )
}

/// The race the reference lock closes: gc holds it exclusively after its re-mark, and a manifest
/// push reusing an old unreferenced blob arrives. The push waits in the server until the sweep is
/// over, then finds the blob gone and is refused; it is never accepted with its blob deleted.
#[test]
fn a_push_during_the_sweep_waits_and_never_references_a_swept_blob() {
    let store = tempfile::tempdir().unwrap();
    let root = store.path().join("store");
    let server = Server::start(&root, &[], &[DELETE_ENABLED]);
    let p = Pusher::new(&server.base);
    let (old_config, old_layer) = (config("old"), layer("old", 5_000));
    let old = p.image("app", Some("old"), &[&old_layer], &old_config, None);
    p.delete("app", &old.digest);
    p.image(
        "app",
        Some("kept"),
        &[&layer("kept", 1_000)],
        &config("kept"),
        None,
    );

    let gc = PausedGc::start(&root, "locked", &store.path().join("gc-paused"));
    let body = image_manifest(
        &old.blobs[0],
        old_config.len(),
        &old.blobs[1],
        old_layer.len(),
    );
    let push = {
        let base = server.base.clone();
        std::thread::spawn(move || {
            Pusher::new(&base).try_manifest("app", Some("again"), OCI_MANIFEST, &body)
        })
    };
    let lock = v2(&root).join(".regctl-reference.lock");
    wait_until("the push to wait for the reference lock", || {
        waits_for_shared_lock(server.child.id(), &lock)
    });
    assert!(!push.is_finished(), "the push did not wait for the sweep");

    let report = gc.resume();
    let pushed = push.join().unwrap();
    let removed = removed_blobs(&report);
    for blob in &old.blobs {
        if pushed.is_ok() {
            assert!(
                blob_path(&root, blob).exists(),
                "accepted, but {blob} is gone"
            );
        }
    }
    // gc decided under the lock that the old blobs were garbage, so the push must be refused.
    assert!(removed.contains(&old.blobs[1]), "{report:#}");
    let refusal = pushed.expect_err("a manifest referencing a swept blob was accepted");
    assert!(refusal.contains("MANIFEST_BLOB_UNKNOWN"), "{refusal}");
    assert!(p
        .try_image("app", Some("again"), &[&old_layer], &old_config, None)
        .is_ok());
}

/// The mirror case: a push and a mount reusing old unreferenced blobs land between gc's first
/// mark and its sweep. The re-mark under the lock sees them, and their blobs stay.
#[test]
fn pushes_and_mounts_during_the_mark_keep_their_blobs() {
    let store = tempfile::tempdir().unwrap();
    let root = store.path().join("store");
    let server = Server::start(&root, &[], &[DELETE_ENABLED]);
    let p = Pusher::new(&server.base);
    let (first_config, first_layer) = (config("first"), layer("first", 5_000));
    let first = p.image("app", Some("first"), &[&first_layer], &first_config, None);
    p.delete("app", &first.digest);
    let second = p.image(
        "app",
        Some("second"),
        &[&layer("second", 3_000)],
        &config("second"),
        None,
    );
    p.delete("app", &second.digest);

    let gc = PausedGc::start(&root, "marked", &store.path().join("gc-paused"));
    let body = image_manifest(
        &first.blobs[0],
        first_config.len(),
        &first.blobs[1],
        first_layer.len(),
    );
    let again = p.manifest("app", Some("again"), OCI_MANIFEST, &body);
    let mounted = &second.blobs[1];
    p.rt.block_on(async {
        let resp = p
            .http
            .post(format!(
                "{}/v2/mounted/blobs/uploads/?mount={mounted}&from=app",
                p.base
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 201, "mount {mounted}");
    });

    let report = gc.resume();
    assert_eq!(report["kept"]["relinked_blobs"], 3, "{report:#}");
    let removed = removed_blobs(&report);
    for blob in first.blobs.iter().chain([mounted]) {
        assert!(!removed.contains(blob), "{blob} removed: {report:#}");
        assert!(blob_path(&root, blob).exists(), "{blob} is gone");
    }
    // What nothing reused did go: the second image's config and both old manifests.
    assert!(removed.contains(&second.blobs[0]), "{report:#}");
    assert!(removed.contains(&first.digest) && removed.contains(&second.digest));
    p.rt.block_on(async {
        for (repo, digest) in [
            ("app", &again),
            ("app", &first.blobs[1]),
            ("mounted", mounted),
        ] {
            let kind = if digest == &again {
                "manifests"
            } else {
                "blobs"
            };
            let resp = p
                .http
                .get(format!("{}/v2/{repo}/{kind}/{digest}", p.base))
                .header("accept", OCI_MANIFEST)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200, "{repo}/{kind}/{digest}");
        }
    });
}

/// Sets the mtime of every path (files before the directories holding them) to `when`, a
/// `touch -d` date; ctimes cannot be set back.
fn age(paths: &[PathBuf], when: &str) {
    for path in paths {
        let status = Command::new("touch")
            .args(["-h", "-d", when])
            .arg(path)
            .status()
            .unwrap();
        assert!(status.success(), "touch {}", path.display());
    }
}

/// Every path below `dir` (deepest first, then `dir`), for [`age`].
fn tree(dir: &Path) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().unwrap().is_dir() {
                paths.extend(tree(&entry.path()));
            } else {
                paths.push(entry.path());
            }
        }
    }
    paths.push(dir.to_path_buf());
    paths
}

/// Starts a monolithic `POST ?digest=` upload of `total` bytes, sends `sent` of them and kills
/// the server mid-body, as `kill -9` does: its partial data stays under an upload id no client
/// was ever told. The server writes a body in batches of 1 MiB, so `sent` must exceed that.
fn killed_monolithic_upload(root: &Path, repo: &str, total: usize, sent: usize) {
    let before = upload_ids(root, repo);
    let mut server = Server::start(root, &[], &[]);
    let body = vec![5u8; total];
    let digest = sha256(&body);
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    write!(
        stream,
        "POST /v2/{repo}/blobs/uploads/?digest={digest} HTTP/1.1\r\nHost: {}\r\n\
         Content-Type: application/octet-stream\r\nContent-Length: {total}\r\n\r\n",
        server.addr
    )
    .unwrap();
    stream.write_all(&body[..sent]).unwrap();
    stream.flush().unwrap();
    let uploads = v2(root).join("repositories").join(repo).join("_uploads");
    wait_until("the partial upload on disk", || {
        fs::read_dir(&uploads)
            .into_iter()
            .flatten()
            .flatten()
            .any(|u| {
                !before.contains(&*u.file_name().to_string_lossy())
                    && fs::metadata(u.path().join("data")).is_ok_and(|m| m.len() >= 1 << 20)
            })
    });
    server.child.kill().unwrap();
    server.child.wait().unwrap();
}

fn upload_ids(root: &Path, repo: &str) -> BTreeSet<String> {
    let dir = v2(root).join("repositories").join(repo).join("_uploads");
    fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn crash_leftovers_older_than_the_grace_period_are_removed_and_reported() {
    let store = tempfile::tempdir().unwrap();
    let root = store.path().join("store");
    let image = {
        let server = Server::start(&root, &[], &[]);
        let p = Pusher::new(&server.base);
        p.image(
            "app",
            Some("v1"),
            &[&layer("leftovers", 3000)],
            &config("leftovers"),
            None,
        )
    };
    // A killed `POST ?digest=`: part of a 4 MiB blob under an id nobody knows.
    killed_monolithic_upload(&root, "app", 4 << 20, 2 << 20);
    let orphan_id = upload_ids(&root, "app").into_iter().next().unwrap();
    let repo = v2(&root).join("repositories/app");
    let orphan = repo.join("_uploads").join(&orphan_id);
    assert!(
        !orphan.join("startedat").exists(),
        "monolithic uploads have no startedat"
    );

    // A killed manifest PUT of tag `broken`: the index entry and a temp file of `current/link`.
    let hex = image.digest.trim_start_matches("sha256:");
    let broken = repo.join("_manifests/tags/broken");
    fs::create_dir_all(broken.join("index/sha256").join(hex)).unwrap();
    fs::write(
        broken.join("index/sha256").join(hex).join("link"),
        &image.digest,
    )
    .unwrap();
    fs::create_dir_all(broken.join("current")).unwrap();
    fs::write(broken.join("current/.link.tmp-00000000deadbeef"), "sha256:").unwrap();
    // Temp files of atomic writes: next to a live blob's data, in a blob directory that never
    // got its data, next to a layer link.
    let live_blob = v2(&root).join(format!("blobs/sha256/{}/{hex}", &hex[..2]));
    fs::write(live_blob.join(".data.tmp-0123456789abcdef"), vec![1u8; 500]).unwrap();
    let never = v2(&root).join(format!("blobs/sha256/ee/{}", "e".repeat(64)));
    fs::create_dir_all(&never).unwrap();
    fs::write(never.join(".data.tmp-0123456789abcdef"), vec![2u8; 700]).unwrap();
    let layer_hex = image.blobs[1].trim_start_matches("sha256:");
    let layer_dir = repo.join("_layers/sha256").join(layer_hex);
    fs::write(layer_dir.join(".link.tmp-1111111111111111"), "sha256:").unwrap();
    let old = [
        tree(&broken),
        tree(&orphan),
        vec![
            live_blob.join(".data.tmp-0123456789abcdef"),
            never.join(".data.tmp-0123456789abcdef"),
            never.clone(),
            layer_dir.join(".link.tmp-1111111111111111"),
        ],
    ]
    .concat();
    age(&old, "3 hours ago");

    // The same leftovers, fresh: possibly writes in progress, so they stay.
    let young_tag = repo.join("_manifests/tags/young");
    fs::create_dir_all(young_tag.join("current")).unwrap();
    fs::write(young_tag.join("current/.link.tmp-2222222222222222"), "").unwrap();
    let young_temp = live_blob.join(".data.tmp-3333333333333333");
    fs::write(&young_temp, "x").unwrap();
    killed_monolithic_upload(&root, "app", 4 << 20, 3 << 20 >> 1);
    let young_upload: BTreeSet<String> = upload_ids(&root, "app")
        .into_iter()
        .filter(|id| *id != orphan_id)
        .collect();
    assert_eq!(young_upload.len(), 1);
    // An old resumable session (it has `startedat`) is kept until the purge age.
    let session = repo.join("_uploads/0f0e1d2c-0000-4000-8000-00000000000a");
    fs::create_dir_all(&session).unwrap();
    fs::write(session.join("startedat"), "2020-01-01T00:00:00Z").unwrap();
    fs::write(session.join("data"), [9u8; 10]).unwrap();
    age(&tree(&session), "3 hours ago");

    // A dry run reports them in the table (and lists them with -v) and deletes nothing.
    let before = snapshot(&root);
    let out = regctl()
        .args(["gc", "--dry-run", "-v", "--grace", "1h", "--root"])
        .arg(&root)
        .output()
        .unwrap();
    let stdout = success_stdout(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stdout.contains("crash leftovers would be removed")
            && stdout.contains("3 temp files, 1 tags without current/link"),
        "{stdout}"
    );
    assert!(stdout.contains("1 killed monolithic"), "{stdout}");
    assert!(
        stderr.contains("tag app:broken without current/link"),
        "{stderr}"
    );
    assert!(stderr.contains(".data.tmp-0123456789abcdef"), "{stderr}");
    assert!(
        stderr.contains(&format!("upload app/{orphan_id}")),
        "{stderr}"
    );
    assert_eq!(before, snapshot(&root));

    let out = regctl()
        .args(["gc", "-o", "json", "--grace", "1h", "--root"])
        .arg(&root)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_str(&success_stdout(&out)).unwrap();
    let temps: BTreeSet<String> = names(&report, "temp_files_removed", "path");
    let rel = |p: &Path| p.strip_prefix(&root).unwrap().display().to_string();
    assert_eq!(
        temps,
        BTreeSet::from([
            rel(&live_blob.join(".data.tmp-0123456789abcdef")),
            rel(&never.join(".data.tmp-0123456789abcdef")),
            rel(&layer_dir.join(".link.tmp-1111111111111111")),
        ]),
        "{report}"
    );
    let tags = &report["unfinished_tags_removed"];
    assert_eq!(tags.as_array().unwrap().len(), 1, "{report}");
    assert_eq!(tags[0]["repository"], "app");
    assert_eq!(tags[0]["tag"], "broken");
    assert_eq!(tags[0]["files"], 2);
    let uploads = report["uploads_removed"].as_array().unwrap();
    assert_eq!(uploads.len(), 1, "{report}");
    assert_eq!(uploads[0]["id"], orphan_id.as_str());
    assert_eq!(uploads[0]["orphan"], true);
    assert!(uploads[0]["size"].as_u64().unwrap() >= 1 << 20);
    assert_eq!(report["kept"]["young_leftovers"], 3, "{report}");
    assert!(report["bytes_reclaimed"].as_u64().unwrap() >= (1 << 20) + 1200);
    assert!(
        report["problems"].as_array().unwrap().is_empty(),
        "{report}"
    );

    assert!(!broken.exists() && !orphan.exists() && !never.exists());
    assert!(!live_blob.join(".data.tmp-0123456789abcdef").exists());
    assert!(live_blob.join("data").exists() && layer_dir.join("link").exists());
    assert!(young_tag.exists() && young_temp.exists() && session.exists());
    assert!(upload_ids(&root, "app").is_superset(&young_upload));
    // The manifest the broken tag's index named is still a revision of the repository.
    assert!(repo
        .join("_manifests/revisions/sha256")
        .join(hex)
        .join("link")
        .exists());

    // Every tag still pulls with skopeo (the young leftover tag is a fixture, not a tag).
    fs::remove_dir_all(&young_tag).unwrap();
    let (catalog, failed) = pull_every_tag(&root);
    assert_eq!(catalog, vec!["app".to_owned()]);
    assert!(failed.is_empty(), "{failed:#?}");
}

#[test]
fn the_grace_period_is_named_with_the_flag_that_changes_it() {
    let store = tempfile::tempdir().unwrap();
    let root = store.path().join("store");
    build_store(&root, false);
    let out = regctl()
        .args(["gc", "--dry-run", "--root"])
        .arg(&root)
        .output()
        .unwrap();
    let stdout = success_stdout(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stdout.contains("kept: changed within --grace 1h"),
        "{stdout}"
    );
    assert!(
        stderr.contains("changed within the grace period (1h; files copied or restored count as changed); use --grace 0s to collect them now, only when no push is in progress"),
        "{stderr}"
    );
    let out = regctl()
        .args(["gc", "--dry-run", "-o", "json", "--grace", "30m", "--root"])
        .arg(&root)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_str(&success_stdout(&out)).unwrap();
    assert_eq!(report["grace_seconds"], 1800);
    assert!(report["kept"]["young_blobs"].as_u64().unwrap() > 0);
    // Nothing young, no hint.
    let out = regctl()
        .args(["gc", "--dry-run", "--grace", "0s", "--root"])
        .arg(&root)
        .output()
        .unwrap();
    success_stdout(&out);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("use --grace 0s"));
}

#[test]
fn a_layer_link_touched_within_the_grace_period_keeps_its_old_blob() {
    let store = tempfile::tempdir().unwrap();
    let root = store.path().join("store");
    let (touched, untouched) = {
        let server = Server::start(&root, &[], &[]);
        let p = Pusher::new(&server.base);
        (
            p.blob("lone", b"a blob a client just HEADed"),
            p.blob("lone", b"a blob nobody asked for"),
        )
    };
    // gc's clock two hours ahead: both blobs and both links are then two hours old, which
    // ctimes cannot otherwise be made. Then only one link's mtime is set to gc's "now", as a
    // blob HEAD/GET/mount in the repository does.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 2 * 3600;
    let link = |digest: &str| {
        v2(&root)
            .join("repositories/lone/_layers/sha256")
            .join(digest.trim_start_matches("sha256:"))
            .join("link")
    };
    age(&[link(&touched)], &format!("@{now}"));
    let out = regctl()
        .args(["gc", "-o", "json", "--grace", "1h", "--root"])
        .arg(&root)
        .env("REGCTL_GC_TEST_NOW", now.to_string())
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_str(&success_stdout(&out)).unwrap();
    assert_eq!(
        removed_blobs(&report),
        BTreeSet::from([untouched.clone()]),
        "{report}"
    );
    assert_eq!(
        names(&report, "layer_links_removed", "digest"),
        BTreeSet::from([untouched.clone()])
    );
    assert!(blob_path(&root, &touched).exists() && link(&touched).exists());
    assert!(!blob_path(&root, &untouched).exists() && !link(&untouched).exists());
}
