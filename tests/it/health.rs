//! Health checks (`health.storagedriver`, `health.file`, `health.http`, `health.tcp`) with
//! registry:2's semantics: `/debug/health` on the debug listener lists failing checks (503), the
//! public listener answers 503 `UNAVAILABLE` meanwhile; `/livez` and `/readyz`.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::free_port;
use crate::common::server::Server;

/// Polls `url` until `done(status, body)` holds; panics with the last answer after a minute.
async fn wait_for(url: &str, what: &str, done: impl Fn(u16, &str) -> bool) -> (u16, String) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = (0, String::new());
    while Instant::now() < deadline {
        if let Ok(response) = reqwest::get(url).await {
            let status = response.status().as_u16();
            let body = response.text().await.unwrap_or_default();
            if done(status, &body) {
                return (status, body);
            }
            last = (status, body);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}: last answer of {url}: {last:?}");
}

fn config(dir: &Path, root: &Path, debug_addr: &str, down_file: &Path) -> std::path::PathBuf {
    let path = dir.join("config.yml");
    std::fs::write(
        &path,
        format!(
            "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {root}\nhttp:\n  addr: \
             127.0.0.1:0\n  debug:\n    addr: {debug_addr}\nhealth:\n  storagedriver:\n    \
             enabled: true\n    interval: 100ms\n    threshold: 2\n  file:\n    - file: {down}\n      \
             interval: 100ms\n  http:\n    - uri: http://{debug_addr}/livez\n      interval: 100ms\n      \
             timeout: 2s\n  tcp:\n    - addr: {debug_addr}\n      interval: 100ms\n      timeout: 2s\n      \
             threshold: 1\n",
            root = root.display(),
            down = down_file.display(),
        ),
    )
    .unwrap();
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn failing_checks_turn_the_registry_unavailable_until_they_pass() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("data");
    let down = dir.path().join("maintenance");
    let debug_addr = format!("127.0.0.1:{}", free_port());
    let config = config(dir.path(), &root, &debug_addr, &down);
    let server = Server::start_with_args(&["-c", config.to_str().unwrap(), "serve"], &[]);
    let health = format!("http://{debug_addr}/debug/health");

    // Every check passes: 200 and an empty object, as distribution's StatusHandler writes it.
    let (_, body) = wait_for(&health, "healthy at start", |s, b| s == 200 && b == "{}\n").await;
    assert_eq!(body, "{}\n");
    let v2 = reqwest::get(format!("{}/v2/", server.base)).await.unwrap();
    assert_eq!(v2.status(), 200);
    for base in [server.base.clone(), format!("http://{debug_addr}")] {
        for probe in ["/livez", "/readyz"] {
            let answer = reqwest::get(format!("{base}{probe}")).await.unwrap();
            assert_eq!(answer.status(), 200, "{base}{probe}");
        }
    }

    // Storage breaks: the root directory is replaced by a symlink loop, so listing the v2 root
    // fails (ELOOP; tests run as root, so permissions cannot make it fail).
    let moved = dir.path().join("data.moved");
    std::fs::rename(&root, &moved).unwrap();
    std::os::unix::fs::symlink(&root, &root).unwrap();
    let (status, body) = wait_for(&health, "storage check failing", |s, b| {
        s == 503 && b.contains("storagedriver_filesystem")
    })
    .await;
    assert_eq!(status, 503);
    let failing: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(failing.as_object().unwrap().len(), 1, "{body}");
    let v2 = reqwest::get(format!("{}/v2/", server.base)).await.unwrap();
    assert_eq!(v2.status(), 503);
    let error: serde_json::Value = v2.json().await.unwrap();
    assert_eq!(error["errors"][0]["code"], "UNAVAILABLE");
    assert_eq!(
        error["errors"][0]["detail"],
        "health check failed: please see /debug/health"
    );
    let ready = reqwest::get(format!("{}/readyz", server.base))
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);
    let reasons: serde_json::Value = ready.json().await.unwrap();
    assert!(reasons["storage"].is_string(), "{reasons}");
    let live = reqwest::get(format!("{}/livez", server.base))
        .await
        .unwrap();
    assert_eq!(live.status(), 200);

    // Storage comes back: healthy again, the API answers.
    std::fs::remove_file(&root).unwrap();
    std::fs::rename(&moved, &root).unwrap();
    wait_for(&health, "healthy after repair", |s, b| {
        s == 200 && b == "{}\n"
    })
    .await;
    let v2 = reqwest::get(format!("{}/v2/", server.base)).await.unwrap();
    assert_eq!(v2.status(), 200);

    // A file check fails while its file exists (registry:2's maintenance switch).
    std::fs::write(&down, b"").unwrap();
    let (_, body) = wait_for(&health, "file check failing", |s, _| s == 503).await;
    let failing: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(failing[down.to_str().unwrap()], "file exists", "{body}");
    std::fs::remove_file(&down).unwrap();
    wait_for(&health, "healthy after the file is gone", |s, _| s == 200).await;

    // Other methods are 404, as in distribution.
    let post = reqwest::Client::new().post(&health).send().await.unwrap();
    assert_eq!(post.status(), 404);
    drop(server);
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_tcp_and_http_checks_are_reported_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let closed = format!("127.0.0.1:{}", free_port());
    let debug_addr = format!("127.0.0.1:{}", free_port());
    let config = dir.path().join("config.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: \
             127.0.0.1:0\n  debug:\n    addr: {debug_addr}\nhealth:\n  http:\n    - uri: \
             http://{debug_addr}/nothing-here\n      interval: 100ms\n  tcp:\n    - addr: {closed}\n      \
             interval: 100ms\n      timeout: 1s\n",
            dir.path().join("data").display()
        ),
    )
    .unwrap();
    let server = Server::start_with_args(&["-c", config.to_str().unwrap(), "serve"], &[]);
    let health = format!("http://{debug_addr}/debug/health");
    let (_, body) = wait_for(&health, "both checks failing", |s, b| {
        s == 503 && b.contains(&closed) && b.contains("nothing-here")
    })
    .await;
    let failing: serde_json::Value = serde_json::from_str(&body).unwrap();
    let http_error = failing[format!("http://{debug_addr}/nothing-here")]
        .as_str()
        .unwrap();
    assert!(
        http_error.ends_with("downstream service returned unexpected status: 404"),
        "{http_error}"
    );
    assert!(
        failing[&closed]
            .as_str()
            .unwrap()
            .contains("connection failed"),
        "{body}"
    );
    drop(server);
}
