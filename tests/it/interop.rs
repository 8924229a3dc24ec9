//! Real clients and a real peer: skopeo pushing, inspecting, listing, pulling and deleting through
//! `regctl serve`, and Debian's `docker-registry` (distribution 2.8) serving the same storage root
//! before and after regctl, in both directions.

use std::path::Path;

use crate::common::docker_registry::DockerRegistry;
use crate::common::oci::{
    layout_blobs, oci_reference, skopeo_pull as pull, skopeo_push as push, write_oci_layout,
};
use crate::common::registry::{digest, header, skopeo, v2, Reg};
use crate::common::server::Server;

fn serve(root: &Path) -> Server {
    Server::start(root, &[], &[("REGISTRY_STORAGE_DELETE_ENABLED", "true")])
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

/// The leftover of a manifest PUT killed between making `tags/<tag>/` and renaming its link: a
/// tag directory whose only file is `.link.tmp-*`.
fn leave_half_written_tag(root: &Path, repo: &str, tag: &str) {
    let current = v2(root).join(format!("repositories/{repo}/_manifests/tags/{tag}/current"));
    std::fs::create_dir_all(&current).unwrap();
    std::fs::write(current.join(".link.tmp-00000000deadbeef"), b"sha256:").unwrap();
}

/// `tags/list` names only tags whose current link names a manifest, so skopeo sync and mirrors
/// do not trip over a crash leftover; GET by such a tag stays 404 MANIFEST_UNKNOWN.
#[tokio::test(flavor = "multi_thread")]
async fn tags_list_skips_tags_left_half_written_by_a_crash() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("root");
    let server = serve(&root);
    let reg = Reg::new(&server.base);
    reg.push_image("app", "v1", &[b"layer one"]).await;
    // Listed once before the leftover appears, so the cached list must be noticed as stale.
    let r = reg.get("/v2/app/tags/list").send().await.unwrap();
    assert_eq!(r.status(), 200);
    leave_half_written_tag(&root, "app", "broken");
    let tags = |body: serde_json::Value| body["tags"].clone();
    let r = reg.get("/v2/app/tags/list").send().await.unwrap();
    assert_eq!(tags(r.json().await.unwrap()), serde_json::json!(["v1"]));
    let r = reg.get("/v2/app/manifests/broken").send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        crate::common::registry::error_code(r).await,
        "MANIFEST_UNKNOWN"
    );
    let listed = skopeo(&[
        "list-tags",
        "--tls-verify=false",
        &format!("docker://{}/app", server.addr),
    ]);
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed["Tags"], serde_json::json!(["v1"]));
    // Once the push's link lands (here: written by hand, as another process would), the tag
    // is listed within the revalidation interval.
    let manifest_digest = reg
        .head("/v2/app/manifests/v1")
        .send()
        .await
        .unwrap()
        .headers()["docker-content-digest"]
        .to_str()
        .unwrap()
        .to_owned();
    std::fs::write(
        v2(&root).join("repositories/app/_manifests/tags/broken/current/link"),
        &manifest_digest,
    )
    .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let r = reg.get("/v2/app/tags/list").send().await.unwrap();
    assert_eq!(
        tags(r.json().await.unwrap()),
        serde_json::json!(["broken", "v1"])
    );
    drop(server);

    // registry:2 (distribution 2.8) on the same storage lists every tag directory, leftovers
    // included; regctl deliberately does not, and agrees on every real tag.
    leave_half_written_tag(&root, "app", "leftover");
    let peer = DockerRegistry::start(&root, true);
    let r = Reg::new(&peer.base())
        .get("/v2/app/tags/list")
        .send()
        .await
        .unwrap();
    let theirs = tags(r.json().await.unwrap());
    let theirs: Vec<&str> = theirs
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t.as_str())
        .collect();
    assert!(
        theirs.contains(&"v1") && theirs.contains(&"broken"),
        "{theirs:?}"
    );
    drop(peer);
    let server = serve(&root);
    let r = Reg::new(&server.base)
        .get("/v2/app/tags/list")
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags(r.json().await.unwrap()),
        serde_json::json!(["broken", "v1"])
    );
}

/// `regctl serve` with htpasswd user alice (`s3cret-pass`, made by Apache's `htpasswd`) and
/// `envs`, its log written to `serve.log` under `work`.
fn serve_as_alice(work: &Path, envs: &[(&str, &str)]) -> (Server, std::path::PathBuf) {
    let htpasswd = work.join("htpasswd");
    let out = std::process::Command::new(crate::common::require_tool("htpasswd", "apache2-utils"))
        .args(["-Bbc", htpasswd.to_str().unwrap(), "alice", "s3cret-pass"])
        .output()
        .unwrap();
    crate::common::success_stdout(&out);
    let log = work.join("serve.log");
    let root = work.join("root");
    let mut all_envs = vec![
        ("REGISTRY_AUTH", "htpasswd"),
        ("REGISTRY_AUTH_HTPASSWD_REALM", "test"),
        ("REGISTRY_AUTH_HTPASSWD_PATH", htpasswd.to_str().unwrap()),
    ];
    all_envs.extend_from_slice(envs);
    let server = Server::start_with_stderr(
        &[
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--root",
            root.to_str().unwrap(),
        ],
        &all_envs,
        std::process::Stdio::from(std::fs::File::create(&log).unwrap()),
    );
    (server, log)
}

/// One `regctl::event` line per push and pull, with the user the auth layer authenticated, the
/// repository, tag, digest, media type and size; none for HEAD.
#[test]
fn push_and_pull_write_event_lines_with_the_authenticated_user() {
    let work = tempfile::tempdir().unwrap();
    let layout = work.path().join("layout");
    let manifest_digest = write_oci_layout(&layout, "v1", 1, 1000);
    let (server, log) = serve_as_alice(work.path(), &[]);
    skopeo(&[
        "copy",
        "--preserve-digests",
        "--dest-tls-verify=false",
        "--dest-creds",
        "alice:s3cret-pass",
        &oci_reference(&layout, "v1"),
        &format!("docker://{}/team/app:v1", server.addr),
    ]);
    skopeo(&[
        "inspect",
        "--raw",
        "--tls-verify=false",
        "--creds",
        "alice:s3cret-pass",
        &format!("docker://{}/team/app:v1", server.addr),
    ]);
    drop(server);
    let text = std::fs::read_to_string(&log).unwrap();
    let events: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("regctl::event"))
        .collect();
    let push: Vec<&&str> = events
        .iter()
        .filter(|l| l.contains("action=\"push\""))
        .collect();
    assert_eq!(push.len(), 1, "one push event:\n{text}");
    for field in [
        "user=\"alice\"".to_owned(),
        "repository=\"team/app\"".to_owned(),
        "tag=\"v1\"".to_owned(),
        format!("digest=\"{manifest_digest}\""),
        "media_type=\"application/vnd.oci.image.manifest.v1+json\"".to_owned(),
        "size=".to_owned(),
    ] {
        assert!(push[0].contains(&field), "{field} in {}", push[0]);
    }
    let pulls: Vec<&&str> = events
        .iter()
        .filter(|l| l.contains("action=\"pull\""))
        .collect();
    assert_eq!(
        pulls.len(),
        1,
        "one pull event (skopeo inspect --raw GETs once):\n{text}"
    );
    assert!(pulls[0].contains("user=\"alice\"") && pulls[0].contains(&manifest_digest));
    assert_eq!(
        events.len(),
        2,
        "no event for HEADs or blob traffic:\n{text}"
    );
}

/// One `regctl::audit` line per write, refused ones included: a skopeo push gives `push-blob`
/// lines and a `push` with the user, client address and stored digest; a delete while deletes
/// are disabled and a push without credentials are audited as refused.
#[tokio::test(flavor = "multi_thread")]
async fn writes_are_audited_whatever_their_outcome() {
    let work = tempfile::tempdir().unwrap();
    let layout = work.path().join("layout");
    let manifest_digest = write_oci_layout(&layout, "v1", 1, 1000);
    // The audit trail does not depend on the access log.
    let (server, log) = serve_as_alice(work.path(), &[("REGISTRY_LOG_ACCESSLOG_DISABLED", "true")]);
    let addr = server.addr.clone();
    let layout_ref = oci_reference(&layout, "v1");
    tokio::task::spawn_blocking(move || {
        skopeo(&[
            "copy",
            "--preserve-digests",
            "--dest-tls-verify=false",
            "--dest-creds",
            "alice:s3cret-pass",
            &layout_ref,
            &format!("docker://{addr}/team/app:v1"),
        ])
    })
    .await
    .unwrap();
    let reg = Reg::new(&format!("http://{}", server.addr));
    let r = reg
        .delete("/v2/team/app/manifests/v1")
        .basic_auth("alice", Some("s3cret-pass"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405, "deletes are disabled");
    let r = reg
        .put("/v2/team/app/manifests/v2")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    drop(server);
    let text = std::fs::read_to_string(&log).unwrap();
    let audit: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("regctl::audit"))
        .collect();
    let push: Vec<&&str> = audit
        .iter()
        .filter(|l| l.contains("action=\"push\""))
        .collect();
    assert!(!push.is_empty(), "a push line:\n{text}");
    let ok = push
        .iter()
        .find(|l| l.contains("result=\"ok\""))
        .expect("an ok push");
    for field in [
        "user=\"alice\"".to_owned(),
        "remote=127.0.0.1:".to_owned(),
        "repository=\"team/app\"".to_owned(),
        "reference=\"v1\"".to_owned(),
        format!("digest=\"{manifest_digest}\""),
        "status=201".to_owned(),
    ] {
        assert!(ok.contains(&field), "{field} in {ok}");
    }
    assert!(
        audit
            .iter()
            .filter(|l| l.contains("action=\"push-blob\"") && l.contains("result=\"ok\""))
            .count()
            >= 2,
        "config and layer commits:\n{text}"
    );
    assert!(
        audit.iter().any(|l| l.contains("action=\"untag\"")
            && l.contains("result=\"refused\"")
            && l.contains("status=405")
            && l.contains("user=\"alice\"")),
        "the refused delete:\n{text}"
    );
    assert!(
        audit.iter().any(|l| l.contains("action=\"push\"")
            && l.contains("reference=\"v2\"")
            && l.contains("status=401")
            && l.contains("user=\"-\"")),
        "the push without credentials:\n{text}"
    );
    assert!(!text.contains("regctl::access"), "the access log is off");
}
