//! The OCI Distribution API of `regctl serve`, driven over HTTP: every endpoint, every error code,
//! malformed input, concurrency, interruption and restart.

use std::path::Path;

use crate::common::registry::{
    digest, error_code, header, raw, simple_request, v2, Reg, DOCKER_CONFIG, DOCKER_LIST,
    DOCKER_MANIFEST, OCI_CONFIG, OCI_INDEX, OCI_LAYER, OCI_MANIFEST,
};
use crate::common::server::Server;

fn start(root: &Path) -> (Server, Reg) {
    let server = Server::start(root, &[], &[("REGISTRY_STORAGE_DELETE_ENABLED", "true")]);
    let reg = Reg::new(&server.base);
    (server, reg)
}

#[tokio::test(flavor = "multi_thread")]
async fn base_endpoint_and_unknown_paths() {
    let dir = tempfile::tempdir().unwrap();
    let (server, reg) = start(dir.path());
    assert!(server
        .ready_line
        .starts_with("regctl serve: listening on http://127.0.0.1:"));
    let r = reg.get("/v2/").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        header(&r, "docker-distribution-api-version"),
        "registry/2.0"
    );
    assert_eq!(reg.get("/v2").send().await.unwrap().status(), 200);
    assert_eq!(reg.get("/v2/foo/bar").send().await.unwrap().status(), 404);
    assert_eq!(
        reg.get("/v2/foo/unknown/x").send().await.unwrap().status(),
        404
    );
    let r = reg.post("/v2/foo/manifests/latest").send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(error_code(r).await, "UNSUPPORTED");
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_input_gets_4xx_before_touching_disk() {
    let dir = tempfile::tempdir().unwrap();
    let (server, reg) = start(dir.path());
    let addr = server.addr.as_str();

    // Names: traversal, uppercase, too long.
    for path in [
        "/v2/a/../../etc/tags/list",
        "/v2/Upper/tags/list",
        "/v2/a//b/tags/list",
        "/v2/_x/tags/list",
    ] {
        let r = raw(addr, &simple_request("GET", path, ""));
        assert_eq!(r.status, 400, "{path}: {r:?}");
        assert_eq!(r.code(), "NAME_INVALID", "{path}");
    }
    let long = format!("/v2/{}/manifests/latest", "a".repeat(256));
    let r = reg.get(&long).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(r).await, "NAME_INVALID");

    // References and digests.
    for (path, code) in [
        ("/v2/a/manifests/a:b", "DIGEST_INVALID"),
        ("/v2/a/manifests/sha256:abc", "DIGEST_INVALID"),
        ("/v2/a/blobs/sha256:zz", "DIGEST_INVALID"),
        ("/v2/a/blobs/notadigest", "DIGEST_INVALID"),
        ("/v2/a/referrers/nope", "DIGEST_INVALID"),
    ] {
        let r = raw(addr, &simple_request("GET", path, ""));
        assert_eq!(r.status, 400, "{path}: {r:?}");
        assert_eq!(r.code(), code, "{path}");
    }
    let r = reg
        .get(&format!("/v2/a/manifests/sha512:{}", "a".repeat(128)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // A manifest of `{}`.
    let r = reg
        .put_manifest("a", "latest", "application/json", b"{}")
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(r).await, "MANIFEST_INVALID");
    let r = reg.put_manifest("a", "latest", OCI_MANIFEST, b"{}").await;
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(r).await, "MANIFEST_INVALID");
    let r = reg
        .put_manifest("a", "latest", OCI_MANIFEST, b"not json")
        .await;
    assert_eq!(error_code(r).await, "MANIFEST_INVALID");

    // Upload ids are UUIDs.
    let r = reg
        .patch("/v2/a/blobs/uploads/..%2F..")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(error_code(r).await, "BLOB_UPLOAD_UNKNOWN");

    // A PATCH with an odd Content-Type.
    let r = reg.post("/v2/a/blobs/uploads/").send().await.unwrap();
    let location = header(&r, "location");
    let r = reg
        .patch(&location)
        .header("content-type", "multipart/form-data; boundary=x")
        .body("data")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(r).await, "BLOB_UPLOAD_INVALID");

    // A malformed chunked body.
    let path = location.trim_start_matches(&server.base);
    let request = format!(
        "PATCH {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\nZZ\r\nbroken\r\n0\r\n\r\n"
    );
    let r = raw(addr, request.as_bytes());
    assert!((400..500).contains(&r.status), "{r:?}");
    // The session is intact and still at 0.
    let r = reg.get(&location).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(header(&r, "range"), "0-0");

    // Range headers that cannot be satisfied or parsed: a well-framed 416.
    let d = reg.push_blob("a", b"0123456789").await;
    for range in [
        "bytes=20-",
        "bytes=5-2",
        "bytes=x-y",
        "pages=0-1",
        "bytes=-0",
    ] {
        let r = raw(
            addr,
            &simple_request(
                "GET",
                &format!("/v2/a/blobs/{d}"),
                &format!("Range: {range}\r\n"),
            ),
        );
        assert_eq!(r.status, 416, "{range}: {r:?}");
        assert_eq!(r.header("content-range"), Some("bytes */10"));
        assert_eq!(r.code(), "RANGE_INVALID");
    }
    // Nothing was created for any of the refused names.
    let repos = std::fs::read_dir(v2(dir.path()).join("repositories")).unwrap();
    let names: Vec<_> = repos.map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, vec![std::ffi::OsString::from("a")]);
}

#[tokio::test(flavor = "multi_thread")]
async fn blob_uploads_every_way() {
    let dir = tempfile::tempdir().unwrap();
    let (server, reg) = start(dir.path());

    // Monolithic POST ?digest=.
    let data = b"monolithic blob".to_vec();
    let d = digest(&data);
    let r = reg
        .post(&format!("/v2/r/blobs/uploads/?digest={d}"))
        .header("content-type", "application/octet-stream")
        .body(data.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(header(&r, "docker-content-digest"), d);
    assert_eq!(
        header(&r, "location"),
        format!("{}/v2/r/blobs/{d}", server.base)
    );

    // POST then PUT.
    let d2 = reg.push_blob("r", b"post then put").await;

    // Chunked PATCH with Content-Range, an out-of-order chunk, status, then PUT.
    let blob: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    let r = reg.post("/v2/r/blobs/uploads/").send().await.unwrap();
    assert_eq!(r.status(), 202);
    let uuid = header(&r, "docker-upload-uuid");
    let mut location = header(&r, "location");
    assert!(location.ends_with(&uuid));
    assert_eq!(header(&r, "range"), "0-0");
    let r = reg
        .patch(&location)
        .header("content-type", "application/octet-stream")
        .header("content-range", "0-99999")
        .body(blob[..100_000].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(header(&r, "range"), "0-99999");
    location = header(&r, "location");
    let r = reg
        .patch(&location)
        .header("content-range", "200000-299999")
        .body(blob[200_000..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 416);
    assert_eq!(header(&r, "range"), "0-99999");
    assert_eq!(error_code(r).await, "RANGE_INVALID");
    let r = reg.get(&location).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(header(&r, "range"), "0-99999");
    assert_eq!(header(&r, "docker-upload-uuid"), uuid);
    // Content-Length that disagrees with Content-Range.
    let r = reg
        .patch(&location)
        .header("content-range", "100000-100009")
        .body(vec![0u8; 5])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(r).await, "SIZE_INVALID");
    // Streamed PATCH without Content-Range.
    let r = reg
        .patch(&location)
        .body(blob[100_000..250_000].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(header(&r, "range"), "0-249999");
    // The last chunk in the PUT.
    let d3 = digest(&blob);
    let r = reg
        .put(&format!("{location}?digest={d3}"))
        .header("content-range", "250000-299999")
        .body(blob[250_000..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let r = reg.get(&format!("/v2/r/blobs/{d3}")).send().await.unwrap();
    assert_eq!(r.bytes().await.unwrap().as_ref(), &blob[..]);
    // The finished session is gone.
    assert_eq!(reg.get(&location).send().await.unwrap().status(), 404);

    // Wrong digest: 400 and the session is cancelled.
    let r = reg.post("/v2/r/blobs/uploads/").send().await.unwrap();
    let loc = header(&r, "location");
    let r = reg
        .put(&format!("{loc}?digest={d2}"))
        .body("other bytes")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(r).await, "DIGEST_INVALID");
    assert_eq!(reg.get(&loc).send().await.unwrap().status(), 404);
    // Missing digest on PUT.
    let r = reg.post("/v2/r/blobs/uploads/").send().await.unwrap();
    let loc = header(&r, "location");
    let r = reg.put(&loc).body("x").send().await.unwrap();
    assert_eq!(error_code(r).await, "DIGEST_INVALID");
    // Cancel.
    assert_eq!(reg.delete(&loc).send().await.unwrap().status(), 204);
    assert_eq!(reg.get(&loc).send().await.unwrap().status(), 404);
    assert_eq!(reg.delete(&loc).send().await.unwrap().status(), 404);

    // An upload of another repository is unknown here.
    let r = reg.post("/v2/r/blobs/uploads/").send().await.unwrap();
    let uuid = header(&r, "docker-upload-uuid");
    let r = reg
        .get(&format!("/v2/other/blobs/uploads/{uuid}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // Cross-repository mount: 201 from a repository that has it, 202 otherwise.
    let r = reg
        .post(&format!("/v2/m/blobs/uploads/?mount={d}&from=r"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(header(&r, "docker-content-digest"), d);
    assert_eq!(
        header(&r, "location"),
        format!("{}/v2/m/blobs/{d}", server.base)
    );
    let r = reg
        .post(&format!("/v2/m/blobs/uploads/?mount={d}&from=nowhere"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert!(header(&r, "location").contains("/v2/m/blobs/uploads/"));

    // Blob GET/HEAD/Range.
    let r = reg.head(&format!("/v2/m/blobs/{d}")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-length"), data.len().to_string());
    assert_eq!(header(&r, "docker-content-digest"), d);
    assert_eq!(header(&r, "accept-ranges"), "bytes");
    let r = reg
        .get(&format!("/v2/m/blobs/{d}"))
        .header("range", "bytes=2-5")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(
        header(&r, "content-range"),
        format!("bytes 2-5/{}", data.len())
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), &data[2..6]);
    let r = reg
        .get(&format!("/v2/nowhere/blobs/{d}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(error_code(r).await, "BLOB_UNKNOWN");

    // Blob DELETE unlinks from one repository only.
    let r = reg
        .delete(&format!("/v2/m/blobs/{d}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(
        reg.head(&format!("/v2/m/blobs/{d}"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        reg.head(&format!("/v2/r/blobs/{d}"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let r = reg
        .delete(&format!("/v2/m/blobs/{d}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // Location: X-Forwarded-* are honoured.
    let r = reg
        .post("/v2/r/blobs/uploads/")
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-host", "reg.example.com")
        .send()
        .await
        .unwrap();
    assert!(header(&r, "location").starts_with("https://reg.example.com/v2/r/blobs/uploads/"));

    // Layout on disk: the blob, the link without newline, no upload left over.
    let v2 = v2(dir.path());
    let hex = d3.trim_start_matches("sha256:");
    assert_eq!(
        std::fs::read(v2.join(format!("blobs/sha256/{}/{hex}/data", &hex[..2]))).unwrap(),
        blob
    );
    assert_eq!(
        std::fs::read_to_string(v2.join(format!("repositories/r/_layers/sha256/{hex}/link")))
            .unwrap(),
        d3
    );
}

fn image_manifest(
    config: &str,
    config_len: usize,
    layers: &[(String, usize)],
    extra: serde_json::Value,
) -> Vec<u8> {
    let mut m = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": config, "size": config_len},
        "layers": layers.iter().map(|(d, s)| serde_json::json!({"mediaType": OCI_LAYER, "digest": d, "size": s})).collect::<Vec<_>>(),
    });
    if let (Some(m), Some(extra)) = (m.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            m.insert(k.clone(), v.clone());
        }
    }
    serde_json::to_vec(&m).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn manifests_tags_and_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, reg) = start(dir.path());

    let config = br#"{"architecture":"amd64","os":"linux"}"#;
    let cd = reg.push_blob("app", config).await;
    let ld = reg.push_blob("app", b"layer one").await;
    let manifest = image_manifest(&cd, config.len(), &[(ld.clone(), 9)], serde_json::json!({}));
    let md = digest(&manifest);

    // A missing layer is MANIFEST_BLOB_UNKNOWN; so is a blob of another repository.
    let missing = image_manifest(
        &cd,
        config.len(),
        &[(digest(b"nope"), 4)],
        serde_json::json!({}),
    );
    let r = reg.put_manifest("app", "bad", OCI_MANIFEST, &missing).await;
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(r).await, "MANIFEST_BLOB_UNKNOWN");
    let r = reg
        .put_manifest("elsewhere", "x", OCI_MANIFEST, &manifest)
        .await;
    assert_eq!(error_code(r).await, "MANIFEST_BLOB_UNKNOWN");
    // Pushing by a digest that does not match.
    let r = reg
        .put_manifest("app", &digest(b"x"), OCI_MANIFEST, &manifest)
        .await;
    assert_eq!(error_code(r).await, "DIGEST_INVALID");

    let r = reg.put_manifest("app", "v1", OCI_MANIFEST, &manifest).await;
    assert_eq!(r.status(), 201);
    assert_eq!(header(&r, "docker-content-digest"), md);
    assert!(header(&r, "location").ends_with(&format!("/v2/app/manifests/{md}")));

    for reference in ["v1", md.as_str()] {
        let r = reg
            .get(&format!("/v2/app/manifests/{reference}"))
            .header("accept", OCI_MANIFEST)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, "content-type"), OCI_MANIFEST);
        assert_eq!(header(&r, "docker-content-digest"), md);
        assert_eq!(r.bytes().await.unwrap().as_ref(), &manifest[..]);
        let r = reg
            .head(&format!("/v2/app/manifests/{reference}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, "content-length"), manifest.len().to_string());
    }
    // Accept negotiation: a client that only takes Docker types does not get an OCI manifest.
    let r = reg
        .get("/v2/app/manifests/v1")
        .header("accept", DOCKER_MANIFEST)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(error_code(r).await, "MANIFEST_UNKNOWN");
    let r = reg
        .get("/v2/app/manifests/v1")
        .header("accept", "*/*")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // ETag.
    let r = reg
        .get("/v2/app/manifests/v1")
        .header("if-none-match", format!("\"{md}\""))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    let r = reg.get("/v2/app/manifests/nope").send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(error_code(r).await, "MANIFEST_UNKNOWN");

    // Docker schema2 and a manifest list; a list with a missing child is refused.
    let dconfig = br#"{"architecture":"amd64","os":"linux","docker":true}"#;
    let dcd = reg.push_blob("app", dconfig).await;
    let docker = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
        "config": {"mediaType": DOCKER_CONFIG, "digest": dcd, "size": dconfig.len()},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "digest": ld, "size": 9}],
    }))
    .unwrap();
    let ddigest = digest(&docker);
    let r = reg
        .put_manifest("app", &ddigest, DOCKER_MANIFEST, &docker)
        .await;
    assert_eq!(r.status(), 201);
    let list = |children: &[(&str, usize)]| {
        serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2, "mediaType": DOCKER_LIST,
            "manifests": children.iter().map(|(d, s)| serde_json::json!({
                "mediaType": DOCKER_MANIFEST, "digest": d, "size": s,
                "platform": {"architecture": "amd64", "os": "linux"}})).collect::<Vec<_>>(),
        }))
        .unwrap()
    };
    let bad_list = list(&[(&digest(b"no child"), 3)]);
    let r = reg
        .put_manifest("app", "multi", DOCKER_LIST, &bad_list)
        .await;
    assert_eq!(error_code(r).await, "MANIFEST_BLOB_UNKNOWN");
    let good_list = list(&[(&ddigest, docker.len())]);
    let r = reg
        .put_manifest("app", "multi", DOCKER_LIST, &good_list)
        .await;
    assert_eq!(r.status(), 201);
    let r = reg
        .get("/v2/app/manifests/multi")
        .header("accept", format!("{DOCKER_MANIFEST}, {DOCKER_LIST}"))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&r, "content-type"), DOCKER_LIST);
    // A schema2-only client gets the linux/amd64 image, with its own digest.
    let r = reg
        .get("/v2/app/manifests/multi")
        .header("accept", DOCKER_MANIFEST)
        .send()
        .await
        .unwrap();
    assert_eq!(header(&r, "docker-content-digest"), ddigest);
    // An OCI index pointing at the image.
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": [{"mediaType": OCI_MANIFEST, "digest": md, "size": manifest.len()}],
    }))
    .unwrap();
    let r = reg.put_manifest("app", "index", OCI_INDEX, &index).await;
    assert_eq!(r.status(), 201);
    // Content-Type that contradicts the body.
    let r = reg.put_manifest("app", "wrong", OCI_INDEX, &manifest).await;
    assert_eq!(error_code(r).await, "MANIFEST_INVALID");
    // Size limit.
    let huge = vec![b' '; 5 << 20];
    let r = reg.put_manifest("app", "huge", OCI_MANIFEST, &huge).await;
    assert_eq!(r.status(), 413);
    // Push by digest with ?tag=.
    let r = reg
        .put(&format!("/v2/app/manifests/{md}?tag=t1&tag=t2"))
        .header("content-type", OCI_MANIFEST)
        .body(manifest.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let tags: Vec<_> = r
        .headers()
        .get_all("oci-tag")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert_eq!(tags, ["t1", "t2"]);

    // tags/list: sorted, paginated with Link.
    for tag in ["b", "a", "C", "_z", "a.1"] {
        assert_eq!(
            reg.put_manifest("app", tag, OCI_MANIFEST, &manifest)
                .await
                .status(),
            201
        );
    }
    let all = [
        "C", "_z", "a", "a.1", "b", "index", "multi", "t1", "t2", "v1",
    ];
    let r = reg.get("/v2/app/tags/list").send().await.unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["name"], "app");
    assert_eq!(v["tags"], serde_json::json!(all));
    let r = reg.get("/v2/app/tags/list?n=3").send().await.unwrap();
    assert_eq!(
        header(&r, "link"),
        "</v2/app/tags/list?last=a&n=3>; rel=\"next\""
    );
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["tags"], serde_json::json!(&all[..3]));
    let r = reg
        .get("/v2/app/tags/list?n=3&last=t1")
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("link").is_none());
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["tags"], serde_json::json!(["t2", "v1"]));
    let r = reg.get("/v2/app/tags/list?n=0").send().await.unwrap();
    assert!(r.headers().get("link").is_none());
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["tags"], serde_json::json!([]));
    let r = reg.get("/v2/app/tags/list?n=-1").send().await.unwrap();
    assert_eq!(error_code(r).await, "PAGINATION_NUMBER_INVALID");
    let r = reg.get("/v2/nosuchrepo/tags/list").send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(error_code(r).await, "NAME_UNKNOWN");

    // DELETE by tag removes that tag only.
    assert_eq!(
        reg.delete("/v2/app/manifests/b")
            .send()
            .await
            .unwrap()
            .status(),
        202
    );
    assert_eq!(
        reg.get("/v2/app/manifests/b")
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        reg.get("/v2/app/manifests/a")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        reg.get(&format!("/v2/app/manifests/{md}"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        reg.delete("/v2/app/manifests/b")
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // DELETE by digest removes the manifest and the tags pointing at it.
    assert_eq!(
        reg.delete(&format!("/v2/app/manifests/{ddigest}"))
            .send()
            .await
            .unwrap()
            .status(),
        202
    );
    assert_eq!(
        reg.get(&format!("/v2/app/manifests/{ddigest}"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let r = reg
        .delete(&format!("/v2/app/manifests/{md}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    for tag in ["a", "v1", "t1"] {
        assert_eq!(
            reg.get(&format!("/v2/app/manifests/{tag}"))
                .send()
                .await
                .unwrap()
                .status(),
            404,
            "{tag}"
        );
    }
    let v: serde_json::Value = reg
        .get("/v2/app/tags/list")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["tags"], serde_json::json!(["index", "multi"]));

    // Catalog: '/' sorts first, pages with Link.
    for repo in ["a-b", "a/b", "a", "z/y/x"] {
        let (_, _) = reg.push_image(repo, "latest", &[b"l"]).await;
    }
    let v: serde_json::Value = reg
        .get("/v2/_catalog")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        v["repositories"],
        serde_json::json!(["a", "a/b", "a-b", "app", "z/y/x"])
    );
    let r = reg.get("/v2/_catalog?n=2").send().await.unwrap();
    assert_eq!(
        header(&r, "link"),
        "</v2/_catalog?last=a%2Fb&n=2>; rel=\"next\""
    );
    let r = reg.get("/v2/_catalog?n=2&last=a%2Fb").send().await.unwrap();
    assert_eq!(
        header(&r, "link"),
        "</v2/_catalog?last=app&n=2>; rel=\"next\""
    );
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["repositories"], serde_json::json!(["a-b", "app"]));
    let v: serde_json::Value = reg
        .get("/v2/_catalog?n=2&last=app")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["repositories"], serde_json::json!(["z/y/x"]));

    // Layout: tag links written as registry:2 does.
    let tag_dir = v2(dir.path()).join("repositories/a/b/_manifests/tags/latest");
    let current = std::fs::read_to_string(tag_dir.join("current/link")).unwrap();
    let hex = current.trim_start_matches("sha256:");
    assert!(tag_dir.join(format!("index/sha256/{hex}/link")).is_file());
    assert!(v2(dir.path())
        .join(format!(
            "repositories/a/b/_manifests/revisions/sha256/{hex}/link"
        ))
        .is_file());
}

#[tokio::test(flavor = "multi_thread")]
async fn referrers_with_filter_and_rebuilt_index() {
    let dir = tempfile::tempdir().unwrap();
    let (server, reg) = start(dir.path());
    let (_, subject) = reg.push_image("sig", "v1", &[b"image layer"]).await;
    let empty = b"{}";
    let ed = reg.push_blob("sig", empty).await;
    let mut artifacts = Vec::new();
    for (kind, n) in [
        ("application/vnd.example.sbom", 1),
        ("application/vnd.example.sig", 2),
    ] {
        let m = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": kind,
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": ed, "size": 2},
            "layers": [],
            "subject": {"mediaType": OCI_MANIFEST, "digest": subject, "size": 1},
            "annotations": {"n": n.to_string()},
        }))
        .unwrap();
        let d = digest(&m);
        let r = reg.put_manifest("sig", &d, OCI_MANIFEST, &m).await;
        assert_eq!(r.status(), 201);
        assert_eq!(header(&r, "oci-subject"), subject);
        artifacts.push((d, kind, m.len()));
    }
    let check = |v: serde_json::Value, expected: &[&(String, &str, usize)]| {
        assert_eq!(v["mediaType"], OCI_INDEX);
        let got = v["manifests"].as_array().unwrap();
        assert_eq!(got.len(), expected.len(), "{v}");
        for (d, kind, size) in expected {
            let entry = got.iter().find(|e| e["digest"] == d.as_str()).unwrap();
            assert_eq!(entry["artifactType"], *kind);
            assert_eq!(entry["size"], *size);
            assert_eq!(entry["mediaType"], OCI_MANIFEST);
            assert!(entry["annotations"]["n"].is_string());
        }
    };
    let r = reg
        .get(&format!("/v2/sig/referrers/{subject}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), OCI_INDEX);
    check(r.json().await.unwrap(), &[&artifacts[0], &artifacts[1]]);
    let r = reg
        .get(&format!(
            "/v2/sig/referrers/{subject}?artifactType=application%2Fvnd.example.sig"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&r, "oci-filters-applied"), "artifactType");
    check(r.json().await.unwrap(), &[&artifacts[1]]);
    // Unknown subject, unknown repository: an empty index, never 404.
    let r = reg
        .get(&format!("/v2/nothing/referrers/{subject}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    check(r.json().await.unwrap(), &[]);

    // The index lives where registry:2 does not look (distribution PR #4828's layout).
    let revision = v2(dir.path()).join(format!(
        "repositories/sig/_manifests/revisions/sha256/{}",
        subject.trim_start_matches("sha256:")
    ));
    let by_type = revision.join("_referrers/_application%2Fvnd.example.sbom/sha256");
    assert!(by_type
        .join(artifacts[0].0.trim_start_matches("sha256:"))
        .join("link")
        .is_file());

    // Deleting a referrer removes it from the list.
    let r = reg
        .delete(&format!("/v2/sig/manifests/{}", artifacts[1].0))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let r = reg
        .get(&format!("/v2/sig/referrers/{subject}"))
        .send()
        .await
        .unwrap();
    check(r.json().await.unwrap(), &[&artifacts[0]]);

    // An index lost (as when registry:2 served the pushes) is rebuilt from the revisions.
    drop(server);
    std::fs::remove_dir_all(revision.join("_referrers")).unwrap();
    let (_server, reg) = start(dir.path());
    let r = reg
        .get(&format!("/v2/sig/referrers/{subject}"))
        .send()
        .await
        .unwrap();
    check(r.json().await.unwrap(), &[&artifacts[0]]);
}

#[tokio::test(flavor = "multi_thread")]
async fn deletes_disabled_and_read_only() {
    let dir = tempfile::tempdir().unwrap();
    {
        let server = Server::start(dir.path(), &[], &[]);
        let reg = Reg::new(&server.base);
        let (_, md) = reg.push_image("x", "v1", &[b"layer"]).await;
        for path in [
            "/v2/x/manifests/v1".to_owned(),
            format!("/v2/x/manifests/{md}"),
            format!("/v2/x/blobs/{}", digest(b"layer")),
        ] {
            let r = reg.delete(&path).send().await.unwrap();
            assert_eq!(r.status(), 405, "{path}");
            assert_eq!(error_code(r).await, "UNSUPPORTED");
        }
    }
    let server = Server::start(
        dir.path(),
        &[],
        &[("REGISTRY_STORAGE_MAINTENANCE_READONLY_ENABLED", "true")],
    );
    let reg = Reg::new(&server.base);
    assert_eq!(
        reg.get("/v2/x/manifests/v1").send().await.unwrap().status(),
        200
    );
    let r = reg.post("/v2/x/blobs/uploads/").send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(header(&r, "allow"), "GET, HEAD");
    assert_eq!(error_code(r).await, "UNSUPPORTED");
    let r = reg.put_manifest("x", "v2", OCI_MANIFEST, b"{}").await;
    assert_eq!(r.status(), 405);
}

#[tokio::test(flavor = "multi_thread")]
async fn persistence_across_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, md, location) = {
        let (_server, reg) = start(dir.path());
        let (manifest, md) = reg.push_image("keep/me", "v1", &[b"one", b"two"]).await;
        // An upload in progress survives too.
        let r = reg.post("/v2/keep/me/blobs/uploads/").send().await.unwrap();
        let location = header(&r, "location");
        let r = reg
            .patch(&location)
            .body(b"half of ".to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        let path = location
            .split_once("/v2/")
            .map(|(_, p)| format!("/v2/{p}"))
            .unwrap();
        (manifest, md, path)
    };
    let (_server, reg) = start(dir.path());
    let r = reg.get("/v2/keep/me/manifests/v1").send().await.unwrap();
    assert_eq!(header(&r, "docker-content-digest"), md);
    assert_eq!(r.bytes().await.unwrap().as_ref(), &manifest[..]);
    let r = reg
        .get(&format!("/v2/keep/me/blobs/{}", digest(b"two")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"two");
    let r = reg.get(&location).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(header(&r, "range"), "0-7");
    let full = b"half of the blob";
    let r = reg
        .put(&format!("{location}?digest={}", digest(full)))
        .body(b"the blob".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let v: serde_json::Value = reg
        .get("/v2/_catalog")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["repositories"], serde_json::json!(["keep/me"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_concurrent_uploads_distinct_and_identical() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, reg) = start(dir.path());
    let shared: Vec<u8> = (0..200_000u32).map(|i| (i % 241) as u8).collect();
    let mut tasks = Vec::new();
    for i in 0..50usize {
        let reg = reg.clone();
        let data = if i % 2 == 0 {
            shared.clone()
        } else {
            (0..100_000 + i)
                .map(|j| ((i * 13 + j) % 256) as u8)
                .collect()
        };
        let repo = if i % 4 == 0 {
            "same".to_owned()
        } else {
            format!("repo{i}")
        };
        tasks.push(tokio::spawn(async move {
            let d = reg.push_blob(&repo, &data).await;
            (repo, d, data)
        }));
    }
    for task in tasks {
        let (repo, d, data) = task.await.unwrap();
        let r = reg
            .get(&format!("/v2/{repo}/blobs/{d}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.bytes().await.unwrap().as_ref(), &data[..]);
    }
    // No upload directory is left anywhere.
    let leftovers: Vec<_> = walk(&v2(dir.path()).join("repositories"))
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("_uploads/"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walk(&path));
            }
            out.push(path);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn upload_cut_off_mid_stream_leaves_nothing_visible() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let (server, reg) = start(dir.path());
    let blob: Vec<u8> = (0..3_000_000u32).map(|i| (i % 199) as u8).collect();
    let d = digest(&blob);

    // Monolithic POST that stops after 2 MB of a declared 3 MB.
    {
        let mut s = std::net::TcpStream::connect(&server.addr).unwrap();
        write!(
            s,
            "POST /v2/cut/blobs/uploads/?digest={d} HTTP/1.1\r\nHost: t\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
            blob.len()
        )
        .unwrap();
        s.write_all(&blob[..2_000_000]).unwrap();
    }
    // A PATCH that stops half way: the session stays at its last acknowledged offset.
    let r = reg.post("/v2/cut/blobs/uploads/").send().await.unwrap();
    let location = header(&r, "location");
    let path = location.trim_start_matches(&server.base).to_owned();
    let r = reg
        .patch(&location)
        .body(blob[..1000].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    {
        let mut s = std::net::TcpStream::connect(&server.addr).unwrap();
        write!(
            s,
            "PATCH {path} HTTP/1.1\r\nHost: t\r\nContent-Type: application/octet-stream\r\nContent-Range: 1000-2999999\r\nContent-Length: 2999000\r\n\r\n"
        )
        .unwrap();
        s.write_all(&blob[1000..1_500_000]).unwrap();
    }
    // The blob is not visible, and the session (once the server has seen the cut) is at 1000.
    assert_eq!(
        reg.head(&format!("/v2/cut/blobs/{d}"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let r = reg.get(&location).send().await.unwrap();
        assert_eq!(r.status(), 204);
        if header(&r, "range") == "0-999" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "session never rolled back"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(!v2(dir.path())
        .join(format!("blobs/sha256/{}", &d[7..9]))
        .exists());
    // The session continues from there and completes.
    let r = reg
        .put(&format!("{location}?digest={d}"))
        .header("content-range", format!("1000-{}", blob.len() - 1))
        .body(blob[1000..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    // Only the one live session's directory existed; the cut monolithic upload left nothing.
    let uploads = v2(dir.path()).join("repositories/cut/_uploads");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::fs::read_dir(&uploads).map(|d| d.count()).unwrap_or(0) > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "upload data left behind"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn docker_types_with_foreign_layers_and_unknown_manifest_types() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, reg) = start(dir.path());
    let config = br#"{"os":"windows"}"#;
    let cd = reg.push_blob("win", config).await;
    // Foreign layers with URLs need not be in the registry.
    let m = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
        "config": {"mediaType": DOCKER_CONFIG, "digest": cd, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
                    "digest": digest(b"foreign"), "size": 7, "urls": ["https://example.com/layer"]}],
    }))
    .unwrap();
    assert_eq!(
        reg.put_manifest("win", "v1", DOCKER_MANIFEST, &m)
            .await
            .status(),
        201
    );
    let r = reg
        .put_manifest(
            "win",
            "v2",
            "application/vnd.docker.distribution.manifest.v1+prettyjws",
            br#"{"schemaVersion":1,"fsLayers":[]}"#,
        )
        .await;
    assert_eq!(error_code(r).await, "MANIFEST_INVALID");
    let r = reg
        .put_manifest("win", "v3", "text/plain", b"{\"schemaVersion\":2}")
        .await;
    assert_eq!(error_code(r).await, "MANIFEST_INVALID");
}

/// The OCI conformance suite's `.INVALID_MANIFEST_NAME`: GET/HEAD answer 404 MANIFEST_UNKNOWN
/// (a reference that is neither tag nor digest names nothing), PUT keeps 400 TAG_INVALID.
#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_reference_is_unknown_on_get_and_invalid_on_put() {
    let dir = tempfile::tempdir().unwrap();
    let (server, reg) = start(dir.path());
    reg.push_image("app", "v1", &[b"layer"]).await;
    for reference in [".INVALID_MANIFEST_NAME", "-bad"] {
        let path = format!("/v2/app/manifests/{reference}");
        let r = raw(&server.addr, &simple_request("GET", &path, ""));
        assert_eq!(r.status, 404, "GET {path}: {r:?}");
        assert_eq!(r.code(), "MANIFEST_UNKNOWN", "GET {path}");
        let r = reg.head(&path).send().await.unwrap();
        assert_eq!(r.status(), 404, "HEAD {path}");
        let r = reg
            .put_manifest("app", reference, OCI_MANIFEST, b"{}")
            .await;
        assert_eq!(r.status(), 400, "PUT {path}");
        assert_eq!(error_code(r).await, "TAG_INVALID", "PUT {path}");
    }
}

/// `curl -si -X POST URL HEADERS...`: the response's `Location`.
fn curl_location(url: &str, headers: &[&str]) -> String {
    let curl = crate::common::require_tool("curl", "curl");
    let mut cmd = std::process::Command::new(curl);
    cmd.args(["-si", "-X", "POST", url]);
    for h in headers {
        cmd.args(["-H", h]);
    }
    let out = crate::common::success_stdout(&cmd.output().unwrap());
    out.lines()
        .find_map(|l| {
            l.strip_prefix("location: ")
                .or_else(|| l.strip_prefix("Location: "))
        })
        .unwrap_or_else(|| panic!("no Location in {out}"))
        .trim()
        .to_owned()
}

/// Without `http.host`, Locations follow the request as registry:2's URL builder does;
/// `http.relativeurls` makes them paths; `http.host` wins over the request.
#[test]
fn upload_locations_follow_the_request_unless_http_host_is_set() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[], &[]);
    let port = server.addr.rsplit(':').next().unwrap().to_owned();
    let start = format!("{}/v2/app/blobs/uploads/", server.base);
    let path_of = |l: &str| l[l.find("/v2/").unwrap()..].to_owned();

    let direct = curl_location(&start, &[]);
    assert!(
        direct.starts_with(&format!("http://{}/v2/app/blobs/uploads/", server.addr)),
        "{direct}"
    );
    let by_name = curl_location(&start, &[&format!("Host: localhost:{port}")]);
    assert!(
        by_name.starts_with(&format!("http://localhost:{port}/v2/")),
        "{by_name}"
    );
    let proxied = curl_location(
        &start,
        &[
            "X-Forwarded-Proto: https",
            "X-Forwarded-Host: reg.example.com, inner.proxy",
        ],
    );
    assert!(
        proxied.starts_with("https://reg.example.com/v2/app/blobs/uploads/"),
        "{proxied}"
    );
    let with_port = curl_location(
        &start,
        &[
            "X-Forwarded-Host: reg.example.com",
            "X-Forwarded-Port: 8443",
            "X-Forwarded-Proto: https",
        ],
    );
    assert!(
        with_port.starts_with("https://reg.example.com:8443/v2/"),
        "{with_port}"
    );
    let rfc7239 = curl_location(
        &start,
        &["Forwarded: for=192.0.2.1;proto=https;host=\"mirror.example:9443\", for=10.0.0.1"],
    );
    assert!(
        rfc7239.starts_with("https://mirror.example:9443/v2/"),
        "{rfc7239}"
    );
    // The Location handed out works.
    let r = raw(&server.addr, &simple_request("GET", &path_of(&direct), ""));
    assert_eq!(r.status, 204, "{r:?}");
    drop(server);

    let server = Server::start(dir.path(), &[], &[("REGISTRY_HTTP_RELATIVEURLS", "true")]);
    let start = format!("{}/v2/app/blobs/uploads/", server.base);
    let relative = curl_location(&start, &["X-Forwarded-Host: reg.example.com"]);
    assert!(relative.starts_with("/v2/app/blobs/uploads/"), "{relative}");
    drop(server);

    let server = Server::start(
        dir.path(),
        &[],
        &[("REGISTRY_HTTP_HOST", "https://fixed.example:5000")],
    );
    let start = format!("{}/v2/app/blobs/uploads/", server.base);
    let fixed = curl_location(&start, &["X-Forwarded-Host: reg.example.com"]);
    assert!(
        fixed.starts_with("https://fixed.example:5000/v2/app/blobs/uploads/"),
        "{fixed}"
    );
}

/// A server whose log (stderr) goes to a file, read with [`log_of`].
fn start_logged(args: &[&str], envs: &[(&str, &str)], log: &Path) -> Server {
    let file = std::fs::File::create(log).unwrap();
    Server::start_with_stderr(args, envs, std::process::Stdio::from(file))
}

fn log_of(log: &Path) -> String {
    std::fs::read_to_string(log).unwrap_or_default()
}

/// `regctl serve` names an `http.host` that cannot reach it, and says what to do.
#[test]
fn serve_warns_when_http_host_disagrees_with_the_listener() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yml");
    let root = dir.path().join("data");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:5000\n  host: https://127.0.0.1:5000\n",
            root.display()
        ),
    )
    .unwrap();
    let log = dir.path().join("serve.log");
    let server = start_logged(
        &[
            "serve",
            "-c",
            config.to_str().unwrap(),
            "--addr",
            "127.0.0.1:0",
        ],
        &[],
        &log,
    );
    let text = log_of(&log);
    let line = text
        .lines()
        .find(|l| l.contains("http.host is https://127.0.0.1:5000"))
        .unwrap_or_else(|| panic!("no http.host warning in:\n{text}"));
    assert!(line.contains("WARN"), "{line}");
    assert!(line.contains(&format!("http://{}", server.addr)), "{line}");
    assert!(
        line.contains("TLS off") && line.contains("Fix http.host"),
        "{line}"
    );
    drop(server);

    // A matching http.host says nothing.
    let log = dir.path().join("serve2.log");
    let port = crate::common::free_port();
    let addr = format!("127.0.0.1:{port}");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {addr}\n  host: http://{addr}\n",
            root.display()
        ),
    )
    .unwrap();
    let server = start_logged(&["serve", "-c", config.to_str().unwrap()], &[], &log);
    drop(server);
    assert!(!log_of(&log).contains("http.host is"), "{}", log_of(&log));
}

/// A directory made read-only by a read-only bind mount onto itself (root ignores mode bits);
/// unmounted on drop. `None` when mounting is refused.
struct ReadOnlyMount(std::path::PathBuf);

impl ReadOnlyMount {
    fn new(dir: &Path) -> Option<Self> {
        let mount = |args: &[&str]| {
            std::process::Command::new("mount")
                .args(args)
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        let d = dir.to_str().unwrap();
        if !mount(&["--bind", d, d]) {
            return None;
        }
        let guard = Self(dir.to_path_buf());
        mount(&["-o", "remount,ro,bind", d]).then_some(guard)
    }
}

impl Drop for ReadOnlyMount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

/// `--root` replaces the default ./registry-data before anything checks it, so serve starts in
/// an unwritable working directory.
#[test]
fn serve_root_flag_works_from_an_unwritable_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path().join("ro");
    std::fs::create_dir(&cwd).unwrap();
    let Some(_ro) = ReadOnlyMount::new(&cwd) else {
        eprintln!("SKIPPED: mount --bind refused (not root or no CAP_SYS_ADMIN)");
        return;
    };
    assert!(
        std::fs::write(cwd.join("probe"), b"x").is_err(),
        "the directory must be read-only"
    );
    let root = dir.path().join("data");
    let mut cmd = crate::common::regctl();
    cmd.current_dir(&cwd)
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--root",
            root.to_str().unwrap(),
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = crate::common::process::KillOnDrop(cmd.spawn().unwrap());
    let stdout = child.0.stdout.take().unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
    if !line.contains("listening on") {
        let _ = child.0.kill();
        let mut err = String::new();
        if let Some(mut e) = child.0.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut err);
        }
        panic!("serve did not start: {line}{err}");
    }
    assert!(line.contains(&root.display().to_string()), "{line}");
}

/// A full disk answers 507 "storage full" and the log names the key and the operation; a
/// read-only storage names them too.
#[tokio::test(flavor = "multi_thread")]
async fn full_and_read_only_storage_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tiny");
    std::fs::create_dir(&root).unwrap();
    let mounted = std::process::Command::new("mount")
        .args([
            "-t",
            "tmpfs",
            "-o",
            "size=2m",
            "tmpfs",
            root.to_str().unwrap(),
        ])
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("SKIPPED: mount -t tmpfs refused (not root or no CAP_SYS_ADMIN)");
        return;
    }
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(self.0).status();
        }
    }
    let _unmount = Unmount(&root);
    let log = dir.path().join("serve.log");
    let server = start_logged(
        &[
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--root",
            root.to_str().unwrap(),
        ],
        &[],
        &log,
    );
    let reg = Reg::new(&server.base);
    // Larger than the filesystem, sent as one monolithic upload and as a chunked one.
    let big: Vec<u8> = (0..4u32 << 20).map(|i| (i * 7 + i / 251) as u8).collect();
    let r = reg
        .post(&format!("/v2/full/blobs/uploads/?digest={}", digest(&big)))
        .header("content-type", "application/octet-stream")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 507);
    let body = r.text().await.unwrap();
    assert!(body.contains("storage full"), "{body}");
    let r = reg.post("/v2/full/blobs/uploads/").send().await.unwrap();
    assert_eq!(r.status(), 202);
    let location = header(&r, "location");
    let r = reg
        .patch(&location)
        .header("content-type", "application/octet-stream")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 507);
    // After the failed uploads, the registry still works.
    assert_eq!(reg.get("/v2/").send().await.unwrap().status(), 200);
    drop(server);
    let text = log_of(&log);
    let line = text
        .lines()
        .find(|l| l.contains("storage full"))
        .unwrap_or_else(|| panic!("no storage-full line in:\n{text}"));
    assert!(line.contains("op=") && line.contains("append"), "{line}");
    assert!(
        line.contains("key=") && line.contains("/_uploads/"),
        "{line}"
    );
    assert!(!text.contains("storage error: No space"), "{text}");

    // Storage that turns read-only while serving (a read-only root refuses the start): a write
    // fails with the operation and key in the log.
    let ro_root = dir.path().join("ro");
    std::fs::create_dir(&ro_root).unwrap();
    let log = dir.path().join("ro.log");
    let server = start_logged(
        &[
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--root",
            ro_root.to_str().unwrap(),
        ],
        &[],
        &log,
    );
    let Some(_ro) = ReadOnlyMount::new(&ro_root) else {
        eprintln!("SKIPPED (read-only part): mount --bind refused");
        return;
    };
    let reg = Reg::new(&server.base);
    let r = reg
        .post(&format!("/v2/ro/blobs/uploads/?digest={}", digest(b"x")))
        .body(b"x".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    let body = r.text().await.unwrap();
    assert!(body.contains("cannot write its storage"), "{body}");
    drop(server);
    let text = log_of(&log);
    let line = text
        .lines()
        .find(|l| l.contains("storage error"))
        .unwrap_or_else(|| panic!("no storage error line in:\n{text}"));
    assert!(line.contains("op=") && line.contains("key="), "{line}");
}

/// A blob HEAD refreshes the repository's layer link, so `regctl gc` keeps a blob that a client
/// just saw and will reference from its next manifest; a blob nobody read is collected.
#[tokio::test(flavor = "multi_thread")]
async fn a_blob_head_keeps_the_blob_through_gc() {
    let dir = tempfile::tempdir().unwrap();
    let (server, reg) = start(dir.path());
    let seen = reg.push_blob("app", b"a layer a client HEADs").await;
    let unseen = reg.push_blob("app", b"a layer nobody asks for").await;
    let data = |d: &str| {
        let hex = d.trim_start_matches("sha256:");
        v2(dir.path()).join(format!("blobs/sha256/{}/{hex}/data", &hex[..2]))
    };
    // Let both age past a 2 s grace period. (Back-dating mtimes cannot stand in for waiting: gc
    // also counts ctimes, which only the clock moves.)
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let r = reg
        .head(&format!("/v2/app/blobs/{seen}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let out = crate::common::regctl()
        .args([
            "gc",
            "--grace",
            "2s",
            "--root",
            dir.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    crate::common::success_stdout(&out);
    assert!(data(&seen).exists(), "the HEADed blob must survive gc");
    assert!(!data(&unseen).exists(), "the unread blob must be collected");
    let r = reg
        .get(&format!("/v2/app/blobs/{seen}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    drop(server);
}
