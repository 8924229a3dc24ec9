//! The client commands (`catalog`, `tags`, `manifest`, `delete`, `login`, `logout`) against
//! Debian's real `docker-registry` (distribution 2.8): htpasswd auth, the token flow with a real
//! token server, TLS with a private CA, plain HTTP, and deletes disabled.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::Value;
use sha2::Digest as _;

use crate::common::{free_port, regctl, require_tool, success_stdout};
use crate::token_server::{TokenServer, ISSUER, SERVICE};

const USER: &str = "alice";
const PASSWORD: &str = "correct horse battery";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// A `docker-registry serve` child process; killed when dropped.
struct DockerRegistry {
    child: Child,
    addr: String,
    config: PathBuf,
    log: PathBuf,
}

impl DockerRegistry {
    /// Starts docker-registry on an ephemeral loopback port; `extra` is appended to the config
    /// (an `auth:` section, `http.tls` ...).
    fn start(dir: &Path, name: &str, root: &Path, delete: bool, extra: &str) -> Self {
        let binary = require_tool("docker-registry", "docker-registry");
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let config = dir.join(format!("{name}.yml"));
        let log = dir.join(format!("{name}.log"));
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\n\
                 storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: {delete}\n\
                 http:\n  addr: {addr}\n{extra}",
                root.display()
            ),
        )
        .unwrap();
        let child = Command::new(binary)
            .arg("serve")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(dir.join(format!("{name}.err"))).unwrap())
            .spawn()
            .expect("spawn docker-registry");
        let mut registry = Self {
            child,
            addr,
            config,
            log,
        };
        registry.wait_ready(dir, name);
        registry
    }

    fn wait_ready(&mut self, dir: &Path, name: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                let stderr =
                    std::fs::read_to_string(dir.join(format!("{name}.err"))).unwrap_or_default();
                panic!("docker-registry exited ({status}):\n{stderr}");
            }
            if std::net::TcpStream::connect(&self.addr).is_ok() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "docker-registry did not listen on {}",
                self.addr
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for DockerRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = &self.log;
    }
}

fn htpasswd_auth(dir: &Path, users: &[(&str, &str)]) -> String {
    let path = dir.join("htpasswd");
    let mut text = String::new();
    for (user, password) in users {
        let hash = bcrypt::hash(password, 5).unwrap();
        text.push_str(&format!("{user}:{hash}\n"));
    }
    std::fs::write(&path, text).unwrap();
    format!(
        "auth:\n  htpasswd:\n    realm: regctl-test\n    path: {}\n",
        path.display()
    )
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

/// The `Authorization` value for pushing to a repository.
type AuthorizationFor = Box<dyn Fn(&str) -> Option<String>>;

/// Pushes through the registry HTTP API directly (monolithic uploads), so the tests read what a
/// docker push would have left.
struct Pusher {
    http: reqwest::Client,
    base: String,
    authorization: AuthorizationFor,
    runtime: tokio::runtime::Runtime,
}

/// A pushed manifest.
#[derive(Debug, Clone)]
struct Pushed {
    digest: String,
    bytes: Vec<u8>,
    /// Config plus layers.
    image_size: usize,
}

impl Pusher {
    fn new(addr: &str, authorization: AuthorizationFor) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: format!("http://{addr}"),
            authorization,
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
        }
    }

    fn basic(addr: &str, user: &str, password: &str) -> Self {
        let value = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        );
        Self::new(addr, Box::new(move |_| Some(value.clone())))
    }

    fn request(&self, method: reqwest::Method, url: &str, repo: &str) -> reqwest::RequestBuilder {
        let request = self.http.request(method, url);
        match (self.authorization)(repo) {
            Some(value) => request.header("authorization", value),
            None => request,
        }
    }

    fn blob(&self, repo: &str, bytes: &[u8]) -> String {
        let digest = sha256(bytes);
        self.runtime.block_on(async {
            let started = self
                .request(
                    reqwest::Method::POST,
                    &format!("{}/v2/{repo}/blobs/uploads/", self.base),
                    repo,
                )
                .send()
                .await
                .unwrap();
            assert_eq!(started.status(), 202, "start upload to {repo}");
            let location = started.headers()["location"].to_str().unwrap().to_owned();
            let location = if location.starts_with('/') {
                format!("{}{location}", self.base)
            } else {
                location
            };
            let separator = if location.contains('?') { '&' } else { '?' };
            let done = self
                .request(
                    reqwest::Method::PUT,
                    &format!("{location}{separator}digest={digest}"),
                    repo,
                )
                .header("content-type", "application/octet-stream")
                .body(bytes.to_vec())
                .send()
                .await
                .unwrap();
            assert_eq!(done.status(), 201, "finish upload to {repo}");
        });
        digest
    }

    fn manifest(&self, repo: &str, reference: &str, media_type: &str, bytes: &[u8]) {
        self.runtime.block_on(async {
            let response = self
                .request(
                    reqwest::Method::PUT,
                    &format!("{}/v2/{repo}/manifests/{reference}", self.base),
                    repo,
                )
                .header("content-type", media_type)
                .body(bytes.to_vec())
                .send()
                .await
                .unwrap();
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            assert_eq!(status, 201, "put manifest {repo}:{reference}: {body}");
        });
    }

    /// One single-layer OCI image whose content depends on `seed`; tagged with every tag.
    fn image(&self, repo: &str, seed: &str, arch: &str, tags: &[&str]) -> Pushed {
        let layer = format!("layer of {repo} {seed} {arch}").into_bytes();
        let layer_digest = self.blob(repo, &layer);
        let config = serde_json::to_vec(&serde_json::json!({
            "architecture": arch,
            "os": "linux",
            "created": "2024-01-02T03:04:05Z",
            "rootfs": {"type": "layers", "diff_ids": [layer_digest.clone()]},
            "config": {"Labels": {"seed": seed}},
        }))
        .unwrap();
        let config_digest = self.blob(repo, &config);
        let manifest = serde_json::to_vec_pretty(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": config_digest,
                "size": config.len(),
            },
            "layers": [{
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": layer_digest,
                "size": layer.len(),
            }],
        }))
        .unwrap();
        let digest = sha256(&manifest);
        if tags.is_empty() {
            self.manifest(repo, &digest, OCI_MANIFEST, &manifest);
        }
        for tag in tags {
            self.manifest(repo, tag, OCI_MANIFEST, &manifest);
        }
        Pushed {
            digest,
            bytes: manifest,
            image_size: config.len() + layer.len(),
        }
    }

    /// An index with linux/amd64 and linux/arm64/v8 children.
    fn index(&self, repo: &str, tag: &str) -> (Pushed, Pushed, Pushed) {
        let amd64 = self.image(repo, "multi", "amd64", &[]);
        let arm64 = self.image(repo, "multi", "arm64", &[]);
        let entry = |pushed: &Pushed, arch: &str, variant: Option<&str>| {
            let mut platform = serde_json::json!({"architecture": arch, "os": "linux"});
            if let Some(variant) = variant {
                platform["variant"] = Value::from(variant);
            }
            serde_json::json!({
                "mediaType": OCI_MANIFEST,
                "digest": pushed.digest,
                "size": pushed.bytes.len(),
                "platform": platform,
            })
        };
        let index = serde_json::to_vec_pretty(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [entry(&amd64, "amd64", None), entry(&arm64, "arm64", Some("v8"))],
        }))
        .unwrap();
        self.manifest(repo, tag, OCI_INDEX, &index);
        (
            Pushed {
                digest: sha256(&index),
                bytes: index,
                image_size: 0,
            },
            amd64,
            arm64,
        )
    }
}

/// Runs regctl with an isolated docker config directory and optional stdin.
fn run(docker_config: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = regctl();
    cmd.args(args)
        .env("DOCKER_CONFIG", docker_config)
        .current_dir(docker_config)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    let mut child = cmd.spawn().expect("spawn regctl");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    child.wait_with_output().unwrap()
}

fn failure_stderr(output: &Output) -> String {
    assert!(
        !output.status.success(),
        "expected failure, got success:\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(1));
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn json_of(output: &Output) -> Value {
    let stdout = success_stdout(output);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"))
}

fn tag_digests(json: &Value) -> BTreeMap<String, String> {
    json.as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["tag"].as_str().unwrap().to_owned(),
                t["digest"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn client_commands_against_docker_registry_with_htpasswd() {
    let dir = tempfile::tempdir().unwrap();
    let docker_config = dir.path().join("docker");
    std::fs::create_dir(&docker_config).unwrap();
    let auth = htpasswd_auth(dir.path(), &[(USER, PASSWORD)]);
    let registry = DockerRegistry::start(
        dir.path(),
        "htpasswd",
        &dir.path().join("data"),
        true,
        &auth,
    );
    let addr = registry.addr.as_str();
    let push = Pusher::basic(addr, USER, PASSWORD);
    let v1 = push.image("alpha", "one", "amd64", &["1.0", "latest"]);
    let v2 = push.image("alpha", "two", "amd64", &["2.0"]);
    for repo in ["beta", "team/delta", "team/gamma", "zeta"] {
        push.image(repo, "one", "amd64", &["1.0"]);
    }
    let (index, amd64, arm64) = push.index("multi", "v1");
    let all_repos = ["alpha", "beta", "multi", "team/delta", "team/gamma", "zeta"];
    let creds = ["-u", USER, "--password-stdin", "--insecure"];
    let with = |args: &[&str], extra: &[&str]| -> Vec<String> {
        args.iter().chain(extra).map(|s| (*s).to_owned()).collect()
    };
    let run_args = |args: Vec<String>, stdin: Option<&str>| {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&docker_config, &refs, stdin)
    };
    let password = Some(PASSWORD);

    // Plain HTTP registry, HTTPS client: the error every guide hits, with both fixes.
    let err = failure_stderr(&run(&docker_config, &["catalog", addr], None));
    assert!(
        err.contains("server gave HTTP response to HTTPS client"),
        "{err}"
    );
    assert!(err.contains("--insecure"), "{err}");
    assert!(
        err.contains(&format!("regctl client-setup {addr}")),
        "{err}"
    );

    // No credentials: a clear sentence, not a bare 401.
    let err = failure_stderr(&run(&docker_config, &["catalog", addr, "--insecure"], None));
    assert!(err.contains("requires authentication"), "{err}");
    assert!(err.contains(&format!("regctl login {addr}")), "{err}");

    // Catalog in pages of 2 (more repositories than one page), table and JSON.
    let out = run_args(
        with(&["catalog", addr, "--page-size", "2"], &creds),
        password,
    );
    let table = success_stdout(&out);
    for repo in all_repos {
        assert!(table.contains(repo), "{repo} missing from\n{table}");
    }
    let json = json_of(&run_args(
        with(&["catalog", addr, "-n", "2", "-o", "json"], &creds),
        password,
    ));
    let listed: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["repository"].as_str().unwrap())
        .collect();
    assert_eq!(listed, all_repos);
    let json = json_of(&run_args(
        with(
            &["catalog", addr, "-n", "2", "--limit", "3", "-o", "json"],
            &creds,
        ),
        password,
    ));
    assert_eq!(json.as_array().unwrap().len(), 3);
    let json = json_of(&run_args(
        with(&["catalog", addr, "--count-tags", "-o", "json"], &creds),
        password,
    ));
    assert_eq!(
        json[0],
        serde_json::json!({"repository": "alpha", "tags": 3})
    );
    assert_eq!(
        json[2],
        serde_json::json!({"repository": "multi", "tags": 1})
    );
    let table = success_stdout(&run_args(
        with(&["catalog", addr, "--count-tags"], &creds),
        password,
    ));
    assert!(table.contains("TAGS"), "{table}");

    // The registry of the local config is the default, and its plain HTTP is known.
    let config = registry.config.to_str().unwrap();
    let json = json_of(&run_args(
        with(
            &["catalog", "-c", config, "-o", "json"],
            &["-u", USER, "--password-stdin"],
        ),
        password,
    ));
    assert_eq!(json.as_array().unwrap().len(), all_repos.len());
    let json = json_of(&run_args(
        with(
            &["catalog", addr, "-c", config, "-o", "json"],
            &["-u", USER, "--password-stdin"],
        ),
        password,
    ));
    assert_eq!(
        json.as_array().unwrap().len(),
        all_repos.len(),
        "the registry the local config serves keeps its plain HTTP"
    );

    // Login: wrong password refused and nothing written; right one merged into config.json.
    let config_json = docker_config.join("config.json");
    std::fs::write(
        &config_json,
        r#"{"psFormat":"table {{.ID}}","auths":{"other.example":{"auth":"eDp5"}}}"#,
    )
    .unwrap();
    let err = failure_stderr(&run(
        &docker_config,
        &["login", addr, "--insecure", "-u", USER, "--password-stdin"],
        Some("wrong\n"),
    ));
    assert!(
        err.contains("rejected the credentials of user `alice`"),
        "{err}"
    );
    assert!(!std::fs::read_to_string(&config_json)
        .unwrap()
        .contains(addr));
    let out = run(
        &docker_config,
        &[
            "login",
            addr,
            "--insecure",
            "-u",
            USER,
            "--password-stdin",
            "-o",
            "json",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    let outcome = json_of(&out);
    assert_eq!(outcome["verified"], true);
    let stored: Value = serde_json::from_slice(&std::fs::read(&config_json).unwrap()).unwrap();
    assert_eq!(stored["psFormat"], "table {{.ID}}");
    assert_eq!(stored["auths"]["other.example"]["auth"], "eDp5");
    assert_eq!(
        stored["auths"][addr]["auth"],
        base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"))
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&config_json)
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
    }

    // From here on the stored credentials are used.
    let insecure = "--insecure";
    let alpha = format!("{addr}/alpha");
    let json = json_of(&run(
        &docker_config,
        &["tags", &alpha, insecure, "-o", "json"],
        None,
    ));
    let expected: BTreeMap<String, String> = [
        ("1.0".to_owned(), v1.digest.clone()),
        ("2.0".to_owned(), v2.digest.clone()),
        ("latest".to_owned(), v1.digest.clone()),
    ]
    .into();
    assert_eq!(tag_digests(&json), expected);
    for tag in json.as_array().unwrap() {
        assert_eq!(tag["media_type"], OCI_MANIFEST);
    }
    assert_eq!(json[0]["size"], v1.bytes.len());
    let table = success_stdout(&run(&docker_config, &["tags", &alpha, insecure], None));
    assert!(
        table.contains(&v2.digest) && table.contains("MEDIA TYPE"),
        "{table}"
    );
    let json = json_of(&run(
        &docker_config,
        &["tags", &alpha, insecure, "--names-only", "-o", "json"],
        None,
    ));
    assert_eq!(
        json,
        serde_json::json!([{"tag": "1.0"}, {"tag": "2.0"}, {"tag": "latest"}])
    );
    // --details reads each image's config: creation time and total size.
    let json = json_of(&run(
        &docker_config,
        &["tags", &alpha, insecure, "--details", "-o", "json"],
        None,
    ));
    assert_eq!(json[0]["created"], "2024-01-02T03:04:05Z");
    assert_eq!(json[0]["image_size"], v1.image_size);
    assert_eq!(json[1]["image_size"], v2.image_size);
    let table = success_stdout(&run(
        &docker_config,
        &["tags", &format!("{addr}/multi"), insecure, "--details"],
        None,
    ));
    assert!(
        table.contains("CREATED") && table.contains(&index.digest),
        "{table}"
    );
    let err = failure_stderr(&run(
        &docker_config,
        &["tags", &format!("{addr}/nope"), insecure],
        None,
    ));
    assert!(
        err.contains("repository nope") && err.contains("not found"),
        "{err}"
    );

    // Manifests: exact bytes with -o json, the platform's child of an index, a summary table.
    let multi = format!("{addr}/multi:v1");
    let out = run(
        &docker_config,
        &["manifest", &multi, insecure, "-o", "json"],
        None,
    );
    assert_eq!(
        success_stdout(&out).trim_end().as_bytes(),
        index.bytes.as_slice()
    );
    let out = run(
        &docker_config,
        &[
            "manifest",
            &multi,
            insecure,
            "--platform",
            "linux/arm64",
            "-o",
            "json",
        ],
        None,
    );
    assert_eq!(
        success_stdout(&out).trim_end().as_bytes(),
        arm64.bytes.as_slice()
    );
    let out = run(
        &docker_config,
        &[
            "manifest",
            &multi,
            insecure,
            "--platform",
            "linux/amd64",
            "-o",
            "json",
        ],
        None,
    );
    assert_eq!(
        success_stdout(&out).trim_end().as_bytes(),
        amd64.bytes.as_slice()
    );
    let err = failure_stderr(&run(
        &docker_config,
        &["manifest", &multi, insecure, "--platform", "linux/s390x"],
        None,
    ));
    assert!(err.contains("linux/amd64, linux/arm64/v8"), "{err}");
    let table = success_stdout(&run(&docker_config, &["manifest", &multi, insecure], None));
    assert!(
        table.contains("linux/arm64/v8") && table.contains(&arm64.digest),
        "{table}"
    );
    assert!(table.contains(&index.digest), "{table}");
    let table = success_stdout(&run(
        &docker_config,
        &["manifest", &format!("{alpha}@{}", v2.digest), insecure],
        None,
    ));
    assert!(
        table.contains("layer 1") && table.contains("config"),
        "{table}"
    );

    // Delete by tag: the plan names every tag on the digest; dry run and no-TTY change nothing.
    let target = format!("{alpha}:1.0");
    let out = run(
        &docker_config,
        &["delete", &target, insecure, "--dry-run"],
        None,
    );
    let table = success_stdout(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&v1.digest), "{stderr}");
    assert!(stderr.contains("2 tags with it: 1.0, latest"), "{stderr}");
    assert!(table.contains("would be deleted"), "{table}");
    let err = failure_stderr(&run(&docker_config, &["delete", &target, insecure], None));
    assert!(err.contains("--yes"), "{err}");
    let json = json_of(&run(
        &docker_config,
        &["tags", &alpha, insecure, "-o", "json"],
        None,
    ));
    assert_eq!(json.as_array().unwrap().len(), 3, "nothing deleted yet");
    let outcome = json_of(&run(
        &docker_config,
        &["delete", &target, insecure, "--yes", "-o", "json"],
        None,
    ));
    assert_eq!(outcome["digest"], v1.digest.as_str());
    assert_eq!(outcome["tags"], serde_json::json!(["1.0", "latest"]));
    assert_eq!(outcome["deleted"], true);
    let json = json_of(&run(
        &docker_config,
        &["tags", &alpha, insecure, "-o", "json"],
        None,
    ));
    assert_eq!(
        tag_digests(&json),
        [("2.0".to_owned(), v2.digest.clone())].into()
    );

    // Delete by digest (table output), then the manifest is gone.
    let by_digest = format!("{alpha}@{}", v2.digest);
    let table = success_stdout(&run(
        &docker_config,
        &["delete", &by_digest, insecure, "-y"],
        None,
    ));
    assert!(
        table.contains("deleted") && table.contains("2.0"),
        "{table}"
    );
    let err = failure_stderr(&run(
        &docker_config,
        &["manifest", &by_digest, insecure],
        None,
    ));
    assert!(err.contains("not found"), "{err}");

    // distribution 2.8 cannot delete a tag alone: the error says so and what to do instead.
    let err = failure_stderr(&run(
        &docker_config,
        &[
            "delete",
            &format!("{addr}/beta:1.0"),
            insecure,
            "--tag-only",
            "--yes",
        ],
        None,
    ));
    assert!(err.contains("refused to delete the tag alone"), "{err}");
    assert!(err.contains("without --tag-only"), "{err}");

    // Logout removes only this registry's entry.
    let out = run(&docker_config, &["logout", addr], None);
    success_stdout(&out);
    let stored: Value = serde_json::from_slice(&std::fs::read(&config_json).unwrap()).unwrap();
    assert!(stored["auths"].get(addr).is_none(), "{stored}");
    assert_eq!(stored["auths"]["other.example"]["auth"], "eDp5");
    assert_eq!(stored["psFormat"], "table {{.ID}}");
    let out = run(&docker_config, &["logout", addr, "-o", "json"], None);
    assert_eq!(json_of(&out)["removed"], false);
    let err = failure_stderr(&run(&docker_config, &["tags", &alpha, insecure], None));
    assert!(err.contains("requires authentication"), "{err}");
}

#[test]
fn deleting_on_a_registry_with_deletes_disabled_names_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let registry =
        DockerRegistry::start(dir.path(), "nodelete", &dir.path().join("data"), false, "");
    let push = Pusher::new(&registry.addr, Box::new(|_| None));
    let pushed = push.image("app", "one", "amd64", &["1.0"]);
    let target = format!("{}/app:1.0", registry.addr);
    let err = failure_stderr(&run(
        dir.path(),
        &["delete", &target, "--insecure", "--yes"],
        None,
    ));
    assert!(err.contains("deletes disabled"), "{err}");
    assert!(err.contains("storage.delete.enabled"), "{err}");
    assert!(
        err.contains("REGISTRY_STORAGE_DELETE_ENABLED=true"),
        "{err}"
    );
    let json = json_of(&run(
        dir.path(),
        &[
            "tags",
            &format!("{}/app", registry.addr),
            "--insecure",
            "-o",
            "json",
        ],
        None,
    ));
    assert_eq!(json[0]["digest"], pushed.digest.as_str(), "still there");
}

#[test]
fn token_flow_against_docker_registry_and_a_real_token_server() {
    let dir = tempfile::tempdir().unwrap();
    let docker_config = dir.path().join("docker");
    std::fs::create_dir(&docker_config).unwrap();
    let cert = dir.path().join("token-signer.pem");
    let tokens = TokenServer::start_with_refresh_tokens(
        &[("bob", "bob-password")],
        &[("bob-refresh-token", "bob")],
        &cert,
    );
    let auth = format!(
        "auth:\n  token:\n    realm: {}\n    service: {SERVICE}\n    issuer: {ISSUER}\n    \
         rootcertbundle: {}\n",
        tokens.realm,
        cert.display()
    );
    let registry =
        DockerRegistry::start(dir.path(), "token", &dir.path().join("data"), true, &auth);
    let addr = registry.addr.clone();
    let minted = {
        let realm_tokens = &tokens;
        let mut by_repo = BTreeMap::new();
        for repo in ["app", "lib/one", "lib/two"] {
            let scope = format!("repository:{repo}:push,pull");
            by_repo.insert(
                repo.to_owned(),
                realm_tokens.mint("pusher", &[scope.as_str()]),
            );
        }
        by_repo
    };
    let push = Pusher::new(
        &addr,
        Box::new(move |repo| minted.get(repo).map(|t| format!("Bearer {t}"))),
    );
    let app = push.image("app", "one", "amd64", &["1.0", "stable"]);
    push.image("lib/one", "one", "amd64", &["1.0"]);
    push.image("lib/two", "one", "amd64", &["1.0"]);
    let creds = ["--insecure", "-u", "bob", "--password-stdin"];
    let runs = |args: &[&str], stdin: Option<&str>| {
        let all: Vec<&str> = args.iter().chain(creds.iter()).copied().collect();
        run(&docker_config, &all, stdin)
    };

    // Wrong password: the token server refuses, the message names the user.
    let err = failure_stderr(&runs(&["catalog", &addr], Some("nope")));
    assert!(
        err.contains("rejected the credentials of user `bob`"),
        "{err}"
    );

    let json = json_of(&runs(
        &["catalog", &addr, "-n", "1", "-o", "json"],
        Some("bob-password"),
    ));
    assert_eq!(
        json,
        serde_json::json!([{"repository": "app"}, {"repository": "lib/one"}, {"repository": "lib/two"}])
    );
    let requests = tokens.requests();
    let catalog_requests: Vec<_> = requests
        .iter()
        .filter(|r| r.granted && r.scopes.iter().any(|s| s == "registry:catalog:*"))
        .collect();
    assert_eq!(
        catalog_requests.len(),
        1,
        "one token reused for every page: {requests:?}"
    );
    assert_eq!(catalog_requests[0].user.as_deref(), Some("bob"));
    assert_eq!(catalog_requests[0].service.as_deref(), Some(SERVICE));

    let json = json_of(&runs(
        &["tags", &format!("{addr}/app"), "-o", "json"],
        Some("bob-password"),
    ));
    assert_eq!(
        tag_digests(&json),
        [
            ("1.0".to_owned(), app.digest.clone()),
            ("stable".to_owned(), app.digest.clone())
        ]
        .into()
    );

    // Delete needs a token with the `delete` action for the repository.
    let outcome = json_of(&runs(
        &[
            "delete",
            &format!("{addr}/app:stable"),
            "--yes",
            "-o",
            "json",
        ],
        Some("bob-password"),
    ));
    assert_eq!(outcome["tags"], serde_json::json!(["1.0", "stable"]));
    assert!(tokens.requests().iter().any(|r| r.granted
        && r.scopes
            .iter()
            .any(|s| s.starts_with("repository:app:") && s.contains("delete"))));
    let json = json_of(&runs(
        &["tags", &format!("{addr}/app"), "-o", "json"],
        Some("bob-password"),
    ));
    assert_eq!(json, serde_json::json!([]));

    // Login through the token flow, then the stored credentials drive the flow.
    let out = run(
        &docker_config,
        &[
            "login",
            &addr,
            "--insecure",
            "-u",
            "bob",
            "--password-stdin",
        ],
        Some("bob-password"),
    );
    success_stdout(&out);
    let json = json_of(&run(
        &docker_config,
        &["catalog", &addr, "--insecure", "-o", "json"],
        None,
    ));
    assert_eq!(json.as_array().unwrap().len(), 3);

    // An identity token (docker's OAuth2 refresh token) is exchanged with the POST grant.
    std::fs::write(
        docker_config.join("config.json"),
        serde_json::to_vec(&serde_json::json!({
            "auths": {addr.clone(): {"identitytoken": "bob-refresh-token"}}
        }))
        .unwrap(),
    )
    .unwrap();
    let json = json_of(&run(
        &docker_config,
        &[
            "tags",
            &format!("{addr}/lib/one"),
            "--insecure",
            "-o",
            "json",
        ],
        None,
    ));
    assert_eq!(json[0]["tag"], "1.0");
    assert!(tokens.requests().iter().any(|r| r.granted
        && r.refresh
        && r.user.as_deref() == Some("bob")
        && r.scopes == ["repository:lib/one:pull"]));
}

#[test]
fn credential_helpers_store_get_and_erase() {
    let dir = tempfile::tempdir().unwrap();
    let docker_config = dir.path().join("docker");
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&docker_config).unwrap();
    std::fs::create_dir_all(&bin).unwrap();
    // A helper speaking docker's credential-helper protocol, keeping one entry per file.
    let store = dir.path().join("store");
    std::fs::create_dir(&store).unwrap();
    let helper = bin.join("docker-credential-regctltest");
    std::fs::write(
        &helper,
        format!(
            r#"#!/bin/sh
store={store}
input=$(cat)
case "$1" in
  store)
    server=$(printf '%s' "$input" | sed 's/.*"ServerURL":"\([^"]*\)".*/\1/')
    printf '%s' "$input" > "$store/$(printf '%s' "$server" | tr '/:' '__')" ;;
  get)
    file="$store/$(printf '%s' "$input" | tr '/:' '__')"
    if [ -f "$file" ]; then cat "$file"; else echo "credentials not found in native keychain"; exit 1; fi ;;
  erase)
    file="$store/$(printf '%s' "$input" | tr '/:' '__')"
    if [ -f "$file" ]; then rm "$file"; else echo "credentials not found in native keychain"; exit 1; fi ;;
esac
"#,
            store = store.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::write(
        docker_config.join("config.json"),
        r#"{"credsStore":"regctltest"}"#,
    )
    .unwrap();
    let auth = htpasswd_auth(dir.path(), &[(USER, PASSWORD)]);
    let registry =
        DockerRegistry::start(dir.path(), "helper", &dir.path().join("data"), true, &auth);
    let addr = registry.addr.as_str();
    Pusher::basic(addr, USER, PASSWORD).image("app", "one", "amd64", &["1.0"]);
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let helper_run = |args: &[&str], stdin: Option<&str>| {
        let mut cmd = regctl();
        cmd.args(args)
            .env("DOCKER_CONFIG", &docker_config)
            .env("PATH", &path)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
        }
        child.wait_with_output().unwrap()
    };

    let out = helper_run(
        &["login", addr, "--insecure", "-u", USER, "--password-stdin"],
        Some(PASSWORD),
    );
    success_stdout(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("docker-credential-regctltest"), "{stderr}");
    let stored_file = store.join(addr.replace(':', "_"));
    let stored: Value = serde_json::from_slice(&std::fs::read(&stored_file).unwrap()).unwrap();
    assert_eq!(stored["ServerURL"], addr);
    assert_eq!(stored["Username"], USER);
    assert_eq!(stored["Secret"], PASSWORD);
    let config: Value =
        serde_json::from_slice(&std::fs::read(docker_config.join("config.json")).unwrap()).unwrap();
    assert_eq!(
        config["auths"][addr],
        serde_json::json!({}),
        "no secret in the file"
    );
    assert_eq!(config["credsStore"], "regctltest");

    let json = json_of(&helper_run(
        &[
            "tags",
            &format!("{addr}/app"),
            "--insecure",
            "--names-only",
            "-o",
            "json",
        ],
        None,
    ));
    assert_eq!(json, serde_json::json!([{"tag": "1.0"}]));

    success_stdout(&helper_run(&["logout", addr], None));
    assert!(!stored_file.exists(), "helper erase was called");
    let err = failure_stderr(&helper_run(
        &["tags", &format!("{addr}/app"), "--insecure"],
        None,
    ));
    assert!(err.contains("requires authentication"), "{err}");
}

#[test]
fn untrusted_certificate_error_and_ca_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "regctl test CA");
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf_params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
    let ca_path = dir.path().join("ca.pem");
    std::fs::write(&ca_path, ca_cert.pem()).unwrap();
    std::fs::write(dir.path().join("server.pem"), leaf.pem()).unwrap();
    std::fs::write(dir.path().join("server.key"), leaf_key.serialize_pem()).unwrap();
    let tls = format!(
        "  tls:\n    certificate: {}\n    key: {}\n",
        dir.path().join("server.pem").display(),
        dir.path().join("server.key").display()
    );
    let registry = DockerRegistry::start(dir.path(), "tls", &dir.path().join("data"), true, &tls);
    let addr = registry.addr.as_str();

    let err = failure_stderr(&run(dir.path(), &["catalog", addr], None));
    assert!(err.contains("not trusted"), "{err}");
    assert!(err.contains("unknown authority"), "{err}");
    assert!(err.contains("--ca-file"), "{err}");
    assert!(
        err.contains(&format!("regctl client-setup {addr} --ca-file")),
        "{err}"
    );
    let ca = ca_path.to_str().unwrap();
    let by_name = format!("localhost:{}", addr.rsplit_once(':').unwrap().1);
    let err = failure_stderr(&run(
        dir.path(),
        &["catalog", &by_name, "--ca-file", ca],
        None,
    ));
    assert!(err.contains("not valid for the name localhost"), "{err}");
    let json = json_of(&run(
        dir.path(),
        &["catalog", addr, "--ca-file", ca, "-o", "json"],
        None,
    ));
    assert_eq!(json, serde_json::json!([]));
    let json = json_of(&run(
        dir.path(),
        &["catalog", addr, "--insecure", "-o", "json"],
        None,
    ));
    assert_eq!(json, serde_json::json!([]));
}
