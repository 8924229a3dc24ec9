//! Metrics (`http.debug.addr` + `http.debug.prometheus`): scraped by the real Prometheus server
//! from Debian, which the test starts with its own config, storage and port.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::process::KillOnDrop;
use crate::common::registry::Reg;
use crate::common::server::Server;
use crate::common::{free_port, regctl, require_tool};

fn debug_env(debug_addr: &str) -> Vec<(&'static str, String)> {
    vec![
        ("REGISTRY_HTTP_DEBUG_ADDR", debug_addr.to_owned()),
        ("REGISTRY_HTTP_DEBUG_PROMETHEUS_ENABLED", "true".to_owned()),
    ]
}

async fn manifest_put_count(prometheus: &str) -> Option<f64> {
    let query = r#"regctl_http_requests_total{route="manifest_put",status="2xx"}"#;
    let url =
        reqwest::Url::parse_with_params(&format!("{prometheus}/api/v1/query"), [("query", query)])
            .ok()?;
    let response = reqwest::get(url).await.ok()?;
    let json: serde_json::Value = response.json().await.ok()?;
    json["data"]["result"][0]["value"][1].as_str()?.parse().ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn prometheus_scrapes_the_manifest_put_counter() {
    let prometheus_bin = require_tool("prometheus", "prometheus");
    let root = tempfile::tempdir().unwrap();
    let debug_addr = format!("127.0.0.1:{}", free_port());
    let envs = debug_env(&debug_addr);
    let env_refs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = Server::start(root.path(), &[], &env_refs);
    let reg = Reg::new(&server.base);

    // The public port has no metrics; the debug listener has them.
    let public = reqwest::get(format!("{}/metrics", server.base))
        .await
        .unwrap();
    assert_eq!(public.status(), 404);
    let scraped = reqwest::get(format!("http://{debug_addr}/metrics"))
        .await
        .unwrap();
    assert_eq!(scraped.status(), 200);
    assert!(scraped.text().await.unwrap().contains("regctl_build_info"));

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: regctl\n    \
             static_configs:\n      - targets: ['{debug_addr}']\n"
        ),
    )
    .unwrap();
    let web = format!("127.0.0.1:{}", free_port());
    let _prometheus = KillOnDrop(
        Command::new(prometheus_bin)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address={web}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let prometheus = format!("http://{web}");

    let (_, _) = reg.push_image("metrics/app", "v1", &[b"layer one"]).await;
    let response = reg
        .put_manifest(
            "metrics/app",
            "v2",
            "application/vnd.oci.image.manifest.v1+json",
            &reg.get("/v2/metrics/app/manifests/v1")
                .header("accept", "application/vnd.oci.image.manifest.v1+json")
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap(),
        )
        .await;
    assert_eq!(response.status(), 201);

    // Two manifest PUTs (v1 by push_image, v2 here) must reach Prometheus's TSDB.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = None;
    while Instant::now() < deadline {
        last = manifest_put_count(&prometheus).await;
        if last == Some(2.0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(
        last,
        Some(2.0),
        "Prometheus's value of the manifest_put counter"
    );
    drop(server);
}

#[test]
fn config_validate_accepts_the_debug_keys() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yml");
    std::fs::write(
        &config,
        "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /var/lib/registry\nhttp:\n  \
         addr: :5000\n  debug:\n    addr: :5001\n    prometheus:\n      enabled: true\n      \
         path: /metrics\n",
    )
    .unwrap();
    let output = regctl()
        .args(["config", "validate", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn debug_addr_without_prometheus_answers_404() {
    let root = tempfile::tempdir().unwrap();
    let debug_addr = format!("127.0.0.1:{}", free_port());
    let server = Server::start(
        root.path(),
        &[],
        &[("REGISTRY_HTTP_DEBUG_ADDR", debug_addr.as_str())],
    );
    let scraped = reqwest::get(format!("http://{debug_addr}/metrics"))
        .await
        .unwrap();
    assert_eq!(scraped.status(), 404);
    drop(server);
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_outcomes_and_route_groups_are_exposed() {
    let root = tempfile::tempdir().unwrap();
    let htpasswd = root.path().join("htpasswd");
    let hash = bcrypt::hash_with_result("secret", 5)
        .unwrap()
        .format_for_version(bcrypt::Version::TwoY);
    std::fs::write(&htpasswd, format!("alice:{hash}\n")).unwrap();
    let debug_addr = format!("127.0.0.1:{}", free_port());
    let data = root.path().join("data");
    let server = Server::start(
        &data,
        &[],
        &[
            ("REGISTRY_HTTP_DEBUG_ADDR", debug_addr.as_str()),
            ("REGISTRY_HTTP_DEBUG_PROMETHEUS_ENABLED", "true"),
            ("REGISTRY_HTTP_DEBUG_PROMETHEUS_PATH", "/m"),
            ("REGISTRY_AUTH", "htpasswd"),
            ("REGISTRY_AUTH_HTPASSWD_REALM", "r"),
            ("REGISTRY_AUTH_HTPASSWD_PATH", htpasswd.to_str().unwrap()),
        ],
    );
    let client = reqwest::Client::new();
    let url = format!("{}/v2/", server.base);
    assert_eq!(client.get(&url).send().await.unwrap().status(), 401);
    let wrong = client.get(&url).basic_auth("alice", Some("nope"));
    assert_eq!(wrong.send().await.unwrap().status(), 401);
    let right = client.get(&url).basic_auth("alice", Some("secret"));
    assert_eq!(right.send().await.unwrap().status(), 200);
    let text = reqwest::get(format!("http://{debug_addr}/m"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        r#"regctl_auth_attempts_total{result="success"} 1"#,
        r#"regctl_auth_attempts_total{result="failure"} 1"#,
        r#"regctl_auth_attempts_total{result="challenge"} 1"#,
        r#"regctl_http_requests_total{route="base",status="4xx"} 2"#,
        r#"regctl_http_requests_total{route="base",status="2xx"} 1"#,
    ] {
        assert!(text.contains(line), "{line} missing in\n{text}");
    }
    // The keep-alive connection of `client` is still open.
    assert!(!text.contains("regctl_open_connections 0\n"), "{text}");
    drop(server);
}
