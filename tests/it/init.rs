//! `regctl init`: scripted runs whose result is served by Debian's docker-registry and by
//! `regctl serve`, pushed to with skopeo and listed with curl; the real prompts driven through a
//! tmux pseudo-terminal; bad input refused with nothing written; existing homes protected.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::docker_registry::DockerRegistry;
use crate::common::oci::{oci_reference, write_oci_layout};
use crate::common::server::Server;
use crate::common::{free_port, regctl, require_tool, success_stdout};

const PASSWORD: &str = "s3cret pass";

/// `regctl init ARGS` with `stdin` piped in.
fn init(args: &[&str], stdin: &str) -> Output {
    let mut child = regctl()
        .arg("init")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn regctl init");
    let mut input = child.stdin.take().expect("piped stdin");
    // A refusal may come before stdin is read; a closed pipe is then expected.
    let _ = input.write_all(stdin.as_bytes());
    drop(input);
    child.wait_with_output().expect("wait for regctl init")
}

/// A scripted init of `dir` on 127.0.0.1:`port` with user abc.
fn scripted(dir: &Path, port: u16, tls: &str) -> String {
    success_stdout(&init(
        &[
            dir.to_str().unwrap(),
            "--host",
            "127.0.0.1",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--tls",
            tls,
            "--user",
            "abc",
            "--password-stdin",
            "--yes",
        ],
        &format!("{PASSWORD}\n"),
    ))
}

/// `regctl config validate` accepts what init wrote.
fn assert_valid(dir: &Path) {
    let out = regctl()
        .args(["config", "validate", "-c"])
        .arg(dir.join("config.yml"))
        .output()
        .unwrap();
    success_stdout(&out);
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every path under `dir` with its bytes, to prove a refused run changed nothing.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Option<Vec<u8>>)> {
    fn walk(root: &Path, here: &Path, out: &mut Vec<(PathBuf, Option<Vec<u8>>)>) {
        for entry in fs::read_dir(here).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(root).unwrap().to_owned();
            if path.is_dir() {
                out.push((rel, None));
                walk(root, &path, out);
            } else {
                out.push((rel, Some(fs::read(&path).unwrap())));
            }
        }
    }
    let mut out = Vec::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out.sort();
    out
}

/// Pushes a one-layer image as abc with skopeo, checks a wrong password is refused, and lists
/// the repository with curl.
fn push_and_list(tmp: &Path, dir: &Path, port: u16, tls: bool) {
    let skopeo = require_tool("skopeo", "skopeo");
    let curl = require_tool("curl", "curl");
    let layout = tmp.join("layout");
    write_oci_layout(&layout, "v1", 1, 1024);
    let source = oci_reference(&layout, "v1");
    // containers/image reads every *.crt in the cert dir as a CA.
    let cert_dir = tmp.join("skopeo-certs");
    fs::create_dir_all(&cert_dir).unwrap();
    fs::copy(dir.join("certs/ca.crt"), cert_dir.join("ca.crt")).ok();
    let dest = format!("docker://127.0.0.1:{port}/demo/app:v1");
    let copy = |creds: &str| {
        let mut cmd = Command::new(&skopeo);
        cmd.env("HOME", tmp)
            .args(["--insecure-policy", "copy", "--dest-creds", creds]);
        if tls {
            cmd.arg("--dest-cert-dir").arg(&cert_dir);
        } else {
            cmd.arg("--dest-tls-verify=false");
        }
        cmd.args([source.as_str(), dest.as_str()]).output().unwrap()
    };
    let refused = copy("abc:wrong");
    assert!(
        !refused.status.success(),
        "a wrong password must be refused"
    );
    let pushed = copy(&format!("abc:{PASSWORD}"));
    assert!(
        pushed.status.success(),
        "skopeo copy to {dest} failed: {}",
        stderr(&pushed)
    );

    let scheme = if tls { "https" } else { "http" };
    let mut cmd = Command::new(&curl);
    cmd.args(["-sS", "--fail", "-u", &format!("abc:{PASSWORD}")]);
    if tls {
        cmd.arg("--cacert").arg(dir.join("certs/ca.crt"));
    }
    let out = cmd
        .arg(format!("{scheme}://127.0.0.1:{port}/v2/_catalog"))
        .output()
        .unwrap();
    let body = success_stdout(&out);
    let catalog: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        catalog["repositories"],
        serde_json::json!(["demo/app"]),
        "{body}"
    );
}

fn start_docker_registry(dir: &Path, port: u16) -> DockerRegistry {
    DockerRegistry::start_with_config(&dir.join("config.yml"), &format!("127.0.0.1:{port}"))
}

fn assert_next_steps(stdout: &str, dir: &Path, port: u16, ca: bool) {
    let config = dir.join("config.yml");
    assert!(
        stdout.contains(&format!("regctl serve -c {}", config.display())),
        "{stdout}"
    );
    let client_setup = if ca {
        format!(
            "regctl client-setup 127.0.0.1:{port} --ca-file {}",
            dir.join("certs/ca.crt").display()
        )
    } else {
        format!("regctl client-setup 127.0.0.1:{port}\n")
    };
    assert!(stdout.contains(&client_setup), "{stdout}");
    assert!(
        stdout.contains(&format!("docker login 127.0.0.1:{port} -u abc")),
        "{stdout}"
    );
    assert!(stdout.contains("skopeo login"), "{stdout}");
}

#[test]
fn self_signed_home_is_served_by_docker_registry_with_auth_and_tls() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("registry");
    let port = free_port();
    let stdout = scripted(&dir, port, "self-signed");
    assert_next_steps(&stdout, &dir, port, true);
    assert_valid(&dir);
    let _registry = start_docker_registry(&dir, port);
    push_and_list(tmp.path(), &dir, port, true);
    // The images went where the config says: registry:2's layout under DIR/data.
    assert!(dir
        .join("data/docker/registry/v2/repositories/demo/app/_manifests")
        .is_dir());
}

#[test]
fn plain_http_home_is_served_by_docker_registry_with_auth() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("registry");
    let port = free_port();
    let stdout = scripted(&dir, port, "none");
    assert_next_steps(&stdout, &dir, port, false);
    assert_valid(&dir);
    assert!(!dir.join("certs/ca.crt").exists());
    let _registry = start_docker_registry(&dir, port);
    push_and_list(tmp.path(), &dir, port, false);
}

/// `regctl config validate` accepts the home, and `regctl serve` runs it.
fn validate_and_serve(tls: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("registry");
    let port = free_port();
    scripted(&dir, port, tls);
    assert_valid(&dir);
    let config = dir.join("config.yml");
    let server = Server::start_with_args(&["serve", "-c", config.to_str().unwrap()], &[]);
    assert!(
        server.addr.ends_with(&format!(":{port}")),
        "{}",
        server.ready_line
    );
    push_and_list(tmp.path(), &dir, port, tls != "none");
}

#[test]
fn self_signed_home_validates_and_runs_under_regctl_serve() {
    validate_and_serve("self-signed");
}

#[test]
fn plain_http_home_validates_and_runs_under_regctl_serve() {
    validate_and_serve("none");
}

#[test]
fn acme_home_configures_letsencrypt_for_serve() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("registry");
    let d = dir.to_str().unwrap();
    let base = [
        d,
        "--host",
        "registry.example.com",
        "--tls",
        "acme",
        "--no-auth",
        "--yes",
    ];
    let refused = init(&base, "");
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("--email"), "{}", stderr(&refused));
    assert!(!dir.exists());

    let mut args = base.to_vec();
    args.extend(["--email", "ops@example.com"]);
    let out = init(&args, "");
    let stdout = success_stdout(&out);
    // Listening beyond loopback without authentication is allowed, and said loudly.
    assert!(
        stderr(&out).contains("NO AUTHENTICATION"),
        "{}",
        stderr(&out)
    );
    assert!(stdout.contains("obtains the Let's Encrypt certificate at start"));
    let config: serde_yaml::Value =
        serde_yaml::from_str(&fs::read_to_string(dir.join("config.yml")).unwrap()).unwrap();
    assert_eq!(config["http"]["addr"].as_str(), Some("0.0.0.0:443"));
    // http.host only with --public-url: Locations follow the request.
    assert!(config["http"]["host"].is_null());
    let le = &config["http"]["tls"]["letsencrypt"];
    assert_eq!(
        le["cachefile"].as_str(),
        Some(dir.join("certs/letsencrypt.json").to_str().unwrap())
    );
    assert_eq!(le["email"].as_str(), Some("ops@example.com"));
    assert_eq!(le["hosts"][0].as_str(), Some("registry.example.com"));
    assert!(config["http"]["tls"]["certificate"].is_null());
    assert!(config["auth"].is_null());
    assert_valid(&dir);
}

#[test]
fn existing_certificate_files_are_used_where_they_are_and_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let own = tmp.path().join("own");
    let other = tmp.path().join("other");
    for dir in [&own, &other] {
        success_stdout(
            &regctl()
                .args(["cert", "self-signed", "--host", "127.0.0.1", "--dir"])
                .arg(dir)
                .output()
                .unwrap(),
        );
    }
    let dir = tmp.path().join("registry");
    let run = |key: &Path| {
        init(
            &[
                dir.to_str().unwrap(),
                "--host",
                "127.0.0.1",
                "--tls",
                "files",
                "--tls-cert",
                own.join("server.crt").to_str().unwrap(),
                "--tls-key",
                key.to_str().unwrap(),
                "--user",
                "abc",
                "--password-stdin",
                "--yes",
            ],
            &format!("{PASSWORD}\n"),
        )
    };
    let mismatched = run(&other.join("server.key"));
    assert_eq!(mismatched.status.code(), Some(1), "{}", stderr(&mismatched));
    assert!(
        stderr(&mismatched).contains("cannot be served"),
        "{}",
        stderr(&mismatched)
    );
    assert!(!dir.exists(), "nothing may be written for a refused key");

    success_stdout(&run(&own.join("server.key")));
    let config: serde_yaml::Value =
        serde_yaml::from_str(&fs::read_to_string(dir.join("config.yml")).unwrap()).unwrap();
    assert_eq!(
        config["http"]["tls"]["certificate"].as_str(),
        own.join("server.crt").to_str()
    );
    assert_eq!(
        config["http"]["tls"]["key"].as_str(),
        own.join("server.key").to_str()
    );
    assert_valid(&dir);
}

#[test]
fn bad_scripted_input_is_refused_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("registry");
    let d = dir.to_str().unwrap();
    let cases: [(&[&str], &str, i32, &str); 6] = [
        (
            &[
                d,
                "--host",
                "127.0.0.1",
                "--addr",
                "127.0.0.1:70000",
                "--no-auth",
                "--yes",
            ],
            "",
            2,
            "the port must be a number from 1 to 65535",
        ),
        (
            &[
                d,
                "--host",
                "127.0.0.1",
                "--addr",
                "127.0.0.1",
                "--no-auth",
                "--yes",
            ],
            "",
            2,
            "the port is missing",
        ),
        (
            &[d, "--host", "bad host", "--no-auth", "--yes"],
            "",
            2,
            "invalid host `bad host`",
        ),
        (
            &[
                d,
                "--host",
                "127.0.0.1",
                "--user",
                "abc",
                "--password-stdin",
                "--yes",
            ],
            "\n",
            1,
            "invalid password: it is empty",
        ),
        (
            &[
                d,
                "--host",
                "127.0.0.1",
                "--user",
                "a:b",
                "--password-stdin",
                "--yes",
            ],
            "pw\n",
            1,
            "invalid user name",
        ),
        // No terminal and no --yes: every unanswered question is named with its flag.
        (
            &[
                d,
                "--host",
                "127.0.0.1",
                "--tls",
                "none",
                "--user",
                "abc",
                "--password-stdin",
            ],
            "pw\n",
            1,
            "--addr IP:PORT, --delete[=BOOL], --storage DIR",
        ),
    ];
    for (args, stdin, code, message) in cases {
        let out = init(args, stdin);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
        assert!(!dir.exists(), "{args:?} left {}", dir.display());
        assert_eq!(
            fs::read_dir(tmp.path()).unwrap().count(),
            0,
            "{args:?} left a staging directory"
        );
    }
}

#[test]
fn existing_config_is_refused_and_force_keeps_ca_users_and_data() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("registry");
    let port = free_port();
    scripted(&dir, port, "self-signed");
    fs::write(dir.join("data/keep-me"), b"images").unwrap();
    let before = snapshot(&dir);

    let again = init(
        &[
            dir.to_str().unwrap(),
            "--host",
            "127.0.0.1",
            "--tls",
            "none",
            "--no-auth",
            "--yes",
        ],
        "",
    );
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("already exists") && stderr(&again).contains("--force"),
        "{}",
        stderr(&again)
    );
    assert_eq!(snapshot(&dir), before, "a refused init must change nothing");

    let old_config = fs::read(dir.join("config.yml")).unwrap();
    let ca = fs::read(dir.join("certs/ca.crt")).unwrap();
    let forced = init(
        &[
            dir.to_str().unwrap(),
            "--host",
            "127.0.0.1",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--tls",
            "self-signed",
            "--user",
            "abc",
            "--password-stdin",
            "--delete",
            "--yes",
            "--force",
        ],
        "new password\n",
    );
    success_stdout(&forced);
    assert_eq!(fs::read(dir.join("certs/ca.crt")).unwrap(), ca, "CA kept");
    assert_eq!(fs::read(dir.join("data/keep-me")).unwrap(), b"images");
    let backups: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("config.yml.bak-"))
        .collect();
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert_eq!(fs::read(&backups[0]).unwrap(), old_config);
    let config = fs::read_to_string(dir.join("config.yml")).unwrap();
    assert!(config.contains("enabled: true"), "{config}");
    let verify = |password: &str| {
        let mut child = regctl()
            .args(["user", "verify", "abc", "--password-stdin", "--htpasswd"])
            .arg(dir.join("auth/htpasswd"))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        child.wait().unwrap().success()
    };
    assert!(verify("new password") && !verify(PASSWORD));
}

#[test]
fn systemd_unit_runs_this_binary_and_passes_systemd_analyze() {
    let analyze = require_tool("systemd-analyze", "systemd");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("registry");
    let out = init(
        &[
            dir.to_str().unwrap(),
            "--host",
            "127.0.0.1",
            "--tls",
            "self-signed",
            "--no-auth",
            "--systemd",
            "--yes",
        ],
        "",
    );
    let stdout = success_stdout(&out);
    let unit_path = dir.join("regctl.service");
    assert!(stdout.contains(&format!(
        "sudo cp {} /etc/systemd/system/",
        unit_path.display()
    )));
    let unit = fs::read_to_string(&unit_path).unwrap();
    let exe = fs::canonicalize(env!("CARGO_BIN_EXE_regctl")).unwrap();
    let exec_start = format!(
        "ExecStart={} serve -c {}",
        exe.display(),
        dir.join("config.yml").display()
    );
    assert!(unit.lines().any(|l| l == exec_start), "{unit}");
    assert!(unit.lines().any(|l| l == "Restart=on-failure"), "{unit}");
    assert!(unit.lines().any(|l| l == "NoNewPrivileges=yes"), "{unit}");
    assert!(
        unit.lines()
            .any(|l| l == format!("ReadWritePaths={}", dir.join("data").display())),
        "{unit}"
    );
    // --man=no: the man page of regctl serve is not installed where the tests run.
    let verified = Command::new(analyze)
        .args(["verify", "--man=no"])
        .arg(&unit_path)
        .output()
        .unwrap();
    assert!(
        verified.status.success() && verified.stderr.is_empty(),
        "systemd-analyze verify: {}",
        stderr(&verified)
    );
}

// ---------------------------------------------------------------------------------------------
// The real prompts, on a pseudo-terminal provided by tmux.

/// A private tmux server (its own socket) running one command; killed when dropped.
struct Tmux {
    socket: PathBuf,
}

impl Tmux {
    fn start(socket: PathBuf, command: &str) -> Self {
        let tmux = require_tool("tmux", "tmux");
        let status = Command::new(tmux)
            .arg("-S")
            .arg(&socket)
            .args([
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                "200",
                "-y",
                "60",
                command,
            ])
            .env_remove("TMUX")
            .status()
            .unwrap();
        assert!(status.success(), "tmux new-session failed");
        Self { socket }
    }

    fn tmux(&self) -> Command {
        let mut cmd = Command::new("tmux");
        cmd.arg("-S").arg(&self.socket);
        cmd
    }

    fn screen(&self) -> String {
        let out = self
            .tmux()
            .args(["capture-pane", "-p", "-J"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen shows `text` `count` times or more; fails after a minute.
    fn wait_for(&self, text: &str, count: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let screen = self.screen();
            if screen.matches(text).count() >= count {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "the screen never showed {text:?}:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn type_line(&self, text: &str) {
        if !text.is_empty() {
            assert!(self
                .tmux()
                .args(["send-keys", "-l", text])
                .status()
                .unwrap()
                .success());
        }
        self.key("Enter");
    }

    fn key(&self, key: &str) {
        assert!(self
            .tmux()
            .args(["send-keys", key])
            .status()
            .unwrap()
            .success());
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").status();
    }
}

#[test]
fn interactive_prompts_reask_invalid_answers_and_write_the_home() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("registry");
    let port = free_port();
    let command = format!(
        "{} init {}; echo regctl-exit=$?; sleep 600",
        env!("CARGO_BIN_EXE_regctl"),
        dir.display()
    );
    let term = Tmux::start(tmp.path().join("tmux.sock"), &command);

    term.wait_for("Public host name or IP", 1);
    term.type_line("not a host");
    term.wait_for("neither a DNS name nor an IP address", 1);
    term.type_line("127.0.0.1");
    term.wait_for("self-signed: a private CA", 1);
    term.key("Enter");
    // The default listen address follows the loopback host.
    term.wait_for("Listen address and port", 1);
    term.wait_for("127.0.0.1:5000", 1);
    term.type_line("127.0.0.1:99999");
    term.wait_for("the port must be a number from 1 to 65535", 1);
    term.type_line(&format!("127.0.0.1:{port}"));
    term.wait_for("htpasswd: a user name and password", 1);
    term.key("Enter");
    term.wait_for("User name", 1);
    term.type_line("abc");
    term.wait_for("Password for abc", 1);
    term.type_line("");
    term.wait_for("invalid password: it is empty", 1);
    term.type_line(PASSWORD);
    term.wait_for("Repeat the password", 1);
    term.type_line(PASSWORD);
    term.wait_for("Allow deleting images", 1);
    term.key("y");
    term.wait_for("Where to store the images", 1);
    term.type_line("");
    term.wait_for("Write the registry to", 1);
    term.key("Enter");
    let screen = term.wait_for("regctl-exit=", 1);
    assert!(screen.contains("regctl-exit=0"), "{screen}");
    assert!(
        screen.contains(&format!(
            "regctl serve -c {}",
            dir.join("config.yml").display()
        )),
        "{screen}"
    );

    let config: serde_yaml::Value =
        serde_yaml::from_str(&fs::read_to_string(dir.join("config.yml")).unwrap()).unwrap();
    assert_eq!(
        config["http"]["addr"].as_str(),
        Some(format!("127.0.0.1:{port}").as_str())
    );
    assert_eq!(config["storage"]["delete"]["enabled"].as_bool(), Some(true));
    assert_eq!(
        config["storage"]["filesystem"]["rootdirectory"].as_str(),
        dir.join("data").to_str()
    );
    assert!(dir.join("data").is_dir());
    assert!(dir.join("certs/ca.crt").is_file() && dir.join("certs/server.key").is_file());
    assert_valid(&dir);
    let mut child = regctl()
        .args(["user", "verify", "abc", "--password-stdin", "--htpasswd"])
        .arg(dir.join("auth/htpasswd"))
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    assert!(
        child.wait().unwrap().success(),
        "the typed password was stored"
    );
}

/// A printed command split into words (init quotes with POSIX single quotes only).
fn shell_words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quoted = false;
    for c in command.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                word.get_or_insert_with(String::new);
            }
            ' ' if !quoted => {
                if let Some(w) = word.take() {
                    words.push(w);
                }
            }
            _ => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

/// The commands of init's "next steps" (stdout lines indented by two spaces).
fn printed_commands(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("  "))
        .map(str::to_owned)
        .collect()
}

/// Runs every printed next step as printed, with only these substitutions: the password goes to
/// `--password-stdin` (or `-u USER:PASSWORD` for curl), `sudo` is dropped and client-setup writes
/// under a scratch `--root`, `regctl serve` runs in the background, and docker talks to the
/// private `engine` (skipped when `None`: docker trusts a private CA only from /etc/docker).
fn run_next_steps(
    stdout: &str,
    tmp: &Path,
    engine: Option<&crate::common::dockerd::Dockerd>,
) -> Vec<Server> {
    let mut servers = Vec::new();
    let auth_file = tmp.join("auth.json");
    let commands = printed_commands(stdout);
    assert!(!commands.is_empty(), "{stdout}");
    for line in &commands {
        for command in line.split(" && ") {
            let mut words = shell_words(command);
            if words[0] == "sudo" {
                words.remove(0);
            }
            let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
            let with_stdin = |mut cmd: Command, input: &str| -> Output {
                let mut child = cmd
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap();
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(input.as_bytes())
                    .unwrap();
                child.wait_with_output().unwrap()
            };
            let out = match (words[0].as_str(), args.first().copied()) {
                ("regctl", Some("serve")) => {
                    servers.push(Server::start_with_args(&args, &[]));
                    continue;
                }
                ("regctl", Some("client-setup")) => {
                    let root = tmp.join("client-root");
                    regctl()
                        .args(&args)
                        .arg("--root")
                        .arg(&root)
                        .output()
                        .unwrap()
                }
                ("curl", _) => {
                    let mut cmd = Command::new(require_tool("curl", "curl"));
                    let mut iter = args.iter();
                    while let Some(arg) = iter.next() {
                        cmd.arg(arg);
                        if *arg == "-u" {
                            let user = iter.next().unwrap();
                            cmd.arg(format!("{user}:{PASSWORD}"));
                        }
                    }
                    cmd.output().unwrap()
                }
                ("skopeo", Some("login")) => {
                    let mut cmd = Command::new(require_tool("skopeo", "skopeo"));
                    cmd.args(&args)
                        .arg("--password-stdin")
                        .env("REGISTRY_AUTH_FILE", &auth_file);
                    with_stdin(cmd, &format!("{PASSWORD}\n"))
                }
                ("docker", _) => {
                    let Some(engine) = engine else { continue };
                    let mut cmd = engine.docker();
                    cmd.args(&args);
                    if args.first() == Some(&"login") {
                        cmd.arg("--password-stdin");
                    }
                    with_stdin(cmd, &format!("{PASSWORD}\n"))
                }
                _ => panic!("init printed a command this test does not know: {line}"),
            };
            assert!(
                out.status.success(),
                "printed step `{line}` failed as printed:\nstdout: {}\nstderr: {}",
                String::from_utf8_lossy(&out.stdout),
                stderr(&out)
            );
        }
    }
    assert!(!servers.is_empty(), "no `regctl serve` step: {stdout}");
    servers
}

/// Item 1: `--addr 127.0.0.1:PORT` without `--host` names 127.0.0.1 (not the LAN address), writes
/// no `http.host`, and every printed step — serve, curl, docker login, docker push to
/// 127.0.0.1:PORT with the real engine, skopeo login — works as printed.
/// (The push also relies on serve building upload Locations from the request when http.host is
/// unset: the api side of issue 11.)
#[test]
fn loopback_home_without_host_has_no_http_host_and_every_printed_step_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("registry");
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let out = init(
        &[
            dir.to_str().unwrap(),
            "--addr",
            &addr,
            "--tls",
            "none",
            "--user",
            "abc",
            "--password-stdin",
            "--yes",
        ],
        &format!("{PASSWORD}\n"),
    );
    let stdout = success_stdout(&out);
    let config: serde_yaml::Value =
        serde_yaml::from_str(&fs::read_to_string(dir.join("config.yml")).unwrap()).unwrap();
    assert!(config["http"]["host"].is_null(), "{config:?}");
    assert!(
        stdout.contains(&format!("docker login {addr} -u abc")),
        "{stdout}"
    );
    assert_valid(&dir);

    let engine = crate::common::dockerd::Dockerd::start();
    engine.import_image("alpine", b"hello from the quick start\n");
    let _servers = run_next_steps(&stdout, tmp.path(), Some(&engine));
    engine.ok(&["rmi", &format!("{addr}/alpine")]);
    engine.ok(&["pull", &format!("{addr}/alpine")]);
}

/// Item 1: `--public-url` is the one way to get `http.host`, and it is checked.
#[test]
fn public_url_writes_http_host_and_is_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("registry");
    let d = dir.to_str().unwrap();
    let base = [
        d,
        "--host",
        "registry.example.com",
        "--tls",
        "self-signed",
        "--no-auth",
        "--yes",
    ];
    let mut bad = base.to_vec();
    bad.extend(["--public-url", "http://registry.example.com"]);
    let refused = init(&bad, "");
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("https://"),
        "{}",
        stderr(&refused)
    );
    assert!(!dir.exists());
    let mut good = base.to_vec();
    good.extend(["--public-url", "https://registry.example.com"]);
    success_stdout(&init(&good, ""));
    let config: serde_yaml::Value =
        serde_yaml::from_str(&fs::read_to_string(dir.join("config.yml")).unwrap()).unwrap();
    assert_eq!(
        config["http"]["host"].as_str(),
        Some("https://registry.example.com")
    );
}

/// Item 2: with a private CA, the printed serve, client-setup, curl and skopeo login
/// (`--cert-dir` holding only ca.crt) run as printed.
#[test]
fn self_signed_printed_steps_run_as_printed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("registry");
    let port = free_port();
    let stdout = scripted(&dir, port, "self-signed");
    let ca_dir = dir.join("certs/client");
    assert!(
        stdout.contains(&format!("--cert-dir {}", ca_dir.display())),
        "{stdout}"
    );
    let names: Vec<_> = fs::read_dir(&ca_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["ca.crt"]);
    let _servers = run_next_steps(&stdout, tmp.path(), None);
}

/// Item 3: refusals that say what to do, at once.
#[test]
fn refusals_say_what_to_do_given_the_flags() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("h");
    let d = dir.to_str().unwrap();
    // --yes given, password missing: the message must not suggest --yes.
    let out = init(&[d, "--yes"], "");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("--password-stdin") && err.contains("--no-auth"),
        "{err}"
    );
    assert!(!err.contains("or --yes"), "{err}");
    // ACME for names Let's Encrypt can never validate.
    for host in ["127.0.0.1", "localhost", "registry.lan", "nas.local"] {
        let out = init(
            &[
                d,
                "--host",
                host,
                "--tls",
                "acme",
                "--email",
                "ops@example.com",
                "--no-auth",
                "--yes",
            ],
            "",
        );
        assert_eq!(out.status.code(), Some(1), "{host}");
        assert!(
            stderr(&out).contains("Let's Encrypt cannot issue"),
            "{host}: {}",
            stderr(&out)
        );
        assert!(!dir.exists());
    }
}

/// Item 3: a wrong key for `--tls files` is reported right after the TLS question, before the
/// listen address is asked.
#[test]
fn wrong_tls_key_is_refused_before_the_next_question() {
    let tmp = tempfile::tempdir().unwrap();
    let ca = crate::common::pki::TestCa::new("test CA");
    let (cert, _) = ca.issue(&["127.0.0.1"]);
    let (_, other_key) = ca.issue(&["127.0.0.1"]);
    let a = (tmp.path().join("a.crt"), ());
    let b = ((), tmp.path().join("b.key"));
    fs::write(&a.0, cert).unwrap();
    fs::write(&b.1, other_key).unwrap();
    let command = format!(
        "{} init {} --host 127.0.0.1 --tls files --tls-cert {} --tls-key {}; echo regctl-exit=$?; sleep 600",
        env!("CARGO_BIN_EXE_regctl"),
        tmp.path().join("registry").display(),
        a.0.display(),
        b.1.display(),
    );
    let term = Tmux::start(tmp.path().join("tmux.sock"), &command);
    let screen = term.wait_for("regctl-exit=", 1);
    assert!(screen.contains("regctl-exit=1"), "{screen}");
    assert!(!screen.contains("Listen address"), "{screen}");
}

/// README's quick start on the registry machine: a home for a LAN address with a private CA,
/// then from the same machine client-setup for 127.0.0.1 (the certificate covers loopback),
/// docker login and push to 127.0.0.1:PORT with the real engine, curl with the CA, and skopeo
/// login with `--cert-dir certs/client`. (The test listens on 127.0.0.1 and a free port, and
/// client-setup writes under a scratch --root instead of /etc; the engine treats 127.0.0.0/8 as
/// insecure by default, so it needs no certs.d.)
#[test]
fn readme_quick_start_pushes_from_the_registry_machine_to_loopback() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("registry");
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let out = init(
        &[
            dir.to_str().unwrap(),
            "--host",
            "192.168.0.106",
            "--addr",
            &addr,
            "--tls",
            "self-signed",
            "--user",
            "abc",
            "--password-stdin",
            "--yes",
        ],
        &format!("{PASSWORD}\n"),
    );
    success_stdout(&out);
    let config: serde_yaml::Value =
        serde_yaml::from_str(&fs::read_to_string(dir.join("config.yml")).unwrap()).unwrap();
    assert!(config["http"]["host"].is_null(), "{config:?}");
    let _server = Server::start_with_args(
        &["serve", "-c", dir.join("config.yml").to_str().unwrap()],
        &[],
    );
    let ca = dir.join("certs/ca.crt");
    let setup = regctl()
        .args([
            "client-setup",
            &addr,
            "--ca-file",
            ca.to_str().unwrap(),
            "--root",
        ])
        .arg(tmp.path().join("client-root"))
        .output()
        .unwrap();
    assert!(setup.status.success(), "{}", stderr(&setup));
    let engine = crate::common::dockerd::Dockerd::start();
    engine.import_image("alpine", b"quick start\n");
    let mut login = engine.docker();
    login
        .args(["login", &addr, "-u", "abc", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = login.spawn().unwrap();
    writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    let login = child.wait_with_output().unwrap();
    assert!(login.status.success(), "{}", stderr(&login));
    engine.ok(&["tag", "alpine", &format!("{addr}/alpine")]);
    engine.ok(&["push", &format!("{addr}/alpine")]);
    let curl = Command::new(require_tool("curl", "curl"))
        .args(["-sS", "--fail", "--cacert", ca.to_str().unwrap(), "-u"])
        .arg(format!("abc:{PASSWORD}"))
        .arg(format!("https://{addr}/v2/_catalog"))
        .output()
        .unwrap();
    assert!(success_stdout(&curl).contains("alpine"));
    let mut skopeo = Command::new(require_tool("skopeo", "skopeo"));
    skopeo
        .args(["login", "--cert-dir"])
        .arg(dir.join("certs/client"))
        .args(["-u", "abc", "--password-stdin", &addr])
        .env("REGISTRY_AUTH_FILE", tmp.path().join("auth.json"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = skopeo.spawn().unwrap();
    writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    let login = child.wait_with_output().unwrap();
    assert!(login.status.success(), "{}", stderr(&login));
}
