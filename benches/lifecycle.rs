//! `regctl du` and `regctl fsck` on a 100,000-blob store, and `fsck --verify-content`
//! throughput against single-core SHA-256 speed (issue 16's targets: du and fsck without
//! content verification in seconds; verification at least 80 % of single-core speed per core
//! used). registry:2 has neither command, so the reference is the hash itself.
//!
//! Both stores are written directly in registry:2's layout (`common/store.rs`): 20,000 tagged
//! images of a config, three layers and a manifest in 500 repositories, and for the hashing
//! run 8 images of three 16 MiB layers (384 MiB, read from the page cache, so it measures
//! hashing, not the disk).
//!
//! Run: `cargo bench --bench lifecycle` (optional argument: rounds, default 3).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};

#[path = "common/store.rs"]
mod store;
use store::Store;

const REPOSITORIES: usize = 500;
const IMAGES_PER_REPOSITORY: usize = 40;

fn run(regctl: &str, args: &[&str], root: &Path) -> (Duration, serde_json::Value) {
    let start = Instant::now();
    let out = Command::new(regctl)
        .args(args)
        .args(["-o", "json", "--root"])
        .arg(root)
        .output()
        .expect("spawn regctl");
    let elapsed = start.elapsed();
    assert!(
        out.status.success() || out.status.code() == Some(1),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (elapsed, report)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Single-thread SHA-256 speed in bytes per second, with the implementation regctl uses (`sha2`,
/// SHA-NI where the CPU has it), best of three passes over 256 MiB.
fn single_core_sha256() -> f64 {
    let buffer = vec![0x5au8; 1 << 20];
    (0..3)
        .map(|_| {
            let start = Instant::now();
            let mut h = Sha256::new();
            for _ in 0..256 {
                h.update(&buffer);
            }
            std::hint::black_box(h.finalize());
            f64::from(256u32 << 20) / start.elapsed().as_secs_f64()
        })
        .fold(0.0, f64::max)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("lifecycle benchmark: not run outside `cargo bench --bench lifecycle`");
        return;
    }
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(3)
        .max(1);
    let regctl = env!("CARGO_BIN_EXE_regctl");
    let work = tempfile::tempdir().expect("tempdir");

    let many = work.path().join("many");
    let store = Store {
        v2: many.join("docker/registry/v2"),
        layers_per_image: 3,
        layer_bytes: 256,
    };
    let built = Instant::now();
    for r in 0..REPOSITORIES {
        for n in 0..IMAGES_PER_REPOSITORY {
            store.image(&format!("team{}/app{r}", r % 10), n, true);
        }
    }
    let blobs = REPOSITORIES * IMAGES_PER_REPOSITORY * 5;
    eprintln!(
        "store of {blobs} blobs written in {:.1} s",
        built.elapsed().as_secs_f64()
    );

    let mut du = Vec::new();
    let mut fsck = Vec::new();
    for _ in 0..rounds {
        let (t, report) = run(regctl, &["du"], &many);
        assert_eq!(
            report["repositories"].as_array().map(Vec::len),
            Some(REPOSITORIES),
            "du saw every repository"
        );
        du.push(t);
        let (t, report) = run(regctl, &["fsck"], &many);
        assert_eq!(
            report["blobs"].as_u64(),
            Some(blobs as u64),
            "fsck saw every blob: {report}"
        );
        fsck.push(t);
    }

    let big = work.path().join("big");
    let store = Store {
        v2: big.join("docker/registry/v2"),
        layers_per_image: 3,
        layer_bytes: 16 << 20,
    };
    for n in 0..8 {
        store.image("big/app", n, true);
    }
    let reference = single_core_sha256();
    let mut verify = Vec::new();
    let mut threads = 0;
    for _ in 0..rounds {
        let (t, report) = run(regctl, &["fsck", "--verify-content"], &big);
        threads = report["verify_threads"].as_u64().expect("verify_threads");
        let rate = report["verify_bytes_per_second"].as_u64().expect("rate");
        assert!(report["bytes_verified"].as_u64() > Some(384 << 20));
        verify.push((t, rate));
    }
    verify.sort_by_key(|(_, rate)| *rate);
    let (_, rate) = verify[verify.len() / 2];
    #[allow(clippy::cast_precision_loss)]
    let per_core = rate as f64 / threads.max(1) as f64;

    let s = |d: Duration| format!("{:.2} s", d.as_secs_f64());
    println!("| command ({blobs} blobs, {REPOSITORIES} repositories) | rounds | median |");
    println!("|---|---|---|");
    println!("| regctl du | {rounds} | {} |", s(median(du)));
    println!("| regctl fsck | {rounds} | {} |", s(median(fsck)));
    println!();
    println!("| fsck --verify-content (384 MiB, cached) | MB/s |");
    println!("|---|---|");
    println!(
        "| single-core sha256 (sha2, best of 3) | {:.0} |",
        reference / 1e6
    );
    #[allow(clippy::cast_precision_loss)]
    let total = rate as f64 / 1e6;
    println!("| regctl fsck, {threads} threads (median) | {total:.0} |");
    println!(
        "| per core used | {:.0} ({:.0} % of single-core) |",
        per_core / 1e6,
        100.0 * per_core / reference
    );
}
