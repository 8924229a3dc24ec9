//! `tags.immutable` (regctl's own key): a tag matching a rule, once pushed, is never moved to
//! another manifest or deleted, nor the manifest it names; skopeo and the HTTP API see the refusal,
//! re-pushes of the same manifest pass, other tags and repositories are unaffected, and
//! registry:2 starts on the same config file (it ignores the key).

use std::path::Path;

use crate::common::docker_registry::DockerRegistry;
use crate::common::oci::{oci_reference, write_oci_layout};
use crate::common::registry::{error_code, Reg};
use crate::common::server::Server;
use crate::common::{free_port, regctl};

fn config(dir: &Path, addr: &str, rules: &str) -> std::path::PathBuf {
    let path = dir.join(format!("config-{}.yml", addr.replace([':', '.'], "-")));
    std::fs::write(
        &path,
        format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n  \
             delete:\n    enabled: true\nhttp:\n  addr: {addr}\n  secret: s\ntags:\n  immutable:\n{rules}",
            dir.join("data").display()
        ),
    )
    .unwrap();
    path
}

fn skopeo_copy(layout: &Path, tag: &str, dest: &str) -> std::process::Output {
    std::process::Command::new(crate::common::require_tool("skopeo", "skopeo"))
        .args([
            "copy",
            "--preserve-digests",
            "--dest-tls-verify=false",
            &oci_reference(layout, tag),
            &format!("docker://{dest}"),
        ])
        .env("HOME", std::env::temp_dir())
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn immutable_tags_are_never_moved_or_deleted() {
    let work = tempfile::tempdir().unwrap();
    let addr = format!("127.0.0.1:{}", free_port());
    let rules = "    - repository: prod/**\n      tag: v*\n";
    let config = config(work.path(), &addr, rules);
    let validated = regctl()
        .args(["config", "validate", "-c", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        validated.status.success(),
        "{}",
        String::from_utf8_lossy(&validated.stdout)
    );
    let server =
        Server::start_with_args(&["serve", "-c", config.to_str().unwrap(), "--no-web"], &[]);
    let (one, two) = (work.path().join("one"), work.path().join("two"));
    write_oci_layout(&one, "x", 1, 1000);
    write_oci_layout(&two, "x", 2, 1000);

    let v1 = format!("{}/prod/app:v1", server.addr);
    let out = skopeo_copy(&one, "x", &v1);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again = skopeo_copy(&one, "x", &v1);
    assert!(
        again.status.success(),
        "re-pushing the same manifest is fine"
    );
    let moved = skopeo_copy(&two, "x", &v1);
    assert!(!moved.status.success(), "moving an immutable tag must fail");
    let stderr = String::from_utf8_lossy(&moved.stderr);
    assert!(
        stderr.contains("tag v1 of prod/app is immutable"),
        "skopeo shows why: {stderr}"
    );
    // Tags no rule covers move freely, in the same and in other repositories.
    for dest in ["prod/app:latest", "dev/app:v1"] {
        for layout in [&one, &two] {
            let out = skopeo_copy(layout, "x", &format!("{}/{dest}", server.addr));
            assert!(
                out.status.success(),
                "{dest}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    let reg = Reg::new(&format!("http://{}", server.addr));
    let r = reg.get("/v2/prod/app/manifests/v1").send().await.unwrap();
    let v1_digest = crate::common::registry::header(&r, "docker-content-digest");
    let r = reg
        .delete("/v2/prod/app/manifests/v1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "tag delete refused");
    assert_eq!(error_code(r).await, "DENIED");
    let r = reg
        .delete(&format!("/v2/prod/app/manifests/{v1_digest}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        403,
        "deleting the manifest an immutable tag names is refused"
    );
    let r = reg.get("/v2/prod/app/manifests/v1").send().await.unwrap();
    assert_eq!(r.status(), 200, "v1 is still there");
    // `latest` (now image two) is not protected: it goes, and so does its manifest.
    let r = reg
        .delete("/v2/prod/app/manifests/latest")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);

    // registry:2 starts on the same file and ignores the key.
    let peer_addr = format!("127.0.0.1:{}", free_port());
    let peer_config = self::config(work.path(), &peer_addr, rules);
    let mut peer = DockerRegistry::start_with_config(&peer_config, &peer_addr);
    peer.assert_running();
}

#[test]
fn bad_patterns_are_reported_with_their_key_paths() {
    let work = tempfile::tempdir().unwrap();
    let config = config(
        work.path(),
        "127.0.0.1:5000",
        "    - repository: Prod/*\n      tag: v/1\n    - tag: '*'\n",
    );
    let out = regctl()
        .args(["config", "validate", "-c", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    for path in [
        "tags.immutable[0].repository",
        "tags.immutable[0].tag",
        "tags.immutable[1].repository",
    ] {
        assert!(stdout.contains(path), "{path}: {stdout}");
    }
}
