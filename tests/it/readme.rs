//! README's quick start, extracted from README.md and run by bash as printed, with only what a
//! test must change: a free port instead of 5000 and `--addr 127.0.0.1:PORT` for init, no
//! `sudo`, client-setup writing under a scratch `--root` instead of /etc, no `docker pull`
//! (offline: the private engine already holds an `alpine` image), docker talking to a private
//! dockerd, and a wait for `regctl serve` to answer before the first client command.

use std::path::Path;
use std::process::Command;

use crate::common::dockerd::Dockerd;
use crate::common::{free_port, require_tool};

/// The first ```sh block after the "## Quick start" heading.
fn quick_start_block(readme: &str) -> String {
    let start = readme
        .find("## Quick start")
        .expect("README has a Quick start section");
    let rest = &readme[start..];
    let open = rest.find("```sh\n").expect("a sh block") + "```sh\n".len();
    let close = rest[open..].find("```").expect("the block ends");
    rest[open..open + close].to_owned()
}

#[test]
fn quick_start_runs_as_printed() {
    require_tool("curl", "curl");
    require_tool("skopeo", "skopeo");
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let block = quick_start_block(&readme);
    assert!(
        block.contains("docker push 127.0.0.1:5000/"),
        "the quick start must push to 127.0.0.1:5000 from the registry machine:\n{block}"
    );
    let port = free_port().to_string();
    let mut script = block
        .replace("5000", &port)
        .replace("sudo ", "")
        .replace("docker pull alpine && ", "")
        .replace(
            "--password-stdin --yes",
            &format!("--password-stdin --yes --addr 127.0.0.1:{port}"),
        )
        .replace(
            "--ca-file ./registry/certs/ca.crt\n",
            "--ca-file ./registry/certs/ca.crt --root ./client-root\n",
        );
    let serve_line = script
        .lines()
        .find(|l| l.starts_with("regctl serve"))
        .expect("a regctl serve line")
        .to_owned();
    script = script.replace(
        &serve_line,
        &format!(
            "{serve_line}\nfor i in $(seq 100); do curl -sk -o /dev/null https://127.0.0.1:{port}/v2/ && break; sleep 0.1; done"
        ),
    );
    assert!(script.contains("--root ./client-root"), "{script}");

    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_regctl"), bin.join("regctl")).unwrap();
    let engine = Dockerd::start();
    engine.import_image("alpine", b"README quick start\n");
    // The harness keeps its socket beside the client config directory.
    let socket = engine.config_dir().parent().unwrap().join("docker.sock");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n{script}"
        ))
        .current_dir(tmp.path())
        .env("PATH", path)
        .env("HOME", tmp.path())
        .env("DOCKER_HOST", format!("unix://{}", socket.display()))
        .env("DOCKER_CONFIG", engine.config_dir())
        // Not REGISTRY_AUTH_FILE: serve reads REGISTRY_* as config overrides (auth.file).
        .env_remove("REGISTRY_AUTH_FILE")
        .env("XDG_RUNTIME_DIR", tmp.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the quick start failed:\n{script}\nstdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // curl's catalog, printed after the push, names the pushed repository.
    assert!(stdout.contains("\"alpine\""), "{stdout}");
}

/// The screenshot README shows is committed and is a PNG.
#[test]
fn readme_screenshot_is_a_committed_png() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let start = readme
        .find("](tests/screenshots/")
        .expect("README shows a screenshot")
        + 2;
    let end = start + readme[start..].find(')').unwrap();
    let png = std::fs::read(root.join(&readme[start..end])).unwrap();
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is not a PNG",
        &readme[start..end]
    );
}
