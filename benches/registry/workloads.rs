//! The workloads: what each one sets up (untimed) and what it measures, plus the sizes of a full
//! and a `--quick` run.
//!
//! Every workload is bounded in count (blobs, images, listings) or in time (the request hammers),
//! and the whole timed part of one run is bounded by `Scale::deadline`.

use std::future::Future;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use futures_util::{StreamExt as _, TryStreamExt as _};
use serde::Serialize;
use tokio::task::JoinSet;

use crate::api::Registry;
use crate::content::{seeded, BigBlob, Blob, Image};
use crate::layout;

const MIB: usize = 1 << 20;
/// The big blob is this pattern repeated; a multiple of both chunk sizes below.
const BIG_PATTERN_LEN: usize = 32 * MIB;
const STREAM_CHUNK: usize = MIB;
const PATCH_CHUNK: usize = 16 * MIB;
const SMALL_BLOB_CONCURRENCY: usize = 16;
const IMAGE_CONCURRENCY: usize = 8;
const MANIFEST_CONCURRENCY: usize = 32;
const IMAGE_REPOS: usize = 20;
const CATALOG_PAGE: usize = 1000;
/// A listing workload repeats the full listing at least this often, however long it takes.
const MIN_LISTINGS: usize = 2;

const BIG_REPO: &str = "bench/big";
const SMALL_REPO: &str = "bench/small";
const HOT_REPO: &str = "bench/hot";
const HOT_TAG: &str = "latest";
const TAGS_REPO: &str = "bench/tags";

/// Sizes of a run.
#[derive(Clone, Debug, Serialize)]
pub struct Scale {
    pub big_blob_bytes: u64,
    pub small_blobs: usize,
    pub images: usize,
    pub hammer_seconds: f64,
    pub listing_repos: usize,
    pub listing_tags: usize,
    pub listing_seconds: f64,
    /// Bytes hashed, written and sent by the machine-limit measurements.
    pub limit_bytes: u64,
    #[serde(skip)]
    pub deadline: Duration,
}

impl Scale {
    pub fn full() -> Self {
        Self {
            big_blob_bytes: 1 << 30,
            small_blobs: 2_000,
            images: 200,
            hammer_seconds: 10.0,
            listing_repos: 5_000,
            listing_tags: 5_000,
            listing_seconds: 5.0,
            limit_bytes: 1 << 30,
            deadline: Duration::from_secs(600),
        }
    }

    pub fn quick() -> Self {
        Self {
            big_blob_bytes: 128 << 20,
            small_blobs: 200,
            images: 40,
            hammer_seconds: 3.0,
            listing_repos: 1_000,
            listing_tags: 1_000,
            listing_seconds: 1.0,
            limit_bytes: 256 << 20,
            deadline: Duration::from_secs(180),
        }
    }

    fn hammer(&self) -> Duration {
        Duration::from_secs_f64(self.hammer_seconds)
    }

    fn listing(&self) -> Duration {
        Duration::from_secs_f64(self.listing_seconds)
    }
}

/// Distinct users of the multi-user auth workloads.
pub const AUTH_USERS: usize = 64;
/// Rules of the policy workload: every request is decided by the last one.
pub const POLICY_RULES: usize = 100;

/// A policy of [`POLICY_RULES`] rules over `users` in which no rule but the last matches the
/// benchmark's repository, so each decision walks the whole list.
pub fn policy_yaml(users: &[String]) -> String {
    let mut yaml = String::from("rules:\n");
    for i in 0..POLICY_RULES - 1 {
        let user = &users[i % users.len()];
        yaml.push_str(&format!(
            "  - repositories: [team{i}/**]\n    users: [{user}]\n    allow: [pull, push]\n"
        ));
    }
    yaml.push_str(
        "  - repositories: [\"**\"]\n    users: [\"*\"]\n    allow: [pull, push, delete]\n",
    );
    yaml
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Workload {
    PushMono,
    PushChunked,
    Pull,
    SmallBlobs,
    Images,
    ManifestGet,
    ManifestHead,
    AuthGetCost5,
    AuthGetCost10,
    /// 64 distinct users (bcrypt cost 10), no policy.
    AuthGetUsers,
    /// The same users, and on regctl a 100-rule `auth.htpasswd.policy` whose last rule decides
    /// (the reference has no policies: it runs as in `auth-get-users`).
    AuthGetPolicy,
    Catalog,
    Tags,
}

impl Workload {
    pub const ALL: [Workload; 13] = [
        Workload::PushMono,
        Workload::PushChunked,
        Workload::Pull,
        Workload::SmallBlobs,
        Workload::Images,
        Workload::ManifestGet,
        Workload::ManifestHead,
        Workload::AuthGetCost5,
        Workload::AuthGetCost10,
        Workload::AuthGetUsers,
        Workload::AuthGetPolicy,
        Workload::Catalog,
        Workload::Tags,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Workload::PushMono => "push-mono",
            Workload::PushChunked => "push-chunked",
            Workload::Pull => "pull",
            Workload::SmallBlobs => "small-blobs",
            Workload::Images => "images",
            Workload::ManifestGet => "manifest-get",
            Workload::ManifestHead => "manifest-head",
            Workload::AuthGetCost5 => "auth-get-cost5",
            Workload::AuthGetCost10 => "auth-get-cost10",
            Workload::AuthGetUsers => "auth-get-users",
            Workload::AuthGetPolicy => "auth-get-policy",
            Workload::Catalog => "catalog",
            Workload::Tags => "tags",
        }
    }

    /// What the table shows next to the name, with the run's sizes.
    pub fn describe(self, scale: &Scale) -> String {
        let big = format!("{} MiB", scale.big_blob_bytes >> 20);
        let hammer = format!("c={MANIFEST_CONCURRENCY}, {} s", scale.hammer_seconds);
        match self {
            Workload::PushMono => format!("{big} blob, POST + streamed PUT"),
            Workload::PushChunked => format!("{big} blob, 16 MiB PATCHes"),
            Workload::Pull => format!("{big} blob GET"),
            Workload::SmallBlobs => format!(
                "{} blobs 4-64 KiB, c={SMALL_BLOB_CONCURRENCY}",
                scale.small_blobs
            ),
            Workload::Images => format!("{} images, c={IMAGE_CONCURRENCY}", scale.images),
            Workload::ManifestGet => format!("manifest GET, {hammer}"),
            Workload::ManifestHead => format!("manifest HEAD, {hammer}"),
            Workload::AuthGetCost5 => format!("GET, bcrypt cost 5, {hammer}"),
            Workload::AuthGetCost10 => format!("GET, bcrypt cost 10, {hammer}"),
            Workload::AuthGetUsers => format!("GET, {AUTH_USERS} users, cost 10, {hammer}"),
            Workload::AuthGetPolicy => {
                format!("GET, {AUTH_USERS} users, {POLICY_RULES}-rule policy, {hammer}")
            }
            Workload::Catalog => format!("{} repos, n={CATALOG_PAGE}", scale.listing_repos),
            Workload::Tags => format!("{} tags", scale.listing_tags),
        }
    }

    /// Higher is better for every unit.
    pub fn unit(self) -> &'static str {
        match self {
            Workload::PushMono | Workload::PushChunked | Workload::Pull => "MB/s",
            Workload::SmallBlobs => "blobs/s",
            Workload::Images => "images/s",
            Workload::ManifestGet
            | Workload::ManifestHead
            | Workload::AuthGetCost5
            | Workload::AuthGetCost10
            | Workload::AuthGetUsers
            | Workload::AuthGetPolicy => "req/s",
            Workload::Catalog | Workload::Tags => "listings/s",
        }
    }

    /// The bcrypt cost of the htpasswd file the servers get, if the workload runs with auth.
    /// How many htpasswd users the workload's requests come from.
    pub fn users(self) -> usize {
        match self {
            Workload::AuthGetUsers | Workload::AuthGetPolicy => AUTH_USERS,
            _ => 1,
        }
    }

    /// Whether regctl runs with an access policy of [`POLICY_RULES`] rules.
    pub fn policy(self) -> bool {
        self == Workload::AuthGetPolicy
    }

    pub fn bcrypt_cost(self) -> Option<u32> {
        match self {
            Workload::AuthGetCost5 => Some(5),
            Workload::AuthGetCost10 | Workload::AuthGetUsers | Workload::AuthGetPolicy => Some(10),
            _ => None,
        }
    }

    /// Whether the workload's storage is written on disk before the server starts (then the
    /// workload only reads, and its runs share one tree).
    pub fn writes_layout(self) -> bool {
        matches!(self, Workload::Catalog | Workload::Tags)
    }

    /// Storage written before the server starts.
    pub fn prepare_disk(self, root: &Path, payloads: &Payloads, scale: &Scale) -> Result<()> {
        match self {
            Workload::Catalog => {
                let repos: Vec<String> = (0..scale.listing_repos)
                    .map(|i| format!("catalog/repo-{i:05}"))
                    .collect();
                layout::write_repositories(root, &payloads.hot, &repos, &[HOT_TAG.to_owned()])
            }
            Workload::Tags => {
                let tags: Vec<String> = (0..scale.listing_tags)
                    .map(|i| format!("v{i:05}"))
                    .collect();
                layout::write_repositories(root, &payloads.hot, &[TAGS_REPO.to_owned()], &tags)
            }
            _ => Ok(()),
        }
    }

    /// Untimed setup through the API, after the server started.
    pub async fn setup(self, registry: &Registry, payloads: &Payloads) -> Result<()> {
        match self {
            Workload::Pull => {
                let big = payloads.big()?;
                registry
                    .push_blob_streamed(BIG_REPO, &big.digest, big.len(), big.chunks(STREAM_CHUNK))
                    .await
            }
            Workload::ManifestGet
            | Workload::ManifestHead
            | Workload::AuthGetCost5
            | Workload::AuthGetCost10
            | Workload::AuthGetUsers
            | Workload::AuthGetPolicy => {
                push_image(registry, HOT_REPO, HOT_TAG, &payloads.hot).await
            }
            _ => Ok(()),
        }
    }

    /// The timed part.
    /// `users`: one client per htpasswd user (the first is `registry`'s), taken in turn by the
    /// multi-user workloads.
    pub async fn run(
        self,
        registry: &Registry,
        users: &[Registry],
        payloads: &Payloads,
        scale: &Scale,
    ) -> Result<Measurement> {
        match self {
            Workload::PushMono => {
                let big = payloads.big()?;
                let started = Instant::now();
                registry
                    .push_blob_streamed(BIG_REPO, &big.digest, big.len(), big.chunks(STREAM_CHUNK))
                    .await?;
                Ok(Measurement::transfer(big.len(), started.elapsed()))
            }
            Workload::PushChunked => {
                let big = payloads.big()?;
                let started = Instant::now();
                registry
                    .push_blob_chunked(BIG_REPO, &big.digest, big.chunks(PATCH_CHUNK))
                    .await?;
                Ok(Measurement::transfer(big.len(), started.elapsed()))
            }
            Workload::Pull => {
                let big = payloads.big()?;
                let started = Instant::now();
                let received = registry.pull_blob(BIG_REPO, &big.digest).await?;
                let elapsed = started.elapsed();
                ensure!(
                    received == big.len(),
                    "pulled {received} bytes of {}",
                    big.len()
                );
                Ok(Measurement::transfer(received, elapsed))
            }
            Workload::SmallBlobs => {
                let (elapsed, latencies) =
                    for_each_concurrent(&payloads.small, SMALL_BLOB_CONCURRENCY, |blob| {
                        registry.push_blob(SMALL_REPO, &blob.digest, blob.data.clone())
                    })
                    .await?;
                Ok(Measurement::operations(elapsed, latencies))
            }
            Workload::Images => {
                let (elapsed, latencies) =
                    for_each_concurrent(&payloads.images, IMAGE_CONCURRENCY, |push| {
                        push_image(registry, &push.repo, &push.tag, &push.image)
                    })
                    .await?;
                Ok(Measurement::operations(elapsed, latencies))
            }
            Workload::ManifestGet
            | Workload::AuthGetCost5
            | Workload::AuthGetCost10
            | Workload::AuthGetUsers
            | Workload::AuthGetPolicy => {
                let expected = payloads.hot.manifest.data.len();
                let clients: std::sync::Arc<Vec<Registry>> =
                    std::sync::Arc::new(if users.is_empty() {
                        vec![registry.clone()]
                    } else {
                        users.to_vec()
                    });
                let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
                let (elapsed, latencies) =
                    hammer(MANIFEST_CONCURRENCY, scale.hammer(), move || {
                        let turn = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let registry = clients[turn % clients.len()].clone();
                        async move {
                            let len = registry.get_manifest(HOT_REPO, HOT_TAG).await?;
                            ensure!(
                                len == expected,
                                "manifest GET returned {len} bytes, not {expected}"
                            );
                            Ok(())
                        }
                    })
                    .await?;
                Ok(Measurement::operations(elapsed, latencies))
            }
            Workload::ManifestHead => {
                let expected = payloads.hot.manifest.digest.clone();
                let registry = registry.clone();
                let (elapsed, latencies) =
                    hammer(MANIFEST_CONCURRENCY, scale.hammer(), move || {
                        let registry = registry.clone();
                        let expected = expected.clone();
                        async move {
                            let digest = registry.head_manifest(HOT_REPO, HOT_TAG).await?;
                            ensure!(
                                digest == expected,
                                "manifest HEAD says {digest}, not {expected}"
                            );
                            Ok(())
                        }
                    })
                    .await?;
                Ok(Measurement::operations(elapsed, latencies))
            }
            Workload::Catalog => {
                let first = format!("/v2/_catalog?n={CATALOG_PAGE}");
                repeat_listing(scale.listing(), scale.listing_repos, || {
                    registry.list_all(&first, "repositories")
                })
                .await
            }
            Workload::Tags => {
                let first = format!("/v2/{TAGS_REPO}/tags/list");
                repeat_listing(scale.listing(), scale.listing_tags, || {
                    registry.list_all(&first, "tags")
                })
                .await
            }
        }
    }
}

/// What one timed run produced. `value` is in the workload's unit.
#[derive(Clone, Debug)]
pub struct Measurement {
    pub value: f64,
    pub operations: u64,
    pub bytes: u64,
    pub seconds: f64,
    pub latencies: Option<Latencies>,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub struct Latencies {
    pub p50_ms: f64,
    pub p99_ms: f64,
}

impl Measurement {
    fn transfer(bytes: u64, elapsed: Duration) -> Self {
        let seconds = elapsed.as_secs_f64();
        Self {
            value: bytes as f64 / 1e6 / seconds,
            operations: 1,
            bytes,
            seconds,
            latencies: None,
        }
    }

    fn operations(elapsed: Duration, mut latencies: Vec<Duration>) -> Self {
        let seconds = elapsed.as_secs_f64();
        latencies.sort_unstable();
        Self {
            value: latencies.len() as f64 / seconds,
            operations: latencies.len() as u64,
            bytes: 0,
            seconds,
            latencies: Latencies::of_sorted(&latencies),
        }
    }
}

impl Latencies {
    fn of_sorted(sorted: &[Duration]) -> Option<Self> {
        let percentile = |q: f64| {
            let rank = (sorted.len() as f64 * q).ceil() as usize;
            sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1e3
        };
        (!sorted.is_empty()).then(|| Self {
            p50_ms: percentile(0.50),
            p99_ms: percentile(0.99),
        })
    }
}

/// An image and where it goes.
pub struct ImagePush {
    pub repo: String,
    pub tag: String,
    pub image: Image,
}

/// All generated content, made once and pushed identically to both servers.
pub struct Payloads {
    big: Option<BigBlob>,
    pub small: Vec<Blob>,
    pub images: Vec<ImagePush>,
    /// The image behind the manifest hammers and the listing layouts.
    pub hot: Image,
}

impl Payloads {
    /// Generates only what `workloads` need.
    pub fn generate(workloads: &[Workload], scale: &Scale) -> Self {
        let needs = |w: &[Workload]| workloads.iter().any(|x| w.contains(x));
        let mut rng = seeded(0x5eed_0001);
        let big = needs(&[Workload::PushMono, Workload::PushChunked, Workload::Pull])
            .then(|| BigBlob::generate(&mut rng, scale.big_blob_bytes, BIG_PATTERN_LEN));
        let small = if needs(&[Workload::SmallBlobs]) {
            (0..scale.small_blobs)
                .map(|_| Blob::random_sized(&mut rng, 4 << 10, 64 << 10))
                .collect()
        } else {
            Vec::new()
        };
        let images = if needs(&[Workload::Images]) {
            // One base layer shared by every image (found by HEAD once its repository has it)
            // and one layer of its own, like an application on a common base.
            let base = Blob::random(&mut rng, 48 << 10);
            (0..scale.images)
                .map(|i| ImagePush {
                    repo: format!("bench/app{:02}", i % IMAGE_REPOS),
                    tag: format!("v{i}"),
                    image: Image::new(
                        &format!("image {i}"),
                        vec![
                            base.clone(),
                            Blob::random_sized(&mut rng, 4 << 10, 64 << 10),
                        ],
                    ),
                })
                .collect()
        } else {
            Vec::new()
        };
        let hot = Image::new("hot", vec![Blob::random(&mut rng, 32 << 10)]);
        Self {
            big,
            small,
            images,
            hot,
        }
    }

    fn big(&self) -> Result<&BigBlob> {
        self.big.as_ref().context("the big blob was not generated")
    }
}

/// docker's push order: HEAD each blob, upload the missing ones, then PUT the manifest.
async fn push_image(registry: &Registry, repo: &str, tag: &str, image: &Image) -> Result<()> {
    for blob in image.blobs() {
        if !registry.blob_exists(repo, &blob.digest).await? {
            registry
                .push_blob(repo, &blob.digest, blob.data.clone())
                .await?;
        }
    }
    registry
        .put_manifest(repo, tag, image.manifest.data.clone())
        .await
}

/// Runs `op` once per item, `concurrency` at a time; returns the wall time and each latency.
async fn for_each_concurrent<'a, T, F, Fut>(
    items: &'a [T],
    concurrency: usize,
    op: F,
) -> Result<(Duration, Vec<Duration>)>
where
    F: Fn(&'a T) -> Fut,
    Fut: Future<Output = Result<()>> + 'a,
{
    let started = Instant::now();
    let latencies = futures_util::stream::iter(items)
        .map(|item| {
            let operation = op(item);
            async move {
                let begun = Instant::now();
                operation.await?;
                Ok::<_, anyhow::Error>(begun.elapsed())
            }
        })
        .buffer_unordered(concurrency)
        .try_collect()
        .await?;
    Ok((started.elapsed(), latencies))
}

/// `concurrency` tasks repeat `op` until `duration` has passed; returns the wall time (including
/// the requests in flight at the deadline) and each latency.
async fn hammer<F, Fut>(
    concurrency: usize,
    duration: Duration,
    op: F,
) -> Result<(Duration, Vec<Duration>)>
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<()>> + Send + 'static,
{
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = JoinSet::new();
    for _ in 0..concurrency {
        let op = op.clone();
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let begun = Instant::now();
                op().await?;
                latencies.push(begun.elapsed());
            }
            Ok::<_, anyhow::Error>(latencies)
        });
    }
    let mut all = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        all.extend(joined.context("load task")??);
    }
    Ok((started.elapsed(), all))
}

/// Repeats a full paginated listing for `duration` (at least `MIN_LISTINGS` times), checking each
/// returns `expected` entries.
async fn repeat_listing<F, Fut>(duration: Duration, expected: usize, list: F) -> Result<Measurement>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<Vec<String>>>,
{
    let started = Instant::now();
    let mut latencies = Vec::new();
    while latencies.len() < MIN_LISTINGS || started.elapsed() < duration {
        let begun = Instant::now();
        let entries = list().await?;
        latencies.push(begun.elapsed());
        ensure!(
            entries.len() == expected,
            "the listing returned {} entries, not {expected}",
            entries.len()
        );
    }
    Ok(Measurement::operations(started.elapsed(), latencies))
}
