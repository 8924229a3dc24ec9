//! `regctl du [REPO...]`: storage usage per repository, per tag, the largest images, and what gc
//! would reclaim now.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use serde::Serialize;

use super::prune::{open_settings, open_store, read_inventory};
use super::{GlobalArgs, Printer};
use crate::registry::{Registry, RegistryOptions};
use crate::retention::usage::Usage;
use crate::storage::settings::Store;

/// Show how much storage each repository and tag uses
#[derive(Debug, Args)]
#[command(
    long_about = "Read the store (--root DIR, else the storage of the config: filesystem or S3) \
and show per repository its bytes (every blob its manifests keep, each once), the unique part \
(referenced by no other repository: freed if the repository went away and gc ran) and the \
shared part; per tag the image's bytes; the largest images; and what `regctl gc` would reclaim \
now (a dry run of it: filesystem stores only).\n\n\
Naming repositories limits the tables to them and lists their tags; sharing is always measured \
against the whole store.",
    after_help = "Examples:\n  regctl du --root /var/lib/registry\n  regctl du -c config.yml team/app\n  regctl du -o json | jq '.repositories[0]'"
)]
pub struct DuArgs {
    /// Repositories to show (default: all)
    #[arg(value_name = "REPO")]
    pub repositories: Vec<String>,
    /// Storage root (registry:2's rootdirectory) instead of the config's
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// How many of the largest images to list
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
    /// Show the full digests
    #[arg(long)]
    pub wide: bool,
}

/// What a gc run now would reclaim, or why that is not known.
#[derive(Debug, Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
enum Reclaimable {
    Known {
        bytes: u64,
        blobs: usize,
        manifests: usize,
    },
    Unavailable {
        reason: String,
    },
}

/// What gc would reclaim now: a dry run with `regctl gc`'s defaults, on any store.
fn gc_reclaimable(store: &Store) -> Reclaimable {
    let options = crate::gc::Options {
        dry_run: true,
        ..crate::gc::Options::default()
    };
    match crate::gc::collect(store, &options, &mut crate::gc::Silent) {
        Ok(report) => Reclaimable::Known {
            bytes: report.bytes_reclaimed,
            blobs: report.blobs_removed.len(),
            manifests: report.manifests_removed.len(),
        },
        Err(e) => Reclaimable::Unavailable {
            reason: crate::report::error_chain(&e),
        },
    }
}

/// Runs `regctl du`.
///
/// # Errors
/// A missing config (without `--root`), a store that cannot be read, an unknown repository.
pub fn run(args: &DuArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let printer = global.printer();
    let opened = open_settings(global, args.root.as_ref(), false)?;
    let (store, runtime) = open_store(&opened.storage)?;
    let registry = Registry::open(&store, RegistryOptions::default());
    let inventory = read_inventory(printer, &store, &registry, &runtime)?;
    for wanted in &args.repositories {
        if !inventory.repositories.iter().any(|r| &r.name == wanted) {
            anyhow::bail!(
                "repository {wanted} is not in {}",
                opened.storage.describe()
            );
        }
    }
    let usage = crate::retention::usage::usage(&inventory, &args.repositories, args.top);
    let reclaimable = gc_reclaimable(&store);
    if printer.is_json() {
        #[derive(Serialize)]
        struct Output<'a> {
            #[serde(flatten)]
            usage: &'a Usage,
            gc_reclaimable: &'a Reclaimable,
        }
        return printer.json(&Output {
            usage: &usage,
            gc_reclaimable: &reclaimable,
        });
    }
    render(printer, &usage, &reclaimable, args).context("cannot print the usage")
}

fn size(bytes: u64) -> String {
    bytesize::ByteSize::b(bytes).to_string()
}

fn render(
    printer: Printer,
    usage: &Usage,
    reclaimable: &Reclaimable,
    args: &DuArgs,
) -> anyhow::Result<()> {
    if usage.repositories.is_empty() {
        printer.info("no repositories in the store");
    }
    printer.key_table(
        &[
            "REPOSITORY",
            "SIZE",
            "UNIQUE",
            "SHARED",
            "TAGS",
            "MANIFESTS",
        ],
        usage.repositories.iter().map(|r| {
            vec![
                r.repository.clone(),
                size(r.bytes),
                size(r.unique_bytes),
                size(r.shared_bytes),
                r.tags.len().to_string(),
                r.manifests.to_string(),
            ]
        }),
    )?;
    if printer.quiet {
        return Ok(());
    }
    if !args.repositories.is_empty() {
        for repo in &usage.repositories {
            printer.line("")?;
            printer.table(
                &["TAG", "SIZE", "DIGEST"],
                repo.tags.iter().map(|t| {
                    vec![
                        format!("{}:{}", repo.repository, t.tag),
                        size(t.bytes),
                        super::output::short_digest(t.digest.as_str(), args.wide),
                    ]
                }),
            )?;
        }
    }
    if !usage.largest_images.is_empty() {
        printer.line("")?;
        printer.table(
            &["LARGEST IMAGES", "SIZE", "DIGEST"],
            usage.largest_images.iter().map(|i| {
                vec![
                    format!("{}:{}", i.repository, i.tag),
                    size(i.bytes),
                    super::output::short_digest(i.digest.as_str(), args.wide),
                ]
            }),
        )?;
    }
    printer.info(format!(
        "referenced: {} ({} bytes)",
        size(usage.referenced_bytes),
        usage.referenced_bytes
    ));
    match reclaimable {
        Reclaimable::Known {
            bytes,
            blobs,
            manifests,
        } => printer.info(format!(
            "gc would reclaim now: {} ({blobs} blobs, {manifests} manifests; `regctl gc` with \
             its 1h grace period)",
            size(*bytes)
        )),
        Reclaimable::Unavailable { reason } => {
            printer.info(format!("gc would reclaim now: unavailable ({reason})"));
        }
    }
    Ok(())
}
