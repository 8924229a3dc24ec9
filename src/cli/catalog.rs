//! `regctl catalog`: the repositories of a registry.

use clap::Args;
use serde::Serialize;

use super::client_args::{self, ClientArgs, PagingArgs};
use super::GlobalArgs;
use crate::remote::client::DEFAULT_CONCURRENCY;
use crate::remote::Registry;

/// List the repositories of a registry
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  regctl catalog registry.example.com:5000\n  regctl catalog localhost:5000 --insecure --count-tags\n  regctl catalog -c /etc/regctl/config.yml -o json --limit 100\n  regctl catalog registry.example.com -u alice --password-stdin \\\n      < password.txt"
)]
pub struct CatalogArgs {
    /// Registry as HOST[:PORT] (default: the one the local config serves)
    #[arg(value_name = "REGISTRY", value_parser = Registry::parse)]
    pub registry: Option<Registry>,
    /// Also count the tags of each repository (one request per repository)
    #[arg(long)]
    pub count_tags: bool,
    #[command(flatten)]
    pub paging: PagingArgs,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Serialize)]
struct Row {
    repository: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<usize>,
}

/// Lists the catalog, following pagination, and prints it.
///
/// # Errors
/// Connection, authentication and registry errors.
pub fn run(args: &CatalogArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let printer = global.printer();
    let target = client_args::resolve_registry(args.registry.clone(), global)?;
    let credentials = client_args::credentials(&args.client, &target.registry, &printer)?;
    let rows = client_args::runtime()?.block_on(async {
        let client = client_args::connect(&target, &args.client, credentials, &printer).await?;
        let bar = printer.counter("listing repositories");
        let repositories = client
            .catalog(args.paging.paging(), &|count| {
                bar.set_position(count as u64);
            })
            .await;
        bar.finish_and_clear();
        let repositories = repositories?;
        let counts = if args.count_tags {
            let bar = printer.progress(repositories.len() as u64, "counting tags");
            let counts = client
                .tag_counts(&repositories, DEFAULT_CONCURRENCY, &|done| {
                    bar.set_position(done as u64);
                })
                .await;
            bar.finish_and_clear();
            counts?.into_iter().map(Some).collect()
        } else {
            vec![None; repositories.len()]
        };
        anyhow::Ok(
            repositories
                .into_iter()
                .zip(counts)
                .map(|(repository, tags)| Row { repository, tags })
                .collect::<Vec<_>>(),
        )
    })?;
    if printer.is_json() {
        return printer.json(&rows);
    }
    if rows.is_empty() {
        printer.info(format!("{} has no repositories", target.registry));
        return Ok(());
    }
    if args.count_tags {
        printer.key_table(
            &["REPOSITORY", "TAGS"],
            rows.iter().map(|r| {
                vec![
                    r.repository.clone(),
                    r.tags.map_or_else(String::new, |n| n.to_string()),
                ]
            }),
        )
    } else {
        printer.key_table(
            &["REPOSITORY"],
            rows.iter().map(|r| vec![r.repository.clone()]),
        )
    }
}
