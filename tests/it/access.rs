//! Access control (`auth.htpasswd.policy`) against real clients: skopeo, the docker engine and
//! plain HTTP, on one `regctl serve` with htpasswd users, a group file and a policy.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use base64::Engine as _;

use crate::common::registry::{digest, Reg};
use crate::common::server::Server;
use crate::common::{regctl, success_stdout};

const POLICY: &str = r#"admins: admins
anonymous: [public/**]
rules:
  - repositories: [team/**]
    groups: [team]
    allow: [pull, push]
  - repositories: ["**"]
    groups: [readers]
    allow: [pull]
"#;

/// A registry home: htpasswd, groups, policy and config.yml, and the server's log file.
pub struct Home {
    pub dir: tempfile::TempDir,
}

impl Home {
    pub fn new(policy: &str, users: &[(&str, &[&str])]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let home = Self { dir };
        for (user, groups) in users {
            home.add_user(user, groups);
        }
        std::fs::write(home.policy(), policy).unwrap();
        let config = format!(
            "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {root}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:0\nauth:\n  htpasswd:\n    realm: Registry\n    path: {htpasswd}\n    policy: {policy}\n",
            root = home.path("data").display(),
            htpasswd = home.path("htpasswd").display(),
            policy = home.policy().display(),
        );
        std::fs::write(home.config(), config).unwrap();
        home
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn config(&self) -> PathBuf {
        self.path("config.yml")
    }

    pub fn policy(&self) -> PathBuf {
        self.path("access.yml")
    }

    /// `regctl user add USER --group G...` with the user's name as password.
    pub fn add_user(&self, user: &str, groups: &[&str]) {
        let mut args = vec![
            "user".to_owned(),
            "add".to_owned(),
            user.to_owned(),
            "--password-stdin".to_owned(),
            "--cost".to_owned(),
            "4".to_owned(),
            "--htpasswd".to_owned(),
            self.path("htpasswd").display().to_string(),
            "--groups-file".to_owned(),
            self.path("groups").display().to_string(),
        ];
        for group in groups {
            args.push("--group".to_owned());
            args.push((*group).to_owned());
        }
        run_with_stdin(&args, &format!("{user}-pw\n"));
    }

    pub fn serve(&self) -> Server {
        let log = std::fs::File::create(self.path("serve.log")).unwrap();
        Server::start_with_stderr(
            &["serve", "-c", self.config().to_str().unwrap()],
            &[],
            Stdio::from(log),
        )
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.path("serve.log")).unwrap_or_default()
    }
}

fn run_with_stdin(args: &[String], stdin: &str) -> String {
    let mut child = regctl()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    success_stdout(&child.wait_with_output().unwrap())
}

/// An HTTP client sending `user`'s Basic credentials (password `USER-pw`) on every request.
fn client(base: &str, user: Option<&str>) -> Reg {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(user) = user {
        let value = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{user}-pw"));
        headers.insert(
            reqwest::header::AUTHORIZATION,
            format!("Basic {value}").parse().unwrap(),
        );
    }
    Reg {
        base: base.to_owned(),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .build()
            .unwrap(),
    }
}

pub(crate) fn layout(dir: &Path) -> String {
    let layout = dir.join("layout");
    if !layout.exists() {
        crate::common::oci::write_oci_layout(&layout, "v1", 1, 3000);
    }
    crate::common::oci::oci_reference(&layout, "v1")
}

fn skopeo_status(args: &[&str]) -> (bool, String) {
    let skopeo = crate::common::require_tool("skopeo", "skopeo");
    let output = std::process::Command::new(skopeo)
        .args(args)
        .env("HOME", std::env::temp_dir())
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

pub(crate) fn push_as(user: &str, source: &str, target: &str) -> (bool, String) {
    let creds = format!("{user}:{user}-pw");
    skopeo_status(&[
        "copy",
        "--dest-tls-verify=false",
        "--dest-creds",
        &creds,
        source,
        &format!("docker://{target}"),
    ])
}

async fn status(r: reqwest::RequestBuilder) -> (u16, String) {
    let r = r.send().await.unwrap();
    let code = r.status().as_u16();
    (code, r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skopeo_and_http_clients_get_exactly_what_the_policy_allows() {
    let home = Home::new(
        POLICY,
        &[
            ("root", &["admins"]),
            ("bob", &["team"]),
            ("dave", &["readers"]),
        ],
    );
    let server = home.serve();
    let addr = &server.addr;
    let source = layout(home.dir.path());
    for repo in ["other/app", "team/app", "public/tool"] {
        let (ok, err) = push_as("root", &source, &format!("{addr}/{repo}:1"));
        assert!(ok, "admin push to {repo}: {err}");
    }

    // anonymous pull of public/** works with skopeo; an anonymous push is refused with 401
    let out = tempfile::tempdir().unwrap();
    let (ok, err) = skopeo_status(&[
        "copy",
        "--src-tls-verify=false",
        &format!("docker://{addr}/public/tool:1"),
        &format!("oci:{}:pulled", out.path().join("anon").display()),
    ]);
    assert!(ok, "anonymous pull: {err}");
    let (ok, err) = skopeo_status(&[
        "copy",
        "--dest-tls-verify=false",
        &source,
        &format!("docker://{addr}/public/tool:2"),
    ]);
    assert!(!ok, "an anonymous push must fail");
    assert!(
        err.contains("401")
            || err.to_lowercase().contains("unauthorized")
            || err.contains("authentication required"),
        "{err}"
    );
    let anonymous = client(&server.base, None);
    let r = anonymous
        .post("/v2/public/tool/blobs/uploads/")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // With a policy the challenge is regctl's own token service (docker pulls anonymously
    // only through the token flow), on the address the client used.
    assert_eq!(
        r.headers()["www-authenticate"],
        format!(
            "Bearer realm=\"{}/auth/token\",service=\"regctl\"",
            server.base
        )
    );
    // Its tokens grant what the policy allows the subject: nothing to push for anonymous,
    // pull of public/**; a pull with the anonymous token works, a push does not.
    let token: serde_json::Value = anonymous
        .get("/auth/token?service=regctl&scope=repository:public/tool:pull,push")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let raw = token["token"].as_str().unwrap();
    let claims = raw.split('.').nth(1).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(claims)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["sub"], "");
    assert_eq!(
        claims["access"],
        serde_json::json!([{"type": "repository", "name": "public/tool", "actions": ["pull"]}])
    );
    let bearer = |r: reqwest::RequestBuilder| r.bearer_auth(raw);
    let (code, _) = status(bearer(anonymous.get("/v2/"))).await;
    assert_eq!(code, 200, "an anonymous token passes /v2/");
    let (code, _) = status(bearer(anonymous.post("/v2/public/tool/blobs/uploads/"))).await;
    assert_eq!(code, 401, "an anonymous token does not push");
    let (code, _) = status(bearer(anonymous.get("/v2/public/tool/tags/list"))).await;
    assert!(
        code == 200 || code == 404,
        "an anonymous token pulls public/**: {code}"
    );
    let (code, _) = status(anonymous.get("/v2/").bearer_auth("forged.token.here")).await;
    assert_eq!(code, 401);
    // Wrong credentials at the token endpoint: 401, no token.
    let wrong = anonymous
        .get("/auth/token?service=regctl")
        .basic_auth("rita", Some("nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let (code, _) = status(anonymous.get("/v2/other/app/manifests/1")).await;
    assert_eq!(
        code, 401,
        "anonymous pull outside public/** asks for credentials"
    );
    let (code, _) = status(anonymous.get("/v2/")).await;
    assert_eq!(
        code, 401,
        "anonymous /v2/ is challenged so clients learn to log in"
    );
    let (code, body) = status(anonymous.get("/v2/_catalog")).await;
    assert_eq!(
        (code, body.as_str()),
        (200, "{\"repositories\":[\"public/tool\"]}")
    );

    // a read-only user's push is 403 DENIED naming user, action and repository
    let (ok, err) = push_as("dave", &source, &format!("{addr}/team/app:2"));
    assert!(!ok);
    assert!(err.contains("user dave may not push team/app"), "{err}");
    let dave = client(&server.base, Some("dave"));
    let (code, body) = status(dave.post("/v2/team/app/blobs/uploads/")).await;
    assert_eq!(code, 403);
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["errors"][0]["code"], "DENIED");
    assert_eq!(body["errors"][0]["detail"]["user"], "dave");
    assert_eq!(body["errors"][0]["detail"]["action"], "push");
    assert_eq!(body["errors"][0]["detail"]["repository"], "team/app");
    let (code, _) = status(dave.get("/v2/other/app/manifests/1")).await;
    assert_eq!(code, 200, "readers pull everything");
    let (code, _) = status(dave.delete("/v2/other/app/manifests/1")).await;
    assert_eq!(code, 403);

    // bob may push team/**, and cannot read other/app by any route
    let (ok, err) = push_as("bob", &source, &format!("{addr}/team/app:bob"));
    assert!(ok, "{err}");
    let root = client(&server.base, Some("root"));
    let manifest: serde_json::Value = root
        .get("/v2/other/app/manifests/1")
        .header("accept", "application/vnd.oci.image.manifest.v1+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let layer = manifest["layers"][0]["digest"].as_str().unwrap().to_owned();
    let bob = client(&server.base, Some("bob"));
    for path in [
        "/v2/other/app/manifests/1".to_owned(),
        "/v2/other/app/tags/list".to_owned(),
        format!("/v2/other/app/blobs/{layer}"),
        format!("/v2/other/app/referrers/{layer}"),
    ] {
        let (code, body) = status(bob.get(&path)).await;
        assert_eq!(code, 403, "{path}: {body}");
        let (code, _) = status(bob.head(&path)).await;
        assert_eq!(code, 403, "HEAD {path}");
    }
    // a blob only other/app has: a mount from it is an ordinary upload, never a 201
    let secret = b"only in other/app";
    let secret_digest = root.push_blob("other/app", secret).await;
    let r = bob
        .post(&format!(
            "/v2/team/app/blobs/uploads/?mount={secret_digest}&from=other/app"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        202,
        "mount without pull on the source falls back to an upload"
    );
    let (code, _) = status(bob.head(&format!("/v2/team/app/blobs/{secret_digest}"))).await;
    assert_eq!(code, 404, "nothing was linked into team/app");
    // while root's mount works
    let r = root
        .post(&format!(
            "/v2/team/app/blobs/uploads/?mount={secret_digest}&from=other/app"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let (code, body) = status(bob.get("/v2/_catalog")).await;
    assert_eq!(code, 200);
    assert_eq!(body, "{\"repositories\":[\"public/tool\",\"team/app\"]}");
    let (code, body) = status(bob.get("/v2/_catalog?n=1")).await;
    assert_eq!(
        (code, body.as_str()),
        (200, "{\"repositories\":[\"public/tool\"]}")
    );
    let (code, _) =
        status(client(&server.base, Some("bob")).get("/v2/_catalog?n=1&last=public/tool")).await;
    assert_eq!(code, 200);
    let (_, body) = status(bob.get("/v2/_catalog?n=1&last=public/tool")).await;
    assert_eq!(body, "{\"repositories\":[\"team/app\"]}");
    let _ = digest(b"");

    // refusals are in the access log, with the rule that decided
    let log = home.log();
    assert!(log.contains("access denied"), "{log}");
    assert!(log.contains("rule 2"), "{log}");

    // an invalid policy keeps the one in force and says why; removing a rule takes effect
    // without a restart
    std::fs::write(
        home.policy(),
        "rules: [{repositories: [\"**\"], groups: [readers], allow: [pul]}]\n",
    )
    .unwrap();
    let dave_pull = || async {
        status(client(&server.base, Some("dave")).get("/v2/other/app/manifests/1"))
            .await
            .0
    };
    // The policy is re-checked (at most once a second) when a request needs it.
    for _ in 0..100 {
        assert_eq!(dave_pull().await, 200, "the old policy stays in force");
        if home.log().contains("cannot be loaded") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(home.log().contains("cannot be loaded"), "{}", home.log());
    assert!(
        home.log().contains("unknown action \\\"pul\\\"")
            || home.log().contains("unknown action \"pul\""),
        "{}",
        home.log()
    );
    let without_readers = POLICY.replace(
        "  - repositories: [\"**\"]\n    groups: [readers]\n    allow: [pull]\n",
        "",
    );
    std::fs::write(home.policy(), without_readers).unwrap();
    let mut code = 200;
    for _ in 0..100 {
        code = dave_pull().await;
        if code == 403 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(code, 403, "the deleted rule no longer grants dave's pull");
}

#[test]
fn without_a_policy_every_user_may_do_everything_as_before() {
    let home = Home::new("", &[("alice", &[])]);
    let config = std::fs::read_to_string(home.config()).unwrap();
    let config: String = config
        .lines()
        .filter(|l| !l.contains("policy:"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(home.config(), config).unwrap();
    let server = home.serve();
    let source = layout(home.dir.path());
    let (ok, err) = push_as("alice", &source, &format!("{}/any/repo:1", server.addr));
    assert!(ok, "{err}");
    let (ok, _) = skopeo_status(&[
        "inspect",
        "--tls-verify=false",
        &format!("docker://{}/any/repo:1", server.addr),
    ]);
    assert!(!ok, "anonymous is refused without a policy, as today");
}

#[test]
fn config_validate_reports_policy_problems_with_key_paths() {
    let home = Home::new(
        "rules:\n  - repositories: [team/**]\n    groups: [team]\n    allow: [pull, pussh]\n  - repositories: [\"**\"]\n    users: [ghost]\n    allow: [pull]\n",
        &[("bob", &["team"])],
    );
    let output = regctl()
        .args(["config", "validate", "-c", home.config().to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let all = format!("{stdout}{stderr}");
    assert!(!output.status.success(), "{all}");
    let policy = home.policy().display().to_string();
    assert!(
        all.contains(&format!(
            "auth.htpasswd.policy: {policy}: rules[0].allow[1]"
        )),
        "{all}"
    );
    assert!(all.contains("unknown action \"pussh\""), "{all}");

    std::fs::write(
        home.policy(),
        "rules:\n  - repositories: [\"**\"]\n    users: [ghost]\n    allow: [pull]\n",
    )
    .unwrap();
    let output = regctl()
        .args(["config", "validate", "-c", home.config().to_str().unwrap()])
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "a name nobody answers to is a warning: {all}"
    );
    assert!(
        all.contains("\"ghost\" is not in the htpasswd file"),
        "{all}"
    );

    // serve refuses to start on an invalid policy
    std::fs::write(home.policy(), "rulez: []\n").unwrap();
    let output = regctl()
        .args(["serve", "-c", home.config().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("rulez: unknown key (did you mean rules?)"),
        "{stderr}"
    );
}

/// `regctl ARGS -c CONFIG`: (success, stdout, stderr).
fn regctl_in(home: &Home, args: &[&str]) -> (bool, String, String) {
    let output = regctl()
        .args(args)
        .args(["-c", home.config().to_str().unwrap()])
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn ci_tokens_work_as_passwords_within_their_scope_until_revoked_or_expired() {
    let home = Home::new(POLICY, &[("ci", &["team"])]);
    let server = home.serve();
    let addr = &server.addr;
    let source = layout(home.dir.path());

    // Which rule decides, as the server will decide it.
    let (ok, out, _) = regctl_in(&home, &["access", "check", "ci", "push", "team/web"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("allowed: ci push team/web") && out.contains("rule 1"),
        "{out}"
    );
    let (ok, out, _) = regctl_in(&home, &["access", "check", "ci", "push", "other/app"]);
    assert!(!ok, "a denial exits 1: {out}");
    assert!(out.contains("denied: ci push other/app"), "{out}");

    // The token is printed once, alone on stdout with -q; the store keeps only its hash.
    let (ok, token, err) = regctl_in(
        &home,
        &[
            "token",
            "create",
            "--user",
            "ci",
            "--repo",
            "team/app",
            "--actions",
            "pull,push",
            "--expires",
            "1h",
            "-q",
        ],
    );
    assert!(ok, "{err}");
    let token = token.trim().to_owned();
    assert!(token.starts_with("regctl_"), "{token}");
    let (ok, listed, _) = regctl_in(&home, &["token", "list", "-o", "json"]);
    assert!(ok);
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["user"], "ci");
    assert_eq!(listed[0]["repositories"], serde_json::json!(["team/app"]));
    let id = listed[0]["id"].as_str().unwrap().to_owned();
    assert!(token.contains(&id), "the token names its id: {token} {id}");
    let store = std::fs::read_dir(home.dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("tokens"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect::<String>();
    assert!(!store.is_empty(), "a token store next to the policy");
    let secret = token.rsplit('_').next().unwrap();
    assert!(!store.contains(secret), "the secret is not stored: {store}");

    // skopeo pushes with the token as the password, within the token's repositories only.
    let push_with = |password: &str, repo: &str| {
        skopeo_status(&[
            "copy",
            "--dest-tls-verify=false",
            "--dest-creds",
            &format!("ci:{password}"),
            &source,
            &format!("docker://{addr}/{repo}"),
        ])
    };
    // The server looks at the store again at most once a second, on a request.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let (ok, err) = push_with(&token, "team/app:1");
    assert!(ok, "push with the token: {err}");
    let (ok, err) = push_with(&token, "team/web:1");
    assert!(!ok, "the policy allows ci team/web, the token does not");
    assert!(err.contains("403"), "{err}");
    let (ok, _) = push_with(&format!("{token}x"), "team/app:2");
    assert!(!ok, "a wrong token is refused");
    let (ok, err) = push_with("ci-pw", "team/web:1");
    assert!(ok, "the password keeps the policy's rights: {err}");

    // Revoked: refused from the next reload (at most a second) on.
    let (ok, _, err) = regctl_in(&home, &["token", "revoke", &id]);
    assert!(ok, "{err}");
    let mut refused = false;
    for _ in 0..50 {
        let (ok, _) = push_with(&token, "team/app:3");
        if !ok {
            refused = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert!(refused, "a revoked token stops working");

    // Expired: refused.
    let (ok, short, err) = regctl_in(
        &home,
        &[
            "token",
            "create",
            "--user",
            "ci",
            "--repo",
            "team/**",
            "--actions",
            "push",
            "--expires",
            "1s",
            "-q",
        ],
    );
    assert!(ok, "{err}");
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let (ok, _) = push_with(short.trim(), "team/app:4");
    assert!(!ok, "an expired token is refused");
}

/// The real docker client against a policy: anonymous pulls of `public/**` work while an
/// anonymous push is refused (401, docker asks to log in); a read-only user's push gets 403
/// and docker prints the server's message; a team member pushes; a rule removed from the policy
/// takes effect without a restart.
#[test]
fn the_docker_engine_sees_anonymous_pull_read_only_denials_and_policy_reloads() {
    let home = Home::new(
        POLICY,
        &[
            ("ann", &["admins"]),
            ("tom", &["team"]),
            ("rita", &["readers"]),
        ],
    );
    let server = home.serve();
    let engine = crate::common::dockerd::Dockerd::start();
    let addr = &server.addr;
    let login = |user: &str| {
        let mut child = engine
            .docker()
            .args(["login", "-u", user, "--password-stdin", addr])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{user}-pw").as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "docker login {user}: {out:?}");
    };
    let stderr_of = |args: &[&str]| {
        let out = engine.run(args);
        assert!(!out.status.success(), "docker {args:?} should fail");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };

    // An admin publishes public/hello.
    let public = format!("{addr}/public/hello:1");
    engine.import_image(&public, b"public content\n");
    login("ann");
    engine.ok(&["push", &public]);
    engine.ok(&["logout", addr]);

    // Anonymous: pull works, push does not.
    engine.ok(&["rmi", &public]);
    engine.ok(&["pull", &public]);
    let anonymous_push = format!("{addr}/public/mine:1");
    engine.ok(&["tag", &public, &anonymous_push]);
    let err = stderr_of(&["push", &anonymous_push]);
    assert!(
        err.contains("unauthorized") || err.contains("authentication required"),
        "{err}"
    );

    // A read-only user: the push is denied with the server's message.
    login("rita");
    let rita_push = format!("{addr}/team/app:1");
    engine.ok(&["tag", &public, &rita_push]);
    let err = stderr_of(&["push", &rita_push]);
    assert!(err.contains("denied"), "{err}");
    assert!(err.contains("user rita may not push team/app"), "{err}");

    // A team member may push there.
    login("tom");
    engine.ok(&["push", &rita_push]);

    // Remove the team rule: tom's next push is denied without a restart.
    std::fs::write(
        home.policy(),
        "admins: admins\nanonymous: [public/**]\nrules:\n  - repositories: [\"**\"]\n    groups: [readers, team]\n    allow: [pull]\n",
    )
    .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1_100));
    let tom_push = format!("{addr}/team/app:2");
    engine.ok(&["tag", &public, &tom_push]);
    let err = stderr_of(&["push", &tom_push]);
    assert!(
        err.contains("user tom may not push team/app"),
        "{err}\n{}",
        home.log()
    );
}
