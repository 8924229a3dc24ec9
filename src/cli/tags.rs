//! `regctl tags`: the tags of a repository, with the manifest each points at.

use anyhow::bail;
use clap::Args;
use serde::Serialize;

use super::client_args::{self, ClientArgs, PagingArgs};
use super::output::{short_digest, short_media_type};
use super::GlobalArgs;
use crate::remote::client::DEFAULT_CONCURRENCY;
use crate::remote::image_size::ImageSize;
use crate::remote::{ImageDetails, Reference, TagInfo};

/// List the tags of a repository with digest, media type and image size
#[derive(Debug, Args)]
#[command(
    long_about = "List the tags of a repository with digest, media type and image size.\n\n\
SIZE is what a pull downloads: the image's config plus its layers (compressed), as its manifest \
declares them (one manifest GET per distinct digest). For an index (multi-platform image) SIZE \
says how many platforms it holds, e.g. `2 platforms`; `regctl manifest REPO:TAG` lists them. \
Digests show 12 hex digits and media types short names (`oci manifest`, `docker list`) so the \
table fits 80 columns; --wide shows them in full, as `-o json` does (whose `size` stays the \
manifest's own byte size). With -q only the tag names are printed, one a line.",
    after_help = "Examples:\n  \
regctl tags registry.example.com:5000/team/app\n  \
regctl tags localhost:5000/app --insecure --names-only\n  \
regctl tags team/app -c config.yml -o json\n  \
regctl tags registry.example.com/app --limit 20 --details\n  \
regctl tags registry.example.com/app --wide"
)]
pub struct TagsArgs {
    /// Repository as REGISTRY/REPO (REPO alone uses the registry of the local config)
    #[arg(value_name = "REGISTRY/REPO", value_parser = Reference::parse)]
    pub repository: Reference,
    /// Only list tag names (skips one HEAD request per tag)
    #[arg(long)]
    pub names_only: bool,
    /// Also show when each image was created (reads each image config: one more request per
    /// distinct digest)
    #[arg(long, conflicts_with = "names_only")]
    pub details: bool,
    /// Show full digests and media types (the table is then wider than 80 columns)
    #[arg(long, conflicts_with = "names_only")]
    pub wide: bool,
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
    /// Read for the table only.
    #[serde(skip)]
    image_size: Option<ImageSize>,
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
        // `-q` prints only the names: the per-tag requests would be wasted.
        if args.names_only || (printer.quiet && !printer.is_json()) {
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
        // Tags sharing a digest are read once, for details and for sizes alike.
        let mut digests: Vec<String> = details.iter().map(|t| t.digest.clone()).collect();
        digests.sort_unstable();
        digests.dedup();
        let images = if args.details {
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
            per_tag(&details, &digests, images?)
        } else {
            vec![None; details.len()]
        };
        // The table's SIZE is the image's (the JSON keeps the manifest's `size`, as before).
        let sizes = if printer.is_json() {
            vec![None; details.len()]
        } else {
            let bar = printer.progress(digests.len() as u64, "reading image sizes");
            let sizes = client
                .image_sizes(
                    repository,
                    &digests,
                    usize::from(args.concurrency),
                    &|done| {
                        bar.set_position(done as u64);
                    },
                )
                .await;
            bar.finish_and_clear();
            per_tag(&details, &digests, sizes?)
        };
        let rows = details
            .into_iter()
            .zip(images)
            .zip(sizes)
            .map(|((info, details), image_size)| Row {
                info,
                details,
                image_size,
            })
            .collect::<Vec<_>>();
        anyhow::Ok((tags, Some(rows)))
    })?;
    match details {
        Some(rows) => print_details(
            &printer,
            &rows,
            &target.registry,
            repository,
            args.details,
            args.wide,
        ),
        None => {
            if printer.is_json() {
                let rows: Vec<NameOnly<'_>> = tags.iter().map(|tag| NameOnly { tag }).collect();
                return printer.json(&rows);
            }
            if tags.is_empty() {
                printer.info(format!("{repository} has no tags on {}", target.registry));
                return Ok(());
            }
            printer.key_table(&["TAG"], tags.iter().map(|t| vec![t.clone()]))
        }
    }
}

/// Hands `values` (one per distinct digest, in `digests`' order) back to every tag that has it.
fn per_tag<T: Clone>(details: &[TagInfo], digests: &[String], values: Vec<T>) -> Vec<Option<T>> {
    let by_digest: std::collections::HashMap<&str, T> =
        digests.iter().map(String::as_str).zip(values).collect();
    details
        .iter()
        .map(|t| by_digest.get(t.digest.as_str()).cloned())
        .collect()
}

fn print_details(
    printer: &super::Printer,
    rows: &[Row],
    registry: &crate::remote::Registry,
    repository: &str,
    with_details: bool,
    wide: bool,
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
        headers.push("CREATED");
    }
    printer.key_table(
        &headers,
        rows.iter().map(|row| {
            let t = &row.info;
            let mut cells = vec![
                t.tag.clone(),
                short_digest(&t.digest, wide),
                short_media_type(&t.media_type, wide),
                row.image_size
                    .map_or_else(|| "-".to_owned(), |size| size.to_string()),
            ];
            if with_details {
                let created = row.details.as_ref().and_then(|d| d.created.as_deref());
                cells.push(created.map_or_else(|| "-".to_owned(), |c| short_time(c, wide)));
            }
            cells
        }),
    )
}

/// `2024-01-02T03:04:05.123456789Z` as `2024-01-02 03:04:05Z`: seconds are precision enough for
/// a person and the fraction would push the table past 80 columns. Other forms stay as they are.
fn short_time(created: &str, wide: bool) -> String {
    let shortened = created
        .strip_suffix('Z')
        .filter(|c| !wide && c.len() >= 19 && c.is_char_boundary(19) && c.as_bytes()[10] == b'T')
        .map(|c| format!("{} {}Z", &c[..10], &c[11..19]));
    shortened.unwrap_or_else(|| created.to_owned())
}

#[cfg(test)]
mod tests {
    use super::short_time;

    #[test]
    fn creation_times_drop_the_fraction_unless_wide() {
        assert_eq!(
            short_time("2024-01-02T03:04:05.123456789Z", false),
            "2024-01-02 03:04:05Z"
        );
        assert_eq!(
            short_time("2024-01-02T03:04:05Z", false),
            "2024-01-02 03:04:05Z"
        );
        let full = "2024-01-02T03:04:05.1+02:00";
        assert_eq!(short_time(full, false), full);
        assert_eq!(
            short_time("2024-01-02T03:04:05.5Z", true),
            "2024-01-02T03:04:05.5Z"
        );
    }
}
