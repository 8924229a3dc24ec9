//! The audit trail beyond the API: `log.audit.file` (JSON lines whatever `log.formatter`),
//! gc removals (`regctl gc` and the retention schedule), prune removals and web-page deletes.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::common::oci::{layout_blobs, oci_reference, write_oci_layout};
use crate::common::registry::{skopeo, Reg};
use crate::common::server::Server;
use crate::common::{free_port, regctl, require_tool, success_stdout};

const FORM: &str = "application/x-www-form-urlencoded";

/// The audit file's lines, each parsed (a line that is not a JSON object fails the test).
fn audit_lines(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not JSON ({e}): {line}\nin:\n{text}"));
            assert!(value.is_object(), "{line}");
            value
        })
        .collect()
}

/// Lines with every `field = value` of `want`.
fn matching<'a>(lines: &'a [Value], want: &[(&str, &str)]) -> Vec<&'a Value> {
    lines
        .iter()
        .filter(|line| want.iter().all(|(k, v)| line[*k].as_str() == Some(*v)))
        .collect()
}

fn htpasswd(path: &Path, user: &str, password: &str) {
    let out = std::process::Command::new(require_tool("htpasswd", "apache2-utils"))
        .args(["-Bbc", path.to_str().unwrap(), user, password])
        .output()
        .unwrap();
    success_stdout(&out);
}

/// Logs in through the web form; the session cookie's value.
async fn web_login(client: &reqwest::Client, base: &str, user: &str, password: &str) -> String {
    let response = client
        .post(format!("{base}/-/login"))
        .header("content-type", FORM)
        .header("origin", base)
        .body(format!("user={user}&password={password}&next=%2F"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "{user} logs in");
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    cookie
        .strip_prefix("regctl_session=")
        .and_then(|rest| rest.split(';').next())
        .unwrap()
        .to_owned()
}

/// Push (skopeo), a web-page untag, a refused web delete and an API delete while `regctl serve`
/// runs with `log.audit.file`, then `regctl gc` with the same config: the file holds one JSON
/// line per write and per removal (action, digest, user, result), although `log.formatter` is
/// text, and the main log still has the lines too.
#[tokio::test(flavor = "multi_thread")]
async fn audit_file_has_json_lines_of_pushes_deletes_web_deletes_and_gc_removals() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("data");
    std::fs::create_dir_all(&root).unwrap();
    let logs = work.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let audit = logs.join("audit.log");
    let passwords = work.path().join("htpasswd");
    htpasswd(&passwords, "alice", "s3cret-pass");
    let addr = format!("127.0.0.1:{}", free_port());
    let config = work.path().join("config.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: info\n  formatter: text\n  audit:\n    file: {}\n\
             storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n\
             auth:\n  htpasswd:\n    realm: test\n    path: {}\nhttp:\n  addr: {addr}\n  secret: s\n",
            audit.display(),
            root.display(),
            passwords.display()
        ),
    )
    .unwrap();
    let validated = regctl()
        .args(["config", "validate", "-c", config.to_str().unwrap()])
        .output()
        .unwrap();
    success_stdout(&validated);

    let layout = work.path().join("layout");
    let manifest = write_oci_layout(&layout, "v1", 2, 3000);
    let blobs: BTreeSet<String> = layout_blobs(&layout)
        .into_iter()
        .map(|hex| format!("sha256:{hex}"))
        .collect();
    let main_log = work.path().join("serve.log");
    let server = Server::start_with_stderr(
        &["serve", "-c", config.to_str().unwrap()],
        &[],
        std::process::Stdio::from(std::fs::File::create(&main_log).unwrap()),
    );
    let base = server.base.clone();
    let mode = std::fs::metadata(&audit).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode & !0o640, 0, "created at most 0640: {mode:o}");
    for tag in ["v1", "v2"] {
        let (addr, source) = (server.addr.clone(), oci_reference(&layout, "v1"));
        tokio::task::spawn_blocking(move || {
            skopeo(&[
                "copy",
                "--preserve-digests",
                "--dest-tls-verify=false",
                "--dest-creds",
                "alice:s3cret-pass",
                &source,
                &format!("docker://{addr}/team/app:{tag}"),
            ])
        })
        .await
        .unwrap();
    }

    // The web pages: untag v2 through the confirmation form, then a forged post (no token).
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let session = web_login(&client, &base, "alice", "s3cret-pass").await;
    let confirm = client
        .get(format!("{base}/r/team/app/-/delete?tag=v2"))
        .header("cookie", format!("regctl_session={session}"))
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
        .unwrap_or_else(|| panic!("a csrf field in {confirm}"));
    let deleted = client
        .post(format!("{base}/r/team/app/-/delete"))
        .header("cookie", format!("regctl_session={session}"))
        .header("origin", &base)
        .header("content-type", FORM)
        .body(format!("tag=v2&csrf={csrf}"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 303, "the web delete went through");
    let forged = client
        .post(format!("{base}/r/team/app/-/delete"))
        .header("cookie", format!("regctl_session={session}"))
        .header("content-type", FORM)
        .body("tag=v1")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);

    // The API: delete the manifest by digest.
    let reg = Reg::new(&base);
    let r = reg
        .delete(&format!("/v2/team/app/manifests/{manifest}"))
        .basic_auth("alice", Some("s3cret-pass"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    // A graceful stop: the audit file has every line queued before it (SIGKILL may lose the
    // last few, which are still on their way to the writer thread).
    assert!(server.terminate().success());

    // gc on the command line, with the same config: its removals go to the same file.
    let gc = regctl()
        .args(["gc", "-c", config.to_str().unwrap(), "--grace", "0s", "-q"])
        .env("USER", "auditor")
        .output()
        .unwrap();
    success_stdout(&gc);
    assert!(
        !String::from_utf8_lossy(&gc.stderr).contains("gc-remove"),
        "with an audit file, gc keeps its stderr for warnings"
    );

    let lines = audit_lines(&audit);
    let pushed = matching(
        &lines,
        &[
            ("action", "push"),
            ("result", "ok"),
            ("user", "alice"),
            ("reference", "v1"),
            ("digest", &manifest),
        ],
    );
    assert_eq!(pushed.len(), 1, "one push line for v1: {lines:#?}");
    assert_eq!(pushed[0]["target"], "regctl::audit");
    assert!(pushed[0]["remote"]
        .as_str()
        .is_some_and(|r| r.starts_with("127.0.0.1:")));
    let untagged = matching(
        &lines,
        &[
            ("action", "untag"),
            ("result", "ok"),
            ("user", "alice"),
            ("repository", "team/app"),
            ("reference", "v2"),
            ("digest", &manifest),
        ],
    );
    assert_eq!(untagged.len(), 1, "one line for the web untag: {lines:#?}");
    assert_eq!(untagged[0]["status"], 303);
    let refused = matching(
        &lines,
        &[
            ("action", "untag"),
            ("result", "refused"),
            ("reference", "v1"),
        ],
    );
    assert_eq!(refused.len(), 1, "the forged web delete: {lines:#?}");
    assert_eq!(refused[0]["status"], 403);
    let api_delete = matching(
        &lines,
        &[
            ("action", "delete"),
            ("result", "ok"),
            ("user", "alice"),
            ("reference", &manifest),
            ("digest", &manifest),
        ],
    );
    assert_eq!(api_delete.len(), 1, "the API delete: {lines:#?}");

    let gc_blobs: BTreeSet<String> = matching(
        &lines,
        &[
            ("action", "gc-remove"),
            ("kind", "blob"),
            ("result", "ok"),
            ("user", "auditor"),
        ],
    )
    .iter()
    .map(|line| {
        assert!(line["size"].as_u64().is_some_and(|s| s > 0), "{line}");
        line["digest"].as_str().unwrap().to_owned()
    })
    .collect();
    assert_eq!(
        gc_blobs, blobs,
        "one gc line per removed blob, with its digest"
    );
    let links = matching(&lines, &[("action", "gc-remove"), ("kind", "layer-link")]);
    assert!(
        links
            .iter()
            .all(|l| l["repository"] == "team/app" && l["user"] == "auditor"),
        "{links:#?}"
    );
    assert_eq!(links.len(), blobs.len() - 1, "config and layers had links");
    assert_eq!(
        matching(
            &lines,
            &[
                ("action", "gc-remove"),
                ("kind", "repository"),
                ("repository", "team/app")
            ]
        )
        .len(),
        1,
        "the emptied repository: {lines:#?}"
    );

    // The main log (text) has the serve-side lines too, and no JSON.
    let main = std::fs::read_to_string(&main_log).unwrap();
    let main_audit: Vec<&str> = main
        .lines()
        .filter(|l| l.contains("regctl::audit"))
        .collect();
    assert!(
        main_audit
            .iter()
            .any(|l| l.contains("action=\"untag\"") && l.contains("user=\"alice\"")),
        "{main}"
    );
    assert!(main_audit.iter().all(|l| !l.starts_with('{')), "{main}");
}

/// Without `log.audit.file`, `regctl gc` writes its audit lines on stderr (cron and systemd keep
/// it); a dry run writes none.
#[test]
fn gc_without_an_audit_file_audits_on_stderr_and_dry_runs_audit_nothing() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("data");
    let v2 = root.join("docker/registry/v2");
    let orphan = b"an orphan blob";
    let hex = crate::common::registry::digest(orphan);
    let hex = hex.trim_start_matches("sha256:");
    let dir = v2.join("blobs/sha256").join(&hex[..2]).join(hex);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("data"), orphan).unwrap();
    std::fs::create_dir_all(v2.join("repositories")).unwrap();
    let run = |dry: bool| {
        let mut cmd = regctl();
        cmd.args([
            "gc",
            "--root",
            root.to_str().unwrap(),
            "--grace",
            "0s",
            "-q",
        ])
        .env("USER", "cron");
        if dry {
            cmd.arg("--dry-run");
        }
        let out = cmd.output().unwrap();
        success_stdout(&out);
        String::from_utf8(out.stderr).unwrap()
    };
    let dry = run(true);
    assert!(!dry.contains("regctl::audit"), "{dry}");
    let real = run(false);
    let line = real
        .lines()
        .find(|l| l.contains("regctl::audit"))
        .unwrap_or_else(|| panic!("an audit line: {real}"));
    for field in [
        "action=\"gc-remove\"",
        "kind=\"blob\"",
        "result=\"ok\"",
        "user=\"cron\"",
        &format!("digest=sha256:{hex}"),
        &format!("size={}", orphan.len()),
    ] {
        assert!(line.contains(field), "{field} in {line}");
    }
}

/// `regctl prune` and the retention schedule of `regctl serve`: every tag removal is a `prune`
/// line (user: the OS user, `retention` for the schedule) and every gc removal of a scheduled
/// round a `gc-remove` line with user `retention`.
#[tokio::test(flavor = "multi_thread")]
async fn prune_and_scheduled_rounds_are_audited_with_their_user() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("data");
    std::fs::create_dir_all(&root).unwrap();
    let audit = work.path().join("audit.log");
    let addr = format!("127.0.0.1:{}", free_port());
    let config = work.path().join("config.yml");
    let write_config = |schedule: &str| {
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: warn\n  formatter: json\n  audit:\n    file: {}\n\
                 storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n\
                 http:\n  addr: {addr}\n  secret: s\nretention:\n  policies:\n    - repository: 'ci/**'\n      \
                 delete:\n        - matching: 'old-.*'\n{schedule}",
                audit.display(),
                root.display()
            ),
        )
        .unwrap();
    };
    write_config("");
    let server = Server::start(&root, &["--no-web"], &[]);
    let reg = Reg::new(&server.base);
    let (_, first) = reg.push_image("ci/app", "old-1", &[b"one"]).await;
    let (_, second) = reg.push_image("ci/app", "old-2", &[b"two"]).await;
    reg.push_image("ci/app", "keep", &[b"three"]).await;
    drop(server);

    // `regctl prune` removes both old tags, each with its own line.
    let out = regctl()
        .args(["prune", "-c", config.to_str().unwrap(), "-o", "json"])
        .env("USER", "operator")
        .output()
        .unwrap();
    success_stdout(&out);
    let lines = audit_lines(&audit);
    let pruned = matching(
        &lines,
        &[("action", "prune"), ("user", "operator"), ("result", "ok")],
    );
    let tags: BTreeSet<(&str, &str)> = pruned
        .iter()
        .map(|l| {
            (
                l["reference"].as_str().unwrap(),
                l["digest"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        tags,
        BTreeSet::from([("old-1", first.as_str()), ("old-2", second.as_str())]),
        "{lines:#?}"
    );

    // The schedule: a new old-3 goes, and a crash leftover older than gc's grace period too.
    let server = Server::start(&root, &["--no-web"], &[]);
    let (_, third) = Reg::new(&server.base)
        .push_image("ci/app", "old-3", &[b"four"])
        .await;
    drop(server);
    let leftover =
        root.join("docker/registry/v2/repositories/ci/app/_layers/.link.tmp-00112233445566ff");
    std::fs::write(&leftover, "sha256:").unwrap();
    let status = std::process::Command::new("touch")
        .args(["-m", "-d", "3 hours ago"])
        .arg(&leftover)
        .status()
        .unwrap();
    assert!(status.success());
    write_config("  schedule: 1s\n");
    let server =
        Server::start_with_args(&["serve", "-c", config.to_str().unwrap(), "--no-web"], &[]);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let lines = audit_lines(&audit);
        let pruned = matching(
            &lines,
            &[
                ("action", "prune"),
                ("user", "retention"),
                ("reference", "old-3"),
            ],
        );
        let collected = matching(
            &lines,
            &[
                ("action", "gc-remove"),
                ("kind", "temp-file"),
                ("user", "retention"),
            ],
        );
        if !pruned.is_empty() && !collected.is_empty() {
            assert_eq!(pruned[0]["digest"], third.as_str());
            assert_eq!(pruned[0]["repository"], "ci/app");
            assert!(
                collected[0]["reference"]
                    .as_str()
                    .is_some_and(|r| r.ends_with(".link.tmp-00112233445566ff")),
                "{collected:#?}"
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no scheduled round audited: {lines:#?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Let another round run: it finds nothing more to remove, so it writes no line.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    drop(server);
    let lines = audit_lines(&audit);
    assert!(!leftover.exists());
    // One line per removal: the schedule's rounds after the first found nothing more to remove.
    assert_eq!(
        matching(&lines, &[("action", "prune"), ("reference", "old-3")]).len(),
        1
    );
}

/// An audit file in a directory that does not exist: `config validate` names the key and the
/// directory, and `regctl serve` refuses to start with the same words (no silent trail loss).
#[test]
fn a_missing_audit_directory_fails_validate_and_serve() {
    let work = tempfile::tempdir().unwrap();
    let missing = work.path().join("no-such-dir/audit.log");
    let config = work.path().join("config.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  audit:\n    file: {}\nstorage:\n  filesystem:\n    \
             rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:0\n",
            missing.display(),
            work.path().join("data").display()
        ),
    )
    .unwrap();
    let validate = regctl()
        .args(["config", "validate", "-c", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!validate.status.success());
    let said = String::from_utf8_lossy(&validate.stdout).to_string()
        + &String::from_utf8_lossy(&validate.stderr);
    assert!(
        said.contains("log.audit.file")
            && said.contains("no-such-dir")
            && said.contains("does not exist"),
        "{said}"
    );
    let serve = regctl()
        .args(["serve", "-c", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!serve.status.success());
    let said = String::from_utf8_lossy(&serve.stderr);
    assert!(
        said.contains("log.audit.file") && said.contains("does not exist"),
        "{said}"
    );
}
