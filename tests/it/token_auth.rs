//! `auth.token` on `regctl serve`, side by side with Debian's `docker-registry` on the same
//! config.yml and the same token server (tests/it/token_server.rs, which signs ES256 JWTs with an
//! `x5c` chain): every refusal is answered as registry:2 answers it (status, `WWW-Authenticate`,
//! body), and real clients (skopeo) push and pull through the token flow.

use std::path::Path;
use std::process::Command;

use base64::Engine as _;

use crate::common::docker_registry::DockerRegistry;
use crate::common::registry::{Reg, OCI_MANIFEST};
use crate::common::server::Server;
use crate::common::{free_port, require_tool};
use crate::token_server::{TokenServer, ISSUER, SERVICE};

/// The config both registries serve: filesystem storage in `dir`, deletes on, token auth.
fn write_config(
    dir: &Path,
    name: &str,
    addr: &str,
    tokens: &TokenServer,
    extra: &str,
) -> std::path::PathBuf {
    let config = dir.join(format!("{name}.yml"));
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: {}\n  \
             delete:\n    enabled: true\nhttp:\n  addr: {addr}\nauth:\n  token:\n    realm: {}\n    \
             service: {SERVICE}\n    issuer: {ISSUER}\n    rootcertbundle: {}\n{extra}",
            dir.join(format!("{name}-data")).display(),
            tokens.realm,
            dir.join("signer.pem").display(),
        ),
    )
    .unwrap();
    config
}

/// What a registry answered: status, challenge, body.
#[derive(Debug, PartialEq, Eq)]
struct Answer {
    status: u16,
    challenge: Option<String>,
    body: String,
}

async fn ask(reg: &Reg, method: reqwest::Method, path: &str, token: Option<&str>) -> Answer {
    // registry:2 serves OCI manifests only to clients that accept them.
    let mut request = reg
        .client
        .request(method, reg.url(path))
        .header("accept", OCI_MANIFEST);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = if status == 401 {
        response.text().await.unwrap()
    } else {
        String::new()
    };
    Answer {
        status,
        challenge: challenge.map(|c| sorted_scope(&c)),
        body,
    }
}

/// The challenge with its `scope` resources and actions sorted: registry:2 lists them in Go map
/// order, which changes from run to run.
fn sorted_scope(challenge: &str) -> String {
    let Some((before, rest)) = challenge.split_once("scope=\"") else {
        return challenge.to_owned();
    };
    let (scope, after) = rest.split_once('"').unwrap();
    let mut resources: Vec<String> = scope
        .split(' ')
        .map(|resource| {
            let (name, actions) = resource.rsplit_once(':').unwrap();
            let mut actions: Vec<&str> = actions.split(',').collect();
            actions.sort_unstable();
            format!("{name}:{}", actions.join(","))
        })
        .collect();
    resources.sort();
    format!("{before}scope=\"{}\"{after}", resources.join(" "))
}

fn cut_signature(token: &str) -> String {
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let mut bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(signature)
        .unwrap();
    bytes[10] ^= 0x55;
    format!(
        "{signed}.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_match_docker_registry_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = TokenServer::start(&[("alice", "alice-pw")], &dir.path().join("signer.pem"));

    let ref_addr = format!("127.0.0.1:{}", free_port());
    let ref_config = write_config(dir.path(), "reference", &ref_addr, &tokens, "");
    let _reference = DockerRegistry::start_with_config(&ref_config, &ref_addr);
    let our_addr = format!("127.0.0.1:{}", free_port());
    let our_config = write_config(dir.path(), "regctl", &our_addr, &tokens, "");
    let ours = Server::start_with_args(&["serve", "-c", our_config.to_str().unwrap()], &[]);
    assert!(ours.ready_line.contains("auth on"), "{}", ours.ready_line);

    let reference = Reg::new(&format!("http://{ref_addr}"));
    let regctl = Reg::new(&ours.base);

    // Seed both with one image, pushed with a push token.
    let push = tokens.mint("alice", &["repository:team/app:pull,push"]);
    for reg in [&reference, &regctl] {
        let authed = Reg {
            base: reg.base.clone(),
            client: reqwest::Client::builder()
                .default_headers(
                    [(
                        reqwest::header::AUTHORIZATION,
                        format!("Bearer {push}").parse().unwrap(),
                    )]
                    .into_iter()
                    .collect(),
                )
                .build()
                .unwrap(),
        };
        authed
            .push_image("team/app", "v1", &[b"layer one".as_slice()])
            .await;
    }

    let pull = tokens.mint("alice", &["repository:team/app:pull"]);
    let catalog = tokens.mint("alice", &["registry:catalog:*"]);
    let expired = tokens.mint_edited("alice", &["repository:team/app:pull"], |_, c| {
        c["exp"] = serde_json::json!(1_000_000);
        c["nbf"] = serde_json::json!(0);
    });
    let not_yet = tokens.mint_edited("alice", &["repository:team/app:pull"], |_, c| {
        c["nbf"] = serde_json::json!(4_000_000_000_i64);
        c["exp"] = serde_json::json!(4_000_000_300_i64);
    });
    let other_audience = tokens.mint_edited("alice", &["repository:team/app:pull"], |_, c| {
        c["aud"] = serde_json::json!("someone-else");
    });
    let other_issuer = tokens.mint_edited("alice", &["repository:team/app:pull"], |_, c| {
        c["iss"] = serde_json::json!("mallory");
    });
    let forged = cut_signature(&pull);
    let unknown_kid = tokens.mint_edited("alice", &["repository:team/app:pull"], |h, _| {
        h.as_object_mut().unwrap().remove("x5c");
        h["kid"] = serde_json::json!("AAAA:BBBB");
    });

    use reqwest::Method;
    let manifest = "/v2/team/app/manifests/v1";
    let cases: Vec<(&str, Method, String, Option<&str>, u16)> = vec![
        ("no token, base", Method::GET, "/v2/".into(), None, 401),
        ("any valid token, base", Method::GET, "/v2/".into(), Some(&pull), 200),
        ("no token, manifest", Method::GET, manifest.into(), None, 401),
        ("pull token, manifest", Method::GET, manifest.into(), Some(&pull), 200),
        ("pull token, HEAD", Method::HEAD, manifest.into(), Some(&pull), 200),
        ("pull token, other repo", Method::GET, "/v2/other/app/tags/list".into(), Some(&pull), 401),
        ("pull token, upload", Method::POST, "/v2/team/app/blobs/uploads/".into(), Some(&pull), 401),
        ("pull token, delete", Method::DELETE, manifest.into(), Some(&pull), 401),
        ("pull token, catalog", Method::GET, "/v2/_catalog".into(), Some(&pull), 401),
        ("catalog token, catalog", Method::GET, "/v2/_catalog".into(), Some(&catalog), 200),
        (
            "push token, mount from a repository it may not pull",
            Method::POST,
            "/v2/team/app/blobs/uploads/?mount=sha256:0000000000000000000000000000000000000000000000000000000000000000&from=other/app".into(),
            Some(&push),
            401,
        ),
        ("expired", Method::GET, manifest.into(), Some(&expired), 401),
        ("not yet valid", Method::GET, manifest.into(), Some(&not_yet), 401),
        ("another audience", Method::GET, manifest.into(), Some(&other_audience), 401),
        ("another issuer", Method::GET, manifest.into(), Some(&other_issuer), 401),
        ("forged signature", Method::GET, manifest.into(), Some(&forged), 401),
        ("unknown key id", Method::GET, manifest.into(), Some(&unknown_kid), 401),
        ("not a JWT", Method::GET, manifest.into(), Some("not-a-token"), 401),
    ];
    for (what, method, path, token, status) in cases {
        let theirs = ask(&reference, method.clone(), &path, token).await;
        let ours = ask(&regctl, method, &path, token).await;
        assert_eq!(
            theirs.status, status,
            "{what}: docker-registry answered {theirs:?}"
        );
        assert_eq!(ours, theirs, "{what}");
        if status == 401 {
            let challenge = ours.challenge.as_deref().unwrap();
            assert!(
                challenge.starts_with(&format!(
                    "Bearer realm=\"{}\",service=\"{SERVICE}\"",
                    tokens.realm
                )),
                "{what}: {challenge}"
            );
        }
    }
}

#[test]
fn skopeo_pushes_and_pulls_through_the_token_flow() {
    let skopeo = require_tool("skopeo", "skopeo");
    let dir = tempfile::tempdir().unwrap();
    let tokens = TokenServer::start(&[("alice", "alice-pw")], &dir.path().join("signer.pem"));
    let addr = format!("127.0.0.1:{}", free_port());
    let config = write_config(dir.path(), "regctl", &addr, &tokens, "");
    let _server = Server::start_with_args(&["serve", "-c", config.to_str().unwrap()], &[]);

    let layout = dir.path().join("layout");
    crate::common::oci::write_oci_layout(&layout, "v1", 2, 4096);
    let source = crate::common::oci::oci_reference(&layout, "v1");
    let skopeo_run = |args: &[&str]| {
        Command::new(&skopeo)
            .env("HOME", dir.path())
            .env_remove("REGISTRY_AUTH_FILE")
            .arg("--insecure-policy")
            .args(args)
            .output()
            .unwrap()
    };
    let target = format!("docker://{addr}/team/app:v1");
    let out = skopeo_run(&[
        "copy",
        "--dest-tls-verify=false",
        "--dest-creds",
        "alice:alice-pw",
        &source,
        &target,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Wrong password: the token server refuses, so does the registry.
    let out = skopeo_run(&[
        "inspect",
        "--tls-verify=false",
        "--creds",
        "alice:nope",
        &target,
    ]);
    assert!(!out.status.success());
    // Pull back into a new layout: the same manifest digest.
    let copy = dir.path().join("copy");
    let out = skopeo_run(&[
        "copy",
        "--src-tls-verify=false",
        "--src-creds",
        "alice:alice-pw",
        &target,
        &format!("oci:{}:v1", copy.display()),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let raw = skopeo_run(&[
        "inspect",
        "--raw",
        "--tls-verify=false",
        "--creds",
        "alice:alice-pw",
        &target,
    ]);
    assert!(
        raw.status.success(),
        "{}",
        String::from_utf8_lossy(&raw.stderr)
    );
    let served = crate::common::registry::digest(&raw.stdout);
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(copy.join("index.json")).unwrap()).unwrap();
    assert_eq!(index["manifests"][0]["digest"], served.as_str());
    assert_eq!(index["manifests"][0]["mediaType"], OCI_MANIFEST);
    // The token server saw the scopes skopeo asked for, and granted them to alice.
    assert!(tokens.requests().iter().any(|r| r.granted
        && r.user.as_deref() == Some("alice")
        && r.scopes
            .iter()
            .any(|s| s == "repository:team/app:pull,push")));
}

#[test]
fn a_config_registry_2_refuses_does_not_start() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = TokenServer::start(&[], &dir.path().join("signer.pem"));
    let addr = format!("127.0.0.1:{}", free_port());
    let config = write_config(
        dir.path(),
        "regctl",
        &addr,
        &tokens,
        "    signingalgorithms:\n      - none\n",
    );
    let out = crate::common::regctl()
        .args(["serve", "-c", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("signingalgorithms") && err.contains("\"none\""),
        "{err}"
    );
    let out = crate::common::regctl()
        .args(["config", "validate", "-c", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let report = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    assert!(report.contains("auth.token.signingalgorithms"), "{report}");
}
