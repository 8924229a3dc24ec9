//! `regctl gc`: reclaim disk on registry:2 filesystem storage, safely next to a running registry.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context as _};
use clap::Args;

use super::{GlobalArgs, Printer};
use crate::config;
use crate::gc::{self, Observer, Options, Report};
use crate::server::logging::{LogFormatter, LogGuard, LogSettings};
use crate::storage::settings::StorageSettings;

/// Failure injection for the crash tests: stop after this many deletions.
const INTERRUPT_ENV: &str = "REGCTL_GC_INTERRUPT_AFTER";
/// Interleaving tests: `marked:FILE` or `locked:FILE` makes gc create FILE at that point and wait
/// until it is removed (`gc::Pause`).
const PAUSE_ENV: &str = "REGCTL_GC_PAUSE";
/// Tests only: gc's clock reads this many seconds since the epoch (`gc::Options::now`), so a test
/// can make a just-written blob (whose ctime it cannot set back) older than the grace period.
const NOW_ENV: &str = "REGCTL_GC_TEST_NOW";

/// Delete blobs and manifests nothing needs, safely while the registry runs
#[derive(Debug, Args)]
#[command(
    long_about = "Delete blobs no manifest references, the layer links to them, stale uploads and \
repositories left empty; with --delete-untagged also manifests no tag reaches (children of a tagged \
index and referrers of a kept manifest stay).\n\n\
Crash leftovers older than --grace go too: temp files of interrupted writes, tag directories \
without current/link (a killed manifest PUT) and the partial data of killed monolithic uploads \
(POST ?digest=, whose id no client knows). Uploads a client could resume go after \
--uploads-older-than, registry:2's purge age.\n\n\
Works on any registry:2 filesystem storage (regctl serve, docker-registry, registry:2) and needs no \
read-only window: anything changed within --grace of the start is kept, and the sweep marks again \
under a lock that regctl serve takes around every push, mount and upload commit (waiting at most \
--lock-timeout for those in progress), so nothing referenced meanwhile is deleted. A second lock \
keeps two runs apart.\n\n\
On S3 (storage.s3 in the config) the same two locks are objects under \
docker/registry/v2/.regctl/gc/ written with conditional PUTs, so gc runs next to any number of \
regctl serve replicas; an S3 server without conditional writes (If-None-Match, If-Match) needs \
registry:2's read-only window instead: every server in storage.maintenance.readonly (or \
stopped), then --offline, which takes no lock.\n\n\
The storage is --root DIR, else the config's storage (-c, default ./config.yml): \
storage.filesystem.rootdirectory, with $REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY taking \
precedence as in registry:2, or storage.s3.\n\n\
With a pull-through cache in the config (proxy.remoteurl or proxy.upstreams), gc first reports \
cached vs local bytes and, with proxy.cachebudget, evicts the least recently pulled cached images \
until the rest fits (listed with -v; only planned with --dry-run), so this run reclaims them.",
    after_help = "Examples:\n  regctl gc --dry-run -c /etc/docker/registry/config.yml\n  regctl gc --root /var/lib/registry --delete-untagged\n  regctl gc --root ./data --grace 10m --uploads-older-than 2h -o json\n  regctl gc -c /etc/docker/registry/config.yml --offline"
)]
pub struct GcArgs {
    /// Storage root (registry:2's rootdirectory) instead of the config's
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Also delete manifests that no tag points to (keeps index children and referrers)
    #[arg(short = 'm', long)]
    pub delete_untagged: bool,
    /// Show what would be deleted and how many bytes it frees; delete nothing
    #[arg(short = 'd', long)]
    pub dry_run: bool,
    /// Keep anything changed more recently than this (e.g. 30m, 2h, 0s); a copied or restored store counts as changed
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = parse_duration)]
    pub grace: Duration,
    /// Remove uploads with no activity for this long (registry:2's purge age)
    #[arg(long, value_name = "DURATION", default_value = crate::upload_purge::AGE_TEXT, value_parser = parse_duration)]
    pub uploads_older_than: Duration,
    /// Longest wait for the registry's pushes in progress before sweeping (then gc fails)
    #[arg(long, value_name = "DURATION", default_value = "1m", value_parser = parse_duration)]
    pub lock_timeout: Duration,
    /// No server writes to the store during the run (registry:2's read-only window); takes no lock
    #[arg(long)]
    pub offline: bool,
}

fn parse_pause(text: &str) -> Option<gc::Pause> {
    let (at, file) = text.split_once(':')?;
    let at = match at {
        "marked" => gc::PauseAt::Marked,
        "locked" => gc::PauseAt::Locked,
        _ => return None,
    };
    Some(gc::Pause {
        at,
        file: PathBuf::from(file),
    })
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text).map_err(|e| format!("{e} (examples: 0s, 90s, 30m, 2h, 1d)"))
}

/// Runs `regctl gc`.
///
/// # Errors
/// When the storage cannot be found or gc fails.
pub fn run(args: &GcArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let printer = global.printer();
    let settings = match &args.root {
        Some(root) => StorageSettings::Filesystem(root.clone()),
        None => store_from_config(global, "gc")?,
    };
    // A dry run removes nothing, so it has nothing to audit.
    let _audit = if args.dry_run {
        None
    } else {
        Some(start_audit(&audit_settings(global, args.root.is_some())?)?)
    };
    let options = Options {
        delete_untagged: args.delete_untagged,
        dry_run: args.dry_run,
        grace: args.grace,
        uploads_older_than: args.uploads_older_than,
        interrupt_after: std::env::var(INTERRUPT_ENV)
            .ok()
            .and_then(|n| n.parse().ok()),
        lock_timeout: args.lock_timeout,
        offline: args.offline,
        pause: std::env::var(PAUSE_ENV)
            .ok()
            .as_deref()
            .and_then(parse_pause),
        now: std::env::var(NOW_ENV)
            .ok()
            .and_then(|secs| secs.parse().ok())
            .map(|secs| std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(secs)),
        audit_user: Some(crate::audit::os_user()),
    };
    if options.now.is_some() {
        printer.warn(format!(
            "{NOW_ENV} is set: gc takes it as the current time (a test hook; unset it)"
        ));
    }
    let mut progress = Progress { printer, bar: None };
    let failed = || format!("garbage collection of {} failed", settings.describe());
    let store = gc::open(&settings).with_context(failed)?;
    let cache = match &args.root {
        Some(_) => None,
        None => evict_cache(global, &store, args.dry_run)?,
    };
    let report = gc::collect(&store, &options, &mut progress).with_context(failed)?;
    if let Some(bar) = progress.bar.take() {
        bar.finish_and_clear();
    }
    for problem in &report.problems {
        printer.warn(format!("{}: {}", problem.path, problem.problem));
    }
    if let Some(reason) = &report.blob_sweep_skipped {
        printer.warn(format!("no blob was deleted: {reason}"));
    }
    if printer.is_json() {
        return printer.json(&GcOutput {
            report: &report,
            cache: cache.as_ref(),
        });
    }
    render(&printer, &report)?;
    if let Some(plan) = &cache {
        render_cache(&printer, plan, report.dry_run);
    }
    if let Some(hint) = grace_hint(&report) {
        printer.info(hint);
    }
    Ok(())
}

/// `regctl gc -o json`: the collector's report, and the cache's when the config has a proxy.
#[derive(serde::Serialize)]
struct GcOutput<'a> {
    #[serde(flatten)]
    report: &'a Report,
    /// Cached vs local bytes and what `proxy.cachebudget` evicted (before the collection).
    #[serde(skip_serializing_if = "Option::is_none")]
    cache: Option<&'a crate::proxy::evict::Plan>,
}

/// With a pull-through cache configured: how much is cached vs local and, with
/// `proxy.cachebudget`, the least recently pulled images evicted first (the plan only, on a dry
/// run), so this run's collection reclaims them.
fn evict_cache(
    global: &GlobalArgs,
    store: &crate::storage::settings::Store,
    dry_run: bool,
) -> anyhow::Result<Option<crate::proxy::evict::Plan>> {
    let path = config::resolve_path(global.config.as_deref());
    let loaded = config::load(&path)?;
    let invalid = |problems: Vec<String>| {
        anyhow::anyhow!(
            "regctl gc cannot use {}: {}",
            path.display(),
            problems.join("; ")
        )
    };
    let Some(proxy) = crate::proxy::routes::settings(&loaded.config.proxy)
        .map_err(|p| invalid(p.iter().map(ToString::to_string).collect()))?
    else {
        return Ok(None);
    };
    let immutable = crate::registry::immutable::from_config(&loaded.config.tags.immutable)
        .map_err(|p| invalid(p.iter().map(ToString::to_string).collect()))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let registry = crate::registry::Registry::open(
        store,
        crate::registry::RegistryOptions {
            immutable_tags: immutable.clone(),
            ..crate::registry::RegistryOptions::default()
        },
    );
    let inventory = super::prune::read_inventory(global.printer(), store, &registry, &runtime)?;
    let max_bytes = proxy.budget.map_or(u64::MAX, |b| b.max_bytes);
    let plan = crate::proxy::evict::plan(&inventory, &proxy, &immutable, max_bytes);
    if !dry_run {
        runtime
            .block_on(crate::proxy::evict::apply(&registry, &plan))
            .context("cannot evict from the cache")?;
    }
    Ok(Some(plan))
}

fn render_cache(printer: &Printer, plan: &crate::proxy::evict::Plan, dry_run: bool) {
    let size = |b: u64| bytesize::ByteSize::b(b).to_string();
    let budget = if plan.budget_bytes == u64::MAX {
        "no proxy.cachebudget".to_owned()
    } else {
        format!("budget {}", size(plan.budget_bytes))
    };
    printer.info(format!(
        "cache: {} cached ({budget}), {} local",
        size(plan.cached_bytes),
        size(plan.local_bytes)
    ));
    if !plan.evicted.is_empty() {
        let verb = if dry_run { "would evict" } else { "evicted" };
        printer.info(format!(
            "{verb} {} least recently pulled images: {} cached after the collection",
            plan.evicted.len(),
            size(plan.cached_bytes_after)
        ));
        for image in &plan.evicted {
            printer.detail(format!(
                "{}@{} ({}; last used {}; {})",
                image.repository,
                image.digest,
                if image.tags.is_empty() {
                    "untagged".to_owned()
                } else {
                    image.tags.join(", ")
                },
                image.last_used,
                size(image.bytes_freed)
            ));
        }
    }
}

/// Why young garbage stayed and what to do about it: the grace period is easy to miss, and a
/// store just copied or restored from a backup is all "changed" (new ctimes) for that long.
fn grace_hint(report: &Report) -> Option<String> {
    let kept = &report.kept;
    if kept.young_blobs + kept.young_manifests + kept.young_leftovers == 0 {
        return None;
    }
    Some(format!(
        "kept {} blobs, {} manifests and {} crash leftovers changed within the grace period ({}; \
         files copied or restored count as changed); use --grace 0s to collect them now, only \
         when no push is in progress",
        kept.young_blobs,
        kept.young_manifests,
        kept.young_leftovers,
        grace_text(report.grace_seconds)
    ))
}

fn grace_text(seconds: u64) -> String {
    humantime::format_duration(Duration::from_secs(seconds)).to_string()
}

/// `storage.filesystem.rootdirectory` of the config, after the `REGISTRY_*` overrides (so
/// `$REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY` wins, as in registry:2).
pub(super) fn store_from_config(
    global: &GlobalArgs,
    command: &str,
) -> anyhow::Result<StorageSettings> {
    let path = config::resolve_path(global.config.as_deref());
    let loaded = config::load(&path).with_context(|| {
        format!(
            "cannot use the registry config {} (pass --root DIR or -c CONFIG)",
            path.display()
        )
    })?;
    match crate::server::storage_settings(&loaded.config)
        .with_context(|| format!("regctl {command} cannot use {}", path.display()))?
    {
        Some(settings) => Ok(settings),
        None => bail!(
            "{} names no storage driver; regctl {command} needs storage.filesystem or storage.s3 \
             (or pass --root DIR for a filesystem store)",
            path.display()
        ),
    }
}

/// The log settings a command-line write audits with: the config's `log.audit.file` and
/// `log.formatter`; none when `--root` replaced the config and no `-c` names one.
pub(super) fn audit_settings(global: &GlobalArgs, root_given: bool) -> anyhow::Result<LogSettings> {
    let path = config::resolve_path(global.config.as_deref());
    if (root_given || !path.exists()) && !global.config_is_explicit() {
        return Ok(LogSettings::default());
    }
    let loaded = config::load(&path)
        .with_context(|| format!("cannot use the registry config {}", path.display()))?;
    let formatter = if loaded.config.log.formatter.is_empty() {
        LogFormatter::default()
    } else {
        loaded
            .config
            .log
            .formatter
            .parse()
            .with_context(|| format!("{}: log.formatter", path.display()))?
    };
    Ok(LogSettings {
        formatter,
        audit_file: loaded.config.log.audit.path(),
        ..LogSettings::default()
    })
}

/// Installs the audit lines' subscriber of a command-line write: to `log.audit.file` when set,
/// else to stderr (one line per removal: cron and systemd keep stderr, a terminal shows it).
pub(super) fn start_audit(log: &LogSettings) -> anyhow::Result<LogGuard> {
    crate::server::logging::init_audit(log.audit_file.as_deref(), log.formatter)
        .context("cannot set up the audit log")
}

/// Drives a progress bar per phase.
struct Progress {
    printer: Printer,
    bar: Option<indicatif::ProgressBar>,
}

impl Observer for Progress {
    fn phase(&mut self, name: &str, total: u64) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        self.bar = Some(self.printer.progress(total, name));
    }

    fn advance(&mut self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }
}

fn render(printer: &Printer, report: &Report) -> anyhow::Result<()> {
    let verb = if report.dry_run {
        "would be removed"
    } else {
        "removed"
    };
    if printer.verbose > 0 {
        for m in &report.manifests_removed {
            printer.detail(format!("manifest {}@{} {verb}", m.repository, m.digest));
        }
        for b in &report.blobs_removed {
            printer.detail(format!("blob {} ({} bytes) {verb}", b.digest, b.size));
        }
        for u in &report.uploads_removed {
            let why = if u.orphan {
                ", a killed monolithic upload"
            } else {
                ""
            };
            printer.detail(format!(
                "upload {}/{} ({} bytes{why}) {verb}",
                u.repository, u.id, u.size
            ));
        }
        for f in &report.temp_files_removed {
            printer.detail(format!("temp file {} ({} bytes) {verb}", f.path, f.size));
        }
        for t in &report.unfinished_tags_removed {
            printer.detail(format!(
                "tag {}:{} without current/link ({} files, {} bytes) {verb}",
                t.repository, t.tag, t.files, t.size
            ));
        }
        for name in &report.repositories_touched {
            printer.detail(format!("repository {name} touched"));
        }
    }
    let touched: Vec<&str> = report
        .repositories_touched
        .iter()
        .map(String::as_str)
        .collect();
    let rows = vec![
        vec![
            format!("blobs {verb}"),
            format!("{} of {}", report.blobs_removed.len(), report.blobs_scanned),
        ],
        vec![
            format!(
                "bytes {}",
                if report.dry_run {
                    "to reclaim"
                } else {
                    "reclaimed"
                }
            ),
            format!(
                "{} ({})",
                bytesize::ByteSize::b(report.bytes_reclaimed),
                report.bytes_reclaimed
            ),
        ],
        vec![
            format!("manifests {verb}"),
            report.manifests_removed.len().to_string(),
        ],
        vec![
            format!("layer links {verb}"),
            report.layer_links_removed.len().to_string(),
        ],
        vec![format!("uploads {verb}"), uploads_cell(report)],
        vec![format!("crash leftovers {verb}"), leftovers_cell(report)],
        vec![
            format!("repositories {verb}"),
            summarize(
                &report
                    .repositories_removed
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
            ),
        ],
        vec!["repositories touched".to_owned(), summarize(&touched)],
        vec![
            format!(
                "kept: changed within --grace {}",
                grace_text(report.grace_seconds)
            ),
            format!(
                "{} blobs, {} manifests, {} leftovers",
                report.kept.young_blobs, report.kept.young_manifests, report.kept.young_leftovers
            ),
        ],
        vec![
            "kept: linked again during the run".to_owned(),
            report.kept.relinked_blobs.to_string(),
        ],
        vec![
            "problems reported".to_owned(),
            report.problems.len().to_string(),
        ],
    ];
    printer.table(&["", if report.dry_run { "dry run" } else { "gc" }], rows)
}

/// `2 (1.0 KiB; 1 killed monolithic)`
fn uploads_cell(report: &Report) -> String {
    let uploads = &report.uploads_removed;
    if uploads.is_empty() {
        return "0".to_owned();
    }
    let bytes: u64 = uploads.iter().map(|u| u.size).sum();
    let orphans = uploads.iter().filter(|u| u.orphan).count();
    let orphans = if orphans > 0 {
        format!("; {orphans} killed monolithic")
    } else {
        String::new()
    };
    format!(
        "{} ({}{orphans})",
        uploads.len(),
        bytesize::ByteSize::b(bytes)
    )
}

/// `3 temp files, 1 tag without current/link (2.0 KiB)`
fn leftovers_cell(report: &Report) -> String {
    let temps = &report.temp_files_removed;
    let tags = &report.unfinished_tags_removed;
    if temps.is_empty() && tags.is_empty() {
        return "0".to_owned();
    }
    let bytes: u64 =
        temps.iter().map(|t| t.size).sum::<u64>() + tags.iter().map(|t| t.size).sum::<u64>();
    format!(
        "{} temp files, {} tags without current/link ({})",
        temps.len(),
        tags.len(),
        bytesize::ByteSize::b(bytes)
    )
}

/// A count and the first few names (all of them are in `-o json` and with `-v`).
fn summarize(names: &[&str]) -> String {
    const SHOWN: usize = 5;
    match names.len() {
        0 => "0".to_owned(),
        n if n <= SHOWN => format!("{n}: {}", names.join(", ")),
        n => format!("{n}: {}, …", names[..SHOWN].join(", ")),
    }
}
