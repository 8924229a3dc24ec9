//! This machine's ceilings, measured in the same run as the workloads: single-core sha256, the
//! storage disk's write-with-fsync throughput, and loopback HTTP throughput with the same client.

use std::io::Write as _;
use std::path::Path;
use std::time::Instant;

use anyhow::{ensure, Context, Result};
use bytes::Bytes;
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::api::{drain, Registry};
use crate::content::{random_bytes, seeded};

const MIB: usize = 1 << 20;

#[derive(Clone, Debug, Serialize)]
pub struct Limits {
    /// Means over every measurement in the run (see [`LimitSamples`]).
    pub sha256_mb_s: f64,
    /// Whether /proc/cpuinfo lists `sha_ni` (sha2 uses it when present).
    pub sha_ni: bool,
    pub fsync_disk_mb_s: f64,
    pub loopback_mb_s: f64,
    /// The directory whose disk was measured (the servers' storage lives there too).
    pub storage_dir: String,
    /// Every measurement, in run order, so the spread is visible.
    pub samples: LimitSamples,
}

impl Limits {
    /// The ceiling of a big push: it must both hash and durably write every byte.
    pub fn push_ceiling_mb_s(&self) -> f64 {
        self.sha256_mb_s.min(self.fsync_disk_mb_s)
    }
}

/// This VM's limits swing by half between minutes, so each is measured at the start and again
/// just before every round of the workloads it bounds (loopback before a pull round, sha256 and
/// disk before a push round): the target compares a workload with its limit under the same
/// conditions, as A B A B does for the two servers.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LimitSamples {
    pub sha256_mb_s: Vec<f64>,
    pub fsync_disk_mb_s: Vec<f64>,
    pub loopback_mb_s: Vec<f64>,
}

impl LimitSamples {
    pub async fn measure_all(&mut self, bytes: u64, storage_dir: &Path) -> Result<()> {
        self.measure_push_limits(bytes, storage_dir).await?;
        self.measure_loopback(bytes).await
    }

    pub async fn measure_push_limits(&mut self, bytes: u64, storage_dir: &Path) -> Result<()> {
        self.sha256_mb_s
            .push(tokio::task::spawn_blocking(move || sha256_throughput(bytes)).await?);
        let dir = storage_dir.to_path_buf();
        self.fsync_disk_mb_s
            .push(tokio::task::spawn_blocking(move || fsync_throughput(&dir, bytes)).await??);
        Ok(())
    }

    pub async fn measure_loopback(&mut self, bytes: u64) -> Result<()> {
        self.loopback_mb_s.push(loopback_throughput(bytes).await?);
        Ok(())
    }

    pub fn latest(&self) -> String {
        let last = |v: &[f64]| v.last().copied().unwrap_or(f64::NAN);
        format!(
            "sha256 {:.0} MB/s (SHA-NI: {}), disk+fsync {:.0} MB/s, loopback {:.0} MB/s",
            last(&self.sha256_mb_s),
            cpu_has_sha_ni(),
            last(&self.fsync_disk_mb_s),
            last(&self.loopback_mb_s)
        )
    }

    pub fn summarize(self, storage_dir: &Path) -> Limits {
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
        Limits {
            sha256_mb_s: mean(&self.sha256_mb_s),
            sha_ni: cpu_has_sha_ni(),
            fsync_disk_mb_s: mean(&self.fsync_disk_mb_s),
            loopback_mb_s: mean(&self.loopback_mb_s),
            storage_dir: storage_dir.display().to_string(),
            samples: self,
        }
    }
}

fn sha256_throughput(bytes: u64) -> f64 {
    let buffer = random_bytes(&mut seeded(1), MIB);
    let rounds = bytes / MIB as u64;
    let started = Instant::now();
    let mut hasher = Sha256::new();
    for _ in 0..rounds {
        hasher.update(&buffer);
    }
    std::hint::black_box(hasher.finalize());
    (rounds * MIB as u64) as f64 / 1e6 / started.elapsed().as_secs_f64()
}

/// 1 MiB writes then one fsync, like a blob upload landing on disk.
fn fsync_throughput(dir: &Path, bytes: u64) -> Result<f64> {
    let buffer = random_bytes(&mut seeded(2), MIB);
    let rounds = bytes / MIB as u64;
    let mut file =
        tempfile::tempfile_in(dir).with_context(|| format!("temp file in {}", dir.display()))?;
    let started = Instant::now();
    for _ in 0..rounds {
        file.write_all(&buffer)?;
    }
    file.sync_all()?;
    Ok((rounds * MIB as u64) as f64 / 1e6 / started.elapsed().as_secs_f64())
}

fn cpu_has_sha_ni() -> bool {
    std::fs::read_to_string("/proc/cpuinfo")
        .map(|info| {
            info.lines()
                .filter(|line| line.starts_with("flags"))
                .any(|line| line.split_whitespace().any(|flag| flag == "sha_ni"))
        })
        .unwrap_or(false)
}

/// A trivial server on its own thread and runtime (like a separate process) streams zeros in 1 MiB
/// chunks; the benchmark's own client reads them the way it reads a blob.
async fn loopback_throughput(bytes: u64) -> Result<f64> {
    let chunks = bytes / MIB as u64;
    let total = chunks * MIB as u64;
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::spawn(move || -> Result<()> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async move {
            let zeros = Bytes::from(vec![0u8; MIB]);
            let app = axum::Router::new().route(
                "/zeros",
                axum::routing::get(move || {
                    let zeros = zeros.clone();
                    async move {
                        let body = futures_util::stream::iter(
                            (0..chunks).map(move |_| Ok::<Bytes, std::io::Error>(zeros.clone())),
                        );
                        (
                            [(axum::http::header::CONTENT_LENGTH, total.to_string())],
                            axum::body::Body::from_stream(body),
                        )
                    }
                }),
            );
            let listener = tokio::net::TcpListener::from_std(listener)?;
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await?;
            Ok(())
        })
    });
    let measured = async {
        let client = Registry::new(&format!("http://{addr}"), None)?;
        let started = Instant::now();
        let response = client
            .client()
            .get(format!("http://{addr}/zeros"))
            .send()
            .await?;
        let received = drain(response.error_for_status()?).await?;
        let elapsed = started.elapsed();
        ensure!(
            received == total,
            "loopback: received {received} of {total} bytes"
        );
        Ok::<f64, anyhow::Error>(received as f64 / 1e6 / elapsed.as_secs_f64())
    }
    .await;
    let _ = stop.send(());
    let served = tokio::task::spawn_blocking(move || server.join())
        .await?
        .map_err(|_| anyhow::anyhow!("the loopback server thread panicked"))?;
    let rate = measured?;
    served?;
    Ok(rate)
}
