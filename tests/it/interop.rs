//! Real clients and a real peer: skopeo pushing, inspecting, listing, pulling and deleting through
//! `regctl serve`, and Debian's `docker-registry` (distribution 2.8) serving the same storage root
//! before and after regctl, in both directions.

use std::path::Path;

use crate::common::docker_registry::DockerRegistry;
use crate::common::oci::{layout_blobs, oci_reference, write_oci_layout};
use crate::common::registry::{digest, header, skopeo, v2, Reg};
use crate::common::server::Server;

fn serve(root: &Path) -> Server {
    Server::start(root, &[], &[("REGISTRY_STORAGE_DELETE_ENABLED", "true")])
}

/// Copies `oci:<layout>:<tag>` to `docker://<addr>/<repo>:<tag>` keeping digests.
fn push(layout: &Path, tag: &str, addr: &str, repo: &str) {
    skopeo(&[
        "copy",
        "--preserve-digests",
        "--dest-tls-verify=false",
        &oci_reference(layout, tag),
        &format!("docker://{addr}/{repo}:{tag}"),
    ]);
}

/// Copies `docker://<addr>/<repo>:<tag>` to a fresh OCI layout and returns its blob names.
fn pull(addr: &str, repo: &str, tag: &str, into: &Path) -> Vec<String> {
    skopeo(&[
        "copy",
        "--preserve-digests",
        "--src-tls-verify=false",
        &format!("docker://{addr}/{repo}:{tag}"),
        &oci_reference(into, tag),
    ]);
    layout_blobs(into)
}

#[test]
fn skopeo_push_inspect_list_pull_delete() {
    let work = tempfile::tempdir().unwrap();
    let layout = work.path().join("layout");
    let manifest_digest = write_oci_layout(&layout, "v1", 3, 300_000);
    let server = serve(&work.path().join("root"));

    push(&layout, "v1", &server.addr, "team/app");
    push(&layout, "v1", &server.addr, "team/app2");

    let inspect = skopeo(&[
        "inspect",
        "--tls-verify=false",
        &format!("docker://{}/team/app:v1", server.addr),
    ]);
    let inspect: serde_json::Value = serde_json::from_str(&inspect).unwrap();
    assert_eq!(inspect["Digest"], manifest_digest.as_str());
    assert_eq!(inspect["Layers"].as_array().unwrap().len(), 3);
    assert_eq!(inspect["Architecture"], "amd64");

    let tags = skopeo(&[
        "list-tags",
        "--tls-verify=false",
        &format!("docker://{}/team/app", server.addr),
    ]);
    let tags: serde_json::Value = serde_json::from_str(&tags).unwrap();
    assert_eq!(tags["Tags"], serde_json::json!(["v1"]));

    let pulled = pull(&server.addr, "team/app", "v1", &work.path().join("out"));
    assert_eq!(
        pulled,
        layout_blobs(&layout),
        "the pulled image has the pushed digests"
    );

    skopeo(&[
        "delete",
        "--tls-verify=false",
        &format!("docker://{}/team/app:v1", server.addr),
    ]);
    let status = std::process::Command::new(crate::common::require_tool("skopeo", "skopeo"))
        .args([
            "inspect",
            "--tls-verify=false",
            &format!("docker://{}/team/app:v1", server.addr),
        ])
        .output()
        .unwrap();
    assert!(!status.status.success(), "deleted image must be gone");
    // The other repository still has it.
    let pulled = pull(&server.addr, "team/app2", "v1", &work.path().join("out2"));
    assert_eq!(pulled, layout_blobs(&layout));
}

#[test]
fn storage_written_by_regctl_is_served_by_docker_registry() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("root");
    let layout = work.path().join("layout");
    write_oci_layout(&layout, "v1", 2, 500_000);
    {
        let server = serve(&root);
        push(&layout, "v1", &server.addr, "from/regctl");
    }
    let peer = DockerRegistry::start(&root, true);
    let pulled = pull(&peer.addr, "from/regctl", "v1", &work.path().join("out"));
    assert_eq!(pulled, layout_blobs(&layout));
    let tags = skopeo(&[
        "list-tags",
        "--tls-verify=false",
        &format!("docker://{}/from/regctl", peer.addr),
    ]);
    assert!(tags.contains("\"v1\""));
}

#[tokio::test(flavor = "multi_thread")]
async fn storage_written_by_docker_registry_is_served_by_regctl() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("root");
    let layout = work.path().join("layout");
    write_oci_layout(&layout, "v1", 2, 400_000);
    let half_uploaded = b"the first half|and the second half".to_vec();
    let upload_path = {
        let peer = DockerRegistry::start(&root, true);
        let addr = peer.addr.clone();
        let layout = layout.clone();
        tokio::task::spawn_blocking(move || push(&layout, "v1", &addr, "from/distribution"))
            .await
            .unwrap();
        // Leave an upload half done: regctl must resume it from registry:2's hash state.
        let reg = Reg::new(&peer.base());
        let r = reg
            .post("/v2/from/distribution/blobs/uploads/")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        let location = header(&r, "location");
        let r = reg
            .patch(&location)
            .header("content-type", "application/octet-stream")
            .body(half_uploaded[..15].to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        let uuid = header(&r, "docker-upload-uuid");
        format!("/v2/from/distribution/blobs/uploads/{uuid}")
    };
    let hash_states = v2(&root).join(format!(
        "repositories/from/distribution/_uploads/{}/hashstates/sha256",
        upload_path.rsplit('/').next().unwrap()
    ));
    // Go's sha256 state as registry:2 stored it decodes into regctl's hasher and continues it.
    let go_state = std::fs::read(hash_states.join("15")).expect("registry:2 wrote its hash state");
    let mut resumed = regctl::digest::Hasher::from_go_state(&go_state).expect("Go hash state");
    assert_eq!(resumed.len(), 15);
    resumed.update(&half_uploaded[15..]);
    assert_eq!(resumed.finish().as_str(), digest(&half_uploaded));

    let server = serve(&root);
    let addr = server.addr.clone();
    let out = work.path().join("out");
    let pulled = tokio::task::spawn_blocking(move || pull(&addr, "from/distribution", "v1", &out))
        .await
        .unwrap();
    assert_eq!(pulled, layout_blobs(&layout));

    let reg = Reg::new(&server.base);
    let r = reg.get(&upload_path).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(header(&r, "range"), "0-14");
    let r = reg
        .put(&format!("{upload_path}?digest={}", digest(&half_uploaded)))
        .body(half_uploaded[15..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let r = reg
        .get(&format!(
            "/v2/from/distribution/blobs/{}",
            digest(&half_uploaded)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.bytes().await.unwrap().as_ref(), &half_uploaded[..]);
}
