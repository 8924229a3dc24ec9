//! The web pages' render times (issue 17's targets): the repository list over 5,000 repositories
//! (first page, a search, the last page) and a repository page with 1,000 tags, each measured as
//! the time from request to the whole page on loopback (an upper bound of the server-side time),
//! after warm-up requests, sequentially.
//!
//! The store is written directly in registry:2's layout before `regctl serve --root` starts, as a
//! registry:2 directory taken over would be. There is no reference side: registry:2 has no pages.
//!
//! Run: `cargo bench --bench web` (optional argument: requests per page, default 50).

use std::fs;
use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};

const REPOSITORIES: usize = 5_000;
const TAGS: usize = 1_000;

fn hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn write(path: &Path, bytes: &[u8]) {
    fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    fs::write(path, bytes).expect("write");
}

/// One image (config + one layer + manifest) in the blob store; returns the three digests' hex.
fn blobs(v2: &Path) -> [String; 3] {
    let layer = vec![7u8; 32 << 10];
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let (layer_hex, config_hex) = (hex(&layer), hex(config));
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": format!("sha256:{config_hex}"), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": format!("sha256:{layer_hex}"), "size": layer.len()}],
    })
    .to_string();
    let manifest_hex = hex(manifest.as_bytes());
    for (h, data) in [
        (&layer_hex, layer.as_slice()),
        (&config_hex, config.as_slice()),
        (&manifest_hex, manifest.as_bytes()),
    ] {
        write(&v2.join(format!("blobs/sha256/{}/{h}/data", &h[..2])), data);
    }
    [config_hex, layer_hex, manifest_hex]
}

fn repository(v2: &Path, name: &str, blobs: &[String; 3], tags: &[String]) {
    let repo = v2.join("repositories").join(name);
    let link = |hex: &str| format!("sha256:{hex}");
    for h in &blobs[..2] {
        write(
            &repo.join(format!("_layers/sha256/{h}/link")),
            link(h).as_bytes(),
        );
    }
    let manifest = &blobs[2];
    write(
        &repo.join(format!("_manifests/revisions/sha256/{manifest}/link")),
        link(manifest).as_bytes(),
    );
    for tag in tags {
        let dir = repo.join("_manifests/tags").join(tag);
        write(
            &dir.join(format!("index/sha256/{manifest}/link")),
            link(manifest).as_bytes(),
        );
        write(&dir.join("current/link"), link(manifest).as_bytes());
    }
}

struct Served(std::process::Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(root: &Path) -> (Served, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_regctl"))
        .args(["serve", "--addr", "127.0.0.1:0", "--root"])
        .arg(root)
        .env("REGISTRY_LOG_LEVEL", "error")
        .env("REGISTRY_LOG_ACCESSLOG_DISABLED", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start regctl serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let line = lines
        .find_map(|l| l.ok().filter(|l| l.contains("listening on ")))
        .expect("the ready line");
    std::thread::spawn(move || lines.for_each(drop));
    let url = line
        .split("listening on ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("a URL")
        .to_owned();
    (Served(child), url)
}

/// p50 and p99 of `requests` sequential GETs of `path`, after 5 warm-up GETs; checks `expect`
/// is in the page.
async fn measure(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    expect: &str,
    requests: usize,
) -> (Duration, Duration) {
    let get = || async {
        let response = client
            .get(format!("{base}{path}"))
            .header("accept", "text/html")
            .send()
            .await
            .expect("GET");
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        let body = response.text().await.expect("body");
        assert!(body.contains(expect), "{path} does not show {expect:?}");
    };
    for _ in 0..5 {
        get().await;
    }
    let mut times = Vec::with_capacity(requests);
    for _ in 0..requests {
        let start = Instant::now();
        get().await;
        times.push(start.elapsed());
    }
    times.sort_unstable();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    (at(0.5), at(0.99))
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("web benchmark: not run outside `cargo bench --bench web`");
        return;
    }
    let requests: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(50)
        .max(1);
    let work = tempfile::tempdir().expect("tempdir");
    let v2 = work.path().join("docker/registry/v2");
    let written = Instant::now();
    let image = blobs(&v2);
    let latest = vec!["latest".to_owned()];
    for i in 0..REPOSITORIES {
        repository(&v2, &format!("team{}/repo-{i:05}", i % 10), &image, &latest);
    }
    let tags: Vec<String> = (0..TAGS).map(|i| format!("v{i:05}")).collect();
    repository(&v2, "big/tags", &image, &tags);
    eprintln!(
        "store: {REPOSITORIES} repositories + one with {TAGS} tags, written in {:.1} s",
        written.elapsed().as_secs_f64()
    );
    let (_server, base) = serve(work.path());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client");
    let pages = [
        (
            "repository list, first page",
            "/".to_owned(),
            "team0/repo-00000",
            50,
        ),
        (
            "repository list, search",
            "/?q=repo-049".to_owned(),
            "team0/repo-04900",
            50,
        ),
        (
            "repository list, a later page",
            "/?after=team9%2Frepo-04979".to_owned(),
            "team9/repo-04989",
            50,
        ),
        (
            "repository page, 1,000 tags",
            "/r/big/tags".to_owned(),
            "v00999",
            100,
        ),
    ];
    println!("\n| page | p50 ms | p99 ms | target | |\n|---|---|---|---|---|");
    for (label, path, expect, target_ms) in pages {
        let (p50, p99) = runtime.block_on(measure(&client, &base, &path, expect, requests));
        let verdict = if p50 < Duration::from_millis(target_ms) {
            "PASS"
        } else {
            "MISS"
        };
        println!(
            "| {label} | {:.1} | {:.1} | p50 < {target_ms} ms | {verdict} |",
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3
        );
    }
}
