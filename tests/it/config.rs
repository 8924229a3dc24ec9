//! `regctl config generate|validate|show`, and compatibility of what regctl writes with Debian's
//! `docker-registry` (distribution 2.8.2).

use std::fs;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use base64::Engine as _;

use crate::common::docker_registry::DockerRegistry;
use crate::common::{free_port, regctl, require_tool, success_stdout};

const USER: &str = "alice";
const PASSWORD: &str = "s3cret-pass";

fn stdout_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Writes an htpasswd file with one bcrypt (`$2y$`) entry, as `htpasswd -B` would.
fn write_htpasswd(path: &Path) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let hash = bcrypt::hash_with_result(PASSWORD, 5)
        .unwrap()
        .format_for_version(bcrypt::Version::TwoY);
    fs::write(path, format!("{USER}:{hash}\n")).unwrap();
}

/// A self-signed certificate for 127.0.0.1 and localhost, and its key, as PEM files.
fn write_cert_pair(cert: &Path, key: &Path) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .unwrap();
    fs::create_dir_all(cert.parent().unwrap()).unwrap();
    fs::write(cert, certified.cert.pem()).unwrap();
    fs::write(key, certified.signing_key.serialize_pem()).unwrap();
}

fn validate(dir: &Path, config: &Path, envs: &[(&str, &str)]) -> Output {
    let mut cmd = regctl();
    cmd.current_dir(dir)
        .args(["config", "validate", "-c"])
        .arg(config);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn generate(dir: &Path, args: &[&str]) -> PathBuf {
    let file = dir.join("config.yml");
    success_stdout(
        &regctl()
            .current_dir(dir)
            .args(["config", "generate", "--file"])
            .arg(&file)
            .args(args)
            .output()
            .unwrap(),
    );
    file
}

#[test]
fn generated_config_validates() {
    let tmp = tempfile::tempdir().unwrap();
    write_htpasswd(&tmp.path().join("auth/htpasswd"));
    write_cert_pair(
        &tmp.path().join("certs/server.crt"),
        &tmp.path().join("certs/server.key"),
    );
    let config = generate(
        tmp.path(),
        &[
            "--root",
            "data",
            "--htpasswd",
            "auth/htpasswd",
            "--realm",
            "Test Realm",
            "--tls-cert",
            "certs/server.crt",
            "--tls-key",
            "certs/server.key",
            "--delete",
            "--host",
            "registry.example.com:5000",
        ],
    );
    let output = validate(tmp.path(), &config, &[]);
    assert!(
        output.status.success(),
        "stdout: {}\nstderr: {}",
        stdout_of(&output),
        stderr_of(&output)
    );
    assert_eq!(stdout_of(&output), "", "a valid config prints no problem");
    assert!(stderr_of(&output).contains("is valid"));

    // Relative paths were written absolute, so the config is valid from any directory.
    let elsewhere = tempfile::tempdir().unwrap();
    assert!(validate(elsewhere.path(), &config, &[]).status.success());
}

#[test]
fn validate_reports_every_problem_with_its_key_path() {
    let tmp = tempfile::tempdir().unwrap();
    let not_a_dir = tmp.path().join("plain-file");
    fs::write(&not_a_dir, "x").unwrap();
    let yaml = format!(
        "\
version: 0.2
storage:
  filesystem:
    rootdirectory: {root}
  inmemory: {{}}
  delete:
    enabled: maybe
http:
  adr: ':5000'
  addr: '127.0.0.1'
  tls:
    certificate: {dir}/missing.crt
    key: {dir}/missing.key
  headers:
    X-Content-Type-Options: nosniff
auth:
  htpasswd:
    realm: R
    path: {dir}/no-htpasswd
  silly:
    realm: R
    service: S
health:
  storagedriver:
    interval: 10 seconds
",
        root = not_a_dir.join("data").display(),
        dir = tmp.path().display()
    );
    let config = tmp.path().join("config.yml");
    fs::write(&config, yaml).unwrap();

    let output = validate(tmp.path(), &config, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    let stdout = stdout_of(&output);
    let expected = [
        "version: unsupported version \"0.2\"",
        "storage: more than one storage driver: filesystem, inmemory",
        "storage.delete.enabled: expected true or false",
        "http.adr: unknown key; did you mean \"addr\"?",
        "http.addr: cannot listen on \"127.0.0.1\": missing port",
        &format!(
            "http.tls.certificate: file not found: {}/missing.crt",
            tmp.path().display()
        ),
        &format!(
            "http.tls.key: file not found: {}/missing.key",
            tmp.path().display()
        ),
        "http.headers.X-Content-Type-Options: expected a list",
        "auth: more than one auth method: htpasswd, silly",
        &format!(
            "auth.htpasswd.path: file not found: {}/no-htpasswd",
            tmp.path().display()
        ),
        "health.storagedriver.interval: unknown unit \" seconds\" in duration \"10 seconds\"",
        "storage.filesystem.rootdirectory:",
    ];
    for line in expected {
        assert!(
            stdout.lines().any(|l| l.starts_with(line)),
            "missing `{line}` in:\n{stdout}"
        );
    }
    assert!(stdout.contains("is not a directory"), "{stdout}");
    assert!(stderr_of(&output).contains("problems"));

    let json = regctl()
        .current_dir(tmp.path())
        .args(["config", "validate", "-o", "json", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(json.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["valid"], false);
    let diagnostics = report["diagnostics"].as_array().unwrap();
    assert!(diagnostics.len() >= expected.len(), "{report:#}");
    assert!(diagnostics
        .iter()
        .any(|d| d["path"] == "http.tls.key" && d["severity"] == "error"));
}

#[test]
fn validate_reports_a_storage_directory_that_cannot_be_written() {
    // /proc refuses new files even to root, so this holds whoever runs the tests.
    let tmp = tempfile::tempdir().unwrap();
    let config = generate(tmp.path(), &["--root", "data"]);
    for (root, expected) in [
        (
            "/proc/regctl-test/data",
            "does not exist and cannot be created: /proc is not writable",
        ),
        ("/proc", "/proc is not writable"),
    ] {
        let output = validate(
            tmp.path(),
            &config,
            &[("REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY", root)],
        );
        assert_eq!(output.status.code(), Some(1));
        let stdout = stdout_of(&output);
        assert!(
            stdout.starts_with("storage.filesystem.rootdirectory: ") && stdout.contains(expected),
            "{stdout}"
        );
        assert!(stdout.contains("(set by REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY)"));
    }
    // An absent directory under a writable one is fine: the registry creates it.
    let output = validate(
        tmp.path(),
        &config,
        &[("REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY", "not/yet/there")],
    );
    assert!(output.status.success(), "{}", stdout_of(&output));
}

#[test]
fn validate_detects_a_key_that_does_not_match_its_certificate() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_cert_pair(&dir.join("a.crt"), &dir.join("a.key"));
    write_cert_pair(&dir.join("b.crt"), &dir.join("b.key"));
    let config = generate(
        dir,
        &[
            "--root",
            "data",
            "--tls-cert",
            "a.crt",
            "--tls-key",
            "b.key",
        ],
    );
    let output = validate(dir, &config, &[]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = stdout_of(&output);
    assert!(
        stdout.lines().any(
            |l| l.starts_with("http.tls.key: ") && l.contains("does not match the certificate")
        ),
        "{stdout}"
    );
    // The environment fixes it, as it would for registry:2.
    let key = dir.join("a.key");
    let fixed = validate(
        dir,
        &config,
        &[("REGISTRY_HTTP_TLS_KEY", key.to_str().unwrap())],
    );
    assert!(fixed.status.success(), "{}", stdout_of(&fixed));

    // A key file that is not a key at all.
    let garbage = dir.join("garbage.key");
    fs::write(&garbage, "not a key\n").unwrap();
    let output = validate(
        dir,
        &config,
        &[("REGISTRY_HTTP_TLS_KEY", garbage.to_str().unwrap())],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout_of(&output).contains("no PEM private key found"));
}

#[test]
fn validate_finds_the_config_through_registry_configuration_path() {
    let tmp = tempfile::tempdir().unwrap();
    let config = generate(tmp.path(), &["--root", "data"]);
    let cwd = tempfile::tempdir().unwrap();
    let output = regctl()
        .current_dir(cwd.path())
        .args(["config", "validate"])
        .env("REGISTRY_CONFIGURATION_PATH", &config)
        .output()
        .unwrap();
    success_stdout(&output);
    assert!(stderr_of(&output).contains(&config.display().to_string()));

    // Without it, ./config.yml is used, and its absence is reported as such.
    let output = regctl()
        .current_dir(cwd.path())
        .args(["config", "validate"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout_of(&output).contains("cannot read config file config.yml"));
}

#[test]
fn show_prints_the_effective_config_after_env_overrides() {
    let tmp = tempfile::tempdir().unwrap();
    let config = generate(tmp.path(), &["--root", "/srv/from-file"]);
    let output = regctl()
        .args(["config", "show", "-v", "-o", "json", "-c"])
        .arg(&config)
        .env("REGISTRY_HTTP_ADDR", "0.0.0.0:6000")
        .env("REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY", "/srv/from-env")
        .env("REGISTRY_AUTH", "htpasswd")
        .env("REGISTRY_AUTH_HTPASSWD_REALM", "Env Realm")
        .env("REGISTRY_AUTH_HTPASSWD_PATH", "/etc/env/htpasswd")
        .env("REGISTRY_STORAGE_MAINTENANCE_READONLY_ENABLED", "true")
        .env(
            "REGISTRY_NOTIFICATIONS_EVENTCONFIG_INCLUDEREFERENCES",
            "true",
        )
        .env("REGISTRY_NO_SUCH_THING", "1")
        .output()
        .unwrap();
    let shown: serde_json::Value = serde_json::from_str(&success_stdout(&output)).unwrap();
    assert_eq!(shown["http"]["addr"], "0.0.0.0:6000");
    assert_eq!(
        shown["storage"]["filesystem"]["rootdirectory"],
        "/srv/from-env"
    );
    assert_eq!(shown["auth"]["htpasswd"]["realm"], "Env Realm");
    assert_eq!(shown["auth"]["htpasswd"]["path"], "/etc/env/htpasswd");
    assert_eq!(shown["storage"]["maintenance"]["readonly"]["enabled"], true);
    assert_eq!(shown["notifications"]["events"]["includereferences"], true);
    assert_eq!(shown["log"]["level"], "info");
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("REGISTRY_HTTP_ADDR set http.addr"),
        "{stderr}"
    );
    assert!(
        stderr.contains("REGISTRY_AUTH_HTPASSWD_PATH set auth.htpasswd.path"),
        "{stderr}"
    );
    assert!(stderr.contains("ignoring unrecognized environment variable REGISTRY_NO_SUCH_THING"));

    // YAML by default, readable back as a config.
    let output = regctl()
        .args(["config", "show", "-c"])
        .arg(&config)
        .env("REGISTRY_HTTP_ADDR", "127.0.0.1:7000")
        .output()
        .unwrap();
    let yaml: serde_yaml::Value = serde_yaml::from_str(&success_stdout(&output)).unwrap();
    assert_eq!(yaml["http"]["addr"], "127.0.0.1:7000");
    assert_eq!(
        yaml["storage"]["filesystem"]["rootdirectory"],
        "/srv/from-file"
    );
}

#[test]
fn generate_refuses_to_overwrite_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("config.yml");
    fs::write(&file, "precious: true\n").unwrap();
    let output = regctl()
        .args(["config", "generate", "--file"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr_of(&output).contains("already exists (use --force"));
    assert_eq!(fs::read_to_string(&file).unwrap(), "precious: true\n");

    success_stdout(
        &regctl()
            .args(["config", "generate", "--force", "--file"])
            .arg(&file)
            .output()
            .unwrap(),
    );
    assert!(fs::read_to_string(&file).unwrap().contains("version: 0.1"));
    let leftovers = fs::read_dir(tmp.path()).unwrap().count();
    assert_eq!(leftovers, 1, "no temp file left behind");

    // Without --file the config goes to stdout.
    let stdout = success_stdout(&regctl().args(["config", "generate"]).output().unwrap());
    assert!(stdout.contains("addr: 127.0.0.1:5000"));
}

/// Copies every fixture into a directory holding what its relative paths name (`data/`,
/// `auth/htpasswd`, `certs/server.{crt,key}`).
fn fixture_dir(name: &str) -> (tempfile::TempDir, PathBuf) {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join(name);
    fs::copy(&source, &config).unwrap();
    write_htpasswd(&tmp.path().join("auth/htpasswd"));
    write_cert_pair(
        &tmp.path().join("certs/server.crt"),
        &tmp.path().join("certs/server.key"),
    );
    (tmp, config)
}

#[test]
fn every_fixture_validates() {
    let fixtures: Vec<String> =
        fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".yml"))
            .collect();
    assert!(fixtures.contains(&"htpasswd-delete.yml".to_owned()));
    assert!(fixtures.contains(&"tls-http2.yml".to_owned()));
    for name in fixtures {
        let (tmp, config) = fixture_dir(&name);
        let output = validate(tmp.path(), &config, &[]);
        assert!(
            output.status.success(),
            "{name}:\n{}{}",
            stdout_of(&output),
            stderr_of(&output)
        );
    }
}

#[test]
fn tls_fixture_validates_with_certificates_from_the_environment() {
    let (tmp, config) = fixture_dir("tls-http2.yml");
    let other = tempfile::tempdir().unwrap();
    let cert = other.path().join("env.crt");
    let key = other.path().join("env.key");
    write_cert_pair(&cert, &key);
    fs::remove_dir_all(tmp.path().join("certs")).unwrap();
    let output = validate(
        tmp.path(),
        &config,
        &[
            ("REGISTRY_HTTP_TLS_CERTIFICATE", cert.to_str().unwrap()),
            ("REGISTRY_HTTP_TLS_KEY", key.to_str().unwrap()),
        ],
    );
    assert!(output.status.success(), "{}", stdout_of(&output));
}

// ---------------------------------------------------------------------------------------------
// Debian's docker-registry (distribution 2.8.2) must accept what regctl writes.

/// Status of `GET /v2/` on `registry` over plain HTTP, once it answers.
fn wait_for_status(registry: &mut DockerRegistry, port: u16, authorization: Option<&str>) -> u16 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        registry.assert_running();
        if let Some(code) = http_status(port, authorization) {
            return code;
        }
        assert!(
            Instant::now() < deadline,
            "docker-registry never answered on port {port}:\n{}",
            registry.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `GET /v2/` with HTTP/1.0; `None` until something listens.
fn http_status(port: u16, authorization: Option<&str>) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut request = format!("GET /v2/ HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n");
    if let Some(auth) = authorization {
        request.push_str(&format!("Authorization: {auth}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.split(' ').nth(1)?.parse().ok()
}

fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

#[test]
fn docker_registry_serves_generated_configs() {
    for variant in ["plain", "htpasswd", "delete"] {
        let tmp = tempfile::tempdir().unwrap();
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let mut args = vec!["--addr", addr.as_str(), "--root", "data"];
        match variant {
            "htpasswd" => {
                write_htpasswd(&tmp.path().join("auth/htpasswd"));
                args.extend(["--htpasswd", "auth/htpasswd"]);
            }
            "delete" => args.push("--delete"),
            _ => {}
        }
        let config = generate(tmp.path(), &args);
        assert!(validate(tmp.path(), &config, &[]).status.success());

        let mut registry = DockerRegistry::start_with_config(&config, &addr);
        if variant == "htpasswd" {
            assert_eq!(wait_for_status(&mut registry, port, None), 401, "{variant}");
            assert_eq!(
                wait_for_status(&mut registry, port, Some(&basic(USER, PASSWORD))),
                200,
                "the bcrypt entry is accepted"
            );
            assert_eq!(
                wait_for_status(&mut registry, port, Some(&basic(USER, "wrong"))),
                401
            );
        } else {
            assert_eq!(wait_for_status(&mut registry, port, None), 200, "{variant}");
        }
        assert!(
            tmp.path().join("data").is_dir() || registry.log().contains("listening on"),
            "{}",
            registry.log()
        );
    }
}

#[test]
fn docker_registry_serves_the_htpasswd_fixture() {
    let (_tmp, config) = fixture_dir("htpasswd-delete.yml");
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut registry =
        DockerRegistry::start_with_env(&config, &addr, &[("REGISTRY_HTTP_ADDR", &addr)]);
    assert_eq!(wait_for_status(&mut registry, port, None), 401);
    assert_eq!(
        wait_for_status(&mut registry, port, Some(&basic(USER, PASSWORD))),
        200
    );
}

#[test]
fn docker_registry_serves_the_tls_fixture_over_http2() {
    let curl = require_tool("curl", "curl");
    let (tmp, config) = fixture_dir("tls-http2.yml");
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut registry =
        DockerRegistry::start_with_env(&config, &addr, &[("REGISTRY_HTTP_ADDR", &addr)]);
    let url = format!("https://127.0.0.1:{port}/v2/");
    let deadline = Instant::now() + Duration::from_secs(60);
    let answer = loop {
        registry.assert_running();
        let output = Command::new(&curl)
            .args(["-s", "--http2", "--cacert"])
            .arg(tmp.path().join("certs/server.crt"))
            .args([
                "-o",
                "/dev/null",
                "-w",
                "%{http_code} %{http_version}",
                &url,
            ])
            .output()
            .unwrap();
        let answer = stdout_of(&output);
        if output.status.success() && !answer.starts_with("000") {
            break answer;
        }
        assert!(
            Instant::now() < deadline,
            "no TLS answer: {answer}\n{}",
            registry.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(
        answer, "200 2",
        "HTTP/2 over TLS with the configured certificate"
    );
}

// ---------------------------------------------------------------------------------------------
// Keys registry:2 honours and regctl serve does not: validate and serve report the same thing.

#[test]
fn unsupported_keys_fail_validate_and_serve_with_the_same_message() {
    let cases: &[(&str, &str)] = &[
        (
            "proxy.exec",
            "proxy:\n  remoteurl: http://127.0.0.1:9\n  exec:\n    command: /bin/true\n",
        ),
        ("redis", "redis:\n  addr: 127.0.0.1:6379\n"),
        ("storage.gcs", ""),
        (
            "http.prefix",
            "http:\n  addr: 127.0.0.1:0\n  prefix: /reg/\n",
        ),
        (
            "middleware",
            "middleware:\n  storage:\n    - name: cloudfront\n",
        ),
        (
            "auth.silly",
            "auth:\n  silly:\n    realm: r\n    service: s\n",
        ),
        (
            "http.tls.ciphersuites",
            "http:\n  addr: 127.0.0.1:0\n  tls:\n    ciphersuites: [TLS_AES_128_GCM_SHA256]\n",
        ),
        (
            "log.hooks",
            "log:\n  hooks:\n    - type: mail\n      levels: [panic]\n",
        ),
    ];
    for (key, extra) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let storage = if *key == "storage.gcs" {
            "storage:\n  gcs:\n    bucket: b\n".to_owned()
        } else {
            format!(
                "storage:\n  filesystem:\n    rootdirectory: {}\n",
                tmp.path().join("data").display()
            )
        };
        let http = if extra.contains("http:") {
            ""
        } else {
            "http:\n  addr: 127.0.0.1:0\n"
        };
        let config = tmp.path().join("config.yml");
        fs::write(&config, format!("version: 0.1\n{storage}{http}{extra}")).unwrap();
        let expected = format!("{key}: regctl serve does not support");

        let validated = validate(tmp.path(), &config, &[]);
        assert!(!validated.status.success(), "{key}: validate passed");
        let line = stdout_of(&validated)
            .lines()
            .find(|l| l.starts_with(&expected))
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("{key}: {}", stdout_of(&validated)));
        assert!(line.contains("registry:2 does"), "{line}");

        let served = regctl()
            .current_dir(tmp.path())
            .args(["serve", "-c"])
            .arg(&config)
            .output()
            .unwrap();
        assert!(!served.status.success(), "{key}: serve started");
        assert!(
            stderr_of(&served).contains(&line),
            "{key}: serve said {}",
            stderr_of(&served)
        );
    }
}

/// podman/skopeo users export REGISTRY_AUTH_FILE for their auth.json; registry:2's override rule
/// reads it as `auth.file`. Every command that reads the config must blame the variable, not the
/// (valid) file.
#[test]
fn registry_auth_file_in_the_environment_is_named_in_every_error() {
    let tmp = tempfile::tempdir().unwrap();
    let config = generate(
        tmp.path(),
        &[
            "--root",
            "data",
            "--htpasswd",
            "auth/htpasswd",
            "--addr",
            "127.0.0.1:0",
        ],
    );
    write_htpasswd(&tmp.path().join("auth/htpasswd"));
    assert!(validate(tmp.path(), &config, &[]).status.success());
    let auth_json = tmp.path().join("containers/auth.json");
    let env = [("REGISTRY_AUTH_FILE", auth_json.to_str().unwrap())];

    let validated = validate(tmp.path(), &config, &env);
    assert!(!validated.status.success());
    let serve = regctl()
        .current_dir(tmp.path())
        .args(["serve", "-c"])
        .arg(&config)
        .envs(env)
        .output()
        .unwrap();
    assert!(!serve.status.success());
    let verify = regctl()
        .current_dir(tmp.path())
        .args(["user", "verify", "-c"])
        .arg(&config)
        .args([USER, "--password-stdin"])
        .envs(env)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!verify.status.success());
    for (what, text) in [
        ("validate", stdout_of(&validated)),
        ("serve", stderr_of(&serve)),
        ("user verify", stderr_of(&verify)),
    ] {
        assert!(
            text.contains("(set by REGISTRY_AUTH_FILE)")
                && text.contains("podman's/skopeo's auth.json")
                && text.contains("env -u REGISTRY_AUTH_FILE"),
            "{what}: {text}"
        );
    }
    assert!(stderr_of(&serve).contains("with the REGISTRY_* environment variables is invalid"));
}

// ---------------------------------------------------------------------------------------------
// `regctl config set|unset`: in-place edits that keep comments and layout.

fn config_cmd(dir: &Path, config: &Path, args: &[&str]) -> Output {
    regctl()
        .current_dir(dir)
        .arg("-c")
        .arg(config)
        .arg("config")
        .args(args)
        .output()
        .unwrap()
}

/// The lines of `a` and `b` that differ, by position (both have the same number of lines).
fn changed_lines(a: &str, b: &str) -> Vec<(String, String)> {
    assert_eq!(a.lines().count(), b.lines().count(), "{b}");
    a.lines()
        .zip(b.lines())
        .filter(|(x, y)| x != y)
        .map(|(x, y)| (x.to_owned(), y.to_owned()))
        .collect()
}

#[test]
fn config_set_edits_a_generated_config_in_place() {
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let config = generate(tmp.path(), &["--addr", &addr, "--root", "data"]);
    fs::set_permissions(&config, std::os::unix::fs::PermissionsExt::from_mode(0o640)).unwrap();
    let before = fs::read_to_string(&config).unwrap();

    // --dry-run prints a unified diff and writes nothing.
    let dry = config_cmd(
        tmp.path(),
        &config,
        &["set", "storage.delete.enabled", "true", "--dry-run"],
    );
    let diff = success_stdout(&dry);
    assert!(
        diff.contains("-    enabled: false\n+    enabled: true\n") && diff.starts_with("--- "),
        "{diff}"
    );
    assert_eq!(fs::read_to_string(&config).unwrap(), before);

    success_stdout(&config_cmd(
        tmp.path(),
        &config,
        &["set", "storage.delete.enabled", "true"],
    ));
    let after = fs::read_to_string(&config).unwrap();
    assert_eq!(
        changed_lines(&before, &after),
        [(
            "    enabled: false".to_owned(),
            "    enabled: true".to_owned()
        )],
        "every other byte is kept"
    );
    assert!(after.ends_with('\n') && before.matches('#').count() == after.matches('#').count());
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&fs::metadata(&config).unwrap().permissions())
            & 0o777,
        0o640,
        "the mode is kept"
    );
    assert!(validate(tmp.path(), &config, &[]).status.success());

    // registry:2 (Debian's docker-registry) reads the edited file and honours the change.
    let mut registry = DockerRegistry::start_with_config(&config, &addr);
    assert_eq!(wait_for_status(&mut registry, port, None), 200);
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "DELETE /v2/x/manifests/sha256:{} HTTP/1.1\r\nHost: r\r\nConnection: close\r\n\r\n",
        "0".repeat(64)
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(
        !response.starts_with("HTTP/1.1 405"),
        "deletes are enabled: {response}"
    );
}

#[test]
fn config_set_adds_nested_keys_and_unset_removes_them() {
    let tmp = tempfile::tempdir().unwrap();
    let config = generate(tmp.path(), &["--root", "data"]);
    let before = fs::read_to_string(&config).unwrap();

    success_stdout(&config_cmd(
        tmp.path(),
        &config,
        &[
            "set",
            "http.tls.letsencrypt.email",
            "ops@example.com",
            "--dry-run",
        ],
    ));
    success_stdout(&config_cmd(
        tmp.path(),
        &config,
        &["set", "log.accesslog.disabled", "true"],
    ));
    let added = fs::read_to_string(&config).unwrap();
    assert!(
        added.contains("log:\n  level: info\n  fields:\n    service: registry\n  accesslog:\n    disabled: true\n"),
        "{added}"
    );
    let shown = success_stdout(&config_cmd(tmp.path(), &config, &["show"]));
    assert!(shown.contains("accesslog:\n    disabled: true"), "{shown}");

    success_stdout(&config_cmd(
        tmp.path(),
        &config,
        &["unset", "log.accesslog.disabled"],
    ));
    assert_eq!(
        fs::read_to_string(&config).unwrap(),
        before,
        "unset undoes set"
    );

    let missing = config_cmd(tmp.path(), &config, &["unset", "redis.addr"]);
    assert!(!missing.status.success());
    assert!(
        stderr_of(&missing).contains("redis.addr is not set"),
        "{}",
        stderr_of(&missing)
    );
}

#[test]
fn config_set_refuses_invalid_results_and_unsafe_files() {
    let tmp = tempfile::tempdir().unwrap();
    let config = generate(tmp.path(), &["--root", "data"]);
    let before = fs::read_to_string(&config).unwrap();
    for (args, says) in [
        (
            &["set", "storage.delete.enabled", "maybe"][..],
            "storage.delete.enabled: expected true or false",
        ),
        (
            &["set", "proxy.exec.command", "/bin/true"][..],
            "proxy.exec: regctl serve does not support",
        ),
        (
            &["set", "http.addr", "nowhere"][..],
            "http.addr: cannot listen",
        ),
        (&["set", "storage", "inmemory"][..], "storage is a section"),
        (&["unset", "version"][..], "version"),
    ] {
        let out = config_cmd(tmp.path(), &config, args);
        assert!(!out.status.success(), "{args:?}");
        let text = format!("{}{}", stdout_of(&out), stderr_of(&out));
        assert!(text.contains(says), "{args:?}: {text}");
        assert_eq!(
            fs::read_to_string(&config).unwrap(),
            before,
            "{args:?} wrote"
        );
    }

    let flow = tmp.path().join("flow.yml");
    fs::write(
        &flow,
        "version: 0.1\nstorage: {filesystem: {rootdirectory: data}}\n",
    )
    .unwrap();
    let out = config_cmd(
        tmp.path(),
        &flow,
        &["set", "storage.delete.enabled", "true"],
    );
    assert!(!out.status.success());
    assert!(
        stderr_of(&out).contains("edit it by hand"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn keys_without_effect_are_listed_and_env_set_unsupported_keys_name_the_variable() {
    let tmp = tempfile::tempdir().unwrap();
    let config = generate(tmp.path(), &["--root", "data"]);
    let verbose = regctl()
        .current_dir(tmp.path())
        .args(["config", "validate", "-v", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(verbose.status.success(), "{}", stdout_of(&verbose));
    let notes = stderr_of(&verbose);
    for key in ["log.fields", "storage.cache.blobdescriptor"] {
        assert!(
            notes.contains(&format!("{key}: accepted without effect in regctl serve: ")),
            "{key}: {notes}"
        );
    }

    let env = [("REGISTRY_HTTP_PREFIX", "/reg/")];
    let validated = validate(tmp.path(), &config, &env);
    assert!(!validated.status.success());
    let line = "http.prefix: regctl serve does not support serving under a URL prefix \
                (http.prefix) yet; registry:2 does";
    assert!(
        stdout_of(&validated).contains(line),
        "{}",
        stdout_of(&validated)
    );
    assert!(stdout_of(&validated).contains("(set by REGISTRY_HTTP_PREFIX)"));
    let served = regctl()
        .current_dir(tmp.path())
        .args(["serve", "-c"])
        .arg(&config)
        .envs(env)
        .output()
        .unwrap();
    assert!(!served.status.success());
    assert!(
        stderr_of(&served).contains(line)
            && stderr_of(&served).contains("(set by REGISTRY_HTTP_PREFIX)"),
        "{}",
        stderr_of(&served)
    );
}
