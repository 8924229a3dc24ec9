//! `regctl prune`: apply the config's `retention.policies` to the store now.

use std::path::PathBuf;
use std::time::SystemTime;

use anyhow::{bail, Context as _};
use clap::Args;

use super::{GlobalArgs, Printer};
use crate::config;
use crate::registry::immutable::ImmutableTags;
use crate::registry::{Registry, RegistryOptions};
use crate::retention::prune::{Applied, Plan};
use crate::retention::{self, Policies};
use crate::server::ServeSettings;
use crate::storage::settings::{StorageSettings, Store};

/// Remove the tags the retention policies of the config expire
#[derive(Debug, Args)]
#[command(
    long_about = "Apply retention.policies of the config (-c, default ./config.yml) to the \
store it names (filesystem or S3): remove every tag a delete selector chooses and no keep \
selector protects. Immutable tags (tags.immutable) are never removed. Tags are removed one by \
one through the same path as the API's tag DELETE; manifests and blobs stay until gc runs, so \
an index another kept tag names is never broken.\n\n\
\"Newest\" and ages are push times: the modification time of the tag's current/link, which \
every push of the tag rewrites. A store copied from registry:2 with its times preserved (cp -a, \
rsync -a) carries registry:2's push times; a plain copy makes every tag look just pushed.\n\n\
The bytes shown are exactly what `regctl gc --delete-untagged` then reclaims because of the \
removal (after its grace period): blobs only the removed tags kept, each counted once, minus \
anything a kept tag or another repository still references.",
    after_help = "Examples:\n  regctl prune --dry-run -c /etc/docker/registry/config.yml\n  regctl prune -c config.yml && regctl gc --delete-untagged -c config.yml\n  regctl prune --dry-run -o json"
)]
pub struct PruneArgs {
    /// Show what would be removed and the bytes it frees; remove nothing
    #[arg(short = 'd', long)]
    pub dry_run: bool,
    /// Storage root (registry:2's rootdirectory) instead of the config's
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Show the full digests
    #[arg(long)]
    pub wide: bool,
}

/// The store, the immutable tags and the retention policies a command reads from the config.
pub(super) struct Opened {
    pub storage: StorageSettings,
    pub immutable: ImmutableTags,
    pub policies: Policies,
}

/// Reads the config (required unless `root` is given and `config_needed` is false): storage as
/// `regctl serve` takes it (`--root` replacing a filesystem root), `tags.immutable`, `retention`.
pub(super) fn open_settings(
    global: &GlobalArgs,
    root: Option<&PathBuf>,
    config_needed: bool,
) -> anyhow::Result<Opened> {
    let path = config::resolve_path(global.config.as_deref());
    if let (Some(root), false, false) = (root, config_needed, path.exists()) {
        return Ok(Opened {
            storage: StorageSettings::Filesystem(root.clone()),
            immutable: ImmutableTags::default(),
            policies: Policies::default(),
        });
    }
    let loaded = config::load(&path).with_context(|| {
        format!(
            "cannot use the registry config {} (pass -c CONFIG)",
            path.display()
        )
    })?;
    let errors: Vec<String> = config::validate(&loaded)
        .into_iter()
        .filter(config::Diagnostic::is_error)
        .map(|d| format!("{}: {}", d.path, d.message))
        .collect();
    if !errors.is_empty() {
        bail!(
            "the config {} is invalid:\n  {}",
            path.display(),
            errors.join("\n  ")
        );
    }
    let settings = ServeSettings::from_config(&loaded.config)
        .with_context(|| format!("cannot use the store of {}", path.display()))?;
    let policies = retention::from_config(&loaded.config.retention).map_err(|problems| {
        anyhow::anyhow!(
            "{}",
            problems
                .iter()
                .map(|p| format!("{}: {}", p.path, p.message))
                .collect::<Vec<_>>()
                .join("; ")
        )
    })?;
    let storage = match (root, &settings.storage) {
        (Some(root), StorageSettings::Filesystem(_)) => StorageSettings::Filesystem(root.clone()),
        (Some(_), other) => bail!(
            "--root names a filesystem store, but {} stores images on {}: drop --root",
            path.display(),
            other.describe()
        ),
        (None, storage) => storage.clone(),
    };
    Ok(Opened {
        storage,
        immutable: settings.immutable_tags,
        policies,
    })
}

/// Opens the store (outside any runtime: an S3 client then runs on its own) and the runtime the
/// registry calls run on.
pub(super) fn open_store(
    storage: &StorageSettings,
) -> anyhow::Result<(Store, tokio::runtime::Runtime)> {
    let store = crate::gc::open(storage)
        .with_context(|| format!("cannot use storage {}", storage.describe()))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    Ok((store, runtime))
}

/// Reads the inventory of the whole store with a progress bar per phase.
pub(super) fn read_inventory(
    printer: Printer,
    store: &Store,
    registry: &Registry,
    runtime: &tokio::runtime::Runtime,
) -> anyhow::Result<retention::Inventory> {
    let repositories = runtime
        .block_on(registry.repositories())
        .context("cannot list the repositories")?;
    let mut progress = Bars { printer, bar: None };
    let inventory = retention::inventory::read(&*store.data, &repositories, &mut progress)
        .context("cannot read the store")?;
    if let Some(bar) = progress.bar.take() {
        bar.finish_and_clear();
    }
    for problem in &inventory.problems {
        printer.warn(problem);
    }
    Ok(inventory)
}

/// Runs `regctl prune`.
///
/// # Errors
/// A missing or invalid config, a store that cannot be read, a removal that fails.
pub fn run(args: &PruneArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let printer = global.printer();
    let opened = open_settings(global, args.root.as_ref(), true)?;
    if opened.policies.is_empty() {
        bail!(
            "{} has no retention.policies: nothing to apply (see `regctl prune --help` and the \
             README's retention example)",
            global.config_path().display()
        );
    }
    let now = SystemTime::now();
    let (store, runtime) = open_store(&opened.storage)?;
    let registry = Registry::open(
        &store,
        RegistryOptions {
            immutable_tags: opened.immutable.clone(),
            ..RegistryOptions::default()
        },
    );
    let inventory = read_inventory(printer, &store, &registry, &runtime)?;
    let plan = retention::prune::plan(&inventory, &opened.policies, &opened.immutable, now);
    let applied = if args.dry_run {
        None
    } else {
        let _audit =
            super::gc::start_audit(&super::gc::audit_settings(global, args.root.is_some())?)?;
        Some(
            runtime
                .block_on(retention::prune::apply(
                    &registry,
                    &plan,
                    &crate::audit::os_user(),
                ))
                .context("removing tags failed (tags removed so far stay removed)")?,
        )
    };
    if let Some(applied) = &applied {
        for skipped in &applied.skipped {
            printer.warn(format!(
                "{}:{} left in place: {}",
                skipped.repository, skipped.tag, skipped.reason
            ));
        }
    }
    if printer.is_json() {
        #[derive(serde::Serialize)]
        struct Output<'a> {
            dry_run: bool,
            #[serde(flatten)]
            plan: &'a Plan,
            #[serde(skip_serializing_if = "Option::is_none")]
            applied: Option<&'a Applied>,
        }
        return printer.json(&Output {
            dry_run: args.dry_run,
            plan: &plan,
            applied: applied.as_ref(),
        });
    }
    render(printer, &plan, args)
}

fn render(printer: Printer, plan: &Plan, args: &PruneArgs) -> anyhow::Result<()> {
    let verb = if args.dry_run {
        "would be removed"
    } else {
        "removed"
    };
    for repo in &plan.repositories {
        for removed in &repo.removed {
            printer.detail(format!(
                "{}:{} {verb} by {}",
                repo.repository, removed.tag, removed.by
            ));
        }
        for protected in &repo.protected {
            printer.detail(format!(
                "{}:{} kept by {} (chosen by {})",
                repo.repository, protected.tag, protected.by, protected.selected_by
            ));
        }
    }
    let rows: Vec<Vec<String>> = plan
        .repositories
        .iter()
        .flat_map(|repo| {
            repo.removed.iter().map(|removed| {
                vec![
                    repo.repository.clone(),
                    removed.tag.clone(),
                    // Minutes are enough to tell pushes apart at a glance (JSON has seconds).
                    removed.pushed.replace('T', " ").chars().take(16).collect(),
                    super::output::short_digest(removed.digest.as_str(), args.wide),
                ]
            })
        })
        .collect();
    if rows.is_empty() {
        printer.info(format!(
            "no tag to remove ({} repositories under retention)",
            plan.repositories.len()
        ));
    } else {
        printer.table(&["REPOSITORY", "TAG", "PUSHED (UTC)", "DIGEST"], rows)?;
    }
    let summary: Vec<Vec<String>> = plan
        .repositories
        .iter()
        .map(|repo| {
            vec![
                repo.repository.clone(),
                format!("{} of {}", repo.removed.len(), repo.tags),
                repo.protected.len().to_string(),
                bytesize::ByteSize::b(repo.bytes_freed).to_string(),
            ]
        })
        .collect();
    if !summary.is_empty() && !printer.quiet {
        printer.table(
            &["REPOSITORY", "TAGS REMOVED", "PROTECTED", "FREED"],
            summary,
        )?;
    }
    let across = if plan.bytes_freed_across_repositories > 0 {
        format!(
            ", {} of it in blobs shared between repositories",
            bytesize::ByteSize::b(plan.bytes_freed_across_repositories)
        )
    } else {
        String::new()
    };
    printer.info(format!(
        "{} tags {verb}; {} ({} bytes, {} blobs{across}) freed once `regctl gc \
         --delete-untagged` runs",
        plan.tags_removed,
        bytesize::ByteSize::b(plan.bytes_freed),
        plan.bytes_freed,
        plan.blobs_freed,
    ));
    Ok(())
}

/// A progress bar per phase of the store read.
pub(super) struct Bars {
    pub printer: Printer,
    pub bar: Option<indicatif::ProgressBar>,
}

impl retention::Progress for Bars {
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
