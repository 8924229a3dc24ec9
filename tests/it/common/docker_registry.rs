//! Debian's `docker-registry` (distribution 2.8) as a peer or reference registry.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::process::wait_for_port_showing_log;

/// A running `docker-registry serve CONFIG` on a loopback port; killed on drop.
pub struct DockerRegistry {
    child: Child,
    /// `127.0.0.1:PORT`, where the config makes it listen.
    pub addr: String,
    /// Its stdout and stderr, shown when it fails.
    log: PathBuf,
    /// Holds the log (and the config written by [`DockerRegistry::start`]).
    scratch: tempfile::TempDir,
}

impl DockerRegistry {
    /// Serves `root` with a minimal config (no auth, no TLS) on an ephemeral port.
    pub fn start(root: &Path, delete_enabled: bool) -> Self {
        let addr = format!("127.0.0.1:{}", super::free_port());
        let scratch = tempfile::tempdir().unwrap();
        let config = scratch.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: {delete_enabled}\nhttp:\n  addr: {addr}\n  secret: regctl-test-secret\n",
                root.display()
            ),
        )
        .unwrap();
        Self::launch(&config, &addr, &[], scratch)
    }

    /// Serves the config file at `config`, which makes it listen on `addr`.
    pub fn start_with_config(config: &Path, addr: &str) -> Self {
        Self::start_with_env(config, addr, &[])
    }

    /// [`DockerRegistry::start_with_config`] with `REGISTRY_*` overrides in `envs`.
    pub fn start_with_env(config: &Path, addr: &str, envs: &[(&str, &str)]) -> Self {
        Self::launch(config, addr, envs, tempfile::tempdir().unwrap())
    }

    fn launch(
        config: &Path,
        addr: &str,
        envs: &[(&str, &str)],
        scratch: tempfile::TempDir,
    ) -> Self {
        let binary = super::require_tool("docker-registry", "docker-registry");
        let log = scratch.path().join("docker-registry.log");
        let log_file = std::fs::File::create(&log).unwrap();
        let config = std::path::absolute(config).expect("absolute config path");
        let mut cmd = Command::new(binary);
        // Relative paths in a config are meant from its own directory.
        if let Some(dir) = config.parent() {
            cmd.current_dir(dir);
        }
        cmd.arg("serve")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file);
        // It reads REGISTRY_* variables as config overrides: only the test's own may apply.
        for (key, _) in std::env::vars() {
            if key.starts_with("REGISTRY_") {
                cmd.env_remove(key);
            }
        }
        // Its s3 driver panics at start (LoadCustomCABundleError) when AWS_CA_BUNDLE is set, as
        // some machines set it for every tool; the tests' S3 server is plain HTTP anyway.
        cmd.env_remove("AWS_CA_BUNDLE");
        for (key, value) in envs {
            cmd.env(key, value);
        }
        let mut child = cmd.spawn().expect("spawn docker-registry");
        wait_for_port_showing_log(addr, &mut child, "docker-registry", Some(&log));
        Self {
            child,
            addr: addr.to_owned(),
            log,
            scratch,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Everything it has printed so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Fails the test, showing the log, if the registry has exited.
    pub fn assert_running(&mut self) {
        if let Some(status) = self.child.try_wait().unwrap() {
            panic!("docker-registry exited ({status}):\n{}", self.log());
        }
    }
}

impl Drop for DockerRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
