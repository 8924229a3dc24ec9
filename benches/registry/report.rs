//! Turns the samples into the side-by-side table, the machine limits, the targets with
//! PASS/MISS, and the JSON document.

use comfy_table::{presets, Table};
use serde::Serialize;

use crate::limits::Limits;
use crate::workloads::{Latencies, Measurement, Scale, Workload};

/// One timed run of one workload on one server.
#[derive(Clone, Debug, Serialize)]
pub struct Sample {
    pub round: u32,
    pub value: f64,
    pub seconds: f64,
    pub operations: u64,
    pub bytes: u64,
    pub cpu_seconds: f64,
    pub peak_rss_bytes: u64,
    /// CPU-seconds of the load generator itself (it shares the cores with the server).
    pub client_cpu_seconds: f64,
    pub latencies: Option<Latencies>,
}

impl Sample {
    pub fn new(
        round: u32,
        measurement: &Measurement,
        cpu_seconds: f64,
        peak_rss_bytes: u64,
        client_cpu_seconds: f64,
    ) -> Self {
        Self {
            round,
            value: measurement.value,
            seconds: measurement.seconds,
            operations: measurement.operations,
            bytes: measurement.bytes,
            cpu_seconds,
            peak_rss_bytes,
            client_cpu_seconds,
            latencies: measurement.latencies,
        }
    }
}

/// One server's results for one workload, over the rounds.
#[derive(Clone, Debug, Serialize)]
pub struct SideSummary {
    pub label: String,
    /// Mean over the rounds, in the workload's unit.
    pub value: f64,
    /// Mean CPU-seconds of the server process during the timed part.
    pub cpu_seconds: f64,
    /// CPU time per operation (per MB for transfers): the steadiest number on a noisy machine.
    pub cpu_ms_per_unit: f64,
    /// Highest VmHWM over the rounds.
    pub peak_rss_bytes: u64,
    pub latencies: Option<Latencies>,
    pub samples: Vec<Sample>,
}

impl SideSummary {
    pub fn new(label: &str, samples: Vec<Sample>) -> Self {
        let count = samples.len().max(1) as f64;
        let mean = |f: &dyn Fn(&Sample) -> f64| samples.iter().map(f).sum::<f64>() / count;
        let units = |s: &Sample| {
            if s.bytes > 0 {
                s.bytes as f64 / 1e6
            } else {
                s.operations.max(1) as f64
            }
        };
        let has_latencies = !samples.is_empty() && samples.iter().all(|s| s.latencies.is_some());
        let latencies = has_latencies.then(|| Latencies {
            p50_ms: mean(&|s| s.latencies.map_or(0.0, |l| l.p50_ms)),
            p99_ms: mean(&|s| s.latencies.map_or(0.0, |l| l.p99_ms)),
        });
        Self {
            label: label.to_owned(),
            value: mean(&|s| s.value),
            cpu_seconds: mean(&|s| s.cpu_seconds),
            cpu_ms_per_unit: mean(&|s| s.cpu_seconds * 1e3 / units(s)),
            peak_rss_bytes: samples.iter().map(|s| s.peak_rss_bytes).max().unwrap_or(0),
            latencies,
            samples,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct WorkloadSummary {
    pub name: String,
    pub description: String,
    pub unit: String,
    pub reference: SideSummary,
    pub regctl: SideSummary,
    /// regctl / reference (higher is better for regctl in every unit).
    pub ratio: f64,
}

impl WorkloadSummary {
    pub fn new(
        workload: Workload,
        scale: &Scale,
        reference: SideSummary,
        regctl: SideSummary,
    ) -> Self {
        Self {
            name: workload.name().to_owned(),
            description: workload.describe(scale),
            unit: workload.unit().to_owned(),
            ratio: regctl.value / reference.value,
            reference,
            regctl,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Target {
    pub name: String,
    pub wanted: String,
    pub achieved: String,
    /// None when a workload it needs was not run.
    pub pass: Option<bool>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub mode: String,
    pub self_test: bool,
    pub rounds: u32,
    pub scale: Scale,
    pub limits: Limits,
    pub workloads: Vec<WorkloadSummary>,
    pub targets: Vec<Target>,
}

impl Report {
    pub fn new(
        mode: &str,
        self_test: bool,
        rounds: u32,
        scale: Scale,
        limits: Limits,
        workloads: Vec<WorkloadSummary>,
    ) -> Self {
        let targets = targets(&limits, &workloads);
        Self {
            mode: mode.to_owned(),
            self_test,
            rounds,
            scale,
            limits,
            workloads,
            targets,
        }
    }

    pub fn print(&self) {
        let (a, b) = self
            .workloads
            .first()
            .map(|w| (w.reference.label.clone(), w.regctl.label.clone()))
            .unwrap_or_else(|| ("reference".to_owned(), "regctl".to_owned()));
        println!(
            "\n## Workloads ({} mode, {} round(s), A B alternating; mean of rounds, peak RSS = max)\n",
            self.mode, self.rounds
        );
        let mut table = markdown_table();
        table.set_header(vec![
            "workload".to_owned(),
            "unit".to_owned(),
            a.clone(),
            b.clone(),
            "ratio".to_owned(),
            format!("{a} p50/p99 ms"),
            format!("{b} p50/p99 ms"),
            format!("{a} RSS MB"),
            format!("{b} RSS MB"),
            format!("{a} CPU-s"),
            format!("{b} CPU-s"),
        ]);
        for w in &self.workloads {
            table.add_row(vec![
                format!("{} ({})", w.name, w.description),
                w.unit.clone(),
                rate(w.reference.value),
                rate(w.regctl.value),
                format!("{:.2}x", w.ratio),
                latency(w.reference.latencies),
                latency(w.regctl.latencies),
                megabytes(w.reference.peak_rss_bytes),
                megabytes(w.regctl.peak_rss_bytes),
                format!("{:.2}", w.reference.cpu_seconds),
                format!("{:.2}", w.regctl.cpu_seconds),
            ]);
        }
        println!("{table}");

        let l = &self.limits;
        println!(
            "\n## Machine limits (storage in {}; measured at the start and before every pull or \
             push round)\n",
            l.storage_dir
        );
        let mut table = markdown_table();
        table.set_header(vec!["limit", "MB/s (mean)", "min - max", "measurements"]);
        let spread = |samples: &[f64]| {
            let min = samples.iter().copied().fold(f64::INFINITY, f64::min);
            let max = samples.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            format!("{} - {}", rate(min), rate(max))
        };
        let samples = &l.samples;
        table.add_row(vec![
            format!(
                "sha256, one core (sha2 crate; CPU {} SHA-NI)",
                if l.sha_ni { "has" } else { "lacks" }
            ),
            rate(l.sha256_mb_s),
            spread(&samples.sha256_mb_s),
            samples.sha256_mb_s.len().to_string(),
        ]);
        table.add_row(vec![
            "disk write, 1 MiB chunks + fsync".to_owned(),
            rate(l.fsync_disk_mb_s),
            spread(&samples.fsync_disk_mb_s),
            samples.fsync_disk_mb_s.len().to_string(),
        ]);
        table.add_row(vec![
            "loopback HTTP, same client".to_owned(),
            rate(l.loopback_mb_s),
            spread(&samples.loopback_mb_s),
            samples.loopback_mb_s.len().to_string(),
        ]);
        println!("{table}");

        println!("\n## Targets (issue 4; measured on the `{b}` column)\n");
        let mut table = markdown_table();
        table.set_header(vec!["target", "wanted", "achieved", "result"]);
        for t in &self.targets {
            let result = match t.pass {
                Some(true) => "PASS",
                Some(false) => "MISS",
                None => "n/a",
            };
            table.add_row(vec![
                t.name.as_str(),
                t.wanted.as_str(),
                t.achieved.as_str(),
                result,
            ]);
        }
        println!("{table}");
    }
}

fn targets(limits: &Limits, workloads: &[WorkloadSummary]) -> Vec<Target> {
    let find = |name: &str| workloads.iter().find(|w| w.name == name);
    let mut targets = Vec::new();
    let push_ceiling = limits.push_ceiling_mb_s();
    for (name, label) in [("push-mono", "monolithic"), ("push-chunked", "chunked")] {
        targets.push(of_limit(
            &format!("big push, {label}"),
            find(name),
            push_ceiling,
            "min(sha256, fsync disk)",
        ));
    }
    targets.push(of_limit(
        "big pull",
        find("pull"),
        limits.loopback_mb_s,
        "loopback",
    ));
    for (name, label, factor) in [
        ("small-blobs", "small blobs", 2.0),
        ("images", "image push", 2.0),
        ("manifest-get", "manifest GET", 10.0),
        ("manifest-head", "manifest HEAD", 10.0),
        ("catalog", "catalog", 3.0),
        ("tags", "tags/list", 3.0),
    ] {
        let wanted = format!(">= {factor}x reference");
        targets.push(match find(name) {
            Some(w) => Target {
                name: label.to_owned(),
                wanted,
                achieved: format!("{:.2}x", w.ratio),
                pass: Some(w.ratio >= factor),
            },
            None => not_run(label, wanted),
        });
    }
    let wanted = ">= 80% of unauthenticated GET".to_owned();
    targets.push(match (find("auth-get-cost10"), find("manifest-get")) {
        (Some(auth), Some(plain)) => {
            let share = auth.regctl.value / plain.regctl.value;
            Target {
                name: "GET with bcrypt cost 10".to_owned(),
                wanted,
                achieved: format!(
                    "{:.0}% (reference: {:.0}%)",
                    share * 100.0,
                    auth.reference.value / plain.reference.value * 100.0
                ),
                pass: Some(share >= 0.8),
            }
        }
        _ => not_run("GET with bcrypt cost 10", wanted),
    });
    let peak = |side: fn(&WorkloadSummary) -> &SideSummary| {
        workloads
            .iter()
            .map(|w| side(w).peak_rss_bytes)
            .max()
            .unwrap_or(0)
    };
    let (reference_peak, regctl_peak) = (peak(|w| &w.reference), peak(|w| &w.regctl));
    targets.push(Target {
        name: "peak RSS over all workloads".to_owned(),
        wanted: "below the reference's".to_owned(),
        achieved: format!(
            "{} MB vs {} MB",
            megabytes(regctl_peak),
            megabytes(reference_peak)
        ),
        pass: (!workloads.is_empty()).then_some(regctl_peak < reference_peak),
    });
    targets
}

fn of_limit(
    name: &str,
    workload: Option<&WorkloadSummary>,
    limit: f64,
    limit_name: &str,
) -> Target {
    let wanted = format!(">= 90% of {limit_name} ({} MB/s)", rate(limit));
    match workload {
        Some(w) => {
            let share = w.regctl.value / limit;
            Target {
                name: name.to_owned(),
                wanted,
                achieved: format!("{:.0}% ({} MB/s)", share * 100.0, rate(w.regctl.value)),
                pass: Some(share >= 0.9),
            }
        }
        None => not_run(name, wanted),
    }
}

fn not_run(name: &str, wanted: String) -> Target {
    Target {
        name: name.to_owned(),
        wanted,
        achieved: "not run".to_owned(),
        pass: None,
    }
}

fn markdown_table() -> Table {
    let mut table = Table::new();
    table.load_preset(presets::ASCII_MARKDOWN);
    table
}

fn rate(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

fn latency(latencies: Option<Latencies>) -> String {
    latencies.map_or_else(
        || "-".to_owned(),
        |l| format!("{:.1} / {:.1}", l.p50_ms, l.p99_ms),
    )
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / 1e6)
}
