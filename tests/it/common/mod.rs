//! Shared helpers: run the binary, find third-party tools, pick ports.
#![allow(dead_code)]

pub mod docker_registry;
pub mod dockerd;
pub mod oci;
pub mod pki;
pub mod process;
pub mod registry;
pub mod s3;
pub mod server;

use std::path::PathBuf;
use std::process::Command;

/// A `Command` for the regctl binary under test, isolated from the caller's environment.
pub fn regctl() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_regctl"));
    cmd.env_remove("REGCTL_CONFIG");
    for (key, _) in std::env::vars() {
        if key.starts_with("REGISTRY_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// The path of a third-party tool the test needs; fails naming the Debian package to install.
pub fn require_tool(binary: &str, package: &str) -> PathBuf {
    for dir in std::env::var("PATH").unwrap_or_default().split(':') {
        let candidate = PathBuf::from(dir).join(binary);
        if candidate.is_file() {
            return candidate;
        }
    }
    for dir in ["/usr/bin", "/usr/sbin", "/bin", "/sbin"] {
        let candidate = PathBuf::from(dir).join(binary);
        if candidate.is_file() {
            return candidate;
        }
    }
    panic!(
        "this test needs `{binary}`: install the Debian package `{package}` \
         (scripts/test installs every test tool)"
    );
}

/// A free TCP port on loopback (the listener is dropped, so a race is possible but rare).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind an ephemeral port")
}

/// stdout of a finished command, asserting success and showing stderr otherwise.
pub fn success_stdout(output: &std::process::Output) -> String {
    assert!(
        output.status.success(),
        "command failed ({}):\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
