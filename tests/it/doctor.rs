//! `regctl doctor` against real servers on loopback (and on this machine's own non-loopback
//! address where it has one, since docker treats 127.0.0.0/8 as insecure by default): a
//! plain-HTTP `regctl serve`, a TLS one with a private CA before and after the CA is installed
//! under `--root`, one behind nginx with a small `client_max_body_size`, one with htpasswd auth
//! and docker credentials, and one whose `http.host` points nowhere.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::common::pki::TestCa;
use crate::common::server::Server;
use crate::common::{free_port, process, regctl, require_tool};

/// `regctl doctor ARGS -o json` with an empty docker config; the output and the parsed report.
fn doctor_json(args: &[&str], docker_config: &Path, dir: &Path) -> (Output, Value) {
    let output = regctl()
        .arg("doctor")
        .args(args)
        .args(["--timeout", "3s", "-o", "json"])
        .env("DOCKER_CONFIG", docker_config)
        .current_dir(dir)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor printed no JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output, report)
}

/// The finding named `check`; fails listing the report when it is absent.
fn finding<'a>(report: &'a Value, check: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == check)
        .unwrap_or_else(|| panic!("no `{check}` finding in {report:#}"))
}

fn status<'a>(report: &'a Value, check: &str) -> &'a str {
    finding(report, check)["status"].as_str().unwrap()
}

fn text(finding: &Value) -> String {
    finding.to_string()
}

/// Runs a finding's fix exactly as printed (it must be a plain command line).
fn run_fix(finding: &Value, dir: &Path) {
    let fix = finding["fix"]
        .as_str()
        .unwrap_or_else(|| panic!("no fix in {finding}"));
    let words: Vec<&str> = fix.split_whitespace().collect();
    assert_eq!(words[0], "regctl", "a regctl command: {fix}");
    let output = regctl()
        .args(&words[1..])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "`{fix}` failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A fake client machine: docker's and podman's configuration directories, and the real system
/// CA bundle (so "not in the system bundle" is judged against a real one).
fn client_root(dir: &Path) -> PathBuf {
    let root = dir.join("client-root");
    std::fs::create_dir_all(root.join("etc/docker")).unwrap();
    std::fs::create_dir_all(root.join("etc/containers")).unwrap();
    std::fs::create_dir_all(root.join("etc/ssl/certs")).unwrap();
    if Path::new("/etc/ssl/certs/ca-certificates.crt").exists() {
        std::fs::copy(
            "/etc/ssl/certs/ca-certificates.crt",
            root.join("etc/ssl/certs/ca-certificates.crt"),
        )
        .unwrap();
    }
    root
}

/// A client machine with only docker (loopback plain HTTP is fine for it), so no other client's
/// finding decides the exit status.
fn docker_only_root(dir: &Path) -> PathBuf {
    let root = dir.join("docker-only-root");
    std::fs::create_dir_all(root.join("etc/docker")).unwrap();
    root
}

/// This machine's first non-loopback IPv4 address, if it has one (docker treats loopback as
/// insecure by default, so only such an address shows docker's own failures).
fn outside_ipv4() -> Option<String> {
    let output = Command::new("hostname").arg("-I").output().ok()?;
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .find(|ip| {
            ip.parse::<std::net::Ipv4Addr>()
                .is_ok_and(|ip| !ip.is_loopback() && !ip.is_link_local())
        })
        .map(str::to_owned)
}

#[test]
fn plain_http_registry_is_diagnosed_with_the_insecure_registries_fix() {
    let dir = tempfile::tempdir().unwrap();
    let root = client_root(dir.path());
    let store = dir.path().join("store");
    let port = free_port();
    let listen = format!("0.0.0.0:{port}");
    let _server = Server::start_with_args(
        &[
            "serve",
            "--addr",
            &listen,
            "--root",
            store.to_str().unwrap(),
        ],
        &[],
    );
    let root_arg = root.to_str().unwrap();

    // On loopback: docker needs nothing (127.0.0.0/8 is insecure by default), podman does.
    let local = format!("127.0.0.1:{port}");
    let (output, report) = doctor_json(&[&local, "--root", root_arg], dir.path(), dir.path());
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    assert_eq!(report["scheme"], "http");
    assert!(text(finding(&report, "transport")).contains("speaks plain HTTP"));
    assert_eq!(status(&report, "docker"), "ok");
    assert!(text(finding(&report, "docker"))
        .contains("127.0.0.0/8, which docker treats as insecure by default"));
    let podman = finding(&report, "podman");
    assert_eq!(podman["status"], "fail");
    assert!(
        text(podman).contains("http: server gave HTTP response to HTTPS client"),
        "{podman}"
    );
    assert_eq!(
        podman["fix"],
        format!("regctl client-setup {local} --podman --no-docker --root {root_arg}")
    );
    assert_eq!(status(&report, "api"), "ok");
    assert_eq!(status(&report, "push"), "skipped");
    run_fix(podman, dir.path());
    let (output, report) = doctor_json(&[&local, "--root", root_arg], dir.path(), dir.path());
    assert!(output.status.success(), "{report:#}");
    assert_eq!(status(&report, "podman"), "ok");
    assert!(text(finding(&report, "podman")).contains("insecure = true"));

    // The human form without a terminal: plain words, evidence and the fix.
    let plain = regctl()
        .args(["doctor", &local, "--root", root_arg])
        .env("DOCKER_CONFIG", dir.path())
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&plain.stdout);
    assert!(shown.contains("ok   transport"), "{shown}");
    assert!(!shown.contains('✔'), "{shown}");

    // From outside loopback docker itself fails, and the printed fix (insecure-registries) cures it.
    let Some(ip) = outside_ipv4() else {
        eprintln!("no non-loopback IPv4 address here: docker's own plain-HTTP failure not checked");
        return;
    };
    let outside = format!("{ip}:{port}");
    let (output, report) = doctor_json(&[&outside, "--root", root_arg], dir.path(), dir.path());
    assert_eq!(output.status.code(), Some(1));
    let docker = finding(&report, "docker");
    assert_eq!(docker["status"], "fail", "{docker}");
    assert!(
        text(docker).contains("docker would fail: http: server gave HTTP response to HTTPS client")
    );
    assert_eq!(
        docker["fix"],
        format!("regctl client-setup {outside} --root {root_arg}")
    );
    run_fix(docker, dir.path());
    let (_, report) = doctor_json(&[&outside, "--root", root_arg], dir.path(), dir.path());
    let docker = finding(&report, "docker");
    assert_eq!(docker["status"], "ok", "{docker}");
    assert!(text(docker).contains(&format!(
        "daemon.json lists {outside} in insecure-registries"
    )));
}

#[test]
fn self_signed_registry_fails_with_unknown_authority_until_the_ca_is_installed() {
    let dir = tempfile::tempdir().unwrap();
    let root = client_root(dir.path());
    let root_arg = root.to_str().unwrap();
    let outside = outside_ipv4();
    let ca = TestCa::new("doctor test CA");
    let mut names = vec!["localhost", "127.0.0.1"];
    if let Some(ip) = &outside {
        names.push(ip);
    }
    let (cert, key) = ca.issue(&names);
    let (cert_path, key_path) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
    std::fs::write(&cert_path, cert).unwrap();
    std::fs::write(&key_path, key).unwrap();
    // What the fix names: ca.crt in the directory the fix runs in.
    std::fs::write(dir.path().join("ca.crt"), &ca.cert_pem).unwrap();
    let port = free_port();
    let listen = format!("0.0.0.0:{port}");
    let store = dir.path().join("store");
    let _server = Server::start_with_args(
        &[
            "serve",
            "--addr",
            &listen,
            "--root",
            store.to_str().unwrap(),
        ],
        &[
            ("REGISTRY_HTTP_TLS_CERTIFICATE", cert_path.to_str().unwrap()),
            ("REGISTRY_HTTP_TLS_KEY", key_path.to_str().unwrap()),
        ],
    );

    let local = format!("localhost:{port}");
    let (output, report) = doctor_json(&[&local, "--root", root_arg], dir.path(), dir.path());
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    assert_eq!(report["scheme"], "https");
    let certificate = finding(&report, "certificate");
    assert_eq!(certificate["status"], "ok", "{certificate}");
    assert!(
        text(certificate).contains("names: localhost, 127.0.0.1"),
        "{certificate}"
    );
    assert!(
        text(certificate).contains("issuer: CN=doctor test CA"),
        "{certificate}"
    );
    // Loopback: docker skips verification (warn), podman fails as docker would elsewhere.
    assert_eq!(status(&report, "docker"), "warn");
    assert!(
        text(finding(&report, "docker")).contains("x509: certificate signed by unknown authority")
    );
    let podman = finding(&report, "podman");
    assert_eq!(podman["status"], "fail");
    assert!(
        text(podman).contains("podman would fail: x509: certificate signed by unknown authority")
    );
    assert!(
        text(podman).contains("ca-certificates.crt"),
        "judged against the system bundle: {podman}"
    );
    assert_eq!(
        podman["fix"],
        format!(
            "regctl client-setup {local} --ca-file ca.crt --podman --no-docker --root {root_arg}"
        )
    );
    run_fix(podman, dir.path());
    let (output, report) = doctor_json(&[&local, "--root", root_arg], dir.path(), dir.path());
    assert!(output.status.success(), "{report:#}");
    let podman = finding(&report, "podman");
    assert_eq!(podman["status"], "ok");
    assert!(
        text(podman).contains(&format!("etc/containers/certs.d/{local}/ca.crt")),
        "{podman}"
    );

    // A name the certificate does not carry.
    let (_, report) = doctor_json(
        &[&format!("127.0.0.2:{port}"), "--root", root_arg],
        dir.path(),
        dir.path(),
    );
    let certificate = finding(&report, "certificate");
    assert_eq!(certificate["status"], "fail");
    assert!(
        text(certificate).contains("it does not name 127.0.0.2"),
        "{certificate}"
    );

    let Some(ip) = outside else {
        eprintln!("no non-loopback IPv4 address here: docker's own x509 failure not checked");
        return;
    };
    let outside = format!("{ip}:{port}");
    let (_, report) = doctor_json(&[&outside, "--root", root_arg], dir.path(), dir.path());
    let docker = finding(&report, "docker");
    assert_eq!(docker["status"], "fail", "{docker}");
    assert!(
        text(docker).contains("docker would fail: x509: certificate signed by unknown authority")
    );
    assert_eq!(
        docker["fix"],
        format!("regctl client-setup {outside} --ca-file ca.crt --root {root_arg}")
    );
    run_fix(docker, dir.path());
    let (output, report) = doctor_json(&[&outside, "--root", root_arg], dir.path(), dir.path());
    let docker = finding(&report, "docker");
    assert_eq!(docker["status"], "ok", "{docker}");
    assert!(
        text(docker).contains(&format!("etc/docker/certs.d/{outside}/ca.crt")),
        "{docker}"
    );
    assert!(output.status.success(), "{report:#}");
}

/// nginx in front of `upstream` on `port`, with `extra` directives in its server block.
struct Nginx {
    child: std::process::Child,
}

impl Nginx {
    fn start(dir: &Path, port: u16, upstream: &str, extra: &str) -> Self {
        let nginx = require_tool("nginx", "nginx");
        let prefix = dir.join("nginx");
        std::fs::create_dir_all(prefix.join("logs")).unwrap();
        let p = prefix.display();
        let conf = format!(
            "user root;\nworker_processes 1;\npid {p}/nginx.pid;\nerror_log {p}/logs/error.log;\n\
             events {{ worker_connections 64; }}\n\
             http {{\n  access_log {p}/logs/access.log;\n  client_body_temp_path {p}/body;\n  \
             proxy_temp_path {p}/proxy;\n  fastcgi_temp_path {p}/fastcgi;\n  uwsgi_temp_path {p}/uwsgi;\n  \
             scgi_temp_path {p}/scgi;\n  server {{\n    listen 127.0.0.1:{port};\n    {extra}\n    \
             location /v2/ {{\n      proxy_pass http://{upstream};\n      proxy_set_header Host $http_host;\n      \
             proxy_request_buffering off;\n    }}\n  }}\n}}\n"
        );
        let conf_path = prefix.join("nginx.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let mut child = Command::new(nginx)
            .arg("-p")
            .arg(&prefix)
            .arg("-c")
            .arg(&conf_path)
            .args(["-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        process::wait_for_port(&format!("127.0.0.1:{port}"), &mut child, "nginx");
        Self { child }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn nginx_with_a_small_body_limit_is_found_by_the_write_test() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("store"), &[], &[]);
    let port = free_port();
    let _nginx = Nginx::start(
        dir.path(),
        port,
        &server.addr,
        "client_max_body_size 1k; proxy_hide_header Docker-Distribution-Api-Version;",
    );
    let addr = format!("127.0.0.1:{port}");
    let root = docker_only_root(dir.path());
    let root_arg = root.to_str().unwrap();
    let (output, report) = doctor_json(
        &[&addr, "--write", "--root", root_arg],
        dir.path(),
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    // The 1-byte push passes the limit; the 2 MiB chunk does not.
    assert_eq!(status(&report, "push"), "ok", "{report:#}");
    assert_eq!(status(&report, "location"), "ok", "{report:#}");
    let body = finding(&report, "body-size");
    assert_eq!(body["status"], "fail", "{body}");
    assert!(
        text(body).contains("413 Request Entity Too Large"),
        "{body}"
    );
    assert!(text(body).contains("Server: nginx"), "{body}");
    assert!(body["fix"]
        .as_str()
        .unwrap()
        .contains("client_max_body_size 0;"));
    // The proxy dropped the API version header.
    let api = finding(&report, "api");
    assert_eq!(api["status"], "fail", "{api}");
    assert!(
        text(api).contains("without Docker-Distribution-API-Version: a proxy in front drops it"),
        "{api}"
    );

    // Straight to the registry, the same test passes.
    let (output, report) = doctor_json(
        &[&server.addr, "--write", "--root", root_arg],
        dir.path(),
        dir.path(),
    );
    assert!(output.status.success(), "{report:#}");
    assert_eq!(status(&report, "body-size"), "ok");
    assert_eq!(status(&report, "api"), "ok");
}

#[test]
fn stored_credentials_are_checked_and_an_unreachable_http_host_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let htpasswd = dir.path().join("htpasswd");
    let out = Command::new(require_tool("htpasswd", "apache2-utils"))
        .args(["-Bbc", htpasswd.to_str().unwrap(), "alice", "s3cret-pass"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let server = Server::start(
        &dir.path().join("store"),
        &[],
        &[
            ("REGISTRY_AUTH", "htpasswd"),
            ("REGISTRY_AUTH_HTPASSWD_REALM", "test"),
            ("REGISTRY_AUTH_HTPASSWD_PATH", htpasswd.to_str().unwrap()),
            // Nothing listens on port 1: every upload Location points nowhere.
            ("REGISTRY_HTTP_HOST", "http://127.0.0.1:1"),
        ],
    );
    let docker = dir.path().join("docker");
    std::fs::create_dir_all(&docker).unwrap();
    let root = docker_only_root(dir.path());
    let root_arg = root.to_str().unwrap();

    let (output, report) = doctor_json(&[&server.addr, "--root", root_arg], &docker, dir.path());
    assert_eq!(output.status.code(), Some(1));
    assert!(text(finding(&report, "auth")).contains("Basic authentication"));
    let credentials = finding(&report, "credentials");
    assert_eq!(credentials["status"], "fail");
    assert!(text(credentials).contains("has none for"), "{credentials}");
    assert_eq!(
        credentials["fix"],
        format!(
            "regctl login {} -u USER (or docker login {})",
            server.addr, server.addr
        )
    );

    use base64::Engine as _;
    let store = |password: &str| {
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("alice:{password}"));
        let config = serde_json::json!({"auths": {&server.addr: {"auth": auth}}});
        std::fs::write(docker.join("config.json"), config.to_string()).unwrap();
    };
    store("wrong");
    let (_, report) = doctor_json(&[&server.addr, "--root", root_arg], &docker, dir.path());
    let credentials = finding(&report, "credentials");
    assert_eq!(credentials["status"], "fail");
    assert!(
        text(credentials).contains("rejected the credentials of user `alice`"),
        "{credentials}"
    );

    store("s3cret-pass");
    let (output, report) = doctor_json(
        &[&server.addr, "--write", "--root", root_arg],
        &docker,
        dir.path(),
    );
    let credentials = finding(&report, "credentials");
    assert_eq!(credentials["status"], "ok", "{credentials}");
    assert!(text(credentials).contains("`alice` are accepted"));
    let location = finding(&report, "location");
    assert_eq!(location["status"], "fail", "{location}");
    assert!(
        text(location).contains("http://127.0.0.1:1 cannot be reached from here"),
        "{location}"
    );
    assert!(location["fix"].as_str().unwrap().contains(&format!(
        "regctl config set http.host http://{}",
        server.addr
    )));
    assert_eq!(output.status.code(), Some(1));
}
