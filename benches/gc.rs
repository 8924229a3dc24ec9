//! gc time, regctl vs docker-registry (distribution 2.8), on identical copies of one store.
//!
//! The store is written directly in registry:2's layout: 2,000 blobs, half of them referenced by
//! tagged images and half left behind by images deleted through the API (their `_layers` links
//! still in place, as distribution leaves them). Each round copies the store twice and runs both
//! collectors, alternating which goes first so neither always meets a warm page cache.
//!
//! Run: `cargo bench --bench gc` (optional argument: rounds, default 5).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const REPOSITORIES: usize = 20;
const IMAGES_PER_REPOSITORY: usize = 10;
const LAYERS_PER_IMAGE: usize = 3;
const LAYER_BYTES: usize = 4096;

#[path = "common/store.rs"]
mod store;
use store::Store;

fn blob_count(root: &Path) -> usize {
    let blobs = root.join("docker/registry/v2/blobs/sha256");
    fs::read_dir(blobs)
        .map(|prefixes| {
            prefixes
                .flatten()
                .map(|p| fs::read_dir(p.path()).map_or(0, Iterator::count))
                .sum()
        })
        .unwrap_or(0)
}

fn copy(from: &Path, to: &Path) {
    let status = Command::new("cp").arg("-a").arg(from).arg(to).status();
    assert!(status.is_ok_and(|s| s.success()), "cp -a failed");
}

fn time(mut cmd: Command) -> Duration {
    let start = Instant::now();
    let status = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("spawn");
    let elapsed = start.elapsed();
    assert!(status.success(), "{cmd:?} failed");
    elapsed
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this binary without it, and a
    // benchmark has no place in the test run.
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("gc benchmark: not run outside `cargo bench --bench gc`");
        return;
    }
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(5)
        .max(1);
    let work = tempfile::tempdir().expect("tempdir");
    // GC_BENCH_TEMPLATE=DIR keeps a copy of the store for profiling.
    let template = work.path().join("template");
    let store = Store {
        v2: template.join("docker/registry/v2"),
        layers_per_image: LAYERS_PER_IMAGE,
        layer_bytes: LAYER_BYTES,
    };
    for r in 0..REPOSITORIES {
        for n in 0..IMAGES_PER_REPOSITORY {
            store.image(&format!("team{}/app{r}", r % 4), n, true);
            store.image(&format!("team{}/app{r}", r % 4), n + 1000, false);
        }
    }
    let total = blob_count(&template);
    if let Some(keep) = std::env::var_os("GC_BENCH_TEMPLATE") {
        copy(&template, Path::new(&keep));
    }
    println!("store: {total} blobs, {} referenced", total / 2);

    let registry = which("docker-registry");
    let regctl = env!("CARGO_BIN_EXE_regctl");
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for round in 0..rounds {
        let a = work.path().join(format!("regctl-{round}"));
        let b = work.path().join(format!("distribution-{round}"));
        copy(&template, &a);
        copy(&template, &b);
        let config = work.path().join(format!("config-{round}.yml"));
        fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:0\n",
                b.display()
            ),
        )
        .expect("config");
        let run_ours = || {
            let mut cmd = Command::new(regctl);
            cmd.args(["gc", "-q", "--grace", "0s", "--root"]).arg(&a);
            time(cmd)
        };
        let run_theirs = || {
            let mut cmd = Command::new(&registry);
            cmd.arg("garbage-collect").arg(&config);
            time(cmd)
        };
        if round % 2 == 0 {
            ours.push(run_ours());
            theirs.push(run_theirs());
        } else {
            theirs.push(run_theirs());
            ours.push(run_ours());
        }
        let (left_a, left_b) = (blob_count(&a), blob_count(&b));
        assert_eq!(left_a, total / 2, "regctl gc left {left_a} blobs");
        assert_eq!(left_b, total / 2, "docker-registry left {left_b} blobs");
        let _ = fs::remove_dir_all(&a);
        let _ = fs::remove_dir_all(&b);
    }
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    println!("| collector | rounds | median | min | max |");
    println!("|---|---|---|---|---|");
    for (name, times) in [
        ("regctl gc", &ours),
        ("docker-registry garbage-collect (2.8)", &theirs),
    ] {
        let set: BTreeSet<Duration> = times.iter().copied().collect();
        println!(
            "| {name} | {rounds} | {} | {} | {} |",
            ms(median(times.clone())),
            ms(*set.first().expect("a round")),
            ms(*set.last().expect("a round"))
        );
    }
}

fn which(binary: &str) -> PathBuf {
    std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .map(|dir| Path::new(dir).join(binary))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{binary} not found: install the Debian package docker-registry"))
}
