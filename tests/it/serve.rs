//! `regctl serve`, the server shell: ready line, API version and configured headers, htpasswd
//! authentication (files from the bcrypt crate and from Apache's `htpasswd`), reload of the
//! htpasswd file, TLS checked by curl and reqwest, HTTP/2 negotiation, JSON logs, SIGTERM.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::common::pki::TestCa;
use crate::common::server::Server;
use crate::common::{regctl, require_tool};

const UNAUTHORIZED_BODY: &str =
    "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\",\"detail\":null}]}\n";

fn bcrypt_entry(user: &str, password: &str) -> String {
    let hash = bcrypt::hash_with_result(password, 5)
        .unwrap()
        .format_for_version(bcrypt::Version::TwoY);
    format!("{user}:{hash}\n")
}

/// Replaces `path` the way `regctl user add` does: a new file renamed over the old one.
fn replace_file(path: &Path, text: &str) {
    regctl::fsutil::atomic_write(path, text.as_bytes(), None).unwrap();
}

fn auth_env(path: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("REGISTRY_AUTH", "htpasswd".to_owned()),
        ("REGISTRY_AUTH_HTPASSWD_REALM", "Registry Realm".to_owned()),
        (
            "REGISTRY_AUTH_HTPASSWD_PATH",
            path.to_str().unwrap().to_owned(),
        ),
    ]
}

fn as_refs<'a>(envs: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    envs.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// SIGTERM and the exit status, waited for off the async runtime so that the test's HTTP clients
/// can answer the server's connection shutdown meanwhile.
async fn terminate(server: Server) -> std::process::ExitStatus {
    tokio::task::spawn_blocking(move || server.terminate())
        .await
        .unwrap()
}

async fn get(url: &str, credentials: Option<(&str, &str)>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(url);
    if let Some((user, password)) = credentials {
        request = request.basic_auth(user, Some(password));
    }
    request.send().await.unwrap()
}

async fn assert_challenged(url: &str, credentials: Option<(&str, &str)>) {
    let response = get(url, credentials).await;
    assert_eq!(response.status(), 401, "{credentials:?}");
    assert_eq!(
        response.headers()["www-authenticate"],
        "Basic realm=\"Registry Realm\""
    );
    assert_eq!(
        response.headers()["docker-distribution-api-version"],
        "registry/2.0"
    );
    assert_eq!(response.text().await.unwrap(), UNAUTHORIZED_BODY);
}

#[tokio::test]
async fn answers_v2_with_api_version_and_configured_headers_and_exits_0_on_sigterm() {
    let root = tempfile::tempdir().unwrap();
    let server = Server::start(
        root.path(),
        &[],
        &[(
            "REGISTRY_HTTP_HEADERS",
            "{X-Content-Type-Options: [nosniff], X-Extra: [one, two]}",
        )],
    );
    assert_eq!(
        server.ready_line,
        format!(
            "regctl serve: listening on http://{} (storage {}, auth off, TLS off)",
            server.addr,
            root.path().display()
        )
    );
    for path in ["/v2/", "/not-an-endpoint"] {
        let response = get(&format!("{}{path}", server.base), None).await;
        assert_eq!(
            response.headers()["docker-distribution-api-version"],
            "registry/2.0"
        );
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        let extra: Vec<_> = response.headers().get_all("x-extra").iter().collect();
        assert_eq!(extra, ["one", "two"]);
    }
    let response = get(&format!("{}/v2/", server.base), None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "{}");
    let status = terminate(server).await;
    assert_eq!(status.code(), Some(0), "{status:?}");
}

#[tokio::test]
async fn htpasswd_from_the_bcrypt_crate_and_users_added_while_running() {
    let root = tempfile::tempdir().unwrap();
    let htpasswd = root.path().join("htpasswd");
    replace_file(&htpasswd, &bcrypt_entry("alice", "wonderland"));
    let envs = auth_env(&htpasswd);
    let server = Server::start(&root.path().join("data"), &[], &as_refs(&envs));
    assert!(
        server.ready_line.contains("auth on"),
        "{}",
        server.ready_line
    );
    let v2 = format!("{}/v2/", server.base);

    assert_challenged(&v2, None).await;
    assert_challenged(&v2, Some(("alice", "wrong"))).await;
    assert_challenged(&v2, Some(("mallory", "wonderland"))).await;
    let ok = get(&v2, Some(("alice", "wonderland"))).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(
        ok.headers()["docker-distribution-api-version"],
        "registry/2.0"
    );
    // served from the verified-credential cache, still exact
    assert_eq!(get(&v2, Some(("alice", "wonderland"))).await.status(), 200);
    assert_challenged(&v2, Some(("alice", "wonderlan"))).await;

    replace_file(
        &htpasswd,
        &format!(
            "{}{}",
            bcrypt_entry("alice", "wonderland"),
            bcrypt_entry("bob", "builder")
        ),
    );
    // the file is checked at most once a second: wait (bounded) until bob gets in
    let mut accepted = false;
    for _ in 0..100 {
        if get(&v2, Some(("bob", "builder"))).await.status() == 200 {
            accepted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        accepted,
        "a user added to the file must be accepted without restart"
    );
    assert_eq!(get(&v2, Some(("alice", "wonderland"))).await.status(), 200);

    // removing a user takes effect too, despite the cache
    replace_file(&htpasswd, &bcrypt_entry("bob", "builder"));
    let mut refused = false;
    for _ in 0..100 {
        if get(&v2, Some(("alice", "wonderland"))).await.status() == 401 {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(refused, "a removed user must be refused without restart");
    assert_eq!(terminate(server).await.code(), Some(0));
}

#[tokio::test]
async fn htpasswd_written_by_apache_htpasswd() {
    let tool = require_tool("htpasswd", "apache2-utils");
    let root = tempfile::tempdir().unwrap();
    let htpasswd = root.path().join("htpasswd");
    let created = Command::new(&tool)
        .args(["-B", "-b", "-c"])
        .arg(&htpasswd)
        .args(["carol", "s3cret"])
        .output()
        .unwrap();
    assert!(created.status.success(), "{created:?}");
    // an apr1 entry (Apache's default) is not accepted, as in registry:2
    let apr1 = Command::new(&tool)
        .args(["-m", "-b"])
        .arg(&htpasswd)
        .args(["dave", "s3cret"])
        .output()
        .unwrap();
    assert!(apr1.status.success(), "{apr1:?}");
    let envs = auth_env(&htpasswd);
    let server = Server::start(&root.path().join("data"), &[], &as_refs(&envs));
    let v2 = format!("{}/v2/", server.base);
    assert_challenged(&v2, None).await;
    assert_challenged(&v2, Some(("carol", "wrong"))).await;
    assert_eq!(get(&v2, Some(("carol", "s3cret"))).await.status(), 200);
    assert_challenged(&v2, Some(("dave", "s3cret"))).await;
}

#[test]
fn refuses_to_start_without_the_htpasswd_file() {
    let root = tempfile::tempdir().unwrap();
    let missing = root.path().join("auth").join("htpasswd");
    let envs = auth_env(&missing);
    let output = regctl()
        .args(["serve", "--addr", "127.0.0.1:0", "--root"])
        .arg(root.path())
        .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("regctl user add"), "{stderr}");
    assert!(stderr.contains(missing.to_str().unwrap()), "{stderr}");
    assert!(output.stdout.is_empty(), "no ready line on failure");
}

/// A CA and a server certificate for 127.0.0.1 and localhost, written as PEM files.
struct TestPki {
    ca: PathBuf,
    certificate: PathBuf,
    key: PathBuf,
}

fn test_pki(dir: &Path) -> TestPki {
    let ca = TestCa::new("regctl test CA");
    // Usable as a server certificate and, in the client-certificate test, as a client's.
    let (certificate, key) = ca.issue(&["localhost", "127.0.0.1"]);
    let pki = TestPki {
        ca: dir.join("ca.crt"),
        certificate: dir.join("tls.crt"),
        key: dir.join("tls.key"),
    };
    std::fs::write(&pki.ca, &ca.cert_pem).unwrap();
    std::fs::write(&pki.certificate, certificate).unwrap();
    std::fs::write(&pki.key, key).unwrap();
    pki
}

fn tls_env(pki: &TestPki) -> Vec<(&'static str, String)> {
    vec![
        (
            "REGISTRY_HTTP_TLS_CERTIFICATE",
            pki.certificate.to_str().unwrap().to_owned(),
        ),
        (
            "REGISTRY_HTTP_TLS_KEY",
            pki.key.to_str().unwrap().to_owned(),
        ),
    ]
}

/// `curl --cacert CA URL`, printing the body and then the HTTP version curl used.
fn curl_https(ca: &Path, url: &str, extra: &[&str]) -> (String, String) {
    let curl = require_tool("curl", "curl");
    let output = Command::new(curl)
        .args(["--silent", "--show-error", "--fail", "--cacert"])
        .arg(ca)
        .args(extra)
        .args(["--write-out", "\n%{http_version}", url])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "curl {url} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let (body, version) = text.rsplit_once('\n').unwrap();
    (body.to_owned(), version.to_owned())
}

#[tokio::test]
async fn tls_with_a_test_ca_verified_by_curl_and_reqwest_with_http2() {
    let root = tempfile::tempdir().unwrap();
    let pki = test_pki(root.path());
    let envs = tls_env(&pki);
    let server = Server::start(&root.path().join("data"), &[], &as_refs(&envs));
    assert!(
        server.base.starts_with("https://127.0.0.1:"),
        "{}",
        server.base
    );
    assert!(
        server.ready_line.ends_with("TLS on)"),
        "{}",
        server.ready_line
    );
    let v2 = format!("{}/v2/", server.base);

    let (body, version) = curl_https(&pki.ca, &v2, &["--http2"]);
    assert_eq!(body, "{}");
    assert_eq!(version, "2", "HTTP/2 is negotiated over TLS");
    let (_, version) = curl_https(&pki.ca, &v2, &["--http1.1"]);
    assert_eq!(version, "1.1");
    let port = server.addr.rsplit(':').next().unwrap();
    let (body, _) = curl_https(&pki.ca, &format!("https://localhost:{port}/v2/"), &[]);
    assert_eq!(body, "{}");

    let ca = reqwest::Certificate::from_pem(&std::fs::read(&pki.ca).unwrap()).unwrap();
    let client = reqwest::Client::builder()
        .tls_certs_only([ca])
        .build()
        .unwrap();
    let response = client.get(&v2).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    assert_eq!(
        response.headers()["docker-distribution-api-version"],
        "registry/2.0"
    );
    // without the CA the certificate is not trusted
    let untrusting = reqwest::Client::builder()
        .tls_certs_only([])
        .build()
        .unwrap();
    assert!(untrusting.get(&v2).send().await.is_err());
    assert_eq!(terminate(server).await.code(), Some(0));
}

#[test]
fn http2_disabled_serves_http1_only_over_tls() {
    let root = tempfile::tempdir().unwrap();
    let pki = test_pki(root.path());
    let mut envs = tls_env(&pki);
    envs.push(("REGISTRY_HTTP_HTTP2_DISABLED", "true".to_owned()));
    let server = Server::start(&root.path().join("data"), &[], &as_refs(&envs));
    let (body, version) = curl_https(&pki.ca, &format!("{}/v2/", server.base), &["--http2"]);
    assert_eq!(body, "{}");
    assert_eq!(version, "1.1");
}

#[test]
fn http2_disabled_refuses_h2c_on_plain_http() {
    let root = tempfile::tempdir().unwrap();
    let curl = require_tool("curl", "curl");
    let plain = Server::start(root.path(), &[], &[]);
    let h2c = |base: &str| {
        Command::new(&curl)
            .args([
                "--silent",
                "--http2-prior-knowledge",
                "--write-out",
                "%{http_version}",
                "--output",
                "/dev/null",
            ])
            .arg(format!("{base}/v2/"))
            .output()
            .unwrap()
    };
    assert_eq!(String::from_utf8_lossy(&h2c(&plain.base).stdout), "2");
    drop(plain);
    let disabled = Server::start(
        root.path(),
        &[],
        &[("REGISTRY_HTTP_HTTP2_DISABLED", "true")],
    );
    let output = h2c(&disabled.base);
    assert_ne!(String::from_utf8_lossy(&output.stdout), "2");
}

#[test]
fn unusable_tls_files_are_refused_with_the_file_named() {
    let root = tempfile::tempdir().unwrap();
    let pki = test_pki(root.path());
    let start = |certificate: &Path, key: &Path| {
        regctl()
            .args(["serve", "--addr", "127.0.0.1:0", "--root"])
            .arg(root.path().join("data"))
            .env("REGISTRY_HTTP_TLS_CERTIFICATE", certificate)
            .env("REGISTRY_HTTP_TLS_KEY", key)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let missing = root.path().join("missing.crt");
    let output = start(&missing, &pki.key);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(missing.to_str().unwrap()), "{stderr}");

    // the CA's certificate with the server's key
    let output = start(&pki.ca, &pki.key);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("does not match the certificate") && stderr.contains("http.tls.key"),
        "{stderr}"
    );
}

/// Starts `regctl serve` with stderr going to a file, for tests that read the logs.
fn start_logging_to(stderr: &Path, root: &Path, envs: &[(&str, &str)], cwd: &Path) -> Server {
    let mut cmd = regctl();
    cmd.args(["serve", "--addr", "127.0.0.1:0"])
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(stderr).unwrap());
    if root != Path::new("") {
        cmd.arg("--root").arg(root);
    }
    cmd.envs(envs.iter().copied());
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    let ready_line = match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(line) => line,
        Err(_) => {
            let _ = child.kill();
            panic!(
                "no ready line; stderr: {}",
                std::fs::read_to_string(stderr).unwrap_or_default()
            );
        }
    };
    let base = ready_line
        .split("listening on ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .to_owned();
    let addr = base.trim_start_matches("http://").to_owned();
    Server {
        child,
        base,
        addr,
        ready_line,
    }
}

#[tokio::test]
async fn json_formatter_writes_one_json_object_per_line_with_an_access_line() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("stderr.log");
    let server = start_logging_to(
        &log,
        &dir.path().join("data"),
        &[("REGISTRY_LOG_FORMATTER", "json")],
        dir.path(),
    );
    assert_eq!(
        get(&format!("{}/v2/", server.base), None).await.status(),
        200
    );
    // HEAD answers carry no body: their lines say completed, error or not.
    let head = reqwest::Client::new()
        .head(format!("{}/v2/app/manifests/1.0", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 404);
    assert_eq!(terminate(server).await.code(), Some(0));

    let text = std::fs::read_to_string(&log).unwrap();
    let head_line = text
        .lines()
        .find(|line| line.contains("\"HEAD\""))
        .unwrap_or_else(|| panic!("no HEAD access line in {text}"));
    let head_line: serde_json::Value = serde_json::from_str(head_line).unwrap();
    assert_eq!(head_line["status"], 404);
    assert_eq!(head_line["completed"], true, "{head_line}");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    assert!(lines.len() >= 3, "{text}");
    let access = lines
        .iter()
        .find(|line| line["target"] == "regctl::access")
        .unwrap_or_else(|| panic!("no access line in {text}"));
    assert_eq!(access["method"], "GET");
    assert_eq!(access["path"], "/v2/");
    assert_eq!(access["status"], 200);
    assert_eq!(access["bytes"], 2);
    assert_eq!(access["user"], "-");
    assert!(access["remote"].as_str().unwrap().starts_with("127.0.0.1:"));
    assert!(lines.iter().any(|line| line["level"] == "INFO"
        && line["message"]
            .as_str()
            .unwrap_or("")
            .contains("no config file")));
}

#[tokio::test]
async fn without_configuration_serves_registry_data_without_auth_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("stderr.log");
    let server = start_logging_to(
        &log,
        Path::new(""),
        &[("REGISTRY_LOG_ACCESSLOG_DISABLED", "true")],
        dir.path(),
    );
    assert!(
        server
            .ready_line
            .ends_with("(storage ./registry-data, auth off, TLS off)"),
        "{}",
        server.ready_line
    );
    assert_eq!(
        get(&format!("{}/v2/", server.base), None).await.status(),
        200
    );
    assert_eq!(terminate(server).await.code(), Some(0));
    let text = std::fs::read_to_string(&log).unwrap();
    let notes: Vec<_> = text
        .lines()
        .filter(|line| line.contains("no config file"))
        .collect();
    assert_eq!(notes.len(), 1, "{text}");
    assert!(notes[0].contains("./registry-data") && notes[0].contains("without authentication"));
    assert!(
        !text.contains("regctl::access"),
        "access log disabled: {text}"
    );
}

#[test]
fn sigint_also_stops_with_status_0() {
    let root = tempfile::tempdir().unwrap();
    let mut server = Server::start(root.path(), &[], &[]);
    let sent = Command::new("kill")
        .args(["-INT", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = server.child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{status:?}");
}

#[test]
fn client_certificates_are_required_when_clientcas_is_set() {
    let root = tempfile::tempdir().unwrap();
    let pki = test_pki(root.path());
    // a client certificate from another CA built the same way
    let client_dir = root.path().join("client");
    std::fs::create_dir(&client_dir).unwrap();
    let client = test_pki(&client_dir);
    let mut envs = tls_env(&pki);
    envs.push((
        "REGISTRY_HTTP_TLS_CLIENTCAS",
        format!("[{}]", client.ca.display()),
    ));
    let server = Server::start(&root.path().join("data"), &[], &as_refs(&envs));
    let v2 = format!("{}/v2/", server.base);

    let curl = require_tool("curl", "curl");
    let without = Command::new(&curl)
        .args(["--silent", "--fail", "--cacert"])
        .arg(&pki.ca)
        .arg(&v2)
        .output()
        .unwrap();
    assert!(
        !without.status.success(),
        "no client certificate must be refused"
    );

    let (body, _) = curl_https(
        &pki.ca,
        &v2,
        &[
            "--cert",
            client.certificate.to_str().unwrap(),
            "--key",
            client.key.to_str().unwrap(),
        ],
    );
    assert_eq!(body, "{}");
}

#[test]
fn sighup_reloads_a_renewed_certificate() {
    let root = tempfile::tempdir().unwrap();
    let first = test_pki(root.path());
    let envs = tls_env(&first);
    let server = Server::start(&root.path().join("data"), &[], &as_refs(&envs));
    let v2 = format!("{}/v2/", server.base);
    assert_eq!(curl_https(&first.ca, &v2, &[]).0, "{}");

    // "renew": a certificate from a new CA written over the files in use
    let renewed_dir = root.path().join("renewed");
    std::fs::create_dir(&renewed_dir).unwrap();
    let renewed = test_pki(&renewed_dir);
    std::fs::copy(&renewed.certificate, &first.certificate).unwrap();
    std::fs::copy(&renewed.key, &first.key).unwrap();
    let sent = Command::new("kill")
        .args(["-HUP", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());

    let curl = require_tool("curl", "curl");
    let trusted_by = |ca: &Path| {
        Command::new(&curl)
            .args(["--silent", "--fail", "--cacert"])
            .arg(ca)
            .arg(&v2)
            .status()
            .unwrap()
            .success()
    };
    let mut reloaded = false;
    for _ in 0..100 {
        if trusted_by(&renewed.ca) {
            reloaded = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(reloaded, "after SIGHUP the renewed certificate is served");
    assert!(!trusted_by(&first.ca), "the old certificate is gone");
    assert_eq!(server.terminate().code(), Some(0));
}
