//! `regctl fsck`: check a registry:2 filesystem store and repair what is safe.

use std::path::PathBuf;

use anyhow::{bail, Context as _};
use clap::Args;
use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};

use super::{GlobalArgs, Printer};
use crate::fsck::{self, Observer, Options, Report};
use crate::storage::settings::StorageSettings;

/// Check a store end to end; with --repair fix what is safe
#[derive(Debug, Args)]
#[command(
    long_about = "Check registry:2 filesystem storage end to end: every tag resolves to a linked \
manifest whose blob exists; every manifest reached parses and every blob and child it references \
is in the blob store and linked in the repository (registry:2 serves nothing unlinked); links \
that point at nothing; empty or malformed link files (distribution #1960); repositories with no \
manifests; unfinished uploads (a notice, with their age). --verify-content also hashes every \
blob, in parallel.\n\n\
--repair removes dangling and corrupt links no tag needs, rewrites missing or corrupt links whose \
blob exists, removes repositories left with nothing, and moves a blob whose content does not match \
its digest to docker/registry/v2/.regctl-quarantine/ (registry:2 never lists it; push the blob \
again). It never deletes anything a tag needs, and takes gc's locks, so it is safe while regctl \
serve runs.\n\n\
Exit status: 0 when no problem is found (or all were repaired), 1 when problems remain or the \
check fails. The storage is chosen as for regctl gc: --root DIR, else the config's storage \
(filesystem rootdirectory, with $REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY taking precedence, or \
s3).",
    after_help = "Examples:\n  regctl fsck --root /var/lib/registry\n  regctl fsck -c /etc/docker/registry/config.yml --verify-content\n  regctl fsck --root ./data --repair -o json"
)]
pub struct FsckArgs {
    /// Storage root (registry:2's rootdirectory) instead of the config's
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Also hash every blob and compare with its digest (reads all data)
    #[arg(long)]
    pub verify_content: bool,
    /// Fix what is safely fixable (never removes what a tag needs)
    #[arg(long)]
    pub repair: bool,
    /// No server writes to the store meanwhile: --repair takes no lock (S3 without conditional writes)
    #[arg(long)]
    pub offline: bool,
}

struct Progress {
    printer: Printer,
    bar: Option<indicatif::ProgressBar>,
}

impl Observer for Progress {
    fn start(&mut self, blobs: u64) {
        self.bar = Some(self.printer.progress(blobs, "verifying blobs"));
    }
    fn position(&mut self, done: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(done);
        }
    }
    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// Runs `regctl fsck`.
///
/// # Errors
/// When the storage cannot be found or read, a repair fails, or problems remain (exit 1).
pub fn run(args: &FsckArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let printer = global.printer();
    let settings = match &args.root {
        Some(root) => StorageSettings::Filesystem(root.clone()),
        None => super::gc::store_from_config(global, "fsck")?,
    };
    let options = Options {
        verify_content: args.verify_content,
        repair: args.repair,
        offline: args.offline,
        ..Options::default()
    };
    let mut progress = Progress { printer, bar: None };
    let failed = || format!("fsck of {} failed", settings.describe());
    let store = crate::gc::open(&settings).with_context(failed)?;
    let report = fsck::check(&store, &options, &mut progress).with_context(failed)?;
    if printer.is_json() {
        printer.json(&report)?;
    } else {
        render(&printer, &report)?;
    }
    if report.unrepaired > 0 {
        let hint = if args.repair {
            "the rest needs the images pushed again"
        } else {
            "run with --repair to fix what is safe"
        };
        bail!("{} problems found; {hint}", report.unrepaired);
    }
    Ok(())
}

/// `sha256:0123456789ab…`: a full digest would not leave room for the detail in 80 columns.
fn short(key: &str) -> String {
    match key.find("sha256:") {
        Some(at) if key.len() >= at + 7 + 64 => {
            format!("{}{}…", &key[..at + 7], &key[at + 7..at + 19])
        }
        _ => key.to_owned(),
    }
}

fn render(printer: &Printer, report: &Report) -> anyhow::Result<()> {
    if !report.findings.is_empty() {
        let mut table = Table::new();
        table
            .load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(["kind", "repository", "key", "detail"]);
        // At most 80 columns, on a terminal or in a pipe (where comfy-table knows no width).
        let width = table.width().filter(|w| *w > 0).map_or(80, |w| w.min(80));
        table.set_width(width);
        for f in &report.findings {
            let detail = match &f.repair {
                Some(done) => format!("{}; repaired: {done}", f.detail),
                None => f.detail.clone(),
            };
            table.add_row(vec![
                format!("{:?}", f.kind)
                    .chars()
                    .enumerate()
                    .flat_map(|(i, c)| {
                        let sep = (i > 0 && c.is_uppercase()).then_some('_');
                        sep.into_iter().chain(c.to_lowercase())
                    })
                    .collect::<String>(),
                f.repository.clone(),
                short(&f.key),
                detail,
            ]);
        }
        let mut text = table.to_string();
        text.push('\n');
        super::output::write_stdout(text.as_bytes())?;
    }
    let mut summary = format!(
        "{} repositories, {} tags, {} manifests, {} blobs ({}) checked",
        report.repositories,
        report.tags,
        report.manifests_checked,
        report.blobs,
        bytesize::ByteSize::b(report.bytes)
    );
    if report.verify_content {
        summary.push_str(&format!(
            "; {} blobs ({}) hashed in {:.1}s, {}/s on {} threads",
            report.blobs_verified,
            bytesize::ByteSize::b(report.bytes_verified),
            report.verify_seconds,
            bytesize::ByteSize::b(report.verify_bytes_per_second),
            report.verify_threads
        ));
    }
    let problems = report
        .findings
        .iter()
        .filter(|f| f.kind.is_problem())
        .count();
    summary.push_str(&format!(
        "; {problems} problems, {} unrepaired",
        report.unrepaired
    ));
    printer.line(summary)
}
