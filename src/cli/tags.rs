//! `regctl tags`: the tags of a repository, with the manifest each points at.

use anyhow::bail;
use clap::Args;
use serde::Serialize;

use super::client_args::{self, ClientArgs, PagingArgs};
use super::GlobalArgs;
use crate::remote::client::DEFAULT_CONCURRENCY;
use crate::remote::{ImageDetails, Reference, TagInfo};

/// List the tags of a repository with digest, media type and size
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
regctl tags registry.example.com:5000/team/app\n  \
regctl tags localhost:5000/app --insecure --names-only\n  \
regctl tags team/app -c config.yml -o json\n  \
regctl tags registry.example.com/app --limit 20 --details")]
pub struct TagsArgs {
    /// Repository as REGISTRY/REPO (REPO alone uses the registry of the local config)
    #[arg(value_name = "REGISTRY/REPO", value_parser = Reference::parse)]
    pub repository: Reference,
    /// Only list tag names (skips one HEAD request per tag)
    #[arg(long)]
    pub names_only: bool,
    /// Also show when each image was created and its total size (reads each manifest and image
    /// config: two more requests per tag)
    #[arg(long, conflicts_with = "names_only")]
    pub details: bool,
    /// HEAD requests in flight at once when reading tag details
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CONCURRENCY as u8,
          value_parser = clap::value_parser!(u8).range(1..=64))]
    pub concurrency: u8,
    #[command(flatten)]
    pub paging: PagingArgs,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Serialize)]
struct NameOnly<'a> {
    tag: &'a str,
}

#[derive(Debug, Serialize)]
struct Row {
    #[serde(flatten)]
    info: TagInfo,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    details: Option<ImageDetails>,
}

/// Lists the tags and, unless `--names-only`, HEADs each one.
///
/// # Errors
/// Connection, authentication and registry errors.
pub fn run(args: &TagsArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let printer = global.printer();
    if let Some(target) = &args.repository.target {
        bail!(
            "`{}` names a tag or digest ({}); `regctl tags` takes REGISTRY/REPO, e.g. \
             registry.example.com:5000/team/app",
            args.repository,
            target.as_str()
        );
    }
    let target = client_args::resolve_registry(args.repository.registry.clone(), global)?;
    let credentials = client_args::credentials(&args.client, &target.registry, &printer)?;
    let repository = &args.repository.repository;
    let (tags, details) = client_args::runtime()?.block_on(async {
        let client = client_args::connect(&target, &args.client, credentials, &printer).await?;
        let bar = printer.counter("listing tags");
        let tags = client
            .tags(repository, args.paging.paging(), &|count| {
                bar.set_position(count as u64);
            })
            .await;
        bar.finish_and_clear();
        let tags = tags?;
        if args.names_only {
            return anyhow::Ok((tags, None));
        }
        let bar = printer.progress(tags.len() as u64, "reading tags");
        let details = client
            .tag_details(repository, &tags, usize::from(args.concurrency), &|done| {
                bar.set_position(done as u64);
            })
            .await;
        bar.finish_and_clear();
        let details = details?;
        let images = if args.details {
            // Tags sharing a digest are read once.
            let mut digests: Vec<String> = details.iter().map(|t| t.digest.clone()).collect();
            digests.sort_unstable();
            digests.dedup();
            let bar = printer.progress(digests.len() as u64, "reading image configs");
            let images = client
                .images_details(
                    repository,
                    &digests,
                    usize::from(args.concurrency),
                    &|done| {
                        bar.set_position(done as u64);
                    },
                )
                .await;
            bar.finish_and_clear();
            let by_digest: std::collections::HashMap<String, ImageDetails> =
                digests.into_iter().zip(images?).collect();
            details
                .iter()
                .map(|t| by_digest.get(&t.digest).cloned())
                .collect()
        } else {
            vec![None; details.len()]
        };
        let rows = details
            .into_iter()
            .zip(images)
            .map(|(info, details)| Row { info, details })
            .collect::<Vec<_>>();
        anyhow::Ok((tags, Some(rows)))
    })?;
    match details {
        Some(rows) => print_details(&printer, &rows, &target.registry, repository, args.details),
        None => {
            if printer.is_json() {
                let rows: Vec<NameOnly<'_>> = tags.iter().map(|tag| NameOnly { tag }).collect();
                return printer.json(&rows);
            }
            if tags.is_empty() {
                printer.info(format!("{repository} has no tags on {}", target.registry));
                return Ok(());
            }
            printer.table(&["TAG"], tags.iter().map(|t| vec![t.clone()]))
        }
    }
}

fn print_details(
    printer: &super::Printer,
    rows: &[Row],
    registry: &crate::remote::Registry,
    repository: &str,
    with_details: bool,
) -> anyhow::Result<()> {
    if printer.is_json() {
        return printer.json(rows);
    }
    if rows.is_empty() {
        printer.info(format!("{repository} has no tags on {registry}"));
        return Ok(());
    }
    let mut headers = vec!["TAG", "DIGEST", "MEDIA TYPE", "SIZE"];
    if with_details {
        headers.extend(["CREATED", "IMAGE SIZE"]);
    }
    printer.table(
        &headers,
        rows.iter().map(|row| {
            let t = &row.info;
            let mut cells = vec![
                t.tag.clone(),
                t.digest.clone(),
                t.media_type.clone(),
                bytesize::ByteSize::b(t.size).to_string(),
            ];
            if with_details {
                let details = row.details.clone().unwrap_or_default();
                cells.push(details.created.unwrap_or_else(|| "-".to_owned()));
                cells.push(
                    details
                        .image_size
                        .map_or_else(|| "-".to_owned(), |s| bytesize::ByteSize::b(s).to_string()),
                );
            }
            cells
        }),
    )
}
