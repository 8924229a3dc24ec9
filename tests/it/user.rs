//! `regctl user`: every entry it writes must satisfy Apache's `htpasswd -v` and distribution's
//! registry, every entry Apache writes must be read correctly, and edits must leave the rest of the
//! file alone.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::common::docker_registry::DockerRegistry;
use crate::common::{free_port, regctl, require_tool, success_stdout};

/// Runs `regctl user ARGS --htpasswd FILE` with `stdin` piped in (closed stdin when `None`).
fn user(file: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = regctl();
    cmd.arg("user").args(args).arg("--htpasswd").arg(file);
    run(cmd, stdin)
}

fn run(mut cmd: Command, stdin: Option<&[u8]>) -> Output {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn regctl");
    if let Some(bytes) = stdin {
        let mut pipe = child.stdin.take().expect("piped stdin");
        // regctl refuses some commands before it reads stdin, so the pipe may already be closed.
        if let Err(err) = pipe.write_all(bytes) {
            assert_eq!(
                err.kind(),
                std::io::ErrorKind::BrokenPipe,
                "write stdin: {err}"
            );
        }
    }
    child.wait_with_output().expect("wait for regctl")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Adds `name` with `password` (one stdin line) at `cost`, asserting success.
fn add(file: &Path, name: &str, password: &str, cost: &str) {
    let stdin = format!("{password}\n");
    success_stdout(&user(
        file,
        &["add", name, "--password-stdin", "--cost", cost],
        Some(stdin.as_bytes()),
    ));
}

fn apache_htpasswd() -> PathBuf {
    require_tool("htpasswd", "apache2-utils")
}

/// Whether Apache's `htpasswd -vb` accepts the password (exit 0; 3 means a wrong password).
fn apache_verifies(file: &Path, name: &str, password: &str) -> bool {
    let out = Command::new(apache_htpasswd())
        .arg("-vb")
        .arg(file)
        .args([name, password])
        .output()
        .expect("run htpasswd -vb");
    match out.status.code() {
        Some(0) => true,
        Some(3) => false,
        other => panic!(
            "htpasswd -vb {name} failed unexpectedly ({other:?}): {}",
            stderr(&out)
        ),
    }
}

fn apache_add(file: &Path, flags: &[&str], name: &str, password: &str) {
    let out = Command::new(apache_htpasswd())
        .args(flags)
        .arg("-b")
        .arg(file)
        .args([name, password])
        .output()
        .expect("run htpasswd");
    assert!(out.status.success(), "htpasswd {flags:?}: {}", stderr(&out));
}

fn regctl_verify(file: &Path, name: &str, password: &str) -> Output {
    let stdin = format!("{password}\n");
    user(
        file,
        &["verify", name, "--password-stdin"],
        Some(stdin.as_bytes()),
    )
}

fn list_json(file: &Path) -> (serde_json::Value, String) {
    let out = user(file, &["list", "-o", "json"], None);
    let json = serde_json::from_str(&success_stdout(&out)).expect("list -o json is JSON");
    (json, stderr(&out))
}

#[test]
fn entries_regctl_writes_verify_with_apache_htpasswd() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("htpasswd");
    let seventy_two = "p".repeat(72);
    let users = [
        ("alice", "s3cret", "4"),
        ("bob", " spaces and: colons ", "5"),
        ("carol", "pässwörd-ünïcode", "4"),
        ("dave", seventy_two.as_str(), "4"),
        ("erin", "default-cost", "10"),
    ];
    for (name, password, cost) in users {
        add(&file, name, password, cost);
    }
    let text = fs::read_to_string(&file).unwrap();
    for (name, password, cost) in users {
        assert!(
            text.contains(&format!("\n{name}:$2y${cost:0>2}$"))
                || text.starts_with(&format!("{name}:$2y${cost:0>2}$")),
            "{name} is a $2y$ entry of cost {cost}:\n{text}"
        );
        assert!(apache_verifies(&file, name, password), "{name}");
        assert!(!apache_verifies(&file, name, "wrong"), "{name}");
    }
    let mut seventy_one = seventy_two.clone();
    seventy_one.pop();
    assert!(!apache_verifies(&file, "dave", &seventy_one));

    success_stdout(&user(
        &file,
        &["passwd", "alice", "--password-stdin", "--cost", "5"],
        Some(b"n3w\r\n"),
    ));
    assert!(apache_verifies(&file, "alice", "n3w"));
    assert!(!apache_verifies(&file, "alice", "s3cret"));
    assert!(apache_verifies(&file, "bob", " spaces and: colons "));
}

#[test]
fn bcrypt_entries_from_apache_verify_through_regctl() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("htpasswd");
    fs::write(&file, "").unwrap();
    let users = [("c4", "4"), ("c5", "5"), ("c10", "10")];
    for (name, cost) in users {
        apache_add(&file, &["-B", "-C", cost], name, &format!("pw-{name}"));
    }
    for (name, _) in users {
        let out = regctl_verify(&file, name, &format!("pw-{name}"));
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
        let out = regctl_verify(&file, name, "nope");
        assert_eq!(out.status.code(), Some(1), "{name}");
        assert!(stderr(&out).contains("wrong password"), "{}", stderr(&out));
    }

    let (json, warnings) = list_json(&file);
    let rows = json.as_array().expect("an array");
    assert_eq!(rows.len(), 3);
    for (row, (name, cost)) in rows.iter().zip(users) {
        assert_eq!(row["user"], name);
        assert_eq!(row["scheme"], "bcrypt");
        assert_eq!(row["cost"], cost.parse::<u64>().unwrap());
        assert_eq!(row["registry_compatible"], true);
    }
    assert!(!warnings.contains("warning"), "{warnings}");

    let table = success_stdout(&user(&file, &["list"], None));
    for needle in [
        "bcrypt (cost 4)",
        "bcrypt (cost 5)",
        "bcrypt (cost 10)",
        "yes",
    ] {
        assert!(table.contains(needle), "{needle} in\n{table}");
    }
}

#[test]
fn apr1_and_sha1_entries_are_listed_with_a_warning_and_can_be_upgraded() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("htpasswd");
    fs::write(&file, "").unwrap();
    apache_add(&file, &["-m"], "md5user", "md5pass");
    apache_add(&file, &["-s"], "shauser", "shapass");
    apache_add(&file, &["-B", "-C", "4"], "bcryptuser", "bpass");

    let out = user(&file, &["list"], None);
    let table = success_stdout(&out);
    let row = |name: &str| {
        table
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} in\n{table}"))
            .to_owned()
    };
    assert!(row("md5user").contains("apr1") && row("md5user").contains("no"));
    assert!(row("shauser").contains("sha1") && row("shauser").contains("no"));
    assert!(row("bcryptuser").contains("bcrypt (cost 4)") && row("bcryptuser").contains("yes"));
    let warning = stderr(&out);
    assert!(
        warning.contains("registry:2 accepts only bcrypt entries")
            && warning.contains("md5user")
            && warning.contains("shauser")
            && !warning.contains("bcryptuser")
            && warning.contains("regctl user passwd"),
        "{warning}"
    );

    let (json, _) = list_json(&file);
    assert_eq!(json[0]["scheme"], "apr1");
    assert_eq!(json[1]["scheme"], "sha1");
    assert!(json[0].get("cost").is_none());
    assert_eq!(json[0]["registry_compatible"], false);

    for (name, password) in [("md5user", "md5pass"), ("shauser", "shapass")] {
        let out = regctl_verify(&file, name, password);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("registry:2 rejects"),
            "{}",
            stderr(&out)
        );
        assert_eq!(regctl_verify(&file, name, "bad").status.code(), Some(1));
    }

    success_stdout(&user(
        &file,
        &["passwd", "md5user", "--password-stdin", "--cost", "4"],
        Some(b"upgraded\n"),
    ));
    assert!(apache_verifies(&file, "md5user", "upgraded"));
    assert!(apache_verifies(&file, "shauser", "shapass"));
    let (json, warning) = list_json(&file);
    assert_eq!(json[0]["scheme"], "bcrypt");
    assert!(
        warning.contains("shauser") && !warning.contains("md5user"),
        "{warning}"
    );
}

#[test]
fn edits_keep_every_other_line_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("htpasswd");
    fs::write(&file, "").unwrap();
    apache_add(&file, &["-m"], "legacy", "old");
    let legacy = fs::read_to_string(&file).unwrap();
    let head = format!("# managed by hand\r\n\n   \n{legacy}");
    let tail = "# trailing comment\n  # indented comment\r\n";
    fs::write(&file, format!("{head}{tail}")).unwrap();

    add(&file, "alice", "one", "4");
    let after_add = fs::read_to_string(&file).unwrap();
    let added = after_add
        .strip_prefix(&format!("{head}{tail}"))
        .expect("add only appends");
    assert!(added.starts_with("alice:$2y$04$") && added.ends_with('\n'));
    assert_eq!(added.lines().count(), 1);

    // An entry between the other lines, to check that passwd and remove touch only that line.
    let middle = format!("{head}{}{tail}", added);
    fs::write(&file, format!("{middle}bob:x\n")).unwrap();
    success_stdout(&user(
        &file,
        &["passwd", "alice", "--password-stdin", "--cost", "4"],
        Some(b"two\n"),
    ));
    let after_passwd = fs::read_to_string(&file).unwrap();
    let rewritten = after_passwd
        .strip_prefix(&head)
        .and_then(|rest| rest.strip_suffix(&format!("{tail}bob:x\n")))
        .expect("passwd changes only alice's line");
    assert!(rewritten.starts_with("alice:$2y$04$") && rewritten != added);
    assert!(apache_verifies(&file, "alice", "two"));

    success_stdout(&user(&file, &["remove", "alice"], None));
    assert_eq!(
        fs::read_to_string(&file).unwrap(),
        format!("{head}{tail}bob:x\n")
    );
    assert!(apache_verifies(&file, "legacy", "old"));

    // A line that is not `user:hash` makes Apache and registry:2 refuse the file: it is kept (the
    // operator decides) and reported.
    fs::write(&file, format!("{head}not an entry\n{tail}bob:x\n")).unwrap();
    let out = user(&file, &["remove", "bob"], None);
    success_stdout(&out);
    assert_eq!(
        fs::read_to_string(&file).unwrap(),
        format!("{head}not an entry\n{tail}")
    );
    assert!(
        stderr(&out).contains("line 5 of") && stderr(&out).contains("refuse"),
        "{}",
        stderr(&out)
    );
    let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary files left behind");
}

#[cfg(unix)]
#[test]
fn new_files_are_0600_with_parents_created_and_existing_modes_are_kept() {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("registry/auth/htpasswd");
    add(&file, "alice", "pw", "4");
    assert_eq!(mode(&file), 0o600);
    assert!(apache_verifies(&file, "alice", "pw"));

    let shared = dir.path().join("shared");
    fs::write(&shared, "").unwrap();
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o640)).unwrap();
    add(&shared, "bob", "pw", "4");
    assert_eq!(mode(&shared), 0o640);
}

#[test]
fn refusals_exit_1_with_a_clear_message_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("htpasswd");
    fs::write(&file, "# keep me\n").unwrap();
    add(&file, "alice", "pw", "4");
    let before = fs::read(&file).unwrap();
    let long = format!("{}\n", "x".repeat(73));

    type Case<'a> = (&'a [&'a str], Option<&'a [u8]>, &'a [&'a str]);
    let cases: [Case<'_>; 12] = [
        (
            &["add", "alice", "--password-stdin"],
            Some(b"pw\n"),
            &["user alice already exists", "regctl user passwd"],
        ),
        (
            &["passwd", "nobody", "--password-stdin"],
            Some(b"pw\n"),
            &["user nobody does not exist", "regctl user add"],
        ),
        (&["remove", "nobody"], None, &["user nobody does not exist"]),
        (
            &["add", "a:b", "--password-stdin"],
            Some(b"pw\n"),
            &["invalid user name", "':'"],
        ),
        (
            &["add", "a b", "--password-stdin"],
            Some(b"pw\n"),
            &["invalid user name", "whitespace"],
        ),
        (
            &["add", "a\u{1}b", "--password-stdin"],
            Some(b"pw\n"),
            &["invalid user name", "control character"],
        ),
        (
            &["add", "", "--password-stdin"],
            Some(b"pw\n"),
            &["invalid user name", "empty"],
        ),
        (
            &["add", "bob", "--password-stdin"],
            Some(b"\n"),
            &["invalid password", "empty"],
        ),
        (
            &["add", "bob", "--password-stdin"],
            Some(long.as_bytes()),
            &["invalid password", "73 bytes", "72"],
        ),
        (
            &["add", "bob", "--password-stdin"],
            Some(b""),
            &["stdin is empty"],
        ),
        (
            &["add", "bob"],
            None,
            &["not a terminal", "--password-stdin"],
        ),
        (
            &["passwd", "alice"],
            None,
            &["not a terminal", "--password-stdin"],
        ),
    ];
    for (args, stdin, expected) in cases {
        let out = user(&file, args, stdin);
        let message = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {message}");
        assert!(message.starts_with("error: "), "{args:?}: {message}");
        for needle in expected {
            assert!(message.contains(needle), "{args:?}: {needle} in {message}");
        }
        assert_eq!(
            fs::read(&file).unwrap(),
            before,
            "{args:?} changed the file"
        );
    }
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);

    let missing = dir.path().join("missing");
    let out = user(&missing, &["remove", "alice"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("cannot read htpasswd file"));
    assert!(!missing.exists(), "remove does not create the file");

    let out = user(
        &file,
        &["add", "bob", "--cost", "3", "--password-stdin"],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "cost out of range is a usage error"
    );
}

#[test]
fn the_file_comes_from_the_config_or_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let conf_dir = dir.path().join("conf");
    fs::create_dir(&conf_dir).unwrap();
    let config = conf_dir.join("config.yml");
    fs::write(
        &config,
        "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: data\nauth:\n  htpasswd:\n    realm: Registry\n    path: auth/htpasswd\n",
    )
    .unwrap();

    // A relative path in the config is relative to the working directory, as in registry:2.
    let mut cmd = regctl();
    cmd.current_dir(dir.path())
        .args([
            "user",
            "add",
            "alice",
            "--password-stdin",
            "--cost",
            "4",
            "-c",
        ])
        .arg(&config);
    success_stdout(&run(cmd, Some(b"pw\n")));
    assert!(apache_verifies(
        &dir.path().join("auth/htpasswd"),
        "alice",
        "pw"
    ));
    assert!(!conf_dir.join("auth").exists());

    // The environment override wins over the config, as REGISTRY_* variables do in registry:2.
    let from_env = dir.path().join("env-htpasswd");
    let mut cmd = regctl();
    cmd.current_dir(dir.path())
        .env("REGISTRY_AUTH_HTPASSWD_PATH", &from_env)
        .args([
            "user",
            "add",
            "bob",
            "--password-stdin",
            "--cost",
            "4",
            "-c",
        ])
        .arg(&config);
    success_stdout(&run(cmd, Some(b"pw\n")));
    assert!(apache_verifies(&from_env, "bob", "pw"));

    // Neither a flag, a variable nor a config: the error names both ways to give the file.
    let empty = dir.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let mut cmd = regctl();
    cmd.current_dir(&empty).args(["user", "list"]);
    let out = run(cmd, None);
    assert_eq!(out.status.code(), Some(1));
    let message = stderr(&out);
    assert!(
        message.contains("--htpasswd") && message.contains("auth.htpasswd.path"),
        "{message}"
    );

    // A config without an htpasswd section says so.
    let token_config = dir.path().join("token.yml");
    fs::write(
        &token_config,
        "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: data\nauth:\n  token:\n    realm: x\n",
    )
    .unwrap();
    let mut cmd = regctl();
    cmd.args(["user", "list", "-c"]).arg(&token_config);
    let out = run(cmd, None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("has no auth.htpasswd.path"),
        "{}",
        stderr(&out)
    );
}

/// `docker-registry` (distribution 2.8) on a loopback port, authenticating with `htpasswd`.
fn start_docker_registry(dir: &Path, htpasswd: &Path) -> DockerRegistry {
    let addr = format!("127.0.0.1:{}", free_port());
    let config = dir.join("registry.yml");
    fs::write(
        &config,
        format!(
            "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {}\n\
             http:\n  addr: {addr}\n\
             auth:\n  htpasswd:\n    realm: Registry\n    path: {}\n",
            dir.join("data").display(),
            htpasswd.display()
        ),
    )
    .unwrap();
    DockerRegistry::start_with_config(&config, &addr)
}

/// The HTTP status of `GET /v2/` on `registry` with Basic credentials.
fn status_with(registry: &DockerRegistry, name: &str, password: &str) -> String {
    let out = Command::new(require_tool("curl", "curl"))
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-u"])
        .arg(format!("{name}:{password}"))
        .arg(format!("{}/v2/", registry.base()))
        .output()
        .expect("run curl");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn docker_registry_accepts_regctl_users_and_rejects_apr1() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("auth/htpasswd");
    add(&file, "alice", "pa:ss word", "4");
    add(&file, "bob", "hunter2", "10");
    apache_add(&file, &["-m"], "legacy", "old");

    let registry = start_docker_registry(dir.path(), &file);
    assert_eq!(status_with(&registry, "alice", "pa:ss word"), "200");
    assert_eq!(status_with(&registry, "bob", "hunter2"), "200");
    assert_eq!(status_with(&registry, "alice", "wrong"), "401");
    assert_eq!(status_with(&registry, "legacy", "old"), "401");
}

/// Runs `regctl ARGS` on a pseudo-terminal (util-linux `script`), typing `typed` into it.
fn on_terminal(args: &str, typed: &[u8]) -> Output {
    let script = require_tool("script", "bsdutils");
    let mut cmd = Command::new(script);
    cmd.arg("-qec")
        .arg(format!("{} {args}", env!("CARGO_BIN_EXE_regctl")))
        .arg("/dev/null");
    run(cmd, Some(typed))
}

#[test]
fn prompts_twice_on_a_terminal_and_refuses_a_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("htpasswd");
    let file_arg = file.to_str().expect("utf-8 temp path");

    let out = on_terminal(
        &format!("user add alice --cost 4 --htpasswd {file_arg}"),
        b"typed pw\ntyped pw\n",
    );
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{screen}");
    assert!(
        screen.contains("Password: ") && screen.contains("Confirm password: "),
        "{screen}"
    );
    assert!(apache_verifies(&file, "alice", "typed pw"));

    let before = fs::read(&file).unwrap();
    let out = on_terminal(
        &format!("user add bob --cost 4 --htpasswd {file_arg}"),
        b"first\nsecond\n",
    );
    let screen = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{screen}");
    assert!(screen.contains("do not match"), "{screen}");
    assert_eq!(fs::read(&file).unwrap(), before);

    let out = on_terminal(
        &format!("user verify alice --htpasswd {file_arg}"),
        b"typed pw\n",
    );
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{screen}");
    assert!(!screen.contains("Confirm"), "verify asks once: {screen}");
}

#[test]
fn duplicate_users_are_reported_and_passwd_leaves_one_entry() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("htpasswd");
    fs::write(&file, "dup:first\nother:x\ndup:second\n").unwrap();
    let out = user(&file, &["list"], None);
    success_stdout(&out);
    assert!(
        stderr(&out).contains("user dup has more than one entry"),
        "{}",
        stderr(&out)
    );

    success_stdout(&user(
        &file,
        &["passwd", "dup", "--password-stdin", "--cost", "4"],
        Some(b"single\n"),
    ));
    let text = fs::read_to_string(&file).unwrap();
    assert_eq!(text.matches("dup:").count(), 1, "{text}");
    assert!(text.ends_with("other:x\n"), "{text}");
    assert!(apache_verifies(&file, "dup", "single"));
}

/// Removing a user who is not there lists the users who are (not a circular "use user add"),
/// and removing the last one warns that nobody can log in any more, saying how to add one.
#[test]
fn remove_names_existing_users_and_warns_about_the_last_one() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("htpasswd");
    add(&file, "alice", "pw", "4");
    add(&file, "carol", "pw", "4");
    let missing = user(&file, &["remove", "bob"], None);
    assert_eq!(missing.status.code(), Some(1));
    let err = stderr(&missing);
    assert!(err.contains("its users are: alice, carol"), "{err}");
    assert!(!err.contains("user add"), "{err}");

    let first = user(&file, &["remove", "alice"], None);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        !stderr(&first).contains("no users left"),
        "{}",
        stderr(&first)
    );
    let last = user(&file, &["remove", "carol"], None);
    assert!(last.status.success(), "{}", stderr(&last));
    let warning = stderr(&last);
    assert!(
        warning.contains("no users left") && warning.contains("regctl user add NAME --htpasswd"),
        "{warning}"
    );
    let empty = user(&file, &["remove", "carol"], None);
    assert!(
        stderr(&empty).contains("the file has no users"),
        "{}",
        stderr(&empty)
    );
}
