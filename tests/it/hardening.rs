//! `regctl serve` under hostile or careless clients (issue 11): silent sockets, connection caps,
//! wrong-password floods, bcrypt's 72-byte truncation, probes of `/`, plain HTTP on the TLS port,
//! early error answers on keep-alive connections, and what the access log says about transfers.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sha2::Digest as _;

use crate::common::pki::TestCa;
use crate::common::server::Server;
use crate::common::{regctl, require_tool};

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

fn bcrypt_entry(user: &str, password: &str, cost: u32) -> String {
    let hash = bcrypt::hash_with_result(password, cost)
        .unwrap()
        .format_for_version(bcrypt::Version::TwoY);
    format!("{user}:{hash}\n")
}

/// `curl -m 10 URL` with extra arguments: (exit success, stdout).
fn curl(extra: &[&str], url: &str) -> (bool, String) {
    let curl = require_tool("curl", "curl");
    let output = Command::new(curl)
        .args(["--silent", "--show-error", "--max-time", "10"])
        .args(extra)
        .arg(url)
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn silent_sockets_past_the_fd_limit_are_closed_and_a_real_client_gets_in() {
    let prlimit = require_tool("prlimit", "util-linux");
    let root = tempfile::tempdir().unwrap();
    let server = Server::start(root.path(), &[], &[("REGCTL_HEADER_TIMEOUT", "2s")]);
    // The issue's repro: 100 file descriptors, 150 sockets that never send a byte.
    let limited = Command::new(prlimit)
        .args(["--nofile=100:100", "--pid"])
        .arg(server.child.id().to_string())
        .status()
        .unwrap();
    assert!(limited.success());
    let silent: Vec<TcpStream> = (0..150)
        .map(|_| TcpStream::connect(&server.addr).unwrap())
        .collect();
    let started = Instant::now();
    let (ok, body) = curl(&[], &format!("{}/v2/", server.base));
    assert!(
        ok && body == "{}",
        "curl after 150 silent sockets: ok={ok} body={body:?} after {:?}",
        started.elapsed()
    );
    // the silent sockets were closed by the server, not merely outlived
    let mut first = &silent[0];
    first
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = [0_u8; 1];
    assert_eq!(first.read(&mut buf).unwrap_or(0), 0, "closed by the server");
}

#[test]
fn past_the_connection_cap_a_client_is_answered_503_at_once_not_queued() {
    let root = tempfile::tempdir().unwrap();
    let server = Server::start(
        root.path(),
        &[],
        &[
            ("REGCTL_MAX_CONNECTIONS", "4"),
            ("REGCTL_HEADER_TIMEOUT", "3s"),
        ],
    );
    let _silent: Vec<TcpStream> = (0..4)
        .map(|_| TcpStream::connect(&server.addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let (_, refused) = curl(
        &["--write-out", "%{http_code}", "--output", "/dev/null"],
        &format!("{}/v2/", server.base),
    );
    assert_eq!(refused, "503", "a client past the cap is told so at once");
    // once the silent ones hit the header deadline, their slots are free again
    let mut served = false;
    for _ in 0..50 {
        if curl(&[], &format!("{}/v2/", server.base)).1 == "{}" {
            served = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(served, "slots held by silent sockets must come back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_flood_gets_429s_while_a_logged_in_user_is_served() {
    let root = tempfile::tempdir().unwrap();
    let htpasswd = root.path().join("htpasswd");
    std::fs::write(
        &htpasswd,
        format!(
            "{}{}",
            bcrypt_entry("alice", "right", 10),
            bcrypt_entry("bob", "builder", 5)
        ),
    )
    .unwrap();
    let envs = auth_env(&htpasswd);
    let server = Server::start(&root.path().join("data"), &[], &as_refs(&envs));
    let v2 = format!("{}/v2/", server.base);
    let client = reqwest::Client::new();
    // bob logs in once: from now on his credentials are cached
    let first = client
        .get(&v2)
        .basic_auth("bob", Some("builder"))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);

    let flood: Vec<_> = (0..256)
        .map(|i| {
            let client = client.clone();
            let v2 = v2.clone();
            tokio::spawn(async move {
                let response = client
                    .get(&v2)
                    .basic_auth("alice", Some(format!("wrong{i}")))
                    .send()
                    .await
                    .unwrap();
                let retry_after = response.headers().get("retry-after").cloned();
                (response.status().as_u16(), retry_after)
            })
        })
        .collect();
    for round in 0..20 {
        let response = client
            .get(&v2)
            .basic_auth("bob", Some("builder"))
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .unwrap_or_else(|e| panic!("bob's request {round} during the flood: {e}"));
        assert_eq!(response.status(), 200, "bob's request {round}");
    }
    let mut refused = 0;
    let mut busy = 0;
    for task in flood {
        let (status, retry_after) = task.await.unwrap();
        match status {
            401 => refused += 1,
            // 429: the bcrypt queue is full (Retry-After: 1), or this address and user have
            // failed too often (Retry-After: until the next attempt is allowed).
            429 => {
                busy += 1;
                let secs: u64 = retry_after.unwrap().to_str().unwrap().parse().unwrap();
                assert!((1..=6).contains(&secs), "Retry-After {secs}");
            }
            other => panic!("a wrong password got {other}"),
        }
    }
    assert!(
        busy > 0,
        "no 429 among {refused} refusals: bcrypt is unbounded"
    );
    assert!(refused > 0, "some wrong passwords are checked and refused");
}

/// A client bound to one loopback address (Linux routes all of 127/8 to `lo`), to be several
/// clients at once.
fn client_from(address: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from(address))
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_are_limited_per_address_and_per_user_while_logged_in_clients_pass() {
    let root = tempfile::tempdir().unwrap();
    let htpasswd = root.path().join("htpasswd");
    std::fs::write(
        &htpasswd,
        format!(
            "{}{}{}",
            bcrypt_entry("alice", "right", 4),
            bcrypt_entry("carol", "carols", 4),
            bcrypt_entry("dave", "daves", 4)
        ),
    )
    .unwrap();
    let envs = auth_env(&htpasswd);
    let server = Server::start(&root.path().join("data"), &[], &as_refs(&envs));
    let v2 = format!("{}/v2/", server.base);
    let status = |client: &reqwest::Client, user: &str, password: &str| {
        let request = client.get(&v2).basic_auth(user, Some(password));
        async move {
            let response = request.send().await.unwrap();
            let retry = response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_owned());
            let status = response.status().as_u16();
            (status, retry, response.text().await.unwrap())
        }
    };
    let attacker = client_from([127, 0, 0, 2]);
    let alices_machine = client_from([127, 0, 0, 3]);
    assert_eq!(status(&alices_machine, "alice", "right").await.0, 200);

    // Ten wrong guesses for alice are checked and refused; then the attacker's address is told
    // to wait, without a bcrypt, with the standard error and how long.
    for i in 0..10 {
        let (code, ..) = status(&attacker, "alice", &format!("guess{i}")).await;
        assert_eq!(code, 401, "guess {i}");
    }
    let (code, retry, body) = status(&attacker, "alice", "guess10").await;
    assert_eq!(code, 429, "{body}");
    assert!(
        body.contains("TOOMANYREQUESTS") && body.contains("failed logins"),
        "{body}"
    );
    let secs: u64 = retry.unwrap().parse().unwrap();
    assert!((1..=6).contains(&secs), "Retry-After {secs}");
    // Even the right password of another user waits from that address...
    assert_eq!(status(&attacker, "carol", "carols").await.0, 429);
    // ...alice is limited from everywhere for new logins, but her logged-in client goes on.
    assert_eq!(status(&alices_machine, "alice", "right").await.0, 200);
    // Other users from other addresses are not affected.
    assert_eq!(status(&alices_machine, "carol", "carols").await.0, 200);
    // A user guessed at from many addresses is limited for every address.
    for i in 0..10u8 {
        let (code, ..) = status(&client_from([127, 0, 1, i]), "dave", "nope").await;
        assert_eq!(code, 401);
    }
    assert_eq!(status(&alices_machine, "dave", "daves").await.0, 429);
}

/// 72 bytes: all bcrypt looks at.
const PASSWORD_72: &str =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

#[tokio::test]
async fn passwords_past_72_bytes_never_log_in_with_apache_and_regctl_entries() {
    assert_eq!(PASSWORD_72.len(), 72);
    let tool = require_tool("htpasswd", "apache2-utils");
    let root = tempfile::tempdir().unwrap();
    let htpasswd = root.path().join("htpasswd");
    let created = Command::new(&tool)
        .args(["-B", "-b", "-c"])
        .arg(&htpasswd)
        .args(["carol", PASSWORD_72])
        .output()
        .unwrap();
    assert!(created.status.success(), "{created:?}");
    let mut add = regctl()
        .args([
            "user",
            "add",
            "dave",
            "--cost",
            "5",
            "--password-stdin",
            "--htpasswd",
        ])
        .arg(&htpasswd)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    writeln!(add.stdin.take().unwrap(), "{PASSWORD_72}").unwrap();
    assert!(add.wait().unwrap().success());

    let envs = auth_env(&htpasswd);
    let server = Server::start(&root.path().join("data"), &[], &as_refs(&envs));
    let v2 = format!("{}/v2/", server.base);
    let client = reqwest::Client::new();
    for user in ["carol", "dave"] {
        let status = |password: String| {
            let request = client.get(&v2).basic_auth(user, Some(password));
            async move { request.send().await.unwrap().status().as_u16() }
        };
        assert_eq!(status(PASSWORD_72.to_owned()).await, 200, "{user}");
        assert_eq!(status(format!("{PASSWORD_72}x")).await, 401, "{user}");
        assert_eq!(
            status(format!("{PASSWORD_72}{PASSWORD_72}")).await,
            401,
            "{user}"
        );
    }
    // `regctl user verify` agrees
    let mut verify = regctl()
        .args(["user", "verify", "carol", "--password-stdin", "--htpasswd"])
        .arg(&htpasswd)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    writeln!(verify.stdin.take().unwrap(), "{PASSWORD_72}x").unwrap();
    assert!(!verify.wait().unwrap().success());
}

#[test]
fn the_root_answers_200_without_auth_and_plain_http_on_the_tls_port_gets_gos_400() {
    let root = tempfile::tempdir().unwrap();
    let htpasswd = root.path().join("htpasswd");
    std::fs::write(&htpasswd, bcrypt_entry("alice", "right", 4)).unwrap();
    let ca = TestCa::new("regctl test CA");
    let (certificate, key) = ca.issue(&["127.0.0.1"]);
    let ca_file = root.path().join("ca.crt");
    std::fs::write(&ca_file, &ca.cert_pem).unwrap();
    std::fs::write(root.path().join("tls.crt"), certificate).unwrap();
    std::fs::write(root.path().join("tls.key"), key).unwrap();
    let mut envs = auth_env(&htpasswd);
    envs.push((
        "REGISTRY_HTTP_TLS_CERTIFICATE",
        root.path().join("tls.crt").to_str().unwrap().to_owned(),
    ));
    envs.push((
        "REGISTRY_HTTP_TLS_KEY",
        root.path().join("tls.key").to_str().unwrap().to_owned(),
    ));
    let server = Server::start(&root.path().join("data"), &[], &as_refs(&envs));
    assert!(server.base.starts_with("https://"), "{}", server.base);

    let (ok, out) = curl(
        &[
            "--cacert",
            ca_file.to_str().unwrap(),
            "--write-out",
            "%{http_code}",
        ],
        &format!("{}/", server.base),
    );
    assert!(ok);
    assert_eq!(
        out, "200",
        "`/` answers 200 with an empty body, no credentials"
    );
    let (_, out) = curl(
        &[
            "--cacert",
            ca_file.to_str().unwrap(),
            "--write-out",
            "%{http_code}",
            "--output",
            "/dev/null",
        ],
        &format!("{}/v2/", server.base),
    );
    assert_eq!(out, "401", "`/v2/` still asks for credentials");

    let (ok, out) = curl(
        &["--include", "--http1.1"],
        &format!("http://{}/v2/", server.addr),
    );
    assert!(ok, "curl got an HTTP answer: {out:?}");
    assert_eq!(
        out,
        "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"
    );
}

/// Reads one HTTP/1.1 response (status line, headers, Content-Length body) from `reader`.
fn read_response(reader: &mut BufReader<TcpStream>) -> Option<(u16, Vec<(String, String)>)> {
    let mut status_line = String::new();
    if reader.read_line(&mut status_line).ok()? == 0 {
        return None;
    }
    let status = status_line.split_whitespace().nth(1)?.parse().ok()?;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .map_or(0, |(_, value)| value.parse().unwrap_or(0));
    let mut body = vec![0_u8; length];
    reader.read_exact(&mut body).ok()?;
    Some((status, headers))
}

#[tokio::test]
async fn an_early_416_on_keep_alive_says_connection_close_or_keeps_the_connection_usable() {
    let root = tempfile::tempdir().unwrap();
    let server = Server::start(root.path(), &[], &[]);
    let started = reqwest::Client::new()
        .post(format!("{}/v2/hard/blobs/uploads/", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 202);
    let location = started.headers()["location"].to_str().unwrap().to_owned();
    let path = location
        .strip_prefix(&server.base)
        .unwrap_or(&location)
        .to_owned();

    let addr = server.addr.clone();
    tokio::task::spawn_blocking(move || {
        let stream = TcpStream::connect(&addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut writer = stream.try_clone().unwrap();
        let mut reader = BufReader::new(stream);
        // An out-of-order chunk: bytes 100-199 of an upload that has none. Only the head goes out
        // first, as a client waiting for `100 Continue` semantics or a slow network would.
        write!(
            writer,
            "PATCH {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/octet-stream\r\nContent-Range: 100-199\r\nContent-Length: 100\r\n\r\n"
        )
        .unwrap();
        let (status, headers) = read_response(&mut reader).expect("an answer to the PATCH");
        assert_eq!(status, 416, "{headers:?}");
        let closes = headers
            .iter()
            .any(|(name, value)| name == "connection" && value.eq_ignore_ascii_case("close"));
        let _ = writer.write_all(&[b'x'; 100]);
        let _ = write!(writer, "GET /v2/ HTTP/1.1\r\nHost: {addr}\r\n\r\n");
        let second = read_response(&mut reader);
        assert!(
            closes || second.is_some_and(|(status, _)| status == 200),
            "the 416 had no `Connection: close` and the connection was not usable afterwards: {headers:?}"
        );
    })
    .await
    .unwrap();
}

/// The JSON access lines of a log file.
fn access_lines(log: &str) -> Vec<serde_json::Value> {
    log.lines()
        .filter(|line| line.contains("regctl::access"))
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

#[tokio::test]
async fn the_access_log_counts_request_bytes_marks_served_blobs_completed_and_rounds_durations() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("stderr.log");
    let data = dir.path().join("data");
    let server = Server::start_with_stderr(
        &[
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--root",
            data.to_str().unwrap(),
        ],
        &[("REGISTRY_LOG_FORMATTER", "json")],
        Stdio::from(std::fs::File::create(&log).unwrap()),
    );
    let client = reqwest::Client::new();
    // a 3 MiB blob, pushed in one POST, then pulled
    let blob: Vec<u8> = (0..3 * 1024 * 1024_u32).map(|i| (i % 251) as u8).collect();
    let digest = format!("sha256:{}", hex::encode(sha2::Sha256::digest(&blob)));
    let pushed = client
        .post(format!(
            "{}/v2/logs/blobs/uploads/?digest={digest}",
            server.base
        ))
        .header("content-type", "application/octet-stream")
        .body(blob.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(pushed.status(), 201);
    let pulled = client
        .get(format!("{}/v2/logs/blobs/{digest}", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(pulled.status(), 200);
    assert_eq!(pulled.bytes().await.unwrap().len(), blob.len());
    // a 1 MiB chunk PATCHed into a new upload
    let started = client
        .post(format!("{}/v2/logs/blobs/uploads/", server.base))
        .send()
        .await
        .unwrap();
    let location = started.headers()["location"].to_str().unwrap().to_owned();
    let location = if location.starts_with('/') {
        format!("{}{location}", server.base)
    } else {
        location
    };
    let patched = client
        .patch(&location)
        .header("content-type", "application/octet-stream")
        .body(vec![7_u8; 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 202);
    let _ = tokio::task::spawn_blocking(move || server.terminate()).await;

    let text = std::fs::read_to_string(&log).unwrap();
    let lines = access_lines(&text);
    let get = lines
        .iter()
        .find(|line| line["method"] == "GET" && line["path"].as_str().unwrap().contains("/blobs/"))
        .unwrap_or_else(|| panic!("no blob GET line in {text}"));
    assert_eq!(get["bytes"], blob.len(), "{get}");
    assert_eq!(get["completed"], true, "a fully served blob: {get}");
    assert_eq!(get["bytes_in"], 0, "{get}");
    let post = lines
        .iter()
        .find(|line| line["method"] == "POST" && line["status"] == 201)
        .unwrap_or_else(|| panic!("no monolithic POST line in {text}"));
    assert_eq!(post["bytes_in"], blob.len(), "{post}");
    let patch = lines
        .iter()
        .find(|line| line["method"] == "PATCH")
        .unwrap_or_else(|| panic!("no PATCH line in {text}"));
    assert_eq!(patch["bytes_in"], 1024 * 1024, "{patch}");
    // durations: at most three decimals in the text of every line
    for raw in text.lines().filter(|line| line.contains("regctl::access")) {
        let value = raw
            .split("\"duration_ms\":")
            .nth(1)
            .unwrap_or_else(|| panic!("no duration_ms in {raw}"));
        let number: String = value
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        let decimals = number.split_once('.').map_or(0, |(_, d)| d.len());
        assert!(decimals <= 3, "duration_ms {number} in {raw}");
    }
}
