//! Side-by-side benchmark of `regctl serve` and Debian's `docker-registry` (distribution 2.8),
//! through the HTTP API only.
//!
//! ```text
//! cargo bench --bench registry -- [--quick] [--only WORKLOAD,...] [--regctl PATH] [--self-test] [--json FILE]
//! ```
//!
//! `cargo bench` builds `target/release/regctl` (the bench profile is the release profile) and
//! hands its path to this program, so the binary measured is always the current source.
//! Each run of a workload gets a fresh server on an ephemeral loopback port with fresh storage;
//! the two servers alternate (A B A B) so machine noise hits both alike. `--self-test` puts the
//! reference on both sides, which checks every workload end to end without `regctl serve`.
//!
//! Under `cargo test --all-targets` (no `--bench` argument) it does nothing: a benchmark is not a test.

#[path = "registry/api.rs"]
mod api;
#[path = "registry/content.rs"]
mod content;
#[path = "registry/layout.rs"]
mod layout;
#[path = "registry/limits.rs"]
mod limits;
#[path = "registry/report.rs"]
mod report;
#[path = "registry/servers.rs"]
mod servers;
#[path = "registry/webhook.rs"]
mod webhook;
#[path = "registry/workloads.rs"]
mod workloads;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Parser;

use crate::api::Registry;
use crate::layout::SharedTree;
use crate::report::{Report, Sample, SideSummary, WorkloadSummary};
use crate::servers::{Flavor, Htpasswd, Server, Side};
use crate::workloads::{Payloads, Scale, Workload};

/// Benchmark regctl serve against Debian's docker-registry, side by side.
#[derive(Parser, Debug)]
#[command(
    name = "registry",
    bin_name = "cargo bench --bench registry --",
    after_help = "Examples:\n  cargo bench --bench registry                       # full run, about 6 minutes\n  cargo bench --bench registry -- --quick            # scaled down, one round\n  cargo bench --bench registry -- --only catalog,tags --json bench.json\n  cargo bench --bench registry -- --self-test --quick   # reference vs reference"
)]
struct Args {
    /// Scaled-down sizes (128 MiB blob, 200 blobs, 3 s hammers) and one round instead of two.
    #[arg(long)]
    quick: bool,
    /// Run only these workloads (comma-separated or repeated).
    #[arg(long, value_enum, value_delimiter = ',')]
    only: Vec<Workload>,
    /// The regctl binary to measure.
    #[arg(long, default_value = env!("CARGO_BIN_EXE_regctl"))]
    regctl: PathBuf,
    /// The reference registry binary (distribution 2.8).
    #[arg(long, default_value = "/usr/bin/docker-registry")]
    reference: PathBuf,
    /// Run the reference on both sides (checks the benchmark itself, no regctl needed).
    #[arg(long)]
    self_test: bool,
    /// Also write the results as JSON to this file.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Where the servers' storage and the disk measurement go (default: the system temp dir).
    #[arg(long, value_name = "DIR")]
    tmpdir: Option<PathBuf>,
    /// Store images in S3 at this endpoint (e.g. a local moto, http://127.0.0.1:39123) instead of
    /// the filesystem: a fresh bucket per run, the same storage.s3 config on both sides, blob
    /// redirects off (so the registries, not S3, serve the bytes). The listing workloads, which
    /// write their tree on disk, are skipped.
    #[arg(long, value_name = "URL")]
    s3: Option<String>,
    /// Rounds of A B per workload (default: 2, or 1 with --quick).
    #[arg(long)]
    rounds: Option<u32>,
    /// Give both servers a notification endpoint (a receiver in this program): compare a run
    /// with it to one without to see what webhooks cost.
    #[arg(long)]
    webhook: bool,
    /// Like --webhook but to this URL instead of the built-in receiver (e.g. a closed port, to
    /// measure the request path and the queue without deliveries).
    #[arg(long, value_name = "URL")]
    webhook_url: Option<String>,
    /// Give both servers a debug listener with Prometheus metrics (`http.debug.addr`,
    /// `http.debug.prometheus.enabled`): compare with a run without it to see what metrics cost.
    #[arg(long)]
    metrics: bool,
    /// Passed by `cargo bench`; without it (under `cargo test`) the program exits at once.
    #[arg(long, hide = true)]
    bench: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if !args.bench {
        eprintln!("registry benchmark: not run outside `cargo bench --bench registry`");
        return ExitCode::SUCCESS;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: starting the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<()> {
    let reference = Side {
        label: "reference".to_owned(),
        flavor: Flavor::Reference,
        binary: args.reference.clone(),
        webhook: None,
        metrics: args.metrics,
    };
    let candidate = if args.self_test {
        Side {
            label: "reference-B".to_owned(),
            ..reference.clone()
        }
    } else {
        Side {
            label: "regctl".to_owned(),
            flavor: Flavor::Regctl,
            binary: args.regctl.clone(),
            webhook: None,
            metrics: args.metrics,
        }
    };
    reference.check()?;
    candidate.check()?;

    let (scale, mut mode) = if args.quick {
        (Scale::quick(), "quick".to_owned())
    } else {
        (Scale::full(), "full".to_owned())
    };
    if args.s3.is_some() {
        mode.push_str(", storage s3");
    }
    if args.webhook || args.webhook_url.is_some() {
        mode.push_str(", webhook");
    }
    if args.metrics {
        mode.push_str(", metrics");
    }
    let rounds = args.rounds.unwrap_or(if args.quick { 1 } else { 2 });
    if rounds == 0 {
        bail!("--rounds must be at least 1");
    }
    let selected: Vec<Workload> = if args.only.is_empty() {
        Workload::ALL.to_vec()
    } else {
        Workload::ALL
            .into_iter()
            .filter(|w| args.only.contains(w))
            .collect()
    };
    let selected: Vec<Workload> = match &args.s3 {
        None => selected,
        Some(_) => selected
            .into_iter()
            .filter(|w| {
                let on_disk = w.writes_layout();
                if on_disk {
                    eprintln!(
                        "skipping {} with --s3: it writes its tree on disk",
                        w.name()
                    );
                }
                !on_disk
            })
            .collect(),
    };
    let base = args.tmpdir.clone().unwrap_or_else(std::env::temp_dir);
    let run_dir = tempfile::Builder::new()
        .prefix("regctl-bench-")
        .tempdir_in(&base)
        .with_context(|| format!("creating a run directory in {}", base.display()))?;

    eprintln!(
        "measuring machine limits ({} MiB each)...",
        scale.limit_bytes >> 20
    );
    let mut limit_samples = limits::LimitSamples::default();
    limit_samples
        .measure_all(scale.limit_bytes, run_dir.path())
        .await?;
    eprintln!("  {}", limit_samples.latest());
    eprintln!("generating content...");
    let payloads = Payloads::generate(&selected, &scale);

    let receiver = if args.webhook {
        let receiver = webhook::Receiver::start().await?;
        eprintln!("webhook receiver at {}", receiver.url);
        Some(receiver)
    } else {
        None
    };
    let webhook = args
        .webhook_url
        .clone()
        .or_else(|| receiver.as_ref().map(|r| r.url.clone()));
    let (reference, candidate) = (
        Side {
            webhook: webhook.clone(),
            ..reference
        },
        Side {
            webhook,
            ..candidate
        },
    );

    let mut summaries = Vec::new();
    for &workload in &selected {
        let mut samples = [Vec::new(), Vec::new()];
        let mut shared: Option<SharedTree> = None;
        for round in 1..=rounds {
            match workload {
                Workload::Pull => {
                    limit_samples.measure_loopback(scale.limit_bytes).await?;
                    eprintln!("  [{round}/{rounds}] limits: {}", limit_samples.latest());
                }
                Workload::PushMono | Workload::PushChunked => {
                    limit_samples
                        .measure_push_limits(scale.limit_bytes, run_dir.path())
                        .await?;
                    eprintln!("  [{round}/{rounds}] limits: {}", limit_samples.latest());
                }
                _ => {}
            }
            for (index, side) in [&reference, &candidate].into_iter().enumerate() {
                if workload.writes_layout() && shared.is_none() {
                    shared = Some(SharedTree::write(run_dir.path(), |root| {
                        workload.prepare_disk(root, &payloads, &scale)
                    })?);
                }
                let shared_root = shared.as_ref().map(|tree| tree.root.as_path());
                let sample = run_once(
                    side,
                    workload,
                    &payloads,
                    &scale,
                    round,
                    Place {
                        run_dir: run_dir.path(),
                        shared_root,
                        s3: args.s3.as_deref(),
                    },
                )
                .await
                .with_context(|| {
                    format!("{} on {} (round {round})", workload.name(), side.label)
                })?;
                if shared.as_ref().map(SharedTree::unchanged).transpose()? == Some(false) {
                    eprintln!(
                        "    {} changed the shared storage tree; the next run gets a fresh one",
                        side.label
                    );
                    shared = None;
                }
                eprintln!(
                    "  [{round}/{rounds}] {:<16} {:<12} {:>10.2} {:<10} cpu {:>6.2} s  rss {:>6.1} MB",
                    workload.name(),
                    side.label,
                    sample.value,
                    workload.unit(),
                    sample.cpu_seconds,
                    sample.peak_rss_bytes as f64 / 1e6
                );
                samples[index].push(sample);
            }
        }
        if let Some(tree) = shared.take() {
            let removing = std::time::Instant::now();
            drop(tree);
            eprintln!(
                "    removed the shared storage tree in {:.1} s",
                removing.elapsed().as_secs_f64()
            );
        }
        let [reference_samples, candidate_samples] = samples;
        summaries.push(WorkloadSummary::new(
            workload,
            &scale,
            SideSummary::new(&reference.label, reference_samples),
            SideSummary::new(&candidate.label, candidate_samples),
        ));
    }

    if let Some(receiver) = &receiver {
        eprintln!("webhook receiver got {} POSTs", receiver.posts());
    }
    let limits = limit_samples.summarize(run_dir.path());
    let report = Report::new(&mode, args.self_test, rounds, scale, limits, summaries);
    report.print();
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, json + "\n").with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// Where one run's server keeps its files and images.
struct Place<'a> {
    /// The run directory, holding each run's work directory.
    run_dir: &'a Path,
    /// The shared, read-only tree of a listing workload.
    shared_root: Option<&'a Path>,
    /// `--s3`: the S3 endpoint instead of the filesystem.
    s3: Option<&'a str>,
}

/// One workload on one fresh server: start it on fresh storage (or on the shared, read-only tree
/// of a listing workload), set up, then time the workload while reading the server's CPU time and
/// peak RSS around it.
async fn run_once(
    side: &Side,
    workload: Workload,
    payloads: &Payloads,
    scale: &Scale,
    round: u32,
    place: Place<'_>,
) -> Result<Sample> {
    let workdir = tempfile::tempdir_in(place.run_dir)?;
    let root = match place.shared_root {
        Some(root) => root.to_path_buf(),
        None => {
            let root = workdir.path().join("data");
            std::fs::create_dir(&root)?;
            root
        }
    };
    let storage = match place.s3 {
        Some(endpoint) => servers::Storage::S3 {
            endpoint: endpoint.to_owned(),
            bucket: servers::create_bucket(endpoint).await?,
        },
        None => servers::Storage::Filesystem(root),
    };
    let auth = workload
        .bcrypt_cost()
        .map(|cost| Htpasswd::write(workdir.path().join("htpasswd"), cost, workload.users()))
        .transpose()?;
    let auth = match auth {
        Some(auth) if workload.policy() => {
            let names: Vec<String> = auth.users.iter().map(|(u, _)| u.clone()).collect();
            Some(auth.with_policy(
                workdir.path().join("access.yml"),
                &workloads::policy_yaml(&names),
            )?)
        }
        other => other,
    };
    let server = Server::start(side, workdir.path(), &storage, auth.as_ref()).await?;
    if auth.is_some() {
        // Otherwise an auth workload would silently measure an open server.
        let anonymous = Registry::new(&server.base, None)?.ping().await?;
        if anonymous != reqwest::StatusCode::UNAUTHORIZED {
            bail!("with REGISTRY_AUTH=htpasswd, GET /v2/ without credentials answered {anonymous}, not 401");
        }
    }
    let credentials = auth
        .as_ref()
        .map(|a| (a.user.as_str(), a.password.as_str()));
    let registry = Registry::new(&server.base, credentials)?;
    workload.setup(&registry, payloads).await.context("setup")?;
    let users: Vec<Registry> = match &auth {
        Some(auth) if auth.users.len() > 1 => auth
            .users
            .iter()
            .map(|(user, password)| Registry::new(&server.base, Some((user, password))))
            .collect::<Result<_>>()?,
        _ => Vec::new(),
    };
    // Each user logs in once before the clock starts, as docker clients do with `docker login`.
    for user in &users {
        user.ping().await?;
    }

    server.reset_peak_rss()?;
    let before = server.usage()?;
    let client_before = servers::own_usage()?;
    let measured = tokio::time::timeout(
        scale.deadline,
        workload.run(&registry, &users, payloads, scale),
    )
    .await;
    let after = server.usage()?;
    let client_after = servers::own_usage()?;
    let measurement = match measured {
        Ok(Ok(measurement)) => measurement,
        Ok(Err(err)) => return Err(err.context(format!("server log: {}", server.log_tail()))),
        Err(_) => bail!("did not finish within {:?}", scale.deadline),
    };
    Ok(Sample::new(
        round,
        &measurement,
        after.cpu_seconds - before.cpu_seconds,
        after.peak_rss_bytes,
        client_after.cpu_seconds - client_before.cpu_seconds,
    ))
}
