//! The S3 backend against a real S3 server (moto, started by scripts/test): distribution's keys,
//! registry:2's upload representation continued across backend instances (replicas), the short
//! last part, ranged multipart copies and presigned downloads.

use std::process::Command;

use bytes::Bytes;
use futures_util::TryStreamExt;
use regctl::config::s3::S3Settings;
use regctl::digest::Digest;
use regctl::storage::s3::S3Storage;

use crate::common::docker_registry::DockerRegistry;
use crate::common::free_port;
use crate::common::oci::{
    layout_blobs, skopeo_pull as pull, skopeo_push as push, write_oci_layout,
};
use crate::common::registry::{digest, header, skopeo, Reg};
use crate::common::s3::{self as s3server, ACCESS_KEY, REGION, SECRET_KEY};
use crate::common::server::Server;

const MIB: usize = 1024 * 1024;

fn settings(bucket: &str, root: &str, extra: &str) -> S3Settings {
    let yaml = format!(
        "region: {REGION}\nregionendpoint: {}\nbucket: {bucket}\nrootdirectory: '{root}'\n\
         accesskey: {ACCESS_KEY}\nsecretkey: {SECRET_KEY}\nforcepathstyle: true\nsecure: false\n\
         {extra}",
        s3server::endpoint()
    );
    S3Settings::from_params(&serde_yaml::from_str(&yaml).unwrap()).unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn backend(rt: &tokio::runtime::Runtime, bucket: &str, root: &str, extra: &str) -> S3Storage {
    S3Storage::new(settings(bucket, root, extra), rt.handle().clone()).unwrap()
}

/// Deterministic, incompressible-looking test bytes.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ ((i >> 8) as u8))
        .collect()
}

async fn read_all(storage: &S3Storage, key: &str) -> Vec<u8> {
    let size = storage
        .head(key)
        .await
        .unwrap()
        .expect("object exists")
        .size;
    let chunks: Vec<Bytes> = storage
        .get_range(key, 0, size)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    chunks.concat()
}

#[test]
fn keys_are_distributions_with_no_directory_objects() {
    let rt = runtime();
    let bucket = s3server::bucket();
    let storage = backend(&rt, &bucket, "/reg/root/", "");
    let raw = backend(&rt, &bucket, "", "");
    rt.block_on(async {
        let link = "/docker/registry/v2/repositories/lib/app/_layers/sha256/ab/link";
        storage
            .put(link, Bytes::from_static(b"sha256:ab"))
            .await
            .unwrap();
        assert_eq!(storage.object_key(link), format!("reg/root{link}"));
        // Seen from the bucket's root, the only object is the link: no directory markers.
        let all: Vec<String> = raw
            .walk("")
            .map_ok(|(key, _)| key)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(all, [format!("reg/root{link}")]);
        let repos = storage
            .list("/docker/registry/v2/repositories")
            .await
            .unwrap();
        assert_eq!(repos.len(), 1);
        assert!(repos[0].is_prefix() && repos[0].name == "lib");
        assert_eq!(
            storage.get(link, 100).await.unwrap().as_deref(),
            Some(&b"sha256:ab"[..])
        );
        assert!(storage.get(link, 3).await.is_err(), "over the limit");
        assert_eq!(storage.head(link).await.unwrap().unwrap().size, 9);
        assert!(storage
            .get("/docker/registry/v2/x", 9)
            .await
            .unwrap()
            .is_none());
        // A sibling whose name extends the deleted directory's survives delete_tree.
        let sibling = "/docker/registry/v2/repositories/lib/application/_layers/x";
        storage
            .put(sibling, Bytes::from_static(b"x"))
            .await
            .unwrap();
        assert!(storage
            .put_if_absent(sibling, Bytes::from_static(b"y"))
            .await
            .map(|written| !written)
            .unwrap());
        storage
            .delete_tree("/docker/registry/v2/repositories/lib/app")
            .await
            .unwrap();
        assert!(storage.head(link).await.unwrap().is_none());
        assert_eq!(
            storage.get(sibling, 9).await.unwrap().as_deref(),
            Some(&b"x"[..])
        );
    });
}

#[test]
fn an_upload_hops_between_replicas_and_keeps_registry2s_parts() {
    let rt = runtime();
    let bucket = s3server::bucket();
    let extra = "chunksize: 5242880\n";
    let (a, b, c) = (
        backend(&rt, &bucket, "", extra),
        backend(&rt, &bucket, "", extra),
        backend(&rt, &bucket, "", extra),
    );
    let key = "/docker/registry/v2/repositories/app/_uploads/u1/data";
    let first = pattern(6 * MIB, 1);
    let second = pattern(3 * MIB, 2);
    // The blocking seam runs off the runtime, as the registry's blocking pool does.
    let on_a = std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let mut upload = a.open_upload_by_key(key, 0).unwrap();
                for piece in first.chunks(64 * 1024) {
                    upload.append(piece).unwrap();
                }
                upload.persist().unwrap();
                upload.size()
            })
            .join()
            .unwrap()
    });
    assert_eq!(on_a, first.len() as u64);
    // registry:2's parts: chunksize, then the rest.
    let (_, parts) = rt.block_on(b.find_upload(key)).unwrap().unwrap();
    let sizes: Vec<u64> = parts.iter().map(|p| p.size).collect();
    assert_eq!(sizes, [5 * MIB as u64, MIB as u64]);
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                // An open past the stored size is refused.
                let past = b
                    .open_upload_by_key(key, first.len() as u64 + 1)
                    .err()
                    .unwrap();
                assert_eq!(past.kind(), std::io::ErrorKind::InvalidInput, "{past}");
                // Replica B continues: the short 1 MiB tail is folded in server-side first.
                let mut upload = b.open_upload_by_key(key, first.len() as u64).unwrap();
                upload.append(&second[..MIB]).unwrap();
                upload.append(&second[MIB..]).unwrap();
                // A request that broke off is rewound to where it started.
                upload.append(b"garbage").unwrap();
                upload.rewind((first.len() + second.len()) as u64).unwrap();
                upload.persist().unwrap();
                // Replica C reads it back (a hash state that was not stored) and seals it.
                let total = (first.len() + second.len()) as u64;
                let mut upload = c.open_upload_by_key(key, total).unwrap();
                let mut chunks = upload.chunks(0, total).unwrap();
                let mut read = Vec::new();
                while let Some(chunk) = chunks.next_chunk().unwrap() {
                    read.extend_from_slice(&chunk);
                }
                assert_eq!(
                    Digest::of(&read),
                    Digest::of(&[&first[..], &second[..]].concat())
                );
                upload.seal(total).unwrap();
            })
            .join()
            .unwrap();
    });
    rt.block_on(async {
        assert!(
            a.find_upload(key).await.unwrap().is_none(),
            "sealed: completed"
        );
        let stored = read_all(&a, key).await;
        let expected = [first.clone(), second.clone()].concat();
        assert_eq!(Digest::of(&stored), Digest::of(&expected));
    });
}

#[test]
fn a_small_tail_is_read_back_and_an_empty_upload_seals() {
    let rt = runtime();
    let bucket = s3server::bucket();
    let s = backend(&rt, &bucket, "r", "");
    let key = "/docker/registry/v2/repositories/app/_uploads/u2/data";
    let empty = "/docker/registry/v2/repositories/app/_uploads/u3/data";
    let aborted = "/docker/registry/v2/repositories/app/_uploads/u4/data";
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let mut upload = s.open_upload_by_key(key, 0).unwrap();
                upload.append(b"hello ").unwrap();
                upload.persist().unwrap();
                let mut upload = s.open_upload_by_key(key, 6).unwrap();
                upload.append(b"world").unwrap();
                upload.persist().unwrap();
                // Reopening at an earlier offset drops what follows it.
                let mut upload = s.open_upload_by_key(key, 5).unwrap();
                assert_eq!(upload.size(), 5);
                upload.append(b"!").unwrap();
                upload.seal(6).unwrap();

                let mut upload = s.open_upload_by_key(empty, 0).unwrap();
                upload.seal(0).unwrap();

                let upload = s.open_upload_by_key(aborted, 0).unwrap();
                upload.abort().unwrap();
            })
            .join()
            .unwrap();
    });
    rt.block_on(async {
        assert_eq!(read_all(&s, key).await, b"hello!");
        assert_eq!(s.head(empty).await.unwrap().unwrap().size, 0);
        assert!(s.find_upload(aborted).await.unwrap().is_none());
        assert!(s.head(aborted).await.unwrap().is_none());
    });
}

#[test]
fn large_copies_use_ranged_part_copies_and_downloads_are_presigned() {
    let rt = runtime();
    let bucket = s3server::bucket();
    let s = backend(
        &rt,
        &bucket,
        "",
        "multipartcopythresholdsize: 0\nmultipartcopychunksize: 5242880\n\
         multipartcopymaxconcurrency: 2\n",
    );
    let data = pattern(11 * MIB, 3);
    rt.block_on(async {
        let from = "/docker/registry/v2/repositories/app/_uploads/u5/data";
        s.put(from, Bytes::from(data.clone())).await.unwrap();
        let to = "/docker/registry/v2/blobs/sha256/11/1111/data";
        s.copy(from, to).await.unwrap();
        assert_eq!(Digest::of(&read_all(&s, to).await), Digest::of(&data));
        let range: Vec<Bytes> = s
            .get_range(to, 5 * MIB as u64 - 2, 4)
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(range.concat(), &data[5 * MIB - 2..5 * MIB + 2]);
        let url = s.presigned_get(to).await.unwrap();
        let curl = crate::common::require_tool("curl", "curl");
        let out = Command::new(curl)
            .args(["-sS", "-f"])
            .arg(url.as_str())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(Digest::of(&out.stdout), Digest::of(&data));
    });
}

/// The storage conformance suite every backend passes (`regctl::storage::conformance`), here
/// against S3 on the local server, below a root directory and at the bucket's top.
#[test]
fn passes_the_storage_conformance_suite() {
    let rt = runtime();
    let bucket = s3server::bucket();
    for root in ["/conformance/root", ""] {
        let storage = backend(&rt, &bucket, root, "");
        regctl::storage::conformance::run(&storage);
    }
}

/// One registry:2 config.yml for an S3 store on the local server, listening on `addr`: regctl
/// and Debian's `docker-registry` read the same file.
/// Without `redirect`, `storage.redirect.disable: true` (blobs are streamed by the registry).
fn s3_config(
    dir: &std::path::Path,
    bucket: &str,
    addr: &str,
    redirect: bool,
) -> std::path::PathBuf {
    let config = dir.join(format!("config-{}.yml", addr.replace([':', '.'], "-")));
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\n\
             storage:\n  s3:\n    region: {REGION}\n    regionendpoint: {}\n    bucket: {bucket}\n\
             \x20   rootdirectory: /registry\n    accesskey: {ACCESS_KEY}\n    secretkey: {SECRET_KEY}\n\
             \x20   forcepathstyle: true\n    secure: false\n    v4auth: true\n\
             \x20 delete:\n    enabled: true\n  redirect:\n    disable: {}\n\
             http:\n  addr: {addr}\n  secret: regctl-test-secret\n",
            s3server::endpoint(),
            !redirect
        ),
    )
    .unwrap();
    config
}

fn list_tags(addr: &str, repo: &str) -> serde_json::Value {
    let tags = skopeo(&[
        "list-tags",
        "--tls-verify=false",
        &format!("docker://{addr}/{repo}"),
    ]);
    serde_json::from_str::<serde_json::Value>(&tags).unwrap()["Tags"].clone()
}

/// `regctl serve` on `storage.s3`: skopeo pushes (layers larger than one S3 part) and pulls with
/// digests kept, and Debian's `docker-registry` with its s3 driver serves what regctl wrote from
/// the same config file, and regctl serves what it wrote, in registry:2's S3 layout.
#[test]
fn regctl_serve_on_s3_and_docker_registry_share_one_bucket() {
    let work = tempfile::tempdir().unwrap();
    let bucket = s3server::bucket();
    let layout = work.path().join("layout");
    // Two 6 MiB layers: more than the 5 MiB part size, so uploads are real multipart uploads.
    write_oci_layout(&layout, "v1", 2, 6 * MIB);

    let regctl_addr = format!("127.0.0.1:{}", free_port());
    // Blob downloads redirect to S3, registry:2's default: skopeo follows them.
    let regctl_config = s3_config(work.path(), &bucket, &regctl_addr, true);
    let server = Server::start_with_args(
        &["serve", "-c", regctl_config.to_str().unwrap(), "--no-web"],
        &[],
    );
    assert_eq!(server.addr, regctl_addr);
    push(&layout, "v1", &server.addr, "from/regctl");
    assert_eq!(
        pull(&server.addr, "from/regctl", "v1", &work.path().join("out1")),
        layout_blobs(&layout)
    );
    assert_eq!(
        list_tags(&server.addr, "from/regctl"),
        serde_json::json!(["v1"])
    );

    // The keys are distribution's, below the root directory, with no directory objects.
    let rt = runtime();
    let storage = backend(&rt, &bucket, "/registry", "");
    let keys = rt.block_on(async {
        let listed: Vec<_> = storage
            .walk("/docker/registry/v2/repositories/from/regctl/_manifests/tags")
            .try_collect()
            .await
            .unwrap();
        listed.into_iter().map(|(key, _)| key).collect::<Vec<_>>()
    });
    assert!(keys.iter().any(|k| k == "v1/current/link"), "{keys:?}");

    let peer_addr = format!("127.0.0.1:{}", free_port());
    let peer = DockerRegistry::start_with_config(
        &s3_config(work.path(), &bucket, &peer_addr, true),
        &peer_addr,
    );
    assert_eq!(
        pull(&peer.addr, "from/regctl", "v1", &work.path().join("out2")),
        layout_blobs(&layout),
        "docker-registry's s3 driver serves what regctl wrote"
    );
    let other = work.path().join("other");
    write_oci_layout(&other, "v2", 1, 300_000);
    push(&other, "v2", &peer.addr, "from/distribution");
    assert_eq!(
        pull(
            &server.addr,
            "from/distribution",
            "v2",
            &work.path().join("out3")
        ),
        layout_blobs(&other),
        "regctl serves what docker-registry's s3 driver wrote"
    );
    let catalog = String::from_utf8(
        std::process::Command::new("curl")
            .args(["-sSf", &format!("http://{}/v2/_catalog", server.addr)])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(
        catalog.contains("\"from/distribution\"") && catalog.contains("\"from/regctl\""),
        "{catalog}"
    );

    // A delete through regctl is seen by docker-registry.
    skopeo(&[
        "delete",
        "--tls-verify=false",
        &format!("docker://{}/from/regctl:v1", server.addr),
    ]);
    let gone = std::process::Command::new(crate::common::require_tool("skopeo", "skopeo"))
        .args([
            "inspect",
            "--tls-verify=false",
            &format!("docker://{}/from/regctl:v1", peer.addr),
        ])
        .env("HOME", std::env::temp_dir())
        .output()
        .unwrap();
    assert!(
        !gone.status.success(),
        "the deleted tag is gone for docker-registry too"
    );
}

/// The path and query of an upload `Location`, to send the next request to another replica.
fn upload_path(location: &str) -> String {
    match reqwest::Url::parse(location) {
        Ok(url) => match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        },
        Err(_) => location.to_owned(),
    }
}

/// Two stateless `regctl serve` replicas on one bucket, as behind a round-robin load balancer:
/// one chunked upload's requests alternate between them (each continues the multipart upload
/// and the hash state the other left), the blob and the image pushed through one are served by
/// the other, and a delete on one is seen by the other.
#[tokio::test(flavor = "multi_thread")]
async fn replicas_on_one_bucket_share_uploads_images_and_deletes() {
    let work = tempfile::tempdir().unwrap();
    let bucket = s3server::bucket();
    let start = |work: &std::path::Path, bucket: &str| {
        let addr = format!("127.0.0.1:{}", free_port());
        let config = s3_config(work, bucket, &addr, false);
        Server::start_with_args(&["serve", "-c", config.to_str().unwrap(), "--no-web"], &[])
    };
    let (one, two) = (start(work.path(), &bucket), start(work.path(), &bucket));
    let (a, b) = (
        Reg::new(&format!("http://{}", one.addr)),
        Reg::new(&format!("http://{}", two.addr)),
    );

    // 14 MiB in three PATCHes (A, B, A) and a PUT with the last bytes on B.
    let data = pattern(14 * MIB + 123, 7);
    let cuts = [0, 6 * MIB, 9 * MIB, 13 * MIB, data.len()];
    let r = a.post("/v2/team/app/blobs/uploads/").send().await.unwrap();
    assert_eq!(r.status(), 202);
    let mut location = upload_path(&header(&r, "location"));
    for (i, window) in cuts.windows(2).take(3).enumerate() {
        let replica = if i % 2 == 0 { &a } else { &b };
        let r = replica
            .patch(&location)
            .header("content-type", "application/octet-stream")
            .header("content-range", format!("{}-{}", window[0], window[1] - 1))
            .body(data[window[0]..window[1]].to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202, "PATCH {i}: {}", r.text().await.unwrap());
        assert_eq!(header(&r, "range"), format!("0-{}", window[1] - 1));
        location = upload_path(&header(&r, "location"));
    }
    let blob_digest = digest(&data);
    let sep = if location.contains('?') { '&' } else { '?' };
    let r = b
        .put(&format!("{location}{sep}digest={blob_digest}"))
        .header("content-type", "application/octet-stream")
        .body(data[cuts[3]..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "PUT: {}", r.text().await.unwrap());
    for replica in [&a, &b] {
        let got = replica
            .get(&format!("/v2/team/app/blobs/{blob_digest}"))
            .send()
            .await
            .unwrap();
        assert_eq!(got.status(), 200);
        assert_eq!(digest(&got.bytes().await.unwrap()), blob_digest);
    }

    // With redirects on (registry:2's default), a GET is a 307 to a presigned S3 URL serving
    // the same bytes; HEAD is answered by the registry.
    let redirecting = {
        let addr = format!("127.0.0.1:{}", free_port());
        let config = s3_config(work.path(), &bucket, &addr, true);
        Server::start_with_args(&["serve", "-c", config.to_str().unwrap(), "--no-web"], &[])
    };
    let c = Reg::new(&format!("http://{}", redirecting.addr));
    let r = c
        .get(&format!("/v2/team/app/blobs/{blob_digest}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 307);
    let location = header(&r, "location");
    assert!(
        location.starts_with(&format!(
            "{}/{bucket}/registry/docker/registry/v2/blobs/sha256/",
            s3server::endpoint()
        )),
        "{location}"
    );
    assert!(r.text().await.unwrap().contains("Temporary Redirect"));
    let direct = reqwest::get(&location).await.unwrap();
    assert_eq!(direct.status(), 200);
    assert_eq!(digest(&direct.bytes().await.unwrap()), blob_digest);
    let r = c
        .head(&format!("/v2/team/app/blobs/{blob_digest}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-length"), data.len().to_string());
    let r = c
        .get(&format!("/v2/team/app/blobs/{}", digest(b"not pushed")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        404,
        "no redirect for a blob the repository lacks"
    );

    // An image pushed through A is listed and served by B; deleted through B, gone on A.
    let (manifest, manifest_digest) = a.push_image("team/app", "v1", &[b"layer one"]).await;
    let r = b.get("/v2/team/app/manifests/v1").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap(), manifest);
    let tags: serde_json::Value = b
        .get("/v2/team/app/tags/list")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tags["tags"], serde_json::json!(["v1"]));
    let r = a.get("/v2/team/app/manifests/v1").send().await.unwrap();
    assert_eq!(r.status(), 200, "A caches the tag it served");
    let r = b
        .delete(&format!("/v2/team/app/manifests/{manifest_digest}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    // No replica answers from its cache what another's acknowledged write changed: A (which
    // served the tag above, so has it cached) reads the links again and says 404 at once.
    let status = a
        .get("/v2/team/app/manifests/v1")
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 404, "A still serves the tag B deleted");
}

/// gc and fsck on an S3 store while `regctl serve` runs on it, through the S3 locks
/// (`storage::s3::coordinator`): fsck and the dry run agree with the real run; a push during the
/// mark keeps the blobs it references again; a push during the sweep waits for it and is never
/// acknowledged with a swept blob; afterwards fsck finds the bucket clean and docker-registry's
/// s3 driver and regctl serve every image intact.
#[test]
fn gc_and_fsck_run_on_s3_next_to_a_running_server() {
    use crate::gc::{wait_until, PausedGc};
    let work = tempfile::tempdir().unwrap();
    let bucket = s3server::bucket();
    let (kept, dropped) = (work.path().join("kept"), work.path().join("dropped"));
    write_oci_layout(&kept, "v1", 2, 300_000);
    write_oci_layout(&dropped, "v2", 1, 200_000);
    let addr = format!("127.0.0.1:{}", free_port());
    let config = s3_config(work.path(), &bucket, &addr, false);
    let config = config.to_str().unwrap();
    let server = Server::start_with_args(&["serve", "-c", config, "--no-web"], &[]);
    let delete_dropped = || {
        skopeo(&[
            "delete",
            "--tls-verify=false",
            &format!("docker://{}/app:v2", server.addr),
        ]);
    };
    push(&kept, "v1", &server.addr, "app");
    push(&dropped, "v2", &server.addr, "app");
    delete_dropped();
    let gone: std::collections::BTreeSet<String> = layout_blobs(&dropped)
        .into_iter()
        .filter(|b| !layout_blobs(&kept).contains(b))
        .map(|hex| format!("sha256:{hex}"))
        .collect();

    let regctl = |args: &[&str]| crate::common::regctl().args(args).output().unwrap();
    let json = |out: std::process::Output| -> serde_json::Value {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let removed = |report: &serde_json::Value| -> std::collections::BTreeSet<String> {
        report["blobs_removed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["digest"].as_str().unwrap().to_owned())
            .collect()
    };

    let fsck = json(regctl(&["fsck", "-c", config, "-o", "json"]));
    assert_eq!(fsck["unrepaired"], 0, "{fsck:#}");
    let dry = json(regctl(&[
        "gc",
        "-c",
        config,
        "--dry-run",
        "--grace",
        "0s",
        "-o",
        "json",
    ]));
    assert_eq!(removed(&dry), gone, "{dry:#}");

    // Pushed again while gc marks: the re-mark under the lock sees the new manifest.
    let pause = work.path().join("pause");
    let paused = PausedGc::start_with(&["-c", config], "marked", &pause);
    push(&dropped, "v2", &server.addr, "app");
    let report = paused.resume();
    assert!(removed(&report).is_disjoint(&gone), "{report:#}");
    assert_eq!(
        pull(&server.addr, "app", "v2", &work.path().join("out0")),
        layout_blobs(&dropped)
    );

    // Pushed while gc sweeps: the manifest PUT waits for the sweep, then either finds its blobs
    // or is refused (never acknowledged without them); a second push then uploads them again.
    delete_dropped();
    let paused = PausedGc::start_with(&["-c", config], "locked", &pause);
    let front = server.addr.clone();
    let dropped_dir = dropped.clone();
    let pusher = std::thread::spawn(move || {
        Command::new(crate::common::require_tool("skopeo", "skopeo"))
            .args(["copy", "--dest-tls-verify=false"])
            .arg(crate::common::oci::oci_reference(&dropped_dir, "v2"))
            .arg(format!("docker://{front}/app:v2"))
            .env("HOME", std::env::temp_dir())
            .output()
            .unwrap()
    });
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(
        !pusher.is_finished(),
        "the manifest PUT waits for the sweep"
    );
    let report = paused.resume();
    assert_eq!(removed(&report), gone, "{report:#}");
    let first = pusher.join().unwrap();
    if !first.status.success() {
        let stderr = String::from_utf8_lossy(&first.stderr);
        assert!(stderr.contains("manifest blob unknown"), "{stderr}");
        push(&dropped, "v2", &server.addr, "app");
    }
    assert_eq!(
        pull(&server.addr, "app", "v2", &work.path().join("out1")),
        layout_blobs(&dropped)
    );
    wait_until("the sweep marker and holders to go", || {
        let rt = runtime();
        let storage = backend(&rt, &bucket, "/registry", "");
        rt.block_on(async {
            let left: Vec<_> = storage
                .walk("/docker/registry/v2/.regctl/gc")
                .try_collect()
                .await
                .unwrap();
            left.is_empty()
        })
    });

    let fsck = json(regctl(&["fsck", "-c", config, "-o", "json"]));
    assert_eq!(fsck["unrepaired"], 0, "{fsck:#}");
    let peer_addr = format!("127.0.0.1:{}", free_port());
    let peer = DockerRegistry::start_with_config(
        &s3_config(work.path(), &bucket, &peer_addr, false),
        &peer_addr,
    );
    for (repo_tag, layout) in [("v1", &kept), ("v2", &dropped)] {
        assert_eq!(
            pull(
                &peer.addr,
                "app",
                repo_tag,
                &work.path().join(format!("peer-{repo_tag}"))
            ),
            layout_blobs(layout),
            "docker-registry serves what gc kept"
        );
    }
}

/// The S3 locks against a real S3 server: the coordinator promises every backend keeps, a
/// reference guard that waits while a sweep holds the lock, and the fences: a holder a collector
/// declared dead cannot confirm, and a collector whose marker was taken over stops.
#[test]
fn s3_locks_keep_the_coordinator_promises_and_fence_lost_leases() {
    use regctl::storage::coordinator::Coordinator as _;
    use regctl::storage::s3::coordinator::S3Coordinator;
    use std::time::Duration;
    let rt = runtime();
    let bucket = s3server::bucket();
    let storage = backend(&rt, &bucket, "/registry", "");
    assert!(
        S3Coordinator::probe(&storage).unwrap(),
        "moto honours conditional writes"
    );
    let locks = S3Coordinator::new(storage.clone());
    std::thread::scope(|scope| {
        scope
            .spawn(|| regctl::storage::conformance::run_coordinator(&locks))
            .join()
            .unwrap();

        let sweep = locks.sweep_lock(std::time::Duration::from_secs(5)).unwrap();
        let waiter = scope.spawn(|| {
            let guard = locks.reference_guard().unwrap();
            let at = std::time::Instant::now();
            guard.confirm().unwrap();
            at
        });
        std::thread::sleep(std::time::Duration::from_millis(500));
        assert!(
            !waiter.is_finished(),
            "a reference waits while a sweep holds the lock"
        );
        sweep.fence()().unwrap();
        let released = std::time::Instant::now();
        drop(sweep);
        assert!(waiter.join().unwrap() >= released);

        // A holder deleted by a collector (it looked dead) can no longer be confirmed (the
        // check is made once an operation took half the holder lease: here at once).
        let impatient = S3Coordinator::new(storage.clone()).with_holder_lease(Duration::ZERO);
        let holders = || -> Vec<(String, _)> {
            rt.block_on(async {
                storage
                    .walk("/docker/registry/v2/.regctl/gc/holders")
                    .try_collect()
                    .await
                    .unwrap()
            })
        };
        // Released holders are deleted in the background.
        crate::gc::wait_until("earlier holders to go", || holders().is_empty());
        let guard = impatient.reference_guard().unwrap();
        let holders = holders();
        assert_eq!(holders.len(), 1);
        rt.block_on(storage.delete(&format!(
            "/docker/registry/v2/.regctl/gc/holders/{}",
            holders[0].0
        )))
        .unwrap();
        let refused = guard.confirm().unwrap_err();
        assert_eq!(refused.kind(), std::io::ErrorKind::TimedOut, "{refused}");

        // A sweep marker rewritten by another collector (a takeover) stops this one.
        let sweep = locks.sweep_lock(std::time::Duration::from_secs(5)).unwrap();
        rt.block_on(storage.put(
            "/docker/registry/v2/.regctl/gc/sweep",
            bytes::Bytes::from_static(b"someone else"),
        ))
        .unwrap();
        assert!(sweep.fence()().is_err(), "a lost lease is noticed");
    });
}

/// A bucket that does not exist is reported when the server starts, not at the first push.
#[test]
fn serve_says_at_start_when_the_bucket_does_not_answer() {
    let work = tempfile::tempdir().unwrap();
    let addr = format!("127.0.0.1:{}", free_port());
    let config = s3_config(work.path(), "no-such-bucket-here", &addr, true);
    let log = work.path().join("serve.log");
    let server = Server::start_with_stderr(
        &["serve", "-c", config.to_str().unwrap(), "--no-web"],
        &[],
        std::process::Stdio::from(std::fs::File::create(&log).unwrap()),
    );
    let stderr = std::fs::read_to_string(&log).unwrap();
    assert!(
        stderr.contains("storage s3://no-such-bucket-here/registry does not answer"),
        "{stderr}"
    );
    drop(server);
}

/// Two `regctl serve` replicas on one bucket behind nginx round-robin.
struct ReplicasBehindNginx {
    /// nginx's address, what clients use.
    addr: String,
    replicas: Vec<String>,
    log: std::path::PathBuf,
    _nginx: crate::common::process::KillOnDrop,
    _servers: Vec<Server>,
}

impl ReplicasBehindNginx {
    fn start(work: &std::path::Path, bucket: &str) -> Self {
        let replicas: Vec<String> = (0..2)
            .map(|_| format!("127.0.0.1:{}", free_port()))
            .collect();
        let servers: Vec<Server> = replicas
            .iter()
            .map(|addr| {
                let config = s3_config(work, bucket, addr, true);
                Server::start_with_args(&["serve", "-c", config.to_str().unwrap(), "--no-web"], &[])
            })
            .collect();
        let nginx_dir = work.join("nginx");
        std::fs::create_dir_all(&nginx_dir).unwrap();
        let (nginx, addr) = nginx_round_robin(&nginx_dir, &[&servers[0].addr, &servers[1].addr]);
        Self {
            addr,
            replicas,
            log: nginx_dir.join("access.log"),
            _nginx: nginx,
            _servers: servers,
        }
    }

    /// nginx's log shows upload requests sent to each replica and no 5xx answer.
    fn check_both_took_uploads_and_nothing_failed(&self) {
        let log = std::fs::read_to_string(&self.log).unwrap();
        for addr in &self.replicas {
            assert!(
                log.lines()
                    .any(|l| l.contains("/blobs/uploads/") && l.ends_with(addr.as_str())),
                "{addr} took part in the uploads:\n{log}"
            );
        }
        assert!(
            !log.lines()
                .any(|l| l.split(' ').nth(2).is_some_and(|s| s.starts_with('5'))),
            "no request failed:\n{log}"
        );
    }
}

/// Starts nginx in the foreground in front of `replicas`, round-robin, as the README shows it
/// (request bodies streamed, no size limit). Returns the process and its `HOST:PORT`.
fn nginx_round_robin(
    dir: &std::path::Path,
    replicas: &[&str],
) -> (crate::common::process::KillOnDrop, String) {
    let nginx = crate::common::require_tool("nginx", "nginx");
    let addr = format!("127.0.0.1:{}", free_port());
    let d = dir.display();
    let servers: String = replicas.iter().map(|r| format!("server {r}; ")).collect();
    let conf = dir.join("nginx.conf");
    std::fs::write(
        &conf,
        format!(
            "daemon off; master_process off; worker_processes 1; pid {d}/nginx.pid;\n\
             error_log {d}/error.log;\nevents {{}}\nhttp {{\n\
             log_format upstream '$request_method $uri $status $upstream_addr';\n\
             access_log {d}/access.log upstream;\n\
             client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;\n\
             fastcgi_temp_path {d}/fastcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;\n\
             upstream regctl {{ {servers}}}\n\
             server {{\n  listen {addr};\n  client_max_body_size 0;\n\
             \x20 location /v2/ {{\n    proxy_pass http://regctl;\n\
             \x20   proxy_set_header Host $http_host;\n\
             \x20   proxy_set_header X-Forwarded-Proto $scheme;\n\
             \x20   proxy_request_buffering off;\n    proxy_buffering off;\n\
             \x20   proxy_read_timeout 900s;\n  }}\n}}\n}}\n"
        ),
    )
    .unwrap();
    let child = Command::new(nginx)
        .arg("-c")
        .arg(&conf)
        .arg("-p")
        .arg(dir)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let killed = crate::common::process::KillOnDrop(child);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(&addr).is_err() {
        assert!(std::time::Instant::now() < deadline, "nginx did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    (killed, addr)
}

/// Two `regctl serve` replicas on one bucket behind nginx round-robin, the README's set-up:
/// skopeo pushes an image with layers larger than one S3 part (every upload's requests spread
/// over both replicas) and pulls it back through nginx with every digest intact; nginx's log
/// shows both replicas answering upload requests and no request failing.
#[test]
fn skopeo_pushes_and_pulls_through_two_replicas_behind_nginx() {
    let work = tempfile::tempdir().unwrap();
    let bucket = s3server::bucket();
    let layout = work.path().join("layout");
    write_oci_layout(&layout, "v1", 2, 6 * MIB);
    let front = ReplicasBehindNginx::start(work.path(), &bucket);

    push(&layout, "v1", &front.addr, "team/app");
    assert_eq!(
        pull(&front.addr, "team/app", "v1", &work.path().join("out")),
        layout_blobs(&layout)
    );
    assert_eq!(
        list_tags(&front.addr, "team/app"),
        serde_json::json!(["v1"])
    );
    front.check_both_took_uploads_and_nothing_failed();
}

/// The real Docker engine through nginx round-robin to two replicas on one bucket: its
/// POST/PATCH/PUT of each layer land on different replicas, and the image pulls back (after
/// `docker rmi`) with the same image id.
#[test]
fn docker_pushes_and_pulls_through_two_replicas_behind_nginx() {
    let work = tempfile::tempdir().unwrap();
    let bucket = s3server::bucket();
    let front = ReplicasBehindNginx::start(work.path(), &bucket);

    let engine = crate::common::dockerd::Dockerd::start();
    let image = format!("{}/team/docker:v1", front.addr);
    // 7 MiB of incompressible bytes: more than one S3 part.
    let mut content = vec![0u8; 7 << 20];
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for chunk in content.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
    engine.import_image(&image, &content);
    let id = engine.ok(&["image", "inspect", "--format", "{{.Id}}", &image]);
    engine.ok(&["push", &image]);
    engine.ok(&["rmi", &image]);
    engine.ok(&["pull", &image]);
    assert_eq!(
        engine.ok(&["image", "inspect", "--format", "{{.Id}}", &image]),
        id,
        "the same image came back"
    );
    front.check_both_took_uploads_and_nothing_failed();
}

/// The web page's storage facts (gc's dry run) are measured on S3 too.
#[tokio::test(flavor = "multi_thread")]
async fn the_registry_page_measures_an_s3_store() {
    let work = tempfile::tempdir().unwrap();
    let bucket = s3server::bucket();
    let addr = format!("127.0.0.1:{}", free_port());
    let config = s3_config(work.path(), &bucket, &addr, false);
    let server = Server::start_with_args(&["serve", "-c", config.to_str().unwrap()], &[]);
    let reg = Reg::new(&server.base);
    reg.push_image("team/app", "v1", &[&[7u8; 30_000][..]])
        .await;
    let page = reqwest::Client::new()
        .get(format!("{}/-/registry", server.base))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(
        page.contains("Storage used") && page.contains("gc would reclaim"),
        "{page}"
    );
    assert!(!page.contains("not measured"), "{page}");
}

/// The soak: two `regctl serve` replicas on one bucket take pushes of images that share layers
/// with deleted ones while `regctl gc --delete-untagged` loops on the bucket; afterwards every
/// acknowledged image pulls intact with skopeo, and the deleted images' blobs were collected.
#[test]
fn pushes_through_two_replicas_while_gc_loops_on_the_bucket_pull_intact() {
    let work = tempfile::tempdir().unwrap();
    let bucket = s3server::bucket();
    let addrs: Vec<String> = (0..2)
        .map(|_| format!("127.0.0.1:{}", free_port()))
        .collect();
    let configs: Vec<std::path::PathBuf> = addrs
        .iter()
        .map(|addr| s3_config(work.path(), &bucket, addr, false))
        .collect();
    let servers: Vec<Server> = configs
        .iter()
        .map(|config| {
            Server::start_with_args(&["serve", "-c", config.to_str().unwrap(), "--no-web"], &[])
        })
        .collect();
    let bases: Vec<&str> = servers.iter().map(|s| s.base.as_str()).collect();
    let remaining = || {
        let rt = runtime();
        let storage = backend(&rt, &bucket, "/registry", "");
        rt.block_on(async {
            let listed: Vec<_> = storage
                .walk("/docker/registry/v2/blobs/sha256")
                .try_collect()
                .await
                .unwrap();
            listed
                .into_iter()
                .filter_map(|(key, _)| {
                    key.strip_suffix("/data")
                        .and_then(|k| k.rsplit('/').next())
                        .map(|hex| format!("sha256:{hex}"))
                })
                .collect()
        })
    };
    crate::gc::pushes_survive_a_gc_loop(
        &bases,
        &servers[1].addr,
        &["-c", configs[0].to_str().unwrap()],
        &remaining,
    );
}

/// Two PATCHes of one upload on two replicas at once cannot interleave their bytes: while A
/// streams a chunk, B's PATCH of the same upload gets 416 with the offset to continue from; once
/// A's is done, B continues and the blob is exactly the bytes sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_patches_on_two_replicas_one_wins_the_other_gets_416() {
    let work = tempfile::tempdir().unwrap();
    let bucket = s3server::bucket();
    let start = |work: &std::path::Path, bucket: &str| {
        let addr = format!("127.0.0.1:{}", free_port());
        let config = s3_config(work, bucket, &addr, false);
        Server::start_with_args(&["serve", "-c", config.to_str().unwrap(), "--no-web"], &[])
    };
    let (one, two) = (start(work.path(), &bucket), start(work.path(), &bucket));
    let (a, b) = (
        Reg::new(&format!("http://{}", one.addr)),
        Reg::new(&format!("http://{}", two.addr)),
    );
    let data = pattern(3 * MIB, 9);
    let half = data.len() / 2;
    let r = a.post("/v2/team/app/blobs/uploads/").send().await.unwrap();
    assert_eq!(r.status(), 202);
    let location = upload_path(&header(&r, "location"));

    // A's PATCH sends its first bytes, then waits for the test.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let body = reqwest::Body::wrap_stream(tokio_stream_of(rx));
    let slow = a
        .patch(&location)
        .header("content-type", "application/octet-stream")
        .header("content-range", format!("0-{}", half - 1))
        .body(body)
        .send();
    let slow = tokio::spawn(slow);
    tx.send(Ok(data[..1024].to_vec())).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;

    let r = b
        .patch(&location)
        .header("content-type", "application/octet-stream")
        .header("content-range", format!("0-{}", half - 1))
        .body(data[..half].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 416, "the second writer is refused");
    let text = r.text().await.unwrap();
    assert!(
        text.contains("another request is writing this upload"),
        "{text}"
    );

    tx.send(Ok(data[1024..half].to_vec())).await.unwrap();
    drop(tx);
    let r = slow.await.unwrap().unwrap();
    assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
    assert_eq!(header(&r, "range"), format!("0-{}", half - 1));

    // Now B continues and finishes; the blob is exactly the bytes sent, once.
    let location = upload_path(&header(&r, "location"));
    let blob_digest = digest(&data);
    let sep = if location.contains('?') { '&' } else { '?' };
    let r = b
        .put(&format!("{location}{sep}digest={blob_digest}"))
        .header("content-type", "application/octet-stream")
        .header("content-range", format!("{half}-{}", data.len() - 1))
        .body(data[half..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "PUT: {}", r.text().await.unwrap());
    let got = a
        .get(&format!("/v2/team/app/blobs/{blob_digest}"))
        .send()
        .await
        .unwrap();
    assert_eq!(digest(&got.bytes().await.unwrap()), blob_digest);
}

/// A stream of the chunks a channel receives.
fn tokio_stream_of(
    rx: tokio::sync::mpsc::Receiver<Result<Vec<u8>, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) })
}
