//! A private Docker engine for tests: its own socket, data root and exec root under a temp
//! directory, no iptables, no bridge, the vfs storage driver (so it needs no kernel overlay
//! support and leaves the machine's own engine, if any, alone). Loopback registries
//! (`127.0.0.0/8`) are insecure by default in dockerd, so plain-HTTP `127.0.0.1:PORT` works
//! without a daemon.json; pass one with [`Dockerd::start_with_config`] for anything else.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::process::KillOnDrop;
use super::require_tool;

pub struct Dockerd {
    _dir: tempfile::TempDir,
    socket: PathBuf,
    config_dir: PathBuf,
    log: PathBuf,
    _child: KillOnDrop,
}

impl Dockerd {
    /// Starts dockerd with no daemon.json.
    pub fn start() -> Self {
        Self::start_with_config(None)
    }

    /// Starts dockerd with `daemon_json` as its `--config-file` (when given).
    pub fn start_with_config(daemon_json: Option<&Path>) -> Self {
        let dockerd = require_tool("dockerd", "docker.io");
        require_tool("docker", "docker.io");
        // Unix socket paths are limited to 108 bytes: keep the directory short.
        let dir = tempfile::Builder::new()
            .prefix("dk")
            .tempdir_in("/tmp")
            .expect("dockerd temp dir");
        let socket = dir.path().join("docker.sock");
        let log = dir.path().join("dockerd.log");
        let config_dir = dir.path().join("client");
        std::fs::create_dir_all(&config_dir).unwrap();
        let mut cmd = Command::new(dockerd);
        cmd.arg(format!("--host=unix://{}", socket.display()))
            .arg(format!("--data-root={}", dir.path().join("root").display()))
            .arg(format!("--exec-root={}", dir.path().join("exec").display()))
            .arg(format!(
                "--pidfile={}",
                dir.path().join("docker.pid").display()
            ))
            .args(["--iptables=false", "--ip6tables=false", "--bridge=none"])
            .args(["--storage-driver=vfs", "--log-level=warn"]);
        match daemon_json {
            Some(path) => cmd.arg(format!("--config-file={}", path.display())),
            None => cmd.arg(format!(
                "--config-file={}",
                write_empty_config(dir.path()).display()
            )),
        };
        let log_file = std::fs::File::create(&log).unwrap();
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .expect("start dockerd");
        let deadline = Instant::now() + Duration::from_secs(60);
        let engine = loop {
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "dockerd exited at start ({status}):\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            let probe = Command::new("docker")
                .arg(format!("--host=unix://{}", socket.display()))
                .args(["version", "--format", "{{.Server.Version}}"])
                .env("DOCKER_CONFIG", &config_dir)
                .output()
                .unwrap();
            if probe.status.success() {
                break child;
            }
            assert!(
                Instant::now() < deadline,
                "dockerd never answered on {}:\n{}",
                socket.display(),
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(200));
        };
        Dockerd {
            _dir: dir,
            socket,
            config_dir,
            log,
            _child: KillOnDrop(engine),
        }
    }

    /// A `docker` client command for this engine, with its own client config directory
    /// (`DOCKER_CONFIG`, where `docker login` stores credentials).
    pub fn docker(&self) -> Command {
        let mut cmd = Command::new("docker");
        cmd.arg(format!("--host=unix://{}", self.socket.display()))
            .env("DOCKER_CONFIG", &self.config_dir)
            .env_remove("DOCKER_HOST");
        cmd
    }

    /// Runs `docker ARGS`, returning its output (not asserting success).
    pub fn run(&self, args: &[&str]) -> Output {
        self.docker().args(args).output().expect("run docker")
    }

    /// Runs `docker ARGS` and fails the test with the client's and engine's output unless it
    /// succeeds; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "docker {} failed ({}):\nstdout: {}\nstderr: {}\ndockerd log:\n{}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            self.log()
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Creates a one-layer image `name` from a single file (`docker import`, no network needed).
    pub fn import_image(&self, name: &str, content: &[u8]) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("hello.txt"), content).unwrap();
        let tar = Command::new("tar")
            .arg("-C")
            .arg(dir.path())
            .args(["-cf", "-", "hello.txt"])
            .output()
            .expect("tar");
        assert!(tar.status.success());
        let mut child = self
            .docker()
            .args(["import", "-", name])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(&tar.stdout).unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "docker import failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The socket of the containerd this dockerd started (under its exec root), for `ctr`.
    pub fn containerd_socket(&self) -> PathBuf {
        self._dir.path().join("exec/containerd/containerd.sock")
    }

    /// The client configuration directory (`DOCKER_CONFIG`).
    pub fn config_dir(&self) -> &Path {
        &self.config_dir
    }
}

fn write_empty_config(dir: &Path) -> PathBuf {
    let path = dir.join("daemon.json");
    std::fs::write(&path, "{}\n").unwrap();
    path
}
