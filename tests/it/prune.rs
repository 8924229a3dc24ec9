//! `regctl prune` on a store pushed through a real `regctl serve`: push times are the tag links'
//! mtimes (set back with `touch`, as a store copied from registry:2 carries them), a dry run and
//! the real run remove exactly the same tags, the bytes the dry run promises are exactly what
//! `regctl gc --delete-untagged` then reclaims, and Debian's `docker-registry` (on the same
//! config file, `retention` included) serves every kept tag, including an index whose child
//! lost its own tag. Also on S3 (moto).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::common::docker_registry::DockerRegistry;
use crate::common::registry::{digest, Reg, OCI_INDEX};
use crate::common::server::Server;
use crate::common::{free_port, regctl, success_stdout};

const DAY: u64 = 86_400;

const POLICIES: &str = r"retention:
  policies:
    - repository: 'ci/**'
      keep:
        - newest: 2
        - matching: 'v[0-9]+\.[0-9]+\.[0-9]+|latest'
      delete:
        - matching: 'pr-.*'
          olderthan: 168h
        - olderthan: 720h
";

fn write_config(dir: &Path, storage: &str, addr: &str) -> std::path::PathBuf {
    let path = dir.join("config.yml");
    std::fs::write(
        &path,
        format!(
            "version: 0.1\nlog:\n  level: warn\n{storage}  delete:\n    enabled: true\nhttp:\n  \
             addr: {addr}\n  secret: s\n{POLICIES}"
        ),
    )
    .unwrap();
    path
}

/// A deterministic layer of `len` bytes.
fn layer(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// Pushes the CI store: `ci/app` with tags of several ages (set later), an index `bundle`
/// whose child is `pr-3`'s image, and `other/app` sharing `pr-1`'s base layer. Returns the
/// tags and their ages in days.
async fn push_store(reg: &Reg) -> Vec<(&'static str, &'static str, u64)> {
    let base = layer(1, 50_000);
    let tags = [
        ("ci/app", "v1.0.0", 100, 2u8),
        ("ci/app", "latest", 50, 3),
        ("ci/app", "pr-1", 10, 4),
        ("ci/app", "pr-2", 3, 5),
        ("ci/app", "pr-3", 9, 6),
        ("ci/app", "main-old", 40, 7),
        ("ci/app", "main-new", 1, 8),
        ("other/app", "v1", 200, 9),
    ];
    let mut out = Vec::new();
    let mut pr3 = None;
    for (repo, tag, age, seed) in tags {
        let own = layer(seed, 20_000 + usize::from(seed) * 1000);
        let layers: Vec<&[u8]> = if tag == "pr-1" || repo == "other/app" {
            vec![&base, &own]
        } else {
            vec![&own]
        };
        let (bytes, _) = reg.push_image(repo, tag, &layers).await;
        if tag == "pr-3" {
            pr3 = Some(bytes);
        }
        out.push((repo, tag, age));
    }
    let pr3 = pr3.unwrap();
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [{
            "mediaType": crate::common::registry::OCI_MANIFEST,
            "digest": digest(&pr3),
            "size": pr3.len(),
            "platform": {"architecture": "amd64", "os": "linux"},
        }],
    }))
    .unwrap();
    let r = reg
        .put_manifest("ci/app", "bundle", OCI_INDEX, &index)
        .await;
    assert_eq!(r.status(), 201);
    out.push(("ci/app", "bundle", 0));
    out
}

/// Sets each tag's push time (its `current/link` mtime) `age` days back.
fn age_tags(v2: &Path, tags: &[(&str, &str, u64)]) {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    for (repo, tag, age) in tags {
        let link = v2.join(format!(
            "repositories/{repo}/_manifests/tags/{tag}/current/link"
        ));
        // Minutes apart for equal ages, so "newest" is well defined.
        let at = now - age * DAY - 60;
        let status = Command::new("touch")
            .args(["-m", "-d", &format!("@{at}")])
            .arg(&link)
            .status()
            .unwrap();
        assert!(status.success(), "touch {}", link.display());
    }
}

/// `regctl gc --delete-untagged --grace 0s` on `root`; its JSON report.
fn gc_delete_untagged(root: &Path) -> Value {
    let gc = regctl()
        .args([
            "gc",
            "--delete-untagged",
            "--grace",
            "0s",
            "-o",
            "json",
            "--root",
        ])
        .arg(root)
        .output()
        .unwrap();
    serde_json::from_str(&success_stdout(&gc)).unwrap()
}

fn prune(config: &Path, dry_run: bool) -> Value {
    let mut cmd = regctl();
    cmd.args(["prune", "-c", config.to_str().unwrap(), "-o", "json"]);
    if dry_run {
        cmd.arg("--dry-run");
    }
    serde_json::from_str(&success_stdout(&cmd.output().unwrap())).unwrap()
}

fn removed_in(plan: &Value) -> BTreeSet<String> {
    plan["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|repo| {
            let name = repo["repository"].as_str().unwrap().to_owned();
            repo["removed"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |t| format!("{name}:{}", t["tag"].as_str().unwrap()))
        })
        .collect()
}

/// Pulls `repo:tag` from `base` blob by blob, checking every digest (index children too).
async fn pull_all(reg: &Reg, repo: &str, reference: &str) {
    let r = reg
        .get(&format!("/v2/{repo}/manifests/{reference}"))
        .header(
            "accept",
            "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{repo}:{reference}");
    let manifest: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    for child in manifest["manifests"].as_array().into_iter().flatten() {
        Box::pin(pull_all(reg, repo, child["digest"].as_str().unwrap())).await;
    }
    let blobs = manifest["layers"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(manifest.get("config"));
    for blob in blobs {
        let d = blob["digest"].as_str().unwrap();
        let r = reg
            .get(&format!("/v2/{repo}/blobs/{d}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{repo}:{reference} blob {d}");
        assert_eq!(digest(&r.bytes().await.unwrap()), d);
    }
}

const EXPECTED_REMOVED: [&str; 3] = ["ci/app:main-old", "ci/app:pr-1", "ci/app:pr-3"];

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_and_real_run_remove_the_same_tags_and_gc_frees_exactly_the_promised_bytes() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("data");
    std::fs::create_dir_all(&root).unwrap();
    let addr = format!("127.0.0.1:{}", free_port());
    let storage = format!(
        "storage:\n  filesystem:\n    rootdirectory: {}\n",
        root.display()
    );
    let config = write_config(work.path(), &storage, &addr);
    let server = Server::start(&root, &["--no-web"], &[]);
    let tags = push_store(&Reg::new(&server.base)).await;
    drop(server);
    age_tags(&root.join("docker/registry/v2"), &tags);

    let dry = prune(&config, true);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(
        removed_in(&dry),
        EXPECTED_REMOVED.iter().map(|s| (*s).to_owned()).collect()
    );
    // The dry run removed nothing: a second one says the same.
    assert_eq!(removed_in(&prune(&config, true)), removed_in(&dry));
    // pr-2 is young, v1.0.0 and latest match the keep pattern, main-new and bundle are newest.
    let protected: BTreeSet<&str> = dry["repositories"][0]["protected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tag"].as_str().unwrap())
        .collect();
    assert_eq!(protected, BTreeSet::from(["latest", "v1.0.0"]));
    assert!(dry["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["repository"] != "other/app"));
    let promised = dry["bytes_freed"].as_u64().unwrap();
    // pr-1's own layer and config and manifest, main-old's; not the base layer (other/app),
    // not pr-3's image (the kept index names it).
    assert!(promised > 20_000 + 27_000, "{dry}");

    let real = prune(&config, false);
    assert_eq!(real["dry_run"], false);
    assert_eq!(removed_in(&real), removed_in(&dry));
    let applied: BTreeSet<String> = real["applied"]["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(applied, removed_in(&dry));
    assert_eq!(real["bytes_freed"].as_u64(), Some(promised));
    // Nothing left to remove.
    assert!(removed_in(&prune(&config, true)).is_empty());

    let gc = gc_delete_untagged(&root);
    assert_eq!(
        gc["bytes_reclaimed"].as_u64(),
        Some(promised),
        "gc reclaimed what prune promised: {gc}"
    );

    // registry:2 starts on the same config (it ignores `retention`) and serves what is kept.
    let registry = DockerRegistry::start_with_config(&config, &addr);
    let reg = Reg::new(&registry.base());
    for (repo, tag, _) in &tags {
        if EXPECTED_REMOVED.contains(&format!("{repo}:{tag}").as_str()) {
            let r = reg
                .get(&format!("/v2/{repo}/manifests/{tag}"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 404, "{repo}:{tag} was removed");
        } else {
            pull_all(&reg, repo, tag).await;
        }
    }
}

/// The same policies on an S3 store (moto): prune opens it from the config's `storage.s3`.
#[tokio::test(flavor = "multi_thread")]
async fn prune_works_on_s3() {
    use crate::common::s3 as s3server;
    let work = tempfile::tempdir().unwrap();
    let bucket = s3server::bucket();
    let storage = s3server::storage_yaml(&bucket, "/prune");
    let addr = format!("127.0.0.1:{}", free_port());
    let config = write_config(work.path(), &storage, &addr);
    let server =
        Server::start_with_args(&["serve", "-c", config.to_str().unwrap(), "--no-web"], &[]);
    let reg = Reg::new(&server.base);
    // On S3 push times cannot be set back: every tag is young, so only an always-matching
    // rule removes anything; here the newest-2 keep and a pr-* delete without age.
    for tag in ["pr-1", "pr-2", "pr-3", "v1.0.0"] {
        reg.push_image("ci/app", tag, &[&layer(tag.len() as u8, 4_000)])
            .await;
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    drop(server);
    let s3_config = work.path().join("s3.yml");
    std::fs::write(
        &s3_config,
        format!(
            "version: 0.1\n{storage}http:\n  addr: {addr}\nretention:\n  policies:\n    - \
             repository: ci/app\n      keep:\n        - newest: 2\n      delete:\n        - \
             matching: 'pr-.*'\n"
        ),
    )
    .unwrap();
    let dry = prune(&s3_config, true);
    assert_eq!(
        removed_in(&dry),
        BTreeSet::from(["ci/app:pr-1".to_owned(), "ci/app:pr-2".to_owned()])
    );
    let real = prune(&s3_config, false);
    assert_eq!(removed_in(&real), removed_in(&dry));
    assert!(removed_in(&prune(&s3_config, true)).is_empty());
    let server = Server::start_with_args(
        &["serve", "-c", s3_config.to_str().unwrap(), "--no-web"],
        &[],
    );
    let tags: Value = Reg::new(&server.base)
        .get("/v2/ci/app/tags/list")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tags["tags"], serde_json::json!(["pr-3", "v1.0.0"]));
    // du reads the same S3 store, gc's dry run included (everything here is younger than gc's
    // default grace period, so nothing is reclaimable yet).
    let du = regctl()
        .args(["du", "-o", "json", "-c", s3_config.to_str().unwrap()])
        .output()
        .unwrap();
    let du: Value = serde_json::from_str(&success_stdout(&du)).unwrap();
    assert_eq!(du["repositories"][0]["repository"], "ci/app");
    assert_eq!(du["repositories"][0]["tags"].as_array().unwrap().len(), 2);
    assert_eq!(du["gc_reclaimable"]["status"], "known", "{du}");
    assert_eq!(du["gc_reclaimable"]["bytes"], 0, "{du}");
}

#[test]
fn prune_refuses_a_config_without_policies_and_bad_policies() {
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("config.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {}\n",
            work.path().display()
        ),
    )
    .unwrap();
    let out = regctl()
        .args(["prune", "--dry-run", "-c", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no retention.policies"));
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {}\nretention:\n  \
             policies:\n    - repository: a\n      delete:\n        - matching: '('\n",
            work.path().display()
        ),
    )
    .unwrap();
    for args in [&["prune", "--dry-run"][..], &["config", "validate"]] {
        let out = regctl()
            .args(args)
            .args(["-c", config.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.contains("retention.policies[0].delete[0].matching"),
            "{args:?}: {text}"
        );
    }
}

/// `retention.schedule`: `regctl serve` applies the same policies itself (exactly the tags
/// `regctl prune --dry-run` names go, through the API's delete path), then runs gc, and logs the
/// round.
#[tokio::test(flavor = "multi_thread")]
async fn serve_applies_retention_on_its_schedule() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("data");
    std::fs::create_dir_all(&root).unwrap();
    let addr = format!("127.0.0.1:{}", free_port());
    let storage = format!(
        "storage:\n  filesystem:\n    rootdirectory: {}\n",
        root.display()
    );
    let config = write_config(work.path(), &storage, &addr);
    let server = Server::start(&root, &["--no-web"], &[]);
    let tags = push_store(&Reg::new(&server.base)).await;
    drop(server);
    age_tags(&root.join("docker/registry/v2"), &tags);
    let expected = removed_in(&prune(&config, true));
    assert_eq!(expected.len(), EXPECTED_REMOVED.len());

    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("  schedule: 1s\n");
    std::fs::write(&config, text).unwrap();
    let log = work.path().join("serve.log");
    let server = Server::start_with_stderr(
        &["serve", "-c", config.to_str().unwrap(), "--no-web"],
        &[("RUST_LOG", "info")],
        std::process::Stdio::from(std::fs::File::create(&log).unwrap()),
    );
    let reg = Reg::new(&server.base);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let listed: Value = reg
            .get("/v2/ci/app/tags/list")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let left: BTreeSet<String> = listed["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| format!("ci/app:{}", t.as_str().unwrap()))
            .collect();
        if left.is_disjoint(&expected) {
            let all: BTreeSet<String> = tags
                .iter()
                .filter(|(repo, _, _)| *repo == "ci/app")
                .map(|(repo, tag, _)| format!("{repo}:{tag}"))
                .collect();
            assert_eq!(left, &all - &expected, "exactly the planned tags went");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "retention never ran: {left:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(&log)
        .unwrap()
        .contains("retention round")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "no retention round logged"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `pulledwithin`: `regctl serve` records pulls (a skopeo GET by tag, a HEAD, a GET of an index
/// child by digest) in files registry:2 ignores; prune keeps exactly the tags pulled recently,
/// registry:2 serves the store with the records in it and its own gc runs over them, and
/// regctl's gc removes the records it left behind.
#[tokio::test(flavor = "multi_thread")]
async fn pulled_within_keeps_the_tags_clients_pull() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("data");
    std::fs::create_dir_all(&root).unwrap();
    let v2 = root.join("docker/registry/v2");
    let addr = format!("127.0.0.1:{}", free_port());
    let config = work.path().join("config.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n  \
             delete:\n    enabled: true\nhttp:\n  addr: {addr}\n  secret: s\nretention:\n  \
             policies:\n    - repository: 'ci/**'\n      keep:\n        - pulledwithin: 168h\n      \
             delete:\n        - olderthan: 720h\n",
            root.display()
        ),
    )
    .unwrap();
    let server = Server::start(&root, &["--no-web"], &[]);
    let reg = Reg::new(&server.base);
    let repo = "ci/pulls";
    let mut tags = Vec::new();
    let mut digests = std::collections::HashMap::new();
    for (seed, tag) in [(11u8, "get"), (12, "head"), (13, "idle")] {
        let (_, d) = reg.push_image(repo, tag, &[&layer(seed, 5_000)]).await;
        digests.insert(tag, d);
        tags.push((repo, tag, 60));
    }
    let (child, child_digest) = reg.push_image(repo, "child", &[&layer(14, 5_000)]).await;
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [{"mediaType": crate::common::registry::OCI_MANIFEST,
                       "digest": child_digest, "size": child.len(),
                       "platform": {"architecture": "amd64", "os": "linux"}}],
    }))
    .unwrap();
    assert_eq!(
        reg.put_manifest(repo, "multi", OCI_INDEX, &index)
            .await
            .status(),
        201
    );
    // The child keeps a tag: distribution 2.8's `--delete-untagged` deletes untagged index
    // children (its #3178), which is not what this test is about.
    tags.push((repo, "multi", 60));
    tags.push((repo, "child", 60));

    // The pulls: skopeo by tag, a HEAD, and a pinned platform child by digest.
    let pulled = work.path().join("pulled");
    let out = Command::new(crate::common::require_tool("skopeo", "skopeo"))
        .args(["copy", "--src-tls-verify=false"])
        .arg(format!("docker://{}/{repo}:get", server.addr))
        .arg(format!("dir:{}", pulled.display()))
        .env("HOME", work.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = reg
        .head(&format!("/v2/{repo}/manifests/head"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = reg
        .get(&format!("/v2/{repo}/manifests/{child_digest}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let record = |digest: &str| {
        v2.join(format!(
            "repositories/{repo}/_manifests/revisions/sha256/{}/.regctl-pulled",
            digest.trim_start_matches("sha256:")
        ))
    };
    let expected = [&digests["get"], &digests["head"], &child_digest];
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !expected.iter().all(|d| record(d).exists()) {
        assert!(std::time::Instant::now() < deadline, "pull records written");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!record(&digests["idle"]).exists(), "never pulled");
    let text = std::fs::read_to_string(record(&digests["get"])).unwrap();
    assert!(
        text.ends_with('Z') && text.len() == 20,
        "RFC 3339: {text:?}"
    );
    drop(server);
    age_tags(&v2, &tags);

    let dry = prune(&config, true);
    assert_eq!(
        removed_in(&dry),
        BTreeSet::from(["ci/pulls:idle".to_owned()]),
        "{dry}"
    );
    let protected: BTreeSet<(&str, &str)> = dry["repositories"][0]["protected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["tag"].as_str().unwrap(), t["by"].as_str().unwrap()))
        .collect();
    let keep = "retention.policies[0].keep[0]";
    assert_eq!(
        protected,
        BTreeSet::from([
            ("child", keep),
            ("get", keep),
            ("head", keep),
            ("multi", keep)
        ])
    );

    // A pull long ago protects nothing: `head` was last pulled 30 days back.
    let month_ago = SystemTime::now() - Duration::from_secs(30 * DAY);
    let at = month_ago
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let status = Command::new("touch")
        .args(["-m", "-d", &format!("@{at}")])
        .arg(record(&digests["head"]))
        .status()
        .unwrap();
    assert!(status.success());
    let dry = prune(&config, true);
    assert_eq!(
        removed_in(&dry),
        BTreeSet::from(["ci/pulls:head".to_owned(), "ci/pulls:idle".to_owned()])
    );
    let head = dry["repositories"][0]["removed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tag"] == "head")
        .unwrap();
    assert!(head["pulled"].as_str().unwrap().ends_with('Z'), "{head}");
    assert_eq!(removed_in(&prune(&config, false)), removed_in(&dry));

    // registry:2's collector runs over the records (leaving `head`'s behind with its
    // directory), then regctl's removes what it left.
    let out = Command::new(crate::common::require_tool(
        "docker-registry",
        "docker-registry",
    ))
    .arg("garbage-collect")
    .arg(&config)
    .arg("--delete-untagged")
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let head_revision = record(&digests["head"]).with_file_name("link");
    assert!(
        !head_revision.exists(),
        "registry:2 deleted the untagged revision"
    );
    gc_delete_untagged(&root);
    assert!(!record(&digests["head"]).exists(), "stray record removed");
    assert!(!record(&digests["head"]).parent().unwrap().exists());
    assert!(
        record(&digests["get"]).exists(),
        "a kept revision keeps its record"
    );

    let registry = DockerRegistry::start_with_config(&config, &addr);
    let reg = Reg::new(&registry.base());
    pull_all(&reg, repo, "get").await;
    pull_all(&reg, repo, "multi").await;
    pull_all(&reg, repo, "child").await;
    for gone in ["head", "idle"] {
        let r = reg
            .get(&format!("/v2/{repo}/manifests/{gone}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{gone}");
    }
}
