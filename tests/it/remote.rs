//! The client commands (`catalog`, `tags`, `manifest`, `delete`, `login`, `logout`) against two
//! real registries: Debian's `docker-registry` (distribution 2.8) and `regctl serve`, both started
//! from the same config.yml with htpasswd auth (bcrypt). Each scenario is a function of the
//! [`Flavor`] and runs once per registry; where the registries legitimately differ (deleting a tag
//! alone) the scenario asserts each one's behaviour. The token flow runs against docker-registry
//! only: `regctl serve` has no token auth.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use base64::Engine as _;
use serde_json::Value;
use sha2::Digest as _;

use crate::common::docker_registry::DockerRegistry;
use crate::common::pki::TestCa;
use crate::common::server::Server;
use crate::common::{free_port, regctl, require_tool, success_stdout};
use crate::token_server::{TokenServer, ISSUER, SERVICE};

const USER: &str = "alice";
const PASSWORD: &str = "correct horse battery";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// Runs each scenario once against each registry, as `remote::SCENARIO::docker_registry` and
/// `remote::SCENARIO::regctl_serve`.
macro_rules! against_both_registries {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            #[test]
            fn docker_registry() {
                super::$scenario(super::Flavor::DockerRegistry);
            }

            #[test]
            fn regctl_serve() {
                super::$scenario(super::Flavor::RegctlServe);
            }
        }
    )*};
}

against_both_registries!(
    plain_http_and_missing_credentials_are_explained,
    catalog_pages_limit_and_tag_counts,
    default_registry_from_the_local_config,
    tags_table_json_names_and_details,
    manifests_and_index_platforms,
    delete_by_tag_and_by_digest,
    delete_tag_only,
    deletes_disabled_names_the_setting,
    login_and_logout_with_htpasswd,
    credential_helpers_store_get_and_erase,
    untrusted_certificate_error_and_ca_file,
    progress_bar_only_on_a_terminal,
    containers_auth_json_credentials,
    tables_fit_80_columns_and_show_image_sizes,
);

/// A refused connection and an unknown host are one line each that says what to check, not
/// hyper's cause chain.
#[test]
fn connection_errors_say_what_to_check() {
    let dir = tempfile::tempdir().unwrap();
    // A port nothing listens on (free_port hands out each port once, outside the kernel's range).
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let err = failure_stderr(&run(dir.path(), &["catalog", &addr, "--insecure"], None));
    assert!(
        err.contains(&format!(
            "nothing listens on {addr}; is `regctl serve` running"
        )),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    let err = failure_stderr(&run(
        dir.path(),
        &["tags", "no-such-host.invalid:5000/app"],
        None,
    ));
    assert!(
        err.contains("cannot resolve the host name no-such-host.invalid"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

/// Credentials a podman/skopeo user logged in with (`skopeo login --authfile`) are found through
/// `$REGISTRY_AUTH_FILE`, and `-v` names the file.
fn containers_auth_json_credentials(flavor: Flavor) {
    let fx = Fixture::start(flavor);
    let addr = fx.addr();
    let err = failure_stderr(&fx.run(&["catalog", addr, "--insecure"]));
    assert!(err.contains("requires authentication"), "{err}");
    let auth = fx.docker_config.join("containers-auth.json");
    let mut child = Command::new("skopeo")
        .args(["login", "--tls-verify=false", "--authfile"])
        .arg(&auth)
        .args(["-u", USER, "--password-stdin", addr])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn skopeo");
    {
        use std::io::Write as _;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(PASSWORD.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run_env(
        &fx.docker_config,
        &["catalog", addr, "--insecure", "-v", "-o", "json"],
        None,
        &[("REGISTRY_AUTH_FILE", &auth)],
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(json_of(&out), serde_json::json!([]), "{stderr}");
    assert!(
        stderr.contains(&format!("credentials for {addr} from {}", auth.display())),
        "{stderr}"
    );
}

/// The registry under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavor {
    /// Debian's `docker-registry` (distribution 2.8.2).
    DockerRegistry,
    /// Our own `regctl serve`.
    RegctlServe,
}

impl Flavor {
    fn name(self) -> &'static str {
        match self {
            Self::DockerRegistry => "docker-registry",
            Self::RegctlServe => "regctl-serve",
        }
    }
}

/// How the registry authenticates.
enum Auth {
    /// `auth.htpasswd` with this file.
    Htpasswd(PathBuf),
    /// A whole `auth:` section (the token flow).
    Section(String),
}

/// What goes into the registry's config.yml besides storage and address.
struct Setup {
    delete: bool,
    auth: Auth,
    /// `http.tls` certificate and key.
    tls: Option<(PathBuf, PathBuf)>,
}

/// Each is killed by its own `Drop`.
enum Process {
    DockerRegistry { _registry: DockerRegistry },
    RegctlServe { _server: Server },
}

/// A registry process started from a config.yml both registries read; killed when dropped.
struct TestRegistry {
    addr: String,
    /// The config.yml it was started with (also what `regctl -c` reads).
    config: PathBuf,
    _process: Process,
}

impl TestRegistry {
    fn start(flavor: Flavor, dir: &Path, setup: &Setup) -> Self {
        let addr = format!("127.0.0.1:{}", free_port());
        let root = dir.join(format!("{}-data", flavor.name()));
        let config = dir.join(format!("{}.yml", flavor.name()));
        let mut yaml = format!(
            "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\n\
             storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: {}\n\
             http:\n  addr: {addr}\n",
            root.display(),
            setup.delete
        );
        if let Some((cert, key)) = &setup.tls {
            yaml.push_str(&format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                cert.display(),
                key.display()
            ));
        }
        match &setup.auth {
            Auth::Htpasswd(path) => yaml.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: regctl-test\n    path: {}\n",
                path.display()
            )),
            Auth::Section(section) => yaml.push_str(section),
        }
        std::fs::write(&config, yaml).unwrap();
        let process = match flavor {
            Flavor::DockerRegistry => Process::DockerRegistry {
                _registry: DockerRegistry::start_with_config(&config, &addr),
            },
            Flavor::RegctlServe => {
                let config = config.to_str().unwrap();
                let log = dir.join(format!("{}.log", flavor.name()));
                let log_file = std::fs::File::create(&log).unwrap();
                let server =
                    Server::start_with_stderr(&["serve", "-c", config], &[], log_file.into());
                assert_eq!(server.addr, addr, "regctl serve listens on http.addr");
                assert!(
                    server.ready_line.contains("auth on"),
                    "{}",
                    server.ready_line
                );
                Process::RegctlServe { _server: server }
            }
        };
        Self {
            addr,
            config,
            _process: process,
        }
    }
}

/// An htpasswd file written with the `bcrypt` crate (registry:2 accepts only bcrypt).
fn write_htpasswd(dir: &Path, users: &[(&str, &str)]) -> PathBuf {
    let path = dir.join("htpasswd");
    let mut text = String::new();
    for (user, password) in users {
        let hash = bcrypt::hash(password, 5).unwrap();
        text.push_str(&format!("{user}:{hash}\n"));
    }
    std::fs::write(&path, text).unwrap();
    path
}

/// A registry of one flavor with htpasswd auth (user alice), a docker config directory of its
/// own, and a temporary directory for everything; the registry stops first when dropped.
struct Fixture {
    registry: TestRegistry,
    docker_config: PathBuf,
    dir: tempfile::TempDir,
}

impl Fixture {
    fn start(flavor: Flavor) -> Self {
        Self::start_with(flavor, true, None)
    }

    fn start_with(flavor: Flavor, delete: bool, tls: Option<(PathBuf, PathBuf)>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let docker_config = dir.path().join("docker");
        std::fs::create_dir(&docker_config).unwrap();
        let setup = Setup {
            delete,
            auth: Auth::Htpasswd(write_htpasswd(dir.path(), &[(USER, PASSWORD)])),
            tls,
        };
        let registry = TestRegistry::start(flavor, dir.path(), &setup);
        Self {
            registry,
            docker_config,
            dir,
        }
    }

    fn addr(&self) -> &str {
        &self.registry.addr
    }

    /// `ADDR/PATH`.
    fn at(&self, path: &str) -> String {
        format!("{}/{path}", self.addr())
    }

    fn run(&self, args: &[&str]) -> Output {
        run(&self.docker_config, args, None)
    }

    fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Output {
        run(&self.docker_config, args, Some(stdin))
    }

    /// Runs as alice (`-u alice --password-stdin`) over plain HTTP (`--insecure`).
    fn run_as_alice(&self, args: &[&str]) -> Output {
        let mut all = args.to_vec();
        all.extend(["--insecure", "-u", USER, "--password-stdin"]);
        self.run_with_stdin(&all, PASSWORD)
    }

    /// `regctl login` as alice: later commands use the stored credentials.
    fn login(&self) {
        success_stdout(&self.run_with_stdin(
            &[
                "login",
                self.addr(),
                "--insecure",
                "-u",
                USER,
                "--password-stdin",
            ],
            PASSWORD,
        ));
    }

    fn pusher(&self) -> Pusher {
        Pusher::basic(self.addr(), USER, PASSWORD)
    }

    fn config_json(&self) -> PathBuf {
        self.docker_config.join("config.json")
    }
}

/// The repositories [`push_standard_images`] creates, in catalog order.
const ALL_REPOS: [&str; 6] = ["alpha", "beta", "multi", "team/delta", "team/gamma", "zeta"];

/// What [`push_standard_images`] pushed.
struct Images {
    /// `alpha:1.0` and `alpha:latest`.
    v1: Pushed,
    /// `alpha:2.0`.
    v2: Pushed,
    /// `beta:1.0`, with Docker schema 2 media types (what `docker push` writes).
    beta: Pushed,
    /// `multi:v1`, an index of `amd64` and `arm64`.
    index: Pushed,
    amd64: Pushed,
    arm64: Pushed,
}

/// alpha (3 tags on 2 manifests), beta (Docker media types), team/delta, team/gamma, zeta (one tag
/// each) and multi (an index): more repositories than one catalog page of 2.
fn push_standard_images(push: &Pusher) -> Images {
    let v1 = push.image("alpha", "one", "amd64", &["1.0", "latest"]);
    let v2 = push.image("alpha", "two", "amd64", &["2.0"]);
    let beta = push.image_as(&DOCKER, "beta", "one", "amd64", &["1.0"]);
    for repo in ["team/delta", "team/gamma", "zeta"] {
        push.image(repo, "one", "amd64", &["1.0"]);
    }
    let (index, amd64, arm64) = push.index("multi", "v1");
    Images {
        v1,
        v2,
        beta,
        index,
        amd64,
        arm64,
    }
}

/// A digest as tables show it: `sha256:` and 12 hex digits.
fn short(digest: &str) -> &str {
    &digest[..19]
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

/// The media types of an image manifest, its config and its layers.
struct MediaTypes {
    manifest: &'static str,
    config: &'static str,
    layer: &'static str,
}

const OCI: MediaTypes = MediaTypes {
    manifest: OCI_MANIFEST,
    config: "application/vnd.oci.image.config.v1+json",
    layer: "application/vnd.oci.image.layer.v1.tar+gzip",
};

/// What `docker push` writes.
const DOCKER: MediaTypes = MediaTypes {
    manifest: DOCKER_MANIFEST,
    config: "application/vnd.docker.container.image.v1+json",
    layer: "application/vnd.docker.image.rootfs.diff.tar.gzip",
};

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
        self.image_as(&OCI, repo, seed, arch, tags)
    }

    /// [`Pusher::image`] with the media types of `format`.
    fn image_as(
        &self,
        format: &MediaTypes,
        repo: &str,
        seed: &str,
        arch: &str,
        tags: &[&str],
    ) -> Pushed {
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
            "mediaType": format.manifest,
            "config": {
                "mediaType": format.config,
                "digest": config_digest,
                "size": config.len(),
            },
            "layers": [{
                "mediaType": format.layer,
                "digest": layer_digest,
                "size": layer.len(),
            }],
        }))
        .unwrap();
        let digest = sha256(&manifest);
        if tags.is_empty() {
            self.manifest(repo, &digest, format.manifest, &manifest);
        }
        for tag in tags {
            self.manifest(repo, tag, format.manifest, &manifest);
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

/// Runs regctl with an isolated docker config directory (also the working directory, so no
/// `./config.yml` is found) and optional stdin; stdout and stderr are pipes.
fn run(docker_config: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    run_env(docker_config, args, stdin, &[])
}

/// [`run`] with extra environment variables.
fn run_env(
    docker_config: &Path,
    args: &[&str],
    stdin: Option<&str>,
    env: &[(&str, &Path)],
) -> Output {
    let mut cmd = regctl();
    cmd.envs(env.iter().copied());
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

fn repositories_of(json: &Value) -> Vec<&str> {
    json.as_array()
        .unwrap()
        .iter()
        .map(|r| r["repository"].as_str().unwrap())
        .collect()
}

fn plain_http_and_missing_credentials_are_explained(flavor: Flavor) {
    let fx = Fixture::start(flavor);
    let addr = fx.addr();

    // Plain HTTP registry, HTTPS client: the error every guide hits, with both fixes.
    let err = failure_stderr(&fx.run(&["catalog", addr]));
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
    let err = failure_stderr(&fx.run(&["catalog", addr, "--insecure"]));
    assert!(err.contains("requires authentication"), "{err}");
    assert!(err.contains(&format!("regctl login {addr}")), "{err}");

    // Wrong password: the message names the user.
    let err = failure_stderr(&fx.run_with_stdin(
        &[
            "tags",
            &fx.at("alpha"),
            "--insecure",
            "-u",
            USER,
            "--password-stdin",
        ],
        "wrong",
    ));
    assert!(
        err.contains("rejected the credentials of user `alice`"),
        "{err}"
    );
}

fn catalog_pages_limit_and_tag_counts(flavor: Flavor) {
    let fx = Fixture::start(flavor);
    push_standard_images(&fx.pusher());
    let addr = fx.addr();

    // Pages of 2 (more repositories than one page), table and JSON.
    let table = success_stdout(&fx.run_as_alice(&["catalog", addr, "--page-size", "2"]));
    assert!(table.contains("REPOSITORY"), "{table}");
    for repo in ALL_REPOS {
        assert!(table.contains(repo), "{repo} missing from\n{table}");
    }
    let json = json_of(&fx.run_as_alice(&["catalog", addr, "-n", "2", "-o", "json"]));
    assert_eq!(repositories_of(&json), ALL_REPOS);
    let json = json_of(&fx.run_as_alice(&["catalog", addr, "-o", "json"]));
    assert_eq!(
        repositories_of(&json),
        ALL_REPOS,
        "the registry's own page size"
    );

    // --limit stops in the middle of a page and across pages.
    let json =
        json_of(&fx.run_as_alice(&["catalog", addr, "-n", "2", "--limit", "3", "-o", "json"]));
    assert_eq!(repositories_of(&json), ALL_REPOS[..3]);
    let json = json_of(&fx.run_as_alice(&["catalog", addr, "--limit", "4", "-o", "json"]));
    assert_eq!(repositories_of(&json), ALL_REPOS[..4]);

    // --count-tags, JSON and table.
    let json = json_of(&fx.run_as_alice(&["catalog", addr, "--count-tags", "-o", "json"]));
    assert_eq!(
        json,
        serde_json::json!([
            {"repository": "alpha", "tags": 3},
            {"repository": "beta", "tags": 1},
            {"repository": "multi", "tags": 1},
            {"repository": "team/delta", "tags": 1},
            {"repository": "team/gamma", "tags": 1},
            {"repository": "zeta", "tags": 1},
        ])
    );
    let table = success_stdout(&fx.run_as_alice(&["catalog", addr, "--count-tags", "-n", "4"]));
    assert!(table.contains("TAGS"), "{table}");
    let alpha_row = table.lines().find(|l| l.contains("alpha")).unwrap();
    assert!(alpha_row.contains('3'), "{table}");
}

fn default_registry_from_the_local_config(flavor: Flavor) {
    let fx = Fixture::start(flavor);
    push_standard_images(&fx.pusher());
    let config = fx.registry.config.to_str().unwrap();
    let creds = ["-u", USER, "--password-stdin"];

    // No registry named: the one the config serves, over the plain HTTP it says (no --insecure).
    let mut args = vec!["catalog", "-c", config, "-o", "json"];
    args.extend(creds);
    let json = json_of(&fx.run_with_stdin(&args, PASSWORD));
    assert_eq!(repositories_of(&json), ALL_REPOS);

    // Named explicitly, the registry the local config serves keeps its plain HTTP.
    let mut args = vec!["tags", "-c", config, "-o", "json"];
    let alpha = fx.at("alpha");
    args.push(&alpha);
    args.extend(creds);
    let json = json_of(&fx.run_with_stdin(&args, PASSWORD));
    assert_eq!(json.as_array().unwrap().len(), 3);

    // The same through $REGCTL_CONFIG.
    let mut cmd = regctl();
    cmd.args(["catalog", "--count-tags", "-u", USER, "--password-stdin"])
        .env("REGCTL_CONFIG", config)
        .env("DOCKER_CONFIG", &fx.docker_config)
        .current_dir(&fx.docker_config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(PASSWORD.as_bytes())
        .unwrap();
    let table = success_stdout(&child.wait_with_output().unwrap());
    assert!(table.contains("team/gamma"), "{table}");

    // Without a config and without a registry: an error naming both ways out.
    let err = failure_stderr(&fx.run(&["catalog"]));
    assert!(err.contains("no registry given"), "{err}");
    assert!(err.contains("-c config.yml"), "{err}");
}

fn tags_table_json_names_and_details(flavor: Flavor) {
    let fx = Fixture::start(flavor);
    let images = push_standard_images(&fx.pusher());
    let alpha = fx.at("alpha");

    let json = json_of(&fx.run_as_alice(&["tags", &alpha, "-o", "json"]));
    let expected: BTreeMap<String, String> = [
        ("1.0".to_owned(), images.v1.digest.clone()),
        ("2.0".to_owned(), images.v2.digest.clone()),
        ("latest".to_owned(), images.v1.digest.clone()),
    ]
    .into();
    assert_eq!(tag_digests(&json), expected);
    for tag in json.as_array().unwrap() {
        assert_eq!(tag["media_type"], OCI_MANIFEST);
    }
    assert_eq!(json[0]["tag"], "1.0", "sorted");
    assert_eq!(json[0]["size"], images.v1.bytes.len());
    assert_eq!(json[1]["size"], images.v2.bytes.len());

    // Pages of 1 and --limit give the same sorted tags.
    let json =
        json_of(&fx.run_as_alice(&["tags", &alpha, "-n", "1", "--names-only", "-o", "json"]));
    assert_eq!(
        json,
        serde_json::json!([{"tag": "1.0"}, {"tag": "2.0"}, {"tag": "latest"}])
    );
    // --limit keeps the first tags in lexical order, also where the registry lists them in
    // directory order in one page (distribution 2.8 ignores `n` for tags).
    for limit_args in [&["--limit", "2"][..], &["--limit", "2", "-n", "1"]] {
        let mut args = vec!["tags", alpha.as_str(), "--names-only", "-o", "json"];
        args.extend(limit_args);
        let json = json_of(&fx.run_as_alice(&args));
        assert_eq!(
            json,
            serde_json::json!([{"tag": "1.0"}, {"tag": "2.0"}]),
            "{limit_args:?}"
        );
    }

    // The table shows short digests and media types, and the image's size (config + layers).
    let table = success_stdout(&fx.run_as_alice(&["tags", &alpha]));
    assert!(
        table.contains("MEDIA TYPE") && table.contains(&format!("{} ", short(&images.v2.digest))),
        "{table}"
    );
    assert!(!table.contains(&images.v2.digest), "{table}");
    assert!(table.contains("oci manifest"), "{table}");
    assert!(
        table.contains(&bytesize::ByteSize::b(images.v2.image_size as u64).to_string()),
        "{table}"
    );
    let table = success_stdout(&fx.run_as_alice(&["tags", &alpha, "--wide"]));
    assert!(
        table.contains(&images.v2.digest) && table.contains(OCI_MANIFEST),
        "{table}"
    );
    let table = success_stdout(&fx.run_as_alice(&["tags", &alpha, "--names-only"]));
    assert!(table.contains("latest"), "{table}");
    assert!(!table.contains("sha256:"), "{table}");

    // --details reads each image's config: creation time and total size.
    let json = json_of(&fx.run_as_alice(&["tags", &alpha, "--details", "-o", "json"]));
    assert_eq!(json[0]["created"], "2024-01-02T03:04:05Z");
    assert_eq!(json[0]["image_size"], images.v1.image_size);
    assert_eq!(json[1]["image_size"], images.v2.image_size);
    let table = success_stdout(&fx.run_as_alice(&["tags", &fx.at("multi"), "--details"]));
    assert!(
        table.contains("CREATED") && table.contains(short(&images.index.digest)),
        "{table}"
    );
    // An index is sized by its platforms.
    assert!(table.contains("2 platforms"), "{table}");
    let table = success_stdout(&fx.run_as_alice(&["tags", &alpha, "--details"]));
    assert!(table.contains("2024-01-02"), "{table}");

    // Docker schema 2 manifests keep their media type and digest (HEAD with the full Accept list).
    let json = json_of(&fx.run_as_alice(&["tags", &fx.at("beta"), "--details", "-o", "json"]));
    assert_eq!(json[0]["media_type"], DOCKER_MANIFEST);
    assert_eq!(json[0]["digest"], images.beta.digest.as_str());
    assert_eq!(json[0]["image_size"], images.beta.image_size);

    // Piped (stdout is not a terminal here): plain columns, no box borders.
    let piped = success_stdout(&fx.run_as_alice(&["tags", &fx.at("beta")]));
    assert!(piped.starts_with("TAG "), "{piped}");
    assert!(
        !piped.contains(['│', '─', '┌', '╞', '|']),
        "borders in piped output:\n{piped}"
    );
    assert!(piped.lines().nth(1).unwrap().starts_with("1.0 "), "{piped}");

    let err = failure_stderr(&fx.run_as_alice(&["tags", &fx.at("nope")]));
    assert!(
        err.contains("repository nope") && err.contains("not found"),
        "{err}"
    );
}

fn manifests_and_index_platforms(flavor: Flavor) {
    let fx = Fixture::start(flavor);
    let images = push_standard_images(&fx.pusher());

    // Exact bytes with -o json, the platform's child of an index, a summary table.
    let multi = fx.at("multi:v1");
    let out = fx.run_as_alice(&["manifest", &multi, "-o", "json"]);
    assert_eq!(
        success_stdout(&out).trim_end().as_bytes(),
        images.index.bytes.as_slice()
    );
    for (platform, child) in [
        ("linux/arm64", &images.arm64),
        ("linux/arm64/v8", &images.arm64),
        ("linux/amd64", &images.amd64),
    ] {
        let out = fx.run_as_alice(&["manifest", &multi, "--platform", platform, "-o", "json"]);
        assert_eq!(
            success_stdout(&out).trim_end().as_bytes(),
            child.bytes.as_slice(),
            "{platform}"
        );
    }
    let err = failure_stderr(&fx.run_as_alice(&["manifest", &multi, "--platform", "linux/s390x"]));
    assert!(err.contains("linux/amd64, linux/arm64/v8"), "{err}");
    let table = success_stdout(&fx.run_as_alice(&["manifest", &multi]));
    assert!(
        table.contains("linux/arm64/v8") && table.contains(short(&images.arm64.digest)),
        "{table}"
    );
    assert!(
        table.contains(&images.index.digest),
        "the Name line: {table}"
    );
    let table = success_stdout(&fx.run_as_alice(&["manifest", &multi, "--wide"]));
    assert!(
        table.contains(&images.arm64.digest) && table.contains(OCI_MANIFEST),
        "{table}"
    );
    // -q: the manifest's digest alone.
    let quiet = success_stdout(&fx.run_as_alice(&["manifest", &multi, "-q"]));
    assert_eq!(quiet, format!("{}\n", images.index.digest));

    // An image by digest: its config and layer in the table; --platform is a no-op on an image.
    let by_digest = fx.at(&format!("alpha@{}", images.v2.digest));
    let table = success_stdout(&fx.run_as_alice(&["manifest", &by_digest]));
    assert!(
        table.contains("layer 1") && table.contains("config"),
        "{table}"
    );
    let out = fx.run_as_alice(&[
        "manifest",
        &by_digest,
        "--platform",
        "linux/amd64",
        "-o",
        "json",
    ]);
    assert_eq!(
        success_stdout(&out).trim_end().as_bytes(),
        images.v2.bytes.as_slice()
    );
    let out = fx.run_as_alice(&["manifest", &fx.at("beta:1.0"), "-o", "json"]);
    assert_eq!(
        success_stdout(&out).trim_end().as_bytes(),
        images.beta.bytes.as_slice()
    );
    let table = success_stdout(&fx.run_as_alice(&["manifest", &fx.at("beta:1.0")]));
    assert!(
        table.contains(DOCKER_MANIFEST) && table.contains("docker config"),
        "{table}"
    );
    let err = failure_stderr(&fx.run_as_alice(&["manifest", &fx.at("alpha:9.9")]));
    assert!(
        err.contains("manifest alpha:9.9") && err.contains("not found"),
        "{err}"
    );
    // The tag is missing, not the repository: say so, with tags that exist.
    assert!(
        err.contains("not found; the repository exists, with tags "),
        "{err}"
    );
    assert!(err.contains("regctl tags"), "{err}");
    let err = failure_stderr(&fx.run_as_alice(&["manifest", &fx.at("nope:1.0")]));
    assert!(
        err.contains(&format!(
            "repository nope on {} not found; `regctl catalog",
            fx.addr()
        )),
        "{err}"
    );
}

fn delete_by_tag_and_by_digest(flavor: Flavor) {
    let fx = Fixture::start(flavor);
    let images = push_standard_images(&fx.pusher());
    fx.login();
    let alpha = fx.at("alpha");

    // The plan names every tag on the digest; dry run and no TTY change nothing.
    let target = fx.at("alpha:1.0");
    let out = fx.run(&["delete", &target, "--insecure", "--dry-run"]);
    let table = success_stdout(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&images.v1.digest), "{stderr}");
    assert!(stderr.contains("2 tags with it: 1.0, latest"), "{stderr}");
    assert!(table.contains("would be deleted"), "{table}");
    let outcome = json_of(&fx.run(&["delete", &target, "--insecure", "--dry-run", "-o", "json"]));
    assert_eq!(outcome["dry_run"], true);
    assert_eq!(outcome["deleted"], false);
    let err = failure_stderr(&fx.run(&["delete", &target, "--insecure"]));
    assert!(err.contains("--yes"), "{err}");
    let json = json_of(&fx.run(&["tags", &alpha, "--insecure", "-o", "json"]));
    assert_eq!(json.as_array().unwrap().len(), 3, "nothing deleted yet");

    // Delete by tag (JSON): the manifest goes, and every tag on it.
    let outcome = json_of(&fx.run(&["delete", &target, "--insecure", "--yes", "-o", "json"]));
    assert_eq!(outcome["digest"], images.v1.digest.as_str());
    assert_eq!(outcome["tags"], serde_json::json!(["1.0", "latest"]));
    assert_eq!(outcome["tag_only"], false);
    assert_eq!(outcome["deleted"], true);
    let json = json_of(&fx.run(&["tags", &alpha, "--insecure", "-o", "json"]));
    assert_eq!(
        tag_digests(&json),
        [("2.0".to_owned(), images.v2.digest.clone())].into()
    );
    let err = failure_stderr(&fx.run(&[
        "manifest",
        &fx.at(&format!("alpha@{}", images.v1.digest)),
        "--insecure",
    ]));
    assert!(err.contains("not found"), "{err}");

    // Delete by digest (table output), then the manifest is gone.
    let by_digest = fx.at(&format!("alpha@{}", images.v2.digest));
    let table = success_stdout(&fx.run(&["delete", &by_digest, "--insecure", "-y"]));
    assert!(
        table.contains("deleted") && table.contains("2.0"),
        "{table}"
    );
    let err = failure_stderr(&fx.run(&["manifest", &by_digest, "--insecure"]));
    assert!(err.contains("not found"), "{err}");
    let json = json_of(&fx.run(&["tags", &alpha, "--insecure", "-o", "json"]));
    assert_eq!(json, serde_json::json!([]));

    // Deleting what is not there.
    let err = failure_stderr(&fx.run(&["delete", &target, "--insecure", "--yes"]));
    assert!(err.contains("not found"), "{err}");
    let err = failure_stderr(&fx.run(&["delete", &by_digest, "--insecure", "--yes"]));
    assert!(
        err.contains(&format!("manifest alpha@{}", images.v2.digest)) && err.contains("not found"),
        "{err}"
    );
}

fn delete_tag_only(flavor: Flavor) {
    let fx = Fixture::start(flavor);
    let images = push_standard_images(&fx.pusher());
    fx.login();
    let alpha = fx.at("alpha");
    let latest = fx.at("alpha:latest");

    let out = fx.run(&["delete", &latest, "--insecure", "--tag-only", "--dry-run"]);
    let table = success_stdout(&out);
    assert!(table.contains("tag would be deleted"), "{table}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("its manifest and other tags stay"),
        "{stderr}"
    );
    let err = failure_stderr(&fx.run(&[
        "delete",
        &fx.at(&format!("alpha@{}", images.v1.digest)),
        "--insecure",
        "--tag-only",
        "--yes",
    ]));
    assert!(err.contains("--tag-only needs a tag"), "{err}");

    let out = fx.run(&[
        "delete",
        &latest,
        "--insecure",
        "--tag-only",
        "--yes",
        "-o",
        "json",
    ]);
    match flavor {
        // distribution 2.8 cannot delete a tag alone: the error says so and what to do instead.
        Flavor::DockerRegistry => {
            let err = failure_stderr(&out);
            assert!(err.contains("refused to delete the tag alone"), "{err}");
            assert!(err.contains("without --tag-only"), "{err}");
            let json = json_of(&fx.run(&["tags", &alpha, "--insecure", "-o", "json"]));
            assert_eq!(json.as_array().unwrap().len(), 3, "nothing deleted");
        }
        // regctl serve untags (as distribution v3 does): the manifest and its other tag stay.
        Flavor::RegctlServe => {
            let outcome = json_of(&out);
            assert_eq!(outcome["tag_only"], true);
            assert_eq!(outcome["deleted"], true);
            assert_eq!(outcome["tags"], serde_json::json!(["latest"]));
            let json = json_of(&fx.run(&["tags", &alpha, "--insecure", "-o", "json"]));
            assert_eq!(
                tag_digests(&json),
                [
                    ("1.0".to_owned(), images.v1.digest.clone()),
                    ("2.0".to_owned(), images.v2.digest.clone()),
                ]
                .into()
            );
            let out = fx.run(&[
                "manifest",
                &fx.at(&format!("alpha@{}", images.v1.digest)),
                "--insecure",
                "-o",
                "json",
            ]);
            assert_eq!(
                success_stdout(&out).trim_end().as_bytes(),
                images.v1.bytes.as_slice()
            );
            let err = failure_stderr(&fx.run(&["manifest", &latest, "--insecure"]));
            assert!(err.contains("not found"), "{err}");
            let table = success_stdout(&fx.run(&[
                "delete",
                &fx.at("alpha:2.0"),
                "--insecure",
                "--tag-only",
                "--yes",
            ]));
            assert!(table.contains("tag deleted"), "{table}");
            let err =
                failure_stderr(&fx.run(&["delete", &latest, "--insecure", "--tag-only", "--yes"]));
            assert!(
                err.contains("tag alpha:latest") && err.contains("not found"),
                "{err}"
            );
        }
    }
}

fn deletes_disabled_names_the_setting(flavor: Flavor) {
    let fx = Fixture::start_with(flavor, false, None);
    let pushed = fx.pusher().image("app", "one", "amd64", &["1.0"]);
    let target = fx.at("app:1.0");
    let assert_names_the_setting = |err: &str| {
        assert!(err.contains("deletes disabled"), "{err}");
        assert!(err.contains("storage.delete.enabled"), "{err}");
        assert!(
            err.contains("REGISTRY_STORAGE_DELETE_ENABLED=true"),
            "{err}"
        );
    };
    assert_names_the_setting(&failure_stderr(
        &fx.run_as_alice(&["delete", &target, "--yes"]),
    ));
    // A dry run asks the registry first instead of saying what "would be deleted".
    assert_names_the_setting(&failure_stderr(&fx.run_as_alice(&[
        "delete",
        &target,
        "--dry-run",
    ])));
    assert_names_the_setting(&failure_stderr(&fx.run_as_alice(&[
        "delete",
        &target,
        "--tag-only",
        "--dry-run",
    ])));
    assert_names_the_setting(&failure_stderr(&fx.run_as_alice(&[
        "delete",
        &fx.at(&format!("app@{}", pushed.digest)),
        "--yes",
    ])));
    assert_names_the_setting(&failure_stderr(&fx.run_as_alice(&[
        "delete",
        &target,
        "--tag-only",
        "--yes",
    ])));
    let json = json_of(&fx.run_as_alice(&["tags", &fx.at("app"), "-o", "json"]));
    assert_eq!(json[0]["digest"], pushed.digest.as_str(), "still there");
}

fn login_and_logout_with_htpasswd(flavor: Flavor) {
    let fx = Fixture::start(flavor);
    let images = push_standard_images(&fx.pusher());
    let addr = fx.addr();
    let config_json = fx.config_json();
    std::fs::write(
        &config_json,
        r#"{"psFormat":"table {{.ID}}","auths":{"other.example":{"auth":"eDp5"}}}"#,
    )
    .unwrap();

    // Wrong password refused and nothing written.
    let err = failure_stderr(&fx.run_with_stdin(
        &["login", addr, "--insecure", "-u", USER, "--password-stdin"],
        "wrong\n",
    ));
    assert!(
        err.contains("rejected the credentials of user `alice`"),
        "{err}"
    );
    // A real next step, not "check them with regctl login" from regctl login itself.
    assert!(err.contains("regctl user verify alice"), "{err}");
    assert!(!err.contains("check them with"), "{err}");
    assert!(!std::fs::read_to_string(&config_json)
        .unwrap()
        .contains(addr));

    // The right one is verified and merged into config.json (0600), docker's way.
    let out = fx.run_with_stdin(
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
        &format!("{PASSWORD}\n"),
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
    let out = fx.run_with_stdin(
        &["login", addr, "--insecure", "-u", USER, "--password-stdin"],
        PASSWORD,
    );
    assert_eq!(success_stdout(&out), "", "messages only, on stderr");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Login succeeded") && stderr.contains(addr),
        "{stderr}"
    );

    // From here on the stored credentials are used.
    let json = json_of(&fx.run(&["tags", &fx.at("alpha"), "--insecure", "-o", "json"]));
    assert_eq!(tag_digests(&json)["2.0"], images.v2.digest);
    let json = json_of(&fx.run(&["catalog", addr, "--insecure", "-o", "json"]));
    assert_eq!(repositories_of(&json), ALL_REPOS);

    // Logout removes only this registry's entry.
    success_stdout(&fx.run(&["logout", addr]));
    let stored: Value = serde_json::from_slice(&std::fs::read(&config_json).unwrap()).unwrap();
    assert!(stored["auths"].get(addr).is_none(), "{stored}");
    assert_eq!(stored["auths"]["other.example"]["auth"], "eDp5");
    assert_eq!(stored["psFormat"], "table {{.ID}}");
    assert_eq!(
        json_of(&fx.run(&["logout", addr, "-o", "json"]))["removed"],
        false
    );
    let err = failure_stderr(&fx.run(&["tags", &fx.at("alpha"), "--insecure"]));
    assert!(err.contains("requires authentication"), "{err}");
}

fn credential_helpers_store_get_and_erase(flavor: Flavor) {
    let fx = Fixture::start(flavor);
    let bin = fx.dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    // A helper speaking docker's credential-helper protocol, keeping one entry per file.
    let store = fx.dir.path().join("store");
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
    std::fs::write(fx.config_json(), r#"{"credsStore":"regctltest"}"#).unwrap();
    let addr = fx.addr();
    fx.pusher().image("app", "one", "amd64", &["1.0"]);
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let helper_run = |args: &[&str], stdin: Option<&str>| {
        let mut cmd = regctl();
        cmd.args(args)
            .env("DOCKER_CONFIG", &fx.docker_config)
            .env("PATH", &path)
            .current_dir(&fx.docker_config)
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
    let config: Value = serde_json::from_slice(&std::fs::read(fx.config_json()).unwrap()).unwrap();
    assert_eq!(
        config["auths"][addr],
        serde_json::json!({}),
        "no secret in the file"
    );
    assert_eq!(config["credsStore"], "regctltest");

    let json = json_of(&helper_run(
        &[
            "tags",
            &fx.at("app"),
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
    let err = failure_stderr(&helper_run(&["tags", &fx.at("app"), "--insecure"], None));
    assert!(err.contains("requires authentication"), "{err}");
}

fn untrusted_certificate_error_and_ca_file(flavor: Flavor) {
    let certs = tempfile::tempdir().unwrap();
    let ca = TestCa::new("regctl test CA");
    let (leaf, leaf_key) = ca.issue(&["127.0.0.1"]);
    let ca_path = certs.path().join("ca.pem");
    let cert_path = certs.path().join("server.pem");
    let key_path = certs.path().join("server.key");
    std::fs::write(&ca_path, &ca.cert_pem).unwrap();
    std::fs::write(&cert_path, leaf).unwrap();
    std::fs::write(&key_path, leaf_key).unwrap();
    let fx = Fixture::start_with(flavor, true, Some((cert_path, key_path)));
    let addr = fx.addr();

    let err = failure_stderr(&fx.run(&["catalog", addr]));
    assert!(err.contains("not trusted"), "{err}");
    assert!(err.contains("unknown authority"), "{err}");
    assert!(err.contains("--ca-file"), "{err}");
    assert!(
        err.contains(&format!("regctl client-setup {addr} --ca-file")),
        "{err}"
    );
    let ca = ca_path.to_str().unwrap();
    let by_name = format!("localhost:{}", addr.rsplit_once(':').unwrap().1);
    let err = failure_stderr(&fx.run(&["catalog", &by_name, "--ca-file", ca]));
    assert!(err.contains("not valid for the name localhost"), "{err}");
    let creds = ["-u", USER, "--password-stdin"];
    let json = json_of(
        &fx.run_with_stdin(
            &[
                &["catalog", addr, "--ca-file", ca, "-o", "json"][..],
                &creds,
            ]
            .concat(),
            PASSWORD,
        ),
    );
    assert_eq!(json, serde_json::json!([]));
    let json = json_of(&fx.run_with_stdin(
        &[&["catalog", addr, "--insecure", "-o", "json"][..], &creds].concat(),
        PASSWORD,
    ));
    assert_eq!(json, serde_json::json!([]));
    // The local config says TLS: no plain-HTTP shortcut for the registry it serves.
    let config = fx.registry.config.to_str().unwrap();
    let err = failure_stderr(&fx.run(&["catalog", "-c", config]));
    assert!(err.contains("not trusted"), "{err}");

    // docker's certs.d/HOST:PORT/ca.crt (what `client-setup` writes) is trusted with no flag.
    let certs_d = tempfile::tempdir().unwrap();
    let host_dir = certs_d.path().join(addr);
    std::fs::create_dir_all(&host_dir).unwrap();
    std::fs::write(host_dir.join("ca.crt"), std::fs::read(ca).unwrap()).unwrap();
    let out = run_env(
        &fx.docker_config,
        &[&["catalog", addr, "-v", "-o", "json"][..], &creds].concat(),
        Some(PASSWORD),
        &[("REGCTL_CERTS_D", certs_d.path())],
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(json_of(&out), serde_json::json!([]), "{stderr}");
    let used = host_dir.join("ca.crt");
    assert!(
        stderr.contains(&format!("trusting the CA in {}", used.display())),
        "{stderr}"
    );

    // The CA next to the local config's certificate (what `init` writes) is trusted with -c.
    let local_ca = certs.path().join("ca.crt");
    std::fs::write(&local_ca, std::fs::read(ca).unwrap()).unwrap();
    let out = fx.run_with_stdin(
        &[&["catalog", "-c", config, "-v", "-o", "json"][..], &creds].concat(),
        PASSWORD,
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(json_of(&out), serde_json::json!([]), "{stderr}");
    assert!(
        stderr.contains(&format!("trusting the CA in {}", local_ca.display())),
        "{stderr}"
    );
}

/// Bytes a progress bar draws with: carriage returns and ANSI escape sequences.
fn has_control_characters(text: &str) -> bool {
    text.contains('\r') || text.contains('\x1b')
}

fn progress_bar_only_on_a_terminal(flavor: Flavor) {
    // More than one page of the registries' default page size (100).
    const REPOS: usize = 120;
    let fx = Fixture::start(flavor);
    let push = fx.pusher();
    let repos: Vec<String> = (0..REPOS).map(|i| format!("many/repo-{i:03}")).collect();
    for repo in &repos {
        push.image(repo, "one", "amd64", &["1.0"]);
    }
    fx.login();
    let addr = fx.addr();

    // Piped (stderr is not a terminal): many pages, no bar, nothing on stderr at all.
    for args in [
        &["catalog", addr, "--insecure"][..],
        &["catalog", addr, "--insecure", "-n", "7"],
        &["catalog", addr, "--insecure", "-n", "3", "--count-tags"],
        &["tags", &fx.at("many/repo-000"), "--insecure", "--details"],
    ] {
        let out = fx.run(args);
        let stdout = success_stdout(&out);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.is_empty(), "{args:?} wrote to stderr: {stderr:?}");
        assert!(!has_control_characters(&stdout), "{stdout:?}");
    }
    let json = json_of(&fx.run(&["catalog", addr, "--insecure", "-o", "json"]));
    assert_eq!(
        repositories_of(&json),
        repos,
        "followed the registry's own pages"
    );

    // On a terminal (`script` from bsdutils gives regctl a pseudo-terminal): the bar is drawn.
    let terminal = on_terminal(
        &fx,
        "catalog \"$REGISTRY_ADDR\" --insecure -n 10 --count-tags",
    );
    // A running count while pages arrive (the total is unknown), then a bar while counting tags.
    assert!(terminal.contains("listing repositories: "), "{terminal:?}");
    assert!(terminal.contains("counting tags ["), "{terminal:?}");
    assert!(terminal.contains("/120 ("), "{terminal:?}");
    assert!(has_control_characters(&terminal), "{terminal:?}");
    // The pseudo-terminal reports 0 columns: the table keeps its natural width.
    let rows: Vec<&str> = terminal
        .lines()
        .filter(|l| l.contains("many/repo-"))
        .collect();
    assert_eq!(rows.len(), REPOS, "{terminal:?}");
    assert!(rows[REPOS - 1].contains("many/repo-119"), "{terminal:?}");

    // Still on a terminal, JSON output and -q draw nothing.
    for args in ["-o json", "-q"] {
        let terminal = on_terminal(
            &fx,
            &format!("catalog \"$REGISTRY_ADDR\" --insecure -n 10 --count-tags {args}"),
        );
        assert!(terminal.contains("many/repo-119"), "{terminal:?}");
        assert!(!terminal.contains('\x1b'), "{args}: {terminal:?}");
        assert!(!terminal.contains("counting tags"), "{args}: {terminal:?}");
    }
}

/// Runs `regctl ARGS` on a pseudo-terminal (util-linux `script`, Debian package bsdutils) and
/// returns what the terminal showed (stdout and stderr, with the terminal's `\r\n`). `ARGS` is
/// shell text and may use `$REGISTRY_ADDR`.
fn on_terminal(fx: &Fixture, args: &str) -> String {
    on_terminal_with(fx, args, &[])
}

/// [`on_terminal`] with more environment variables (`COLUMNS`: the width a shell exports).
fn on_terminal_with(fx: &Fixture, args: &str, envs: &[(&str, &str)]) -> String {
    let script = require_tool("script", "bsdutils");
    let out = Command::new(script)
        .envs(envs.iter().copied())
        .args(["-q", "-e", "-f", "-c"])
        .arg(format!("\"$REGCTL\" {args}"))
        .arg("/dev/null")
        .env("REGCTL", env!("CARGO_BIN_EXE_regctl"))
        .env("REGISTRY_ADDR", fx.addr())
        .env("DOCKER_CONFIG", &fx.docker_config)
        .env_remove("REGCTL_CONFIG")
        .current_dir(&fx.docker_config)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let terminal = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "regctl {args} on a terminal failed:\n{}\n{terminal}",
        String::from_utf8_lossy(&out.stderr)
    );
    terminal
}

#[test]
fn token_flow_against_docker_registry_and_a_real_token_server() {
    token_flow_through_a_real_token_server(Flavor::DockerRegistry);
}

/// `regctl serve` with registry:2's `auth.token` section, the same token server and client.
#[test]
fn token_flow_against_regctl_serve_and_a_real_token_server() {
    token_flow_through_a_real_token_server(Flavor::RegctlServe);
}

fn token_flow_through_a_real_token_server(flavor: Flavor) {
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
    let registry = TestRegistry::start(
        flavor,
        dir.path(),
        &Setup {
            delete: true,
            auth: Auth::Section(auth),
            tls: None,
        },
    );
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

/// The tables of an image pushed by skopeo from an OCI layout with known sizes: 80 columns on a
/// terminal and piped, short digests unless --wide, `-q` names only, SIZE = config + layers.
fn tables_fit_80_columns_and_show_image_sizes(flavor: Flavor) {
    let fx = Fixture::start(flavor);
    let layout = fx.dir.path().join("layout");
    crate::common::oci::write_oci_layout(&layout, "v1", 2, 3000);
    let skopeo = require_tool("skopeo", "skopeo");
    let source = crate::common::oci::oci_reference(&layout, "v1");
    let creds = format!("{USER}:{PASSWORD}");
    for tag in ["v1.2.3-rc1", "latest"] {
        let out = Command::new(&skopeo)
            .env("HOME", fx.dir.path())
            .env_remove("REGISTRY_AUTH_FILE")
            .args(["--insecure-policy", "copy", "--dest-tls-verify=false"])
            .args(["--dest-creds", &creds, &source])
            .arg(format!("docker://{}/team/app:{tag}", fx.addr()))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "skopeo copy: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // skopeo gzips the plain tar layers on the way: the registry's manifest is what it pushed.
    let out = Command::new(&skopeo)
        .env("HOME", fx.dir.path())
        .env_remove("REGISTRY_AUTH_FILE")
        .args(["inspect", "--raw", "--tls-verify=false", "--creds", &creds])
        .arg(format!("docker://{}/team/app:latest", fx.addr()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let manifest_bytes = out.stdout;
    let digest = sha256(&manifest_bytes);
    let manifest: Value = serde_json::from_slice(&manifest_bytes).unwrap();
    let layers = manifest["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 2, "{manifest}");
    let expected_size: u64 = manifest["config"]["size"].as_u64().unwrap()
        + layers
            .iter()
            .map(|l| l["size"].as_u64().unwrap())
            .sum::<u64>();
    assert!(
        expected_size as usize > 2 * manifest_bytes.len(),
        "{manifest}"
    );
    fx.login();
    let app = fx.at("team/app");
    let size = bytesize::ByteSize::b(expected_size).to_string();

    // Piped: plain columns within 80, short digest, the image's size.
    let piped = success_stdout(&fx.run(&["tags", &app, "--insecure"]));
    for line in piped.lines() {
        assert!(line.chars().count() <= 80, "{line:?} in\n{piped}");
        assert!(!line.contains(['│', '─', '┌', '╞', '|']), "{piped}");
    }
    let row = piped
        .lines()
        .find(|l| l.starts_with("v1.2.3-rc1 "))
        .unwrap();
    assert!(row.contains(&format!("{} ", short(&digest))), "{piped}");
    assert!(!row.contains(&digest), "{piped}");
    assert!(row.contains("oci manifest"), "{piped}");
    assert!(
        row.contains(&size),
        "SIZE is config + layers ({size}): {piped}"
    );
    for args in [
        &["manifest", &format!("{app}:latest"), "--insecure"][..],
        &[
            "delete",
            &format!("{app}:latest"),
            "--insecure",
            "--dry-run",
        ],
    ] {
        let piped = success_stdout(&fx.run(args));
        assert!(piped.contains(short(&digest)), "{args:?}: {piped}");
        for line in piped.lines().filter(|l| !l.starts_with("Name:")) {
            assert!(line.chars().count() <= 80, "{args:?}: {line:?}");
        }
    }

    // --wide and -o json: the full values; JSON's size stays the manifest's own.
    let wide = success_stdout(&fx.run(&["tags", &app, "--insecure", "--wide"]));
    assert!(
        wide.contains(&digest) && wide.contains(OCI_MANIFEST),
        "{wide}"
    );
    let json = json_of(&fx.run(&["tags", &app, "--insecure", "-o", "json"]));
    assert_eq!(json[0]["digest"], digest.as_str());
    assert_eq!(json[0]["media_type"], OCI_MANIFEST);
    assert_eq!(json[0]["size"], manifest_bytes.len());
    let wide = success_stdout(&fx.run(&[
        "delete",
        &format!("{app}:latest"),
        "--insecure",
        "--dry-run",
        "--wide",
    ]));
    assert!(wide.contains(&digest), "{wide}");

    // -q: the key column alone, no header.
    let quiet = success_stdout(&fx.run(&["tags", &app, "--insecure", "-q"]));
    let mut names: Vec<&str> = quiet.lines().collect();
    names.sort_unstable();
    assert_eq!(names, ["latest", "v1.2.3-rc1"], "{quiet}");
    let quiet = success_stdout(&fx.run(&["catalog", fx.addr(), "--insecure", "-q"]));
    assert_eq!(quiet, "team/app\n");
    let quiet =
        success_stdout(&fx.run(&["catalog", fx.addr(), "--insecure", "-q", "--count-tags"]));
    assert_eq!(quiet, "team/app\n");

    // On an 80-column terminal: box tables of at most 80 columns.
    for args in [
        "tags \"$REGISTRY_ADDR\"/team/app --insecure",
        "tags \"$REGISTRY_ADDR\"/team/app --insecure --details",
        "manifest \"$REGISTRY_ADDR\"/team/app:latest --insecure",
        "delete \"$REGISTRY_ADDR\"/team/app:latest --insecure --dry-run",
    ] {
        let terminal = on_terminal_with(&fx, args, &[("COLUMNS", "80")]);
        let boxed: Vec<&str> = terminal
            .lines()
            .map(|l| l.trim_end_matches('\r'))
            .filter(|l| l.starts_with(['│', '┌', '├', '└', '╞']))
            .collect();
        assert!(boxed.len() >= 3, "{args}: no table in {terminal:?}");
        for line in &boxed {
            assert!(line.chars().count() <= 80, "{args}: {line:?}\n{terminal}");
        }
        assert!(terminal.contains(short(&digest)), "{args}: {terminal}");
    }
    let terminal = on_terminal(&fx, "tags \"$REGISTRY_ADDR\"/team/app --insecure -q");
    assert!(!terminal.contains(['│', '─']), "{terminal:?}");
    assert!(terminal.contains("v1.2.3-rc1"), "{terminal:?}");
}
