//! Starts the two servers under test on ephemeral loopback ports with fresh storage, and reads
//! their CPU time and peak RSS from /proc.
//!
//! - reference: Debian's `docker-registry serve config.yml`, tuned to its best (log level error,
//!   access log off, in-memory blob-descriptor cache), on a port picked just before it starts;
//! - regctl: `regctl serve --addr 127.0.0.1:0 --root DIR`; its address comes from the ready line
//!   `... listening on http://ADDR ...` on stdout.
//!
//! Both get the same settings through the same `REGISTRY_*` variables where the reference reads
//! them from its environment too (auth, delete, log level).

use std::fs;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};

use crate::api::Registry;

const START_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    Reference,
    Regctl,
}

/// One side of the comparison.
#[derive(Clone, Debug)]
pub struct Side {
    pub label: String,
    pub flavor: Flavor,
    pub binary: PathBuf,
    /// `--webhook`: the URL of the notification endpoint the server gets.
    pub webhook: Option<String>,
    /// `--metrics`: a debug listener with Prometheus metrics (`http.debug`), as an operator
    /// who scrapes runs it.
    pub metrics: bool,
}

impl Side {
    /// Fails early, naming what is missing, instead of failing inside the first workload.
    pub fn check(&self) -> Result<()> {
        if !self.binary.is_file() {
            match self.flavor {
                Flavor::Reference => bail!(
                    "{} not found: install the Debian package `docker-registry`",
                    self.binary.display()
                ),
                Flavor::Regctl => bail!(
                    "{} not found: `cargo bench` builds it; or pass --regctl PATH",
                    self.binary.display()
                ),
            }
        }
        if self.flavor == Flavor::Regctl {
            let status = Command::new(&self.binary)
                .args(["serve", "--help"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .with_context(|| format!("running {}", self.binary.display()))?;
            if !status.success() {
                bail!(
                    "{} has no `serve` subcommand yet; use --self-test to run the reference on both sides",
                    self.binary.display()
                );
            }
        }
        Ok(())
    }
}

/// htpasswd auth for a server.
pub struct Htpasswd {
    pub path: PathBuf,
    pub user: String,
    pub password: String,
    /// Every (user, password) in the file, the first being `user`'s.
    pub users: Vec<(String, String)>,
    /// An `auth.htpasswd.policy` file, given to regctl only (the reference has none).
    pub policy: Option<PathBuf>,
}

impl Htpasswd {
    /// `count` bcrypt entries (`$2y$`, as Apache's `htpasswd -B` writes) at `cost`.
    pub fn write(path: PathBuf, cost: u32, count: usize) -> Result<Self> {
        let mut text = String::new();
        let mut users = Vec::with_capacity(count);
        for i in 0..count.max(1) {
            let user = if i == 0 {
                "bench".to_owned()
            } else {
                format!("bench{i}")
            };
            let password = format!("{user}-password");
            let hash = bcrypt::hash_with_result(&password, cost)
                .context("bcrypt")?
                .format_for_version(bcrypt::Version::TwoY);
            text.push_str(&format!("{user}:{hash}\n"));
            users.push((user, password));
        }
        fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        Ok(Self {
            path,
            user: users[0].0.clone(),
            password: users[0].1.clone(),
            users,
            policy: None,
        })
    }

    /// Adds `policy` as the access policy regctl serves with.
    pub fn with_policy(mut self, path: PathBuf, policy: &str) -> Result<Self> {
        fs::write(&path, policy).with_context(|| format!("writing {}", path.display()))?;
        self.policy = Some(path);
        Ok(self)
    }
}

/// A running server; killed when dropped.
pub struct Server {
    child: Child,
    pub base: String,
    log: PathBuf,
}

/// CPU time and peak RSS of a server process so far.
#[derive(Clone, Copy, Debug)]
pub struct Usage {
    pub cpu_seconds: f64,
    pub peak_rss_bytes: u64,
}

/// Where a server keeps its images.
pub enum Storage {
    Filesystem(PathBuf),
    /// A bucket on an S3-compatible endpoint (`--s3`), path-style, plain HTTP, redirects off.
    S3 {
        endpoint: String,
        bucket: String,
    },
}

impl Storage {
    /// The `storage` section of a config.yml (without `delete`, which the callers add).
    fn yaml(&self) -> String {
        match self {
            Self::Filesystem(root) => {
                format!("  filesystem:\n    rootdirectory: {}\n", root.display())
            }
            Self::S3 { endpoint, bucket } => format!(
                "  s3:\n    region: us-east-1\n    regionendpoint: {endpoint}\n    bucket: {bucket}\n    \
                 rootdirectory: /bench\n    accesskey: bench\n    secretkey: bench-secret\n    \
                 forcepathstyle: true\n    secure: false\n  redirect:\n    disable: true\n"
            ),
        }
    }
}

/// Makes a fresh bucket on an S3-compatible endpoint that takes unsigned bucket creation (moto).
pub async fn create_bucket(endpoint: &str) -> Result<String> {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let bucket = format!(
        "regctl-bench-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let response = reqwest::Client::new()
        .put(format!("{}/{bucket}", endpoint.trim_end_matches('/')))
        .send()
        .await
        .with_context(|| format!("creating bucket {bucket} at {endpoint}"))?;
    if !response.status().is_success() {
        bail!(
            "creating bucket {bucket} at {endpoint}: {}",
            response.status()
        );
    }
    Ok(bucket)
}

impl Server {
    /// Starts `side` on `storage`, with its config and log inside `workdir`.
    pub async fn start(
        side: &Side,
        workdir: &Path,
        storage: &Storage,
        auth: Option<&Htpasswd>,
    ) -> Result<Self> {
        let webhook = side.webhook.as_deref();
        let log = workdir.join("server.log");
        let log_file =
            fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let mut command = Command::new(&side.binary);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("REGISTRY_") {
                command.env_remove(key);
            }
        }
        if let Some(auth) = auth {
            command
                .env("REGISTRY_AUTH", "htpasswd")
                .env("REGISTRY_AUTH_HTPASSWD_REALM", "bench")
                .env("REGISTRY_AUTH_HTPASSWD_PATH", &auth.path);
        }
        // distribution's s3 driver panics at start when AWS_CA_BUNDLE is set (some machines set
        // it for every tool).
        command.env_remove("AWS_CA_BUNDLE");
        command.stdin(Stdio::null()).stderr(log_file.try_clone()?);
        let mut server = match side.flavor {
            Flavor::Reference => {
                let port = free_port()?;
                let config = workdir.join("config.yml");
                let mut text = reference_config(storage, port);
                if let Some(url) = webhook {
                    text.push_str(&format!(
                        "notifications:\n  endpoints:\n    - name: bench\n      url: {url}\n"
                    ));
                }
                if side.metrics {
                    // `http:` is the config's last section: the debug listener goes under it.
                    let debug_port = free_port()?;
                    text = text.replacen(
                        "http:\n",
                        &format!(
                            "http:\n  debug:\n    addr: 127.0.0.1:{debug_port}\n    prometheus:\n      enabled: true\n"
                        ),
                        1,
                    );
                }
                fs::write(&config, text)
                    .with_context(|| format!("writing {}", config.display()))?;
                command.arg("serve").arg(&config).stdout(log_file);
                let child = command
                    .spawn()
                    .with_context(|| format!("starting {}", side.binary.display()))?;
                Self {
                    child,
                    base: format!("http://127.0.0.1:{port}"),
                    log,
                }
            }
            Flavor::Regctl => {
                if let Some(policy) = auth.and_then(|a| a.policy.as_ref()) {
                    command.env("REGISTRY_AUTH_HTPASSWD_POLICY", policy);
                }
                command.args(["serve", "--addr", "127.0.0.1:0"]);
                match storage {
                    Storage::Filesystem(root) => {
                        command.arg("--root").arg(root);
                    }
                    Storage::S3 { .. } => {
                        let config = workdir.join("config.yml");
                        fs::write(
                            &config,
                            format!("version: 0.1\nstorage:\n{}", storage.yaml()),
                        )
                        .with_context(|| format!("writing {}", config.display()))?;
                        command.arg("-c").arg(config);
                    }
                }
                if let Some(url) = webhook {
                    command
                        .env("REGISTRY_NOTIFICATIONS_ENDPOINTS_0_NAME", "bench")
                        .env("REGISTRY_NOTIFICATIONS_ENDPOINTS_0_URL", url)
                        .env(
                            "REGISTRY_NOTIFICATIONS_QUEUE_DIRECTORY",
                            workdir.join("notifications"),
                        );
                }
                if side.metrics {
                    command
                        .env(
                            "REGISTRY_HTTP_DEBUG_ADDR",
                            format!("127.0.0.1:{}", free_port()?),
                        )
                        .env("REGISTRY_HTTP_DEBUG_PROMETHEUS_ENABLED", "true");
                }
                command
                    .env("REGISTRY_STORAGE_DELETE_ENABLED", "true")
                    .env("REGISTRY_LOG_LEVEL", "error")
                    .env("REGISTRY_LOG_ACCESSLOG_DISABLED", "true")
                    .stdout(Stdio::piped());
                let mut child = command
                    .spawn()
                    .with_context(|| format!("starting {}", side.binary.display()))?;
                let stdout = child
                    .stdout
                    .take()
                    .ok_or_else(|| anyhow!("no stdout pipe"))?;
                let ready = spawn_ready_line_reader(stdout);
                let mut server = Self {
                    child,
                    base: String::new(),
                    log,
                };
                let line = match tokio::time::timeout(START_TIMEOUT, ready).await {
                    Ok(Ok(line)) => line,
                    _ => bail!(
                        "{} did not print its `listening on` line: {}",
                        side.label,
                        server.log_tail()
                    ),
                };
                server.base = base_from_ready_line(&line)?;
                server
            }
        };
        server.wait_until_serving(&side.label).await?;
        Ok(server)
    }

    async fn wait_until_serving(&mut self, label: &str) -> Result<()> {
        let probe = Registry::new(&self.base, None)?;
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("{label} exited at start ({status}): {}", self.log_tail());
            }
            if probe.ping().await.is_ok() {
                return Ok(());
            }
            if started.elapsed() > START_TIMEOUT {
                bail!(
                    "{label} did not answer on {} within {START_TIMEOUT:?}: {}",
                    self.base,
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The last lines the server logged, for error messages.
    pub fn log_tail(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(5)..].join(" | ");
        if tail.is_empty() {
            "(no log output)".to_owned()
        } else {
            tail
        }
    }

    /// Resets the peak-RSS mark to the current RSS, so setup does not count against the workload.
    pub fn reset_peak_rss(&self) -> Result<()> {
        let path = format!("/proc/{}/clear_refs", self.child.id());
        fs::write(&path, "5").with_context(|| format!("writing {path}"))
    }

    pub fn usage(&self) -> Result<Usage> {
        read_usage(&format!("/proc/{}", self.child.id()))
    }
}

/// The benchmark's own usage: the load generator shares the machine's cores with the server.
pub fn own_usage() -> Result<Usage> {
    read_usage("/proc/self")
}

fn read_usage(proc_dir: &str) -> Result<Usage> {
    let status = fs::read_to_string(format!("{proc_dir}/status"))?;
    let peak_kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .ok_or_else(|| anyhow!("no VmHWM in {proc_dir}/status"))?;
    let stat = fs::read_to_string(format!("{proc_dir}/stat"))?;
    // Fields after the parenthesised command name start at field 3 (state); utime and stime are
    // fields 14 and 15, in clock ticks.
    let after_name = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or_else(|| anyhow!("malformed {proc_dir}/stat"))?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |index: usize| -> Result<u64> {
        fields
            .get(index)
            .and_then(|f| f.parse().ok())
            .ok_or_else(|| anyhow!("malformed {proc_dir}/stat"))
    };
    let cpu_ticks = ticks(11)? + ticks(12)?;
    Ok(Usage {
        cpu_seconds: cpu_ticks as f64 / clock_ticks_per_second(),
        peak_rss_bytes: peak_kib * 1024,
    })
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn reference_config(storage: &Storage, port: u16) -> String {
    format!(
        "version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
{storage}  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:{port}
  secret: regctl-bench-not-a-secret
",
        storage = storage.yaml()
    )
}

/// Forwards the first `listening on` line, then keeps draining stdout so the server never blocks
/// on a full pipe.
fn spawn_ready_line_reader(
    stdout: std::process::ChildStdout,
) -> tokio::sync::oneshot::Receiver<String> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if line.contains("listening on ") {
                if let Some(tx) = tx.take() {
                    let _ = tx.send(line);
                }
            }
        }
    });
    rx
}

fn base_from_ready_line(line: &str) -> Result<String> {
    let url = line
        .split("listening on ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .map(|url| url.trim_end_matches([',', ')']))
        .ok_or_else(|| anyhow!("no URL after `listening on` in {line:?}"))?;
    if !url.starts_with("http://") {
        bail!("the benchmark speaks plain HTTP; regctl announced {url}");
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// A free loopback port; the listener is dropped before the reference binds it (a rare race,
/// reported as a start failure).
fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

fn clock_ticks_per_second() -> f64 {
    static TICKS: OnceLock<f64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(100.0)
    })
}
