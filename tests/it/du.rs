//! `regctl du` on a store pushed through a real `regctl serve`: each repository's bytes are its
//! blobs counted once, unique vs shared measured against the other repositories, per-tag image
//! sizes, the largest images, and gc's dry run of the store; table and JSON.

use serde_json::Value;

use crate::common::registry::Reg;
use crate::common::server::Server;
use crate::common::{regctl, success_stdout};

fn config_len(repo: &str, tag: &str) -> u64 {
    // What `Reg::push_image` pushes as the config.
    format!(r#"{{"architecture":"amd64","os":"linux","n":"{repo}{tag}"}}"#).len() as u64
}

#[tokio::test(flavor = "multi_thread")]
async fn du_counts_each_blob_once_and_splits_unique_from_shared() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("data");
    std::fs::create_dir_all(&root).unwrap();
    let server = Server::start(&root, &["--no-web"], &[]);
    let reg = Reg::new(&server.base);
    let base = vec![1u8; 100_000];
    let (a, b, c) = (vec![2u8; 10_000], vec![3u8; 20_000], vec![4u8; 30_000]);
    let (m1, _) = reg.push_image("team/a", "t1", &[&base, &a]).await;
    let (m2, _) = reg.push_image("team/a", "t2", &[&base, &b]).await;
    // Same manifest twice: t3 adds no bytes.
    let r = reg
        .put_manifest("team/a", "t3", crate::common::registry::OCI_MANIFEST, &m2)
        .await;
    assert_eq!(r.status(), 201);
    let (m3, _) = reg.push_image("team/b", "x", &[&base, &c]).await;
    drop(server);

    let out = regctl()
        .args(["du", "-o", "json", "--root"])
        .arg(&root)
        .output()
        .unwrap();
    let du: Value = serde_json::from_str(&success_stdout(&out)).unwrap();
    let len = |v: &[u8]| v.len() as u64;
    let a_bytes = len(&m1)
        + len(&m2)
        + config_len("team/a", "t1")
        + config_len("team/a", "t2")
        + len(&base)
        + len(&a)
        + len(&b);
    let b_bytes = len(&m3) + config_len("team/b", "x") + len(&base) + len(&c);
    let repos = du["repositories"].as_array().unwrap();
    assert_eq!(repos[0]["repository"], "team/a", "largest first: {du}");
    assert_eq!(repos[0]["bytes"].as_u64(), Some(a_bytes));
    assert_eq!(repos[0]["shared_bytes"].as_u64(), Some(len(&base)));
    assert_eq!(
        repos[0]["unique_bytes"].as_u64(),
        Some(a_bytes - len(&base))
    );
    assert_eq!(repos[0]["manifests"], 2);
    assert_eq!(repos[1]["bytes"].as_u64(), Some(b_bytes));
    assert_eq!(
        repos[1]["unique_bytes"].as_u64(),
        Some(b_bytes - len(&base))
    );
    assert_eq!(
        du["referenced_bytes"].as_u64(),
        Some(a_bytes + b_bytes - len(&base))
    );
    let t2 = len(&m2) + config_len("team/a", "t2") + len(&base) + len(&b);
    let tags = repos[0]["tags"].as_array().unwrap();
    assert_eq!(tags[0]["tag"], "t2");
    assert_eq!(tags[0]["bytes"].as_u64(), Some(t2));
    assert_eq!(tags[1]["tag"], "t3");
    let largest = du["largest_images"].as_array().unwrap();
    assert_eq!(largest[0]["repository"], "team/b");
    assert_eq!(largest[0]["tag"], "x");
    assert_eq!(largest.len(), 4);
    // Everything is referenced and young: gc's dry run reclaims nothing.
    assert_eq!(du["gc_reclaimable"]["status"], "known");
    assert_eq!(du["gc_reclaimable"]["bytes"], 0);

    // Naming a repository: its tags in the table (plain columns when piped).
    let out = regctl()
        .args(["du", "team/a", "--root"])
        .arg(&root)
        .output()
        .unwrap();
    let text = success_stdout(&out);
    assert!(text.contains("team/a:t2"), "{text}");
    assert!(
        !text.contains("team/b "),
        "only the named repository: {text}"
    );
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("gc would reclaim now: 0 B"), "{stderr}");
    let out = regctl()
        .args(["du", "nope/x", "--root"])
        .arg(&root)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope/x is not in"));
}
