//! Webhooks (`notifications.endpoints`) end to end: `regctl serve` POSTs registry:2's envelope
//! to a receiver run by the test (a small HTTP/1.1 server that records what it is sent), skopeo
//! pushes and pulls; undelivered events wait in the on-disk queue across a restart of the
//! server; `regctl events tail` shows the stream of a running server.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

use crate::common::oci::{oci_reference, write_oci_layout};
use crate::common::registry::{skopeo, Reg, OCI_MANIFEST};
use crate::common::server::Server;
use crate::common::{free_port, regctl, require_tool, success_stdout};

/// One POST the receiver got.
#[derive(Debug, Clone)]
struct Delivery {
    path: String,
    headers: Vec<(String, String)>,
    body: serde_json::Value,
}

impl Delivery {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A webhook receiver on a fixed loopback port; dropping it closes the port and every open
/// connection (its connection tasks live in a `JoinSet` owned by the accept task).
struct Receiver {
    port: u16,
    deliveries: Arc<Mutex<Vec<Delivery>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    deliveries: Arc<Mutex<Vec<Delivery>>>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = tokio::io::BufReader::new(read);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).await? == 0 {
            return Ok(());
        }
        let path = request_line
            .split_whitespace()
            .nth(1)
            .unwrap_or("")
            .to_owned();
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).await?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                headers.push((k.trim().to_owned(), v.trim().to_owned()));
            }
        }
        let length: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        reader.read_exact(&mut body).await?;
        let body = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
        deliveries.lock().unwrap().push(Delivery {
            path,
            headers,
            body,
        });
        write
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            .await?;
    }
}

impl Receiver {
    async fn start(port: u16) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let deliveries = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&deliveries);
        let task = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                connections.spawn(serve_connection(stream, Arc::clone(&recorded)));
            }
        });
        Self {
            port,
            deliveries,
            task,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Every event received at `path`, in order.
    fn events(&self, path: &str) -> Vec<serde_json::Value> {
        self.deliveries
            .lock()
            .unwrap()
            .iter()
            .filter(|d| d.path == path)
            .flat_map(|d| d.body["events"].as_array().cloned().unwrap_or_default())
            .collect()
    }

    fn deliveries(&self, path: &str) -> Vec<Delivery> {
        self.deliveries
            .lock()
            .unwrap()
            .iter()
            .filter(|d| d.path == path)
            .cloned()
            .collect()
    }

    /// Waits (generously: the machine is slow) for an event at `path` that `matches`.
    async fn wait_for(
        &self,
        path: &str,
        what: &str,
        matches: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if let Some(event) = self.events(path).into_iter().find(|e| matches(e)) {
                return event;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: not received at {path}; got {:#?}",
                self.events(path)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn htpasswd(dir: &Path) -> PathBuf {
    let path = dir.join("htpasswd");
    let out = std::process::Command::new(require_tool("htpasswd", "apache2-utils"))
        .args(["-Bbc", path.to_str().unwrap(), "alice", "s3cret-pass"])
        .output()
        .unwrap();
    success_stdout(&out);
    path
}

fn is_manifest_push(event: &serde_json::Value, digest: &str) -> bool {
    event["action"] == "push" && event["target"]["digest"] == digest
}

#[tokio::test(flavor = "multi_thread")]
async fn skopeo_push_pull_and_delete_reach_the_endpoints_with_their_ignore_rules() {
    let work = tempfile::tempdir().unwrap();
    let layout = work.path().join("layout");
    let manifest_digest = write_oci_layout(&layout, "v1", 2, 1000);
    let manifest_bytes = std::fs::read(
        layout
            .join("blobs/sha256")
            .join(manifest_digest.trim_start_matches("sha256:")),
    )
    .unwrap();
    let receiver = Receiver::start(free_port()).await;
    let root = work.path().join("data");
    let config = work.path().join("config.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {root}\n  delete:\n    enabled: true\n\
             http:\n  addr: 127.0.0.1:0\nauth:\n  htpasswd:\n    realm: test\n    path: {htpasswd}\n\
             notifications:\n  events:\n    includereferences: true\n  endpoints:\n\
             \x20   - name: all\n      url: {all}\n      headers:\n        Authorization: [Bearer hook-secret]\n      timeout: 5s\n\
             \x20   - name: filtered\n      url: {filtered}\n      ignoredmediatypes: [application/octet-stream]\n      ignore:\n        actions: [pull]\n\
             \x20   - name: off\n      disabled: true\n      url: {off}\n",
            root = root.display(),
            htpasswd = htpasswd(work.path()).display(),
            all = receiver.url("/all"),
            filtered = receiver.url("/filtered"),
            off = receiver.url("/off"),
        ),
    )
    .unwrap();
    let server = Server::start_with_args(&["-c", config.to_str().unwrap(), "serve"], &[]);
    skopeo(&[
        "copy",
        "--preserve-digests",
        "--dest-tls-verify=false",
        "--dest-creds",
        "alice:s3cret-pass",
        &oci_reference(&layout, "v1"),
        &format!("docker://{}/team/app:v1", server.addr),
    ]);

    // The manifest push, with registry:2's fields.
    let push = receiver
        .wait_for("/all", "manifest push", |e| {
            is_manifest_push(e, &manifest_digest)
        })
        .await;
    let target = &push["target"];
    assert_eq!(target["repository"], "team/app", "{push:#}");
    assert_eq!(target["tag"], "v1");
    assert_eq!(target["mediaType"], OCI_MANIFEST);
    assert_eq!(target["size"], manifest_bytes.len());
    assert_eq!(target["length"], manifest_bytes.len());
    assert_eq!(
        target["url"],
        format!("{}/v2/team/app/manifests/{manifest_digest}", server.base)
    );
    let manifest: serde_json::Value = serde_json::from_slice(&manifest_bytes).unwrap();
    assert_eq!(target["references"][0], manifest["config"], "config first");
    assert_eq!(target["references"].as_array().unwrap().len(), 3);
    assert_eq!(push["actor"]["name"], "alice");
    assert_eq!(push["request"]["method"], "PUT");
    assert!(push["request"]["useragent"]
        .as_str()
        .unwrap()
        .contains("skopeo"));
    assert!(push["request"]["addr"]
        .as_str()
        .unwrap()
        .starts_with("127.0.0.1:"));
    assert_eq!(push["request"]["host"], server.addr);
    assert_eq!(push["id"].as_str().unwrap().len(), 36);
    assert!(push["source"]["instanceID"].as_str().is_some());
    // The POST itself: registry:2's media type, the configured header, one event per POST.
    let post = receiver
        .deliveries("/all")
        .into_iter()
        .find(|d| is_manifest_push(&d.body["events"][0], &manifest_digest))
        .unwrap();
    assert_eq!(
        post.header("content-type"),
        Some("application/vnd.docker.distribution.events.v1+json")
    );
    assert_eq!(post.header("authorization"), Some("Bearer hook-secret"));
    assert_eq!(post.body["events"].as_array().unwrap().len(), 1);
    // Every blob skopeo uploaded was a push event too, with the blob media type.
    for layer in manifest["layers"].as_array().unwrap() {
        let digest = layer["digest"].as_str().unwrap();
        let blob = receiver
            .wait_for("/all", "blob push", |e| {
                e["action"] == "push" && e["target"]["digest"] == digest
            })
            .await;
        assert_eq!(blob["target"]["mediaType"], "application/octet-stream");
        assert_eq!(blob["target"]["size"], layer["size"]);
        assert_eq!(
            blob["target"]["url"],
            format!("{}/v2/team/app/blobs/{digest}", server.base)
        );
    }

    // A pull.
    skopeo(&[
        "inspect",
        "--raw",
        "--tls-verify=false",
        "--creds",
        "alice:s3cret-pass",
        &format!("docker://{}/team/app:v1", server.addr),
    ]);
    let pull = receiver
        .wait_for("/all", "manifest pull", |e| {
            e["action"] == "pull" && e["target"]["digest"] == manifest_digest.as_str()
        })
        .await;
    assert_eq!(pull["target"]["tag"], "v1");
    assert_eq!(pull["request"]["method"], "GET");

    // A delete by digest.
    let r = Reg::new(&server.base)
        .delete(&format!("/v2/team/app/manifests/{manifest_digest}"))
        .basic_auth("alice", Some("s3cret-pass"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let is_delete = |e: &serde_json::Value| {
        e["action"] == "delete" && e["target"]["digest"] == manifest_digest.as_str()
    };
    let delete = receiver.wait_for("/all", "delete", is_delete).await;
    assert_eq!(delete["target"]["repository"], "team/app");
    assert!(delete["target"].get("mediaType").is_none(), "{delete:#}");

    // The filtered endpoint got the same manifest push and delete, in order, and nothing it
    // ignores (no blob events, no pulls); the disabled one got nothing.
    receiver.wait_for("/filtered", "delete", is_delete).await;
    let filtered = receiver.events("/filtered");
    assert!(
        filtered.iter().all(
            |e| e["action"] != "pull" && e["target"]["mediaType"] != "application/octet-stream"
        ),
        "{filtered:#?}"
    );
    assert!(
        is_manifest_push(&filtered[0], &manifest_digest),
        "{filtered:#?}"
    );
    assert!(receiver.events("/off").is_empty());
    // The queues live beside the storage root, outside registry:2's tree.
    let queues = work.path().join("data-notifications");
    assert!(queues.join("all").is_dir() && queues.join("filtered").is_dir());
    assert!(!queues.join("off").exists());
    drop(server);
}

/// Scrapes `name{endpoint="..."}` from the debug listener.
async fn counter(debug_addr: &str, name: &str, endpoint: &str) -> u64 {
    let Ok(response) = reqwest::get(format!("http://{debug_addr}/metrics")).await else {
        return 0;
    };
    let text = response.text().await.unwrap_or_default();
    let prefix = format!("{name}{{endpoint=\"{endpoint}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map_or(0, |v| v as u64)
}

async fn wait_for_counter(debug_addr: &str, name: &str, endpoint: &str, at_least: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let value = counter(debug_addr, name, endpoint).await;
        if value >= at_least {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "{name}{{endpoint={endpoint}}} stayed at {value}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn events_for_a_dead_receiver_are_delivered_after_a_restart_of_both() {
    let work = tempfile::tempdir().unwrap();
    let port = free_port();
    let debug_addr = format!("127.0.0.1:{}", free_port());
    let root = work.path().join("data");
    let queue = work.path().join("queue");
    let config = work.path().join("config.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {root}\n\
             http:\n  addr: 127.0.0.1:0\n  debug:\n    addr: {debug_addr}\n    prometheus:\n      enabled: true\n\
             notifications:\n  queue:\n    directory: {queue}\n  endpoints:\n\
             \x20   - name: hook\n      url: http://127.0.0.1:{port}/hook\n      timeout: 2s\n      threshold: 2\n      backoff: 200ms\n\
             \x20     ignore:\n        mediatypes: [application/octet-stream]\n",
            root = root.display(),
            queue = queue.display(),
        ),
    )
    .unwrap();
    let log = work.path().join("serve.log");
    let start = || {
        Server::start_with_stderr(
            &["-c", config.to_str().unwrap(), "serve"],
            &[],
            Stdio::from(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&log)
                    .unwrap(),
            ),
        )
    };

    // Delivered while the receiver is up.
    let receiver = Receiver::start(port).await;
    let server = start();
    // The endpoint's series exist from the start, so a first drop shows as an increase.
    let scrape = reqwest::get(format!("http://{debug_addr}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        scrape.contains("regctl_notification_events_dropped_total{endpoint=\"hook\"} 0"),
        "{scrape}"
    );
    let first_layout = work.path().join("first");
    let first = write_oci_layout(&first_layout, "v1", 1, 500);
    skopeo(&[
        "copy",
        "--preserve-digests",
        "--dest-tls-verify=false",
        &oci_reference(&first_layout, "v1"),
        &format!("docker://{}/app:first", server.addr),
    ]);
    receiver
        .wait_for("/hook", "the first push", |e| is_manifest_push(e, &first))
        .await;
    wait_for_counter(
        &debug_addr,
        "regctl_notification_events_delivered_total",
        "hook",
        1,
    )
    .await;

    // The receiver goes away; a push is retried and stays queued.
    drop(receiver);
    let second_layout = work.path().join("second");
    let second = write_oci_layout(&second_layout, "v2", 1, 700);
    skopeo(&[
        "copy",
        "--preserve-digests",
        "--dest-tls-verify=false",
        &oci_reference(&second_layout, "v2"),
        &format!("docker://{}/app:second", server.addr),
    ]);
    wait_for_counter(
        &debug_addr,
        "regctl_notification_delivery_failures_total",
        "hook",
        3,
    )
    .await;
    let status = server.terminate();
    assert!(status.success(), "{status:?}");
    let queued: String = std::fs::read_dir(queue.join("hook"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_str().unwrap().ends_with(".jsonl"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    assert!(queued.contains(&second), "the push is on disk:\n{queued}");

    // Both come back: the queued push is delivered, once the receiver answers.
    let receiver = Receiver::start(port).await;
    let server = start();
    let delivered = receiver
        .wait_for("/hook", "the queued push after the restart", |e| {
            is_manifest_push(e, &second)
        })
        .await;
    assert_eq!(delivered["target"]["tag"], "second");
    assert_eq!(delivered["target"]["repository"], "app");
    // Nothing after it is redelivered twice, and the first push is not sent again.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let events = receiver.events("/hook");
    assert!(
        !events.iter().any(|e| is_manifest_push(e, &first)),
        "{events:#?}"
    );
    drop(server);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("notification not delivered; retrying"),
        "the failures are logged:\n{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_queue_drops_events_and_counts_them() {
    let work = tempfile::tempdir().unwrap();
    let debug_addr = format!("127.0.0.1:{}", free_port());
    let root = work.path().join("data");
    let config = work.path().join("config.yml");
    // Nothing listens on the endpoint's port: every event stays queued, and the queue holds one.
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {root}\n\
             http:\n  addr: 127.0.0.1:0\n  debug:\n    addr: {debug_addr}\n    prometheus:\n      enabled: true\n\
             notifications:\n  queue:\n    maxevents: 1\n  endpoints:\n\
             \x20   - name: dead\n      url: http://127.0.0.1:{port}/\n      backoff: 10s\n",
            root = root.display(),
            port = free_port(),
        ),
    )
    .unwrap();
    let log = work.path().join("serve.log");
    let server = Server::start_with_stderr(
        &["-c", config.to_str().unwrap(), "serve"],
        &[],
        Stdio::from(std::fs::File::create(&log).unwrap()),
    );
    let reg = Reg::new(&server.base);
    reg.push_image("app", "v1", &[b"layer one", b"layer two"])
        .await;
    // Four events (config, two layers, manifest): one queued, three dropped.
    let dropped = wait_for_counter(
        &debug_addr,
        "regctl_notification_events_dropped_total",
        "dead",
        3,
    )
    .await;
    assert_eq!(dropped, 3);
    drop(server);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("notification events dropped") && text.contains("WARN"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn events_tail_shows_a_push_of_a_running_server() {
    let work = tempfile::tempdir().unwrap();
    let debug_addr = format!("127.0.0.1:{}", free_port());
    let root = work.path().join("data");
    let config = work.path().join("config.yml");
    // No endpoint: the debug listener alone streams the events.
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {root}\n\
             http:\n  addr: 127.0.0.1:0\n  debug:\n    addr: {debug_addr}\n",
            root = root.display(),
        ),
    )
    .unwrap();
    let server = Server::start_with_args(&["-c", config.to_str().unwrap(), "serve"], &[]);
    let spawn_tail = |json: bool| {
        let mut cmd = regctl();
        cmd.args(["-c", config.to_str().unwrap(), "events", "tail"]);
        if json {
            cmd.args(["-o", "json"]);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let mut line = String::new();
        BufReader::new(stderr).read_line(&mut line).unwrap();
        assert!(line.contains("streaming events from"), "{line}");
        crate::common::process::KillOnDrop(child)
    };
    let mut json_tail = spawn_tail(true);
    let mut text_tail = spawn_tail(false);
    let reg = Reg::new(&server.base);
    let (_, digest) = reg.push_image("team/app", "v1", &[b"one layer"]).await;

    let find_line = |child: &mut std::process::Child, needle: &str| {
        let stdout = child.stdout.take().unwrap();
        let wanted = needle.to_owned();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line.contains(&wanted) {
                    let _ = tx.send(line);
                    break;
                }
            }
        });
        rx.recv_timeout(Duration::from_secs(90))
            .unwrap_or_else(|_| panic!("no line with {needle}"))
    };
    let line = find_line(&mut json_tail.0, &format!("\"digest\":\"{digest}\""));
    let event: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(event["action"], "push");
    assert_eq!(event["target"]["tag"], "v1");
    assert_eq!(event["target"]["mediaType"], OCI_MANIFEST);
    let line = find_line(&mut text_tail.0, &digest);
    assert!(
        line.contains(&format!(" push   team/app:v1@{digest} ({OCI_MANIFEST}")),
        "{line}"
    );
    drop(server);
}

/// README's webhook config, run as printed with only a test's changes: scratch directories for
/// /var/lib, free loopback ports, and the test's receiver as the endpoint.
#[tokio::test(flavor = "multi_thread")]
async fn readme_webhook_config_runs_as_printed() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = &readme[readme
        .find("## Webhooks")
        .expect("README has a Webhooks section")..];
    let open = section.find("```yaml\n").expect("a yaml block") + "```yaml\n".len();
    let close = section[open..].find("```").expect("the block ends");
    let block = &section[open..open + close];
    let work = tempfile::tempdir().unwrap();
    let receiver = Receiver::start(free_port()).await;
    let debug_addr = format!("127.0.0.1:{}", free_port());
    let scratch = work.path().join("lib");
    let yaml = block
        .replace("/var/lib", scratch.to_str().unwrap())
        .replace("addr: :5000", "addr: 127.0.0.1:0")
        .replace("127.0.0.1:5001", &debug_addr)
        .replace(
            "https://ci.example.com/registry-hook",
            &receiver.url("/hook"),
        );
    assert_ne!(yaml, block, "the substitutions apply");
    let config = work.path().join("config.yml");
    std::fs::write(&config, &yaml).unwrap();
    let validate = regctl()
        .args(["config", "validate", "-c", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(validate.status.success(), "{validate:?}");
    let server = Server::start_with_args(&["-c", config.to_str().unwrap(), "serve"], &[]);
    let reg = Reg::new(&server.base);
    let (manifest, digest) = reg.push_image("team/app", "v1", &[b"a layer"]).await;
    let push = receiver
        .wait_for("/hook", "the README's push", |e| {
            is_manifest_push(e, &digest)
        })
        .await;
    let delivery = receiver.deliveries("/hook").remove(0);
    assert_eq!(delivery.header("authorization"), Some("Bearer change-me"));
    assert_eq!(push["target"]["size"], manifest.len());
    // includereferences: the config and the layer.
    assert_eq!(push["target"]["references"].as_array().unwrap().len(), 2);
    // Manifests only: no blob pushes came first, and a pull is not sent.
    assert!(is_manifest_push(&receiver.events("/hook")[0], &digest));
    let r = reg.get("/v2/team/app/manifests/v1").send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = reg
        .delete(&format!("/v2/team/app/manifests/{digest}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    receiver
        .wait_for("/hook", "the delete", |e| e["action"] == "delete")
        .await;
    assert_eq!(
        receiver.events("/hook").len(),
        2,
        "{:#?}",
        receiver.events("/hook")
    );
    assert!(scratch.join("registry-notifications/ci").is_dir());
    drop(server);
}

/// A tag deleted on the web pages reaches the endpoint as registry:2 would send the same API
/// delete: action delete, the repository and tag, the signed-in user.
#[tokio::test(flavor = "multi_thread")]
async fn a_delete_on_the_web_pages_is_notified() {
    let work = tempfile::tempdir().unwrap();
    let layout = work.path().join("layout");
    write_oci_layout(&layout, "v1", 1, 1000);
    let receiver = Receiver::start(free_port()).await;
    let config = work.path().join("config.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {root}\n  delete:\n    enabled: true\n\
             http:\n  addr: 127.0.0.1:0\nauth:\n  htpasswd:\n    realm: test\n    path: {htpasswd}\n\
             notifications:\n  endpoints:\n    - name: all\n      url: {all}\n",
            root = work.path().join("data").display(),
            htpasswd = htpasswd(work.path()).display(),
            all = receiver.url("/all"),
        ),
    )
    .unwrap();
    let server = Server::start_with_args(&["-c", config.to_str().unwrap(), "serve"], &[]);
    skopeo(&[
        "copy",
        "--dest-tls-verify=false",
        "--dest-creds",
        "alice:s3cret-pass",
        &oci_reference(&layout, "v1"),
        &format!("docker://{}/team/app:v1", server.addr),
    ]);
    let base = format!("http://{}", server.addr);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = client
        .post(format!("{base}/-/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("user=alice&password=s3cret-pass&next=%2F")
        .send()
        .await
        .unwrap();
    let cookie = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            v.split(';')
                .next()
                .filter(|c| c.starts_with("regctl_session="))
        })
        .expect("a session cookie")
        .to_owned();
    let confirm = client
        .get(format!("{base}/r/team/app/-/delete?tag=v1"))
        .header("cookie", &cookie)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = confirm
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the form's token")
        .to_owned();
    let deleted = client
        .post(format!("{base}/r/team/app/-/delete"))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("tag=v1&csrf={csrf}"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 303, "{}", deleted.text().await.unwrap());
    let event = receiver
        .wait_for("/all", "the web delete", |e| e["action"] == "delete")
        .await;
    assert_eq!(event["target"]["repository"], "team/app", "{event:#}");
    assert_eq!(event["target"]["tag"], "v1", "{event:#}");
    assert_eq!(event["actor"]["name"], "alice", "{event:#}");
    assert_eq!(event["request"]["method"], "POST", "{event:#}");
}
