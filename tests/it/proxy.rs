//! `proxy.remoteurl`: `regctl serve` as a pull-through cache of Debian's `docker-registry`
//! (distribution 2.8) with htpasswd, pulled through with skopeo and HTTP.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::docker_registry::DockerRegistry;
use crate::common::oci::{oci_reference, write_oci_layout};
use crate::common::registry::{digest, skopeo, v2, Reg};
use crate::common::server::Server;

const USER: &str = "proxyuser";
const PASSWORD: &str = "upstream-pass";

/// distribution 2.8 with htpasswd auth and its access log on, serving `root`.
fn upstream(work: &Path, root: &Path) -> DockerRegistry {
    upstream_as(work, root, USER, PASSWORD)
}

/// [`upstream`] with its own user: its files go in `work`.
fn upstream_as(work: &Path, root: &Path, user: &str, password: &str) -> DockerRegistry {
    std::fs::create_dir_all(work).unwrap();
    let htpasswd = work.join("htpasswd");
    let out = std::process::Command::new(crate::common::require_tool("htpasswd", "apache2-utils"))
        .args(["-Bbc", htpasswd.to_str().unwrap(), user, password])
        .output()
        .unwrap();
    crate::common::success_stdout(&out);
    let addr = format!("127.0.0.1:{}", crate::common::free_port());
    let config = work.join("upstream.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: {}\n\
             http:\n  addr: {addr}\n  secret: s\nauth:\n  htpasswd:\n    realm: up\n    path: {}\n",
            root.display(),
            htpasswd.display()
        ),
    )
    .unwrap();
    DockerRegistry::start_with_config(&config, &addr)
}

fn proxy_env(upstream: &DockerRegistry) -> Vec<(&'static str, String)> {
    vec![
        ("REGISTRY_PROXY_REMOTEURL", upstream.base()),
        ("REGISTRY_PROXY_USERNAME", USER.to_owned()),
        ("REGISTRY_PROXY_PASSWORD", PASSWORD.to_owned()),
    ]
}

fn start_proxy(
    root: &Path,
    env: &[(&'static str, String)],
    extra: &[(&'static str, &str)],
) -> Server {
    let mut envs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    envs.extend_from_slice(extra);
    Server::start(root, &["--no-web"], &envs)
}

/// Waits until `path` exists (the manifest is cached in the background once its blobs are).
fn wait_for(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn pulls_through_caches_in_registry2_layout_and_serves_stale_when_upstream_is_down() {
    let work = tempfile::tempdir().unwrap();
    let upstream_root = work.path().join("upstream");
    let mut up = upstream(work.path(), &upstream_root);
    let layout = work.path().join("layout");
    let manifest_digest = write_oci_layout(&layout, "v1", 2, 50_000);
    skopeo(&[
        "copy",
        "--preserve-digests",
        "--dest-tls-verify=false",
        "--dest-creds",
        &format!("{USER}:{PASSWORD}"),
        &oci_reference(&layout, "v1"),
        &format!("docker://{}/team/app:v1", up.addr),
    ]);

    let cache_root = work.path().join("cache");
    let env = proxy_env(&up);
    let proxy = start_proxy(&cache_root, &env, &[("REGISTRY_PROXY_TTL", "1h")]);
    let pulled = work.path().join("pulled");
    skopeo(&[
        "copy",
        "--preserve-digests",
        "--src-tls-verify=false",
        &format!("docker://{}/team/app:v1", proxy.addr),
        &format!("oci:{}:v1", pulled.display()),
    ]);
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(pulled.join("index.json")).unwrap()).unwrap();
    assert_eq!(index["manifests"][0]["digest"], manifest_digest.as_str());
    let tag_link = v2(&cache_root).join("repositories/team/app/_manifests/tags/v1/current/link");
    wait_for(&tag_link);
    assert_eq!(std::fs::read_to_string(&tag_link).unwrap(), manifest_digest);

    // Pushes and deletes are refused as registry:2 in proxy mode refuses them.
    let rt = runtime();
    let reg = Reg::new(&proxy.base);
    let push = rt
        .block_on(reg.post("/v2/team/app/blobs/uploads/").send())
        .unwrap();
    assert_eq!(push.status(), 405);
    let body = rt.block_on(push.text()).unwrap();
    assert!(
        body.contains("UNSUPPORTED") && body.contains("pull-through cache"),
        "{body}"
    );
    drop(proxy);

    // The cache is plain registry:2 layout: distribution serves it without regctl.
    let plain = DockerRegistry::start(&cache_root, false);
    let raw = skopeo(&[
        "inspect",
        "--raw",
        "--tls-verify=false",
        &format!("docker://{}/team/app:v1", plain.addr),
    ]);
    assert_eq!(digest(raw.as_bytes()), manifest_digest);
    drop(plain);

    // Upstream down: the cached tag is served, marked stale; the never cached is a 503.
    let proxy = start_proxy(&cache_root, &env, &[]);
    up.assert_running();
    drop(up);
    let reg = Reg::new(&proxy.base);
    let accept = "application/vnd.oci.image.manifest.v1+json";
    let cached = rt
        .block_on(
            reg.get("/v2/team/app/manifests/v1")
                .header("accept", accept)
                .send(),
        )
        .unwrap();
    assert_eq!(cached.status(), 200);
    let warning = cached
        .headers()
        .get("warning")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert!(warning.starts_with("110 "), "stale warning: {warning:?}");
    let bytes = rt.block_on(cached.bytes()).unwrap();
    assert_eq!(digest(&bytes), manifest_digest);
    let missing = rt
        .block_on(
            reg.get("/v2/team/other/manifests/v1")
                .header("accept", accept)
                .send(),
        )
        .unwrap();
    assert_eq!(missing.status(), 503);
    let body = rt.block_on(missing.text()).unwrap();
    assert!(
        body.contains("UNAVAILABLE") && body.contains(&env[0].1),
        "names the upstream: {body}"
    );
    // Offline, the cached image still pulls completely.
    skopeo(&[
        "copy",
        "--preserve-digests",
        "--src-tls-verify=false",
        &format!("docker://{}/team/app:v1", proxy.addr),
        &format!("oci:{}:again", pulled.display()),
    ]);
}

#[test]
fn concurrent_cold_pulls_of_one_blob_make_one_upstream_get() {
    let work = tempfile::tempdir().unwrap();
    let upstream_root = work.path().join("upstream");
    let up = upstream(work.path(), &upstream_root);
    let rt = runtime();
    let blob: Vec<u8> = (0..64u32 << 20).map(|i| (i % 253) as u8).collect();
    let blob_digest = digest(&blob);
    let up_reg = Reg::new(&up.base());
    let start = rt
        .block_on(
            up_reg
                .post("/v2/big/blob/blobs/uploads/")
                .basic_auth(USER, Some(PASSWORD))
                .send(),
        )
        .unwrap();
    assert_eq!(start.status(), 202);
    let location = crate::common::registry::header(&start, "location");
    let separator = if location.contains('?') { '&' } else { '?' };
    let put = rt
        .block_on(
            up_reg
                .put(&format!("{location}{separator}digest={blob_digest}"))
                .basic_auth(USER, Some(PASSWORD))
                .header("content-type", "application/octet-stream")
                .body(blob.clone())
                .send(),
        )
        .unwrap();
    assert_eq!(put.status(), 201, "{:?}", rt.block_on(put.text()));
    drop(blob);

    let cache_root = work.path().join("cache");
    let proxy = start_proxy(&cache_root, &proxy_env(&up), &[]);
    let reg = Reg::new(&proxy.base);
    let path = format!("/v2/big/blob/blobs/{blob_digest}");
    let digests = rt.block_on(async {
        let pulls = (0..16).map(|_| {
            let reg = reg.clone();
            let path = path.clone();
            async move {
                let response = reg.get(&path).send().await.unwrap();
                assert_eq!(response.status(), 200);
                digest(&response.bytes().await.unwrap())
            }
        });
        futures_util::future::join_all(pulls).await
    });
    assert!(
        digests.iter().all(|d| *d == blob_digest),
        "every pull got the blob"
    );
    let log = up.log();
    let gets = log
        .lines()
        .filter(|l| l.contains(&format!("\"GET {path} ")) && l.contains("\" 200 "))
        .count();
    assert_eq!(gets, 1, "one upstream blob GET:\n{log}");
}

/// The Docker token flow upstream: distribution 2.8 with `auth.token` and the tests' token server;
/// the cache asks for a pull token as the configured user.
#[test]
fn pulls_through_an_upstream_that_uses_the_token_flow() {
    use crate::token_server::{TokenServer, ISSUER, SERVICE};
    let work = tempfile::tempdir().unwrap();
    let cert = work.path().join("token-signer.pem");
    let tokens = TokenServer::start(&[("bob", "bob-password")], &cert);
    let addr = format!("127.0.0.1:{}", crate::common::free_port());
    let config = work.path().join("upstream.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n\
             http:\n  addr: {addr}\n  secret: s\nauth:\n  token:\n    realm: {}\n    \
             service: {SERVICE}\n    issuer: {ISSUER}\n    rootcertbundle: {}\n",
            work.path().join("upstream").display(),
            tokens.realm,
            cert.display()
        ),
    )
    .unwrap();
    let up = DockerRegistry::start_with_config(&config, &addr);
    let layout = work.path().join("layout");
    let manifest_digest = write_oci_layout(&layout, "v1", 1, 10_000);
    let push_token = tokens.mint("pusher", &["repository:team/app:push,pull"]);
    skopeo(&[
        "copy",
        "--preserve-digests",
        "--dest-tls-verify=false",
        "--dest-registry-token",
        &push_token,
        &oci_reference(&layout, "v1"),
        &format!("docker://{addr}/team/app:v1"),
    ]);

    let cache_root = work.path().join("cache");
    let env = vec![
        ("REGISTRY_PROXY_REMOTEURL", up.base()),
        ("REGISTRY_PROXY_USERNAME", "bob".to_owned()),
        ("REGISTRY_PROXY_PASSWORD", "bob-password".to_owned()),
    ];
    let proxy = start_proxy(&cache_root, &env, &[]);
    let raw = skopeo(&[
        "inspect",
        "--raw",
        "--tls-verify=false",
        &format!("docker://{}/team/app:v1", proxy.addr),
    ]);
    assert_eq!(digest(raw.as_bytes()), manifest_digest);
    let pulled = work.path().join("pulled");
    skopeo(&[
        "copy",
        "--preserve-digests",
        "--src-tls-verify=false",
        &format!("docker://{}/team/app:v1", proxy.addr),
        &format!("oci:{}:v1", pulled.display()),
    ]);
    let asked: Vec<_> = tokens
        .requests()
        .into_iter()
        .filter(|r| r.user.as_deref() == Some("bob"))
        .collect();
    assert!(
        asked
            .iter()
            .any(|r| r.granted && r.scopes.iter().any(|s| s == "repository:team/app:pull")),
        "the cache asked for a pull token as bob: {asked:?}"
    );
    wait_for(&v2(&cache_root).join("repositories/team/app/_manifests/tags/v1/current/link"));
}

/// `docker login HOST` with `password` on stdin, for `engine`.
fn docker_login(engine: &crate::common::dockerd::Dockerd, host: &str, user: &str, password: &str) {
    use std::io::Write as _;
    let mut child = engine
        .docker()
        .args(["login", "-u", user, "--password-stdin", host])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(password.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    crate::common::success_stdout(&out);
}

/// The real Docker engine with the daemon.json `regctl client-setup --mirror` wrote: `docker pull
/// NAME` (Docker Hub's `library/NAME`) goes to regctl, which fetches it from the "Docker Hub"
/// stand-in (distribution 2.8 with htpasswd) and caches it; with the upstream stopped, the image
/// pulls again from the cache.
#[test]
fn docker_engine_pulls_docker_hub_images_through_the_mirror() {
    let work = tempfile::tempdir().unwrap();
    let mut up = upstream(work.path(), &work.path().join("upstream"));
    let cache_root = work.path().join("cache");
    let proxy = start_proxy(&cache_root, &proxy_env(&up), &[]);

    let client_root = work.path().join("client");
    let mirror = format!("http://{}", proxy.addr);
    crate::common::success_stdout(
        &crate::common::regctl()
            .args([
                "client-setup",
                "--mirror",
                &mirror,
                "--containerd",
                "--root",
            ])
            .arg(&client_root)
            .output()
            .unwrap(),
    );
    let daemon_json = client_root.join("etc/docker/daemon.json");
    let engine = crate::common::dockerd::Dockerd::start_with_config(Some(&daemon_json));
    let info = engine.ok(&["info", "--format", "{{json .RegistryConfig.Mirrors}}"]);
    assert!(
        info.contains(&proxy.addr),
        "dockerd took the mirror: {info}"
    );

    // Publish `library/mirrored:latest` on the stand-in, then forget it locally.
    let published = format!("{}/library/mirrored:latest", up.addr);
    engine.import_image(&published, b"pulled through regctl\n");
    docker_login(&engine, &up.addr, USER, PASSWORD);
    engine.ok(&["push", &published]);
    let pushed_digest = engine
        .ok(&[
            "image",
            "inspect",
            "--format",
            "{{index .RepoDigests 0}}",
            &published,
        ])
        .trim()
        .rsplit('@')
        .next()
        .unwrap()
        .to_owned();
    engine.ok(&["rmi", &published]);

    engine.ok(&["pull", "mirrored"]);
    let repo_digest = engine.ok(&[
        "image",
        "inspect",
        "--format",
        "{{index .RepoDigests 0}}",
        "mirrored",
    ]);
    assert_eq!(
        repo_digest.trim(),
        format!("mirrored@{pushed_digest}"),
        "docker pulled the published image"
    );
    let tag_link =
        v2(&cache_root).join("repositories/library/mirrored/_manifests/tags/latest/current/link");
    wait_for(&tag_link);
    assert_eq!(std::fs::read_to_string(&tag_link).unwrap(), pushed_digest);
    // containerd, with the hosts.toml the same command wrote, resolves docker.io through it.
    let fetched = std::process::Command::new(crate::common::require_tool("ctr", "containerd"))
        .arg("--address")
        .arg(engine.containerd_socket())
        .args(["-n", "regctl-test", "content", "fetch", "--hosts-dir"])
        .arg(client_root.join("etc/containerd/certs.d"))
        .arg("docker.io/library/mirrored:latest")
        .output()
        .unwrap();
    crate::common::success_stdout(&fetched);
    let log = up.log();
    assert!(
        log.contains("GET /v2/library/mirrored/manifests/"),
        "regctl fetched from the upstream:\n{log}"
    );

    // Docker Hub's stand-in goes away: the cache alone serves the image.
    up.assert_running();
    drop(up);
    engine.ok(&["rmi", "mirrored"]);
    engine.ok(&["pull", "mirrored"]);
    let again = engine.ok(&[
        "image",
        "inspect",
        "--format",
        "{{index .RepoDigests 0}}",
        "mirrored",
    ]);
    assert_eq!(again.trim(), format!("mirrored@{pushed_digest}"));
}

/// `skopeo copy` of layout `tag` to `dest` (a docker:// reference on a plain-HTTP registry).
fn skopeo_push(layout: &Path, tag: &str, dest: &str, creds: Option<&str>) {
    let reference = oci_reference(layout, tag);
    let mut args = vec![
        "copy",
        "--preserve-digests",
        "--dest-tls-verify=false",
        &reference,
        dest,
    ];
    if let Some(creds) = creds {
        args.splice(2..2, ["--dest-creds", creds]);
    }
    skopeo(&args);
}

/// The manifest digest skopeo pulls for `reference` (a full `docker://` copy, every blob).
fn skopeo_pull_digest(reference: &str, into: &Path) -> String {
    std::fs::create_dir_all(into).unwrap();
    skopeo(&[
        "copy",
        "--preserve-digests",
        "--src-tls-verify=false",
        reference,
        &format!("oci:{}:x", into.display()),
    ]);
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(into.join("index.json")).unwrap()).unwrap();
    index["manifests"][0]["digest"].as_str().unwrap().to_owned()
}

/// regctl's `proxy.upstreams`: `docker.io/…` from one distribution 2.8 (as Docker Hub: one-component
/// names are `library/…` there) and `ghcr.io/…` from another, each with its own user; `team/…`
/// is local on the same server and takes pushes and deletes, while a push under a cached prefix
/// is refused. The config passes `config validate`.
#[test]
fn many_upstreams_and_local_pushes_on_one_server() {
    let work = tempfile::tempdir().unwrap();
    let hub = upstream_as(
        &work.path().join("hub"),
        &work.path().join("hub/data"),
        "hubuser",
        "hub-pass",
    );
    let ghcr = upstream_as(
        &work.path().join("ghcr"),
        &work.path().join("ghcr/data"),
        "ghuser",
        "gh-pass",
    );
    let layouts = work.path().join("layouts");
    let hello = write_oci_layout(&layouts.join("hello"), "v1", 1, 20_000);
    let tool = write_oci_layout(&layouts.join("tool"), "v2", 2, 30_000);
    let local = write_oci_layout(&layouts.join("local"), "v3", 1, 40_000);
    skopeo_push(
        &layouts.join("hello"),
        "v1",
        &format!("docker://{}/library/hello:v1", hub.addr),
        Some("hubuser:hub-pass"),
    );
    skopeo_push(
        &layouts.join("tool"),
        "v2",
        &format!("docker://{}/team/tool:v2", ghcr.addr),
        Some("ghuser:gh-pass"),
    );

    let cache_root = work.path().join("cache");
    let config = work.path().join("config.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n\
             http:\n  addr: 127.0.0.1:{}\nproxy:\n  upstreams:\n    - prefix: docker.io/\n      \
             remoteurl: {}\n      username: hubuser\n      password: hub-pass\n    - prefix: ghcr.io/\n      \
             remoteurl: {}\n      username: ghuser\n      password: gh-pass\n      ttl: 1h\n",
            cache_root.display(),
            crate::common::free_port(),
            hub.base(),
            ghcr.base()
        ),
    )
    .unwrap();
    crate::common::success_stdout(
        &crate::common::regctl()
            .args(["config", "validate", "-c"])
            .arg(&config)
            .output()
            .unwrap(),
    );
    let server =
        Server::start_with_args(&["-c", config.to_str().unwrap(), "serve", "--no-web"], &[]);

    let pulled = work.path().join("pulled");
    assert_eq!(
        skopeo_pull_digest(
            &format!("docker://{}/docker.io/hello:v1", server.addr),
            &pulled.join("hello")
        ),
        hello
    );
    assert_eq!(
        skopeo_pull_digest(
            &format!("docker://{}/ghcr.io/team/tool:v2", server.addr),
            &pulled.join("tool")
        ),
        tool
    );
    assert!(
        hub.log().contains("GET /v2/library/hello/manifests/"),
        "docker.io/hello is library/hello upstream:\n{}",
        hub.log()
    );
    assert!(
        ghcr.log().contains("GET /v2/team/tool/manifests/"),
        "{}",
        ghcr.log()
    );
    for (repo, tag, want) in [
        ("docker.io/hello", "v1", &hello),
        ("ghcr.io/team/tool", "v2", &tool),
    ] {
        let link = v2(&cache_root).join(format!(
            "repositories/{repo}/_manifests/tags/{tag}/current/link"
        ));
        wait_for(&link);
        assert_eq!(&std::fs::read_to_string(&link).unwrap(), want);
    }

    // The clients' own mirror settings, written by `client-setup --mirror URL/REGISTRY`: skopeo
    // (podman's drop-ins) and containerd (`ctr --hosts-dir`) resolve ghcr.io/… and docker.io/…
    // through regctl's prefixes; neither registry is reachable here, so only the mirror answers.
    let client_root = work.path().join("client");
    let mirror_ghcr = format!("http://{}/ghcr.io", server.addr);
    let mirror_hub = format!("http://{}/docker.io", server.addr);
    crate::common::success_stdout(
        &crate::common::regctl()
            .args([
                "client-setup",
                "--mirror",
                &mirror_ghcr,
                "--mirror",
                &mirror_hub,
            ])
            .args(["--podman", "--containerd", "--no-docker", "--root"])
            .arg(&client_root)
            .output()
            .unwrap(),
    );
    let home = work.path().join("home");
    let drop_ins = home.join(".config/containers/registries.conf.d");
    std::fs::create_dir_all(&drop_ins).unwrap();
    for registry in ["ghcr.io", "docker.io"] {
        let name = format!("50-regctl-mirror-{registry}.conf");
        std::fs::copy(
            client_root
                .join("etc/containers/registries.conf.d")
                .join(&name),
            drop_ins.join(&name),
        )
        .unwrap();
    }
    for (reference, want) in [
        ("docker://ghcr.io/team/tool:v2", &tool),
        ("docker://docker.io/library/hello:v1", &hello),
    ] {
        let out = std::process::Command::new(crate::common::require_tool("skopeo", "skopeo"))
            .env("HOME", &home)
            .env_remove("CONTAINERS_REGISTRIES_CONF")
            .args(["inspect", "--raw", reference])
            .output()
            .unwrap();
        let raw = crate::common::success_stdout(&out);
        assert_eq!(&digest(raw.as_bytes()), want, "{reference}");
    }
    let engine = crate::common::dockerd::Dockerd::start();
    let hosts_dir = client_root.join("etc/containerd/certs.d");
    for reference in ["ghcr.io/team/tool:v2", "docker.io/library/hello:v1"] {
        let out = std::process::Command::new(crate::common::require_tool("ctr", "containerd"))
            .arg("--address")
            .arg(engine.containerd_socket())
            .args(["-n", "regctl-test", "content", "fetch", "--hosts-dir"])
            .arg(&hosts_dir)
            .arg(reference)
            .output()
            .unwrap();
        crate::common::success_stdout(&out);
    }
    let fetched = std::process::Command::new("ctr")
        .arg("--address")
        .arg(engine.containerd_socket())
        .args(["-n", "regctl-test", "content", "ls", "-q"])
        .output()
        .unwrap();
    let fetched = crate::common::success_stdout(&fetched);
    for want in [&tool, &hello] {
        assert!(
            fetched.contains(want.as_str()),
            "containerd holds {want}:\n{fetched}"
        );
    }
    drop(engine);

    // A local repository on the same server: push, pull back, delete.
    skopeo_push(
        &layouts.join("local"),
        "v3",
        &format!("docker://{}/team/app:v3", server.addr),
        None,
    );
    assert_eq!(
        skopeo_pull_digest(
            &format!("docker://{}/team/app:v3", server.addr),
            &pulled.join("local")
        ),
        local
    );
    let rt = runtime();
    let reg = Reg::new(&server.base);
    let deleted = rt
        .block_on(
            reg.delete(&format!("/v2/team/app/manifests/{local}"))
                .send(),
        )
        .unwrap();
    assert_eq!(deleted.status(), 202);

    // Under a cached prefix, pushes and deletes are refused.
    let push = rt
        .block_on(reg.post("/v2/docker.io/mine/blobs/uploads/").send())
        .unwrap();
    assert_eq!(push.status(), 405);
    let body = rt.block_on(push.text()).unwrap();
    assert!(
        body.contains("docker.io/") && body.contains("proxy.upstreams"),
        "{body}"
    );
    let delete = rt
        .block_on(
            reg.delete(&format!("/v2/ghcr.io/team/tool/manifests/{tool}"))
                .send(),
        )
        .unwrap();
    assert_eq!(delete.status(), 405);

    // registry:2 starts on the same config (it ignores proxy.upstreams) and serves the cache.
    let addr = server.addr.clone();
    drop(server);
    let plain = DockerRegistry::start_with_config(&config, &addr);
    let raw = skopeo(&[
        "inspect",
        "--raw",
        "--tls-verify=false",
        &format!("docker://{addr}/docker.io/hello:v1"),
    ]);
    assert_eq!(digest(raw.as_bytes()), hello);
    drop(plain);
}

/// `proxy.remoteurl` with `proxy.upstreams` is refused by `config validate` and by `serve`.
#[test]
fn remoteurl_and_upstreams_together_are_refused() {
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("config.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {}\nproxy:\n  \
             remoteurl: http://127.0.0.1:1\n  upstreams:\n    - prefix: docker.io/\n      \
             remoteurl: http://127.0.0.1:2\n",
            work.path().join("data").display()
        ),
    )
    .unwrap();
    for args in [vec!["config", "validate"], vec!["serve"]] {
        let out = crate::common::regctl()
            .arg("-c")
            .arg(&config)
            .args(&args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?} accepted it");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.contains("proxy.upstreams")
                && text.contains("cannot be combined with proxy.remoteurl"),
            "{args:?}: {text}"
        );
    }
}

/// README's "A mirror of Docker Hub" section: each config passes `config validate` (with a
/// scratch storage root), and the client-setup line runs as printed (under a scratch `--root`,
/// without `sudo` and `--restart`, and without probing the example host).
#[test]
fn readme_mirror_section_runs_as_printed() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme
        .find("## A mirror of Docker Hub")
        .expect("README has the mirror section");
    let section = &readme[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let blocks = |fence: &str| -> Vec<String> {
        section
            .split(fence)
            .skip(1)
            .map(|rest| rest[..rest.find("```").expect("the block ends")].to_owned())
            .collect()
    };
    let work = tempfile::tempdir().unwrap();
    let configs = blocks("```yaml\n");
    assert_eq!(configs.len(), 2, "remoteurl and upstreams examples");
    for (i, yaml) in configs.iter().enumerate() {
        let root = work.path().join(format!("data{i}"));
        let yaml = yaml
            .lines()
            .map(|line| match line.find("rootdirectory: ") {
                Some(at) => format!("{}rootdirectory: {}", &line[..at], root.display()),
                None => line.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("\n");
        let config = work.path().join(format!("config{i}.yml"));
        std::fs::write(&config, yaml).unwrap();
        let out = crate::common::regctl()
            .args(["config", "validate", "-c"])
            .arg(&config)
            .output()
            .unwrap();
        crate::common::success_stdout(&out);
    }
    let commands: Vec<String> = blocks("```sh\n")
        .iter()
        .flat_map(|block| {
            block
                .lines()
                .map(|line| line.trim_start().to_owned())
                .collect::<Vec<_>>()
        })
        .filter(|line| line.starts_with("sudo regctl client-setup"))
        .collect();
    assert_eq!(commands.len(), 2, "{section}");
    let client_root = work.path().join("client");
    for command in commands {
        let args: Vec<&str> = command
            .trim_start_matches("sudo regctl ")
            .split_whitespace()
            .filter(|arg| *arg != "--restart")
            .collect();
        let out = crate::common::regctl()
            .args(&args)
            .arg("--root")
            .arg(&client_root)
            .arg("--no-probe")
            .output()
            .unwrap();
        crate::common::success_stdout(&out);
    }
    let daemon_json = std::fs::read_to_string(client_root.join("etc/docker/daemon.json")).unwrap();
    assert!(
        daemon_json.contains("\"http://mirror.example:5000\""),
        "{daemon_json}"
    );
    let hosts =
        std::fs::read_to_string(client_root.join("etc/containerd/certs.d/ghcr.io/hosts.toml"))
            .unwrap();
    assert!(
        hosts.contains("[host.\"http://mirror.example:5000/v2/ghcr.io\"]"),
        "{hosts}"
    );
}

/// `proxy.cachebudget`: the least recently pulled cached images go first (pull records count, not
/// only when the cache stored them), local repositories are never touched and a layer they share
/// is not counted as cached; `regctl gc` reports cached vs local bytes, its dry run names what
/// goes and the real run reclaims exactly the bytes it promised; `regctl serve` enforces the
/// budget on its own every `evictinterval`.
#[tokio::test(flavor = "multi_thread")]
async fn the_cache_budget_evicts_the_least_recently_pulled_images() {
    let work = tempfile::tempdir().unwrap();
    let up_root = work.path().join("upstream");
    std::fs::create_dir_all(&up_root).unwrap();
    let upstream = Server::start(&up_root, &["--no-web"], &[]);
    let up = Reg::new(&upstream.base);
    let layer = |seed: u8| -> Vec<u8> { (0..40_000u32).map(|i| (i as u8) ^ seed).collect() };
    let base: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
    for (seed, tag) in [(1u8, "a"), (2, "b"), (3, "c")] {
        up.push_image("lib/app", tag, &[&base, &layer(seed)]).await;
    }

    let cache_root = work.path().join("cache");
    let v2 = cache_root.join("docker/registry/v2");
    let config = work.path().join("config.yml");
    let write_config = |budget: &str, interval: &str| {
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: {}\n  \
                 delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{}\nproxy:\n  upstreams:\n    \
                 - prefix: up/\n      remoteurl: {}\n  cachebudget: {budget}\n  evictinterval: {interval}\n",
                cache_root.display(),
                crate::common::free_port(),
                upstream.base
            ),
        )
        .unwrap();
    };
    write_config("100KB", "1h");
    crate::common::success_stdout(
        &crate::common::regctl()
            .args(["config", "validate", "-c"])
            .arg(&config)
            .output()
            .unwrap(),
    );
    let mirror =
        Server::start_with_args(&["-c", config.to_str().unwrap(), "serve", "--no-web"], &[]);
    let through = Reg::new(&mirror.base);
    let mut digests = std::collections::HashMap::new();
    for tag in ["a", "b", "c"] {
        let r = through
            .get(&format!("/v2/up/lib/app/manifests/{tag}"))
            .header("accept", crate::common::registry::OCI_MANIFEST)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{tag} through the mirror");
        let manifest: serde_json::Value =
            serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
        for blob in manifest["layers"]
            .as_array()
            .unwrap()
            .iter()
            .chain([&manifest["config"]])
        {
            let d = blob["digest"].as_str().unwrap();
            let r = through
                .get(&format!("/v2/up/lib/app/blobs/{d}"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            assert_eq!(digest(&r.bytes().await.unwrap()), d);
        }
        digests.insert(tag, manifest);
    }
    // A local image on the same server, sharing the cached images' base layer.
    through
        .push_image("team/app", "v1", &[&base, &layer(9)])
        .await;
    let revision = |tag: &str| {
        let manifest = serde_json::to_vec(&digests[tag]).unwrap();
        v2.join(format!(
            "repositories/up/lib/app/_manifests/revisions/sha256/{}",
            digest(&manifest).trim_start_matches("sha256:")
        ))
    };
    // The cache stores a manifest after serving it, so the first pull finds no link to record
    // against: pull again (a HEAD, as a node holding the image does) until each is recorded.
    // Then stop the mirror (the cache must be still for the plan).
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let missing: Vec<&str> = ["a", "b", "c"]
            .into_iter()
            .filter(|t| !revision(t).join(".regctl-pulled").exists())
            .collect();
        if missing.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "pull records of {missing:?} written"
        );
        for tag in missing {
            let r = through
                .head(&format!("/v2/up/lib/app/manifests/{tag}"))
                .header("accept", crate::common::registry::OCI_MANIFEST)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(mirror);
    // All cached three days ago; `a` pulled a minute ago, `c` a day ago, `b` two days ago.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let set_time = |path: &Path, secs_ago: u64| {
        let status = std::process::Command::new("touch")
            .args(["-m", "-d", &format!("@{}", now - secs_ago)])
            .arg(path)
            .status()
            .unwrap();
        assert!(status.success());
    };
    const DAY: u64 = 86_400;
    for (tag, pulled) in [("a", 60), ("b", 2 * DAY), ("c", DAY)] {
        set_time(&revision(tag).join("link"), 3 * DAY);
        set_time(&revision(tag).join(".regctl-pulled"), pulled);
    }

    let gc = |extra: &[&str]| -> serde_json::Value {
        let out = crate::common::regctl()
            .args(["gc", "-o", "json", "-c"])
            .arg(&config)
            .args(extra)
            .output()
            .unwrap();
        serde_json::from_str(&crate::common::success_stdout(&out)).unwrap()
    };
    let dry = gc(&["--dry-run"]);
    let cache = &dry["cache"];
    let evicted: Vec<&str> = cache["evicted"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["tags"].as_array().unwrap())
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(evicted, ["b"], "the least recently pulled goes: {cache}");
    let (cached, local) = (
        cache["cached_bytes"].as_u64().unwrap(),
        cache["local_bytes"].as_u64().unwrap(),
    );
    // Three own layers are cached; the base layer is the local image's too.
    assert!((120_000..125_000).contains(&cached), "{cache}");
    assert!(local > 50_000, "{cache}");
    assert!(cache["cached_bytes_after"].as_u64().unwrap() <= 100_000);
    let promised = cache["evicted"][0]["bytes_freed"].as_u64().unwrap();
    assert!(promised > 40_000, "{cache}");
    assert!(
        revision("b").join("link").exists(),
        "a dry run evicts nothing"
    );

    let real = gc(&["--grace", "0s"]);
    assert_eq!(real["bytes_reclaimed"].as_u64(), Some(promised), "{real}");
    assert!(!revision("b").join("link").exists());
    for kept in ["a", "c"] {
        assert!(revision(kept).join("link").exists(), "{kept} kept");
    }
    assert!(
        v2.join("repositories/team/app/_manifests/tags/v1/current/link")
            .exists(),
        "local repositories are never evicted"
    );

    // `regctl serve` enforces a smaller budget on its own: `c` goes next, `a` stays.
    write_config("60KB", "1s");
    let mirror =
        Server::start_with_args(&["-c", config.to_str().unwrap(), "serve", "--no-web"], &[]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while revision("c").join("link").exists() {
        assert!(Instant::now() < deadline, "serve evicts c within 30 s");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(revision("a").join("link").exists());
    let local = Reg::new(&mirror.base);
    let r = local
        .get("/v2/team/app/manifests/v1")
        .header("accept", crate::common::registry::OCI_MANIFEST)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the local image is served");
}

/// The cache's hit/miss counts: the access log says `cache=miss` for what came from the
/// upstream and `cache=hit` for what was served from the cache (a blob many clients wanted
/// counts one miss), and `regctl_proxy_cache_requests_total` counts the same.
#[tokio::test(flavor = "multi_thread")]
async fn hits_and_misses_reach_the_access_log_and_the_metrics() {
    let work = tempfile::tempdir().unwrap();
    let up_root = work.path().join("upstream");
    std::fs::create_dir_all(&up_root).unwrap();
    let upstream = Server::start(&up_root, &["--no-web"], &[]);
    let layer: Vec<u8> = (0..50_000u32).map(|i| (i % 253) as u8).collect();
    let up = Reg::new(&upstream.base);
    up.push_image("lib/app", "v1", &[&layer]).await;
    // A blob no manifest names yet: only a client's GET brings it into the cache.
    let loose: Vec<u8> = (0..60_000u32).map(|i| (i % 241) as u8).collect();
    let layer_digest = up.push_blob("lib/app", &loose).await;

    let cache_root = work.path().join("cache");
    let debug_addr = format!("127.0.0.1:{}", crate::common::free_port());
    let log = work.path().join("mirror.log");
    let file = std::fs::File::create(&log).unwrap();
    let mirror = Server::start_with_stderr(
        &[
            "serve",
            "--no-web",
            "--addr",
            "127.0.0.1:0",
            "--root",
            cache_root.to_str().unwrap(),
        ],
        &[
            ("REGISTRY_PROXY_REMOTEURL", upstream.base.as_str()),
            ("REGISTRY_HTTP_DEBUG_ADDR", debug_addr.as_str()),
            ("REGISTRY_HTTP_DEBUG_PROMETHEUS_ENABLED", "true"),
        ],
        std::process::Stdio::from(file),
    );
    let through = Reg::new(&mirror.base);
    let tag_link =
        cache_root.join("docker/registry/v2/repositories/lib/app/_manifests/tags/v1/current/link");
    for round in 0..2 {
        let r = through
            .get("/v2/lib/app/manifests/v1")
            .header("accept", crate::common::registry::OCI_MANIFEST)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.bytes().await.unwrap();
        // The cache stores the image in the background; the second GET is served from it.
        let deadline = Instant::now() + Duration::from_secs(20);
        while round == 0 && !tag_link.exists() {
            assert!(Instant::now() < deadline, "the image is cached");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    // Three clients at once for the loose blob: one transfer, then a fourth from the cache.
    let get = || async {
        let r = through
            .get(&format!("/v2/lib/app/blobs/{layer_digest}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(digest(&r.bytes().await.unwrap()), layer_digest);
    };
    tokio::join!(get(), get(), get());
    get().await;

    let lines = |path: &str| -> Vec<String> {
        std::fs::read_to_string(&log)
            .unwrap()
            .lines()
            .filter(|l| l.contains("request") && l.contains(path))
            .map(ToOwned::to_owned)
            .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while lines(&layer_digest).len() < 4 {
        assert!(Instant::now() < deadline, "four blob access lines");
        std::thread::sleep(Duration::from_millis(50));
    }
    let manifests = lines("/manifests/v1");
    assert!(manifests[0].contains("cache=\"miss\""), "{manifests:?}");
    assert!(manifests[1].contains("cache=\"hit\""), "{manifests:?}");
    let blobs = lines(&layer_digest);
    let count = |word: &str| {
        blobs
            .iter()
            .filter(|l| l.contains(&format!("cache=\"{word}\"")))
            .count()
    };
    assert_eq!((count("miss"), count("hit")), (1, 3), "{blobs:?}");

    let scraped = reqwest::get(format!("http://{debug_addr}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for (kind, outcome, n) in [
        ("manifest", "miss", 1),
        ("manifest", "hit", 1),
        ("blob", "miss", 1),
        ("blob", "hit", 3),
    ] {
        let line = format!(
            "regctl_proxy_cache_requests_total{{kind=\"{kind}\",outcome=\"{outcome}\"}} {n}"
        );
        assert!(scraped.contains(&line), "{line} in\n{scraped}");
    }
}
