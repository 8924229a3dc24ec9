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

/// A free TCP port on loopback, never handed out twice in this run.
///
/// Ports come from below the kernel's ephemeral range (32768-60999 on Linux): a port the kernel
/// picked for `bind(:0)` and we released could be picked again for another test's listener or
/// for any outgoing connection before the server under test binds it ("Address already in use").
/// Below that range only these tests take ports, and the counter never repeats one; each
/// candidate is still checked by binding it, so a port someone else holds is skipped.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    const FIRST: u32 = 20_000;
    const COUNT: u32 = 12_000;
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    // Start where this process's id points, so two test binaries run back to back (or by hand
    // side by side) do not walk the same sequence.
    let _ = NEXT.compare_exchange(
        u32::MAX,
        std::process::id().wrapping_mul(7919) % COUNT,
        Ordering::Relaxed,
        Ordering::Relaxed,
    );
    for _ in 0..COUNT {
        let port = (FIRST + NEXT.fetch_add(1, Ordering::Relaxed) % COUNT) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!(
        "no free TCP port on 127.0.0.1 between {FIRST} and {}",
        FIRST + COUNT
    )
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
